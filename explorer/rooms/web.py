"""The join page: participants answer a room's questions from a phone, no kernel involved.

Three tornado handlers, added beside Voila's by ``explorer.serve.server`` (and, on a Jupyter
server, by its extension), all under the server's base address:

- ``room/join``: a form for typing a code (``?code=…`` goes to the room);
- ``room/<CODE>``: the room's current question (GET, which writes nothing) and the answer
  to it (POST; only the question on show takes answers);
- nothing else: no API, no scripts, no outside requests. Styles are inline.

A participant is a random token in a cookie (``ctg_participant``, HttpOnly, SameSite=Lax)
that only the room's page hands out (an answer sent without it is refused, not counted as
someone new); the store keeps only its hash. Answers are POSTed as a plain form with
tornado's XSRF token (``_xsrf`` field, or the ``X-XSRFToken`` header, checked against the
``_xsrf`` cookie with ``check_xsrf_cookie``). Every refusal is an HTTP 4xx (or 503 when the
store is unreachable) with a plain page, or a JSON ``{"error": message}`` when the client
asks for JSON; a traceback never reaches a response. Refused requests change nothing.

Store calls run in a small thread pool, so a busy store never holds up Voila's own loop
(which also carries every dashboard's kernel messages).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from jinja2 import Environment, PackageLoader, StrictUndefined
from tornado import httputil, web
from tornado.escape import json_encode
from tornado.http1connection import HTTP1Connection

from ..errors import AnswerError, NotOnShow, RoomError, RoomFull, RoomLocked
from ..evidence.questions import LEVELS, Question, check_answer
from .store import NOT_ON_SHOW, RoomStore, normalise_code

__all__ = ["COOKIE", "MAX_BODY_BYTES", "MESSAGES", "AnswerHandler", "JoinHandler", "Throttle",
           "room_handlers", "summary"]

log = logging.getLogger("explorer.rooms")

COOKIE = "ctg_participant"
MAX_BODY_BYTES = 16 * 1024
ANSWERS_PER_MINUTE = 30
REFRESH_S = 5
T = TypeVar("T")

MESSAGES = {
    "bad_code": "That is not a room code. A code is 7 letters and digits, for example "
                "K7M4QXR.",
    "too_big": "That answer is too large to be one of this room's answers. Nothing was saved.",
    "xsrf": "This form has expired or was not sent from the room's page, so nothing was "
            "saved. Reload the page and answer again.",
    "no_question": "That question is not one of this room's questions.",
    "too_many": "Too many answers in a short time, so this one was not saved. Wait a few "
                "seconds, then send it again.",
    "bad_form": "That answer could not be read, so nothing was saved. Reload the page and "
                "answer again.",
    "not_found": "There is no page here. Open the address the facilitator gave you, or type "
                 "the room's code.",
    "method": "That is not something this page does.",
    "no_cookie": "Your answer was not saved: this page keeps your answer yours with a cookie, "
                 "and your browser sent none. Allow cookies for this address, open the "
                 "room's page again and answer there.",
    "other": "Something went wrong on the server, so nothing was saved. Please try again.",
}
DEFAULT_FOR_STATUS = {400: "bad_form", 403: "xsrf", 404: "not_found", 405: "method",
                      413: "too_big", 429: "too_many"}


def _environment() -> Environment:
    return Environment(loader=PackageLoader("explorer.render", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


TEMPLATES = _environment()


class Throttle:
    """At most ``limit`` events per participant within ``window`` seconds (one process)."""

    def __init__(self, limit: int = ANSWERS_PER_MINUTE, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._seen: dict[str, collections.deque[float]] = {}

    def allow(self, key: str) -> bool:
        """Record an event for ``key``; False when it is one too many."""
        now = self.clock()
        if len(self._seen) > 10_000:  # forget the quiet ones; keeps memory bounded
            self._seen = {k: v for k, v in self._seen.items() if v and v[-1] > now - self.window}
        times = self._seen.setdefault(key, collections.deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        return True


class RoomHandler(web.RequestHandler):
    """What every join-page handler shares: the store, safe headers and plain errors."""

    def initialize(self, store: RoomStore, base: str, pool: ThreadPoolExecutor,
                   throttle: Throttle) -> None:
        self.store = store
        self.base = base
        self.pool = pool
        self.throttle = throttle

    @property
    def settings(self) -> dict[str, Any]:
        """The application's settings, with the XSRF cookie kept to the join page's own
        path: beside JupyterHub or Voila, another ``_xsrf`` cookie for ``/`` would shadow
        theirs."""
        return {**self.application.settings, "xsrf_cookie_kwargs": {
            "path": getattr(self, "base", "/") + "room/", "httponly": True,
            "samesite": "Lax"}}

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("Content-Security-Policy",
                        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")

    def check_xsrf_cookie(self) -> None:
        """Checked by ``post`` itself once the form is read (see ``AnswerHandler``)."""

    async def call(self, method: Callable[..., T], *args: Any) -> T:
        """Run a store call in the pool, off the server's loop."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, method, *args)

    def wants_json(self) -> bool:
        return "application/json" in self.request.headers.get("Accept", "")

    def refuse(self, status: int, message: str, back: bool = False) -> None:
        """Answer with ``status`` and a plain message (page or JSON); nothing else. With
        ``back``, the page links to the room's question on show."""
        self.clear()
        self.set_status(status)
        if self.wants_json():
            self.set_header("Content-Type", "application/json; charset=UTF-8")
            self.finish(json_encode({"error": message}))
        else:
            self.set_header("Content-Type", "text/html; charset=UTF-8")
            room = getattr(self, "room_code", "")
            self.finish(self.page("room_message.html.j2", message=message, status=status,
                                  room_url=self.base + "room/" + room if back and room
                                  else ""))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Any failure: a plain message for its status, never a traceback."""
        error = kwargs.get("exc_info", (None, None, None))[1]
        back = False
        if isinstance(error, RoomError):
            status_code, message = error.status, str(error)
            # The room is open: the participant can go back to its question on show.
            back = isinstance(error, (AnswerError, RoomLocked))
        elif isinstance(error, web.HTTPError) and error.log_message in MESSAGES:
            message = MESSAGES[error.log_message]
            back = error.log_message in ("too_many", "xsrf", "bad_form", "no_cookie")
        else:
            message = MESSAGES[DEFAULT_FOR_STATUS.get(status_code, "other")]
        self.refuse(status_code, message, back)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, RoomError):
            return  # an expected refusal, not a server fault
        super().log_exception(typ, value, tb)

    def page(self, template: str, **context: Any) -> str:
        return TEMPLATES.get_template(template).render(join_url=self.base + "room/join",
                                                       **context)

    def participant_token(self) -> str:
        """The participant's random token, set in a cookie the first time."""
        token = self.get_cookie(COOKIE) or ""
        if not (16 <= len(token) <= 64 and token.isascii() and token.replace("-", "")
                .replace("_", "").isalnum()):
            token = secrets.token_urlsafe(24)
            self.set_cookie(COOKIE, token, path=self.base + "room/", httponly=True,
                            samesite="Lax", expires_days=2)
        return token


class JoinHandler(RoomHandler):
    """``room/join``: type a code; ``?code=`` goes to that room."""

    def get(self) -> None:
        raw = self.get_query_argument("code", None)
        if raw is None:
            self.finish(self.page("room_join.html.j2", message=""))
            return
        code = normalise_code(raw)
        if code is None:
            self.set_status(400)
            self.finish(self.page("room_join.html.j2", message=MESSAGES["bad_code"]))
            return
        self.redirect(self.base + "room/" + code, status=303)


@web.stream_request_body
class AnswerHandler(RoomHandler):
    """``room/<CODE>``: the current question (GET) and a participant's answer (POST)."""

    def prepare(self) -> None:
        self._body = bytearray()
        if self.request.method != "POST":
            return
        length = self.request.headers.get("Content-Length", "")
        if length and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            raise web.HTTPError(413, "too_big")
        connection = self.request.connection
        if isinstance(connection, HTTP1Connection):
            connection.set_max_body_size(MAX_BODY_BYTES)  # a chunked body has no length

    def data_received(self, chunk: bytes) -> None:
        self._body += chunk
        if len(self._body) > MAX_BODY_BYTES:
            raise web.HTTPError(413, "too_big")

    def code(self, raw: str) -> str:
        code = normalise_code(raw)
        if code is None:
            raise web.HTTPError(404, "bad_code")
        return code

    async def get(self, raw: str) -> None:
        code = self.code(raw)
        self.room_code = code
        token = self.participant_token()
        # A page view writes nothing: a participant joins with their first answer, so link
        # previewers and refreshes count nobody and take no place in the room.
        visit = await self.call(self.store.visit, code, token)
        if visit.full:
            raise RoomFull(f"This room is full: it takes at most "
                           f"{visit.room.max_participants} people. Please tell the "
                           "facilitator.")
        room = visit.room
        question = room.deck.get(room.current)
        assert question is not None
        changing = self.get_query_argument("change", "") == "1"
        self.finish(self.page(
            "room_question.html.j2", room=room, question=question, levels=LEVELS,
            number=room.question + 1, total=len(room.deck), mine=visit.mine or {},
            answered=visit.mine is not None and not changing, xsrf=self.xsrf_token.decode(),
            saved=self.get_query_argument("saved", "") == question.id and visit.mine is not None,
            summary=summary(question, visit.mine or {}), refresh=REFRESH_S,
            action=self.base + "room/" + code))

    async def post(self, raw: str) -> None:
        code = self.code(raw)
        form: dict[str, list[bytes]] = {}
        try:
            httputil.parse_body_arguments(self.request.headers.get("Content-Type", ""),
                                          bytes(self._body), form, {})
        except Exception:  # any unreadable body is the same refusal
            raise web.HTTPError(400, "bad_form") from None
        try:
            fields = {k: [v.decode("utf-8") for v in vs] for k, vs in form.items()}
        except UnicodeDecodeError:
            raise web.HTTPError(400, "bad_form") from None
        self.request.body_arguments = {k: list(v) for k, v in form.items()}
        self.request.arguments = {**self.request.query_arguments, **self.request.body_arguments}
        try:
            web.RequestHandler.check_xsrf_cookie(self)  # tornado's own check
        except web.HTTPError:
            raise web.HTTPError(403, "xsrf") from None
        self.room_code = code
        token = self.get_cookie(COOKIE) or ""
        if not token:  # only the room's page hands out a participant's cookie
            raise web.HTTPError(403, "no_cookie")
        room = await self.call(self.store.room, code)
        question = room.deck.get((fields.get("question") or [""])[0])
        if question is None:
            raise AnswerError(MESSAGES["no_question"])
        if question.id != room.current:  # a stale or crafted form: the store says the same
            raise NotOnShow(NOT_ON_SHOW)
        items = check_answer(question, fields)
        if not self.throttle.allow(token):
            raise web.HTTPError(429, "too_many")
        await self.call(self.store.answer, code, token, question.id, items)
        if self.wants_json():
            self.finish(json_encode({"saved": question.id}))
        else:
            self.redirect(f"{self.base}room/{code}?saved={question.id}", status=303)


def summary(question: Question, mine: dict[str, str]) -> list[str]:
    """A participant's stored answer in words, one line per item."""
    if question.kind == "one":
        choice = question.choice(mine.get("", ""))
        return [choice.label] if choice else []
    if question.kind == "many":
        ticked = [c.label for c in question.choices if c.id in mine]
        return ticked or ["None of these"]
    return [f"{item.label}: {LEVELS.get(mine[item.id], mine[item.id])}"
            for item in question.items if item.id in mine]


class NotFoundHandler(RoomHandler):
    """Anything else under ``room/``: a plain 404."""

    def get(self, *_args: str) -> None:
        raise web.HTTPError(404, "not_found")

    post = get


def room_handlers(base_url: str, store: RoomStore | None = None,
                  workers: int = 8) -> list[tuple[str, type[web.RequestHandler],
                                                  dict[str, Any]]]:
    """The join page's routes under ``base_url`` (e.g. ``/``), sharing one store.

    Args:
        base_url: the server's base address, ending in ``/``.
        store: the store to use; default ``RoomStore()`` (``$EXPLORER_ROOM_DB`` or the
            SQLite file in the state folder). It connects at its first use, so a server
            starts even when the store is down; the join page then says so.
    """
    base = base_url if base_url.endswith("/") else base_url + "/"
    options = {"store": store or RoomStore(), "base": base,
               "pool": ThreadPoolExecutor(workers, thread_name_prefix="room-store"),
               "throttle": Throttle()}
    return [
        (base + "room/join", JoinHandler, options),
        (base + r"room/([^/]{1,64})", AnswerHandler, options),
        (base + r"room/(.*)", NotFoundHandler, options),
    ]

