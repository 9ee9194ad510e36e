"""From a VCF header and its record lines (text VCF, or htslib's text of BCF records) to one
``SampleData`` per reported sample: sample choice, build, per-sample record conversion and streaming
interpretation. Both containers end here, so they give the same report."""
from __future__ import annotations

from pathlib import Path

from alkseq.errors import BuildMismatchError
from alkseq.genome.transcript import other_build
from alkseq.readers import ReadOptions, SampleData
from alkseq.readers.vcf.background import _Background
from alkseq.readers.vcf.callers import _choose_samples
from alkseq.readers.vcf.collect import _Split, _TextSample
from alkseq.readers.vcf.header import _Header, _TextHeader
from alkseq.readers.vcf.interpret import FORMAT, _Context, _vcf_compounds
from alkseq.readers.vcf.prefilter import _vote_spans
from alkseq.readers.vcf.stream import _Fanout


def _read_records(path: Path, options: ReadOptions, lines: list[str], build: str | None, build_source: str,
                  warnings: list[str], source) -> list[SampleData]:
    """The samples of a VCF whose header is ``lines`` and whose records ``source(builds, extra_spans)`` gives
    as ``(mode, (text, line number, record number, earlier) items)`` — text VCF and BCF (htslib's text) alike."""
    header = _Header.parse("\n".join(lines) + "\n")
    text_header = _TextHeader(lines)
    if text_header.problems:
        more = f" (+{len(text_header.problems) - 1} more)" if len(text_header.problems) > 1 else ""
        warnings.append(f"not valid VCF: {text_header.problems[0]}{more}; read anyway")
    chosen = _choose_samples(text_header.samples, header, options, path, warnings)
    given = build
    build, build_source = _header_build(header, build, build_source, path)
    builds = (build,) if build else ("GRCh37", "GRCh38")
    mode, records = source(builds, _vote_spans(other_build(given)) if given else None)
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
