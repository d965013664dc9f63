"""The presenter's room panel: start a room, show its code, watch the tally, steer it.

In presentation mode a panel under the step bar offers *Start a room*. Once a room is open
it shows the join address, the code and a QR code in large type (the QR made on the server
with ``segno``), how many people have joined and answered, and the buttons *Reveal* /
*Hide*, *Lock* / *Unlock*, *Previous* / *Next question*, *Clear* and *Close room*. Revealed,
the tally of the question on show appears as bars, and the room's mechanism profile is drawn
beside the evidence matrix (``figures.room_matrix_figure``) with the projects nearest the
room's answers (``rooms.profile``).

The tally follows the store, not the page: an asyncio task in the kernel reads the room's
tally about once a second (``POLL_S``) and redraws only what changed, so an answer shows on
the presenter's screen within about a second. A room is found again by its presenter key,
which the page keeps in its address (``room=<key>``): after a reload, a kernel restart or a
server restart the same address brings the room and its tally back from the store.

Everything computed here comes from pure functions (``rooms.profile``, ``figures``); this
module only wires widgets to the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import anywidget
import ipywidgets as w
import traitlets

from .. import html
from ..errors import RoomError, RoomNotFound
from ..figures import describe_matrix, room_matrix_figure
from ..load import Dataset
from ..rooms.profile import matrix_with_room, question_counts, room_nearest
from ..rooms.questions import deck
from .presentation import qr_data_uri
from .widgets import Chart, _esm

if TYPE_CHECKING:
    from ..rooms.store import RoomStore, Tally

__all__ = ["POLL_S", "ROOM_URL_ENV", "RoomControls", "RoomPanel", "join_address"]

log = logging.getLogger("explorer.dashboards")

POLL_S = 1.0
ROOM_URL_ENV = "EXPLORER_ROOM_URL"
ROOM_LABEL = "This room"
ACTIONS = frozenset({"reveal", "hide", "lock", "unlock", "next", "previous", "clear",
                     "close"})


def join_address(page_href: str, code: str) -> str:
    """The address participants open for room ``code``.

    ``$EXPLORER_ROOM_URL`` when set: the join page's server as the room reaches it, e.g.
    ``http://192.168.1.20:8866/``, or an address relative to the presenter's page (on
    JupyterHub, ``/services/room/``); otherwise the same server as the presenter's page,
    whose address is ``<base>voila/render/<page>.ipynb``.
    """
    base = os.environ.get(ROOM_URL_ENV, "").strip()
    if base:
        root = urljoin(page_href, base if base.endswith("/") else base + "/")
        return urljoin(root, f"room/{code}")
    return urljoin(page_href, f"../../room/{code}")


class RoomControls(anywidget.AnyWidget):
    """The panel's buttons and large type. Python sets ``status`` (a dict: ``open``, and for
    an open room ``code``, ``join``, ``qr``, ``number``, ``total``, ``title``, ``joined``,
    ``answered``, ``revealed``, ``locked``) and ``message``; the browser sends
    ``{type: "href", href}`` once drawn (the page's address, for the join address),
    ``{type: "start", href}`` and ``{type: "act", action}``."""

    _esm = _esm("dom.js", "room.js")
    status = traitlets.Dict().tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)

    def __init__(self, on_start: Callable[[str], None], on_act: Callable[[str], None],
                 on_href: Callable[[str], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_start, self._on_act, self._on_href = on_start, on_act, on_href
        self.on_msg(self._handle)

    def _handle(self, _widget: object, content: dict[str, Any], _buffers: object) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "start":
            self._on_start(str(content.get("href", "")))
        elif kind == "href":
            self._on_href(str(content.get("href", "")))
        elif kind == "act" and content.get("action") in ACTIONS:
            self._on_act(str(content["action"]))


class RoomPanel:
    """One presenter's room: the controls, the tally, the room beside the evidence.

    Args:
        ds: the loaded data (the questions come from its framework).
        on_key: called with the room's presenter key when a room opens, and with None when
            it closes, so the page's address keeps it.
        store: the room store; default ``RoomStore()`` (made at the first use).
    """

    def __init__(self, ds: Dataset, on_key: Callable[[str | None], None],
                 store: RoomStore | None = None) -> None:
        self.ds = ds
        self._on_key = on_key
        self._store = store
        self.key: str | None = None
        self.code: str | None = None
        self.href = ""
        self.controls = RoomControls(self.start, self.act, self.located,
                                     status={"open": False})
        self.tally_html = w.HTML("")
        self.tally_html.add_class("ctg-room-tally")
        # The chart joins the page only once answers are revealed: a page holds the charts
        # it shows, each with its text alternative, and no empty one.
        self.chart: Chart | None = None
        self.nearest = w.HTML("")
        self.widget = w.VBox([self.controls])
        self.widget.add_class("ctg-room")
        self._seen: object = None
        self._task: asyncio.Task[None] | None = None

    @property
    def store(self) -> RoomStore:
        if self._store is None:  # SQLAlchemy is imported only when a room is used
            from ..rooms.store import RoomStore

            self._store = RoomStore()
        return self._store

    # -- opening and finding a room ------------------------------------------------------
    def start(self, href: str) -> None:
        """Open a new room (the page's address decides the join address)."""
        if qr_data_uri(href) is None:
            self.controls.message = "This page's address cannot be turned into a join address."
            return
        self.href = href
        key = secrets.token_urlsafe(18)
        try:
            room = self.store.create_room(deck(self.ds), presenter_key=key)
        except RoomError as error:
            self.controls.message = str(error)
            return
        self.key, self.code = key, room.code
        self.controls.message = ""
        self._on_key(key)
        self.refresh()
        self._watch()

    def located(self, href: str) -> None:
        """The page's address, as the browser reports it: the join address follows it."""
        if qr_data_uri(href) is not None and href != self.href:
            self.href = href
            self._seen = None
            self.refresh()

    def resume(self, key: str, href: str = "") -> bool:
        """Take up the room a presenter key names (after a reload or a restart)."""
        if key == self.key and self.code:
            return True
        try:
            room = self.store.room_for_key(key)
        except RoomNotFound:
            self.controls.message = ("The room this address names has closed or expired. "
                                     "Start a new one.")
            self._forget()
            return False
        except RoomError as error:
            self.controls.message = str(error)
            return False
        self.key, self.code, self.href = key, room.code, href or self.href
        self.refresh()
        self._watch()
        return True

    def _forget(self) -> None:
        self.key = self.code = None
        self._seen = None
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self.controls.status = {"open": False}
        self._hide_results()
        self._on_key(None)

    # -- the presenter's buttons ---------------------------------------------------------
    def act(self, action: str) -> None:
        """Reveal, hide, lock, unlock, next, previous, clear or close the room."""
        if not self.code:
            return
        code, store = self.code, self.store
        try:
            room = store.room(code)
            if action == "close":
                store.close(code)
                self._forget()
                self.controls.message = "The room is closed: its answers are deleted."
                return
            if action == "clear":
                store.clear(code)
            elif action in ("reveal", "hide"):
                store.update_room(code, revealed=action == "reveal")
            elif action in ("lock", "unlock"):
                store.update_room(code, locked=action == "lock")
            else:
                step = 1 if action == "next" else -1
                store.update_room(code, question=room.question + step)
            self.controls.message = ""
        except RoomNotFound:
            self._forget()
            self.controls.message = "This room has closed or expired. Start a new one."
            return
        except RoomError as error:
            self.controls.message = str(error)
            return
        self.refresh()

    # -- following the store ---------------------------------------------------------------
    def refresh(self) -> bool:
        """Read the tally once and redraw what changed; False when the room is gone."""
        if not self.code:
            return False
        try:
            tally = self.store.tally(self.code)
        except RoomNotFound:
            self._forget()
            self.controls.message = "This room has closed or expired. Start a new one."
            return False
        except RoomError as error:
            self.controls.message = str(error)
            return True
        seen = (tally.room.question, tally.room.revealed, tally.room.locked, tally.joined,
                tuple(sorted(tally.respondents.items())), tuple(sorted(tally.counts.items())))
        if seen != self._seen:
            self._seen = seen
            self._draw(tally)
        return True

    def _draw(self, tally: Tally) -> None:
        room = tally.room
        question = room.deck[room.question]
        join = join_address(self.href, room.code) if self.href or os.environ.get(
            ROOM_URL_ENV) else ""
        answered = tally.respondents.get(question.id, 0)
        with self.controls.hold_sync():
            self.controls.status = {
                "open": True, "code": room.code, "join": join,
                "qr": qr_data_uri(join) or "" if join else "",
                "number": room.question + 1, "total": len(room.deck), "title": question.title,
                "prompt": question.prompt, "joined": tally.joined, "answered": answered,
                "revealed": room.revealed, "locked": room.locked}
        if not room.revealed:
            self._hide_results()
            return
        self.tally_html.value = str(html.render(
            "room_tally.html.j2", rows=question_counts(tally, question), answered=answered,
            title=question.title))
        cells = matrix_with_room(self.ds, tally, ROOM_LABEL)
        if self.chart is None:
            self.chart = Chart(filename="room-beside-the-evidence")
        with self.chart.hold_sync():
            self.chart.description = describe_matrix(cells, "Projects and this room")
            self.chart.figure = room_matrix_figure(cells, ROOM_LABEL)
        nearest = room_nearest(self.ds, tally)
        self.nearest.value = str(html.render(
            "room_nearest.html.j2", projects=list(nearest.project[nearest.nearest])))
        self.widget.children = (self.controls, self.tally_html, self.chart, self.nearest)

    def _hide_results(self) -> None:
        """Take the tally, the chart and the nearest projects off the page."""
        self.widget.children = (self.controls,)
        self.tally_html.value = ""
        self.nearest.value = ""
        if self.chart is not None:
            self.chart.close()
            self.chart = None

    def _watch(self) -> None:
        """Poll the store about once a second while a room is open (in the kernel's loop)."""
        if self._task is not None and not self._task.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a script or a test): ``refresh`` is called by hand
        self._task = loop.create_task(self._poll())

    async def _poll(self) -> None:
        while self.code:
            await asyncio.sleep(POLL_S)
            try:
                if not self.refresh():
                    return
            except Exception:  # a kernel must keep running; the log has the details
                log.exception("room tally refresh failed")

    def close(self) -> None:
        """Stop polling (the room itself stays open in the store)."""
        if self._task is not None:
            self._task.cancel()
        self._hide_results()
        with contextlib.suppress(Exception):
            self.store.close_store()
