"""Links for citations, shared by every writer."""
from __future__ import annotations

from alkseq.model import Citation


def source_url(source: str) -> str | None:
    if source.startswith("PMID:"):
        return f"https://pubmed.ncbi.nlm.nih.gov/{source[5:]}/"
    if source.startswith("DOI:"):
        return f"https://doi.org/{source[4:]}"
    if source.startswith("NCT"):
        return f"https://clinicaltrials.gov/study/{source}"
    if source.startswith("URL:"):
        return source[4:]
    return None


def citation_dict(c: Citation) -> dict:
    return {"source": c.source, "locator": c.locator, "directness": c.directness,
            "url": source_url(c.source)}


def citation_short(c: Citation) -> str:
    src = c.source
    if src.startswith("URL:"):
        host, _, rest = src[4:].split("//", 1)[-1].partition("/")
        tail = "/".join(rest.split("/")[:2])
        src = f"{host.removeprefix('www.')}/{tail}" if tail else host
    return f"{src} ({c.locator})" if c.locator else src
