"""Mechanisms × contexts: the evidence gap map, with the records behind every cell.

Rows are the evaluation's mechanisms; columns are what the reader chooses (projects,
context dimensions, relationship types, settings). The grid is one ``EvidenceGrid`` widget
at any size; the chart is drawn only while it stays readable (``figures.MAX_CHART_COLUMNS``).
"""

from __future__ import annotations

import ipywidgets as w

from .. import figures, html, query
from ..export import handout_html
from ..query import COLUMN_KINDS, FACETS, STRENGTHS, Filters
from ..state import to_query
from .frame import Page, guarded, html_widget
from .widgets import EvidenceGrid, FacetFilters

__all__ = ["FILTER_HELP", "MAX_READER_ROWS", "MatrixPage", "facet_choices", "reader_caption"]

# The reader table on the page lists at most this many records; the CSV always has them all.
# (At 100× the embedded data, 2,500 rows were 2 MB of HTML and most of the page's first
# paint; nobody reads that far down a page.)
MAX_READER_ROWS = 200
FILTER_HELP = ("Tick any values to narrow the records. Within one group a record is kept if it "
               "matches any ticked value (OR); across groups it must match every group that "
               "has a tick (AND). The number beside a value is how many records ticking it "
               "would show.")


def facet_choices(ds: query.Dataset, filters: Filters,
                  facets: tuple[str, ...]) -> list[dict[str, object]]:
    """The ``FacetFilters`` widget's facets: every value with its label and count."""
    counts = query.facet_counts(ds, filters, facets)
    return [{"name": facet, "label": FACETS[facet],
             "options": [{"id": key, "label": label, "count": counts[facet][key]}
                         for key, label in query.facet_options(ds, facet).items()]}
            for facet in facets]


def reader_caption(records: int) -> str:
    """The reader table's caption: how many records match, and how many the page lists."""
    matching = html.count(records, "matching evidence record")
    if records <= MAX_READER_ROWS:
        return matching
    return (f"{matching}; the first {MAX_READER_ROWS} are listed here, and the CSV download "
            f"has all {records}")


class MatrixPage(Page):
    """The evidence gap map: choose columns and filters; choose a cell to read its evidence."""

    name = "matrix"

    def build(self) -> None:
        state = self.state
        self.columns = w.Dropdown(
            options=[(label, key) for key, label in COLUMN_KINDS.items()],
            value=state.get("columns", "project"), description="Columns show",
            style={"description_width": "initial"},
            layout=w.Layout(width="auto", max_width="30em"))
        self.columns.add_class("ctg-columns")
        chosen = state.filters().active()
        # render() below fills in the facets and their counts (counting them costs a pass
        # over the evidence per facet: do it once).
        self.filters = FacetFilters(
            value={facet: list(values) for facet, values in chosen.items()},
            help=FILTER_HELP, expanded=bool(chosen))
        self.grid = EvidenceGrid(self._on_select, styles={
            strength: [label, figures.STRENGTH_STYLE[strength][2]]
            for strength, (label, _) in STRENGTHS.items()})
        self.records = html_widget("", "ctg-records")
        chart = self.chart("matrix", "evidence-matrix")
        self.chart_note = html_widget()
        self.download = html_widget("", "ctg-download-box")
        self.reader = html_widget("", "ctg-reader")
        self.handout = w.Button(description="Prepare a printable handout of this view",
                                layout=w.Layout(width="auto"),
                                tooltip="Builds a self-contained HTML page of this view, with "
                                        "its sources, to print or share")
        self.handout.add_class("ctg-handout")
        self.handout_link = html_widget()
        self.columns.observe(self._on_change, "value")
        self.filters.observe(self._on_change, "value")
        self.handout.on_click(self._on_handout)
        legend = html.render("ratings_key.html.j2",
                             ratings_note=self.programme.text("ratings_note"),
                             agreement=html.agreement_sentence(self.ds))
        self.body.children = [
            html_widget(html.fragment(
                "header", self.spec.title,
                "Rows are the evaluation's enabling mechanisms; columns are what you choose. "
                "Each cell shows the strongest rating by colour, symbol and word, with the "
                "number of records. Choose a cell or a heading to read the evidence behind "
                "it.")),
            self.columns, self.filters, html_widget(legend),
            self.grid, self.records,
            html_widget("<h2>Chart</h2><p class='ctg-help'>The same matrix as a chart; the "
                        "camera button downloads it as a PNG.</p>"),
            chart, self.chart_note,
            html_widget("<h2>All matching records</h2>"),
            self.download, w.HBox([self.handout, self.handout_link]), self.reader,
        ]
        self.render()

    def describe_view(self) -> str:
        columns = COLUMN_KINDS[self.state.get("columns", "project")]
        parts = [f"columns: {columns.lower()}",
                 query.describe_filters(self.ds, self.state.filters())]
        mechanism_id, column_id = self._selected_cell()
        if mechanism_id or column_id:
            parts.append("evidence for " + self._cell_label(mechanism_id, column_id))
        return "; ".join(parts)

    @guarded
    def _on_change(self, change: object = None) -> None:
        columns = self.columns.value
        self.state = self.state.with_values(
            columns=columns if columns != "project" else None, cell=None,
            **{facet: tuple(self.filters.value.get(facet, ())) for facet in FACETS})
        self.render()

    @guarded
    def _on_select(self, key: str) -> None:
        self.update_state(cell=key)
        self.grid.selected = key
        self._show_records(*self._selected_cell())

    @guarded
    def _on_handout(self, _button: object = None) -> None:
        """Build the handout only when asked: it is the costliest thing on the page."""
        self.handout_link.value = str(html.data_link(
            handout_html(self.ds, to_query(self.state)), "text/html",
            "evidence-handout.html", "Download the handout (HTML)"))

    def render(self) -> None:
        ds, filters = self.ds, self.state.filters()
        columns = self.state.get("columns", "project")
        cells = query.matrix(ds, columns, filters)
        column_title = COLUMN_KINDS[columns]
        n_columns = cells.column_id.nunique()
        # The chart goes out first: the browser draws it while the kernel builds the rest.
        if n_columns <= figures.MAX_CHART_COLUMNS:
            self.draw("matrix", figures.matrix_figure(cells, column_title),
                      figures.describe_matrix(cells, column_title))
            note = ""
        else:
            self.draw("matrix", None)
            note = (f"<p class='ctg-help'>The chart is left out for {n_columns} columns, where "
                    "it could not be read; the grid above shows every cell.</p>")
        with self.widget.hold_sync():
            self.filters.facets = facet_choices(ds, filters, tuple(FACETS))
            self._draw_grid(cells, column_title)
            self.chart_note.value = note
            table = query.reader_table(ds, filters)
            self.reader.value = str(html.table(table.head(MAX_READER_ROWS),
                                               reader_caption(len(table))))
            self.download.value = str(html.csv_link(
                table, "evidence-records.csv",
                f"Download these {html.count(len(table), 'record')} (CSV)"))
            self.handout_link.value = ""  # a handout of the previous view would mislead
            mechanism_id, column_id = self._selected_cell()
            self._show_records(mechanism_id, column_id)
        self.sync()

    def _draw_grid(self, cells: query.pd.DataFrame, column_title: str) -> None:
        columns = list(dict.fromkeys(zip(cells.column_id, cells.column, strict=True)))
        rows = list(dict.fromkeys(zip(cells.mechanism_id, cells.mechanism, strict=True)))
        definitions = html.mechanism_definitions(self.ds)
        self.grid.grid = {
            "columns": [list(c) for c in columns],
            "rows": [[key, label, definitions.get(key, "")] for key, label in rows],
            "cells": [[s, int(n)] for s, n in zip(cells.strength, cells["count"],
                                                   strict=True)],
            "corner": "Mechanism",
            "caption": f"Evidence matrix: mechanisms by {column_title.lower()}",
        }
        self.grid.selected = self.state.get("cell") or ""

    def _selected_cell(self) -> tuple[str | None, str | None]:
        cell = self.state.get("cell")
        if not cell:
            return None, None
        mechanism_id, _, column_id = cell.partition(":")
        columns = self.state.get("columns", "project")
        if column_id and column_id not in query.facet_options(self.ds, columns):
            column_id = ""
        return mechanism_id or None, column_id or None

    def _cell_label(self, mechanism_id: str | None, column_id: str | None) -> str:
        columns = self.state.get("columns", "project")
        parts = []
        if mechanism_id:
            parts.append(query.facet_options(self.ds, "mechanism")[mechanism_id])
        if column_id:
            parts.append(query.facet_options(self.ds, columns)[column_id])
        return " × ".join(parts)

    def _show_records(self, mechanism_id: str | None, column_id: str | None) -> None:
        if not (mechanism_id or column_id):
            self.records.value = str(html.render("records.html.j2", title="", table=""))
            return
        columns = self.state.get("columns", "project")
        table = query.cell_records(self.ds, columns, mechanism_id, column_id,
                                   self.state.filters())
        self.records.value = str(html.render(
            "records.html.j2", title=self._cell_label(mechanism_id, column_id),
            table=html.evidence_table(self.ds, table, html.count(len(table), "record"))))
