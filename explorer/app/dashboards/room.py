"""The presenter's room panel: start a room, show its code, watch the tally, steer it.

In presentation mode a panel under the step bar offers *Start a room*. Once a room is open
it shows the join address, the code and a QR code in large type (the QR made on the server
with ``segno``), how many people take part and have answered each question, and the
buttons *Reveal* / *Hide*, *Lock* / *Unlock*, *Previous* / *Next question*, *Clear this
question* and *Close room*, with *Download the answers (CSV)*, *Download the room report*
and *Compare with an earlier room* (an export loaded from a file). Revealed, the tally of
the question on show appears as bars scaled to the people who answered it, with each
option's share ("None of these" included), and the room's mechanism profile is drawn
beside the evidence matrix (``figures.room_matrix_figure``, a tie drawn as a tie and the
rule written under it) with the projects nearest the room's answers (``rooms.profile``).

Nothing a click does loses answers by surprise: *Clear this question* deletes the answers
to the question on show only, and only at a second press that names how many it deletes;
*Close room* asks for a second press too, and its first press points to the two downloads.

**The presenter's key** (the capability to steer the room; see ``explorer.rooms``) is made
here when a room starts and sent to the presenter's browser alone, over the widget's own
channel (``{type: "keep", key}``), which keeps it in the browser's storage for this server;
when the page loads again (a reload, a new kernel, a restarted server) the browser offers
it back (``{type: "hello", href, key}``) and the room is taken up again from the store. The
key is never in a synced trait, the page's address, its markup or anything it links to.

**The kernel never waits for the store.** Every store call (start, poll, the buttons, the
downloads) runs in a one-thread executor and its result is drawn back on the kernel's
loop: a store that is slow or unreachable shows a notice ("waiting for the room's store")
while the page, its navigation and its steps keep working. The tally is read twice a second
(``POLL_S``) and only what changed is redrawn, so an answer shows within about half a second
plus the read. Called from outside an event loop's task (a script, a test) the calls run
in turn instead.

Everything computed here comes from pure functions (``rooms.profile``, ``rooms.report``,
``figures``); this module only wires widgets to the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import secrets
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

import ipywidgets as w

from ...data.load import Dataset
from ...errors import ExportError, RoomError, RoomNotFound, StoreUnavailable
from ...evidence.questions import deck
from ...render import html
from ...render.figures import describe_room_matrix, room_matrix_figure
from ...rooms.addresses import LOCAL_ONLY, ROOM_URL_ENV, join_address, reachable_from_phones
from ...rooms.profile import (
    ROOM_RULE,
    earlier_label,
    earlier_tally,
    export_csv,
    level_grid,
    matrix_with_room,
    question_counts,
    room_nearest,
)
from .qr import qr_data_uri
from .widgets import Chart, FileDownload, RoomControls

if TYPE_CHECKING:
    from ...rooms.store import Room, RoomStore, Tally

__all__ = ["POLL_S", "SLOW_S", "RoomControls", "RoomPanel"]

log = logging.getLogger("explorer.dashboards")

T = TypeVar("T")
POLL_S = 0.5
SLOW_S = 3.0
ROOM_LABEL = "This room"
WAITING = ("Waiting for the room's store: it has not answered for a few seconds. This page "
           "still works; the room's counts catch up when the store answers.")
UNREACHABLE = ("The room's store cannot be reached just now, so the counts shown may be out "
               "of date. The panel keeps trying; answers already saved are safe.")
NOT_DONE = "That did not reach the room's store, so nothing changed. Try again in a moment."
GONE = "This room has closed or expired. Start a new one."
LOST = ("The room this browser last presented has closed or expired. Start a new one when "
        "you are ready.")
CALM = "Something went wrong with the room; the server log has the details."
EXPORT_HELP = ("Every answer, one row each, \"None of these\" included: to keep, or to "
               "compare a later room with this one.")
REPORT_HELP = "One printable page of the answers beside the evidence, to send round."


class RoomPanel:
    """One presenter's room: the controls, the tally, the room beside the evidence.

    Args:
        ds: the loaded data (the questions come from its framework).
        on_room: called as ``on_room(is_open, resumed)`` when a room opens (True, False),
            is taken up again after a reload or a restart (True, True) or closes (False,
            False): the guided presentation gains or loses the room's step.
        store: the room store; default ``RoomStore()`` (made at the first use).
    """

    def __init__(self, ds: Dataset, on_room: Callable[[bool, bool], None],
                 store: RoomStore | None = None) -> None:
        self.ds = ds
        self._on_room = on_room
        self._store = store
        self.key: str | None = None
        self.code: str | None = None
        self.href = ""
        self.earlier: tuple[Tally, str] | None = None
        self.controls = RoomControls(self.start, self.act, self.hello, self.compare,
                                     status={"open": False})
        self.export = FileDownload(self._export, label="Download the answers (CSV)",
                                   mimetype="text/csv", help=EXPORT_HELP)
        self.report = FileDownload(self._report, label="Download the room report (HTML)",
                                   mimetype="text/html", help=REPORT_HELP)
        self.downloads = w.HBox([self.export, self.report])
        self.downloads.add_class("ctg-room-downloads")
        self.tally_html = w.HTML("")
        self.tally_html.add_class("ctg-room-tally")
        # The chart joins the page only once answers are revealed: a page holds the charts
        # it shows, each with its text alternative, and no empty one.
        self.chart: Chart | None = None
        self.rule = w.HTML(str(html.render("room_rule.html.j2", rule=ROOM_RULE)))
        self.nearest = w.HTML("")
        self.widget = w.VBox([self.controls])
        self.widget.add_class("ctg-room")
        self._seen: object = None
        self._task: asyncio.Task[None] | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._busy: set[asyncio.Task[Any]] = set()
        self._tally: Tally | None = None

    @property
    def store(self) -> RoomStore:
        if self._store is None:  # SQLAlchemy is imported only when a room is used
            from ...rooms.store import RoomStore

            self._store = RoomStore()
        return self._store

    # -- running store calls off the kernel's thread ----------------------------------------
    def _in_loop(self) -> asyncio.AbstractEventLoop | None:
        """The kernel's loop, when called from one of its tasks (a kernel's message handler
        is one); None elsewhere (a script, a test), where calls run in turn."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        return loop if asyncio.current_task(loop) is not None else None

    async def _off_thread(self, work: Callable[[], T]) -> T:
        """``work()`` in the panel's one store thread; a notice while it takes long."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="room-store")
        future = asyncio.get_running_loop().run_in_executor(self._pool, work)
        try:
            return await asyncio.wait_for(asyncio.shield(future), SLOW_S)
        except TimeoutError:
            self.controls.notice = WAITING
            return await future
        finally:  # answered or failed, the store is no longer being waited for
            if self.controls.notice == WAITING:
                self.controls.notice = ""

    def _submit(self, work: Callable[[], T], done: Callable[[T], None],
                failed: Callable[[Exception], None] | None = None) -> None:
        """Run ``work`` off the kernel's thread, then ``done(result)`` on it (or
        ``failed(error)``, by default ``_failed``)."""
        handle = failed or self._failed
        loop = self._in_loop()
        if loop is None:
            try:
                result = work()
            except Exception as error:
                handle(error)
            else:
                done(result)
            return

        async def run() -> None:
            try:
                result = await self._off_thread(work)
            except Exception as error:
                handle(error)
            else:
                done(result)

        task = loop.create_task(run())
        self._busy.add(task)  # held until done: the loop keeps only weak references
        task.add_done_callback(self._busy.discard)

    def _failed(self, error: Exception) -> None:
        """A button's store call failed: say so; a room that has gone is forgotten."""
        if isinstance(error, RoomNotFound):
            self._forget()
            self.controls.message = GONE
        elif isinstance(error, StoreUnavailable):
            self.controls.message = NOT_DONE if type(error) is StoreUnavailable else str(error)
        elif isinstance(error, RoomError):
            self.controls.message = str(error)
        else:
            log.error("a room action failed", exc_info=error)
            self.controls.message = CALM

    # -- opening and finding a room ------------------------------------------------------
    def hello(self, href: str, key: str) -> None:
        """The page is drawn: its address (the join address follows it) and the presenter
        key the browser keeps for this server, if any (the room is taken up again)."""
        if qr_data_uri(href) is not None and href != self.href:
            self.href = href
            self._seen = None
            if self.code:
                self.refresh()
        if key and not self.code:
            self.resume(key)

    def start(self, href: str) -> None:
        """Open a new room (the page's address decides the join address)."""
        if qr_data_uri(href) is None:
            self.controls.message = "This page's address cannot be turned into a join address."
            self.controls.status = {"open": False}
            return
        self.href = href
        key = secrets.token_urlsafe(24)
        questions = deck(self.ds)
        self._submit(lambda: self.store.create_room(questions, presenter_key=key),
                     lambda room: self._opened(room, key, started=True))

    def resume(self, key: str) -> None:
        """Take up the room a presenter key names (after a reload or a restart)."""
        def lost(error: Exception) -> None:
            if isinstance(error, RoomNotFound):
                self.controls.forget()
                self.controls.message = LOST
            else:
                self._failed(error)

        self._submit(lambda: self.store.room_for_key(key),
                     lambda room: self._opened(room, key, started=False), lost)

    def _opened(self, room: Room, key: str, started: bool) -> None:
        self.key, self.code = key, room.code
        self.earlier = None
        self.controls.message = ""
        if started:
            self.controls.keep(key)
        self._on_room(True, not started)
        self.refresh()
        self._watch()

    def _forget(self) -> None:
        self.key = self.code = None
        self.earlier = None
        self._seen = self._tally = None
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self.controls.status = {"open": False}
        self.controls.notice = ""
        self.controls.forget()
        self._hide_results()
        self._on_room(False, False)

    # -- the presenter's buttons ---------------------------------------------------------
    def act(self, action: str, question: int | None = None) -> None:
        """Reveal, hide, lock, unlock, next, previous, clear (the question on show, whose
        number the presenter's page confirms) or close the room."""
        if not self.code:
            return
        code, store = self.code, self.store

        def work() -> str:
            room = store.room(code)
            if action == "close":
                store.close(code)
                return "closed"
            if action == "clear":
                if question != room.question + 1:
                    return ("The question on show has changed since you pressed Clear, so "
                            "nothing was cleared. Press it again to clear this question.")
                cleared = store.clear(code, room.current)
                return (f"Cleared {html.count(cleared, 'answer')} to question "
                        f"{room.question + 1} ({room.deck[room.question].title}). The other "
                        "questions keep their answers.")
            if action in ("reveal", "hide"):
                store.update_room(code, revealed=action == "reveal")
            elif action in ("lock", "unlock"):
                store.update_room(code, locked=action == "lock")
            else:  # a question moved to is hidden until it is revealed in its turn
                store.update_room(code, question=room.question + (1 if action == "next"
                                                                  else -1), revealed=False)
            return ""

        def done(said: str) -> None:
            if said == "closed":
                self._forget()
                self.controls.message = "The room is closed: its answers are deleted."
                return
            self.controls.message = said
            self.refresh()

        self._submit(work, done)

    def compare(self, content: bytes | None) -> None:
        """Show an earlier room (its export, read from a file) beside this one; None stops
        comparing. A file that is not a room's export changes nothing and says why."""
        if content is None:
            self.earlier = None
            self.controls.message = ""
        elif not self.code or self._tally is None:
            self.controls.message = "Start a room first: the earlier room stands beside it."
            return
        else:
            try:
                earlier = earlier_tally(self._tally.room.deck, content)
            except ExportError as error:
                self.controls.message = str(error)
                return
            if earlier.room.code == self._tally.room.code:
                self.controls.message = ("That file is this room's own answers; choose an "
                                         "earlier room's. Nothing was changed.")
                return
            self.earlier = (earlier, earlier_label(earlier))
            self.controls.message = (f"Comparing with {self.earlier[1]}: its column stands "
                                     "beside this room's when the answers are revealed.")
        self._seen = None
        if self._tally is not None:
            self._draw_tally(self._tally)

    # -- following the store ---------------------------------------------------------------
    def refresh(self) -> None:
        """Read the tally once (off the kernel's thread) and redraw what changed."""
        if not self.code:
            return
        code = self.code
        self._submit(lambda: self.store.tally(code), self._draw_tally, self._poll_failed)

    def _poll_failed(self, error: Exception) -> None:
        if isinstance(error, RoomNotFound):
            if self.code:
                self._forget()
                self.controls.message = GONE
        elif isinstance(error, StoreUnavailable):
            self.controls.notice = UNREACHABLE if type(error) is StoreUnavailable else str(error)
        else:
            self._failed(error)

    def _draw_tally(self, tally: Tally) -> None:
        """Draw a tally read from the store, if it is of the room on show and changed."""
        if tally.room.code != self.code:
            return  # read before the room closed or changed
        self._tally = tally
        if self.controls.notice == UNREACHABLE:
            self.controls.notice = ""
        seen = (tally.room.question, tally.room.revealed, tally.room.locked, tally.joined,
                tuple(sorted(tally.respondents.items())), tuple(sorted(tally.counts.items())),
                tuple(sorted(tally.empty.items())), self.href)
        if seen != self._seen:
            self._seen = seen
            self._draw(tally)

    def _draw(self, tally: Tally) -> None:
        room = tally.room
        question = room.deck[room.question]
        join = join_address(self.href, room.code) if self.href or os.environ.get(
            ROOM_URL_ENV) else ""
        answered = tally.respondents.get(question.id, 0)
        with self.controls.hold_sync():
            self.controls.status = {
                "open": True, "code": room.code, "join": join,
                "local_only": LOCAL_ONLY if join and not reachable_from_phones(join) else "",
                "qr": qr_data_uri(join) or "" if join else "",
                "number": room.question + 1, "total": len(room.deck), "title": question.title,
                "prompt": question.prompt, "joined": tally.joined, "answered": answered,
                "answers": [{"number": n, "title": q.title,
                             "answered": tally.respondents.get(q.id, 0)}
                            for n, q in enumerate(room.deck.questions, start=1)],
                "revealed": room.revealed, "locked": room.locked,
                "comparing": self.earlier[1] if self.earlier else ""}
        if not room.revealed:
            self._hide_results()
            return
        rows = question_counts(tally, question)
        self.tally_html.value = str(html.render(
            "room_tally.html.j2", rows=rows, answered=answered, title=question.title,
            kind=question.kind, grid=level_grid(rows) if question.kind == "levels" else None))
        labels = [*([self.earlier[1]] if self.earlier else []), ROOM_LABEL]
        cells = matrix_with_room(self.ds, tally, ROOM_LABEL, self.earlier)
        if self.chart is None:
            self.chart = Chart(filename="room-beside-the-evidence")
        with self.chart.hold_sync():
            self.chart.description = describe_room_matrix(cells, labels)
            self.chart.figure = room_matrix_figure(cells, labels)
        nearest = room_nearest(self.ds, tally)
        self.nearest.value = str(html.render(
            "room_nearest.html.j2", projects=list(nearest.project[nearest.nearest])))
        self.widget.children = (self.controls, self.downloads, self.tally_html, self.chart,
                                self.rule, self.nearest)

    def fold(self, folded: bool) -> None:
        """Fold the panel to the room's code, counts and buttons (a step of the guided
        presentation other than the room's is on show), or unfold it."""
        if folded:
            self.widget.add_class("ctg-room-folded")
        else:
            self.widget.remove_class("ctg-room-folded")

    def _hide_results(self) -> None:
        """Take the tally, the chart and the nearest projects off the page."""
        self.widget.children = (self.controls, self.downloads) if self.code else (
            self.controls,)
        self.tally_html.value = ""
        self.nearest.value = ""
        if self.chart is not None:
            self.chart.close()
            self.chart = None

    def _watch(self) -> None:
        """Poll the store twice a second while a room is open (from the kernel's loop;
        each read runs off its thread)."""
        if self._task is not None and not self._task.done():
            return
        loop = self._in_loop()
        if loop is not None:
            self._task = loop.create_task(self._poll())

    async def _poll(self) -> None:
        while self.code:
            await asyncio.sleep(POLL_S)
            code = self.code
            if not code:
                return
            try:
                tally = await self._off_thread(functools.partial(self.store.tally, code))
            except Exception as error:  # a kernel must keep running; the log has the rest
                self._poll_failed(error)
                continue
            self._draw_tally(tally)

    # -- the downloads -----------------------------------------------------------------------
    def _file(self, build: Callable[[], bytes]) -> bytes | Awaitable[bytes | None] | None:
        """A download's bytes, built from the store off the kernel's thread where a loop
        runs (an awaitable ``FileDownload`` sends when ready); None with a message when the
        room or the store cannot give it."""
        if not self.code:
            self.controls.message = "No room is open, so there is nothing to download."
            return None
        if self._in_loop() is None:
            try:
                return build()
            except Exception as error:
                self._failed(error)
                return None

        async def later() -> bytes | None:
            try:
                return await self._off_thread(build)
            except Exception as error:
                self._failed(error)
                return None

        return later()

    def _export(self) -> bytes | Awaitable[bytes | None] | None:
        """The room's answers as CSV (``rooms.profile.export_frame``)."""
        code, store = self.code or "", self.store
        self.export.filename = f"room-{code}.csv"
        return self._file(lambda: export_csv(store, code).encode("utf-8"))

    def _report(self) -> bytes | Awaitable[bytes | None] | None:
        """The room report (``rooms.report.room_report_html``)."""
        from ...rooms.report import report_filename, room_report_html

        code, store, earlier = self.code or "", self.store, self.earlier
        self.report.filename = report_filename(code)
        return self._file(lambda: room_report_html(self.ds, store.tally(code),
                                                   earlier=earlier).encode("utf-8"))

    def close(self) -> None:
        """Stop polling (the room itself stays open in the store)."""
        if self._task is not None:
            self._task.cancel()
        self._hide_results()
        if self._pool is not None:
            self._pool.shutdown(wait=False)
        with contextlib.suppress(Exception):
            self.store.close_store()
