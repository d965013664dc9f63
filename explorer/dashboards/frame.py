"""The frame every page lives in: one ``App`` per reader, pages switched inside it.

``build(name)`` is the one call a notebook makes. It returns an ``App``: the navigation bar,
the current page and the reader's place in the site. Moving to another page (a link, back,
forward) switches the page inside the same kernel and updates the address bar, so a
reader holds one kernel however many pages they visit, and a move costs a page build
(tens of milliseconds) instead of a new kernel. Any page's address still opens that page
directly in a fresh kernel, because every notebook calls ``build`` with its own name.

Safety rules every page follows:

- markup comes from ``explorer.html`` templates (autoescaped), never from string assembly;
- an ``ExplorerError`` (bad data, unknown id) becomes a plain message, and any other failure
  in a callback is logged on the server and reported in one calm sentence: a traceback never
  reaches the browser — except in *strict* mode (``build(..., strict=True)`` or
  ``EXPLORER_STRICT=1``), used by the test suite and by analysts, where errors are raised.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import logging
import os
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import ipywidgets as w

from .. import html
from ..errors import DataError, ExplorerError, StateError
from ..figures import Figure
from ..load import Dataset, load
from ..pages import PAGES, PageSpec
from ..programme import Programme
from ..site import readonly_link
from ..state import ViewState, parse_query, to_query
from .presentation import Presenter
from .room import RoomPanel
from .widgets import Chart, Navigation

__all__ = ["App", "ErrorPage", "Page", "build", "guarded", "html_widget", "strict_default"]

log = logging.getLogger("explorer.dashboards")

P = ParamSpec("P")
R = TypeVar("R")
STRICT_ENV = "EXPLORER_STRICT"
CALM_MESSAGE = ("Something went wrong while updating this view. The previous view is kept; "
                "please reload the page.")


def strict_default() -> bool:
    """True when ``$EXPLORER_STRICT`` asks for errors to be raised (tests, analysts)."""
    return os.environ.get(STRICT_ENV, "").lower() in ("1", "true", "yes")


def html_widget(content: str = "", *classes: str) -> w.HTML:
    """An HTML widget holding trusted markup from ``explorer.html``."""
    widget = w.HTML(str(content))
    for cls in classes:
        widget.add_class(cls)
    return widget


def close_tree(widget: w.Widget) -> None:
    """Close a widget and everything inside it, freeing them in the kernel and the page."""
    for child in getattr(widget, "children", ()):
        close_tree(child)
    widget.close()


def guarded(method: Callable[P, R]) -> Callable[P, R | None]:
    """Run a page's widget callback so that no failure shows a traceback in the browser."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | None:
        page = args[0]
        assert isinstance(page, Page)
        try:
            return method(*args, **kwargs)
        except ExplorerError as error:
            if page.app.strict:
                raise
            page.show_message(str(error))
        except Exception:
            if page.app.strict:
                raise
            log.exception("dashboard callback failed")
            page.show_message(CALM_MESSAGE)
        return None

    return wrapper


class Page:
    """Base of every page: its state, its widgets, its charts and its messages.

    A subclass sets ``name`` (its registry entry) and implements ``build``, which creates the
    page's controls from ``self.state`` and draws it. Callbacks change ``self.state`` with
    ``update_state`` (the address bar follows) and are wrapped in ``guarded``.
    """

    name = ""

    def __init__(self, app: App, state: ViewState) -> None:
        self.app = app
        self.ds = app.ds
        self.programme = app.programme
        self.state = state
        self.charts: dict[str, Chart] = {}
        self.notes = html_widget(html.fragment("note", " ".join(state.notes)
                                               + " The default is shown instead.")
                                 if state.notes else "")
        self.message = html_widget("", "ctg-message")
        self.body = w.VBox()
        self.widget = w.VBox([self.notes, self.message, self.body])
        self.widget.add_class(f"ctg-page-{self.name}")
        self.build()

    @property
    def spec(self) -> PageSpec:
        """This page's registry entry."""
        return PAGES[self.name]

    def build(self) -> None:
        """Create the page's controls and draw its first view."""
        raise NotImplementedError

    def describe_view(self) -> str:
        """What is on screen in words, for a citation (e.g. the chosen project)."""
        return ""

    def chart(self, slot: str, filename: str) -> Chart:
        """The chart widget for ``slot``, created once and redrawn in place afterwards."""
        if slot not in self.charts:
            self.charts[slot] = Chart(filename=filename)
        return self.charts[slot]

    def draw(self, slot: str, figure: Figure | None, description: str = "") -> None:
        """Show ``figure`` in ``slot`` (None hides it) with its text alternative."""
        chart = self.charts[slot]
        with chart.hold_sync():
            chart.description = description
            chart.figure = figure or {}

    @property
    def figures(self) -> dict[str, Figure]:
        """The figures on show, by slot (empty slots left out)."""
        return {slot: dict(chart.figure) for slot, chart in self.charts.items() if chart.figure}

    def update_state(self, **changes: tuple[str, ...] | str | None) -> None:
        """Change the view's state and keep the address bar in step."""
        self.state = self.state.with_values(**changes)
        self.sync()

    def sync(self) -> None:
        """Keep the address bar in step with this page, if it is the page on show."""
        if self.app.page is self:
            self.app.sync()

    def show_message(self, text: str) -> None:
        """Show a plain message (escaped) in place of a traceback; empty text clears it."""
        self.message.value = (str(html.render("message.html.j2", text=text)) if text else "")

    def close(self) -> None:
        """Close every widget of the page."""
        close_tree(self.widget)
        for chart in self.charts.values():
            chart.close()


def _page_class(spec: PageSpec) -> type[Page]:
    cls = getattr(importlib.import_module(spec.module), spec.class_name)
    if not (isinstance(cls, type) and issubclass(cls, Page)):
        raise TypeError(f"{spec.module}.{spec.class_name} is not a Page")
    return cls


class App:
    """One reader's explorer: the navigation bar and the page on show.

    Attributes an analyst can use: ``ds`` (the data), ``page`` (the page object, with its
    ``state`` and ``figures``), ``state`` and ``figures`` (of the page on show), ``widget``
    (the root widget) and ``open(name, query)`` to move to another page.
    """

    def __init__(self, ds: Dataset, start: str, query_string: str = "",
                 strict: bool = False) -> None:
        self.ds = ds
        self.strict = strict
        self.programme = Programme.of(ds)
        self.presenting = False
        self.navigation = Navigation(
            self._on_navigate,
            links=[[spec.name, spec.title] for spec in PAGES.values()],
        )
        self.navigation.observe(self._on_present, "presenting")
        self.presenter = Presenter(ds, self._on_navigate)  # guided steps, "Join this session"
        self.room_key: str | None = None  # the live room this page steers, kept in the address
        self.room = RoomPanel(ds, self._on_room_key)
        self.slot = w.Box(layout=w.Layout(display="block"))
        # "Read-only version" link to the static site, when $EXPLORER_STATIC_URL is set.
        self.readonly = html_widget("", "ctg-readonly-box")
        self.root = w.VBox([html_widget(f"<style>{html.stylesheet()}</style>"),
                            self.navigation, self.presenter.widget, self.room.widget,
                            self.readonly, self.slot])
        self.root.add_class("ctg-root")
        self._pages: dict[str, Page] = {}
        self.page: Page | None = None
        self.open(start, query_string, history="replace")

    # -- what an analyst reads ---------------------------------------------------------
    @property
    def current(self) -> Page:
        """The page on show."""
        assert self.page is not None, "the app has opened no page yet"
        return self.page

    @property
    def state(self) -> ViewState:
        """The state of the page on show."""
        return self.current.state

    @property
    def figures(self) -> dict[str, Figure]:
        """The figures of the page on show, by slot."""
        return self.current.figures

    @property
    def widget(self) -> w.VBox:
        """The whole explorer, ready to display."""
        return self.root

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.root._repr_mimebundle_(**kwargs)

    # -- moving between pages ------------------------------------------------------------
    def open(self, name: str, query_string: str = "", history: str = "push") -> Page:
        """Show the page ``name`` in the view ``query_string`` describes.

        A page already built for exactly that view is shown again as it was; otherwise it
        is rebuilt. ``history`` says what the address bar does (see ``Navigation``).

        Raises:
            StateError: no page has that name.
        """
        if name not in PAGES:
            raise StateError(f"There is no page called {name!r}.")
        parsed = parse_query(self.ds, name, query_string)
        key = parsed.get("room")
        if key and key != self.room_key:
            self.room_key = key
            if not self.room.resume(key):
                self.room_key = None
            self.presenter.set_room(self.room_key is not None)
        state = self.presenter.follow(parsed)
        name = state.view
        if state.presenting:
            self.presenting = True
        page = self._pages.get(name)
        if page is None or to_query(self._with_present(page.state)) != to_query(
                self._with_present(state)) or state.notes:
            if page is not None:
                page.close()
            page = _page_class(PAGES[name])(self, self._with_present(state))
            self._pages[name] = page
        self.page = page
        self.slot.children = (page.widget,)
        self._apply_present()
        self.sync(history)
        return page

    def _on_navigate(self, name: str, query_string: str, history: str) -> None:
        try:
            self.open(name, query_string, history if history in ("push", "none") else "push")
        except ExplorerError as error:
            if self.strict:
                raise
            self.current.show_message(str(error))
        except Exception:
            if self.strict:
                raise
            log.exception("opening page %r failed", name)
            self.current.show_message(CALM_MESSAGE)

    # -- presentation mode and the address bar ---------------------------------------------
    def _on_room_key(self, key: str | None) -> None:
        """A room opened (its key) or closed (None): the address and the steps follow."""
        self.room_key = key
        self.presenter.set_room(key is not None)
        self.sync()

    def _with_present(self, state: ViewState) -> ViewState:
        """``state`` with the explorer's presentation mode and live room (its notes kept)."""
        changed = state.with_values(present="1" if self.presenting else None,
                                    room=self.room_key)
        return dataclasses.replace(changed, notes=state.notes)

    def _on_present(self, change: dict[str, Any]) -> None:
        self.presenting = bool(change["new"])
        self._apply_present()
        self.sync()

    def _apply_present(self) -> None:
        if self.presenting:
            self.root.add_class("ctg-present")
        else:
            self.root.remove_class("ctg-present")

    def sync(self, history: str = "replace") -> None:
        """Bring the navigation bar and the address bar in step with the page on show."""
        page = self.page
        if page is None:
            return
        page.state = self._with_present(page.state)
        site = self.programme.text("site_title")
        view = page.describe_view()
        title = page.spec.title + (f": {view}" if view else "")
        with self.navigation.hold_sync():
            self.navigation.history = history
            self.navigation.page = page.name
            self.navigation.query = to_query(page.state)
            self.navigation.title = f"{page.spec.title} · {site}"
            self.navigation.presenting = self.presenting
            self.navigation.citation = (
                f"{site}. {title}. Dataset version {self.ds.version}, data as of "
                f"{self.ds.data_as_of}.")
            self.readonly.value = str(readonly_link(self.ds, page.name, page.state))
            self.readonly.layout.display = None if self.readonly.value else "none"
        self.presenter.sync(page, to_query(page.state))


class ErrorPage:
    """What a notebook shows when the data cannot be loaded: the problems, in plain words."""

    def __init__(self, message: str) -> None:
        self.message = message
        self.root = w.VBox([html_widget(f"<style>{html.stylesheet()}</style>"),
                            html_widget(html.render("data_error.html.j2", message=message))])
        self.root.add_class("ctg-root")

    @property
    def widget(self) -> w.VBox:
        """The error panel, ready to display."""
        return self.root

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.root._repr_mimebundle_(**kwargs)


def page_query_string() -> str:
    """The query string of the page this kernel serves.

    Voila passes it in ``$QUERY_STRING``. A preheated kernel runs before any page asks for
    it, so there Voila's ``get_query_string`` waits for the request (everything above this
    call in the notebook — imports, loading the data — is already done by then).
    """
    if os.environ.get("VOILA_PREHEAT") == "True":
        from voila.utils import get_query_string

        return str(get_query_string() or "")
    return os.environ.get("QUERY_STRING", "")


def build(name: str, query_string: str | None = None, ds: Dataset | None = None,
          strict: bool | None = None) -> App | ErrorPage:
    """Open the explorer on page ``name``: the one call a notebook makes.

    Args:
        name: a page of ``explorer.pages.PAGES``.
        query_string: the view, as in a page address; default: the page's own address.
        ds: a loaded dataset; default: ``explorer.load()`` (honours ``$EXPLORER_DATA``).
        strict: raise errors instead of showing them as messages; default
            ``$EXPLORER_STRICT``. Tests and analysts want this; a public site does not.

    Returns:
        The ``App`` (display it, or use its ``ds``, ``page``, ``state`` and ``figures``), or
        an ``ErrorPage`` when the data cannot be used and ``strict`` is off.
    """
    strict = strict_default() if strict is None else strict
    try:
        dataset = ds if ds is not None else load()
        if query_string is None:
            query_string = page_query_string()
        return App(dataset, name, query_string, strict=strict)
    except DataError as error:
        if strict:
            raise
        # The page lists the problems but not where the data lives on the server.
        log.warning("%s", error)
        return ErrorPage(str(DataError(error.problems)))
    except ExplorerError as error:
        if strict:
            raise
        return ErrorPage(str(error))
    except Exception:
        if strict:
            raise
        log.exception("building page %r failed", name)
        return ErrorPage("Something went wrong while building this page. The server log "
                         "has the details.")
