"""Compare two or three projects: their ratings side by side, and where one kind of
activity met different contexts and activated different mechanisms."""

from __future__ import annotations

import ipywidgets as w

from .. import figures, html, query
from ..content import same_activity_table
from ..export import identified_projects
from ..pages import notebook_href
from ..query import Filters
from .frame import Page, guarded, html_widget

__all__ = ["ComparePage"]

NONE = ("— none —", "")


class ComparePage(Page):
    """Two or three projects side by side."""

    name = "compare"

    def build(self) -> None:
        ds = self.ds
        options = query.facet_options(ds, "project")
        chosen = list(self.state.many("project")) or identified_projects(ds)[:2]
        self.pickers = []
        for index in range(3):
            picker = w.Dropdown(
                options=([NONE] if index == 2 else []) + [(v, k) for k, v in options.items()],
                value=chosen[index] if index < len(chosen) else "",
                description=f"Project {index + 1}", style={"description_width": "initial"},
                layout=w.Layout(width="auto", max_width="100%"))
            picker.add_class(f"ctg-pick-{index + 1}")
            picker.observe(self._on_change, "value")
            self.pickers.append(picker)
        self.side_by_side = html_widget("", "ctg-side-by-side")
        chart = self.chart("compare", "compare-projects")
        self.same = html_widget()
        pickers = w.HBox(self.pickers)
        pickers.add_class("ctg-pickers")
        self.body.children = [
            html_widget(html.fragment(
                "header", self.spec.title,
                "Choose two or three projects. Their ratings stand side by side on the same "
                "scale; rows where they differ are highlighted, and every rating links to its "
                "evidence.")),
            pickers, self.side_by_side, chart, self.same,
        ]
        self.render()

    def chosen(self) -> list[str]:
        """The chosen projects in pick order, without repeats or blanks."""
        return list(dict.fromkeys(p.value for p in self.pickers if p.value))

    def describe_view(self) -> str:
        names = query.facet_options(self.ds, "project")
        return " and ".join(names[p] for p in self.chosen())

    @guarded
    def _on_change(self, change: object = None) -> None:
        self.state = self.state.with_values(project=tuple(self.chosen()))
        self.render()

    def render(self) -> None:
        chosen = self.chosen()
        if len(chosen) < 2:
            self.show_message("Choose two or three different projects to compare.")
            return
        self.show_message("")
        ds = self.ds
        cells = query.matrix(ds, "project", Filters(project=tuple(chosen)))
        cells = cells.sort_values("column_id", key=lambda ids: ids.map(chosen.index),
                                  kind="stable")
        self.draw("compare", figures.matrix_figure(cells, "Projects", compact=True),
                  figures.describe_matrix(cells))
        same = query.same_activity_different_mechanisms(ds, chosen)
        with self.widget.hold_sync():
            self.side_by_side.value = str(html.rating_table(
                cells, "Mechanism ratings side by side", "Mechanism",
                lambda m, p: notebook_href("matrix", cell=f"{m}:{p}"),
                query.contested_evidence(ds), mark_differences=True, css_class="ctg-compare",
                definitions=html.mechanism_definitions(ds))
                + html.fragment("legend", self.programme.text("ratings_note")))
            self.same.value = str(html.render("same_activity.html.j2",
                                              table=same_activity_table(same)))
        self.sync()
