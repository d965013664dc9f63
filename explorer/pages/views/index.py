"""The start page: what the evidence is, where to go, and what the data package holds."""

from __future__ import annotations

from ...data.load import Dataset
from ...evidence.programme import Programme
from ...render import html
from ...render.blocks import Content, Html, Links
from ..registry import PAGES
from ..state import ViewState
from .base import View
from .matrix import ALL_RECORDS_CSV

__all__ = ["VIEW", "IndexView"]


class IndexView(View):
    """Where to start: every page by title and purpose, and the data package at a glance."""

    name = "index"

    def content(self, ds: Dataset, state: ViewState, links: Links) -> Content:
        counts = ds.describe()[["title", "rows"]].rename(columns={"title": "Table",
                                                                   "rows": "Rows"})
        pages = [{"href": links.href(spec.name), "title": spec.title, "purpose": spec.purpose}
                 for spec in PAGES.values()
                 if spec.name != self.name and links.holds_page(spec.live)]
        body = html.render("index.html.j2", programme=Programme.of(ds), pages=pages,
                           version=ds.version, data_as_of=ds.data_as_of,
                           counts=html.table(counts, "What the data package holds"))
        blocks = [Html("index", body)]
        if links.linked_files:
            blocks.append(Html("static-note", html.render("static_note.html.j2",
                                                           csv=ALL_RECORDS_CSV)))
        return Content(self.title, tuple(blocks))


VIEW = IndexView()
