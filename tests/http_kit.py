"""One way for the suite to GET an address: every reply is closed, error replies included.

An ``HTTPError`` is also the server's reply and holds its socket open until it is closed; one
left to the garbage collector raised a ``ResourceWarning`` (an error under the suite's
warning filter) in whichever test happened to be running, on a busy machine more often.
"""

from __future__ import annotations

import urllib.error
import urllib.request

__all__ = ["http_answer", "http_get"]


def http_get(url: str | urllib.request.Request, timeout: float = 30) -> tuple[int, str] | None:
    """Status and body of a GET (an error status is an answer too); None if nothing answered
    (refused, reset or timed out)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError):
        return None


def http_answer(url: str, timeout: float = 30) -> tuple[int, str]:
    """Status and body of a GET from a server that must answer; fails if nothing did."""
    reply = http_get(url, timeout)
    if reply is None:
        raise AssertionError(f"nothing answered at {url} within {timeout} s")
    return reply
