"""BCF through htslib (cyvcf2): the only path that uses htslib's record parser; its stderr noise
is silenced so the CLI still prints one line."""
from __future__ import annotations

import warnings as warnings_module
from pathlib import Path

from alkseq.errors import InputError
from alkseq.readers import ReadOptions
from alkseq.readers.vcf.callers import _choose_sample
from alkseq.readers.vcf.header import _Header
from alkseq.readers.vcf.prefilter import _find_index, _spans_by_chrom
from alkseq.readers.vcf.records import _Call, _clean, _FORMAT_KEYS, _INFO_KEYS

def _open(path: Path):
    import cyvcf2

    try:
        return cyvcf2.VCF(str(path), gts012=False, lazy=True, strict_gt=False)
    except Exception as exc:  # cyvcf2 raises bare Exception/OSError for unreadable headers
        raise InputError(f"cannot read as VCF/BCF: {exc}", path=str(path),
                         hint="is the file complete and a VCF 4.x or BCF?") from None


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
    """BCF records overlapping known genes (cyvcf2), by index query when there is one, else by streaming."""
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
    text = False   # BCF: records have no text lines to name
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


def _read_bcf(path: Path, options: ReadOptions, build: str | None, warnings: list[str]):
    with _quiet_stderr():
        vcf = _open(path)
        try:
            header = _Header.parse(vcf.raw_header)
            sample, sample_index = _choose_sample(list(vcf.samples), header, options, path, warnings)
            builds = (build,) if build else (header.build()[0],) if header.build()[0] else ("GRCh37", "GRCh38")
            calls, mode = _collect(path, vcf, header, sample_index, builds, warnings)
        finally:
            try:
                vcf.close()
            except Exception:
                pass
    return header, sample, calls, mode


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
