"""Foundation Medicine XML (FoundationOne / F1CDx / F1 Liquid CDx / F1 Heme) results.

Supported subset, read namespace-blind (the ``variant-report`` default namespace and the
un-namespaced ``FinalReport`` are treated alike):

* roots: ``rr:ResultsReport`` (``ResultsPayload/variant-report``), a bare
  ``variant-report``, or the bulk wrapper ``ClientCaseInfo/Cases/Case/variant-report``;
  every ``variant-report`` becomes one ``SampleData``.
* ``short-variants/short-variant``: ``@gene``, ``@protein-effect`` (one-letter, no ``p.``;
  ``splice site …``/``promoter …`` kept as labels; ``X_Y>SEQ`` read as delins),
  ``@allele-fraction``, ``@depth``, ``@functional-effect``, ``@status``, ``@equivocal``,
  ``@position``/``@cds-effect``/``@transcript`` (kept as notes, not as a genomic record:
  the file gives no alleles).
* ``copy-number-alterations/copy-number-alteration``: ``@type`` amplification →
  ``amplification``; loss with copy number 0 (or none stated) → ``deletion``
  (homozygous), other losses → ``loss``; ``@copy-number``, ``@ratio``, ``@equivocal``.
* ``rearrangements/rearrangement``: ALK in ``@targeted-gene``/``@target-gene`` or
  ``@other-gene`` (``N/A`` = no partner) → an ALK fusion whose partner, exons and
  EML4-ALK variant come from ``@description`` via ``alkseq.genome.fusion``; other genes:
  ``fusion`` → fusion, ``truncation``/``deletion`` → loss, anything else → other.
* ``samples/sample/@name`` (else ``FinalReport/SampleName``, else the file stem) names the
  sample; ``quality-control/@status``, ``biomarkers`` go to metadata.

Not read: ``FinalReport`` therapies/trials/interpretations, ``non-human-content``,
``VariantProperties/@isVUS`` (the ``@status="unknown"`` note says the same).
Build: Foundation reports use hg19/GRCh37 coordinates and never state it, so
``SampleData.build`` is ``GRCh37`` and ``metadata['build_note']`` says it was assumed.
Security: documents declaring a DOCTYPE or ENTITY are refused (no entity expansion).
"""
from __future__ import annotations

import re
import xml.parsers.expat as expat
from pathlib import Path
from xml.etree.ElementTree import Element, TreeBuilder

from alkseq.errors import (InputError, InputTooLargeError, ParseError, SampleNotFoundError,
                           printable, quote)
from alkseq.model import Alteration, Origin
from alkseq.readers.cells import number_cell
from alkseq.sanitise import INPUT_CONTROL

FORMAT = "foundation"
BUILD = "GRCh37"
BUILD_NOTE = ("assumed GRCh37: Foundation Medicine reports give hg19 coordinates and "
              "the file does not state the build")
_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:ResultsReport|variant-report|ClientCaseInfo)[\s>/]")
_MAX_BYTES = 64 * 1024 * 1024


# --------------------------------------------------------------------------- sniff / parse

def sniff(head: bytes, path: Path | None = None) -> bool:
    """XML whose root is a Foundation ResultsReport, variant-report or ClientCaseInfo."""
    text = _utf8_head(head).lstrip(b"\xef\xbb\xbf").lstrip()
    return text.startswith(b"<") and _ROOT.search(text[:8192]) is not None


def _utf8_head(head: bytes) -> bytes:
    """A UTF-16 head (with a byte-order mark, or ``<`` + NUL as an XML declaration starts) as UTF-8,
    so the sniffer sees the root element; expat reads UTF-16 documents itself."""
    for marks, codec in (((b"\xff\xfe", b"<\x00"), "utf-16-le"), ((b"\xfe\xff", b"\x00<"), "utf-16-be")):
        if head.startswith(marks):
            body = head[2:] if head[:2] in (b"\xff\xfe", b"\xfe\xff") else head
            return body[:len(body) // 2 * 2].decode(codec, "replace").encode("utf-8")
    return head


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1] if ("}" in name or ":" in name) else name


def parse_xml(data: bytes, path: str) -> tuple[Element, dict[int, int]]:
    """Parse with expat into an ElementTree, namespaces stripped; refuse DTDs and entities.

    Returns the root and a map id(element) → line number for ``Origin.line``.
    """
    builder = TreeBuilder()
    lines: dict[int, int] = {}
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True

    def refuse(*_args):
        raise InputError("XML declares a DOCTYPE or ENTITY; refused (entity expansion risk)",
                         path=path, line=parser.CurrentLineNumber,
                         hint="Foundation reports carry no DTD; remove the declaration")

    def start(name, attributes):
        element = builder.start(_local(name), {_local(k): v for k, v in attributes.items()})
        lines[id(element)] = parser.CurrentLineNumber

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = lambda name: builder.end(_local(name))
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
        root = builder.close()
    except expat.ExpatError as exc:
        raise InputError(f"malformed XML: {expat.ErrorString(exc.code)} (column {exc.offset})",
                         path=path, line=exc.lineno) from None
    except (LookupError, ValueError) as exc:  # unknown encoding in the XML declaration
        raise InputError(f"unreadable XML: {exc}", path=path,
                         line=parser.CurrentLineNumber) from None
    except (AssertionError, IndexError):  # TreeBuilder on a truncated document
        raise InputError("malformed XML: the document ends before its root closes",
                         path=path) from None
    return root, lines


def _gunzip(data: bytes, path: str) -> bytes:
    """Decompress at most ``_MAX_BYTES`` (a gzip bomb stops there with a clear error)."""
    import zlib

    out = bytearray()
    remaining = data
    try:
        while remaining:  # concatenated gzip members (bgzip) decompress one after another
            member = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out += member.decompress(remaining, _MAX_BYTES + 1 - len(out))
            if len(out) > _MAX_BYTES or member.unconsumed_tail:
                raise InputTooLargeError(f"more than {_MAX_BYTES:,} bytes once decompressed: "
                                         "too large for a Foundation report", path=path)
            if not member.eof:
                raise InputError("truncated gzip file", path=path)
            remaining = member.unused_data
    except zlib.error as exc:
        raise InputError(f"broken gzip: {exc}", path=path) from None
    return bytes(out)




def _check_controls(root: Element, path: str, lines: dict[int, int]) -> None:
    """XML 1.0 refuses most C0 controls; C1 controls (a CSI escape) pass it, not alkseq."""
    for element in root.iter():
        for value in (element.text or "", *element.attrib.values()):
            bad = INPUT_CONTROL.search(value)
            if bad:
                raise ParseError(f"control character U+{ord(bad.group()):04X} in "
                                 f"<{printable(element.tag)[:40]}>", path=path,
                                 line=lines.get(id(element)),
                                 hint="the file is damaged or not a Foundation report")


# --------------------------------------------------------------------------- reading

def read(path: str | Path, options=None) -> list:
    """Read a Foundation XML report into one ``SampleData`` per ``variant-report``."""
    from alkseq.readers import ReadOptions, SampleData

    options = options or ReadOptions()
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > _MAX_BYTES:
            raise InputTooLargeError(f"{size:,} bytes is too large for a Foundation report "
                                     f"(limit {_MAX_BYTES:,})", path=str(path))
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=str(path)) from None
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, str(path))
    root, lines = parse_xml(data, str(path))
    _check_controls(root, str(path), lines)
    reports = [root] if root.tag == "variant-report" else list(root.iter("variant-report"))
    if not reports:
        raise InputError("no variant-report element: not a Foundation results report",
                         path=str(path), line=lines.get(id(root)))
    final_name = _text(root.find(".//FinalReport/SampleName"))
    samples = []
    for number, report in enumerate(reports, 1):
        name = _attr(report.find("samples/sample"), "name")
        if not name and len(reports) == 1:
            name = final_name
        if not name:
            name = printable(path.name.split(".")[0]) + (f"_{number}" if len(reports) > 1 else "")
        samples.append((name, report))
    if options.sample is not None:
        chosen = [(name, report) for name, report in samples if name == options.sample]
        if not chosen:
            raise SampleNotFoundError(options.sample, [n for n, _ in samples], path=str(path))
        samples = chosen
    out = []
    for name, report in samples:
        alterations, warnings = _read_report(report, str(path), lines, options)
        metadata = _metadata(report)
        metadata["build_note"] = BUILD_NOTE
        if options.build and options.build != BUILD:
            warnings.append(f"--build {options.build} given, but Foundation coordinates are "
                            f"{BUILD}; positions in notes stay {BUILD}")
        qc = metadata.get("quality_control")
        if qc and qc.lower() != "pass":
            warnings.append(f"sample {name}: Foundation quality-control status is '{qc}'")
        out.append(SampleData(sample=name, alterations=tuple(alterations), input_format=FORMAT,
                              path=str(path), build=BUILD, warnings=tuple(warnings),
                              metadata=metadata))
    return out


def _text(element: Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _attr(element: Element | None, *names: str) -> str:
    if element is None:
        return ""
    for name in names:
        value = (element.get(name) or "").strip()
        if value:
            return value
    return ""


def _metadata(report: Element) -> dict:
    keep = ("test-type", "disease", "disease-ontology", "pathology-diagnosis", "specimen",
            "percent-tumor-nuclei", "purity-assessment", "pipeline-version", "tissue-of-origin")
    metadata = {key.replace("-", "_"): report.get(key) for key in keep if report.get(key)}
    qc = report.find("quality-control")
    if qc is not None and qc.get("status"):
        metadata["quality_control"] = qc.get("status")
    msi = report.find("biomarkers/microsatellite-instability")
    if msi is not None and msi.get("status"):
        metadata["msi_status"] = msi.get("status")
    tmb = report.find("biomarkers/tumor-mutation-burden")
    if tmb is not None:
        metadata["tmb"] = {k: v for k, v in tmb.attrib.items() if k in ("score", "status", "unit")}
    return metadata


def _number(element: Element, name: str, path: str, line: int | None, *, integer: bool = False,
            fraction: bool = False):
    """An attribute as a number; a bad value names the element's line."""
    return number_cell(element.get(name), f"{element.tag} @{name}=", path=path, line=line, integer=integer,
                       fraction=fraction)


def _flag_notes(element: Element) -> list[str]:
    notes = []
    status = _attr(element, "status")
    if status:
        notes.append(f"status={status}" + (" (VUS)" if status.lower() == "unknown" else ""))
    if _attr(element, "equivocal").lower() == "true":
        notes.append("equivocal")
    if _attr(element, "subclonal").lower() == "true":
        notes.append("subclonal")
    return notes


def _read_report(report: Element, path: str, lines: dict[int, int], options):
    alterations: list[Alteration] = []
    warnings: list[str] = []
    for element in report.findall("short-variants/short-variant"):
        alterations.append(_short_variant(element, path, lines.get(id(element)), warnings))
    for element in report.findall("copy-number-alterations/copy-number-alteration"):
        alteration = _copy_number(element, path, lines.get(id(element)), options, warnings)
        if alteration is not None:
            alterations.append(alteration)
    for element in report.findall("rearrangements/rearrangement"):
        alterations.append(_rearrangement(element, path, lines.get(id(element)), warnings))
    return alterations, warnings


def _origin(element: Element, path: str, line: int | None, text: str) -> Origin:
    return Origin(path=path, line=line, text=text, reader=FORMAT)


def _short_variant(element: Element, path: str, line: int | None, warnings: list[str]):
    from alkseq.genome.protein import parse_protein_change

    gene = _attr(element, "gene").upper()
    if not gene:
        raise InputError("short-variant without @gene", path=path, line=line)
    effect = _attr(element, "protein-effect")
    notes = _flag_notes(element)
    functional = _attr(element, "functional-effect")
    if functional:
        notes.append(f"functional-effect={functional}")
    position, cds, transcript = (_attr(element, "position"), _attr(element, "cds-effect"),
                                 _attr(element, "transcript"))
    if position or cds:
        notes.append(f"{position} ({BUILD})".strip() + (f" {transcript}:c.{cds}" if cds else ""))
    protein_change = None
    label = effect or None
    lowered = effect.lower()
    if lowered.startswith(("splice site", "promoter")) or not effect:
        label = effect or functional or None
    else:
        text = re.sub(r"^([A-Z*]\d+_[A-Z*]\d+)>([A-Z*]+)$", r"\1delins\2", effect)
        try:
            _, protein_change = parse_protein_change(text)
        except ParseError as exc:
            warnings.append(f"{path}:{line}: {gene} protein-effect {quote(effect)} not understood "
                            f"({exc.message}); kept without a protein change")
            notes.append(f"protein-effect {quote(effect)} not parsed")
    return Alteration(
        gene=gene, kind="mutation", protein_change=protein_change,
        vaf=_number(element, "allele-fraction", path, line, fraction=True),
        depth=_number(element, "depth", path, line, integer=True), label=label,
        origin=_origin(element, path, line, f"{gene} {effect}".strip()), notes=tuple(notes))


def _copy_number(element: Element, path: str, line: int | None, options, warnings: list[str]):
    gene = _attr(element, "gene").upper()
    if not gene:
        raise InputError("copy-number-alteration without @gene", path=path, line=line)
    cna_type = _attr(element, "type").lower()
    copy_number = _number(element, "copy-number", path, line)
    notes = _flag_notes(element)
    for name in ("ratio", "number-of-exons", "position"):
        if _attr(element, name):
            notes.append(f"{name}={_attr(element, name)}")
    if cna_type == "amplification":
        kind, label = "amplification", "amplification"
        if "equivocal" in notes:
            label = "amplification (equivocal)"
        if copy_number is not None and copy_number < options.amp_threshold:
            notes.append(f"Foundation calls amplification at copy number {copy_number:g}, "
                         f"below alkseq's threshold {options.amp_threshold:g}")
    elif cna_type in ("loss", "deletion", "homozygous deletion"):
        homozygous = copy_number is None or copy_number == 0
        kind, label = ("deletion", "loss") if homozygous else ("loss", "loss")
    elif cna_type in ("gain", "partial amplification"):
        kind, label = "gain", cna_type
    else:
        warnings.append(f"{path}:{line}: {gene} copy-number type {quote(cna_type)} not understood; "
                        "kept as 'other'")
        kind, label = "other", cna_type or "copy-number alteration"
    return Alteration(gene=gene, kind=kind, copy_number=copy_number, label=label,
                      origin=_origin(element, path, line, f"{gene} {cna_type}"),
                      notes=tuple(notes))


def _rearrangement(element: Element, path: str, line: int | None, warnings: list[str]):
    from alkseq.genome.fusion import parse_fusion_description

    targeted = _attr(element, "targeted-gene", "target-gene").upper()
    other = _attr(element, "other-gene").upper()
    if other in ("N/A", "NA", "NONE", "UNKNOWN"):
        other = ""
    description = _attr(element, "description")
    re_type = _attr(element, "type").lower()
    if not targeted and not other and not description:
        raise InputError("rearrangement without @targeted-gene, @other-gene or @description",
                         path=path, line=line)
    notes = _flag_notes(element)
    for name in ("in-frame", "pos1", "pos2", "supporting-read-pairs"):
        if _attr(element, name):
            notes.append(f"{name}={_attr(element, name)}")
    parsed = None
    if description:
        try:
            parsed = parse_fusion_description(description)
        except ParseError:
            parsed = None
    if parsed:
        notes.extend(parsed["notes"])
    genes = {g for g in (targeted, other) if g}
    if parsed:
        genes |= {parsed["five_prime"], parsed["three_prime"]}
    vaf = _number(element, "allele-fraction", path, line, fraction=True)
    origin = _origin(element, path, line, description or f"{targeted} {re_type}".strip())
    if "ALK" in genes and re_type not in ("truncation", "deletion", "duplication"):
        if parsed and "ALK" in (parsed["five_prime"], parsed["three_prime"]):
            partner = parsed["partner"]
            variant = parsed["variant"] if parsed["three_prime"] == "ALK" else None
            breakpoint = parsed["breakpoint"]
            if parsed["five_prime"] == "ALK":
                notes.append(f"ALK is the 5' gene in '{description}': not an activating "
                             "ALK-kinase fusion as written")
        else:
            partner = next((g for g in (targeted, other) if g and g != "ALK"), None)
            variant = breakpoint = None
            if description and re.search(r"[A-Za-z0-9](?:-|::)[A-Za-z0-9]", description):
                warnings.append(f"{path}:{line}: ALK rearrangement description "
                                f"'{description}' not understood; partner from attributes")
        if partner is None:
            notes.append("ALK rearrangement, partner not stated")
        return Alteration(gene="ALK", kind="fusion", partner=partner, fusion_variant=variant,
                          breakpoint=breakpoint, vaf=vaf, label=description or None,
                          origin=origin, notes=tuple(notes))
    gene = targeted or other or (parsed["gene"] if parsed else "")
    if re_type == "fusion" and parsed:
        return Alteration(gene=parsed["three_prime"], kind="fusion",
                          partner=parsed["five_prime"], breakpoint=parsed["breakpoint"], vaf=vaf,
                          label=description, origin=origin, notes=tuple(notes))
    if re_type == "fusion" and targeted and other:
        return Alteration(gene=targeted, kind="fusion", partner=other, vaf=vaf,
                          label=description or None, origin=origin,
                          notes=tuple(notes + ["5'/3' order not stated; partner is @other-gene"]))
    if re_type in ("truncation", "deletion"):
        return Alteration(gene=gene, kind="loss", vaf=vaf, label=f"{re_type} (rearrangement)",
                          origin=origin, notes=tuple(notes))
    return Alteration(gene=gene, kind="other", vaf=vaf,
                      label=description or f"{re_type or 'rearrangement'}",
                      partner=other or None, origin=origin, notes=tuple(notes))
