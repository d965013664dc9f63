"""Every document the evidence cites, with its address, and the list for reference managers."""

from __future__ import annotations

from ...data.load import Dataset
from ...render import content, html, references
from ...render.blocks import Block, Content, Download, Html, Links
from ..state import ViewState
from .base import View

__all__ = ["VIEW", "SourcesView", "reference_downloads"]


def reference_downloads(ds: Dataset, static: bool = True) -> list[Block]:
    """Every source as RIS and as BibTeX (``explorer.render.references``), for the pages that
    offer them (the sources page, the matrix); ``static``: the static site writes them."""
    return [
        Download("sources-ris", "Download every source for a reference manager (RIS)",
                 references.references_filename(ds, "ris"), references.RIS_MIMETYPE,
                 lambda: references.sources_ris(ds).encode("utf-8"),
                 help="Every source with its title, authors, publisher, date, address and "
                      "when it was read, for Zotero, EndNote or Mendeley.", static=static),
        Download("sources-bib", "Download every source for a reference manager (BibTeX)",
                 references.references_filename(ds, "bibtex"), references.BIBTEX_MIMETYPE,
                 lambda: references.sources_bibtex(ds).encode("utf-8"),
                 help="The same sources as BibTeX, for LaTeX and most reference managers.",
                 static=static),
    ]


class SourcesView(View):
    """The sources table as a reference list, with files for reference managers."""

    name = "sources"

    def content(self, ds: Dataset, state: ViewState, links: Links) -> Content:
        cited = (set(ds.citations().source_id) if links.whole_programme
                 else set(ds.sources.source_id))
        rows = content.source_rows(ds, cited, show_url=True)
        body = html.render("static_sources.html.j2", title=self.title, sources=rows,
                           count=html.count(len(rows), "source"))
        return Content(self.title, (Html("sources", body), *reference_downloads(ds)))

    def briefing_states(self, ds: Dataset) -> tuple[dict[str, str], ...]:
        return ({},)


VIEW = SourcesView()
