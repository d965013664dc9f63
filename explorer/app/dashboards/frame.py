"""The frame every page lives in: one ``App`` per reader, pages switched inside it.

``build(name)`` is the one call a notebook makes. It returns an ``App``: the navigation bar,
the current page and the reader's place in the site. Moving to another page (a link, back,
forward) switches the page inside the same kernel and updates the address bar, so a
reader holds one kernel however many pages they visit, and a move costs a page build
(tens of milliseconds) instead of a new kernel. Any page's address still opens that page
directly in a fresh kernel, because every notebook calls ``build`` with its own name.

Safety rules every page follows:

- markup comes from ``explorer.render.html`` templates (autoescaped), never from string assembly;
- an ``ExplorerError`` (bad data, unknown id) becomes a plain message, and any other failure
  in a callback is logged on the server and reported in one calm sentence: a traceback never
  reaches the browser — except in *strict* mode (``build(..., strict=True)`` or
  ``EXPLORER_STRICT=1``), used by the test suite and by analysts, where errors are raised.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable
from typing import Any, TypeVar

import ipywidgets as w

from ...data.load import Dataset, load
from ...errors import DataError, ExplorerError, StateError
from ...evidence.programme import Programme
from ...pages.registry import PAGES, live_pages, static_href, static_url
from ...pages.state import ViewState, parse_query, to_query
from ...render import html
from ...render.figures import Figure
from ..briefings import handout_html
from .live import LivePage, close_tree, html_widget, vbox
from .presentation import ROOM_STEP, Presenter
from .room import RoomPanel
from .widgets import FileDownload, Navigation

__all__ = ["CALM_MESSAGE", "App", "ErrorPage", "LivePage", "build", "close_tree", "html_widget",
           "strict_default"]

log = logging.getLogger("explorer.dashboards")

R = TypeVar("R")
STRICT_ENV = "EXPLORER_STRICT"
HANDOUT_LABEL = "Download a printable handout of this view (HTML)"
HANDOUT_HELP = ("One self-contained page of exactly what is on screen, with its sources, to "
                "print or share. It opens without a server or internet.")
BUILD_MESSAGE = ("Something went wrong while building this page. The server log has the "
                 "details.")
CALM_MESSAGE = ("Something went wrong while updating this view. The previous view is kept; "
                "please reload the page.")


def explain(error: Exception, strict: bool, doing: str, calm: str) -> str:
    """The one way the explorer turns an error into what a reader reads.

    In strict mode (tests, analysts) the error is raised again. Otherwise bad data becomes
    its list of problems (without where the data lives on the server), any other
    ``ExplorerError`` (an unknown id) its plain message, and anything else is logged on the
    server and reported as ``calm``, one sentence with no details.
    """
    if strict:
        raise error
    if isinstance(error, DataError):
        log.warning("%s", error)
        return str(DataError(error.problems))
    if isinstance(error, ExplorerError):
        return str(error)
    log.error("%s failed", doing, exc_info=error)
    return calm


def strict_default() -> bool:
    """True when ``$EXPLORER_STRICT`` asks for errors to be raised (tests, analysts)."""
    return os.environ.get(STRICT_ENV, "").lower() in ("1", "true", "yes")


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
            links=[[spec.name, spec.title] for spec in live_pages()],
            data_version=ds.version,
        )
        self.navigation.observe(self._on_present, "presenting")
        self.presenter = Presenter(ds, self._on_navigate)  # guided steps, "Join this session"
        # The live room this page steers (dashboards.room): never in the page's address.
        self.room = RoomPanel(ds, self._on_room)
        self.slot = w.Box(layout=w.Layout(display="block"))
        # "Read-only version" link to the static site, when $EXPLORER_STATIC_URL is set.
        self.readonly = html_widget("", "ctg-readonly-box", own_layout=True)  # hides itself
        # A printable handout of whatever view is on show, built only when asked.
        self.handout = FileDownload(self._handout, label=HANDOUT_LABEL, mimetype="text/html",
                                    help=HANDOUT_HELP)
        self.handout.add_class("ctg-handout")
        self.root = vbox([html_widget(_style_element()),
                          self.navigation, self.presenter.widget, self.room.widget,
                          self.readonly, self.slot, self.handout])
        self.root.add_class("ctg-root")
        self._pages: dict[str, LivePage] = {}
        self.page: LivePage | None = None
        self.open(start, query_string, history="replace")

    # -- what an analyst reads ---------------------------------------------------------
    @property
    def current(self) -> LivePage:
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
    def open(self, name: str, query_string: str = "", history: str = "push") -> LivePage:
        """Show the page ``name`` in the view ``query_string`` describes.

        A page already built for exactly that view is shown again as it was; otherwise it
        is rebuilt. ``history`` says what the address bar does (see ``Navigation``).

        Raises:
            StateError: no page has that name.
        """
        if name not in PAGES or not PAGES[name].live:
            raise StateError(f"There is no page called {name!r}.")
        parsed = parse_query(self.ds, name, query_string)
        state = self.presenter.follow(parsed)
        name = state.view
        if state.presenting:
            self.presenting = True
        page = self._pages.get(name)
        if page is None or to_query(self._with_present(page.state)) != to_query(
                self._with_present(state)) or state.notes:
            if page is not None:
                page.close()
            page = LivePage(self, self._with_present(state))
            self._pages[name] = page
        self.page = page
        self.slot.children = (page.widget,)
        self._apply_present()
        self.sync(history)
        return page

    def _on_navigate(self, name: str, query_string: str, history: str) -> None:
        self.calmly(lambda: self.open(name, query_string,
                                      history if history in ("push", "none") else "push"),
                    self.current)

    def _handout(self) -> bytes | None:
        """The printable handout of the view on show (``export.handout_html``)."""
        page = self.current
        query = to_query(page.state.with_values(present=None, step=None))
        return self.calmly(lambda: handout_html(self.ds, query, page=page.name).encode(
            "utf-8"), page)

    def calmly(self, action: Callable[[], R], page: LivePage) -> R | None:
        """Run a reader's action so that no failure shows a traceback in the browser: a
        failure becomes a message on ``page`` (see ``explain``)."""
        try:
            return action()
        except Exception as error:
            page.show_message(explain(error, self.strict,
                                      f"a reader's action on page {page.name!r}",
                                      CALM_MESSAGE))
        return None

    # -- presentation mode and the address bar ---------------------------------------------
    def _on_room(self, is_open: bool, resumed: bool) -> None:
        """A room opened, was taken up again (``resumed``) or closed: the guided presentation
        gains or loses the room's step, and a page shown as a step stays in step. The room
        never enters the address.

        Taken up again after a reload, the address's step N was a step of the presentation
        with the room, so step N of the new steps is opened (a presenter who reloads on the
        room's step gets it back). Otherwise the view stays and its step number follows it
        (the lessons, step 5, become step 6 when a room opens; the room's own view, once the
        room closes, is no longer a step).
        """
        before = self.presenter.steps
        self.presenter.set_room(is_open)
        page = self.page
        if page is None:
            return
        raw = page.state.get("step") if page.state.presenting else None
        number = int(raw) if raw and raw.isdigit() else 0
        if number and resumed:
            self.calmly(lambda: self.open(page.name, to_query(page.state), history="replace"),
                        page)
        elif 1 <= number <= len(before) and before != self.presenter.steps:
            steps = self.presenter.steps
            now = steps.index(before[number - 1]) + 1 if before[number - 1] in steps else None
            page.state = dataclasses.replace(
                page.state.with_values(step=str(now) if now else None), notes=page.state.notes)
            self.sync()
        else:
            self._sync_steps(page)

    def _with_present(self, state: ViewState) -> ViewState:
        """``state`` with the explorer's presentation mode (its notes kept)."""
        changed = state.with_values(present="1" if self.presenting else None)
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
            self.navigation.citation = citation(self.ds, page, title)
            self.navigation.print_note = print_note(self.ds)
            self.navigation.static_address = _static_address(self.ds, page.state)
            self.handout.filename = f"{page.name}-handout.html"
            self.readonly.value = str(_readonly_link(self.ds, page.state))
            self.readonly.layout.display = None if self.readonly.value else "none"
        self._sync_steps(page)

    def _sync_steps(self, page: LivePage) -> None:
        """The step bar follows the page; on a step other than the room's own, an open
        room's panel folds to its code, counts and buttons, so that the step's view is on
        the screen (the answers are the room's step)."""
        step = self.presenter.sync(page, to_query(page.state))
        self.room.fold(step is not None and step.caption != ROOM_STEP)


def _style_element() -> str:
    """The explorer's stylesheet as a ``<style>`` element for the page."""
    return str(html.render("style_element.html.j2", css=html.inline_stylesheet()))


def _authors(ds: Dataset) -> str:
    # The curators of this programme's explorer (the other programme's package names its
    # own site, so the authors follow its data, not this package's metadata).
    return f"{Programme.of(ds).text('site_title')} curators"


def caveat(ds: Dataset) -> str:
    """Whose judgement the ratings are: the curators' coding, not the evaluator's findings."""
    return (f"The ratings are the coding of the {_authors(ds)}, not findings of "
            f"{Programme.of(ds).evaluator}.")


def print_note(ds: Dataset) -> str:
    """What a printed page says above its view, before its address and the day it was
    printed (which the browser adds): the site, the data version and date, and the caveat."""
    return (f"{Programme.of(ds).text('site_title')}. Dataset version {ds.version}, data as of "
            f"{ds.data_as_of}. {caveat(ds)}")


def citation(ds: Dataset, page: LivePage, title: str) -> str:
    """'Cite this view' without its address: what the view says (one sentence), whose
    coding it is, and the reference (authors, site, page and view, dataset version and
    date). The browser adds the address and the date it was read."""
    programme = Programme.of(ds)
    statement = page.view.statement(ds, page.state)
    authors = _authors(ds)
    return " ".join(part for part in (
        statement, caveat(ds),
        f"{authors}. {programme.text('site_title')}: {title}. Dataset version "
        f"{ds.version}, data as of {ds.data_as_of}.") if part)


def _static_address(ds: Dataset, state: ViewState) -> str:
    """The read-only site's absolute address of this view, when one is configured ('' when
    not): a citation can name it instead of a local address nobody else can open."""
    base = static_url()
    if not base.startswith(("http://", "https://")):
        return ""
    parameters = {name: values[0] for name, values in state.values.items() if len(values) == 1}
    return base + static_href(ds, state.view, **parameters)


def _readonly_link(ds: Dataset, state: ViewState) -> str:
    """The live page's link to its static counterpart; '' without ``$EXPLORER_STATIC_URL``."""
    base = static_url()
    if not base:
        return ""
    parameters = {name: values[0] for name, values in state.values.items() if len(values) == 1}
    return str(html.render("readonly_link.html.j2",
                           href=base + static_href(ds, state.view, **parameters)))


class ErrorPage:
    """What a notebook shows when the data cannot be loaded: the problems, in plain words."""

    def __init__(self, message: str) -> None:
        self.message = message
        self.root = vbox([html_widget(_style_element()),
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
        name: a page of ``explorer.pages.registry.PAGES``.
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
    except Exception as error:
        return ErrorPage(explain(error, strict, f"building page {name!r}", BUILD_MESSAGE))
