"""Genomic allele → HGVS c./p. on a shipped transcript, offline and without guessing.

Pure functions over a ``Transcript`` (exon model), a ``SequenceSource`` (plus-strand bases)
and the reference protein. The protein consequence is computed by translating the
reference and the altered coding sequence, so any equivalent genomic representation of
an indel gives the same answer; deletions and duplications are then moved to their
3'-most (C-terminal) position on the full protein, as HGVS asks. When a base that the
answer needs is not known (outside the shipped window and no FASTA) the result says so
instead of producing a change.
"""
from __future__ import annotations

from typing import NamedTuple

from alkseq.genome.transcript import SequenceSource, Transcript
from alkseq.model import ProteinChange

_BASES = "TCAG"
_AMINO = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"
CODON_TABLE = {a + b + c: _AMINO[16 * i + 4 * j + k]
               for i, a in enumerate(_BASES) for j, b in enumerate(_BASES) for k, c in enumerate(_BASES)}
_COMPLEMENT = str.maketrans("ACGTNacgtn", "TGCANtgcan")


def revcomp(seq: str) -> str:
    return seq.translate(_COMPLEMENT)[::-1]


def translate_dna(seq: str) -> str:
    """Codon-by-codon translation ('X' for a codon with N); a trailing partial codon is dropped."""
    return "".join(CODON_TABLE.get(seq[i:i + 3], "X") for i in range(0, len(seq) - len(seq) % 3, 3))


# --------------------------------------------------------------------------- allele normalisation

def trim_alleles(pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    """Drop shared trailing then leading bases: minimal alleles (either may become '').

    For an insertion the result's ``pos`` is the base *after* the insertion point.
    """
    ref, alt = ref.upper(), alt.upper()
    while ref and alt and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while ref and alt and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    return pos, ref, alt


def left_align(chrom: str, pos: int, ref: str, alt: str, sequence: SequenceSource | None,
               limit: int = 500) -> tuple[int, str, str]:
    """Minimal alleles shifted to their leftmost equivalent position (indels only, when bases are known)."""
    pos, ref, alt = trim_alleles(pos, ref, alt)
    if sequence is None or (ref and alt) or not (ref or alt):  # substitution, or ALT == REF
        return pos, ref, alt
    indel = ref or alt
    for _ in range(limit):
        before = sequence.fetch(chrom, pos - 1, pos - 1)
        if not before or before != indel[-1]:
            break
        indel = before + indel[:-1]
        pos -= 1
    return (pos, indel, "") if ref else (pos, "", indel)


def vcf_alleles(chrom: str, pos: int, ref: str, alt: str, sequence: SequenceSource | None,
                original: tuple[int, str, str]) -> tuple[int, str, str]:
    """Anchor minimal alleles the VCF way (one base before an indel) where the base is known."""
    if ref and alt:
        return pos, ref, alt
    anchor = sequence.fetch(chrom, pos - 1, pos - 1) if sequence else None
    if not anchor:
        return original
    return pos - 1, anchor + ref, anchor + alt


def merge_substitutions(chrom: str, substitutions: list[tuple[int, str, str]],
                        sequence: SequenceSource | None) -> tuple[int, str, str] | None:
    """Several substitutions (pos, ref, alt) near each other → one (pos, ref, alt) block, or None
    when a base between them is unknown or two of them disagree on a base."""
    start = min(p for p, _, _ in substitutions)
    end = max(p + len(r) - 1 for p, r, _ in substitutions)
    reference = sequence.fetch(chrom, start, end) if sequence else None
    if reference is None:
        return None
    ref_list, alt_list = list(reference), list(reference)
    for p, r, a in substitutions:
        if len(r) != len(a):
            return None
        for offset, (rb, ab) in enumerate(zip(r, a)):
            index = p - start + offset
            if ref_list[index] != rb or (alt_list[index] != ref_list[index] and alt_list[index] != ab):
                return None
            alt_list[index] = ab
    return start, "".join(ref_list), "".join(alt_list)


# --------------------------------------------------------------------------- translation

class Translation(NamedTuple):
    """What a genomic allele does to one transcript.

    ``region``: cds | intron | utr_or_outside | exon_boundary. ``protein_change`` is None
    when the change is not coding or when ``reason`` says what was missing.
    """

    region: str
    protein_change: ProteinChange | None = None
    hgvs_c: str | None = None
    reason: str = ""
    codons: tuple[int, ...] = ()

    @property
    def coding(self) -> bool:
        return self.region in ("cds", "exon_boundary")


def _cds_bases(tx: Transcript, sequence: SequenceSource | None, c_from: int, c_to: int) -> str | None:
    """Sense-strand CDS bases c_from..c_to, or None if any is unknown."""
    if sequence is None or c_from < 1 or c_to > tx.cds_length:
        return None
    out = []
    c = c_from
    while c <= c_to:
        exon = next((e for e in tx.exons if e.c_start <= c <= e.c_end), None)
        if exon is None:
            return None
        run_end = min(c_to, exon.c_end)
        g1, g2 = tx.genomic_of(c), tx.genomic_of(run_end)
        if g1 is None or g2 is None:
            return None
        low, high = min(g1, g2), max(g1, g2)
        bases = sequence.fetch(tx.chrom, low, high)
        if not bases or len(bases) != high - low + 1:
            return None
        out.append(bases if tx.strand == "+" else revcomp(bases))
        c = run_end + 1
    return "".join(out)


def _cds_prefix(tx: Transcript, sequence: SequenceSource | None, c_from: int, c_to: int) -> str:
    """The longest known run of whole codons from c_from towards c_to."""
    full = _cds_bases(tx, sequence, c_from, c_to)
    if full is not None:
        return full
    out, c = [], c_from
    while c + 2 <= c_to:
        codon = _cds_bases(tx, sequence, c, c + 2)
        if codon is None:
            break
        out.append(codon)
        c += 3
    return "".join(out)


def _range_change(kind: str, start: int, residues: str, alt: str = "") -> ProteinChange:
    end = start + len(residues) - 1
    if end == start:
        return ProteinChange(kind, start, residues[0], alt)
    return ProteinChange(kind, start, residues[0], alt, end=end, end_ref=residues[-1])


def _shift_deletion(protein: str, start: int, length: int) -> int:
    """3'-most start of a deletion of ``length`` residues beginning at ``start`` (1-based)."""
    while start + length - 1 < len(protein) and protein[start + length - 1] == protein[start - 1]:
        start += 1
    return start


def _insertion_change(protein: str, after: int, inserted: str) -> ProteinChange:
    """Residues inserted after residue ``after`` → dup (3'-shifted) or ins (HGVS)."""
    while after < len(protein) and inserted and protein[after] == inserted[0] and "*" not in inserted:
        inserted = inserted[1:] + inserted[0]
        after += 1
    size = len(inserted)
    if after >= size and protein[after - size:after] == inserted:
        return _range_change("duplication", after - size + 1, protein[after - size:after])
    if after >= len(protein):
        return ProteinChange("extension", after, protein[-1], inserted)
    return ProteinChange("insertion", after, protein[after - 1], inserted, end=after + 1, end_ref=protein[after])


def _hgvs_c(tx: Transcript, sequence: SequenceSource | None, c_first: int, c_last: int,
            ref_c: str, alt_c: str) -> str | None:
    """HGVS c. for a coding allele in sense orientation (indels 3'-shifted in c. space)."""
    prefix = f"{tx.accession}:c."
    if ref_c and alt_c:
        if len(ref_c) == 1 and len(alt_c) == 1:
            return f"{prefix}{c_first}{ref_c}>{alt_c}"
        return f"{prefix}{c_first}_{c_last}delins{alt_c}"
    if ref_c:  # deletion c_first..c_last, shift 3'
        length = len(ref_c)
        tail = _cds_bases(tx, sequence, c_last + 1, min(tx.cds_length, c_last + 60)) or ""
        block = ref_c + tail
        shift = 0
        while shift < len(tail) and block[shift] == block[shift + length]:
            shift += 1
        first, last = c_first + shift, c_last + shift
        return f"{prefix}{first}del" if first == last else f"{prefix}{first}_{last}del"
    # insertion between c_first and c_first + 1
    inserted = alt_c
    after = c_first
    tail = _cds_bases(tx, sequence, after + 1, min(tx.cds_length, after + 60)) or ""
    for base in tail:
        if base != inserted[0]:
            break
        inserted = inserted[1:] + inserted[0]
        after += 1
    before = _cds_bases(tx, sequence, after - len(inserted) + 1, after) if after >= len(inserted) else None
    if before == inserted:
        first = after - len(inserted) + 1
        return f"{prefix}{first}dup" if first == after else f"{prefix}{first}_{after}dup"
    return f"{prefix}{after}_{after + 1}ins{inserted}"


def translate_variant(tx: Transcript, sequence: SequenceSource | None, protein: str | None,
                      pos: int, ref: str, alt: str) -> Translation:
    """Protein consequence of one genomic allele (any VCF representation) on ``tx``."""
    pos, ref, alt = trim_alleles(pos, ref, alt)
    if not ref and not alt:
        return Translation("cds", reason="REF equals ALT")
    if ref:
        first_g, last_g = pos, pos + len(ref) - 1
        c_values = [c for c in (tx.c_of(first_g), tx.c_of(last_g)) if c is not None]
        inside = [tx.c_of(g) is not None for g in range(first_g, last_g + 1)] if len(ref) < 400 else []
        if not any(inside) and not tx.overlaps_cds(first_g, last_g):
            return Translation("intron" if tx.locate(first_g)[0] == "intron" else "utr_or_outside")
        if not inside or not all(inside):
            return Translation("exon_boundary", reason="the change crosses an exon/intron boundary "
                                                       "(possible splice effect); no protein change computed")
        c_first, c_last = sorted(c_values)
    else:
        left, right = tx.c_of(pos - 1), tx.c_of(pos)
        if left is None and right is None:
            return Translation("intron" if tx.locate(pos)[0] == "intron" else "utr_or_outside")
        if left is None or right is None or abs(left - right) != 1:
            return Translation("exon_boundary", reason="insertion at an exon/intron boundary; no protein change computed")
        c_first = min(left, right)
        c_last = c_first  # insertion after c_first
    ref_c = ref if tx.strand == "+" else revcomp(ref)
    alt_c = alt if tx.strand == "+" else revcomp(alt)
    first_codon = (c_first - 1) // 3 + 1
    window_start = (first_codon - 1) * 3 + 1
    frameshift = (len(alt) - len(ref)) % 3 != 0
    if frameshift:
        window_end = tx.cds_length
    else:
        last = c_last + 1 if not ref else c_last
        window_end = min(tx.cds_length, ((last - 1) // 3 + 1) * 3)
    ref_seq = _cds_bases(tx, sequence, window_start, window_end) if not frameshift else \
        _cds_prefix(tx, sequence, window_start, window_end)
    hgvs_c = None
    if ref_seq:
        hgvs_c = _hgvs_c(tx, sequence, c_first, c_last, ref_c, alt_c)
    edit_start = c_first - window_start
    needed = edit_start + (len(ref_c) if ref_c else 1)
    if not ref_seq or len(ref_seq) < needed:
        return Translation("cds", hgvs_c=hgvs_c, reason="reference bases for this codon are not shipped "
                           "(outside ALK codons 1059-1388); give --fasta or a VEP/snpEff-annotated VCF",
                           codons=(first_codon,))
    if ref_c and ref_seq[edit_start:edit_start + len(ref_c)] != ref_c:
        return Translation("cds", hgvs_c=hgvs_c, reason="REF does not match the reference sequence",
                           codons=(first_codon,))
    insert_at = edit_start if ref_c else edit_start + 1
    alt_seq = ref_seq[:insert_at] + alt_c + ref_seq[insert_at + len(ref_c):]
    ref_pep, alt_pep = translate_dna(ref_seq), translate_dna(alt_seq)
    protein = protein or ""
    last_c = c_last if ref_c else c_first + 1
    codons = tuple(range(first_codon, (last_c - 1) // 3 + 2))
    if protein:
        known = min(len(ref_pep), len(protein) - first_codon + 1)
        if ref_pep[:known] != protein[first_codon - 1:first_codon - 1 + known]:
            return Translation("cds", hgvs_c=hgvs_c, reason="reference sequence does not translate to the "
                               "reference protein here (wrong build or FASTA?)", codons=codons)
    residues = protein or ""

    def residue(number: int) -> str:
        if residues and 1 <= number <= len(residues):
            return residues[number - 1]
        return ref_pep[number - first_codon] if 0 <= number - first_codon < len(ref_pep) else "X"

    if frameshift:
        index = 0
        while index < len(ref_pep) and index < len(alt_pep) and ref_pep[index] == alt_pep[index]:
            index += 1
        if index >= len(alt_pep) or index >= len(ref_pep):
            return Translation("cds", hgvs_c=hgvs_c, reason="frameshift: not enough known sequence downstream "
                               "to name the first changed residue", codons=codons)
        number = first_codon + index
        if alt_pep[index] == "*":
            return Translation("cds", ProteinChange("nonsense", number, ref_pep[index], "*"), hgvs_c, codons=codons)
        stop = alt_pep.find("*", index)
        fs_stop = stop - index + 1 if stop >= 0 else None
        return Translation("cds", ProteinChange("frameshift", number, ref_pep[index], alt_pep[index],
                                                fs_stop=fs_stop), hgvs_c, codons=codons)

    # in-frame: strip the shared prefix first, then the shared suffix (favours the 3' position)
    prefix = 0
    while prefix < len(ref_pep) and prefix < len(alt_pep) and ref_pep[prefix] == alt_pep[prefix]:
        prefix += 1
    suffix = 0
    while (suffix < len(ref_pep) - prefix and suffix < len(alt_pep) - prefix
           and ref_pep[-1 - suffix] == alt_pep[-1 - suffix]):
        suffix += 1
    removed = ref_pep[prefix:len(ref_pep) - suffix]
    added = alt_pep[prefix:len(alt_pep) - suffix]
    start = first_codon + prefix
    if not removed and not added:
        number = first_codon + (c_first - window_start) // 3
        ref_res = residue(number)
        return Translation("cds", ProteinChange("synonymous", number, ref_res, ref_res), hgvs_c, codons=codons)
    if "*" in added:
        added = added[:added.index("*") + 1]
        if added == "*":
            return Translation("cds", ProteinChange("nonsense", start, removed[:1] or residue(start), "*"),
                               hgvs_c, codons=codons)
    if removed and added and len(removed) == 1 and len(added) == 1:
        if start == 1 and removed == "M":
            return Translation("cds", ProteinChange("start_loss", 1, "M"), hgvs_c, codons=codons)
        if removed == "*":
            return Translation("cds", ProteinChange("extension", start, "*", added), hgvs_c, codons=codons)
        return Translation("cds", ProteinChange("missense", start, removed, added), hgvs_c, codons=codons)
    if removed and not added:
        if residues:
            start = _shift_deletion(residues, start, len(removed))
            removed = residues[start - 1:start - 1 + len(removed)]
        return Translation("cds", _range_change("deletion", start, removed), hgvs_c, codons=codons)
    if added and not removed:
        if residues:
            return Translation("cds", _insertion_change(residues, start - 1, added), hgvs_c, codons=codons)
        after = start - 1
        return Translation("cds", ProteinChange("insertion", after, residue(after), added, end=after + 1,
                                                end_ref=residue(after + 1)), hgvs_c, codons=codons)
    return Translation("cds", _range_change("delins", start, removed, added), hgvs_c, codons=codons)


def reference_matches(sequence: SequenceSource | None, chrom: str, pos: int, ref: str) -> bool | None:
    """True/False when the bases under REF are known, None when they are not."""
    if sequence is None or not ref or not set(ref.upper()) <= set("ACGTN"):
        return None
    bases = sequence.fetch(chrom, pos, pos + len(ref) - 1)
    if not bases:
        return None
    return all(r == b or r == "N" or b == "N" for r, b in zip(ref.upper(), bases))
