"""Messages of Jupyter's kernel protocol, built once for every client the suite drives.

A kernel's websocket takes a message as a header, a parent header, metadata and content
(the messaging spec, version 5.3). The security specs, the hub kit (an analyst's cells) and
the benchmarks' simulated reader (``bench/protocol.py``) all build theirs here.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

__all__ = ["PROTOCOL_VERSION", "execute_request", "header", "request"]

PROTOCOL_VERSION = "5.3"


def header(msg_type: str, session: str, username: str = "") -> dict[str, Any]:
    """A new message's header: a fresh ``msg_id``, the session, the sender and the time."""
    return {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": session,
            "username": username, "version": PROTOCOL_VERSION,
            "date": datetime.now(UTC).isoformat()}


def request(msg_type: str, content: dict[str, Any], session: str, username: str = "",
            metadata: dict[str, Any] | None = None, channel: str = "shell") -> dict[str, Any]:
    """A whole message to the kernel as the JSON websocket protocol carries it."""
    return {"header": header(msg_type, session, username), "parent_header": {},
            "metadata": metadata or {}, "content": content, "channel": channel,
            "buffers": []}


def execute_request(code: str) -> dict[str, Any]:
    """The content of an ``execute_request`` that runs ``code`` as a notebook cell does."""
    return {"code": code, "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": True}
