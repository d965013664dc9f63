"""One way for the suite to GET an address: every reply is closed, error replies included.

An ``HTTPError`` is also the server's reply and holds its socket open until it is closed; one
left to the garbage collector raised a ``ResourceWarning`` (an error under the suite's
warning filter) in whichever test happened to be running, on a busy machine more often.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request

__all__ = ["http_answer", "http_get", "http_page"]


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


def http_page(url: str, deadline: float, opener: urllib.request.OpenerDirector | None = None) \
        -> tuple[int, str]:
    """Status and body of a page that must be whole within ``deadline`` seconds in all.

    A socket timeout alone cannot see a page that never ends: Voila keeps a page's response
    open with a heartbeat every few seconds while its notebook runs, so this reads the body
    as it streams and fails once the deadline has passed.
    """
    start = time.monotonic()
    try:
        response = (opener.open if opener else urllib.request.urlopen)(url, timeout=30)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode("utf-8", "replace")
    with response:
        chunks = []
        while chunk := response.read1(65536):
            chunks.append(chunk)
            if time.monotonic() - start > deadline:
                raise AssertionError(f"{url}: still sending after {deadline:.0f} s")
        return response.status, b"".join(chunks).decode("utf-8", "replace")
