"""Waiting on processes and conditions, one way for the whole suite.

Every wait polls a condition with a generous ceiling and never sleeps for a guess, so a busy
machine makes a test slower, not wrong.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import psutil

__all__ = ["ended", "wait_for"]


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
