"""Waiting on processes, conditions and coroutines, one way for the whole suite.

Every wait polls a condition with a generous ceiling and never sleeps for a guess, so a busy
machine makes a test slower, not wrong.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import psutil

__all__ = ["ended", "run_coroutine", "wait_for"]

T = TypeVar("T")


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    """Poll ``condition`` until it holds or ``seconds`` pass; its last answer."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return condition()


def ended(pid: int) -> bool:
    """Whether process ``pid`` has ended (a zombie has: only its reaping is left)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def run_coroutine(coroutine: Coroutine[Any, Any, T], seconds: float = 60) -> T:
    """Run ``coroutine`` to its end on a fresh event loop in a thread of its own, at most
    ``seconds`` (a guard against hanging the suite, not a performance bound).

    In a worker that has run a browser test, Playwright's sync API keeps an event loop in the
    main thread, where ``asyncio.run`` refuses to start another: call this instead.
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, asyncio.wait_for(coroutine, seconds)).result()
