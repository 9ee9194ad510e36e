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

    from alkseq.readers._source import require_file

    options = options or ReadOptions()
    for extra, what in ((options.bam, "BAM/CRAM file"), (options.fasta, "FASTA file")):
        if extra:
            require_file(extra, what)   # one line, exit 3, before anything is read
    kb = load_knowledge(overlay=knowledge)
    context = make_context(kb, prior, histology, progression, specimen)
    reports = []
    for sample in read_input(path, options):
        compounds = list(sample.compounds)
        phase_warnings: list[str] = []
        if options.bam or not compounds:
            compounds = _phase(sample, options, phase_warnings) or compounds
        reports.append(interpret(sample.alterations, context, kb, compounds=compounds,
                                 sample=sample.sample, input_path=str(path),
                                 input_format=sample.input_format, build=sample.build,
                                 reader_warnings=tuple(sample.warnings) + tuple(phase_warnings)))
    return reports


def _phase(sample, options, warnings: list[str] | None = None):
    """Phase ALK kinase-domain mutation pairs from VCF tags, reads, or a labelled VAF hint.

    A ``--bam`` the user named is checked once, up front, and any problem with the file
    itself is an error naming it (exit 3; 4 for the wrong build): missing, not BAM/CRAM,
    no index, CRAM without its FASTA, no chr2, chr2 of the other genome build than the
    variants, or reads that fail to decode (corrupt/truncated).  Ignoring it would print
    "phase unknown" as though no reads had been given, and the cis/trans call can flip
    the recommendation.  A problem that belongs to one pair once the file is good (an
    allele that cannot be looked up in reads, e.g. a symbolic ALT) does not sink the
    sample: that pair is phased without reads (VCF tags, VAF hint, else unknown → both
    readings), the reason leads its ``phase_evidence.detail``, and it is appended to
    ``warnings`` when the caller passes a list.
    """
    from dataclasses import replace
    from itertools import combinations

    from alkseq.errors import AlkseqError, BuildMismatchError, InputError
    from alkseq.genome import phase

    def file_problem(error: AlkseqError) -> bool:   # wrong build, or pysam could not decode
        return isinstance(error, BuildMismatchError) or isinstance(error.__cause__, (OSError, ValueError))

    alterations = list(sample.alterations)
    bam, fasta = options.bam, options.fasta
    if bam is not None:
        phase.check_alignments(bam, fasta, sample.build)
    try:
        return phase.phase_pairs(alterations, bam=bam, fasta=fasta)
    except AlkseqError as error:
        if bam is None or file_problem(error):
            raise
    except (OSError, ValueError) as error:   # pysam failing to close a BAM it failed to decode
        if bam is None:
            raise
        raise InputError(f"cannot read alignments (corrupt or truncated file?): {error}",
                         path=str(bam)) from error
    # One pair failed: phase pair by pair so the others keep their read evidence.  Groups of
    # three or more are not rebuilt here; the engine joins cis pairs into one unit itself.
    compounds = []
    for a, b in combinations(phase.kinase_domain_mutations(alterations), 2):
        try:
            compounds.extend(phase.phase_pairs([a, b], bam=bam, fasta=fasta))
        except AlkseqError as error:
            if file_problem(error):
                raise
            (compound,) = phase.phase_pairs([a, b])            # tags and VAF hint only
            note = (f"reads not used to phase {a.protein_change.short}+{b.protein_change.short}: "
                    f"{error.one_line()}")
            evidence = compound.evidence
            compounds.append(replace(compound, evidence=replace(
                evidence, detail=f"{note}; {evidence.detail}" if evidence.detail else note)))
            if warnings is not None:
                warnings.append(note)
    return compounds


def lookup(mutation: str, prior: Iterable[str] = (), *, histology: str | None = None,
           progression: str | None = None, knowledge: str | None = None) -> Report:
    from alkseq.interpret import lookup_report
    from alkseq.knowledge import load_knowledge

    kb = load_knowledge(overlay=knowledge)
    return lookup_report(kb, mutation, make_context(kb, prior, histology, progression))
