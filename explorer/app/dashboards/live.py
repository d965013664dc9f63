"""The live renderer: a page's content (``explorer.pages.views``) as widgets, updated in place.

``LivePage`` asks its view for the content of the current state and keeps one widget per
block, found again by the block's key on every redraw: an ``Html`` block is an HTML widget
whose value changes, a ``Chart`` is redrawn in place, a ``Download`` builds its file only
when the reader asks. A reader's change to a control (a choice, a filter, a grid cell, the
lessons form) becomes a new state, checked exactly as a link is, and the page redraws.
Widgets only send what changed (traitlets compare old and new values), so a redraw that
leaves a block as it was costs nothing on the wire.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import ipywidgets as w
from ipywidgets.widgets.widget_string import HTMLStyle

from ...data.load import Dataset
from ...pages.registry import PAGES, PageSpec, page_view
from ...pages.state import ViewState, parse_query
from ...render import html
from ...render.blocks import Block, Chart, Choice, Content, Download, FacetFilter, Form, Grid, Html
from ...render.figures import Figure
from ..outputs import LiveLinks
from .widgets import Chart as ChartWidget
from .widgets import EvidenceGrid, FacetFilters, FileDownload, LessonsForm, shared

__all__ = ["Host", "LiveLinks", "LivePage", "close_tree", "html_widget", "vbox"]

R = TypeVar("R")


class Host(Protocol):
    """What a page asks of the frame that holds it (``explorer.app.dashboards.frame.App``):
    the data, which page is on show, bringing the bars in step, and running a reader's
    action so that a failure becomes a message. Declared here, below the frame, so that a
    page never imports the frame that imports it."""

    ds: Dataset

    @property
    def page(self) -> LivePage | None:
        """The page on show."""

    def sync(self, history: str = "replace") -> None:
        """Bring the navigation bar and the address bar in step with the page on show."""

    def calmly(self, action: Callable[[], R], page: LivePage) -> R | None:
        """Run a reader's action on ``page``; a failure becomes a message, not a traceback."""


LIVE_LINKS = LiveLinks()


def html_widget(content: str = "", *classes: str, own_layout: bool = False) -> w.HTML:
    """An HTML widget holding trusted markup from ``explorer.render.html``; it shares the default
    layout and style (``widgets.shared``) unless ``own_layout``."""
    widget = (w.HTML(str(content)) if own_layout else
              w.HTML(str(content), layout=shared(w.Layout), style=shared(HTMLStyle)))
    for cls in classes:
        widget.add_class(cls)
    return widget


def vbox(children: tuple[w.Widget, ...] | list[w.Widget] = ()) -> w.VBox:
    """A vertical box with the shared default layout (``widgets.shared``)."""
    return w.VBox(children, layout=shared(w.Layout))


def close_tree(widget: w.Widget) -> None:
    """Close a widget and everything inside it, freeing them in the kernel and the page."""
    for child in getattr(widget, "children", ()):
        close_tree(child)
    widget.close()


class LivePage:
    """One page of a reader's explorer: its state, its widgets and its messages."""

    def __init__(self, app: Host, state: ViewState) -> None:
        self.app = app
        self.ds = app.ds
        self.name = state.view
        self.view = page_view(self.name)
        self.state = state
        self.widgets: dict[str, w.Widget] = {}
        self.content: Content | None = None
        self._builders: dict[str, Callable[[], bytes]] = {}
        self._quiet = False  # True while the page sets its own controls
        self.notes = html_widget(html.fragment("note", " ".join(state.notes)
                                               + " The default is shown instead.")
                                 if state.notes else "")
        self.message = html_widget("", "ctg-message")
        self.body = vbox()
        self.widget = vbox([self.notes, self.message, self.body])
        self.widget.add_class(f"ctg-page-{self.name}")
        self.render()

    # -- what the frame and analysts read ------------------------------------------------
    @property
    def spec(self) -> PageSpec:
        """This page's registry entry."""
        return PAGES[self.name]

    @property
    def charts(self) -> dict[str, ChartWidget]:
        """The page's chart widgets, by block key."""
        return {k: v for k, v in self.widgets.items() if isinstance(v, ChartWidget)}

    @property
    def figures(self) -> dict[str, Figure]:
        """The figures on show, by block key (empty slots left out)."""
        return {key: dict(chart.figure) for key, chart in self.charts.items() if chart.figure}

    def describe_view(self) -> str:
        """What is on screen in words, for a citation."""
        return self.content.describe if self.content is not None else ""

    # -- drawing -------------------------------------------------------------------------
    def render(self) -> None:
        """Draw the content of the current state, reusing every widget it can."""
        content = self.view.page_content(self.ds, self.state, LIVE_LINKS)
        self.content = content
        self._quiet = True
        try:
            charts = [b for b in content.blocks if isinstance(b, Chart)]
            for block in charts:  # charts go out first: the browser draws while we build
                self._update(block)
            with self.widget.hold_sync():
                children = tuple(self._update(block) if not isinstance(block, Chart)
                                 else self.widgets[block.key] for block in content.blocks
                                 if self._shown(block))
                if children != tuple(self.body.children):
                    self.body.children = children
        finally:
            self._quiet = False
        self.sync()

    @staticmethod
    def _shown(block: Block) -> bool:
        return not isinstance(block, Html) or block.live

    def _update(self, block: Block) -> w.Widget:
        widget = self.widgets.get(block.key)
        maker = _MAKERS[type(block)]
        if widget is None or not isinstance(widget, maker[0]):
            if widget is not None:
                close_tree(widget)
            widget = maker[1](self, block)
            self.widgets[block.key] = widget
        maker[2](self, widget, block)
        return widget

    # -- controls ------------------------------------------------------------------------
    def change(self, **changes: tuple[str, ...] | str | None) -> None:
        """Change the view (the address bar follows) and redraw; if the redraw fails, the
        previous view and its address are kept."""
        before = self.state
        self.state = self.state.with_values(**changes)
        try:
            self.render()
        except Exception:
            self.state = before
            self.sync()
            raise

    def _blocks(self, kind: type) -> list[Any]:
        return [b for b in (self.content.blocks if self.content else ()) if isinstance(b, kind)]

    def on_choice(self, key: str) -> None:
        """A drop-down changed: its parameter takes the chosen value(s)."""
        block = next(b for b in self._blocks(Choice) if b.key == key)
        siblings = [b for b in self._blocks(Choice) if b.parameter == block.parameter]
        values = [self.widgets[b.key].value for b in siblings]
        if block.slot is None:
            value = values[siblings.index(block)]
            chosen: tuple[str, ...] | str | None = (None if value == block.default
                                                     else value)
        else:
            chosen = tuple(dict.fromkeys(v for v in values if v))
        self.change(**{block.parameter: chosen}, **dict.fromkeys(block.resets))

    def on_filters(self, key: str) -> None:
        """A filter was ticked or cleared."""
        block = next(b for b in self._blocks(FacetFilter) if b.key == key)
        value = self.widgets[key].value
        self.change(**{f["name"]: tuple(value.get(f["name"], ())) for f in block.facets},
                    **dict.fromkeys(block.resets))

    def on_select(self, key: str, chosen: str) -> None:
        """A cell or heading of the grid was chosen."""
        block = next(b for b in self._blocks(Grid) if b.key == key)
        self.change(**{block.parameter: chosen or None})

    def on_form(self, key: str) -> None:
        """The lessons form changed: its answers are checked as a link's would be."""
        block = next(b for b in self._blocks(Form) if b.key == key)
        checked = parse_query(self.ds, self.name, block.to_query(self.widgets[key].value))
        own = [name for name in self.view.parameters(self.ds)]
        cleared = {name: None for name in self.state.values
                   if name.partition(".")[0] in own}
        self.show_message(" ".join(checked.notes))
        self.change(**{**cleared, **checked.values})

    # -- messages and the frame ----------------------------------------------------------
    def sync(self) -> None:
        """Keep the address bar in step with this page, if it is the page on show."""
        if self.app.page is self:
            self.app.sync()

    def show_message(self, text: str) -> None:
        """Show a plain message (escaped) in place of a traceback; empty text clears it."""
        self.message.value = (str(html.render("message.html.j2", text=text)) if text else "")

    def build_file(self, key: str) -> bytes | None:
        """Build the download ``key`` of the current view (None: a message says why)."""
        return self.app.calmly(lambda: self._builders[key](), self)

    def close(self) -> None:
        """Close every widget of the page."""
        close_tree(self.widget)
        for widget in self.widgets.values():
            close_tree(widget)


# -- one maker per kind of block: (widget class, create, update) ---------------------------

def _html_new(page: LivePage, block: Html) -> w.HTML:
    # Made with its markup: the widget opens with it and no update message follows.
    return html_widget(str(block.markup), *([block.css] if block.css else []))


def _html_set(page: LivePage, widget: w.HTML, block: Html) -> None:
    widget.value = str(block.markup)


def _chart_new(page: LivePage, block: Chart) -> ChartWidget:
    return ChartWidget(filename=block.filename)


def _chart_set(page: LivePage, widget: ChartWidget, block: Chart) -> None:
    with widget.hold_sync():
        widget.description = block.description
        widget.figure = block.figure or {}
        widget.filename = block.filename


def _download_new(page: LivePage, block: Download) -> FileDownload:
    key = block.key
    return FileDownload(lambda: page.build_file(key))


def _download_set(page: LivePage, widget: FileDownload, block: Download) -> None:
    page._builders[block.key] = block.build
    with widget.hold_sync():
        widget.label = block.label
        widget.filename = block.filename
        widget.mimetype = block.mimetype
        widget.help = block.help


def _choice_new(page: LivePage, block: Choice) -> w.Dropdown:
    widget = w.Dropdown(description=block.label, style={"description_width": "initial"},
                        layout=w.Layout(width="auto", max_width="100%"))
    widget.add_class(f"ctg-{block.key}" if block.slot is None
                     else f"ctg-pick-{block.slot + 1}")
    key = block.key
    widget.observe(lambda change: page.app.calmly(lambda: page.on_choice(key), page)
                   if not page._quiet else None, "value")
    return widget


def _choice_set(page: LivePage, widget: w.Dropdown, block: Choice) -> None:
    options = ([(block.blank, "")] if block.blank is not None else []) + [
        (label, key) for key, label in block.options]
    if list(widget.options) != options:
        widget.options = options
    value = block.value or (block.default if block.slot is None else "")
    if widget.value != value:
        widget.value = value


def _filters_new(page: LivePage, block: FacetFilter) -> FacetFilters:
    widget = FacetFilters(help=block.help, expanded=block.expanded)
    key = block.key
    widget.observe(lambda change: page.app.calmly(lambda: page.on_filters(key), page)
                   if not page._quiet else None, "value")
    return widget


def _filters_set(page: LivePage, widget: FacetFilters, block: FacetFilter) -> None:
    with widget.hold_sync():
        widget.show(block.facets)
        value = {k: list(v) for k, v in block.value.items()}
        if widget.value != value:
            widget.value = value


def _grid_new(page: LivePage, block: Grid) -> EvidenceGrid:
    key = block.key
    return EvidenceGrid(lambda chosen: page.app.calmly(lambda: page.on_select(key, chosen),
                                                       page))


def _grid_set(page: LivePage, widget: EvidenceGrid, block: Grid) -> None:
    with widget.hold_sync():
        widget.styles = dict(block.styles)
        widget.show(block.grid)
        widget.selected = block.selected


def _form_new(page: LivePage, block: Form) -> LessonsForm:
    widget = LessonsForm(questions=dict(block.questions))
    key = block.key
    widget.observe(lambda change: page.app.calmly(lambda: page.on_form(key), page)
                   if not page._quiet else None, "value")
    return widget


def _form_set(page: LivePage, widget: LessonsForm, block: Form) -> None:
    if widget.value != dict(block.value):
        widget.value = dict(block.value)


_MAKERS: dict[type, tuple[type, Callable[..., Any], Callable[..., None]]] = {
    Html: (w.HTML, _html_new, _html_set),
    Chart: (ChartWidget, _chart_new, _chart_set),
    Download: (FileDownload, _download_new, _download_set),
    Choice: (w.Dropdown, _choice_new, _choice_set),
    FacetFilter: (FacetFilters, _filters_new, _filters_set),
    Grid: (EvidenceGrid, _grid_new, _grid_set),
    Form: (LessonsForm, _form_new, _form_set),
}
