"""Protein changes a VCF already carries (VEP ``CSQ``, snpEff ``ANN``), for bypass genes without a
shipped hotspot."""
from __future__ import annotations

from alkseq.readers.vcf.header import Header
from alkseq.readers.vcf.records import as_list, Call

def annotation_change(call: Call, alt: str, gene: str, header: Header, mane: set[str]) -> str | None:
    """HGVSp of the MANE/canonical transcript from VEP CSQ or snpEff ANN, for this allele and gene."""
    candidates: list[tuple[int, str]] = []
    for key, fields, gene_key, feature_key, hgvs_key in (
            ("CSQ", header.csq_fields, "SYMBOL", "Feature", "HGVSp"),
            ("ANN", header.ann_fields, "Gene_Name", "Feature_ID", "HGVS.p")):
        text = call.info.get(key)
        if not text or not fields or hgvs_key not in fields:
            continue
        for entry in as_list(text) if isinstance(text, list) else str(text).split(","):
            values = str(entry).split("|")
            row = dict(zip(fields, values))
            if row.get(gene_key) != gene or not row.get(hgvs_key):
                continue
            allele = row.get("Allele", alt)
            if len(call.alts) > 1 and allele not in (alt, alt[1:], "-" if len(alt) == 1 else alt):
                continue
            feature = (row.get(feature_key) or "").split(".")[0]
            rank = 0 if (row.get("MANE_SELECT") or feature in mane) else 1 if row.get("CANONICAL") == "YES" else 2
            candidates.append((rank, row[hgvs_key]))
    if not candidates:
        return None
    text = sorted(candidates)[0][1]
    return text.split(":", 1)[-1].replace("%3D", "=")
