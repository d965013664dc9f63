"""The start page: what the evidence is, where to go, and what the data package holds."""

from __future__ import annotations

from .. import html
from ..pages import PAGES
from .frame import Page, html_widget

__all__ = ["IndexPage"]


class IndexPage(Page):
    """Where to start: every page by title and purpose, and the data package at a glance."""

    name = "index"

    def build(self) -> None:
        ds = self.ds
        counts = ds.describe()[["title", "rows"]].rename(columns={"title": "Table",
                                                                   "rows": "Rows"})
        self.body.children = [html_widget(html.render(
            "index.html.j2", programme=self.programme,
            pages=[{"href": spec.notebook, "title": spec.title, "purpose": spec.purpose}
                   for spec in PAGES.values() if spec.name != self.name],
            version=ds.version, data_as_of=ds.data_as_of,
            counts=html.table(counts, "What the data package holds")))]
