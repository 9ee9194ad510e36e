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


DIRECTNESS_WORDS = {"primary": "primary source", "primary_abstract": "primary source, abstract",
                    "curated_summary": "curated summary of a primary source",
                    "review": "review", "guideline": "guideline",
                    "tertiary": "tertiary source, not independent support"}


def identifier(source: str) -> str:
    """How the identifier reads in a reference list: 'PMID 22277784', 'doi:10.…', 'NCT…'."""
    if source.startswith("PMID:"):
        return "PMID " + source[5:]
    if source.startswith("DOI:"):
        return "doi:" + source[4:]
    if source.startswith("URL:"):
        host = source[4:].split("//", 1)[-1].split("/", 1)[0]
        return host.removeprefix("www.")
    return source


def reference_view(source: str, ref=None) -> dict:
    """One numbered reference as people cite it: the curated citation (authors, journal,
    year;volume:pages), the title, the identifier and link, and how directly it was used.
    ``ref`` is the report's ``Reference`` for ``source`` (None when the report lacks it)."""
    citation = (ref.citation if ref is not None and ref.citation else "")
    title = ref.title if ref is not None else ""
    directness = ref.directness if ref is not None else ""
    return {"source": source, "citation": citation or identifier(source), "title": title,
            "year": ref.year if ref is not None else "", "id": identifier(source),
            "url": source_url(source) or (ref.url if ref is not None and ref.url else None),
            "directness": DIRECTNESS_WORDS.get(directness, directness.replace("_", " "))}


def reference_line(n: int, view: dict) -> str:
    """A reference as one line of text: '[3] Lin JJ … Cancer Discov 2017;7(2):137-55. Title.
    PMID 1 https://…  (review)'."""
    parts = [f"[{n}] {view['citation'].rstrip('.')}."]
    if view["title"] and view["title"] not in view["citation"]:
        parts.append(view["title"].rstrip(".") + ".")
    link = view["url"] or ""
    ident = view["id"] if view["id"] not in view["citation"] else ""
    parts.append(" ".join(x for x in (ident, link) if x))
    line = " ".join(p for p in parts if p)
    return line + (f" ({view['directness']})" if view["directness"] else "")


def cited_as(citation: Citation, references) -> str:
    """One citation in one cell: curated citation text (else the identifier), its identifier
    when the text lacks it, and the locator: 'Lin JJ … 2017;7(2):137-55 [URL…] (Table 2)'."""
    ref = next((x for x in references if x.source == citation.source), None)
    text = ref.citation if ref is not None and ref.citation else ""
    body = f"{text} [{citation.source}]" if text else citation.source
    return body + (f" ({citation.locator})" if citation.locator else "")
