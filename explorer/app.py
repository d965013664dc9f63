"""ipywidgets dashboards: controls wired to ``query`` and ``figures``; no logic of their own.

Each dashboard is a class with the same life cycle (the voici-demo shape):
``__init__`` builds controls from the data, ``_on_change`` updates the ``ViewState``, and
``_render`` redraws inside ``hold_sync`` and pushes the new query string to the address bar.

Safety rules that every view follows:

- every string from the data or the URL is HTML-escaped before it reaches an HTML widget
  (``esc``), so HTML planted in a data field is shown as text;
- an ``ExplorerError`` (bad data package, unknown id) becomes a plain message panel, and any
  other failure in a callback is logged on the server and reported in one calm sentence —
  a traceback never reaches the browser.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Callable

import anywidget
import ipywidgets as w
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import traitlets
from IPython import get_ipython
from IPython.display import display

from . import figures, query
from .errors import DataError, ExplorerError
from .export import handout_html
from .html import (
    BASIS_HELP,
    NOT_FOUND_HTML,
    UNIDENTIFIED_HELP,
    citations_html,
    count,
    csv_link,
    data_link,
    date_range,
    esc,
    html_table,
    source_title,
    strength_badge,
    strength_legend,
)
from .load import Dataset, load
from .query import COLUMN_KINDS, FACETS, STRENGTHS, Filters
from .state import parse_query, to_query

__all__ = ["DASHBOARDS", "build", "esc"]

log = logging.getLogger("explorer.app")

PLOTLY_MIMETYPE = "application/vnd.plotly.v1+json"
CSS = """
<style>
.ctg-root { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif;
  font-size: 16px; line-height: 1.45; color: #1a1a1a; max-width: 1400px; }
.ctg-root h1 { font-size: 1.7em; margin: 0.2em 0; }
.ctg-root h2 { font-size: 1.3em; margin: 0.8em 0 0.3em; }
.ctg-root h3 { font-size: 1.1em; margin: 0.6em 0 0.2em; }
.ctg-root a { color: #005a9c; text-decoration: underline; }
.ctg-root a:focus-visible { outline: 2px solid #005a9c; outline-offset: 2px; }
.ctg-nav a { margin-right: 1em; }
.ctg-nav a[aria-current] { font-weight: bold; color: #1a1a1a; text-decoration: none; }
.ctg-note { background: #fff4d6; border-left: 4px solid #b27300; padding: 0.4em 0.8em; }
.ctg-error { background: #fde8e8; border-left: 4px solid #b00020; padding: 0.6em 1em;
  white-space: pre-wrap; }
.ctg-help { color: #333; font-size: 0.95em; }
.ctg-notfound { color: #555; font-style: italic; }
.ctg-cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr));
  gap: 12px; }
.ctg-card { border: 1px solid #bbb; border-radius: 6px; padding: 0.6em 0.8em; background: #fff; }
.ctg-card.unidentified { border-style: dashed; background: #f6f6f6; }
.ctg-badge { display: inline-block; padding: 0 0.4em; border-radius: 4px; font-size: 0.85em;
  border: 1px solid #555; margin-right: 0.3em; }
.ctg-table { border-collapse: collapse; width: 100%; font-size: 0.95em; }
.ctg-table th, .ctg-table td { border: 1px solid #ccc; padding: 4px 6px; vertical-align: top;
  text-align: left; }
.ctg-table th { background: #f0f0f0; }
.ctg-table tr.differs td { background: #fff4d6; }
.ctg-framework { display: flex; gap: 10px; align-items: stretch; flex-wrap: wrap; }
.ctg-framework > div { border: 2px solid #555; border-radius: 6px; padding: 0.5em; flex: 1;
  min-width: 200px; }
.ctg-arrow { flex: 0 0 auto !important; border: none !important; min-width: 0 !important;
  align-self: center; font-size: 2em; }
.ctg-figure-number { font-size: 1.8em; font-weight: bold; }
.ctg-grid .widget-button { white-space: normal; height: auto; min-height: 2.4em;
  line-height: 1.2; padding: 4px 6px; overflow: visible; text-overflow: clip; }
.ctg-grid .ctg-cell { font-size: 1.05em; }
.ctg-grid .ctg-rowhead, .ctg-grid .ctg-colhead { font-weight: bold; }
.ctg-root .widget-html-content { font-size: inherit; line-height: inherit; }
.ctg-present { font-size: 22px; max-width: none; --jp-widgets-font-size: 20px;
  --jp-widgets-inline-height: 40px; --jp-widgets-inline-label-width: 160px; }
.ctg-present .ctg-table { font-size: 1em; }
.ctg-legend details { display: inline-block; margin-left: 1em; }
.ctg-legend summary { cursor: pointer; color: #005a9c; }
.ctg-srOnly { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }
</style>
"""

# Matrix cells are coloured by their strength class, so all grid buttons can share one style
# and one layout widget (fewer widgets: a faster page, and less for the server to relay).
CSS = CSS.replace("</style>", "".join(
    f".ctg-root .ctg-grid .widget-button.ctg-strength-{strength} "
    f"{{ background-color: {colour}; color: {text_colour}; }}\n"
    for strength, (colour, _, _, text_colour) in figures.STRENGTH_STYLE.items()) + "</style>")

PAGES = {
    "index": "Start",
    "overview": "Overview",
    "matrix": "Mechanisms × contexts",
    "story": "Project story",
    "compare": "Compare",
    "flows": "Activities vs mechanisms",
}


class UrlSync(anywidget.AnyWidget):
    """Keeps the browser's address bar in step with the view, so it can be shared.

    Only the query string changes (``history.replaceState``): the page does not reload.
    """

    _esm = """
    function render({ model, el }) {
      const apply = () => {
        const query = model.get("query");
        if (query === null || query === undefined) { return; }
        const url = new URL(window.location.href);
        url.search = query;
        window.history.replaceState(window.history.state, "", url.toString());
      };
      model.on("change:query", apply);
      apply();
    }
    export default { render };
    """
    query = traitlets.Unicode(None, allow_none=True).tag(sync=True)


def _html(content: str, *classes: str) -> w.HTML:
    widget = w.HTML(content)
    for cls in classes:
        widget.add_class(cls)
    return widget


def guarded(method: Callable) -> Callable:
    """Run a widget callback so that no failure shows a traceback in the browser."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except ExplorerError as error:
            self.show_message(str(error))
        except Exception:
            log.exception("dashboard callback failed")
            self.show_message("Something went wrong while updating this view. The previous "
                              "view is kept; please reload the page.")
        return None

    return wrapper


class Dashboard:
    """Common frame: navigation, notes, presentation mode, URL sync, error handling."""

    view = "index"
    title = "Closing the Gap evidence explorer"

    def __init__(self, ds: Dataset, query_string: str = "") -> None:
        self.ds = ds
        self.state = parse_query(ds, self.view, query_string)
        self.url = UrlSync()
        self.notes = _html("")
        self.message = _html("")
        self.present = w.ToggleButton(value=self.state.presenting,
                                      description="Presentation mode",
                                      tooltip="Larger text for projecting to a room",
                                      icon="")
        self.present.observe(self._on_present, "value")
        self.body = w.VBox()
        self.root = w.VBox([
            _html(CSS),
            w.HBox([_html(self._nav_html(), "ctg-nav"), self.present],
                   layout=w.Layout(justify_content="space-between", align_items="center")),
            self.notes,
            self.message,
            self.body,
            self.url,
        ])
        self.root.add_class("ctg-root")
        self._show_notes(self.state.notes)
        self.build()
        self._apply_present()
        self._sync_url()

    # -- to override ----------------------------------------------------------------
    def build(self) -> None:
        """Create controls and the first render."""

    # -- shared behaviour -----------------------------------------------------------
    def _nav_html(self) -> str:
        links = []
        for page, label in PAGES.items():
            current = ' aria-current="page"' if page == self.view else ""
            links.append(f'<a href="{page}.ipynb"{current}>{esc(label)}</a>')
        return f'<nav aria-label="Dashboards">{"".join(links)}</nav>'

    def _show_notes(self, notes: tuple[str, ...]) -> None:
        self.notes.value = ('<div class="ctg-note" role="status">' + esc(" ".join(notes))
                            + " The default is shown instead.</div>") if notes else ""

    def show_message(self, text: str) -> None:
        """Show a plain message (escaped) in place of a traceback."""
        self.message.value = f'<div class="ctg-error" role="alert">{esc(text)}</div>'

    def _on_present(self, change) -> None:
        self.state = self.state.with_values(present="1" if change["new"] else None)
        self._apply_present()
        self._sync_url()

    def _apply_present(self) -> None:
        if self.state.presenting:
            self.root.add_class("ctg-present")
        else:
            self.root.remove_class("ctg-present")

    def _sync_url(self) -> None:
        self.url.query = to_query(self.state)

    def header(self, subtitle: str) -> w.HTML:
        return _html(f"<h1>{esc(self.title)}</h1><p class='ctg-help'>{subtitle}</p>")

    @property
    def widget(self) -> w.VBox:
        """The whole dashboard, ready to display."""
        return self.root


class FigureSlot(w.Output):
    """A place for a plotly chart, drawn by the browser's bundled plotly (no CDN).

    Figures are sent as plotly's JSON mimetype rather than as ``FigureWidget``s: measured in
    Voila, that reached first chart about 2 s sooner and moved 0.01 MB instead of 5 MB over
    the websocket per page, because the plotly bundle is then an ordinary, cacheable file.
    The bundle is published directly instead of through ``fig.show``: plotly's renderer
    module imports nbformat → jsonschema → rfc3987_syntax, measured at 1.2 s per kernel.
    The JSON engine is pinned to plain ``json`` so serialisation never depends on optional
    packages.
    The modebar's camera button downloads a PNG named after the view.
    """

    def __init__(self, filename: str) -> None:
        super().__init__(layout=w.Layout(width="100%"))
        self.filename = filename
        self.figure: go.Figure | None = None
        self.add_class("ctg-figure")

    def show(self, fig: go.Figure | None) -> None:
        """Display ``fig``; ``None`` hides the slot. ``figure`` keeps what is shown."""
        self.figure = fig
        if get_ipython() is None:  # not in a kernel (tests, scripts): nothing to draw into
            self.layout.display = None if fig is not None else "none"
            return
        self.clear_output(wait=True)
        if fig is None:
            self.layout.display = "none"
            return
        self.layout.display = None
        payload = json.loads(pio.to_json(fig, validate=False, engine="json"))
        payload["config"] = {"displaylogo": False, "showSendToCloud": False,
                             "toImageButtonOptions": {"filename": self.filename, "scale": 2},
                             "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
        with self:
            display({PLOTLY_MIMETYPE: payload}, raw=True)


def facet_control(ds: Dataset, facet: str, chosen: tuple[str, ...]) -> w.SelectMultiple:
    options = query.facet_options(ds, facet)
    control = w.SelectMultiple(
        options=[(label, key) for key, label in options.items()],
        value=tuple(v for v in chosen if v in options),
        description=FACETS[facet],
        rows=min(len(options), 5),
        style={"description_width": "initial"},
        layout=w.Layout(width="auto", min_width="220px"),
    )
    control.add_class(f"ctg-facet-{facet}")
    return control


FILTER_HELP = ("<b>How filters combine.</b> Within one filter, a record is kept if it matches "
               "<i>any</i> chosen value (OR). Across filters, it must match <i>every</i> filter "
               "that has a choice (AND). Nothing chosen means no filter. Hold Ctrl (Cmd on a "
               "Mac) to choose several values.")


class OverviewApp(Dashboard):
    """The programme on one screen."""

    view = "overview"

    def build(self) -> None:
        ds = self.ds
        programme = ds.programmes.iloc[0]
        membership_counts = ds.projects.membership.value_counts()
        self.body.children = [
            _html(f"<h1>{esc(programme['title'])}</h1>"
                  f"<p>{esc(programme['summary'])}</p>"
                  f"<p class='ctg-help'>Funded by {esc(programme['funder'])}; launched "
                  f"{esc(programme['launch_year'])}; projects ran {esc(programme['start_year'])}"
                  f"–{esc(programme['end_year'])}; independently evaluated by "
                  f"{esc(programme['evaluator'])}. Dataset version {esc(ds.version)}, data as of "
                  f"{esc(ds.data_as_of)}.</p>"),
            _html("<h2>The seven projects</h2>"
                  f"<p class='ctg-help'>{int(membership_counts.get('confirmed', 0))} confirmed, "
                  f"{int(membership_counts.get('probable', 0))} probable, "
                  f"{int(membership_counts.get('unidentified', 0))} not identified. "
                  f"{UNIDENTIFIED_HELP}</p>" + self._cards()),
            _html("<h2>The evaluation's framework</h2>" + self._framework()),
            _html("<h2>Findings and recommendations</h2>" + self._findings()),
            _html("<h2>Where sources disagree</h2>" + self._discrepancies()),
            _html("<h2>Explore</h2><ul>"
                  "<li><a href='matrix.ipynb'>Mechanisms × contexts</a>: which mechanisms were "
                  "activated where, and the evidence behind each rating.</li>"
                  "<li><a href='story.ipynb'>Project story</a>: one project from context to "
                  "outcomes.</li>"
                  "<li><a href='compare.ipynb'>Compare</a>: two or three projects side by "
                  "side.</li>"
                  "<li><a href='flows.ipynb'>Activities vs mechanisms</a>: the same activity, "
                  "different mechanisms.</li></ul>"),
        ]

    def _cards(self) -> str:
        ds = self.ds
        relationships = query.facet_options(ds, "relationship_type")
        targeted = ds.project_relationships.groupby("project_id", observed=True)[
            "relationship_type_id"].agg(list)
        cards = []
        for project in ds.projects.itertuples(index=False):
            membership = str(project.membership)
            rels = ", ".join(relationships[r] for r in targeted.get(project.project_id, []))
            link = (f"<a href='story.ipynb?project={esc(project.project_id)}'>Project story</a>"
                    if membership != "unidentified" else "")
            cards.append(
                f"<div class='ctg-card {membership}' data-project='{esc(project.project_id)}'>"
                f"<h3>{esc(project.short_name)}</h3>"
                f"<p><span class='ctg-badge'>{esc(membership)}</span></p>"
                f"<p><b>Lead:</b> {esc(project.lead_organisation)}<br>"
                f"<b>Setting:</b> {esc(project.setting)}<br>"
                f"<b>Region:</b> {esc(project.region)}<br>"
                f"<b>Relationships targeted:</b> {esc(rels) if rels else NOT_FOUND_HTML}</p>"
                f"<p class='ctg-help'>{esc(project.membership_basis)}</p>{link}</div>")
        return f"<div class='ctg-cards'>{''.join(cards)}</div>"

    def _framework(self) -> str:
        ds = self.ds

        def items(table: str, key: str) -> str:
            frame = ds[table].sort_values("display_order")
            return "".join(f"<li><b>{esc(r.label)}</b>: {esc(r.definition)}</li>"
                           for r in frame.itertuples(index=False))

        return ("<div class='ctg-framework'>"
                f"<div><h3>Foundations</h3><ul>{items('foundations', 'foundation_id')}</ul>"
                "<p class='ctg-help'>Needed, but not enough on their own.</p></div>"
                "<div class='ctg-arrow' aria-hidden='true'>→</div>"
                f"<div><h3>Enabling mechanisms</h3><ul>{items('mechanisms', 'mechanism_id')}"
                "</ul><p class='ctg-help'>Change happens only when these are activated. An "
                "activity is not a mechanism.</p></div>"
                "<div class='ctg-arrow' aria-hidden='true'>→</div>"
                "<div><h3>Relationship change</h3><ul>"
                f"{items('relationship_types', 'relationship_type_id')}</ul></div></div>")

    def _findings(self) -> str:
        frame = self.ds.findings.sort_values("display_order")
        parts = []
        for kind, title in (("finding", "Findings"), ("recommendation", "Recommendations"),
                            ("warning", "Warnings"), ("tension", "Tensions")):
            rows = frame[frame.kind == kind]
            if rows.empty:
                continue
            items = "".join(
                f"<li>{esc(r.text)} <span class='ctg-help'>— "
                f"{citations_html(self.ds, r.source_ids)}</span></li>"
                for r in rows.itertuples(index=False))
            tag = "ol" if kind == "recommendation" else "ul"
            parts.append(f"<h3>{title}</h3><{tag}>{items}</{tag}>")
        return "".join(parts)

    def _discrepancies(self) -> str:
        frame = self.ds.discrepancies
        items = "".join(f"<li><b>{esc(r.topic)}</b>: {esc(r.description)} <i>What we use:</i> "
                        f"{esc(r.handling)}</li>" for r in frame.itertuples(index=False))
        return f"<ul>{items}</ul>"


class MatrixApp(Dashboard):
    """Mechanisms × contexts: the evidence gap map with the records behind every cell."""

    view = "matrix"
    title = "Mechanisms × contexts"

    def build(self) -> None:
        ds, state = self.ds, self.state
        self.columns = w.Dropdown(
            options=[(label, key) for key, label in COLUMN_KINDS.items()],
            value=state.get("columns", "project"), description="Columns show",
            style={"description_width": "initial"})
        self.columns.add_class("ctg-columns")
        self.facets = {facet: facet_control(ds, facet, state.many(facet)) for facet in FACETS}
        self.clear = w.Button(description="Clear filters", tooltip="Remove every filter")
        self.clear.add_class("ctg-clear")
        self.filter_text = _html("")
        self.grid = w.GridBox(layout=w.Layout(grid_gap="4px", width="100%"))
        self.grid.add_class("ctg-grid")
        self.grid_corner = _html("<b>Mechanism</b>")
        self._grid_buttons: list[w.Button] = []
        self._grid_layout = w.Layout(width="auto", height="auto")
        self._grid_style = w.ButtonStyle()
        self.records_title = _html("")
        self.records = _html("")
        self.records.add_class("ctg-records")
        self.figure = FigureSlot("evidence-matrix")
        self.figure_text = _html("")
        self.reader = _html("")
        self.reader.add_class("ctg-reader")
        self.download = _html("")
        self.download.add_class("ctg-download-box")
        self.handout = w.Button(description="Prepare a printable handout of this view",
                                layout=w.Layout(width="auto"),
                                tooltip="Builds a self-contained HTML page of this view, "
                                        "with its sources, to print or share")
        self.handout.add_class("ctg-handout")
        self.handout.on_click(self._on_handout)
        self.handout_link = _html("")
        self.columns.observe(self._on_change, "value")
        for control in self.facets.values():
            control.observe(self._on_change, "value")
        self.clear.on_click(self._on_clear)
        self.filter_panel = w.Accordion(children=[w.VBox([
            _html(f"<p class='ctg-help'>{FILTER_HELP}</p>"),
            w.HBox(list(self.facets.values()), layout=w.Layout(flex_flow="row wrap")),
        ])], selected_index=0 if state.filters().active() else None)
        self.filter_panel.set_title(0, "Filter the evidence (OR within a filter, AND across "
                                       "filters)")
        self.filter_panel.add_class("ctg-filters")
        self.body.children = [
            self.header("Rows are the evaluation's enabling mechanisms; columns are what you "
                        "choose. Each cell shows the strongest rating by colour <i>and</i> "
                        "shape, with the number of records. Choose a cell or a heading to read "
                        "the evidence behind it."),
            w.HBox([self.columns, self.clear]),
            self.filter_panel,
            self.filter_text,
            _html(strength_legend()),
            self.grid,
            self.records_title,
            self.records,
            _html("<h2>Chart</h2><p class='ctg-help'>The same matrix as a chart; use the camera "
                  "button to download it as a PNG.</p>"),
            self.figure,
            self.figure_text,
            _html("<h2>All matching records</h2>"),
            self.download,
            w.HBox([self.handout, self.handout_link]),
            self.reader,
        ]
        self._render()

    @guarded
    def _on_change(self, change=None) -> None:
        self.state = self.state.with_values(
            columns=self.columns.value if self.columns.value != "project" else None,
            cell=None,
            present=self.state.get("present"),
            **{facet: control.value for facet, control in self.facets.items()})
        self._render()

    @guarded
    def _on_clear(self, _button=None) -> None:
        with self.root.hold_sync():
            for control in self.facets.values():
                control.unobserve(self._on_change, "value")
                control.value = ()
                control.observe(self._on_change, "value")
        self._on_change()

    @guarded
    def _on_cell(self, mechanism_id: str | None, column_id: str | None) -> None:
        cell = f"{mechanism_id or ''}:{column_id or ''}"
        self.state = self.state.with_values(cell=cell)
        self._show_records(mechanism_id, column_id)
        self._sync_url()

    def _render(self) -> None:
        ds, filters = self.ds, self.state.filters()
        columns = self.state.get("columns", "project")
        cells = query.matrix(ds, columns, filters)
        column_title = COLUMN_KINDS[columns]
        # The chart goes out first: the browser draws it while the kernel builds the rest.
        self.figure.show(figures.matrix_figure(cells, column_title))
        with self.root.hold_sync():
            showing = query.describe_filters(ds, filters)
            self.filter_text.value = f"<p><b>Showing:</b> {esc(showing)}</p>"
            self._render_grid(cells)
            self.figure_text.value = (f"<p class='ctg-srOnly ctg-alt'>"
                                      f"{esc(figures.describe_matrix(cells, column_title))}</p>")
            table = query.reader_table(ds, filters)
            self.reader.value = html_table(table, count(len(table), "matching evidence record"))
            self.download.value = csv_link(
                table, "closing-the-gap-evidence.csv",
                f"Download these {count(len(table), 'record')} (CSV)")
            self.handout_link.value = ""  # a handout of the previous view would mislead
            mechanism_id, column_id = self._selected_cell()
            if mechanism_id or column_id:
                self._show_records(mechanism_id, column_id)
            else:
                self.records_title.value = ("<h2>Evidence records</h2><p class='ctg-help'>"
                                            "Choose a cell or a heading above.</p>")
                self.records.value = ""
        self._sync_url()

    @guarded
    def _on_handout(self, _button=None) -> None:
        """Build the handout only when asked: it is the costliest thing on the page."""
        self.handout_link.value = data_link(
            handout_html(self.ds, to_query(self.state)), "text/html",
            "closing-the-gap-handout.html", "Download the handout (HTML)")

    def _selected_cell(self) -> tuple[str | None, str | None]:
        cell = self.state.get("cell")
        if not cell:
            return None, None
        mechanism_id, _, column_id = cell.partition(":")
        columns = self.state.get("columns", "project")
        if column_id and column_id not in query.facet_options(self.ds, columns):
            column_id = ""
        return mechanism_id or None, column_id or None

    def _grid_button(self, index: int) -> w.Button:
        """The grid's ``index``-th button, reused across redraws.

        Reusing buttons sends a few changed values instead of closing and opening dozens of
        widgets per control change (measured: the grid was half the matrix's redraw time).
        """
        while len(self._grid_buttons) <= index:
            button = w.Button(layout=self._grid_layout, style=self._grid_style)
            button.target = (None, None)
            button.on_click(lambda b: self._on_cell(*b.target))
            self._grid_buttons.append(button)
        return self._grid_buttons[index]

    def _render_grid(self, cells: pd.DataFrame) -> None:
        column_items = list(dict.fromkeys(zip(cells.column_id, cells.column, strict=True)))
        mechanism_items = list(dict.fromkeys(zip(cells.mechanism_id, cells.mechanism,
                                                 strict=True)))
        by_key = {(r.mechanism_id, r.column_id): r for r in cells.itertuples(index=False)}
        # (label, tooltip, css classes, (mechanism_id, column_id)) per button, in order
        specs = [(label, f"All evidence for {label}", ("ctg-colhead",), (None, column_id))
                 for column_id, label in column_items]
        for mechanism_id, label in mechanism_items:
            specs.append((label, f"All evidence for {label}", ("ctg-rowhead",),
                          (mechanism_id, None)))
            for column_id, column_label in column_items:
                cell = by_key[(mechanism_id, column_id)]
                symbol = figures.STRENGTH_STYLE[cell.strength][2]
                strength_label = STRENGTHS[cell.strength][0]
                specs.append((f"{symbol} {strength_label} ({cell.count})",
                              f"{label} × {column_label}: {strength_label}, {cell.count} "
                              f"record(s). Choose to list them.",
                              ("ctg-cell", f"ctg-strength-{cell.strength}"),
                              (mechanism_id, column_id)))
        buttons = []
        for index, (description, tooltip, classes, target) in enumerate(specs):
            button = self._grid_button(index)
            button.description, button.tooltip, button.target = description, tooltip, target
            button._dom_classes = classes
            buttons.append(button)
        self.grid.layout.grid_template_columns = (
            f"minmax(180px, 1.4fr) repeat({len(column_items)}, 1fr)")
        self.grid.children = [self.grid_corner, *buttons]

    def _show_records(self, mechanism_id: str | None, column_id: str | None) -> None:
        columns = self.state.get("columns", "project")
        table = query.cell_records(self.ds, columns, mechanism_id, column_id,
                                   self.state.filters())
        parts = []
        if mechanism_id:
            parts.append(query.facet_options(self.ds, "mechanism")[mechanism_id])
        if column_id:
            parts.append(query.facet_options(self.ds, columns)[column_id])
        self.records_title.value = (f"<h2>Evidence records: {esc(' × '.join(parts))}</h2>"
                                    f"<p class='ctg-help'>{BASIS_HELP}</p>")
        evidence = self.ds.mechanism_evidence.set_index("evidence_id")
        shown = table.copy()
        shown["Strength"] = [strength_badge(str(evidence.at[r, "strength"]))
                             for r in table["Record"]]
        shown["Sources"] = [citations_html(self.ds, evidence.at[r, "source_ids"])
                            for r in table["Record"]]
        self.records.value = html_table(shown, count(len(table), "record"),
                                        raw_columns=("Strength", "Sources"))


class StoryApp(Dashboard):
    """One project: context → activities → mechanisms → outcomes, with its sources."""

    view = "story"
    title = "Project story"

    def build(self) -> None:
        options = query.facet_options(self.ds, "project")
        default = next(iter(options))
        self.project = w.Dropdown(options=[(label, key) for key, label in options.items()],
                                  value=self.state.get("project", default),
                                  description="Project", style={"description_width": "initial"},
                                  layout=w.Layout(width="auto"))
        self.project.add_class("ctg-project")
        self.summary = _html("")
        self.figure = FigureSlot("project-story")
        self.figure_text = _html("")
        self.details = _html("")
        self.project.observe(self._on_change, "value")
        self.body.children = [
            self.header("Pick a project to follow its story from context to outcomes. "
                        + BASIS_HELP),
            self.project, self.summary, self.figure, self.figure_text, self.details,
        ]
        self._render()

    @guarded
    def _on_change(self, change=None) -> None:
        self.state = self.state.with_values(project=self.project.value)
        self._render()

    def _render(self) -> None:
        story = query.project_story(self.ds, self.project.value)
        project = story.project
        with self.root.hold_sync():
            self.summary.value = self._summary_html(story)
            self.figure.show(
                figures.story_figure(story.chains, str(project["short_name"]))
                if story.is_identified and not story.chains.empty else None)
            self.figure_text.value = (f"<p class='ctg-srOnly ctg-alt'>"
                                      f"{esc(figures.describe_sankey(story.chains))}</p>")
            self.details.value = self._details_html(story) if story.is_identified else ""
        self._sync_url()

    def _summary_html(self, story: query.ProjectStory) -> str:
        p = story.project
        if not story.is_identified:
            return (f"<h2>{esc(p['short_name'])}</h2><div class='ctg-note'>This project is "
                    f"<b>not identified</b>. {esc(p['membership_basis'])}</div>"
                    f"<p class='ctg-help'>{UNIDENTIFIED_HELP}</p>")
        grant = (f"£{p['grant_gbp']:,.0f}" if not pd.isna(p["grant_gbp"]) else None)
        rows = [
            ("Title", esc(p["title"])),
            ("Lead organisation", esc(p["lead_organisation"])),
            ("Partners", esc(p["partners"])),
            ("Region", esc(p["region"])),
            ("Setting", esc(p["setting"])),
            ("Population", esc(p["population"])),
            ("Dates", date_range(p["start_date"], p["end_date"])),
            ("Grant", f"{esc(grant)} <span class='ctg-help'>({esc(p['grant_note'])})</span>"),
            ("Membership", f"{esc(p['membership'])} — {esc(p['membership_basis'])}"),
            ("Relationships targeted", esc(", ".join(story.relationships)) or NOT_FOUND_HTML),
            ("Sources", citations_html(self.ds, p["source_ids"])),
        ]
        table = "".join(f"<tr><th scope='row'>{k}</th><td>{v}</td></tr>" for k, v in rows)
        return (f"<h2>{esc(p['short_name'])}</h2><p>{esc(p['summary'])}</p>"
                f"<table class='ctg-table'>{table}</table>")

    def _details_html(self, story: query.ProjectStory) -> str:
        ds = self.ds
        contexts = story.contexts.assign(
            Dimension=[query.humanise(str(d)) for d in story.contexts.dimension],
            Sources=[citations_html(ds, c) for c in story.contexts.source_ids],
        )[["Dimension", "description", "basis", "Sources"]].rename(
            columns={"description": "Context", "basis": "Basis"})
        activities = story.activities.assign(
            Type=[query.humanise(str(t)) for t in story.activities.activity_type],
            Sources=[citations_html(ds, c) for c in story.activities.source_ids],
        )[["Type", "description", "Sources"]].rename(columns={"description": "Activity"})
        mechanisms = query.facet_options(ds, "mechanism")
        evidence = pd.DataFrame({
            "Mechanism": [mechanisms[m] for m in story.evidence.mechanism_id],
            "Strength": [strength_badge(str(s)) for s in story.evidence.strength],
            "Why this rating": story.evidence.explanation.fillna(""),
            "Sources": [citations_html(ds, c) for c in story.evidence.source_ids],
        })
        barriers = story.barriers_enablers.assign(
            Kind=[str(k).capitalize() for k in story.barriers_enablers.kind],
            Concerns=[self._concerns(r) for r in story.barriers_enablers.itertuples()],
            Sources=[citations_html(ds, c) for c in story.barriers_enablers.source_ids],
        )[["Kind", "description", "Concerns", "Sources"]].rename(
            columns={"description": "Description"})
        follow = story.follow_on.assign(
            Sources=[citations_html(ds, c) for c in story.follow_on.source_ids],
        )[["description", "period", "Sources"]].rename(
            columns={"description": "What happened", "period": "When"})
        return (
            "<h2>Context</h2>" + html_table(contexts, "Context factors", raw_columns=("Sources",))
            + "<h2>Activities</h2>"
            + html_table(activities, "What the project did", raw_columns=("Sources",))
            + "<h2>Enabling mechanisms</h2>" + strength_legend()
            + html_table(evidence, "Mechanism ratings", raw_columns=("Strength", "Sources"))
            + "<h2>Outcomes</h2>" + self._outcomes_html(story.outcomes)
            + "<h2>Barriers and enablers</h2>"
            + html_table(barriers, "Barriers and enablers", raw_columns=("Sources",))
            + "<h2>Follow-on and spread</h2>"
            + html_table(follow, "Follow-on", raw_columns=("Sources",))
            + self._discrepancies_html(story.discrepancies)
            + "<h2>Sources</h2>" + self._sources_html(story.sources)
        )

    def _concerns(self, row) -> str:
        parts = []
        if isinstance(row.foundation_id, str):
            parts.append(query.humanise(row.foundation_id))
        if isinstance(row.mechanism_id, str):
            parts.append(query.facet_options(self.ds, "mechanism")[row.mechanism_id])
        if isinstance(row.context_id, str):
            parts.append(f"context {row.context_id}")
        return ", ".join(parts) or str(row.category)

    def _outcomes_html(self, outcomes: pd.DataFrame) -> str:
        numbers = outcomes[outcomes.kind == "quantitative"]
        words = outcomes[outcomes.kind == "qualitative"]
        cards = "".join(
            f"<div class='ctg-card ctg-outcome'><div class='ctg-figure-number'>"
            f"{esc(self._format_value(r.value, r.unit))}</div><div>{esc(r.description)}</div>"
            f"<div class='ctg-help'>{esc(query.humanise(str(r.direction)))}; period: "
            f"{esc(r.period)}; for {esc(r.actor)}. "
            f"{citations_html(self.ds, r.source_ids)}</div></div>"
            for r in numbers.itertuples(index=False))
        items = "".join(f"<li>{esc(r.description)} <span class='ctg-help'>({esc(r.actor)}; "
                        f"{citations_html(self.ds, r.source_ids)})</span></li>"
                        for r in words.itertuples(index=False))
        figures_html = (f"<div class='ctg-cards'>{cards}</div>" if cards else
                        "<p class='ctg-help'>No outcome figures were found in the sources.</p>")
        return figures_html + (f"<h3>Reported in words</h3><ul>{items}</ul>" if items else "")

    @staticmethod
    def _format_value(value: float, unit: object) -> str:
        unit = str(unit)
        if unit == "percent":
            return f"{value:g}%"
        if unit == "GBP":
            return f"£{value:,.0f}"
        return f"{value:g} {unit}"

    def _discrepancies_html(self, frame: pd.DataFrame) -> str:
        if frame.empty:
            return ""
        items = "".join(f"<li><b>{esc(r.topic)}</b>: {esc(r.description)} <i>What we use:</i> "
                        f"{esc(r.handling)}</li>" for r in frame.itertuples(index=False))
        return f"<h2>Where sources disagree</h2><ul>{items}</ul>"

    def _sources_html(self, sources: pd.DataFrame) -> str:
        items = []
        for r in sources.itertuples(index=False):
            items.append(f"<li id='src-{esc(r.source_id)}'>{source_title(r.title, r.url)}. "
                         f"{esc(r.publisher)}"
                         f"{', ' + esc(r.published) if isinstance(r.published, str) else ''}."
                         f" <span class='ctg-help'>[{esc(r.source_id)}]</span></li>")
        return f"<ul>{''.join(items)}</ul>"


class CompareApp(Dashboard):
    """Two or three projects side by side; where one activity met different contexts."""

    view = "compare"
    title = "Compare projects"

    def build(self) -> None:
        options = query.facet_options(self.ds, "project")
        identified = [k for k, m in zip(self.ds.projects.project_id, self.ds.projects.membership,
                                        strict=True) if str(m) != "unidentified"]
        chosen = list(self.state.many("project")) or identified[:2]
        self.pickers = []
        none = ("— none —", "")
        for index in range(3):
            picker = w.Dropdown(
                options=([none] if index == 2 else []) + [(v, k) for k, v in options.items()],
                value=chosen[index] if index < len(chosen) else "",
                description=f"Project {index + 1}", style={"description_width": "initial"},
                layout=w.Layout(width="auto"))
            picker.add_class(f"ctg-pick-{index + 1}")
            picker.observe(self._on_change, "value")
            self.pickers.append(picker)
        self.figure = FigureSlot("compare-projects")
        self.figure_text = _html("")
        self.table = _html("")
        self.same = _html("")
        self.body.children = [
            self.header("Choose two or three projects. Highlighted rows show the same kind of "
                        "activity meeting different contexts and activating different "
                        "mechanisms: activities are not mechanisms."),
            w.HBox(self.pickers, layout=w.Layout(flex_flow="row wrap")),
            _html(strength_legend()), self.figure, self.figure_text, self.table, self.same,
        ]
        self._render()

    def chosen(self) -> list[str]:
        return list(dict.fromkeys(p.value for p in self.pickers if p.value))

    @guarded
    def _on_change(self, change=None) -> None:
        self.state = self.state.with_values(project=tuple(self.chosen()))
        self._render()

    def _render(self) -> None:
        chosen = self.chosen()
        if len(chosen) < 2:
            self.show_message("Choose two or three different projects to compare.")
            return
        self.message.value = ""
        ds = self.ds
        cells = query.matrix(ds, "project", Filters(project=tuple(chosen)))
        cells = cells.sort_values("column_id", key=lambda ids: ids.map(chosen.index),
                                  kind="stable")
        self.figure.show(figures.matrix_figure(cells, "Projects"))  # the chart goes out first
        same = query.same_activity_different_mechanisms(ds, chosen)
        with self.root.hold_sync():
            self.figure_text.value = (f"<p class='ctg-srOnly ctg-alt'>"
                                      f"{esc(figures.describe_matrix(cells))}</p>")
            wide = query.compare_projects(ds, chosen)
            shown = wide.map(strength_badge).reset_index()
            self.table.value = html_table(shown, "Mechanism ratings side by side",
                                          raw_columns=tuple(wide.columns))
            if same.empty:
                self.same.value = ("<h2>Same activity, different mechanisms</h2><p class="
                                   "'ctg-help'>These projects share no kind of activity.</p>")
            else:
                table = same.assign(mechanisms=[", ".join(m) or "none reported"
                                                for m in same.mechanisms])
                table = table[["activity_type", "project", "activities", "contexts",
                               "mechanisms"]].rename(columns={
                                   "activity_type": "Activity type", "project": "Project",
                                   "activities": "What they did", "contexts": "Context",
                                   "mechanisms": "Mechanisms activated"})
                classes = ["differs" if d else "" for d in same.differs]
                self.same.value = ("<h2>Same activity, different mechanisms</h2>"
                                   + html_table(table, "Shared activity types",
                                                row_classes=classes))
        self._sync_url()


FLOW_STAGES = (
    (query.ACTIVITY_TO_MECHANISM, "Activity type", "Mechanism",
     "Left half of the diagram: activity types to the mechanisms they activated"),
    (query.MECHANISM_TO_OUTCOME, "Mechanism", "Outcome domain",
     "Right half of the diagram: mechanisms to the outcome domains that show them"),
)


def _stage_table(links: pd.DataFrame, stage: str, source: str, target: str) -> pd.DataFrame:
    """One stage of the flows diagram as a reader table (one stage per table, never mixed)."""
    part = links[links.stage == stage].sort_values(["source", "target"], kind="stable")
    return pd.DataFrame({source: part.source, target: part.target,
                         "Strength": [STRENGTHS[s][0] for s in part.strength],
                         "Records": part["count"]})


class FlowsApp(Dashboard):
    """Across projects: activity types → mechanisms → outcome domains."""

    view = "flows"
    title = "Activities vs mechanisms"

    def build(self) -> None:
        self.facets = {facet: facet_control(self.ds, facet, self.state.many(facet))
                       for facet in ("project", "strength", "activity_type")}
        for control in self.facets.values():
            control.observe(self._on_change, "value")
        self.figure = FigureSlot("activities-mechanisms")
        self.figure_text = _html("")
        self.table = _html("")
        self.body.children = [
            self.header("Each band joins a kind of activity to a mechanism it activated "
                        "(colour = strength), then to the outcomes that show it. The same "
                        "activity can lead to different mechanisms — or none — in different "
                        "projects."),
            w.HBox(list(self.facets.values()), layout=w.Layout(flex_flow="row wrap")),
            _html(f"<p class='ctg-help'>{FILTER_HELP}</p>"),
            self.figure, self.figure_text, self.table,
        ]
        self._render()

    @guarded
    def _on_change(self, change=None) -> None:
        self.state = self.state.with_values(
            present=self.state.get("present"),
            **{facet: control.value for facet, control in self.facets.items()})
        self._render()

    def _render(self) -> None:
        links = query.activity_mechanism_links(self.ds, self.state.filters())
        with self.root.hold_sync():
            self.figure.show(figures.flows_figure(links))
            self.figure_text.value = (f"<p class='ctg-srOnly ctg-alt'>"
                                      f"{esc(figures.describe_flows(links))}</p>")
            self.table.value = "".join(
                html_table(_stage_table(links, stage, source, target), caption)
                for stage, source, target, caption in FLOW_STAGES)
        self._sync_url()


class IndexApp(Dashboard):
    """Landing page: what is here and where to start."""

    view = "index"

    def build(self) -> None:
        ds = self.ds
        counts = ds.describe()[["title", "rows"]].rename(columns={"title": "Table",
                                                                   "rows": "Rows"})
        self.body.children = [
            _html(f"<h1>{esc(self.title)}</h1><p>Evidence from the Health Foundation's "
                  "<i>Closing the Gap through Changing Relationships</i> programme: which "
                  "enabling mechanisms were activated, by what, in which contexts, with what "
                  "outcomes — and how we know.</p><ol>"
                  "<li><a href='overview.ipynb'>Overview</a>: the programme and its seven "
                  "projects.</li><li><a href='matrix.ipynb'>Mechanisms × contexts</a>: the "
                  "evidence map.</li><li><a href='story.ipynb'>Project story</a></li>"
                  "<li><a href='compare.ipynb'>Compare projects</a></li>"
                  "<li><a href='flows.ipynb'>Activities vs mechanisms</a></li></ol>"
                  f"<p class='ctg-help'>Dataset version {esc(ds.version)}, data as of "
                  f"{esc(ds.data_as_of)}. {BASIS_HELP}</p>"),
            _html(html_table(counts, "What the data package holds")),
        ]


DASHBOARDS: dict[str, type[Dashboard]] = {
    "index": IndexApp,
    "overview": OverviewApp,
    "matrix": MatrixApp,
    "story": StoryApp,
    "compare": CompareApp,
    "flows": FlowsApp,
}


def error_panel(text: str) -> w.VBox:
    """What a dashboard shows when the data cannot be used: the problems, in plain words."""
    root = w.VBox([_html(CSS), _html(
        "<h1>The evidence data could not be loaded</h1>"
        "<p>The dashboards need a valid data package. Nothing has been shown from it. These "
        "are the problems found (fix them and reload the page, or run "
        "<code>python -m explorer validate</code>):</p>"
        f"<div class='ctg-error' role='alert'>{esc(text)}</div>")])
    root.add_class("ctg-root")
    return root


def page_query_string() -> str:
    """The query string of the page this kernel serves.

    Voila passes it in ``$QUERY_STRING``. A preheated kernel runs before any page asks for
    it, so there Voila's ``get_query_string`` waits for the request (everything above this
    call in the notebook — imports, loading the data — is already done by then).
    """
    if os.environ.get("VOILA_PREHEAT") == "True":
        from voila.utils import get_query_string

        return get_query_string() or ""
    return os.environ.get("QUERY_STRING", "")


def build(view: str, query_string: str | None = None, ds: Dataset | None = None) -> w.Widget:
    """Build a dashboard by name; the one call a notebook makes.

    Args:
        view: one of ``DASHBOARDS``.
        query_string: the page's query string; default: ``page_query_string()``.
        ds: a loaded dataset; default: ``explorer.load()`` (honours ``$EXPLORER_DATA``).

    Returns:
        The dashboard widget, or a plain error panel when the data cannot be loaded.
    """
    try:
        dataset = ds if ds is not None else load()
        if query_string is None:
            query_string = page_query_string()
        return DASHBOARDS[view](dataset, query_string).widget
    except DataError as error:
        # The page lists the problems but not where the data lives on the server.
        log.warning("%s", error)
        return error_panel(str(DataError(error.problems)))
    except ExplorerError as error:
        return error_panel(str(error))
    except Exception:
        log.exception("building dashboard %r failed", view)
        return error_panel("Something went wrong while building this page. The server log "
                           "has the details.")
