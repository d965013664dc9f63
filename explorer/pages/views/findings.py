"""Every finding of the evaluation, grouped by kind, each with its sources."""

from __future__ import annotations

from ...data.load import Dataset
from ...render import content, html
from ...render.blocks import Content, Html, Links
from ..state import ViewState
from .base import View

__all__ = ["VIEW", "FindingsView"]


class FindingsView(View):
    """What the evaluation found, recommended and asked (the static site's own page; the
    live explorer shows the same inside the overview)."""

    name = "findings"

    def content(self, ds: Dataset, state: ViewState, links: Links) -> Content:
        exclude = ("headline",) if links.whole_programme else ()
        body = html.render("static_findings.html.j2", title=self.title,
                           groups=content.all_finding_groups(ds, exclude=exclude))
        return Content(self.title, (Html("findings", body),))

    def briefing_states(self, ds: Dataset) -> tuple[dict[str, str], ...]:
        return ({},)


VIEW = FindingsView()
