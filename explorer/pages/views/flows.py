"""Activities vs mechanisms: across projects, activity types → mechanisms → outcome domains."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ...data.descriptor.facets import ACTIVITY_TYPE, PROJECT, STRENGTH
from ...data.load import Dataset
from ...evidence import query
from ...render import content, figures, html
from ...render.blocks import Chart, Content, Download, FacetFilter, Html, Links
from ...render.downloads import table_csv
from ..parameters import Parameter, facet_parameters
from ..state import ViewState
from .base import View
from .matrix import FILTER_HELP, facet_choices

__all__ = ["FLOW_FACETS", "VIEW", "FlowsView"]

FLOW_FACETS = (PROJECT, STRENGTH, ACTIVITY_TYPE)
INTRO = ("Each band joins a kind of activity to a mechanism it activated (colour = strength), "
         "then to the outcomes that show it. The same activity can lead to different "
         "mechanisms, or to none, in different projects.")


class FlowsView(View):
    """Across projects: does the same kind of activity lead to the same mechanism?"""

    name = "flows"

    def parameters(self, ds: Dataset) -> dict[str, Parameter]:
        return facet_parameters(ds)

    def describe(self, ds: Dataset, state: ViewState) -> str:
        return query.describe_filters(ds, state.filters(ds))

    def statement(self, ds: Dataset, state: ViewState) -> str:
        """How many activity types lead to how many mechanisms with these filters."""
        links = query.activity_mechanism_links(ds, state.filters(ds))
        first = links[links.stage == query.ACTIVITY_TO_MECHANISM]
        return (f"{html.count(first.source.nunique(), 'kind')} of activity linked to "
                f"{html.count(first.target.nunique(), 'mechanism')} in the evidence "
                f"({query.describe_filters(ds, state.filters(ds)).lower()}).")

    def shown_ratings(self, ds: Dataset, state: ViewState) -> Iterable[str]:
        """The ratings the filters keep."""
        return query.reader_table(ds, state.filters(ds))["Record"]

    def content(self, ds: Dataset, state: ViewState, links: Links) -> Content:
        filters = state.filters(ds)
        links_table = query.activity_mechanism_links(ds, filters)
        shown = {facet: values for facet, values in filters.active().items()
                 if facet in FLOW_FACETS}
        return Content(self.title, (
            Html("header", html.fragment("header", self.title, INTRO)),
            FacetFilter("filters", facet_choices(ds, filters, FLOW_FACETS), shown,
                        FILTER_HELP, expanded=bool(shown) and not state.presenting),
            Chart("flows", figures.flows_figure(links_table),
                  figures.describe_flows(links_table), "activities-mechanisms"),
            Html("tables", content.flow_tables(links_table)),
            Download("csv", "Download these flows (CSV)", "activities-mechanisms.csv",
                     "text/csv", lambda: table_csv(ds, _flows_frame(links_table)).encode(
                         "utf-8"),
                     help="Both halves of the diagram as one table: from, to, strength and "
                          "how many records.", static=True),
        ), self.describe(ds, state))


def _flows_frame(links: pd.DataFrame) -> pd.DataFrame:
    stages = {stage: f"{source} → {target}" for stage, source, target, _ in content.FLOW_STAGES}
    return pd.DataFrame({"Stage": [stages[s] for s in links.stage], "From": links.source,
                         "To": links.target, "Strength": links.strength_label,
                         "Records": links["count"]})


VIEW = FlowsView()
