"""MAF and cBioPortal tables: mutations (MAF), structural variants, discrete copy number.

Supported:

* **MAF** (GDC, cBioPortal ``data_mutations*.maf``, vcf2maf): optional ``#version`` lines,
  then a header with ``Hugo_Symbol`` and ``Tumor_Sample_Barcode`` (or ``HGVSp_Short``).
  One ``SampleData`` per ``Tumor_Sample_Barcode`` (the file stem when the column is absent).
  Protein change from ``HGVSp_Short``, else ``HGVSp``, ``Protein_Change``,
  ``Amino_Acid_Change``; VAF/depth from ``t_alt_count``/``t_depth`` (else ``t_ref_count``
  + ``t_alt_count``, else ``tumor_f``/``t_vaf``); build from ``NCBI_Build``; the genomic
  record from ``Chromosome``/``Start_Position``/``Reference_Allele``/``Tumor_Seq_Allele2``
  kept as written in the MAF (insertions have ``-`` as reference; not VCF-normalised).
  Rows in genes alkseq knows go through the genome layer as VCF records do
  (``alkseq.genome.locate``): REF checked against the shipped ALK sequence and the build
  voted on (a contradicted NCBI_Build/--build is a ``BuildMismatchError``, exit 4), ALK
  translated on NM_004304.5 from the coordinates (a protein column that disagrees is
  warned about; alkseq's translation kept), bypass genes from the shipped hotspot table.
  Silent/Intron/UTR/Flank/IGR/RNA rows are skipped unless they carry a non-synonymous
  protein change; ``Splice_Site`` rows are kept even without one. Rows whose ``FILTER`` is
  neither empty, ``.`` nor ``PASS`` are skipped unless ``include_filtered``.
* **cBioPortal structural variants** (``Sample_Id``, ``Site1_Hugo_Symbol``,
  ``Site2_Hugo_Symbol``): Site1 is read as the 5' gene. ALK rows become fusions with the
  partner, exons (``Site1_Exon``/``Site1_Region_Number``) and EML4-ALK variant label.
* **cBioPortal discrete copy number**, wide (``Hugo_Symbol`` [``Entrez_Gene_Id``]
  + one column per sample) or long (``Hugo_Symbol``, ``Sample_Id``, ``Value``):
  2 → amplification, 1 → gain, -2 → deletion (homozygous), -1 → "shallow deletion"
  (kind ``other``: a one-copy loss is not a loss of function), 0/NA → nothing.

Not supported: cBioPortal's legacy ``data_fusion.txt`` and continuous CNA/log2 files.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from alkseq.errors import (InputError, InputTooLargeError, ParseError, SampleNotFoundError,
                           printable, quote)
from alkseq.genome.protein import parse_protein_change
from alkseq.model import Alteration, GenomicVariant, Origin
from alkseq.readers.cells import number_cell
from alkseq.readers._text import check_cells, text_lines

FORMAT = "maf"

PROTEIN_COLUMNS = ("HGVSp_Short", "HGVSp", "Protein_Change", "Amino_Acid_Change")
SKIPPED_CLASSES = frozenset(c.lower() for c in (
    "Silent", "Intron", "3'UTR", "5'UTR", "3'Flank", "5'Flank", "IGR", "RNA", "lincRNA",
    "Targeted_Region", "Splice_Region", "De_novo_Start_InFrame", "De_novo_Start_OutOfFrame"))
SPLICE_CLASSES = frozenset(("splice_site",))
EMPTY = frozenset(("", ".", "na", "n/a", "nan", "none", "null", "-"))
BUILDS = {"37": "GRCh37", "grch37": "GRCh37", "hg19": "GRCh37", "b37": "GRCh37",
          "38": "GRCh38", "grch38": "GRCh38", "hg38": "GRCh38"}
DISCRETE_CNA = {"2": ("amplification", "amplification"), "1": ("gain", "gain"),
                "-1": ("other", "shallow deletion"), "-2": ("deletion", "deep deletion")}
_DISCRETE_VALUES = frozenset(("-2", "-1", "0", "1", "2", "-1.5", "na", "nan", ""))


_parse_protein_change = lru_cache(maxsize=65536)(parse_protein_change)  # MAFs repeat changes


# --------------------------------------------------------------------------- sniffing

def _header_line(text: str) -> tuple[int, list[str]] | None:
    """(1-based line number, cells) of the first line that is not a ``#`` comment."""
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("#") or not line.strip():
            continue
        return number, line.rstrip("\r\n").split("\t")
    return None


def _kind_of(cells: list[str], text: str = "") -> str | None:
    """Which of the table kinds a header (and its first rows) belongs to."""
    names = {c.strip().lower() for c in cells}
    if {"hugo_symbol", "fusion"} <= names and not names & {"hgvsp_short", "variant_classification"}:
        return "fusion_legacy"
    if "hugo_symbol" in names and ("tumor_sample_barcode" in names or "hgvsp_short" in names):
        return "mutations"
    if {"site1_hugo_symbol", "site2_hugo_symbol"} <= names and (
            "sample_id" in names or "tumor_sample_barcode" in names):
        return "sv"
    if {"hugo_symbol", "sample_id", "value"} <= names:
        return "cna_long"
    first = cells[0].strip().lower() if cells else ""
    if first == "hugo_symbol" and len(cells) >= 2 and text:
        samples = [i for i, c in enumerate(cells)
                   if c.strip().lower() not in ("hugo_symbol", "entrez_gene_id", "cytoband")]
        if not samples:
            return None
        rows = [line.split("\t") for line in text.splitlines()[1:6]
                if line.strip() and not line.startswith("#")]
        if rows and all(len(row) == len(cells) and
                        all(row[i].strip().lower() in _DISCRETE_VALUES for i in samples)
                        for row in rows):
            return "cna_wide"
    return None


def sniff(head: bytes, path: Path | None = None) -> bool:
    """A tab-separated table whose header names MAF or cBioPortal SV/CNA columns."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    found = _header_line(text)
    if not found or len(found[1]) < 2:
        return False
    number, cells = found
    body = "\n".join(text.splitlines()[number - 1:])
    return _kind_of(cells, body) not in (None, "fusion_legacy")


# --------------------------------------------------------------------------- reading

@dataclass
class _Table:
    """A MAF-like table being read: its columns by lower-case name and its rows, streamed once."""

    path: Path
    header_line: int
    columns: list[str]
    index: dict[str, int]          # lower-case column name -> position
    rows: Iterator[tuple[int, list[str]]]   # streamed once: (line number, cells)

    def cell(self, row: list[str], *names: str) -> str:
        """First non-empty cell among the named columns ('' when none)."""
        for name in names:
            position = self.index.get(name.lower())
            if position is not None and position < len(row):
                value = row[position].strip()
                if value.lower() not in EMPTY:
                    return value
        return ""

    def has(self, name: str) -> bool:
        return name.lower() in self.index

    kept: int = 0

    def keep(self, alterations: list[Alteration], alteration: Alteration, number: int) -> None:
        """Append, counting against ``MAX_ALTERATIONS``."""
        self.kept += 1
        if self.kept > MAX_ALTERATIONS:
            raise InputTooLargeError(f"more than {MAX_ALTERATIONS:,} alterations",
                                     path=str(self.path), line=number,
                                     hint="pick one sample with --sample or split the file")
        alterations.append(alteration)


MAX_ALTERATIONS = 5_000_000
"""Alterations kept per file (after --sample); bounds memory (about 1 KB each). A whole
TCGA MC3 MAF (3.6 million rows) fits; pick a sample with --sample for larger cohorts."""


def _read_table(path: Path) -> tuple[_Table, list[tuple[int, list[str]]]]:
    """Header and a stream of rows (with line numbers); also the first rows, for sniffing."""
    lines = text_lines(path)
    header_line = None
    columns: list[str] = []
    for number, line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        header_line, columns = number, [c.strip() for c in line.split("\t")]
        break
    if header_line is None:
        raise InputError("no header line", path=str(path))
    check_cells(columns, path, header_line)

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, line in lines:
            if not line.strip() or line.startswith("#"):
                continue
            yield number, line.split("\t")

    stream = rows()
    first = list(itertools.islice(stream, 5))
    index: dict[str, int] = {}
    for position, name in enumerate(columns):
        index.setdefault(name.lower(), position)
    return _Table(path, header_line, columns, index, itertools.chain(first, stream)), first


def _check_width(table: _Table, number: int, cells: list[str]) -> list[str]:
    """Rows may lose trailing empty cells; rows with extra cells are broken."""
    check_cells(cells, table.path, number, table.columns)
    if len(cells) > len(table.columns):
        if any(c.strip() for c in cells[len(table.columns):]):
            raise InputError(f"{len(cells)} cells but the header has {len(table.columns)} "
                             "columns", path=str(table.path), line=number,
                             hint="is a value containing a tab, or is the row shifted?")
        cells = cells[:len(table.columns)]
    return cells + [""] * (len(table.columns) - len(cells))


def _build_name(value: str, table: _Table, number: int) -> str | None:
    if not value:
        return None
    build = BUILDS.get(value.strip().lower())
    if build is None:
        raise InputError(f"unknown NCBI_Build {quote(value)}", path=str(table.path), line=number,
                         hint="expected GRCh37/GRCh38 (or 37/38, hg19/hg38)")
    return build


def _integer(value: str, column: str, table: _Table, number: int) -> int | None:
    return number_cell(value, f"{column} ", path=table.path, line=number, integer=True)


def read(path: str | Path, options=None) -> list:
    """Read a MAF or cBioPortal SV/CNA table into one ``SampleData`` per sample."""
    from alkseq.readers import ReadOptions

    options = options or ReadOptions()
    path = Path(path)
    table, first = _read_table(path)
    body = "\n".join("\t".join(cells) for _, cells in first)
    kind = _kind_of(table.columns, "\t".join(table.columns) + "\n" + body)
    if kind is None:
        raise InputError("not a MAF or cBioPortal SV/CNA table: the header lacks "
                         "Hugo_Symbol + Tumor_Sample_Barcode/HGVSp_Short "
                         "(or Site1_Hugo_Symbol/Site2_Hugo_Symbol, or a discrete CNA layout)",
                         path=str(path), line=table.header_line)
    if kind == "fusion_legacy":
        raise InputError("cBioPortal legacy fusion file (data_fusion.txt) is not supported",
                         path=str(path), line=table.header_line,
                         hint="convert it to the structural-variant format "
                              "(Site1_Hugo_Symbol/Site2_Hugo_Symbol) or a panel table")
    reader = {"mutations": _read_mutations, "sv": _read_sv,
              "cna_long": _read_cna_long, "cna_wide": _read_cna_wide}[kind]
    per_sample, warnings, builds = reader(table, options)
    return _samples(path, kind, per_sample, warnings, builds, options)


def _samples(path: Path, kind: str, per_sample: dict[str, list[Alteration]],
             warnings: dict[str, list[str]], builds: dict[str, set[str]], options) -> list:
    from alkseq.readers import SampleData

    names = list(per_sample)
    if options.sample is not None:
        if options.sample not in per_sample:
            raise SampleNotFoundError(options.sample, names, path=str(path))
        names = [options.sample]
    if not names:
        names = [printable(path.name.split(".")[0])]
        per_sample.setdefault(names[0], [])
    out = []
    for name in names:
        notes = list(warnings.get(name, ()))
        found = sorted(builds.get(name, set()))
        if len(found) > 1:
            notes.append(f"sample {name} mixes builds {', '.join(found)} in NCBI_Build")
        file_build = found[0] if len(found) == 1 else None
        build = options.build or file_build
        if options.build and file_build and options.build != file_build:
            notes.append(f"--build {options.build} overrides NCBI_Build {file_build} in the file")
        out.append(SampleData(sample=name, alterations=tuple(per_sample[name]),
                              input_format=FORMAT, path=str(path), build=build,
                              warnings=tuple(notes), metadata={"table": kind}))
    return out


# --------------------------------------------------------------------------- mutations

def _read_mutations(table: _Table, options):
    per_sample: dict[str, list[Alteration]] = {}
    warnings: dict[str, list[str]] = {}
    builds: dict[str, set[str]] = {}
    stem = printable(table.path.name.split(".")[0])
    protein_columns = [c for c in PROTEIN_COLUMNS if table.has(c)]
    genome = _Genome(options.fasta, options.build)
    for number, cells in table.rows:
        cells = _check_width(table, number, cells)
        sample = table.cell(cells, "Tumor_Sample_Barcode") or stem
        per_sample.setdefault(sample, [])
        if options.sample is not None and sample != options.sample:
            continue
        alteration, warning, build = _mutation_row(table, number, cells, protein_columns, options, genome)
        if build:
            builds.setdefault(sample, set()).add(build)
        if warning:
            warnings.setdefault(sample, []).append(warning)
        if alteration is not None:
            table.keep(per_sample[sample], alteration, number)
    genome.check_builds(table.path)
    return per_sample, warnings, builds


def _mutation_row(table: _Table, number: int, cells: list[str], protein_columns: list[str],
                  options, genome: _Genome) -> tuple[Alteration | None, str | None, str | None]:
    """One MAF row → (alteration or None when skipped, warning or None, build or None)."""
    where = f"{table.path}:{number}"
    gene = table.cell(cells, "Hugo_Symbol")
    if not gene:
        raise InputError("empty Hugo_Symbol", path=str(table.path), line=number)
    build = _build_name(table.cell(cells, "NCBI_Build"), table, number)
    variant_class = table.cell(cells, "Variant_Classification")
    filter_value = table.cell(cells, "FILTER")
    if filter_value and filter_value.upper() != "PASS" and not options.include_filtered:
        return None, None, build
    raw_change, change_column = "", None
    for column in protein_columns:
        raw_change = table.cell(cells, column)
        if raw_change:
            change_column = column
            break
    depth = _integer(table.cell(cells, "t_depth"), "t_depth", table, number)
    alt_count = _integer(table.cell(cells, "t_alt_count"), "t_alt_count", table, number)
    ref_count = _integer(table.cell(cells, "t_ref_count"), "t_ref_count", table, number)
    if depth is None and alt_count is not None and ref_count is not None:
        depth = alt_count + ref_count
    vaf = None
    if alt_count is not None and depth:
        if alt_count > depth:
            raise ParseError(f"t_alt_count {alt_count} exceeds t_depth {depth}",
                             path=str(table.path), line=number)
        vaf = round(alt_count / depth, 4)
    elif table.cell(cells, "tumor_f", "t_vaf"):
        text = table.cell(cells, "tumor_f", "t_vaf")
        try:
            vaf = float(text)
        except ValueError:
            raise ParseError(f"tumor_f {quote(text)} is not a number", path=str(table.path),
                             line=number) from None
        if not 0 <= vaf <= 1:
            raise ParseError(f"tumor_f {quote(text)} is outside 0–1", path=str(table.path),
                             line=number)
    genomic = _genomic(table, number, cells, build or options.build)

    notes: list[str] = []
    if variant_class:
        notes.append(f"Variant_Classification={variant_class}")
    is_splice = variant_class.lower() in SPLICE_CLASSES or raw_change.lower().endswith("_splice")
    protein_change = None
    warning = None
    label = raw_change or None
    if raw_change and not raw_change.lower().endswith("_splice"):
        try:
            _, protein_change = _parse_protein_change(raw_change)
        except ParseError as exc:
            warning = f"{where}: {gene} protein change not understood ({exc.message}); " \
                      "kept without a protein change"
            notes.append(f"protein change {quote(raw_change)} not parsed")
    row_build = options.build or build
    if genomic is not None and row_build and gene.upper() in genome.genes(row_build):
        genome.vote(row_build, genomic)
        if not warning:
            protein_change, more_notes, warning = _through_genome(genome, table, number, gene.upper(), genomic,
                                                                  row_build, protein_change, change_column)
            notes.extend(more_notes)
    skipped = variant_class.lower() in SKIPPED_CLASSES
    if skipped and (protein_change is None or protein_change.kind == "synonymous") and not warning:
        return None, None, build
    if protein_change is not None and protein_change.kind == "synonymous" and not is_splice:
        return None, None, build
    if protein_change is None and not is_splice and not warning and not raw_change:
        if not variant_class:
            raise InputError(f"{gene}: neither a protein change nor a Variant_Classification",
                             path=str(table.path), line=number)
        label = variant_class  # e.g. Missense_Mutation with the protein column left empty
    if is_splice and protein_change is None:
        hgvs_c = table.cell(cells, "HGVSc")
        label = f"splice site {hgvs_c.split(':')[-1]}" if hgvs_c else "splice site"
    alteration = Alteration(
        gene=gene.upper(), kind="mutation", protein_change=protein_change, vaf=vaf, depth=depth,
        genomic=genomic, label=label,
        origin=Origin(path=str(table.path), line=number,
                      text=f"{gene} {raw_change or variant_class}".strip(), reader=FORMAT),
        notes=tuple(notes))
    return alteration, warning, build


class _Genome:
    """One MAF's way into the genome layer: the genes it knows and each build's reference (a --fasta
    opened once, on the first row that needs it)."""

    def __init__(self, fasta: str | None, given: str | None):
        self.fasta_path, self.fasta, self.given = fasta, None, given
        self.references: dict[str, object] = {}
        self.votes: dict[str, object] = {}     # build → BuildVotes of the rows read as that build
        self.known: dict[str, frozenset[str]] = {}

    def vote(self, build: str, genomic: GenomicVariant) -> None:
        from alkseq.genome.locate import BuildVotes

        votes = self.votes.get(build) or self.votes.setdefault(build, BuildVotes())
        votes.add(genomic.chrom, genomic.pos, genomic.pos + max(len(genomic.ref), 1) - 1, genomic.ref,
                  [genomic.alt])

    def check_builds(self, path: Path) -> None:
        """A build the REF alleles contradict (NCBI_Build or --build) is the VCF path's BuildMismatchError."""
        from alkseq.genome.transcript import other_build

        for build, votes in self.votes.items():
            stated = f"--build {build} was given" if self.given else f"NCBI_Build says {build}"
            hint = f"pass --build {other_build(build)}" if self.given else \
                f"correct NCBI_Build, or pass --build {other_build(build)}"
            error = votes.contradiction(build, str(path), stated, hint)
            if error is not None:
                raise error

    def genes(self, build: str) -> frozenset[str]:
        genes = self.known.get(build)
        if genes is None:
            from alkseq.genome.locate import known_genes

            genes = self.known[build] = known_genes(build)
        return genes

    def reference(self, build: str):
        from alkseq.genome.locate import Reference

        if build not in self.references:
            if self.fasta_path and self.fasta is None:
                from alkseq.genome.transcript import FastaSequence

                self.fasta = FastaSequence(self.fasta_path)
            self.references[build] = Reference(build, self.fasta)
        return self.references[build]


def _through_genome(genome: _Genome, table: _Table, number: int, gene: str, genomic: GenomicVariant,
                    build: str, stated, column: str | None) -> tuple:
    """(protein change, notes, warning) from the row's coordinates, as for a VCF record: REF checked
    against the shipped ALK sequence (a mismatch is the VCF path's ``BuildMismatchError``), ALK
    translated on NM_004304.5 (a row that says otherwise is warned about, alkseq's translation kept),
    a bypass gene by the shipped hotspot table. What the genome layer cannot name stays as the row says."""
    from alkseq.genome.locate import Located, genes_of, locate_small_variant, maf_alleles

    where = f"{table.path}:{number}"
    if gene not in genes_of(build, genomic.chrom, genomic.pos, genomic.ref):
        return stated, (), None
    reference = genome.reference(build)
    if gene == "ALK" and genomic.ref != "-":
        mismatch = reference.mismatch(genomic.chrom, genomic.pos, genomic.ref)
        if mismatch is not None:
            raise mismatch.error(str(table.path), number)
    said = f"the MAF's {column}" if column else "the MAF"
    located = locate_small_variant(reference, genomic.chrom, *maf_alleles(genomic.pos, genomic.ref, genomic.alt),
                                   [gene], annotation=(lambda _gene: stated) if stated is not None else None,
                                   annotation_names=(said, f"protein change from {said}"))
    if not isinstance(located, Located):
        if located.reason == "noncoding" and stated is not None and stated.kind != "synonymous":
            return stated, (), (f"{where}: {gene} {stated.short}: {genomic.chrom}:{genomic.pos} is outside the "
                                f"coding sequence of NM_004304.5 in {build}; the row's protein change is kept")
        return stated, (), None
    change = located.protein_change
    if change is None or stated is not None and change.short == stated.short:
        return stated, (), None
    notes = located.notes if located.notes or gene != "ALK" else \
        (f"protein change translated by alkseq on NM_004304.5 from {genomic.chrom}:{genomic.pos}",)
    return change, notes, "; ".join(f"{where}: {w}" for w in located.warnings) or None


def _genomic(table: _Table, number: int, cells: list[str], build: str | None):
    chrom = table.cell(cells, "Chromosome")
    start = table.cell(cells, "Start_Position", "Start_position")
    if not chrom or not start:
        return None
    position = _integer(start, "Start_Position", table, number)
    ref = table.cell(cells, "Reference_Allele") or "-"
    alt = table.cell(cells, "Tumor_Seq_Allele2")
    if not alt or alt == ref:
        alt = table.cell(cells, "Tumor_Seq_Allele1") or alt
    if not alt:
        return None
    if not re.fullmatch(r"[ACGTNacgtn]+|-", ref) or not re.fullmatch(r"[ACGTNacgtn]+|-", alt):
        raise ParseError(f"alleles {quote(ref)} > {quote(alt)} are not DNA bases",
                         path=str(table.path),
                         line=number)
    hgvs_c = table.cell(cells, "HGVSc") or None
    return GenomicVariant(build=build, chrom=chrom, pos=position, ref=ref.upper(),
                          alt=alt.upper(), hgvs_c=hgvs_c)


# --------------------------------------------------------------------------- structural variants

def _read_sv(table: _Table, options):
    from alkseq.genome.fusion import parse_fusion_description

    per_sample: dict[str, list[Alteration]] = {}
    warnings: dict[str, list[str]] = {}
    builds: dict[str, set[str]] = {}
    for number, cells in table.rows:
        cells = _check_width(table, number, cells)
        sample = table.cell(cells, "Sample_Id", "Tumor_Sample_Barcode")
        if not sample:
            raise InputError("empty Sample_Id", path=str(table.path), line=number)
        per_sample.setdefault(sample, [])
        if options.sample is not None and sample != options.sample:
            continue
        build = _build_name(table.cell(cells, "NCBI_Build"), table, number)
        if build:
            builds.setdefault(sample, set()).add(build)
        gene5 = table.cell(cells, "Site1_Hugo_Symbol").upper()
        gene3 = table.cell(cells, "Site2_Hugo_Symbol").upper()
        if not gene5 and not gene3:
            raise InputError("neither Site1_Hugo_Symbol nor Site2_Hugo_Symbol",
                             path=str(table.path), line=number)
        exon5 = table.cell(cells, "Site1_Exon", "Site1_Region_Number")
        exon3 = table.cell(cells, "Site2_Exon", "Site2_Region_Number")
        event = next((value for value in (table.cell(cells, name) for name in
                                          ("Event_Info", "Annotation", "Site1_Description"))
                      if re.search(r"[A-Z0-9]+(?:-|::)[A-Z0-9]+", value)), "")
        event = re.sub(r"_[12]$", "", event)
        sv_class = table.cell(cells, "Class")
        notes = [f"{name}={table.cell(cells, name)}" for name in
                 ("DNA_Support", "RNA_Support", "Site2_Effect_On_Frame", "Class")
                 if table.cell(cells, name)]
        parsed = None
        description = event if event and re.search(r"[-:_]", event) else ""
        if not description and gene5 and gene3 and gene5 != gene3:
            description = f"{gene5}-{gene3}"
        if exon5 and exon3 and gene5 != gene3:
            description = f"{gene5}-{gene3} e{exon5}::e{exon3}"
            if event and re.search(r"\.E\d+[ab]", event, re.I):
                description = event  # keeps the 6a/6b sub-isoform letter
        if description and gene5 != gene3:
            try:
                parsed = parse_fusion_description(description)
            except ParseError as exc:
                warnings.setdefault(sample, []).append(
                    f"{table.path}:{number}: fusion description not understood ({exc.message})")
        origin = Origin(path=str(table.path), line=number,
                        text=event or f"{gene5}-{gene3}", reader=FORMAT)
        if gene5 == gene3 or not gene5 or not gene3:
            gene = gene5 or gene3
            label = sv_class or event or "structural variant"
            table.keep(per_sample[sample], Alteration(
                gene=gene, kind="other", label=label, origin=origin, notes=tuple(notes)), number)
            continue
        if parsed:
            notes.extend(parsed["notes"])
        is_alk = "ALK" in (gene5, gene3)
        gene = "ALK" if is_alk else gene3
        partner = (gene5 if gene3 == "ALK" else gene3) if is_alk else gene5
        if is_alk and gene5 == "ALK":
            notes.append(f"ALK is the 5' gene (Site1); {gene3} is 3': not an activating "
                         "ALK-kinase fusion as written")
        table.keep(per_sample[sample], Alteration(
            gene=gene, kind="fusion", partner=partner,
            fusion_variant=parsed["variant"] if parsed and gene3 == "ALK" else None,
            breakpoint=parsed["breakpoint"] if parsed else None,
            label=event or f"{gene5}-{gene3}", origin=origin, notes=tuple(notes)), number)
    return per_sample, warnings, builds


# --------------------------------------------------------------------------- discrete CNA

def _cna(gene: str, value: str, table: _Table, number: int, sample: str) -> Alteration | None:
    code = value.strip()
    if code.lower() in EMPTY or code in ("0", "0.0"):
        return None
    if code.endswith(".0"):
        code = code[:-2]
    if code not in DISCRETE_CNA:
        raise ParseError(f"discrete copy-number value {quote(value)} for {quote(gene)} in "
                         f"{quote(sample)} is not "
                         "one of -2, -1, 0, 1, 2", path=str(table.path), line=number)
    kind, label = DISCRETE_CNA[code]
    return Alteration(gene=gene.upper(), kind=kind, label=label,
                      origin=Origin(path=str(table.path), line=number,
                                    text=f"{gene} {sample} {value}", reader=FORMAT),
                      notes=(f"cBioPortal discrete copy number {code} (GISTIC-style call, "
                             "no absolute copy number)",))


def _read_cna_wide(table: _Table, options):
    samples = [(i, name) for i, name in enumerate(table.columns)
               if name.lower() not in ("hugo_symbol", "entrez_gene_id", "cytoband")]
    per_sample: dict[str, list[Alteration]] = {name: [] for _, name in samples}
    for number, cells in table.rows:
        cells = _check_width(table, number, cells)
        gene = table.cell(cells, "Hugo_Symbol")
        if not gene:
            raise InputError("empty Hugo_Symbol", path=str(table.path), line=number)
        for position, name in samples:
            if options.sample is not None and name != options.sample:
                continue
            alteration = _cna(gene, cells[position], table, number, name)
            if alteration is not None:
                table.keep(per_sample[name], alteration, number)
    return per_sample, {}, {}


def _read_cna_long(table: _Table, options):
    per_sample: dict[str, list[Alteration]] = {}
    for number, cells in table.rows:
        cells = _check_width(table, number, cells)
        gene = table.cell(cells, "Hugo_Symbol")
        sample = table.cell(cells, "Sample_Id")
        if not gene or not sample:
            raise InputError("empty Hugo_Symbol or Sample_Id", path=str(table.path), line=number)
        per_sample.setdefault(sample, [])
        if options.sample is not None and sample != options.sample:
            continue
        alteration = _cna(gene, table.cell(cells, "Value"), table, number, sample)
        if alteration is not None:
            table.keep(per_sample[sample], alteration, number)
    return per_sample, {}, {}
