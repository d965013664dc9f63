"""The explorer's own widgets: small anywidgets whose JavaScript lives beside this module.

Each does one job in the browser that stock ipywidgets do badly or slowly:

- ``Navigation``: the page links, presentation mode, "cite this view", the address bar and
  history (moving between pages switches views inside the same kernel), and a heartbeat
  that says in plain words when the server has gone away;
- ``Chart``: one plotly chart per slot, redrawn in place (``Plotly.react``) with plotly.js
  that Voila already serves, plus its text alternative;
- ``EvidenceGrid``: the mechanism × column matrix as one keyboard-usable table of buttons,
  at any size;
- ``FacetFilters``: checkbox filters with counts and removable chips;
- ``FileDownload``: a button that fetches a file built on request (briefings, CSVs) as one
  binary message and saves it;
- ``LessonsForm``: the lessons exercise as a real HTML form;
- ``RoomControls``: the presenter's live-room panel, its buttons and large type
  (``dashboards.room`` wires it to the room store).

The JavaScript is read from ``js/`` once per process and sent with each widget; nothing is
fetched from outside the server. ``js/plotly_loader.js`` (plotly.js from Voila's own plotly
extension, loaded once per page) goes in front of the modules that need it: ``Chart`` draws
with it and ``Navigation`` starts loading it while the browser is idle, so a reader's first
move to a page with a chart does not wait for plotly.js.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import anywidget
import ipywidgets as w
import traitlets

from ...pages.state import MAX_TEXT_LENGTH

__all__ = ["Chart", "EvidenceGrid", "FacetFilters", "FileDownload", "LessonsForm", "Navigation",
           "RoomControls", "shared"]

JS = Path(__file__).resolve().parent / "js"


@cache
def _esm(*names: str) -> str:
    """The module text of ``js/<name>`` files, in order (shared helpers first: ``dom.js``,
    the one DOM-building helper every module uses, then e.g. ``plotly_loader.js``).

    Cached per process: these are files of the package, not derived from any dataset."""
    return "\n".join((JS / name).read_text(encoding="utf-8") for name in names)


W = TypeVar("W", bound=w.Widget)
_SHARED: dict[type, w.Widget] = {}


def shared(kind: type[W]) -> W:
    """The one default ``Layout`` (or ``HTMLStyle``) that this process's plain widgets share.

    ipywidgets gives every widget a layout (and an HTML widget a style) of its own: more
    widgets for the kernel to make and more messages for the server to carry, two thirds of
    what a page sends when it is first shown. The explorer styles its widgets with CSS
    classes and never changes a plain widget's layout or style, so one of each serves all;
    a widget whose layout changes (e.g. one that hides itself) is given its own. One closed
    (``Widget.close_all``) is replaced.
    """
    widget = _SHARED.get(kind)
    if widget is None or widget.comm is None:
        widget = _SHARED[kind] = kind()
    return widget


class _Plain(anywidget.AnyWidget):
    """An anywidget with the shared default layout (``shared``)."""

    @traitlets.default("layout")
    def _shared_layout(self) -> w.Layout:
        return shared(w.Layout)


class Navigation(_Plain):
    """Page links, presentation mode, citation, address bar, history and heartbeat.

    Python sets ``page``, ``query``, ``title`` and ``history`` (``push`` adds a history
    entry, ``replace`` rewrites the current one, ``none`` leaves the address alone because the
    browser already moved), ``citation`` (a citation of the view without its address) and
    ``static_address`` (the read-only site's address of the view, when configured) and
    ``data_version`` (added to a cited address, so that whoever opens it later sees what has
    changed since that version); ``print_note`` (the site, the data version and date and
    whose coding the ratings are, printed above the page with its address and the day it
    was printed); the browser reports link clicks and back/forward as ``{"type":
    "navigate", "page", "query", "history"}`` messages and answers nothing else.
    """

    _esm = _esm("dom.js", "plotly_loader.js", "navigation.js")
    links = traitlets.List(traitlets.List()).tag(sync=True)
    page = traitlets.Unicode("").tag(sync=True)
    query = traitlets.Unicode("").tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    history = traitlets.Unicode("replace").tag(sync=True)
    presenting = traitlets.Bool(False).tag(sync=True)
    citation = traitlets.Unicode("").tag(sync=True)
    static_address = traitlets.Unicode("").tag(sync=True)
    data_version = traitlets.Unicode("").tag(sync=True)
    print_note = traitlets.Unicode("").tag(sync=True)

    def __init__(self, on_navigate: Callable[[str, str, str], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_navigate = on_navigate
        self.on_msg(self._handle)

    def _handle(self, _widget: object, content: dict[str, Any], _buffers: object) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            self.send({"type": "pong"})
        elif kind == "navigate":
            self._on_navigate(str(content.get("page", "")), str(content.get("query", "")),
                              str(content.get("history", "push")))


class Chart(_Plain):
    """One chart slot: set ``figure`` (a plotly figure dict) and the browser redraws in place.

    An empty dict hides the slot. ``description`` is the chart's text alternative (read by
    screen readers, kept in the page for everyone else to find); ``filename`` names the PNG
    that the chart's camera button downloads.
    """

    _esm = _esm("dom.js", "plotly_loader.js", "chart.js")
    figure = traitlets.Dict().tag(sync=True)
    description = traitlets.Unicode("").tag(sync=True)
    filename = traitlets.Unicode("chart").tag(sync=True)


class EvidenceGrid(_Plain):
    """The matrix as a table of buttons; a choice arrives as ``on_select(key)``.

    What the grid shows travels in three parts, so that a filter tick re-sends only what it
    changed (traitlets send a trait only when its value changes):

    - ``frame``: ``columns`` (``[id, label]``), ``rows`` (``[id, label, definition]``: the
      definition is shown when a reader points at the heading), ``levels`` (confidence level
      → ``[label, marks]``), ``kinds`` (gap kind → label), ``corner`` and ``caption``; it
      changes only when the columns do;
    - ``looks``: each distinct cell, ``[strength, rated, records, contested, kind, level]``;
    - ``cells``: row-major, each cell's index into ``looks`` (a grid of 700 projects is 6,300
      small numbers rather than 6,300 lists, most of them alike).

    ``styles`` maps a strength to ``[label, symbol]``; ``selected`` is the key shown as
    chosen (``mechanism:column``, ``mechanism:`` for a row, ``:column`` for a column).
    """

    _esm = _esm("dom.js", "grid.js")
    frame = traitlets.Dict().tag(sync=True)
    looks = traitlets.List(traitlets.List()).tag(sync=True)
    cells = traitlets.List(traitlets.Int()).tag(sync=True)
    styles = traitlets.Dict().tag(sync=True)
    selected = traitlets.Unicode("").tag(sync=True)

    def show(self, grid: Mapping[str, Any]) -> None:
        """Show ``grid`` (as ``explorer.pages.views`` builds it: the ``frame`` entries plus
        ``cells``, one list per cell), sending only the parts that changed."""
        looks: dict[tuple[Any, ...], int] = {}
        at = [looks.setdefault(tuple(cell), len(looks)) for cell in grid["cells"]]
        with self.hold_sync():
            self.frame = {key: value for key, value in grid.items() if key != "cells"}
            self.looks = [list(look) for look in looks]
            self.cells = at

    def table(self) -> list[list[Any]]:
        """Every cell as ``[strength, rated, records, contested, kind, level]``, row-major
        (what the browser draws)."""
        return [list(self.looks[index]) for index in self.cells]

    def __init__(self, on_select: Callable[[str], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_select = on_select
        self.on_msg(self._handle)

    def _handle(self, _widget: object, content: dict[str, Any], _buffers: object) -> None:
        if isinstance(content, dict) and content.get("type") == "select":
            self._on_select(str(content.get("key", "")))


class FacetFilters(_Plain):
    """Checkbox filters with counts; ``value`` is ``{facet: [ids]}`` as the reader chose.

    ``facets`` is ``[{name, label, options: [{id, label}]}]`` and changes only with the data;
    ``counts`` is ``{facet: [count of each option, in order]}``, what a tick changes.
    """

    _esm = _esm("dom.js", "filters.js")
    facets = traitlets.List(traitlets.Dict()).tag(sync=True)
    counts = traitlets.Dict().tag(sync=True)
    value = traitlets.Dict().tag(sync=True)
    title = traitlets.Unicode("Filter the evidence").tag(sync=True)
    help = traitlets.Unicode("").tag(sync=True)
    expanded = traitlets.Bool(False).tag(sync=True)

    def show(self, facets: Iterable[Mapping[str, Any]]) -> None:
        """Show ``facets`` as ``explorer.pages.views`` builds them (each option with its
        ``count``), sending the labels only when they changed."""
        facets = list(facets)
        with self.hold_sync():
            self.facets = [{"name": f["name"], "label": f["label"],
                            "options": [{"id": o["id"], "label": o["label"]}
                                        for o in f["options"]]} for f in facets]
            self.counts = {f["name"]: [o["count"] for o in f["options"]] for f in facets}

    def options(self) -> dict[str, dict[str, int]]:
        """``{facet: {option id: count}}`` as the browser shows them."""
        return {f["name"]: dict(zip((o["id"] for o in f["options"]), self.counts[f["name"]],
                                    strict=True)) for f in self.facets}


class FileDownload(_Plain):
    """A button that asks the kernel for a file and saves what comes back.

    The file is built only when the reader asks (``build()`` returns its bytes, or None when
    it failed and the page has shown a message) and travels once as a binary buffer of a
    widget message; the browser turns it into a Blob and saves it as ``filename``. A file of
    several MB never sits in the page as a ``data:`` address. ``build`` may instead return an
    awaitable of the same (a file read from the room store off the kernel's thread): the
    file is sent when it is ready and the kernel stays free meanwhile.
    """

    _esm = _esm("dom.js", "download.js")
    label = traitlets.Unicode("Download").tag(sync=True)
    filename = traitlets.Unicode("download").tag(sync=True)
    mimetype = traitlets.Unicode("application/octet-stream").tag(sync=True)
    help = traitlets.Unicode("").tag(sync=True)

    def __init__(self, build: Callable[[], bytes | Awaitable[bytes | None] | None],
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._build = build
        self._pending: set[asyncio.Future[None]] = set()
        self.on_msg(self._handle)

    def _handle(self, _widget: object, content: dict[str, Any], _buffers: object) -> None:
        if not (isinstance(content, dict) and content.get("type") == "request"):
            return
        data = self._build()
        if inspect.isawaitable(data):
            task = asyncio.ensure_future(self._send_when_ready(data))
            self._pending.add(task)  # held until done: the loop keeps only weak references
            task.add_done_callback(self._pending.discard)
        else:
            self._deliver(data)

    async def _send_when_ready(self, data: Awaitable[bytes | None]) -> None:
        self._deliver(await data)

    def _deliver(self, data: bytes | None) -> None:
        if data is None:
            self.send({"type": "failed"})
        else:
            self.send({"type": "file", "filename": self.filename, "mimetype": self.mimetype,
                       "size": len(data)}, [data])


class LessonsForm(_Plain):
    """The exercise as an HTML form; ``value`` is what the room answered.

    ``questions`` holds ``relationships``, ``mechanisms``, ``foundations`` and
    ``recommendations`` (lists of ``{id, label, definition}``) and ``levels`` (the
    foundation answers, ``[id, label]`` pairs). ``value`` is ``{name, relationship_type,
    mechanism, how, foundation, recommendation}``; the kernel sets it only to restore
    answers, never while the room types. ``max_text`` is the longest answer a link keeps.
    """

    _esm = _esm("dom.js", "lessons.js")
    questions = traitlets.Dict().tag(sync=True)
    value = traitlets.Dict().tag(sync=True)
    max_text = traitlets.Int(MAX_TEXT_LENGTH).tag(sync=True)


#: A presenter key as the browser may offer it back (``explorer.rooms``: 24 random bytes,
#: URL-safe); anything else is not one.
PRESENTER_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
ROOM_ACTIONS = frozenset({"reveal", "hide", "lock", "unlock", "next", "previous", "clear",
                          "close"})


class RoomControls(anywidget.AnyWidget):
    """The panel's buttons and large type.

    Python sets ``status`` (a dict: ``open``, and for an open room ``code``, ``join``,
    ``qr``, ``number``, ``total``, ``title``, ``prompt``, ``joined``, ``answered``,
    ``answers`` (``[{number, title, answered}]``, one per question), ``revealed``,
    ``locked`` and ``comparing``), ``message`` and ``notice`` (the store is slow or cannot
    be reached). The browser sends ``{type: "hello", href, key}`` once drawn (the page's
    address, and the presenter key its storage holds for this server, or ""), ``{type:
    "start", href}``, ``{type: "act", action, question}``, ``{type: "compare", name}`` with
    the file as a buffer, and ``{type: "uncompare"}``. Python sends ``{type: "keep", key}``
    (keep this key) and ``{type: "forget"}`` as custom messages: the key is never a trait.
    """

    _esm = _esm("dom.js", "room.js")
    status = traitlets.Dict().tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)
    notice = traitlets.Unicode("").tag(sync=True)

    def __init__(self, on_start: Callable[[str], None],
                 on_act: Callable[[str, int | None], None],
                 on_hello: Callable[[str, str], None],
                 on_compare: Callable[[bytes | None], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_start, self._on_act, self._on_hello = on_start, on_act, on_hello
        self._on_compare = on_compare
        self.on_msg(self._handle)

    def _handle(self, _widget: object, content: dict[str, Any], buffers: list[Any]) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "start":
            self._on_start(str(content.get("href", "")))
        elif kind == "hello":
            key = content.get("key")
            self._on_hello(str(content.get("href", "")),
                           key if isinstance(key, str) and PRESENTER_KEY.fullmatch(key) else "")
        elif kind == "act" and content.get("action") in ROOM_ACTIONS:
            question = content.get("question")
            self._on_act(str(content["action"]),
                         question if isinstance(question, int)
                         and not isinstance(question, bool) else None)
        elif kind == "compare":
            self._on_compare(bytes(buffers[0]) if buffers else b"")
        elif kind == "uncompare":
            self._on_compare(None)

    def keep(self, key: str) -> None:
        """Give the presenter's browser the room's key to keep (never a synced trait)."""
        self.send({"type": "keep", "key": key})

    def forget(self) -> None:
        """Tell the presenter's browser to drop the key it keeps."""
        self.send({"type": "forget"})
