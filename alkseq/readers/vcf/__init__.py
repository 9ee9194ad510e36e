"""VCF / VCF.gz / BCF reader (VCF 4.1–4.5; Mutect2, Strelka2, VarScan2, VarDict, Ion Reporter …).

Only records in the genes alkseq knows are looked at: with a .tbi/.csi index those gene
regions are queried, otherwise the file is streamed and everything else is skipped by an
integer comparison. Records are parsed here; where they lie and what they do to a protein is the
genome layer's answer (``alkseq.genome.locate``: ALK translated offline on NM_004304.5,
bypass-gene changes from the shipped hotspot table or the VEP CSQ / snpEff ANN annotation the
reader extracts). Fusions come from breakends / INV / Ion Reporter ``Fusion`` records, copy
number from CN / log2 fields (conventions in ``structural``). Bad input is an ``InputError`` naming
the file and record.

One module per job: ``containers`` (compression, chunks), ``header`` (checks, types, build),
``prefilter`` (raw-byte CHROM/POS filter), ``collect`` (tabix query or stream → records),
``records`` (record parsing with htslib semantics), ``background`` (records counted on the raw
line), ``bcf`` (htslib decodes BCF to text), ``callers`` (VAF/depth/phase, sample choice), ``annotations`` (VEP/snpEff),
``interpret`` (records → alterations), ``structural`` (fusions, copy number). This module only
wires them together.
"""
from __future__ import annotations

from pathlib import Path

from alkseq.errors import InputError
from alkseq.readers import ReadOptions, SampleData
from alkseq.readers.vcf.bcf import read_bcf
from alkseq.readers.vcf.collect import text_source
from alkseq.readers.vcf.containers import check_bgzf_eof, container_of, text_chunks
from alkseq.readers.vcf.header import CONTIG_LENGTHS, split_header
from alkseq.readers.vcf.interpret import FORMAT
from alkseq.readers.vcf.prefilter import merged_spans, overlaps_any, Prefilter, spans_by_chrom
from alkseq.readers.vcf.samples import read_records

__all__ = ["FORMAT", "sniff", "read"]
# also imported by name elsewhere: CONTIG_LENGTHS (api.py), merged_spans/spans_by_chrom (benchmarks),
# Prefilter/overlaps_any (tests)
_EXPORTED = (CONTIG_LENGTHS, merged_spans, overlaps_any, Prefilter, spans_by_chrom)

RUNS_MEANWHILE = True   # ``ReadOptions.meanwhile`` runs once the header is read (``samples.read_records``)

# Tunables, read at call time from this module (tests scale them down with monkeypatch).
_NUMPY_MIN_BYTES = 16 << 20  # below this the prefilter is a plain Python loop (no numpy import)
_MAX_HEADER_BYTES = 64 << 20  # longest header or record line accepted
_VECTORISED_MIN_BYTES = 16 << 10  # with ``ReadOptions.vectorised``: the numpy prefilter (and ``bulk``) from here


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
    remain are parsed here (``parse_record``). BCF records are decoded by htslib into the same text
    and go the same way (``bcf``). Records stream: each is
    interpreted and dropped unless it becomes a finding (``stream``).
    """
    from alkseq.genome.transcript import normalise_build

    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", path=str(path))
    container = container_of(path)
    check_bgzf_eof(path, "BCF file" if container == "bcf" else "BGZF file")
    warnings: list[str] = []
    build = normalise_build(options.build)
    build_source = "--build" if build else ""
    if container == "bcf":
        return read_bcf(path, options, build, build_source, warnings, numpy_min_bytes=_NUMPY_MIN_BYTES)
    chunks = text_chunks(path, container)
    try:
        lines, body, header_count = split_header(path, chunks, _MAX_HEADER_BYTES)

        def source(builds, extra_spans):
            return text_source(path, container, body, chunks, header_count, builds,
                                numpy_min_bytes=_NUMPY_MIN_BYTES, max_line_bytes=_MAX_HEADER_BYTES,
                                warnings=warnings, extra_spans=extra_spans,
                                vectorised_min_bytes=_VECTORISED_MIN_BYTES if options.vectorised else None)

        return read_records(path, options, lines, build, build_source, warnings, source)
    finally:
        chunks.close()
