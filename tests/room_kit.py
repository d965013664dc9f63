"""Helpers for the join page's specifications and the live-room benchmark.

``RoomServer`` serves ``explorer.rooms.web.room_handlers`` from a tornado server on a free
port in a thread of its own (the handlers as ``explorer serve`` mounts them, without Voila).
``Phone`` is one participant: its own cookies, plain HTTP requests, and the form fields a
browser would send (the XSRF token read from the page, as a browser submits it).
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from tornado import web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from explorer.rooms import RoomStore
from explorer.rooms.web import room_handlers

XSRF_FIELD = re.compile(r'name="_xsrf" value="([^"]+)"')


class RoomServer:
    """The join page's handlers on 127.0.0.1:<free port>, until ``stop``."""

    def __init__(self, store: RoomStore) -> None:
        self.store = store
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the room server did not start")

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        sockets = bind_sockets(0, "127.0.0.1")
        self.port = sockets[0].getsockname()[1]
        self.handlers = room_handlers("/", self.store)
        self.server = HTTPServer(web.Application(self.handlers))
        self.server.add_sockets(sockets)
        self.loop.call_soon(self._ready.set)
        self.loop.run_forever()
        self.loop.close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop serving and end the thread."""
        async def shut() -> None:
            self.server.stop()
            await self.server.close_all_connections()

        asyncio.run_coroutine_threadsafe(shut(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.handlers[0][2]["pool"].shutdown(wait=True)


@dataclass
class Reply:
    """A reply as a phone sees it (``headers`` named in lower case)."""

    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, answer) -> Reply:
        """The reply ``answer`` (a response or an ``HTTPError``) carries, read whole."""
        return cls(answer.status, answer.read().decode("utf-8"),
                   {name.lower(): value for name, value in answer.headers.items()})

    @property
    def location(self) -> str:
        """Where a redirect sends the phone ("" if it is not one)."""
        return self.headers.get("location", "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Phone:
    """One participant's browser, as plain HTTP: cookies kept, redirects not followed."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect)
        self.xsrf = ""

    def request(self, path: str, data: bytes | None = None,
                headers: dict[str, str] | None = None, method: str | None = None) -> Reply:
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {},
                                         method=method)
        try:
            with self.opener.open(request, timeout=60) as response:
                reply = Reply.of(response)
        except urllib.error.HTTPError as error:
            with error:  # closed, or its socket stays open
                reply = Reply.of(error)
        found = XSRF_FIELD.search(reply.body)
        if found:
            self.xsrf = found.group(1)
        return reply

    def get(self, path: str, **headers: str) -> Reply:
        return self.request(path, headers=headers)

    def post(self, path: str, fields: list[tuple[str, str]], xsrf: bool = True,
             **headers: str) -> Reply:
        """POST a form as the page does (with its XSRF field unless ``xsrf`` is False)."""
        pairs = ([("_xsrf", self.xsrf)] if xsrf else []) + fields
        body = urllib.parse.urlencode(pairs).encode("utf-8")
        return self.request(path, data=body, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded", **headers})

    def answer(self, code: str, question: str, fields: list[tuple[str, str]]) -> Reply:
        """Open the room (once, for its cookies and token) and send one answer."""
        if not self.xsrf:
            self.get(f"/room/{code}")
        return self.post(f"/room/{code}", [("question", question), *fields])


def first_fields(question) -> list[tuple[str, str]]:
    """The form fields of an answer of the first option to ``question`` (every mechanism
    'clearly' for the levels question)."""
    if question.kind == "levels":
        return [(f"level.{item.id}", question.choices[0].id) for item in question.items]
    return [("choice", question.choices[0].id)]


def answer_everything(phone: Phone, code: str, deck, store) -> list[int]:
    """Answer all three questions with the first option of each, the room moved to each in
    turn (only the question on show takes answers); the statuses."""
    statuses = []
    for number, question in enumerate(deck.questions):
        store.update_room(code, question=number)
        statuses.append(phone.answer(code, question.id, first_fields(question)).status)
    return statuses
