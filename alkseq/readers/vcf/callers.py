"""Caller conventions: which sample is the tumour, and where each caller (Mutect2, Strelka2,
VarScan2, VarDict, Ion Reporter …) keeps allele fraction, depth and phase."""
from __future__ import annotations

import re
from pathlib import Path

from alkseq.errors import InputError, SampleNotFoundError
from alkseq.model import PhaseTag
from alkseq.readers import ReadOptions
from alkseq.readers.vcf.header import Header
from alkseq.readers.vcf.records import as_list, Call, to_number

def choose_samples(samples: list[str], header: Header, options: ReadOptions, path: Path,
                    warnings: list[str]) -> list[tuple[str, int | None]]:
    """The samples to report, as (name, column index): the one named by --sample, the designated or
    conventional tumour (##tumor_sample, Mutect2's ##normal_sample, a TUMOR column), the only one, or —
    with no designation — every sample, each its own report (as the MAF reader does)."""
    if options.sample:
        if options.sample in samples:
            return [(options.sample, samples.index(options.sample))]
        raise SampleNotFoundError(options.sample, samples, path=str(path))
    if not samples:
        return [(Path(path).name.split(".")[0], None)]
    if header.tumor_sample and header.tumor_sample in samples:
        return [(header.tumor_sample, samples.index(header.tumor_sample))]
    if len(samples) == 1:
        return [(samples[0], 0)]
    if header.normal_sample in samples and len(samples) == 2:
        other = next(s for s in samples if s != header.normal_sample)
        return [(other, samples.index(other))]
    tumour = [s for s in samples if re.search(r"tumou?r", s, re.I)]
    if len(tumour) > 1:
        tumour = [s for s in tumour if not re.search(r"rna", s, re.I)] or tumour
    if len(tumour) == 1:
        warnings.append(f"tumour sample guessed as '{tumour[0]}' from the column names "
                        f"(Strelka/VarScan convention); pass --sample to choose another")
        return [(tumour[0], samples.index(tumour[0]))]
    if len(set(samples)) != len(samples):
        twice = sorted({s for s in samples if samples.count(s) > 1})
        raise InputError("duplicate sample names in the #CHROM line (" + ", ".join(twice) + "): not valid VCF",
                         path=str(path), hint="give each sample column its own name")
    warnings.append(f"{len(samples)} samples and no tumour/normal designation found (no ##tumor_sample, "
                    "no TUMOR column): one report per sample; pass --sample to choose one")
    return [(name, index) for index, name in enumerate(samples)]


# --------------------------------------------------------------------------- allele statistics

def allele_stats(call: Call, alt_index: int) -> tuple[float | None, int | None, str]:
    """(VAF, depth, which field) from the caller's own FORMAT (then INFO) fields."""
    fmt, info = call.fmt, call.info
    i = alt_index

    def pick(values, index):
        values = as_list(values)
        return values[index] if len(values) > index else None

    depth = None
    for key in ("FDP", "DP", "DPT"):
        if fmt.get(key) and fmt[key][0] is not None:
            depth = int(to_number(fmt[key][0]) or 0)
            break
    if "FAO" in fmt and "FDP" in fmt:
        fao, fdp = to_number(pick(fmt["FAO"], i)), to_number(pick(fmt["FDP"], 0))
        if fao is not None and fdp:
            return fao / fdp, int(fdp), "FAO/FDP"
    if "FREQ" in fmt and pick(fmt["FREQ"], i) is not None:
        freq = to_number(pick(fmt["FREQ"], i))
        if freq is not None:
            return freq / 100.0, depth, "FREQ"
    alt = call.alts[i]
    if "TIR" in fmt and "TAR" in fmt:
        tir, tar = to_number(pick(fmt["TIR"], 0)), to_number(pick(fmt["TAR"], 0))
        if tir is not None and tar is not None and tir + tar > 0:
            return tir / (tir + tar), depth, "Strelka TIR/TAR tier1"
    if all(f"{b}U" in fmt for b in "ACGT") and len(alt) == 1 and alt in "ACGT":
        counts = {b: to_number(pick(fmt[f"{b}U"], 0)) or 0.0 for b in "ACGT"}
        total = sum(counts.values())
        if total > 0:
            return counts[alt] / total, int(total), f"Strelka {alt}U tier1"
    if "AF" in fmt and pick(fmt["AF"], i) is not None:
        value = to_number(pick(fmt["AF"], i))
        if depth is None and fmt.get("AD"):
            depth = int(sum(to_number(v) or 0 for v in fmt["AD"]))
        return value, depth, "FORMAT/AF"
    if "FA" in fmt and pick(fmt["FA"], i) is not None:
        return to_number(pick(fmt["FA"], i)), depth, "FORMAT/FA"
    if "VF" in fmt and pick(fmt["VF"], i) is not None:
        return to_number(pick(fmt["VF"], i)), depth, "FORMAT/VF"
    for key in ("AD", "ADT"):
        if key in fmt:
            counts = [to_number(v) for v in as_list(fmt[key][0] if key == "ADT" else fmt[key])]
            if len(counts) > i + 1 and counts[i + 1] is not None:
                total = sum(c for c in counts if c is not None)
                if total > 0:
                    return counts[i + 1] / total, depth or int(total), f"FORMAT/{key}"
    if "FAO" in info and "FDP" in info:
        fao, fdp = to_number(pick(info["FAO"], i)), to_number(info["FDP"])
        if fao is not None and fdp:
            return fao / fdp, int(fdp), "INFO FAO/FDP"
    for key in ("AF", "TVAF"):
        if key in info and pick(info[key], i) is not None:
            info_depth = to_number(info.get("DP") or info.get("TDP"))
            return to_number(pick(info[key], i)), depth or (int(info_depth) if info_depth else None), f"INFO/{key}"
    return None, depth, ""


def phase_tag(call: Call, alt_index: int) -> PhaseTag | None:
    allele = alt_index + 1
    if call.phased and allele in call.genotype and len(call.genotype) == 2:
        phase_set = call.fmt.get("PS", [None])[0]
        return PhaseTag(str(phase_set if phase_set is not None else call.chrom), call.genotype.index(allele),
                        "vcf_ps")
    pgt, pid = call.fmt.get("PGT", [None])[0], call.fmt.get("PID", [None])[0]
    if pgt and pid and "|" in str(pgt):
        alleles = str(pgt).split("|")
        if "1" in alleles:
            return PhaseTag(str(pid), alleles.index("1"), "mutect2_pgt")
    return None
