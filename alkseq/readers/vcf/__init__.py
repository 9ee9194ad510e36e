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

from alkseq.errors import InputError
from alkseq.readers import ReadOptions, SampleData
from alkseq.readers.vcf.background import _Background
from alkseq.readers.vcf.bcf import _read_bcf
from alkseq.readers.vcf.callers import _choose_sample
from alkseq.readers.vcf.collect import _text_calls
from alkseq.readers.vcf.containers import _check_bgzf_eof, _container, _text_chunks
from alkseq.readers.vcf.header import _CONTIG_LENGTHS, _Header, _split_header, _TextHeader
from alkseq.readers.vcf.interpret import FORMAT, _Context, _vcf_compounds
from alkseq.readers.vcf.prefilter import _merged, _overlaps, _Prefilter, _spans_by_chrom

__all__ = ["FORMAT", "sniff", "read"]
# also imported by name elsewhere: _CONTIG_LENGTHS (api.py), _merged/_spans_by_chrom (benchmarks),
# _Prefilter/_overlaps (tests)
_EXPORTED = (_CONTIG_LENGTHS, _merged, _overlaps, _Prefilter, _spans_by_chrom)

# Tunables, read at call time from this module (tests scale them down with monkeypatch).
_NUMPY_MIN_BYTES = 16 << 20  # below this the prefilter is a plain Python loop (no numpy import)
_MAX_HEADER_BYTES = 64 << 20  # longest header or record line accepted


def sniff(head: bytes, path) -> bool:
    """A VCF by content: its ``##fileformat=VCF`` line, or BCF magic after decompression."""
    return head.lstrip(b"\xef\xbb\xbf").startswith(b"##fileformat=VCF") or head[:4] == b"BCF\x02"


def read(path, options: ReadOptions) -> list[SampleData]:
    """Read one VCF/BCF into one ``SampleData`` for the tumour sample.

    Text VCFs (plain, gzip, BGZF) never go through htslib's record parser: the header is checked
    and parsed in Python, records outside known genes are dropped on raw bytes, and the few that
    remain are parsed here (``_parse_record``). BCF goes through cyvcf2.
    """
    from alkseq.genome.transcript import normalise_build

    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", path=str(path))
    container = _container(path)
    _check_bgzf_eof(path)
    warnings: list[str] = []
    build = normalise_build(options.build)
    build_source = "--build" if build else ""
    background = None
    if container == "bcf":
        header, sample, calls, mode = _read_bcf(path, options, build, warnings)
    else:
        chunks = _text_chunks(path, container)
        try:
            lines, body, header_count = _split_header(path, chunks, _MAX_HEADER_BYTES)
            header = _Header.parse("\n".join(lines) + "\n")
            text_header = _TextHeader(lines)
            if text_header.problems:
                more = f" (+{len(text_header.problems) - 1} more)" if len(text_header.problems) > 1 else ""
                warnings.append(f"not valid VCF: {text_header.problems[0]}{more}; read anyway")
            sample, sample_index = _choose_sample(text_header.samples, header, options, path, warnings)
            if build is None:
                build, build_source = header.build()
            builds = (build,) if build else ("GRCh37", "GRCh38")
            background = _Background.for_file(build, header, text_header, sample_index, options)
            calls, mode = _text_calls(path, container, body, chunks, header_count, text_header, header,
                                      sample_index, builds, numpy_min_bytes=_NUMPY_MIN_BYTES,
                                      max_line_bytes=_MAX_HEADER_BYTES, background=background,
                                      warnings=warnings)
        finally:
            chunks.close()
    context = _Context(path=str(path), options=options, header=header, warnings=warnings)
    if build is None:
        build = context.decide_build(calls)
    context.build = build
    alterations = context.interpret(calls, background)
    compounds = _vcf_compounds(alterations)
    metadata = {"build_source": build_source or context.build_source, "mode": mode,
                "records_in_known_genes": len(calls) + (background.records if background else 0), **context.counts}
    return [SampleData(sample=sample, alterations=tuple(alterations), input_format=FORMAT, path=str(path),
                       build=build, compounds=tuple(compounds), warnings=tuple(dict.fromkeys(warnings)),
                       metadata=metadata)]
