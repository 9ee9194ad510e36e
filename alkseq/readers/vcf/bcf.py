"""BCF through htslib (cyvcf2): the only path that uses htslib's record parser; its stderr noise
is silenced so the CLI still prints one line."""
from __future__ import annotations

import warnings as warnings_module
from pathlib import Path

from alkseq.errors import InputError
from alkseq.readers import ReadOptions
from alkseq.readers.vcf.callers import _choose_samples
from alkseq.readers.vcf.header import _Header
from alkseq.readers.vcf.prefilter import _find_index, _spans_by_chrom, _vote_spans, _with
from alkseq.readers.vcf.records import _Call, _clean, _FORMAT_KEYS, _INFO_KEYS

def _open(path: Path):
    import cyvcf2

    try:
        return cyvcf2.VCF(str(path), gts012=False, lazy=True, strict_gt=False)
    except Exception as exc:  # cyvcf2 raises bare Exception/OSError for unreadable headers
        if _raw_bcf_cut_short(path):
            raise InputError("truncated BCF file (its header is cut short)", path=str(path),
                             hint="the file was cut short; re-copy or re-write it") from None
        raise InputError(f"cannot read as VCF/BCF: {exc}", path=str(path),
                         hint="is the file complete and a VCF 4.x or BCF?") from None


def _raw_bcf_cut_short(path: Path) -> bool:
    """An uncompressed BCF (magic, then the header length) shorter than its own header says."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(9)
            handle.seek(0, 2)
            size = handle.tell()
    except OSError:
        return False
    if head[:3] != b"BCF" or len(head) < 9:
        return head[:3] == b"BCF"
    return size < 9 + int.from_bytes(head[5:9], "little")


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


def _variants(path: Path, vcf, builds: tuple[str, ...], extra_spans=None):
    """(mode, BCF records overlapping known genes) by index query when there is one, else by streaming."""
    spans = _with(_spans_by_chrom(builds), extra_spans)
    index = _find_index(path)
    if index:
        return "indexed", _indexed(path, vcf, spans)
    return "streamed", _streamed(path, vcf, spans)


def _indexed(path: Path, vcf, spans):
    try:
        seqnames = set(vcf.seqnames)
    except Exception:
        seqnames = set()
    seen: set[tuple] = set()
    record = 0
    for chrom, ranges in sorted(spans.items()):
        if seqnames and chrom not in seqnames:
            continue
        for start, end in ranges:
            region = f"{chrom}:{start}-{end}"
            try:
                with warnings_module.catch_warnings():
                    warnings_module.simplefilter("ignore")  # cyvcf2 warns on regions without records
                    hits = vcf(region)
                    for variant in hits:
                        record += 1
                        key = (variant.CHROM, variant.POS, variant.REF, tuple(variant.ALT), variant.ID)
                        if key in seen:
                            continue
                        seen.add(key)
                        yield variant, record
            except InputError:
                raise
            except Exception as exc:
                if "not found" in str(exc).lower() or "contig" in str(exc).lower():
                    continue
                raise InputError(f"cannot query {region}: {exc}", path=str(path)) from None


def _streamed(path: Path, vcf, spans):
    record = 0
    iterator = iter(vcf)
    while True:
        try:
            variant = next(iterator)
        except StopIteration:
            break
        except Exception as exc:
            raise InputError(f"unreadable record after record {record}: {exc}", path=str(path)) from None
        record += 1
        ranges = spans.get(variant.CHROM)
        if ranges is None:
            continue
        start, end = variant.start + 1, variant.end
        for span_start, span_end in ranges:
            if start <= span_end and span_start <= end:
                yield variant, record
                break


class _BcfSample:
    """One sample's ``_Call`` from a cyvcf2 record."""

    background = None

    def __init__(self, header: _Header, sample_index: int | None):
        self.header, self.sample_index = header, sample_index
        self.records = 0

    def call(self, item) -> _Call:
        variant, record = item
        self.records += 1
        return _to_call(variant, self.sample_index, self.header, None, record)


def _read_bcf(path: Path, options: ReadOptions, build: str | None, build_source: str, warnings: list[str]):
    """Every reported sample of a BCF, records read once through cyvcf2 (``stream._Fanout``)."""
    from alkseq.genome.transcript import other_build
    from alkseq.readers.vcf import _header_build, _sample_data
    from alkseq.readers.vcf.interpret import _Context
    from alkseq.readers.vcf.stream import _Fanout

    with _quiet_stderr():
        vcf = _open(path)
        try:
            header = _Header.parse(vcf.raw_header)
            chosen = _choose_samples(list(vcf.samples), header, options, path, warnings)
            given = build
            build, build_source = _header_build(header, build, build_source, path)
            builds = (build,) if build else ("GRCh37", "GRCh38")
            mode, variants = _variants(path, vcf, builds, _vote_spans(other_build(given)) if given else None)
            contexts = [_Context(path=str(path), options=options, header=header, warnings=[]) for _ in chosen]
            for context in contexts:
                context.build = build
            converters = [_BcfSample(header, index) for _name, index in chosen]
            fanout = _Fanout(contexts, converters, lambda item, sample: sample.call(item),
                             _BcfSample(header, None).call, warnings,
                             verify=(lambda _item: None) if given else None)   # every record read votes
            fanout.feed(variants)
            results = fanout.finish(str(path))
        finally:
            try:
                vcf.close()
            except Exception:
                pass
    return [_sample_data(path, name, context, alterations, warnings, build_source or fanout.build_source, mode,
                         converter.records)
            for (name, _index), context, alterations, converter in zip(chosen, contexts, results, converters)]


class _quiet_stderr:
    """htslib (inside cyvcf2) prints ``[W::...]`` lines straight to fd 2: keep the CLI's output one line."""

    def __enter__(self):
        import os
        import sys

        try:
            sys.stderr.flush()
            self.saved = os.dup(2)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.close(devnull)
        except OSError:
            self.saved = None
        return self

    def __exit__(self, *exc):
        import os

        if self.saved is not None:
            os.dup2(self.saved, 2)
            os.close(self.saved)
        return False
