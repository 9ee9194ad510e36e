"""VCF / VCF.gz / BCF reader (VCF 4.1–4.5; Mutect2, Strelka2, VarScan2, VarDict, Ion Reporter …).

Only records in the genes alkseq knows are looked at: with a .tbi/.csi index those gene
regions are queried, otherwise the file is streamed and everything else is skipped by an
integer comparison. ALK changes are translated offline on NM_004304.5 (``alkseq.genome``),
bypass-gene changes come from the shipped hotspot table or from VEP CSQ / snpEff ANN
annotations, fusions from breakends / INV / Ion Reporter ``Fusion`` records, copy number
from CN / log2 fields (conventions in ``structural``). Bad input is an ``InputError`` naming
the file and record.

One module per job: ``containers`` (compression, chunks), ``header`` (checks, types, build),
``prefilter`` (raw-byte CHROM/POS filter), ``collect`` (tabix query or stream → records),
``records`` (record parsing with htslib semantics), ``background`` (records counted on the raw
line), ``bcf`` (cyvcf2), ``callers`` (VAF/depth/phase, sample choice), ``annotations`` (VEP/snpEff),
``interpret`` (records → alterations), ``structural`` (fusions, copy number). This module only
wires them together.
"""
from __future__ import annotations

from pathlib import Path

from alkseq.errors import BuildMismatchError, InputError
from alkseq.genome.transcript import other_build
from alkseq.readers import ReadOptions, SampleData
from alkseq.readers.vcf.background import _Background
from alkseq.readers.vcf.bcf import _read_bcf
from alkseq.readers.vcf.callers import _choose_samples
from alkseq.readers.vcf.collect import _Split, _text_source, _TextSample
from alkseq.readers.vcf.containers import _check_bgzf_eof, _container, _text_chunks
from alkseq.readers.vcf.header import _CONTIG_LENGTHS, _Header, _split_header, _TextHeader
from alkseq.readers.vcf.interpret import FORMAT, _Context, _vcf_compounds
from alkseq.readers.vcf.prefilter import _merged, _overlaps, _Prefilter, _spans_by_chrom, _vote_spans
from alkseq.readers.vcf.stream import _Fanout

__all__ = ["FORMAT", "sniff", "read"]
# also imported by name elsewhere: _CONTIG_LENGTHS (api.py), _merged/_spans_by_chrom (benchmarks),
# _Prefilter/_overlaps (tests)
_EXPORTED = (_CONTIG_LENGTHS, _merged, _overlaps, _Prefilter, _spans_by_chrom)

# Tunables, read at call time from this module (tests scale them down with monkeypatch).
_NUMPY_MIN_BYTES = 16 << 20  # below this the prefilter is a plain Python loop (no numpy import)
_MAX_HEADER_BYTES = 64 << 20  # longest header or record line accepted


def sniff(head: bytes, path) -> bool:
    """A VCF by content: its ``##fileformat=VCF`` line, or BCF magic after decompression."""
    text = head.lstrip(b"\xef\xbb\xbf")
    return text.startswith(b"##fileformat=VCF") or head[:4] == b"BCF\x02" or _lacks_fileformat(text)


def _lacks_fileformat(text: bytes) -> bool:
    """A VCF without its ##fileformat line: only ``##`` lines, then the eight-column #CHROM line."""
    for line in text.split(b"\n"):
        if line.startswith(b"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"):
            return True
        if not line.startswith(b"##"):
            return False
    return False


def read(path, options: ReadOptions) -> list[SampleData]:
    """Read one VCF/BCF into one ``SampleData`` per reported sample (the tumour, or each sample when
    nothing designates one).

    Text VCFs (plain, gzip, BGZF) never go through htslib's record parser: the header is checked
    and parsed in Python, records outside known genes are dropped on raw bytes, and the few that
    remain are parsed here (``_parse_record``). BCF goes through cyvcf2. Records stream: each is
    interpreted and dropped unless it becomes a finding (``stream``).
    """
    from alkseq.genome.transcript import normalise_build

    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", path=str(path))
    container = _container(path)
    _check_bgzf_eof(path, "BCF file" if container == "bcf" else "BGZF file")
    warnings: list[str] = []
    build = normalise_build(options.build)
    build_source = "--build" if build else ""
    if container == "bcf":
        return _read_bcf(path, options, build, build_source, warnings)
    chunks = _text_chunks(path, container)
    try:
        lines, body, header_count = _split_header(path, chunks, _MAX_HEADER_BYTES)
        header = _Header.parse("\n".join(lines) + "\n")
        text_header = _TextHeader(lines)
        if text_header.problems:
            more = f" (+{len(text_header.problems) - 1} more)" if len(text_header.problems) > 1 else ""
            warnings.append(f"not valid VCF: {text_header.problems[0]}{more}; read anyway")
        chosen = _choose_samples(text_header.samples, header, options, path, warnings)
        given = build
        build, build_source = _header_build(header, build, build_source, path)
        builds = (build,) if build else ("GRCh37", "GRCh38")
        mode, records = _text_source(path, container, body, chunks, header_count, builds,
                                     numpy_min_bytes=_NUMPY_MIN_BYTES, max_line_bytes=_MAX_HEADER_BYTES,
                                     warnings=warnings,
                                     extra_spans=_vote_spans(other_build(given)) if given else None)

        split = _Split()

        def converters(decided: str | None) -> list[_TextSample]:
            return [_TextSample(path, builds, text_header, header, index,
                                _Background.for_file(decided, header, text_header, index, options), split)
                    for _name, index in chosen]

        contexts = [_Context(path=str(path), options=options, header=header, warnings=[]) for _ in chosen]
        for context in contexts:
            context.build = build
        verify = _TextSample(path, (other_build(given),), text_header, header, None, None).call if given else None
        fanout = _Fanout(contexts, converters(build), lambda item, sample: sample.call(item),
                         _TextSample(path, builds, text_header, header, None, None).call, warnings, verify=verify)
        fanout.feed(records)
        results = fanout.finish(str(path))
    finally:
        chunks.close()
    return [_sample_data(path, name, context, alterations, warnings, build_source or fanout.build_source, mode,
                         converter.records + (converter.background.records if converter.background else 0))
            for (name, _index), context, alterations, converter
            in zip(chosen, contexts, results, fanout.converters)]


def _header_build(header: _Header, given: str | None, source: str, path: Path) -> tuple[str | None, str]:
    """(build, why): the given one, checked against the header's ##contig lengths and ##reference
    (a contradiction is a ``BuildMismatchError``, exit 4), else the header's own."""
    stated, why = header.build()
    if given is None:
        return stated, why
    if stated is not None and stated != given:
        raise BuildMismatchError(f"build {given} was given, but the header says {stated} ({why})", path=str(path),
                                 hint=f"pass --build {stated}, or leave the build out")
    return given, source


def _sample_data(path: Path, name: str, context: _Context, alterations: list, warnings: list[str],
                 build_source: str, mode: str, records: int) -> SampleData:
    """One sample's result: the file's warnings first, then its own."""
    metadata = {"build_source": build_source, "mode": mode, "records_in_known_genes": records, **context.counts}
    return SampleData(sample=name, alterations=tuple(alterations), input_format=FORMAT, path=str(path),
                      build=context.build, compounds=tuple(_vcf_compounds(alterations)),
                      warnings=tuple(dict.fromkeys(warnings + context.warnings)), metadata=metadata)
