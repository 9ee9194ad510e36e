"""Parse protein changes written the ways labs write them into one ``ProteinChange``.

Accepted: G1202R, p.G1202R, p.Gly1202Arg, ALK:p.(Gly1202Arg), ALK G1202R, G1202del,
p.Gly1202del, T1151dup, 1151Tins or 1151insT (legacy for an inserted Thr after 1151),
E746_A750del, T1151_L1152insT, L747_P753delinsS, S1982fs*22, S1982Afs*22, Q61*,
p.Arg273Ter, M1?, G12=.  Anything else is a ``ParseError`` naming the string: a
protein change is never guessed into a different residue.
"""
from __future__ import annotations

import re
from functools import lru_cache

from alkseq.errors import ParseError, quote
from alkseq.model import ONE_TO_THREE, THREE_TO_ONE, ProteinChange

_THREE = "|".join(sorted(THREE_TO_ONE, key=len, reverse=True))
_ONE = "ACDEFGHIKLMNPQRSTVWYUO*"
_AA = rf"(?:{_THREE}|[{_ONE}])"
_AAS = rf"(?:{_AA})+"
_N = r"[1-9][0-9]{0,5}"
# re.ASCII: under Unicode case-folding 'K' (Kelvin sign) would match K and 'ſ' would match S
_FLAGS = re.I | re.ASCII

_PREFIX = re.compile(r"(?:(?P<gene>[A-Za-z0-9][A-Za-z0-9._-]*)(?::[ \t]*|[ \t]+))?(?:p\.[ \t]*)?"
                     r"(?:\((?P<paren>[^()]*)\)|(?P<body>[^()]*))", re.ASCII)
# G1202R, V600E, Q61*: what the full substitution pattern reads, in capitals with one-letter
# codes only — cheap to compile, and what hotspot tables and most labels use
_SIMPLE_SUBSTITUTION = re.compile(rf"(?P<ref>[{_ONE}])(?P<pos>{_N})(?P<alt>[{_ONE}]|=)", re.ASCII)


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    """[(kind, pattern)], compiled on first use: their three-letter alternations under re.I cost
    more to compile than the rest of the import, and simple substitutions never need them."""
    return [
        ("substitution", re.compile(rf"(?P<ref>{_AA})(?P<pos>{_N})(?P<alt>{_AA}|=)", _FLAGS)),
        ("frameshift", re.compile(
            rf"(?P<ref>{_AA})(?P<pos>{_N})(?P<alt>{_AA})?fs(?:(?:\*|Ter|X)(?P<stop>{_N}|\?))?", _FLAGS)),
        ("range", re.compile(
            rf"(?P<ref>{_AA})(?P<pos>{_N})(?:_(?P<ref2>{_AA})(?P<pos2>{_N}))?"
            rf"(?P<op>delins|del|dup|ins)(?P<ins>{_AAS})?", _FLAGS)),
        ("legacy_ins", re.compile(rf"(?P<pos>{_N})(?P<ins>{_AAS})ins", _FLAGS)),
        # the short form of a legacy insertion before normalisation on a sequence
        ("legacy_ins", re.compile(rf"(?P<pos>{_N})ins(?P<ins>{_AAS})", _FLAGS)),
        ("start_loss", re.compile(rf"(?P<ref>{_AA})(?P<pos>{_N})\?", _FLAGS)),
    ]


_THREE_BY_LOWER = {three.lower(): one for three, one in THREE_TO_ONE.items()}


def _one(token: str) -> str:
    """One residue token (three- or one-letter, any case) → one-letter code."""
    if len(token) == 3:
        return _THREE_BY_LOWER[token.lower()]
    return token.upper()


def _split(seq: str, raw: str) -> str:
    """A run of residues, all three-letter or all one-letter → one-letter string.

    'GLY' could be Gly or Gly-Leu-Tyr: a run readable both ways is taken as three-letter
    only when written like three-letter codes (Gly, gly); in capitals it is refused rather
    than guessed. Runs mixing the two styles are refused too.
    """
    one_letter = None
    if all(c in _ONE for c in seq) or (seq.islower() and all(c.upper() in _ONE for c in seq)):
        one_letter = seq.upper()
    three_letter = None
    triples = [seq[i:i + 3] for i in range(0, len(seq), 3)]
    if len(seq) % 3 == 0 and all(t.lower() in _THREE_BY_LOWER and
                                 (t.istitle() or t.islower() or t.isupper()) for t in triples):
        three_letter = "".join(_THREE_BY_LOWER[t.lower()] for t in triples)
    if one_letter is not None and three_letter is not None and one_letter != three_letter:
        if all(t.istitle() for t in triples) or seq.islower():
            return three_letter
        raise ParseError(f"'{raw}': residues '{seq}' read both as three-letter "
                         f"({three_letter}) and one-letter ({one_letter}) codes",
                         hint="write three-letter codes as Gly, Leu … or one-letter codes alone")
    if three_letter is not None:
        return three_letter
    if one_letter is not None:
        return one_letter
    raise ParseError(f"'{raw}': residues '{seq}' mix three-letter and one-letter codes",
                     hint="write e.g. insGlyLeu or insGL")


def parse_protein_change(text: str) -> tuple[str | None, ProteinChange]:
    """Return (gene or None, ProteinChange) or raise ParseError."""
    if text is None:
        raise ParseError("empty protein change")
    raw = str(text).strip()
    if not raw or len(raw) > 200:
        raise ParseError(f"not a protein change: {quote(raw, 60)}")
    prefix = _PREFIX.fullmatch(raw)
    if not prefix:
        raise ParseError(f"not a protein change: {quote(raw)}")
    gene = prefix.group("gene")
    body = (prefix.group("paren") if prefix.group("paren") is not None
            else prefix.group("body")).strip()
    if re.search(r"\s", body):
        # 'G12 02R' must not become G1202R, nor 'A sp1Ter' Asp1Ter: a position or a residue
        # is never assembled from pieces
        raise ParseError(f"not a protein change: {quote(raw)} (space inside the change)")
    if gene and re.fullmatch(r"N[MPC]_\d+(\.\d+)?", gene):
        gene = None  # a transcript/protein accession, not a gene symbol
    if re.search(r"\d[Xx]$", body) or re.fullmatch(r"[A-Za-z]{1,3}\d+[Xx]", body):
        raise ParseError(f"'{raw}': 'X' is ambiguous (a stop codon or any residue)",
                         hint="write a stop as * or Ter")
    simple = _SIMPLE_SUBSTITUTION.fullmatch(body)
    if simple:
        return (gene.upper() if gene else None), _build("substitution", simple, raw)
    for kind, pattern in _patterns():
        match = pattern.fullmatch(body)
        if match:
            return (gene.upper() if gene else None), _build(kind, match, raw)
    raise ParseError(f"not a protein change: {quote(raw)}",
                     hint="expected e.g. G1202R, p.Gly1202Arg, T1151dup, E746_A750del")


def _build(kind: str, m: re.Match[str], raw: str) -> ProteinChange:
    pos = int(m.group("pos"))
    if kind == "substitution":
        ref, alt = _one(m.group("ref")), m.group("alt")
        if alt == "=":
            return ProteinChange("synonymous", pos, ref, ref)
        alt = _one(alt)
        if alt == ref:
            return ProteinChange("synonymous", pos, ref, ref)
        if ref == "*":
            return ProteinChange("extension", pos, ref, alt)
        if alt == "*":
            return ProteinChange("nonsense", pos, ref, "*")
        return ProteinChange("missense", pos, ref, alt)
    if kind == "frameshift":
        stop = m.group("stop")
        return ProteinChange("frameshift", pos, _one(m.group("ref")),
                             _one(m.group("alt")) if m.group("alt") else "",
                             fs_stop=int(stop) if stop and stop != "?" else None)
    if kind == "start_loss":
        return ProteinChange("start_loss", pos, _one(m.group("ref")))
    if kind == "legacy_ins":
        # "1151Tins": Thr inserted after residue 1151 (the ALK literature's name for T1151dup);
        # the transcript-aware normaliser turns it into a dup when residue 1151 is that residue.
        return ProteinChange("insertion", pos, "", _split(m.group("ins"), raw))
    ref = _one(m.group("ref"))
    end = int(m.group("pos2")) if m.group("pos2") else None
    end_ref = _one(m.group("ref2")) if m.group("ref2") else None
    if end is not None and end <= pos:
        raise ParseError(f"'{raw}': range end {end} is not after its start {pos}")
    op = m.group("op").lower()
    inserted = _split(m.group("ins"), raw) if m.group("ins") else ""
    if op in ("del", "dup") and inserted:
        raise ParseError(f"'{raw}': residues after '{op}' are not HGVS",
                         hint="write e.g. G1202del or T1151dup")
    if op in ("ins", "delins") and not inserted:
        raise ParseError(f"'{raw}': '{op}' needs the inserted residues")
    if op == "ins":
        if end is None or end != pos + 1:
            raise ParseError(f"'{raw}': an insertion lies between two adjacent residues",
                             hint="e.g. T1151_L1152insT")
    kinds = {"del": "deletion", "dup": "duplication", "ins": "insertion", "delins": "delins"}
    return ProteinChange(kinds[op], pos, ref, inserted, end=end, end_ref=end_ref)


def normalise_on_sequence(change: ProteinChange, protein: str, gene: str = "ALK") -> ProteinChange:
    """Check a change against the protein sequence and put it in canonical HGVS form.

    Raises ParseError when the stated reference residue is not the one at that
    position (a typo or another isoform): that would be a silent mis-call otherwise.
    Insertions of the residue(s) just before them become duplications (HGVS 3' rule
    is applied for single-residue repeats).
    """
    def residue(pos: int) -> str:
        if pos < 1 or pos > len(protein):
            raise ParseError(f"{gene} has {len(protein)} residues; position {pos} is outside it")
        return protein[pos - 1]

    if change.kind == "insertion" and not change.ref:
        pos = change.start
        inserted = change.alt
        if protein[pos - len(inserted):pos] == inserted:
            start = pos - len(inserted) + 1
            # shift to the 3'-most equivalent position (HGVS rule)
            while pos < len(protein) and len(inserted) == 1 and protein[pos] == inserted:
                start += 1
                pos += 1
            if len(inserted) == 1:
                return ProteinChange("duplication", pos, residue(pos))
            return ProteinChange("duplication", start, residue(start), end=pos, end_ref=residue(pos))
        return ProteinChange("insertion", pos, residue(pos), inserted, end=pos + 1,
                             end_ref=residue(pos + 1))
    if change.ref and change.ref != "*":
        actual = residue(change.start)
        if actual != change.ref:
            raise ParseError(
                f"{gene} {change.short}: residue {change.start} of {gene} is "
                f"{ONE_TO_THREE.get(actual, actual)} ({actual}), not {change.ref}",
                hint="check the transcript/isoform or the spelling")
    if change.end is not None and change.end_ref:
        actual = residue(change.end)
        if actual != change.end_ref:
            raise ParseError(f"{gene} {change.short}: residue {change.end} is {actual}, "
                             f"not {change.end_ref}")
    return change
