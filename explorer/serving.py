"""Serving under load: a Voila kernel manager with back-pressure and a cap.

Voila starts one kernel per page view and has no limit of its own. When a room of people
opens the same link at once, two things go wrong on a small machine: simultaneous kernel
launches race for ZMQ ports (a kernel dies with "address already in use"), and unbounded
kernels exhaust memory. ``ThrottledKernelManager`` fixes both at the source, inside the
kernel manager Voila already uses:

- at most ``max_concurrent_starts`` kernels are launched at a time; later page loads wait
  their turn (back-pressure) instead of racing;
- at most ``max_kernels`` kernels exist at once (running plus waiting to start); beyond that
  the page load gets HTTP 503, which the explorer's Voila template shows as a friendly
  "busy, retrying" page that reloads itself.

It is configured in ``voila.json``::

    "VoilaConfiguration": {"multi_kernel_manager_class":
                           "explorer.serving.ThrottledKernelManager"},
    "ThrottledKernelManager": {"max_kernels": 40, "max_concurrent_starts": 2}

Idle-kernel culling comes from the parent class (``MappingKernelManager`` settings).
"""

from __future__ import annotations

import asyncio

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Integer

__all__ = ["BUSY_REASON", "ThrottledKernelManager"]

BUSY_REASON = "Busy"


class ThrottledKernelManager(AsyncMappingKernelManager):
    """``AsyncMappingKernelManager`` that queues kernel launches and caps the kernel count."""

    max_kernels = Integer(
        40, config=True,
        help="Most kernels (viewers) at once, counting those waiting to start; further page "
             "loads get a 'busy, retrying' page. About 150 MB each.",
    )
    max_concurrent_starts = Integer(
        2, config=True,
        help="Most kernels launched at the same time; more wait their turn. Launching many at "
             "once makes them race for ports and starve each other of CPU.",
    )

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._waiting = 0
        self._start_slots: asyncio.Semaphore | None = None

    @property
    def load(self) -> int:
        """Kernels running plus page loads waiting for a kernel."""
        return len(self.list_kernel_ids()) + self._waiting

    async def start_kernel(self, *args, **kwargs) -> str:
        """Start a kernel when a slot is free; refuse with 503 when at ``max_kernels``."""
        if self.load >= self.max_kernels:
            self.log.warning("Refusing a new kernel: %d of %d in use", self.load,
                             self.max_kernels)
            raise web.HTTPError(503, reason=BUSY_REASON)
        if self._start_slots is None:
            self._start_slots = asyncio.Semaphore(max(1, self.max_concurrent_starts))
        self._waiting += 1
        try:
            async with self._start_slots:
                return await super().start_kernel(*args, **kwargs)
        finally:
            self._waiting -= 1
