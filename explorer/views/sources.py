"""Every document the evidence cites, with its address."""

from __future__ import annotations

from .. import content, html
from ..load import Dataset
from ..state import ViewState
from .base import Content, Html, Links, View

__all__ = ["VIEW", "SourcesView"]


class SourcesView(View):
    """The sources table as a reference list."""

    name = "sources"

    def content(self, ds: Dataset, state: ViewState, links: Links) -> Content:
        cited = (set(ds.citations().source_id) if links.kind == "briefing"
                 else set(ds.sources.source_id))
        rows = content.source_rows(ds, cited, show_url=True)
        body = html.render("static_sources.html.j2", title=self.title, sources=rows,
                           count=html.count(len(rows), "source"))
        return Content(self.title, (Html("sources", body),))

    def briefing_states(self, ds: Dataset) -> tuple[dict[str, str], ...]:
        return ({},)


VIEW = SourcesView()
