"""VCF / VCF.gz / BCF reader (VCF 4.1–4.5; Mutect2, Strelka2, VarScan2, VarDict, Ion Reporter …).

Only records in the genes alkseq knows are looked at: with a .tbi/.csi index those gene
regions are queried, otherwise the file is streamed and everything else is skipped by an
integer comparison. ALK changes are translated offline on NM_004304.5 (``alkseq.genome``),
bypass-gene changes come from the shipped hotspot table or from VEP CSQ / snpEff ANN
annotations, fusions from breakends / INV / Ion Reporter ``Fusion`` records, copy number
from CN / log2 fields. Bad input is an ``InputError`` naming the file and record.

Copy-number conventions (no published source is claimed for them; they are defaults):
absolute CN >= ``ReadOptions.amp_threshold`` (default 6.0) → ``amplification``; 3 <= CN <
threshold → ``gain``; CN < 0.5 → ``deletion`` (homozygous); 0.5 <= CN < 1.5 → ``loss``;
anything else is copy-neutral and not reported. A log2 ratio is turned into CN as
2 × 2^log2 (diploid, no purity correction). ``focal`` = segment shorter than 10 Mb.
"""
from __future__ import annotations

import math
import re
import warnings as warnings_module
from dataclasses import dataclass, field, replace
from pathlib import Path

from alkseq.errors import BuildMismatchError, InputError, ParseError
from alkseq.model import (Alteration, Compound, GenomicVariant, Origin, PhaseEvidence, PhaseTag,
                          ProteinChange)
from alkseq.readers import ReadOptions, SampleData

FORMAT = "vcf"
FOCAL_MAX_BP = 10_000_000
GAIN_MIN_CN = 3.0
DELETION_MAX_CN = 0.5
LOSS_MAX_CN = 1.5
FUSION_KINASES = ("ALK", "ROS1", "RET", "NTRK1", "BRAF", "MET", "FGFR1")

_MISSING_INT = -2147483640
_BND = re.compile(r"^(?:[A-Za-z.]*)[\[\]](?P<chrom>[^:\[\]]+):(?P<pos>\d+)[\[\]](?:[A-Za-z.]*)$")
_ION_FUSION_ID = re.compile(r"^(?P<g5>[A-Za-z0-9]+)-(?P<g3>[A-Za-z0-9]+)\.(?P<e5>[A-Za-z]+\d+[a-z]?)"
                            r"(?:(?:del|ins)\d+)?(?P<e3>[A-Za-z]+\d+[a-z]?)")
_CONTIG_LENGTHS = {  # chr1 and chr2 lengths of each build
    249250621: "GRCh37", 243199373: "GRCh37", 248956422: "GRCh38", 242193529: "GRCh38"}
_INFO_KEYS = ("SVTYPE", "END", "CN", "MATEID", "CHR2", "GENE_NAME", "EXON_NUM", "READ_COUNT", "AF", "DP",
              "FOLD_CHANGE_LOG", "LOG2", "CSQ", "ANN", "TVAF", "TDP", "FAO", "FDP", "AO", "SVLEN")
_FORMAT_KEYS = ("AD", "AF", "DP", "FA", "FREQ", "RD", "TIR", "TAR", "AU", "CU", "GU", "TU", "FAO", "FDP",
                "AO", "RO", "CN", "PS", "PGT", "PID", "ADT", "DPT", "VF")


def sniff(head: bytes, path) -> bool:
    """A VCF by content: its ``##fileformat=VCF`` line, or BCF magic after decompression."""
    return head.lstrip(b"\xef\xbb\xbf").startswith(b"##fileformat=VCF") or head[:4] == b"BCF\x02"


# --------------------------------------------------------------------------- plain records

@dataclass
class _Call:
    """One VCF record reduced to plain Python values (tumour sample only)."""

    chrom: str
    pos: int
    end: int
    ident: str | None
    ref: str
    alts: list[str]
    filters: str | None
    info: dict
    fmt: dict
    genotype: list[int]
    phased: bool
    line: int | None
    record: int

    def where(self, path: str) -> str:
        return f"{path}:{self.line}" if self.line else f"{path} record {self.record} ({self.chrom}:{self.pos})"


def _clean(value):
    """cyvcf2/numpy value → plain Python, with VCF missing markers as None."""
    if value is None:
        return None
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value <= _MISSING_INT:
        return None
    if isinstance(value, str) and value in (".", ""):
        return None
    return value


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str) and "," in value:
        return [_clean(v) for v in value.split(",")]
    return [value]


def _number(value) -> float | None:
    if value is None:
        return None
    try:
        number = float(str(value).strip().rstrip("%"))
    except ValueError:
        return None
    return None if math.isnan(number) else number


# --------------------------------------------------------------------------- header

@dataclass
class _Header:
    lines: list[str]
    format_ids: set[str]
    info_ids: set[str]
    csq_fields: list[str] = field(default_factory=list)
    ann_fields: list[str] = field(default_factory=list)
    tumor_sample: str | None = None
    source: str = ""

    @classmethod
    def parse(cls, raw: str) -> "_Header":
        lines = raw.rstrip("\n").split("\n")
        format_ids = set(re.findall(r"^##FORMAT=<ID=([^,>]+)", raw, re.M))
        info_ids = set(re.findall(r"^##INFO=<ID=([^,>]+)", raw, re.M))
        header = cls(lines, format_ids, info_ids)
        for line in lines:
            if line.startswith("##INFO=<ID=CSQ,"):
                match = re.search(r"Format: ([^\"]+)", line)
                header.csq_fields = match.group(1).strip().split("|") if match else []
            elif line.startswith("##INFO=<ID=ANN,"):
                match = re.search(r"'([^']+)'", line) or re.search(r"Functional annotations: ([^\"]+)", line)
                header.ann_fields = [f.strip() for f in match.group(1).split("|")] if match else []
            elif line.lower().startswith("##tumor_sample="):
                header.tumor_sample = line.split("=", 1)[1].strip()
            elif line.startswith("##source="):
                header.source += line.split("=", 1)[1].strip('"') + " "
        return header

    def build(self) -> tuple[str | None, str]:
        """(build, why) from ##contig lengths, then assembly= tags, then ##reference."""
        for line in self.lines:
            match = re.match(r"##contig=<ID=(?:chr)?([12]),.*?length=(\d+)", line)
            if match and int(match.group(2)) in _CONTIG_LENGTHS:
                return _CONTIG_LENGTHS[int(match.group(2))], f"##contig length of chr{match.group(1)}"
        for line in self.lines:
            lower = line.lower()
            if lower.startswith(("##assembly", "##reference", "##contig")) or "assembly=" in lower:
                if re.search(r"grch38|hg38|\bb38\b|hs38|38\.fa", lower):
                    return "GRCh38", line.split(",")[0][:80]
                if re.search(r"grch37|hg19|\bb37\b|hs37|human_g1k_v37|/b37/|37\.fa", lower):
                    return "GRCh37", line.split(",")[0][:80]
        return None, ""


# --------------------------------------------------------------------------- open / iterate

def _open(path: Path):
    import cyvcf2

    try:
        return cyvcf2.VCF(str(path), gts012=False, lazy=True, strict_gt=False)
    except Exception as exc:  # cyvcf2 raises bare Exception/OSError for unreadable headers
        raise InputError(f"cannot read as VCF/BCF: {exc}", path=str(path),
                         hint="is the file complete and a VCF 4.x or BCF?") from None


def _check_bgzf_eof(path: Path) -> None:
    """A BGZF file must end with the 28-byte EOF block; without it the file was truncated."""
    eof = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
    try:
        with open(path, "rb") as handle:
            head = handle.read(18)
            if head[:4] != b"\x1f\x8b\x08\x04" or head[12:14] != b"BC":
                return  # plain gzip or not compressed: nothing to check
            handle.seek(-28, 2)
            tail = handle.read(28)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=str(path)) from None
    if tail != eof:
        raise InputError("truncated BGZF file (no end-of-file block)", path=str(path),
                         hint="the file was cut short; re-copy or re-run bgzip")


_MANDATORY = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]


def _check_text_header(path: Path) -> None:
    """Check a text VCF header in Python first: htslib can crash on a broken one."""
    import gzip

    try:
        with open(path, "rb") as probe:
            magic = probe.read(2)
        opener = gzip.open if magic == b"\x1f\x8b" else open
        with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, 1):
                line = line.rstrip("\r\n")
                if number == 1 and not line.lstrip("\ufeff").startswith("##fileformat=VCF"):
                    if line.startswith("BCF"):
                        return
                    raise InputError("no ##fileformat=VCF line at the top", path=str(path), line=1)
                if line.startswith("##"):
                    if "=<" in line and not line.endswith(">"):
                        raise InputError(f"unterminated header line '{line[:60]}'", path=str(path), line=number,
                                         hint="a ##KEY=<...> line must end with '>'")
                    continue
                if line.startswith("#CHROM"):
                    if line.split("\t")[:8] != _MANDATORY:
                        raise InputError("the #CHROM line lacks the eight tab-separated VCF columns",
                                         path=str(path), line=number)
                    return
                raise InputError("header ends without a #CHROM line", path=str(path), line=number)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"cannot read: {exc}", path=str(path)) from None
    raise InputError("no #CHROM header line (empty or header-only file cut short)", path=str(path))


def _head_is_bcf(path: Path) -> bool:
    import zlib

    with open(path, "rb") as handle:
        raw = handle.read(4096)
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw)[:3] == b"BCF"
    except zlib.error:
        return False


def _find_index(path: Path) -> str | None:
    for suffix in (".tbi", ".csi"):
        candidate = Path(str(path) + suffix)
        if candidate.is_file():
            return str(candidate)
    return None


def _spans_by_chrom(builds: tuple[str, ...]) -> dict[str, list[tuple[int, int]]]:
    """Contig name (both 'chr2' and '2') → [(start, end)] of known genes, for a cheap overlap test."""
    from alkseq.genome.transcript import gene_spans

    table: dict[str, list[tuple[int, int]]] = {}
    for build in builds:
        for span in gene_spans(build):
            for name in (span.chrom, "chr" + span.chrom):
                table.setdefault(name, []).append((span.start, span.end))
    return table


def _to_call(variant, sample_index: int | None, header: _Header, line: int | None, record: int) -> _Call:
    info = {}
    for key in _INFO_KEYS:
        if key in header.info_ids or key in ("SVTYPE", "END"):
            try:
                value = variant.INFO.get(key)
            except (KeyError, ValueError):
                value = None
            if value is not None:
                info[key] = _clean(value)
    fmt = {}
    genotype: list[int] = []
    phased = False
    if sample_index is not None:
        for key in _FORMAT_KEYS:
            if key not in header.format_ids:
                continue
            try:
                values = variant.format(key)
            except (KeyError, ValueError, TypeError):
                values = None
            if values is None:
                continue
            row = _clean(values[sample_index])
            fmt[key] = row if isinstance(row, list) else [row]
        if "GT" in header.format_ids:
            try:
                gts = variant.genotypes
            except Exception:  # cyvcf2 raises bare errors on odd GT strings
                gts = None
            if gts and len(gts) > sample_index and gts[sample_index]:
                entry = gts[sample_index]
                genotype = [a for a in entry[:-1]]
                phased = bool(entry[-1])
    return _Call(str(variant.CHROM), int(variant.POS), int(variant.end), variant.ID, str(variant.REF).upper(),
                 [str(a) for a in variant.ALT], variant.FILTER, info, fmt, genotype, phased, line, record)


def _collect(path: Path, vcf, header: _Header, sample_index: int | None, builds: tuple[str, ...],
             warnings: list[str]) -> tuple[list[_Call], str]:
    """Records overlapping known genes, by index query when there is one, else by streaming."""
    spans = _spans_by_chrom(builds)
    index = _find_index(path)
    calls: list[_Call] = []
    if index:
        try:
            seqnames = set(vcf.seqnames)
        except Exception:
            seqnames = set()
        seen: set[tuple] = set()
        record = 0
        for chrom, ranges in spans.items():
            if seqnames and chrom not in seqnames:
                continue
            for start, end in ranges:
                region = f"{chrom}:{start}-{end}"
                try:
                    with warnings_module.catch_warnings():
                        warnings_module.simplefilter("ignore")  # cyvcf2 warns on regions without records
                        hits = list(vcf(region))
                    for variant in hits:
                        record += 1
                        key = (variant.CHROM, variant.POS, variant.REF, tuple(variant.ALT), variant.ID)
                        if key in seen:
                            continue
                        seen.add(key)
                        calls.append(_to_call(variant, sample_index, header, None, record))
                except InputError:
                    raise
                except Exception as exc:
                    if "not found" in str(exc).lower() or "contig" in str(exc).lower():
                        continue
                    raise InputError(f"cannot query {region}: {exc}", path=str(path)) from None
        calls.sort(key=lambda c: (c.chrom, c.pos))
        return calls, "indexed"
    header_lines = len(header.lines) + 1
    text = not str(path).endswith(".bcf")
    record = 0
    iterator = iter(vcf)
    while True:
        try:
            variant = next(iterator)
        except StopIteration:
            break
        except Exception as exc:
            raise InputError(f"unreadable record after record {record}: {exc}", path=str(path),
                             line=header_lines + record + 1 if text else None) from None
        record += 1
        ranges = spans.get(variant.CHROM)
        if ranges is None:
            continue
        start, end = variant.start + 1, variant.end
        for span_start, span_end in ranges:
            if start <= span_end and span_start <= end:
                break
        else:
            continue
        calls.append(_to_call(variant, sample_index, header, header_lines + record if text else None, record))
    return calls, "streamed"


# --------------------------------------------------------------------------- sample choice

def _choose_sample(samples: list[str], header: _Header, options: ReadOptions, path: Path,
                   warnings: list[str]) -> tuple[str, int | None]:
    if options.sample:
        if options.sample in samples:
            return options.sample, samples.index(options.sample)
        raise InputError(f"sample '{options.sample}' is not in this VCF", path=str(path),
                         hint="samples: " + (", ".join(samples) or "none"))
    if not samples:
        return Path(path).name.split(".")[0], None
    if header.tumor_sample and header.tumor_sample in samples:
        return header.tumor_sample, samples.index(header.tumor_sample)
    if len(samples) == 1:
        return samples[0], 0
    tumour = [s for s in samples if re.search(r"tumou?r", s, re.I)]
    if len(tumour) > 1:
        tumour = [s for s in tumour if not re.search(r"rna", s, re.I)] or tumour
    if len(tumour) == 1:
        warnings.append(f"tumour sample guessed as '{tumour[0]}' from the column names "
                        f"(Strelka/VarScan convention); pass --sample to choose another")
        return tumour[0], samples.index(tumour[0])
    raise InputError(f"{len(samples)} samples and no way to tell the tumour", path=str(path),
                     hint="pass --sample; samples: " + ", ".join(samples))


# --------------------------------------------------------------------------- allele statistics

def _allele_stats(call: _Call, alt_index: int) -> tuple[float | None, int | None, str]:
    """(VAF, depth, which field) from the caller's own FORMAT (then INFO) fields."""
    fmt, info = call.fmt, call.info
    i = alt_index

    def pick(values, index):
        values = _as_list(values)
        return values[index] if len(values) > index else None

    depth = None
    for key in ("FDP", "DP", "DPT"):
        if fmt.get(key) and fmt[key][0] is not None:
            depth = int(_number(fmt[key][0]) or 0)
            break
    if "FAO" in fmt and "FDP" in fmt:
        fao, fdp = _number(pick(fmt["FAO"], i)), _number(pick(fmt["FDP"], 0))
        if fao is not None and fdp:
            return fao / fdp, int(fdp), "FAO/FDP"
    if "FREQ" in fmt and pick(fmt["FREQ"], i) is not None:
        freq = _number(pick(fmt["FREQ"], i))
        if freq is not None:
            return freq / 100.0, depth, "FREQ"
    alt = call.alts[i]
    if "TIR" in fmt and "TAR" in fmt:
        tir, tar = _number(pick(fmt["TIR"], 0)), _number(pick(fmt["TAR"], 0))
        if tir is not None and tar is not None and tir + tar > 0:
            return tir / (tir + tar), depth, "Strelka TIR/TAR tier1"
    if all(f"{b}U" in fmt for b in "ACGT") and len(alt) == 1 and alt in "ACGT":
        counts = {b: _number(pick(fmt[f"{b}U"], 0)) or 0.0 for b in "ACGT"}
        total = sum(counts.values())
        if total > 0:
            return counts[alt] / total, int(total), f"Strelka {alt}U tier1"
    if "AF" in fmt and pick(fmt["AF"], i) is not None:
        value = _number(pick(fmt["AF"], i))
        if depth is None and fmt.get("AD"):
            depth = int(sum(_number(v) or 0 for v in fmt["AD"]))
        return value, depth, "FORMAT/AF"
    if "FA" in fmt and pick(fmt["FA"], i) is not None:
        return _number(pick(fmt["FA"], i)), depth, "FORMAT/FA"
    if "VF" in fmt and pick(fmt["VF"], i) is not None:
        return _number(pick(fmt["VF"], i)), depth, "FORMAT/VF"
    for key in ("AD", "ADT"):
        if key in fmt:
            counts = [_number(v) for v in _as_list(fmt[key][0] if key == "ADT" else fmt[key])]
            if len(counts) > i + 1 and counts[i + 1] is not None:
                total = sum(c for c in counts if c is not None)
                if total > 0:
                    return counts[i + 1] / total, depth or int(total), f"FORMAT/{key}"
    if "FAO" in info and "FDP" in info:
        fao, fdp = _number(pick(info["FAO"], i)), _number(info["FDP"])
        if fao is not None and fdp:
            return fao / fdp, int(fdp), "INFO FAO/FDP"
    for key in ("AF", "TVAF"):
        if key in info and pick(info[key], i) is not None:
            info_depth = _number(info.get("DP") or info.get("TDP"))
            return _number(pick(info[key], i)), depth or (int(info_depth) if info_depth else None), f"INFO/{key}"
    return None, depth, ""


def _phase(call: _Call, alt_index: int) -> PhaseTag | None:
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


# --------------------------------------------------------------------------- annotations

def _annotation_change(call: _Call, alt: str, gene: str, header: _Header, mane: set[str]) -> str | None:
    """HGVSp of the MANE/canonical transcript from VEP CSQ or snpEff ANN, for this allele and gene."""
    candidates: list[tuple[int, str]] = []
    for key, fields, gene_key, feature_key, hgvs_key in (
            ("CSQ", header.csq_fields, "SYMBOL", "Feature", "HGVSp"),
            ("ANN", header.ann_fields, "Gene_Name", "Feature_ID", "HGVS.p")):
        text = call.info.get(key)
        if not text or not fields or hgvs_key not in fields:
            continue
        for entry in _as_list(text) if isinstance(text, list) else str(text).split(","):
            values = str(entry).split("|")
            row = dict(zip(fields, values))
            if row.get(gene_key) != gene or not row.get(hgvs_key):
                continue
            allele = row.get("Allele", alt)
            if len(call.alts) > 1 and allele not in (alt, alt[1:], "-" if len(alt) == 1 else alt):
                continue
            feature = (row.get(feature_key) or "").split(".")[0]
            rank = 0 if (row.get("MANE_SELECT") or feature in mane) else 1 if row.get("CANONICAL") == "YES" else 2
            candidates.append((rank, row[hgvs_key]))
    if not candidates:
        return None
    text = sorted(candidates)[0][1]
    return text.split(":", 1)[-1].replace("%3D", "=")


# --------------------------------------------------------------------------- main entry

def read(path, options: ReadOptions) -> list[SampleData]:
    """Read one VCF/BCF into one ``SampleData`` for the tumour sample."""
    from alkseq.genome.transcript import normalise_build

    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", path=str(path))
    _check_bgzf_eof(path)
    with open(path, "rb") as probe:
        raw = probe.read(4)
    if raw[:3] != b"BCF" and not (raw[:2] == b"\x1f\x8b" and _head_is_bcf(path)):
        _check_text_header(path)
    warnings: list[str] = []
    build = normalise_build(options.build)
    vcf = _open(path)
    try:
        header = _Header.parse(vcf.raw_header)
        if not any(line.startswith("##fileformat=VCF") for line in header.lines[:1]) and \
                not str(path).endswith(".bcf"):
            raise InputError("no ##fileformat=VCF line at the top", path=str(path), line=1)
        sample, sample_index = _choose_sample(list(vcf.samples), header, options, path, warnings)
        build_source = "--build" if build else ""
        if build is None:
            build, build_source = header.build()
        builds = (build,) if build else ("GRCh37", "GRCh38")
        calls, mode = _collect(path, vcf, header, sample_index, builds, warnings)
    finally:
        try:
            vcf.close()
        except Exception:
            pass
    context = _Context(path=str(path), options=options, header=header, warnings=warnings)
    if build is None:
        build = context.decide_build(calls)
    context.build = build
    alterations = context.interpret(calls)
    compounds = _vcf_compounds(alterations)
    metadata = {"build_source": build_source or context.build_source, "mode": mode,
                "records_in_known_genes": len(calls), **context.counts}
    return [SampleData(sample=sample, alterations=tuple(alterations), input_format=FORMAT, path=str(path),
                       build=build, compounds=tuple(compounds), warnings=tuple(dict.fromkeys(warnings)),
                       metadata=metadata)]


# --------------------------------------------------------------------------- interpretation of records

@dataclass
class _Pending:
    """A small variant on its way to becoming an Alteration (kept for codon merging)."""

    alteration: Alteration
    codons: tuple[int, ...]
    substitution: tuple[int, str, str] | None  # (pos, ref, alt) minimal, for merging


class _Context:
    def __init__(self, path: str, options: ReadOptions, header: _Header, warnings: list[str]):
        self.path, self.options, self.header, self.warnings = path, options, header, warnings
        self.build: str | None = None
        self.build_source = ""
        self.counts: dict[str, int] = {"filtered": 0, "not_in_tumour": 0, "noncoding": 0, "untranslated": 0,
                                       "fusion_not_detected": 0}
        self._fasta = None
        if options.fasta:
            from alkseq.genome.transcript import FastaSequence
            self._fasta = FastaSequence(options.fasta)

    # ---- build
    def sequence(self, build: str):
        from alkseq.genome.transcript import ChainedSequence, ShippedSequence

        return ChainedSequence(self._fasta, ShippedSequence(build))

    def decide_build(self, calls: list[_Call]) -> str | None:
        """No build in the header: let REF alleles at known ALK bases and hotspots decide."""
        from alkseq.genome.transcript import ShippedSequence, genes_at, hotspots, plain_chrom
        from alkseq.genome.translate import reference_matches

        votes = {"GRCh37": [0, 0], "GRCh38": [0, 0]}
        in_gene = False
        for call in calls:
            for build in votes:
                if genes_at(build, call.chrom, call.pos, call.end):
                    in_gene = True
                if call.alts and call.alts[0].startswith("<"):
                    continue
                verdict = reference_matches(ShippedSequence(build), call.chrom, call.pos, call.ref)
                if verdict is not None:
                    votes[build][0 if verdict else 1] += 1
                table = hotspots(build)
                for alt in call.alts:
                    if (plain_chrom(call.chrom), call.pos, call.ref, alt) in table:
                        votes[build][0] += 1
        score = {b: v[0] - v[1] for b, v in votes.items()}
        if score["GRCh37"] != score["GRCh38"] and max(v[0] for v in votes.values()) > 0:
            build = max(score, key=score.get)
            self.build_source = "REF alleles at known positions"
            self.warnings.append(f"genome build not stated in the header; {build} chosen because REF alleles "
                                 f"at known ALK/hotspot positions match it ({votes[build][0]} match, "
                                 f"{votes[build][1]} mismatch); pass --build to be sure")
            return build
        if in_gene:
            self.warnings.append("genome build not stated in the header and not decidable from REF alleles; "
                                 "GRCh38 assumed; pass --build GRCh37 if the file is hg19/b37")
            self.build_source = "assumed"
            return "GRCh38"
        self.warnings.append("genome build not stated in the header; no record falls in a gene alkseq knows")
        return None

    def check_reference(self, call: _Call, pos: int, ref: str) -> None:
        """A REF that disagrees with the shipped ALK sequence (or the FASTA) is a BuildMismatchError."""
        from alkseq.genome.transcript import other_build
        from alkseq.genome.translate import reference_matches

        sequence = self.sequence(self.build)
        if reference_matches(sequence, call.chrom, pos, ref) is not False:
            return
        expected = sequence.fetch(call.chrom, pos, pos + len(ref) - 1)
        other = self.sequence(other_build(self.build))
        hint = "check the genome build"
        if reference_matches(other, call.chrom, pos, ref):
            hint = f"the file looks like {other_build(self.build)}; pass --build {other_build(self.build)}"
        what = "the reference FASTA" if self._fasta is not None else "alkseq's ALK sequence"
        raise BuildMismatchError(
            f"REF {ref} at {call.chrom}:{pos} disagrees with {what} for {self.build} "
            f"(expected {expected}, observed {ref}); most likely the file is not {self.build}",
            path=self.path, line=call.line, hint=hint if call.line else f"record {call.record}; {hint}")

    # ---- records
    def interpret(self, calls: list[_Call]) -> list[Alteration]:
        if self.build is None:
            return []
        from alkseq.genome.transcript import genes_at

        pending: list[_Pending] = []
        structural: list[Alteration] = []
        skipped_bypass: dict[str, int] = {}
        for call in calls:
            genes = genes_at(self.build, call.chrom, call.pos, call.end)
            if not genes:
                continue
            if call.filters not in (None, "PASS", ".") and not self.options.include_filtered:
                self.counts["filtered"] += 1
                continue
            svtype = str(call.info.get("SVTYPE") or "").upper()
            first_alt = call.alts[0] if call.alts else ""
            if svtype == "FUSION":
                structural.extend(self.ion_fusion(call))
            elif _BND.match(first_alt) or (svtype in ("INV", "BND", "TRA") and first_alt.startswith("<")):
                structural.extend(self.breakend(call, genes))
            elif first_alt.startswith("<") or svtype in ("CNV", "AMP", "GAIN", "LOSS") and not first_alt:
                structural.extend(self.copy_number(call, svtype, first_alt))
            else:
                for index, alt in enumerate(call.alts):
                    result = self.small_variant(call, index, alt, genes, skipped_bypass)
                    if result is not None:
                        pending.append(result)
        if skipped_bypass:
            listed = ", ".join(f"{g} ({n})" for g, n in sorted(skipped_bypass.items()))
            self.warnings.append(f"variants in {listed} are not shipped hotspots and carry no VEP/snpEff "
                                 "annotation, so their protein change is unknown; they are not reported")
        merged = self.merge_codons(pending)
        out = merged + _dedupe(structural)
        return sorted(out, key=lambda a: (a.gene, a.kind, a.genomic.pos if a.genomic else 0, a.name))

    def _origin(self, call: _Call) -> Origin:
        text = f"{call.chrom}\t{call.pos}\t{call.ident or '.'}\t{call.ref}\t{','.join(call.alts)}"
        return Origin(path=self.path, line=call.line, text=text, reader=FORMAT)

    def small_variant(self, call: _Call, index: int, alt: str, genes: list[str],
                      skipped_bypass: dict[str, int]) -> _Pending | None:
        from alkseq.genome.transcript import alk_protein, hotspots, load_transcript, plain_chrom
        from alkseq.genome.translate import left_align, trim_alleles, translate_variant, vcf_alleles

        if alt in ("*", ".", "<NON_REF>", "<*>") or not re.fullmatch(r"[ACGTNacgtn]+", alt) \
                or not re.fullmatch(r"[ACGTNacgtn]+", call.ref):
            return None
        vaf, depth, vaf_field = _allele_stats(call, index)
        carried = not call.genotype or all(a is None or a < 0 for a in call.genotype) or (index + 1) in call.genotype
        if vaf == 0 or (not carried and vaf is None):
            self.counts["not_in_tumour"] += 1
            return None
        if "ALK" in genes:
            self.check_reference(call, call.pos, call.ref)
        sequence = self.sequence(self.build)
        min_pos, min_ref, min_alt = left_align(call.chrom, call.pos, call.ref, alt, sequence)
        norm_pos, norm_ref, norm_alt = vcf_alleles(call.chrom, min_pos, min_ref, min_alt, sequence,
                                                   (call.pos, call.ref, alt))
        notes = [f"VAF from {vaf_field}"] if vaf_field else []
        if (norm_pos, norm_ref, norm_alt) != (call.pos, call.ref, alt):
            notes.append(f"normalised from {call.pos} {call.ref}>{alt}")
        change: ProteinChange | None = None
        hgvs_c = None
        codons: tuple[int, ...] = ()
        substitution = None
        gene = "ALK" if "ALK" in genes else None
        if gene == "ALK":
            tx = load_transcript("ALK", self.build)
            translation = translate_variant(tx, sequence, alk_protein(), call.pos, call.ref, alt)
            if not translation.coding:
                self.counts["noncoding"] += 1
                return None
            change, hgvs_c, codons = translation.protein_change, translation.hgvs_c, translation.codons
            annotated = self.annotated(call, alt, "ALK")
            if annotated is not None and change is not None and annotated.short != change.short:
                self.warnings.append(f"ALK {change.short} at {call.chrom}:{call.pos}: the VEP/snpEff annotation "
                                     f"says {annotated.short}; alkseq's own translation on NM_004304.5 is kept")
            if change is None and annotated is not None:
                change = annotated
                notes.append("protein change from the VCF's VEP/snpEff annotation (MANE/canonical transcript)")
            if change is None:
                self.counts["untranslated"] += 1
                self.warnings.append(f"ALK variant at {call.chrom}:{call.pos} {call.ref}>{alt}: "
                                     f"{translation.reason or 'no protein change computed'}; reported without one")
                notes.append(translation.reason)
            if len(min_ref) == len(min_alt) and min_ref:
                substitution = (min_pos, min_ref, min_alt)
        else:
            table = hotspots(self.build)
            hit = None
            for key in ((plain_chrom(call.chrom), call.pos, call.ref, alt),
                        (plain_chrom(call.chrom), norm_pos, norm_ref, norm_alt),
                        (plain_chrom(call.chrom), min_pos, min_ref, min_alt)):
                hit = table.get(key)
                if hit:
                    break
            for candidate in genes:
                if hit is not None and hit.gene != candidate:
                    continue
                if hit is not None:
                    gene = candidate
                    try:
                        change = _parse(hit.protein)
                    except ParseError:
                        change = None
                    notes.append(f"hotspot table: {hit.transcript} ({hit.source})")
                annotated = self.annotated(call, alt, candidate)
                if annotated is not None:
                    if change is not None and annotated.short != change.short:
                        self.warnings.append(f"{candidate} {change.short} at {call.chrom}:{call.pos}: the VEP/snpEff "
                                             f"annotation says {annotated.short}; the shipped hotspot table is kept")
                    elif change is None:
                        gene, change = candidate, annotated
                        notes.append("protein change from the VCF's VEP/snpEff annotation (MANE/canonical transcript)")
                if gene:
                    break
            if gene is None:
                for candidate in genes:
                    skipped_bypass[candidate] = skipped_bypass.get(candidate, 0) + 1
                return None
        alteration = Alteration(
            gene=gene, kind="mutation", protein_change=change, vaf=vaf, depth=depth,
            genomic=GenomicVariant(self.build, call.chrom, norm_pos, norm_ref, norm_alt, hgvs_c),
            phase=_phase(call, index), origin=self._origin(call), notes=tuple(n for n in notes if n))
        return _Pending(alteration, codons, substitution)

    def annotated(self, call: _Call, alt: str, gene: str) -> ProteinChange | None:
        from alkseq.genome.transcript import span_of

        if not self.header.csq_fields and not self.header.ann_fields:
            return None
        span = span_of(gene, self.build)
        mane = {span.mane_enst, span.mane_refseq.split(".")[0]} if span else set()
        text = _annotation_change(call, alt, gene, self.header, mane)
        if not text or text in ("p.?", "p.(?)"):
            return None
        try:
            return _parse(text)
        except ParseError:
            self.warnings.append(f"{gene} annotation '{text}' at {call.chrom}:{call.pos} could not be read")
            return None

    def merge_codons(self, pending: list[_Pending]) -> list[Alteration]:
        """Substitutions in one ALK codon (same haplotype when phased) become one change."""
        from alkseq.genome.transcript import alk_protein, load_transcript
        from alkseq.genome.translate import merge_substitutions, translate_variant

        groups: dict[tuple, list[_Pending]] = {}
        out: list[Alteration] = []
        for item in pending:
            if item.alteration.gene != "ALK" or item.substitution is None or len(item.codons) != 1:
                out.append(item.alteration)
                continue
            phase = item.alteration.phase
            key = (item.codons[0], (phase.phase_set, phase.haplotype) if phase else None)
            groups.setdefault(key, []).append(item)
        # unphased calls join a phased group of the same codon only when that group is alone
        for key, items in groups.items():
            if len(items) == 1:
                out.append(items[0].alteration)
                continue
            first = items[0].alteration
            block = merge_substitutions(first.genomic.chrom, [i.substitution for i in items], self.sequence(self.build))
            if block is None:
                out.extend(i.alteration for i in items)
                continue
            translation = translate_variant(load_transcript("ALK", self.build), self.sequence(self.build),
                                            alk_protein(), *block)
            vafs = [i.alteration.vaf for i in items if i.alteration.vaf is not None]
            depths = [i.alteration.depth for i in items if i.alteration.depth is not None]
            parts = ", ".join(f"{i.alteration.genomic.pos} {i.substitution[1]}>{i.substitution[2]}" for i in items)
            note = (f"merged from {len(items)} records in codon {key[0]} ({parts})"
                    + ("" if key[1] else "; phase not stated, same haplotype assumed"))
            if not key[1]:
                self.warnings.append(f"ALK codon {key[0]}: {len(items)} unphased records merged into one change "
                                     f"({translation.protein_change.short if translation.protein_change else '?'})")
            out.append(replace(first, protein_change=translation.protein_change,
                               vaf=min(vafs) if vafs else None, depth=min(depths) if depths else None,
                               genomic=GenomicVariant(self.build, first.genomic.chrom, block[0], block[1], block[2],
                                                      translation.hgvs_c),
                               notes=first.notes + (note,)))
        return out

    # ---- structural
    def _fusion(self, call: _Call, gene_a: str | None, pos_a: int, gene_b: str | None, pos_b: int,
                exon_override: dict[str, str] | None = None, label: str | None = None) -> Alteration | None:
        from alkseq.genome.transcript import load_transcript

        pair = [g for g in (gene_a, gene_b) if g]
        three = next((g for g in FUSION_KINASES if g in pair), None)
        if three is None or (gene_a == gene_b):
            return None
        partner = gene_b if three == gene_a else gene_a
        three_pos = pos_a if three == gene_a else pos_b
        partner_pos = pos_b if three == gene_a else pos_a
        exons: dict[str, str] = dict(exon_override or {})
        notes = []
        if three not in exons:
            tx = load_transcript(three, self.build)
            if tx is not None:
                where, number = tx.locate(three_pos)
                if where == "exon":
                    exons[three] = str(number)
                elif where == "intron":
                    exons[three] = str(number + 1)
                    notes.append(f"{three} breakpoint in intron {number}: exon {number + 1} joined")
        if partner and partner not in exons:
            tx = load_transcript(partner, self.build)
            if tx is not None:
                where, number = tx.locate(partner_pos)
                if where in ("exon", "intron"):
                    exons[partner] = str(number)
                    if where == "intron":
                        notes.append(f"{partner} breakpoint in intron {number}: exon {number} joined")
        variant = None
        if partner == "EML4" and three == "ALK" and "EML4" in exons and "ALK" in exons:
            try:
                from alkseq.genome.fusion import eml4_alk_variant
                variant = eml4_alk_variant(exons["EML4"], exons["ALK"])
            except ImportError:
                notes.append("EML4-ALK variant naming not available (alkseq.genome.fusion missing)")
            except ParseError:
                variant = None
        left = f"{partner} e{exons[partner]}" if partner and partner in exons else (partner or "unknown partner")
        right = f"{three} e{exons[three]}" if three in exons else three
        if partner is None:
            notes.append(f"partner end at {partner_pos} is not in a gene alkseq knows")
        return Alteration(gene=three, kind="fusion", partner=partner, fusion_variant=variant,
                          breakpoint=f"{left}::{right}", label=label or call.ident,
                          genomic=GenomicVariant(self.build, call.chrom, call.pos, call.ref,
                                                 call.alts[0] if call.alts else "."),
                          origin=self._origin(call), notes=tuple(notes))

    def breakend(self, call: _Call, genes: list[str]) -> list[Alteration]:
        from alkseq.genome.transcript import genes_at

        match = _BND.match(call.alts[0]) if call.alts else None
        if match:
            mate_chrom, mate_pos = match.group("chrom"), int(match.group("pos"))
        elif call.info.get("END"):
            mate_chrom, mate_pos = str(call.info.get("CHR2") or call.chrom), int(call.info["END"])
        else:
            return []
        mate_genes = genes_at(self.build, mate_chrom, mate_pos)
        own = next((g for g in genes if g in FUSION_KINASES), genes[0])
        mate = next((g for g in mate_genes if g != own), None)
        fusion = self._fusion(call, own, call.pos, mate, mate_pos)
        return [fusion] if fusion else []

    def ion_fusion(self, call: _Call) -> list[Alteration]:
        read_count = _number(call.info.get("READ_COUNT"))
        if read_count is not None and read_count <= 0:
            self.counts["fusion_not_detected"] += 1
            return []
        match = _ION_FUSION_ID.match(call.ident or "")
        if not match:
            self.warnings.append(f"Ion Reporter fusion record {call.ident} at {call.chrom}:{call.pos} has an ID "
                                 "alkseq cannot read; skipped")
            return []
        five, three = match.group("g5").upper(), match.group("g3").upper()
        exon5 = re.sub(r"^[A-Za-z]+", "", match.group("e5"))
        exon3 = re.sub(r"^[A-Za-z]+", "", match.group("e3"))
        exons = {five: exon5, three: exon3}
        fusion = self._fusion(call, five, 0, three, 0, exon_override=exons, label=call.ident.rsplit("_", 1)[0])
        if fusion is None:
            return []
        notes = fusion.notes + ((f"supporting reads: {int(read_count)}",) if read_count else ())
        return [replace(fusion, notes=notes)]

    def copy_number(self, call: _Call, svtype: str, alt: str) -> list[Alteration]:
        from alkseq.genome.transcript import genes_at

        kind_text = (svtype or alt.strip("<>").split(":")[0]).upper()
        copy_number = None
        source = ""
        if call.fmt.get("CN") and call.fmt["CN"][0] is not None:
            copy_number, source = _number(call.fmt["CN"][0]), "FORMAT/CN"
        elif call.info.get("CN") is not None:
            copy_number, source = _number(call.info["CN"]), "INFO/CN"
        else:
            for key in ("FOLD_CHANGE_LOG", "LOG2"):
                if call.info.get(key) is not None:
                    log2 = _number(call.info[key])
                    if log2 is not None:
                        copy_number, source = 2.0 * 2.0 ** log2, f"INFO/{key} (2×2^log2)"
                        break
        if copy_number is None and kind_text not in ("DUP", "DEL", "CNV", "AMP", "GAIN", "LOSS"):
            return []
        end = int(call.info.get("END") or call.end)
        length = end - call.pos + 1
        focal = length < FOCAL_MAX_BP
        if copy_number is not None:
            if copy_number >= self.options.amp_threshold:
                kind = "amplification"
            elif copy_number >= GAIN_MIN_CN:
                kind = "gain"
            elif copy_number < DELETION_MAX_CN:
                kind = "deletion"
            elif copy_number < LOSS_MAX_CN:
                kind = "loss"
            else:
                return []
        elif kind_text in ("DUP", "AMP", "GAIN"):
            kind = "gain"
        elif kind_text in ("DEL", "LOSS"):
            homozygous = len(call.genotype) >= 2 and all(a is not None and a > 0 for a in call.genotype)
            kind = "deletion" if homozygous else "loss"
        else:
            return []
        notes = [f"segment {call.chrom}:{call.pos}-{end} ({length:,} bp)"]
        if source:
            notes.append(f"copy number from {source}")
        out = []
        for gene in genes_at(self.build, call.chrom, call.pos, end):
            out.append(Alteration(gene=gene, kind=kind, copy_number=copy_number, focal=focal,
                                  label=kind if copy_number is None else f"{kind} (CN {copy_number:g})",
                                  genomic=GenomicVariant(self.build, call.chrom, call.pos, call.ref, alt or "."),
                                  origin=self._origin(call), notes=tuple(notes)))
        return out


def _parse(text: str) -> ProteinChange:
    from alkseq.genome.protein import parse_protein_change

    return parse_protein_change(text)[1]


def _dedupe(alterations: list[Alteration]) -> list[Alteration]:
    """Both records of a breakend pair / Ion Reporter fusion describe one fusion: keep the first."""
    seen: set[tuple] = set()
    out = []
    for alteration in alterations:
        key = (alteration.gene, alteration.kind, alteration.partner, alteration.breakpoint) \
            if alteration.kind == "fusion" else (alteration.gene, alteration.kind, alteration.genomic)
        if key in seen:
            continue
        seen.add(key)
        out.append(alteration)
    return out


def _vcf_compounds(alterations: list[Alteration]) -> list[Compound]:
    """ALK mutations sharing a VCF phase set: same haplotype → cis, different → trans."""
    by_set: dict[str, list[Alteration]] = {}
    for alteration in alterations:
        if alteration.gene == "ALK" and alteration.protein_change is not None and alteration.phase is not None:
            by_set.setdefault(alteration.phase.phase_set, []).append(alteration)
    compounds = []
    for phase_set, members in by_set.items():
        if len({m.protein_change.short for m in members}) < 2:
            continue
        members = sorted(members, key=lambda m: m.protein_change.start)
        haplotypes = {m.phase.haplotype for m in members}
        phase = "cis" if len(haplotypes) == 1 else ("trans" if len(members) == 2 else "mixed")
        compounds.append(Compound(tuple(m.protein_change.short for m in members), phase,
                                  PhaseEvidence(source="vcf", detail=f"phase set {phase_set} "
                                                f"({', '.join(sorted({m.phase.source for m in members}))})")))
    return compounds
