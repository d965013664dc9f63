"""Where the sources disagree, grouped by project, and what the data uses."""

from __future__ import annotations

from ...data.descriptor.facets import PROJECT
from ...data.load import Dataset
from ...evidence import query
from ...render import content, html
from ...render.blocks import Content, Html, Links
from ..state import ViewState
from .base import View

__all__ = ["VIEW", "DiscrepanciesView"]


class DiscrepanciesView(View):
    """Every disagreement between sources, kept as data."""

    name = "discrepancies"

    def content(self, ds: Dataset, state: ViewState, links: Links) -> Content:
        groups = []
        general = ds.discrepancies[ds.discrepancies.project_id.isna()]
        if len(general):
            groups.append({"title": "The programme", "href": "",
                           "items": content.discrepancy_items(ds, general)})
        for project_id, name in query.facet_options(ds, PROJECT).items():
            part = ds.discrepancies[ds.discrepancies.project_id == project_id]
            if len(part):
                groups.append({"title": name, "href": links.href("story", project=project_id),
                               "items": content.discrepancy_items(ds, part)})
        body = html.render("static_discrepancies.html.j2", title=self.title, groups=groups,
                           count=html.count(len(ds.discrepancies), "place"))
        return Content(self.title, (Html("discrepancies", body),))

    def briefing_states(self, ds: Dataset) -> tuple[dict[str, str], ...]:
        return ({},)


VIEW = DiscrepanciesView()
