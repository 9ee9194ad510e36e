"""The Python API, mirroring the CLI: plain functions that return ``Report`` objects."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from typing import TYPE_CHECKING

from alkseq.model import Context, Report

if TYPE_CHECKING:   # pathlib only where a path is built: `alkseq lookup` reads none
    from pathlib import Path


def make_context(kb, prior: Iterable[str] = (), histology: str | None = None,
                 progression: str | None = None, specimen: str | None = None) -> Context:
    """Resolve drug names (code and brand names too) into a ``Context``.

    Each item of ``prior`` is one line of therapy, oldest first; ``;`` (or ``,``) inside an
    item separates further lines and ``+`` joins drugs given together in one line:
    ``["alectinib", "carboplatin+pemetrexed"]`` is two lines, the second a doublet.
    """
    from alkseq.errors import UsageError
    from alkseq.knowledge import schema

    lines: list[tuple[str, ...]] = []
    for item in prior:
        for line in str(item).replace(",", ";").split(";"):
            drugs = tuple(kb.resolve_drug(part.strip()) for part in line.split("+")
                          if part.strip())
            if drugs:
                lines.append(tuple(dict.fromkeys(drugs)))
    for value, allowed, option in ((histology, schema.PATIENT_HISTOLOGIES, "--histology"),
                                   (progression, schema.PROGRESSION_PATTERNS, "--progression"),
                                   (specimen, schema.SPECIMENS, "--specimen")):
        if value is not None and value not in allowed:
            raise UsageError(f"{option} '{value}' is not one of {', '.join(sorted(allowed))}")
    return Context(histology=histology, progression=progression, specimen=specimen,
                   lines=tuple(lines))


class NotebookReport(Report):
    """A ``Report`` (equal to the plain one with the same fields) with what a notebook
    wants: tidy frames and the HTML card. ``alkseq.annotate`` returns these; the model
    itself stays free of pandas and the writers. No fields of its own: it inherits the
    dataclass (fields, ``__init__``, frozen attributes) and adds methods only."""

    def candidates_frame(self):
        """The ranked candidates as a tidy, typed pandas DataFrame (``alkseq.frames``)."""
        from alkseq.frames import candidates_frame
        return candidates_frame([self])

    def calls_frame(self):
        """The drug-sensitivity matrix as a tidy, typed pandas DataFrame (``alkseq.frames``)."""
        from alkseq.frames import calls_frame
        return calls_frame([self])

    def _repr_html_(self) -> str:
        return report_card_html(self)

    def __eq__(self, other) -> bool:
        if not isinstance(other, Report):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in fields(Report))

    __hash__ = Report.__hash__


def notebook_report(report: Report) -> NotebookReport:
    return report if isinstance(report, NotebookReport) else \
        NotebookReport(**{f.name: getattr(report, f.name) for f in fields(Report) if f.init})


def report_card_html(report: Report) -> str:
    """The HTML writer's report for one sample, isolated in an iframe (its styles stay its
    own) — what Jupyter shows for a report."""
    from html import escape

    from alkseq.report import html as html_writer

    page = html_writer.render([report])
    return (f'<iframe srcdoc="{escape(page, quote=True)}" title="alkseq report '
            f'{escape(report.sample, quote=True)}" style="width:100%;height:720px;border:0">'
            "</iframe>")


class Reports(list):
    """The reports of one input, in file order: a plain ``list`` of ``Report`` with tidy
    frames over all of them and a short repr (a notebook shows one line per sample)."""

    def candidates_frame(self):
        """Every report's ranked candidates, one row each (see ``alkseq.frames``)."""
        from alkseq.frames import candidates_frame
        return candidates_frame(self)

    def calls_frame(self):
        """Every report's sensitivity matrix, one row per drug (see ``alkseq.frames``)."""
        from alkseq.frames import calls_frame
        return calls_frame(self)

    def __repr__(self) -> str:
        return "[" + ",\n ".join(repr(r) for r in self) + "]"

    def _repr_html_(self) -> str:
        return "".join(r._repr_html_() for r in self)


def _is_knowledge_base(knowledge) -> bool:
    from alkseq.knowledge.kb import KnowledgeBase

    return isinstance(knowledge, KnowledgeBase)


def annotate(path: str | Path, prior: Iterable[str] = (), *, bam: str | Path | None = None,
             build: str | None = None, sample: str | None = None,
             sample_name: str | None = None, knowledge=None,
             histology: str | None = None, progression: str | None = None,
             specimen: str | None = None, fasta: str | Path | None = None,
             input_format: str | None = None, include_filtered: bool | None = None,
             amp_threshold: float | None = None, options=None) -> Reports:
    """Read any supported input (a path, or a pandas DataFrame in panel-table or MAF
    columns) and interpret each sample in it; the same options as ``alkseq annotate``.

    ``sample`` picks the tumour sample inside the input (VCF column, MAF barcode, table
    sample); ``sample_name`` renames the one sample reported (a DataFrame's sample is
    otherwise named ``dataframe``). ``knowledge``: an overlay folder, or a knowledge base
    already loaded (``alkseq.knowledge.load_knowledge``: many inputs interpreted with one
    knowledge base, as a batch does). Returns ``Reports``, a list with tidy frames.

    >>> import pandas as pd, alkseq
    >>> panel = pd.DataFrame({"gene": ["ALK", "ALK"], "alteration": ["EML4-ALK v3", "G1202R"]})
    >>> reports = alkseq.annotate(panel, prior=["alectinib"], sample_name="PT001")
    >>> report = reports[0]
    >>> report.sample, report.mechanism_class, report.candidates[0].drugs
    ('PT001', 'alk_dependent', ('lorlatinib',))
    >>> frame = report.candidates_frame()
    >>> top = frame.iloc[0]
    >>> int(top["rank"]), top["therapy"], top["evidence_level"]
    (1, 'Lorlatinib', 'A')
    >>> calls = report.calls_frame().set_index("drug")
    >>> str(calls.loc["lorlatinib", "drug_class"]), str(calls.loc["alectinib", "drug_class"])
    ('sensitive', 'resistant')
    """
    import functools
    from dataclasses import replace
    from pathlib import Path

    from alkseq.errors import UsageError
    from alkseq.readers import ReadOptions, read_input

    given = {"bam": bam, "build": build, "sample": sample, "fasta": fasta,
             "input_format": input_format, "include_filtered": include_filtered,
             "amp_threshold": amp_threshold}
    options = replace(options or ReadOptions(),
                      **{k: (str(v) if isinstance(v, Path) else v)
                         for k, v in given.items() if v is not None})
    from alkseq.readers._source import require_file

    for extra, what in ((options.bam, "BAM/CRAM file"), (options.fasta, "FASTA file")):
        if extra:
            require_file(extra, what)   # one line, exit 3, before anything is read
    # the caller's own ``meanwhile`` (the CLI's writers) runs with this one's preparation: while the
    # reader's helper reads, with ``helper_process``, else first, before anything is read
    also = options.meanwhile
    prepared = functools.cache(lambda: _prepare(knowledge, prior, histology, progression, specimen, also))
    options = replace(options, meanwhile=prepared if options.helper_process else None)
    if options.meanwhile is None:
        prepared()
    with _as_file(path) as (local, shown):
        reports = Reports()
        samples = read_input(local, options)
        kb, context, interpret, normalise_alterations, normalise_compounds = prepared()
        for data in samples:
            # one order: read → normalise → phase → interpret (compounds are built from canonical changes)
            alterations, normal_warnings = normalise_alterations(list(data.alterations), kb.alk_protein)
            data = replace(data, alterations=tuple(alterations),
                           compounds=tuple(normalise_compounds(data.compounds, kb.alk_protein)))
            compounds = list(data.compounds)
            phase_warnings: list[str] = []
            if options.bam or not compounds:
                compounds = _phase(data, options, phase_warnings) or compounds
            report = interpret(data.alterations, context, kb, compounds=compounds,
                               sample=data.sample, input_path=shown,
                               input_format=data.input_format, build=data.build,
                               reader_warnings=tuple(data.warnings) + tuple(normal_warnings)
                               + tuple(phase_warnings))
            reports.append(notebook_report(replace(report, amp_threshold=options.amp_threshold)))
    if sample_name is not None:
        if len(reports) != 1:
            raise UsageError(f"sample_name needs one sample; the input holds {len(reports)}",
                             hint="choose one with sample=")
        reports = Reports([replace(reports[0], sample=sample_name)])
    return reports


def _prepare(knowledge, prior, histology, progression, specimen, also=None):
    """What interpreting a sample needs, apart from the sample: (knowledge base, the patient's
    ``Context``, ``interpret``, the two normalisers), their modules imported here; ``also()`` first."""
    if also is not None:
        also()
    from alkseq.genome import phase  # noqa: F401 — ``_phase``'s, imported here: off the read's critical path
    from alkseq.interpret import interpret
    from alkseq.knowledge import load_knowledge
    from alkseq.normalise import normalise_alterations, normalise_compounds

    kb = knowledge if _is_knowledge_base(knowledge) else load_knowledge(overlay=knowledge)
    return kb, make_context(kb, prior, histology, progression, specimen), interpret, \
        normalise_alterations, normalise_compounds


class _as_file:
    """A path as given, or a DataFrame written to a scratch ``dataframe.tsv`` for the
    readers (which sniff it like any table); yields (path to read, path to report)."""

    def __init__(self, source):
        self.source = source
        self.scratch = None

    def __enter__(self):
        if not hasattr(self.source, "to_csv"):
            return self.source, str(self.source)
        import tempfile
        from pathlib import Path

        self.scratch = tempfile.TemporaryDirectory(prefix="alkseq-frame-")
        local = Path(self.scratch.name) / "dataframe.tsv"
        self.source.to_csv(local, sep="\t", index=False)
        return local, "<DataFrame>"

    def __exit__(self, *exc):
        if self.scratch is not None:
            self.scratch.cleanup()
        return False


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
