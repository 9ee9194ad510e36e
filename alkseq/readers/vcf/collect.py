"""Records overlapping known genes from a text VCF: by tabix query when indexed, else streamed
through the byte prefilter. Only survivors are parsed (or counted on the raw line, ``background``)."""
from __future__ import annotations

from pathlib import Path

from alkseq.errors import InputError, InputTooLargeError
from alkseq.readers.vcf.background import _Background
from alkseq.readers.vcf.header import _decode, _Header, _TextHeader
from alkseq.readers.vcf.prefilter import _find_index, _merged, _overlaps, _Prefilter, _spans_by_chrom
from alkseq.readers.vcf.records import _Call, _parse_record, _Unplaceable


def _text_calls(path: Path, container: str, body: bytes, chunks, first_line: int, text_header: _TextHeader,
                header: _Header, sample_index: int | None, builds: tuple[str, ...], *, numpy_min_bytes: int,
                max_line_bytes: int, background: _Background | None = None,
                warnings: list[str] | None = None) -> tuple[list[_Call], str]:
    """Records overlapping known genes from a text VCF: tabix query when indexed, else a byte prefilter
    over the stream (constant memory) that hands only candidate lines to the parser. Lines ``background``
    takes are counted there instead of parsed."""
    spans = _spans_by_chrom(builds)
    index = _find_index(path) if container == "bgzf" else None
    if index:
        return _tabix_calls(path, index, spans, text_header, header, sample_index, background), "indexed"
    prefilter = _Prefilter(spans)
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    big = size * (4 if container != "plain" else 1) >= numpy_min_bytes
    calls: list[_Call] = []
    record = 0
    line_number = first_line + 1       # of the first byte in ``pending``
    unplaceable: list[str] = []        # records with no usable CHROM/POS (skipped, as htslib does)
    pending = body

    def handle(data: bytes, first: int):
        nonlocal record
        for number, raw in prefilter.lines(data, first, big):
            record += 1
            text = _decode(raw, path, number)
            candidate = background.candidate(text) if background is not None else None
            if candidate is not None:
                ranges = spans.get(candidate[1])
                if ranges is None or not _overlaps(ranges, candidate[2], candidate[3]):
                    continue           # outside every gene: the parsed record would be dropped too
                if background.take(candidate):
                    continue
            try:
                call = _parse_record(text, text_header, header, sample_index, number, record, path)
            except _Unplaceable as exc:
                unplaceable.append(f"line {number}: {exc.message}")
                continue
            ranges = spans.get(call.chrom)
            if ranges is not None and _overlaps(ranges, call.pos, call.end):
                calls.append(call)

    for chunk in chunks:
        pending += chunk
        cut = pending.rfind(b"\n")
        if cut < 0:
            if len(pending) > max_line_bytes:
                raise InputTooLargeError("a record line is longer than 64 MB (the limit for one VCF line)",
                                         path=str(path), line=line_number)
            continue
        whole, pending = pending[:cut], pending[cut + 1:]
        handle(whole, line_number)
        line_number += prefilter.line_count
    if pending.strip(b"\r\n"):
        handle(pending, line_number)
    if unplaceable and warnings is not None:
        more = f" (+{len(unplaceable) - 1} more)" if len(unplaceable) > 1 else ""
        warnings.append(f"{len(unplaceable)} record(s) without a usable position skipped: "
                        f"{unplaceable[0]}{more}")
    return calls, "streamed"


def _tabix_calls(path: Path, index: str, spans: dict[str, list[tuple[int, int]]], text_header: _TextHeader,
                 header: _Header, sample_index: int | None, background: _Background | None = None) -> list[_Call]:
    """Query each merged gene interval once through the tabix/CSI index (pysam, raw lines)."""
    libctabix = _pysam_tabix()
    try:
        tabix = libctabix.TabixFile(str(path), index=index, encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot open with its index: {exc}", path=str(path),
                         hint="re-index with tabix -p vcf, or delete the stale index") from None
    calls: list[_Call] = []
    record = 0
    try:
        contigs = set(tabix.contigs)
        for chrom, ranges in _merged(spans).items():
            if chrom not in contigs:
                continue
            genes = spans[chrom]
            for number, (start, end) in enumerate(ranges):
                earlier = ranges[:number]     # a record reaching back into these was returned already
                try:
                    lines = list(tabix.fetch(chrom, start - 1, end))
                except UnicodeDecodeError:
                    raise InputError(f"not UTF-8 text in {chrom}:{start}-{end}", path=str(path)) from None
                except (ValueError, OSError) as exc:
                    raise InputError(f"cannot query {chrom}:{start}-{end}: {exc}", path=str(path)) from None
                for text in lines:
                    record += 1
                    candidate = background.candidate(text) if background is not None else None
                    if candidate is not None:
                        if earlier and _overlaps(earlier, candidate[2], candidate[3]):
                            continue
                        if not _overlaps(genes, candidate[2], candidate[3]) or background.take(candidate):
                            continue
                    call = _parse_record(text, text_header, header, sample_index, None, record, path)
                    if earlier and _overlaps(earlier, call.pos, call.end):
                        continue
                    if _overlaps(genes, call.pos, call.end):
                        calls.append(call)
    finally:
        tabix.close()
    calls.sort(key=lambda c: (c.chrom, c.pos))
    return calls


def _pysam_tabix():
    """``pysam.libctabix`` (with htslib quiet), without the rest of pysam.

    ``import pysam`` loads every extension (alignment files, BCF, samtools, faidx): about 40 M
    instructions, 10–15 ms, a twentieth of an indexed genome run that needs only tabix. The
    package object is registered without running its ``__init__`` while the tabix extension
    and the modules it imports load; then it is removed, so a later ``import pysam`` (phasing,
    ``--fasta``) runs the real ``__init__`` and reuses the extensions already loaded. Anything
    unexpected falls back to the plain import.
    """
    import sys

    if "pysam" not in sys.modules:
        import importlib.util

        spec = importlib.util.find_spec("pysam")
        if spec is not None and spec.submodule_search_locations is not None:
            sys.modules["pysam"] = importlib.util.module_from_spec(spec)
            try:
                from pysam import libchtslib, libctabix
            except Exception:   # noqa: BLE001 — whatever it was, the full import below decides
                libctabix = None
            finally:
                del sys.modules["pysam"]
            if libctabix is not None:
                libchtslib.set_verbosity(0)
                return libctabix
    import pysam

    pysam.set_verbosity(0)
    return pysam.libctabix
