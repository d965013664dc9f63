"""Activities vs mechanisms: across projects, activity types → mechanisms → outcome domains."""

from __future__ import annotations

from .. import figures, html, query
from ..content import flow_tables
from .frame import Page, guarded, html_widget
from .matrix import FILTER_HELP, facet_choices
from .widgets import FacetFilters

__all__ = ["FLOW_FACETS", "FlowsPage"]

FLOW_FACETS = ("project", "strength", "activity_type")
class FlowsPage(Page):
    """Across projects: does the same kind of activity lead to the same mechanism?"""

    name = "flows"

    def build(self) -> None:
        chosen = {facet: list(self.state.many(facet)) for facet in FLOW_FACETS
                  if self.state.many(facet)}
        # render() below fills in the facets and their counts, once.
        self.filters = FacetFilters(value=chosen, help=FILTER_HELP, expanded=bool(chosen))
        self.filters.observe(self._on_change, "value")
        chart = self.chart("flows", "activities-mechanisms")
        self.tables = html_widget()
        self.body.children = [
            html_widget(html.fragment(
                "header", self.spec.title,
                "Each band joins a kind of activity to a mechanism it activated (colour = "
                "strength), then to the outcomes that show it. The same activity can lead to "
                "different mechanisms, or to none, in different projects.")),
            self.filters, chart, self.tables,
        ]
        self.render()

    def describe_view(self) -> str:
        return query.describe_filters(self.ds, self.state.filters())

    @guarded
    def _on_change(self, change: object = None) -> None:
        self.state = self.state.with_values(
            **{facet: tuple(self.filters.value.get(facet, ())) for facet in FLOW_FACETS})
        self.render()

    def render(self) -> None:
        filters = self.state.filters()
        links = query.activity_mechanism_links(self.ds, filters)
        self.draw("flows", figures.flows_figure(links), figures.describe_flows(links))
        with self.widget.hold_sync():
            self.filters.facets = facet_choices(self.ds, filters, FLOW_FACETS)
            self.tables.value = str(flow_tables(links))
        self.sync()
