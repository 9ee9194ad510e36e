"""From a VCF header and its record lines (text VCF, or htslib's text of BCF records) to one
``SampleData`` per reported sample: sample choice, build, per-sample record conversion and streaming
interpretation. Both containers end here, so they give the same report."""
from __future__ import annotations

from pathlib import Path

from alkseq.errors import BuildMismatchError
from alkseq.genome.transcript import other_build
from alkseq.readers import ReadOptions, SampleData
from alkseq.readers.vcf.background import Background
from alkseq.readers.vcf.callers import choose_samples
from alkseq.readers.vcf.collect import Split, TextSample
from alkseq.readers.vcf.header import Header, TextHeader
from alkseq.readers.vcf.interpret import FORMAT, Context, vcf_compounds
from alkseq.readers.vcf.prefilter import vote_spans
from alkseq.readers.vcf.stream import Fanout


def read_records(path: Path, options: ReadOptions, lines: list[str], build: str | None, build_source: str,
                  warnings: list[str], source) -> list[SampleData]:
    """The samples of a VCF whose header is ``lines`` and whose records ``source(builds, extra_spans)`` gives
    as ``(mode, (text, line number, record number, earlier) items)`` — text VCF and BCF (htslib's text) alike."""
    header = Header.parse("\n".join(lines) + "\n")
    text_header = TextHeader(lines)
    if text_header.problems:
        more = f" (+{len(text_header.problems) - 1} more)" if len(text_header.problems) > 1 else ""
        warnings.append(f"not valid VCF: {text_header.problems[0]}{more}; read anyway")
    chosen = choose_samples(text_header.samples, header, options, path, warnings)
    given = build
    build, build_source = _header_build(header, build, build_source, path)
    builds = (build,) if build else ("GRCh37", "GRCh38")
    mode, records = source(builds, vote_spans(other_build(given)) if given else None)
    split = Split()

    def converters(decided: str | None) -> list[TextSample]:
        return [TextSample(path, builds, text_header, header, index,
                            Background.for_file(decided, header, text_header, index, options), split,
                            alone=len(chosen) == 1 and not _FULL_STEPS)
                for _name, index in chosen]

    contexts = [Context(path=str(path), options=options, header=header, warnings=[]) for _ in chosen]
    for context in contexts:
        context.build = build
    verify = TextSample(path, (other_build(given),), text_header, header, None, None).call if given else None
    fanout = Fanout(contexts, converters(build), TextSample(path, builds, text_header, header, None, None).call,
                     warnings, verify=verify)
    _count_in_bulk(records, fanout, len(chosen) == 1 and verify is None)
    _meanwhile(records, options.meanwhile)
    fanout.feed(records)
    results = fanout.finish(str(path))
    return [_sample_data(path, name, context, alterations, warnings, build_source or fanout.build_source, mode,
                         converter.records + (converter.background.records if converter.background else 0))
            for (name, _index), context, alterations, converter
            in zip(chosen, contexts, results, fanout.converters)]


_FULL_STEPS = False     # tests: the one-sample fast path off (candidate, then take), to compare the two


def _count_in_bulk(records, fanout: Fanout, one_sample: bool) -> None:
    """Let a streamed text VCF count background lines a chunk at a time (``bulk``) when one sample is read
    with its build known up front: then each line's fate is its own (no build votes, no other sample)."""
    count_in_bulk = getattr(records, "count_in_bulk", None)
    if count_in_bulk is None or not one_sample or fanout.held is not None:
        return
    (converter,) = fanout.converters
    if converter.alone and converter.background is not None:
        count_in_bulk(converter.background, converter.spans)


def _meanwhile(records, meanwhile) -> None:
    """The caller's ``ReadOptions.meanwhile``, now that the header is read: handed to records that run it
    once their helper has started (``bcf.CsiItems``), else run here, before the first record."""
    if meanwhile is None:
        return
    hand_over = getattr(records, "run_meanwhile", None)
    if hand_over is not None:
        hand_over(meanwhile)
    else:
        meanwhile()


def _header_build(header: Header, given: str | None, source: str, path: Path) -> tuple[str | None, str]:
    """(build, why): the given one, checked against the header's ##contig lengths and ##reference
    (a contradiction is a ``BuildMismatchError``, exit 4), else the header's own."""
    stated, why = header.build()
    if given is None:
        return stated, why
    if stated is not None and stated != given:
        raise BuildMismatchError(f"build {given} was given, but the header says {stated} ({why})", path=str(path),
                                 hint=f"pass --build {stated}, or leave the build out")
    return given, source


def _sample_data(path: Path, name: str, context: Context, alterations: list, warnings: list[str],
                 build_source: str, mode: str, records: int) -> SampleData:
    """One sample's result: the file's warnings first, then its own."""
    metadata = {"build_source": build_source, "mode": mode, "records_in_known_genes": records, **context.counts}
    return SampleData(sample=name, alterations=tuple(alterations), input_format=FORMAT, path=str(path),
                      build=context.build, compounds=tuple(vcf_compounds(alterations)),
                      warnings=tuple(dict.fromkeys(warnings + context.warnings)), metadata=metadata)
