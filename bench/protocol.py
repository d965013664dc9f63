"""A reader without a browser: the page request and the widget messages a browser would send.

``bench/tour.py --simulate`` uses it to put many readers on the server at once without also
running one Chromium per reader on the same two cores (in a real room every reader brings
their own laptop). A simulated reader does what the page's JavaScript does, over the same
connections:

1. requests the page (Voila starts the reader's kernel and runs the notebook);
2. opens the kernel's websocket and asks for every widget's state through the
   ``jupyter.widget.control`` comm, as the widget manager does on page load;
3. finds the navigation widget (``explorer.app.dashboards.widgets.Navigation``) and, for each
   move, sends the ``navigate`` message a click on a navigation link sends, then waits for
   the kernel's update saying the new page is on show (``page`` = the target);
4. answers nothing else; closing the websocket is closing the tab without its unload
   handler (the idle cull of ``voila.json`` must then end the kernel), and ``shutdown``
   sends what Voila's unload beacon sends.

It speaks the kernel websocket protocol the page's own client (``@jupyterlab/services``)
chooses, ``v1.kernel.websocket.jupyter.org``: binary frames whose parts the server passes
on without decoding their contents. (The older JSON protocol makes the server decode and
re-encode every message, work that real readers never cause.)

What it cannot measure is the browser's own drawing, which happens on the reader's machine;
``tour.py`` without ``--simulate`` measures that with real browsers.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from kernel_messages import header  # tests/browser, on the path from common.py
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

__all__ = ["SimulatedReader"]

KERNEL_ID = re.compile(r'"kernelId": "([0-9a-f-]{36})"')
NAVIGATION = "explorer.app.dashboards.widgets.Navigation"
CONTROL_PROTOCOL = "1.0.0"  # ipywidgets 8's widget control comm
WEBSOCKET_PROTOCOL = "v1.kernel.websocket.jupyter.org"  # what the page's client asks for


def pack_v1(channel: str, parts: list[bytes]) -> bytes:
    """A message as the v1 websocket protocol frames it: the number of offsets, the offsets
    (8-byte little-endian), then the channel name and the parts."""
    offsets = [8 * (1 + 1 + len(parts) + 1)]
    offsets.append(offsets[-1] + len(channel.encode("utf-8")))
    for part in parts:
        offsets.append(offsets[-1] + len(part))
    return b"".join([len(offsets).to_bytes(8, "little"),
                     *(offset.to_bytes(8, "little") for offset in offsets),
                     channel.encode("utf-8"), *parts])


def unpack_v1(frame: bytes) -> tuple[str, list[bytes]]:
    """The channel and parts (header, parent header, metadata, content, buffers…) of a v1
    frame."""
    count = int.from_bytes(frame[:8], "little")
    offsets = [int.from_bytes(frame[8 * (i + 1):8 * (i + 2)], "little") for i in range(count)]
    channel = frame[offsets[0]:offsets[1]].decode("utf-8")
    return channel, [frame[offsets[i]:offsets[i + 1]] for i in range(1, count - 1)]


class SimulatedReader:
    """One reader's page and kernel, driven by the widget protocol."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = uuid.uuid4().hex
        self.kernel_id = ""
        self.navigation = ""
        self.socket: WebSocketClientConnection | None = None
        self.refused = 0

    # -- the page and its kernel -------------------------------------------------------
    async def open(self, page: str, timeout: float = 300) -> float:
        """Request ``page``, connect to its kernel and find the navigation widget.

        Returns:
            Seconds until the page was served and its widgets were known.
        """
        start = time.perf_counter()
        body = await asyncio.to_thread(self._get, f"{self.base}/voila/render/{page}.ipynb",
                                       timeout)
        found = KERNEL_ID.search(body)
        if not found:
            raise RuntimeError("the page carries no kernel id")
        self.kernel_id = found.group(1)
        url = (f"{self.base.replace('http', 'ws', 1)}/api/kernels/{self.kernel_id}/channels"
               f"?session_id={self.session}")
        self.socket = await websocket_connect(HTTPRequest(url, connect_timeout=timeout,
                                                          request_timeout=timeout),
                                              max_message_size=64 * 1024 * 1024,
                                              subprotocols=[WEBSOCKET_PROTOCOL])
        if self.socket.selected_subprotocol != WEBSOCKET_PROTOCOL:
            raise RuntimeError("the server did not accept the browser's websocket protocol")
        states = await self._widget_states(timeout)
        for model_id, state in states.items():
            if state.get("state", {}).get("_anywidget_id") == NAVIGATION:
                self.navigation = model_id
                break
        else:
            raise RuntimeError("no navigation widget on the page")
        return time.perf_counter() - start

    def _get(self, url: str, timeout: float) -> str:
        while True:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    return response.read().decode("utf-8", "replace")
            except urllib.error.HTTPError as error:
                error.close()  # an error reply holds its socket open until closed
                if error.code != 503:
                    raise
                self.refused += 1  # "busy, retrying": the real page reloads after 5 s
                time.sleep(5)

    # -- messages ----------------------------------------------------------------------
    def _message(self, msg_type: str, content: dict[str, Any],
                 metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Header, parent header, metadata and content of a message to the kernel."""
        return [header(msg_type, self.session, "reader"), {}, metadata or {}, content]

    async def _send(self, msg_type: str, content: dict[str, Any],
                    metadata: dict[str, Any] | None = None) -> None:
        assert self.socket is not None
        parts = [json.dumps(part).encode("utf-8")
                 for part in self._message(msg_type, content, metadata)]
        await self.socket.write_message(pack_v1("shell", parts), binary=True)

    async def _receive(self, deadline: float) -> dict[str, Any]:
        """The next message from the kernel, decoded as the page's client decodes it."""
        assert self.socket is not None
        left = deadline - time.perf_counter()
        if left <= 0:
            raise TimeoutError("no answer from the kernel in time")
        raw = await asyncio.wait_for(self.socket.read_message(), timeout=left)
        if raw is None:
            raise ConnectionError("the kernel's websocket closed")
        if isinstance(raw, str):
            raise RuntimeError("a JSON frame: the server is not speaking the v1 protocol")
        channel, parts = unpack_v1(raw)
        header, parent, metadata, content = (json.loads(part) for part in parts[:4])
        return {"channel": channel, "header": header, "msg_type": header.get("msg_type"),
                "parent_header": parent, "metadata": metadata, "content": content,
                "buffers": parts[4:]}

    async def _widget_states(self, timeout: float) -> dict[str, Any]:
        """Every widget's state, as the widget manager asks for it on page load."""
        control = uuid.uuid4().hex
        await self._send("comm_open", {"comm_id": control,
                                       "target_name": "jupyter.widget.control", "data": {}},
                         {"version": CONTROL_PROTOCOL})
        await self._send("comm_msg", {"comm_id": control,
                                      "data": {"method": "request_states"}})
        deadline = time.perf_counter() + timeout
        while True:
            message = await self._receive(deadline)
            content = message.get("content", {})
            if (message.get("msg_type") == "comm_msg" and content.get("comm_id") == control
                    and content.get("data", {}).get("method") == "update_states"):
                states: dict[str, Any] = content["data"]["states"]
                return states

    async def move(self, page: str, query: str = "", timeout: float = 120) -> float:
        """Follow a navigation link to ``page``; seconds until the kernel shows it."""
        start = time.perf_counter()
        await self._send("comm_msg", {"comm_id": self.navigation, "data": {
            "method": "custom",
            "content": {"type": "navigate", "page": page, "query": query, "history": "push"},
        }})
        deadline = start + timeout
        while True:
            message = await self._receive(deadline)
            content = message.get("content", {})
            data = content.get("data", {}) if isinstance(content, dict) else {}
            if (message.get("msg_type") == "comm_msg"
                    and content.get("comm_id") == self.navigation
                    and data.get("method") == "update"
                    and data.get("state", {}).get("page") == page):
                return time.perf_counter() - start

    # -- leaving -------------------------------------------------------------------------
    async def close(self, beacon: bool = True) -> None:
        """Close the tab: the unload beacon (``beacon``) and the websocket."""
        if beacon and self.kernel_id:
            await asyncio.to_thread(self._shutdown)
        if self.socket is not None:
            self.socket.close()

    def _shutdown(self) -> None:
        token = uuid.uuid4().hex  # the page's own _xsrf cookie, as the template sets it
        request = urllib.request.Request(
            f"{self.base}/voila/api/shutdown/{self.kernel_id}", data=f"_xsrf={token}".encode(),
            method="POST", headers={"Cookie": f"_xsrf={token}",
                                    "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=30):
                pass
        except urllib.error.HTTPError as error:
            error.close()  # the kernel had gone already: nothing to shut down
        except urllib.error.URLError:
            pass
