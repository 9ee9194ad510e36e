"""The Python API, mirroring the CLI: plain functions that return ``Report`` objects."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from alkseq.model import Context, Report


def make_context(kb, prior: Iterable[str] = (), histology: str | None = None,
                 progression: str | None = None, specimen: str | None = None) -> Context:
    """Resolve drug names (code and brand names too) into a ``Context``."""
    from alkseq.errors import UsageError
    from alkseq.knowledge import schema

    prior_generic: list[str] = []
    for name in prior:
        for part in str(name).replace(",", ";").split(";"):
            if part.strip():
                prior_generic.append(kb.resolve_drug(part.strip()))
    for value, allowed, option in ((histology, schema.PATIENT_HISTOLOGIES, "--histology"),
                                   (progression, schema.PROGRESSION_PATTERNS, "--progression"),
                                   (specimen, schema.SPECIMENS, "--specimen")):
        if value is not None and value not in allowed:
            raise UsageError(f"{option} '{value}' is not one of {', '.join(sorted(allowed))}")
    return Context(tuple(prior_generic), histology, progression, specimen)


def annotate(path: str | Path, prior: Iterable[str] = (), *, histology: str | None = None,
             progression: str | None = None, specimen: str | None = None,
             knowledge: str | None = None, options=None) -> list[Report]:
    """Read any supported input and interpret each sample in it."""
    from alkseq.interpret import interpret
    from alkseq.knowledge import load_knowledge
    from alkseq.readers import ReadOptions, read_input

    kb = load_knowledge(overlay=knowledge)
    context = make_context(kb, prior, histology, progression, specimen)
    options = options or ReadOptions()
    reports = []
    for sample in read_input(path, options):
        compounds = list(sample.compounds)
        if options.bam or not compounds:
            compounds = _phase(sample, options) or compounds
        reports.append(interpret(sample.alterations, context, kb, compounds=compounds,
                                 sample=sample.sample, input_path=str(path),
                                 input_format=sample.input_format, build=sample.build,
                                 reader_warnings=sample.warnings))
    return reports


def _phase(sample, options):
    """Phase ALK kinase-domain mutation pairs from VCF tags, reads, or a labelled VAF hint."""
    try:
        from alkseq.genome.phase import phase_pairs
    except ImportError:
        return []
    return phase_pairs(list(sample.alterations), bam=options.bam, fasta=options.fasta)


def lookup(mutation: str, prior: Iterable[str] = (), *, histology: str | None = None,
           progression: str | None = None, knowledge: str | None = None) -> Report:
    from alkseq.interpret import lookup_report
    from alkseq.knowledge import load_knowledge

    kb = load_knowledge(overlay=knowledge)
    return lookup_report(kb, mutation, make_context(kb, prior, histology, progression))
