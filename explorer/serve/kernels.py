"""Serving under load: a Voila kernel manager with back-pressure and a cap.

Voila starts one kernel per page view and has no limit of its own. When a room of people
opens the same link at once, three things go wrong on a small machine: simultaneous kernel
launches race for ZMQ ports (a kernel dies with "address already in use"), unbounded kernels
exhaust memory, and a kernel that died at its start leaves its page waiting for ever (Voila
keeps the page open with heartbeats until a rendering that has failed ends, which it never
does). ``ThrottledKernelManager`` fixes them at the source, inside the kernel manager Voila
already uses:

- at most ``max_concurrent_starts`` kernels are launched at a time; later page loads wait
  their turn (back-pressure) instead of racing;
- a kernel is handed to its page only once it has answered; one that died first (its port
  taken by another server's kernel on the same machine, as replicas behind HAProxy do) is
  launched again;
- at most ``max_kernels`` kernels exist at once (running plus waiting to start), fewer if
  the memory available at start holds fewer (``kernel_memory_mb`` each); beyond that the
  page load gets HTTP 503, which the explorer's Voila template shows as a friendly "busy,
  retrying" page that reloads itself.

It is configured in ``voila.json``::

    "VoilaConfiguration": {"multi_kernel_manager_class":
                           "explorer.serve.kernels.ThrottledKernelManager"},
    "ThrottledKernelManager": {"max_kernels": 240, "max_concurrent_starts": 2}

240 is the 200 readers one two-core machine serves (``bench/tour.py --readers 200``) plus a
fifth for late-comers and kernels of closed tabs not yet shut down; at ~50 MB each
(``FORKED_KERNEL_MB``, PSS measured by ``bench/tour.py``) that is 12 GB, and a machine with
less memory available gets the cap its memory holds (logged at start). Two concurrent
launches: one per core of the 2-core machine it was tuned on (a launch is CPU-bound).

Idle-kernel culling comes from the parent class (``MappingKernelManager`` settings), with one
grace: a kernel no page has connected to yet is culled only once idle for ``connect_grace``
seconds, not ``cull_idle_timeout``. A page's kernel is started and its notebook run before the
page is sent; under load (200 readers on two cores) the reader's websocket came more than the
60 s of ``cull_idle_timeout`` after the run, and the page found its kernel culled (HTTP 404 on
the websocket). A page fetched and never opened (a link preview, a closed tab) still frees its
kernel, after the grace.

On Linux the manager also keeps a preloader (``explorer.serve.preload``: a process that has
imported everything and built every page once), and the kernels of the explorer's kernelspec
are forked from it by its kernel provisioner (``explorer.serve.provisioner``) instead of starting
from scratch. The manager replaces the preloader when it ends or when the explorer's code or
data changes (``PreloaderKeeper``). ``"ThrottledKernelManager": {"preload_kernels": false}``
turns that off: no preloader, and every kernel starts from scratch.

On Linux each kernel is also told to end with its server
(``explorer.serve.preload.end_with_parent``, which the preloader also gives each kernel it
forks): the kernel process asks the operating system for SIGTERM when the server dies, even
by SIGKILL. ipykernel's own parent poller misses one case: a kernel whose poller starts
after its server has died takes its new parent for its original one, and unless that new
parent is PID 1 it waits for it for ever. Where a session manager adopts orphans (systemd's
user manager on a desktop, for one) that new parent is not PID 1.

At most ``max_concurrent_runs`` pages' notebooks run at once; the others wait their turn,
first come first served, before their run starts (``PromptKernelClient.wait_for_ready``, the
call Voila's executor makes before running a page, takes a slot; ``stop_channels``, which the
executor calls when the page is rendered, gives it back). Without it, 200 readers arriving on two
cores ran 200 notebooks at once: every run slowed to the pace of all, Voila's 30 s IOPub timeout
cut half of them short (pages without their widgets), and no reader got a page before most did.
Queued, the first readers get their pages at once and the rest in turn, each run at full speed;
the server-rendered first view (``explorer.serve.first_view``) shows them the view meanwhile.

``PromptKernelClient`` fixes Voila's rare one-minute stall: now and then a page waited exactly
``VoilaExecutor.timeout`` (60 s) before it rendered. Caught in the act, the kernel was idle, its
reply was waiting in the server's shell socket (``ZMQ_EVENTS`` said readable) and the asyncio
read was never woken: pyzmq's edge-triggered socket notification was missed, and only the
poll's timeout woke it. The client waits in short slices, each ending in a real ``zmq_poll``,
so a missed wake-up costs at most ``POLL_SLICE_S`` instead of the whole timeout::

    "AsyncKernelManager": {"client_class": "explorer.serve.kernels.PromptKernelClient"}
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from queue import Empty
from typing import Any

from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_core.utils import ensure_async
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Bool, Integer, List, TraitError, Type, Unicode

from .preload import available, end_with_parent
from .provisioner import Preloader, PreloaderKeeper

__all__ = ["BUSY_REASON", "FORKED_KERNEL_MB", "PLAIN_KERNEL_MB", "POLL_SLICE_S",
           "PromptKernelClient", "RunSlots", "ThrottledKernelManager", "end_with_parent",
           "memory_budget_mb"]

BUSY_REASON = "Busy"
POLL_SLICE_S = 0.25
#: What one more reader's kernel costs the machine in memory (MB, PSS: each page shared with the
#: preloader or between kernels counted once), from ``bench/tour.py``'s "per kernel" figure for
#: readers touring every page, rounded up: forked from the preloader, and started from scratch.
FORKED_KERNEL_MB = 50
PLAIN_KERNEL_MB = 120
#: Memory left for the server and its preloader when the cap is fitted to the machine.
SERVER_RESERVE_MB = 256


class ThrottledKernelManager(AsyncMappingKernelManager):
    """``AsyncMappingKernelManager`` that queues kernel launches and caps the kernel count."""

    max_kernels = Integer(
        40, config=True,
        help="Most kernels (readers) at once, counting those waiting to start; further page "
             "loads get a 'busy, retrying' page. Lowered at start to what the machine's "
             "memory holds (kernel_memory_mb).",
    )
    kernel_memory_mb = Integer(
        0, config=True,
        help="What one more reader's kernel costs in memory (MB, PSS), to lower max_kernels "
             "to what the memory available at start (a container's limit, else the "
             "machine's) holds; 0: the measured figure (FORKED_KERNEL_MB with a preloader, "
             "PLAIN_KERNEL_MB without); -1: never lower max_kernels.",
    )
    max_concurrent_starts = Integer(
        2, config=True,
        help="Most kernels launched at the same time; more wait their turn. Launching many at "
             "once makes them race for ports and starve each other of CPU.",
    )

    max_concurrent_runs = Integer(
        0, config=True,
        help="Most pages' notebooks run at the same time; more wait their turn, first come first "
             "served (the wait does not count towards Voila's timeouts). 0: one more than the "
             "machine's cores. Running every arriving page at once makes each as slow as all "
             "and cuts runs short at VoilaExecutor.iopub_timeout.",
    )
    run_slot_timeout = Integer(
        30, config=True,
        help="Seconds after which a page's run gives its turn back even if its executor never "
             "said it had finished: Voila does not stop its client's channels when a run fails "
             "or its reader leaves mid-page. A page's run takes a second or two; one still "
             "running after this simply runs beside the next one.",
    )

    start_attempts = Integer(
        3, config=True,
        help="Launches tried for one page's kernel. A kernel that dies before it answers "
             "(another server's kernel on the same machine took one of its ports between "
             "the port's choice and its bind) is launched again: Voila, handed a dead kernel, "
             "would keep the page waiting for ever.",
    )
    answer_timeout = Integer(
        60, config=True,
        help="Seconds a new kernel has to answer (kernel_info) before the page is left to "
             "Voila's own timeouts.",
    )

    connect_grace = Integer(
        300, config=True,
        help="Seconds of idleness after which a kernel no page has connected to yet is culled, "
             "instead of MappingKernelManager.cull_idle_timeout (the longer of the two applies): "
             "a page's kernel runs its notebook before the page is sent, and under load the "
             "reader's browser connects long after. A kernel nobody ever connects to is "
             "culled once idle this long.",
    )

    preload_kernels = Bool(
        True, config=True,
        help="Keep a process that has already imported what kernels need (explorer.serve.preload; "
             "Linux only), from which the explorer kernelspec's provisioner forks them "
             "instead of starting each from scratch.",
    )

    preload_modules = List(
        Unicode(), config=True,
        help="More modules the preloader imports for the kernels it forks, beyond the "
             "explorer's own (explorer.serve.preload.PRELOADED_MODULES), e.g. plotly.io for "
             "notebooks that show plotly figures through IPython's display.",
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._waiting = 0
        self._connected_once: set[str] = set()  # kernels a page has connected to
        self._start_slots: asyncio.Semaphore | None = None
        self.run_slots = RunSlots(self.max_concurrent_runs or (os.cpu_count() or 1) + 1,
                                  self.run_slot_timeout)
        self.preloader = (PreloaderKeeper(functools.partial(
            Preloader.start, end_with_parent(), tuple(self.preload_modules)), self.log)
            if self.preload_kernels and available() else None)
        self.kernel_cap = self._fitted_cap()

    def _fitted_cap(self) -> int:
        """``max_kernels``, lowered to the kernels the available memory holds."""
        each = self.kernel_memory_mb or (FORKED_KERNEL_MB if self.preloader else PLAIN_KERNEL_MB)
        budget = memory_budget_mb()
        if each < 0 or budget is None:
            return self.max_kernels
        fits = max(1, int((budget - SERVER_RESERVE_MB) // each))
        if fits < self.max_kernels:
            self.log.warning("At most %d readers at once, not max_kernels=%d: %.0f MB of memory "
                             "available holds %d kernels of ~%d MB (kernel_memory_mb)", fits,
                             self.max_kernels, budget, fits, each)
        return min(self.max_kernels, fits)

    @property
    def load(self) -> int:
        """Kernels running plus page loads waiting for a kernel."""
        return len(self.list_kernel_ids()) + self._waiting

    async def start_kernel(self, *args: Any, **kwargs: Any) -> str:  # type: ignore[override]
        """Start a kernel when a slot is free; refuse with 503 when at the cap
        (``kernel_cap``: ``max_kernels``, or fewer if memory holds fewer).

        The kernel is handed out only once it has answered: one that dies first (another
        server's kernel on the same machine took one of its ports) is shut down and launched
        again, up to ``start_attempts`` times, then the page is told to retry. Voila, given
        a dead kernel, would keep the page open for ever."""
        if self.load >= self.kernel_cap:
            self.log.warning("Refusing a new kernel: %d of %d in use", self.load,
                             self.kernel_cap)
            raise web.HTTPError(503, reason=BUSY_REASON)
        if self._start_slots is None:
            self._start_slots = asyncio.Semaphore(max(1, self.max_concurrent_starts))
        ending = end_with_parent()
        if ending is not None:
            kwargs.setdefault("preexec_fn", ending)
        for attempt in range(1, self.start_attempts + 1):
            self._waiting += 1
            try:
                async with self._start_slots:
                    kernel_id: str = await super().start_kernel(*args, **kwargs)
            finally:
                self._waiting -= 1
            if await self._answers(kernel_id):
                return kernel_id
            self.log.warning("Kernel %s died before it answered (launch %d of %d)", kernel_id,
                             attempt, self.start_attempts)
            with contextlib.suppress(Exception):  # it has gone already; forget it
                await self.shutdown_kernel(kernel_id, now=True)
        raise web.HTTPError(503, reason=BUSY_REASON)

    def notify_connect(self, kernel_id: str) -> None:
        """Count a page's connection to the kernel, and note that one has come."""
        super().notify_connect(kernel_id)
        self._connected_once.add(kernel_id)

    async def cull_kernels(self) -> None:
        """One cull pass (``MappingKernelManager``'s), forgetting kernels that have gone."""
        self._connected_once &= set(self.list_kernel_ids())
        await super().cull_kernels()

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        """Cull the kernel as ``MappingKernelManager`` does, except one no page has connected
        to yet, which is kept until it has been idle for ``connect_grace`` seconds."""
        kernel = self.get_kernel(kernel_id)
        try:
            last_activity = getattr(kernel, "last_activity", None)
        except TraitError:  # still starting: jupyter_server marks its activity once started
            return
        if (kernel_id not in self._connected_once and last_activity is not None
                and getattr(kernel, "execution_state", None) != "dead"
                and datetime.now(UTC) - last_activity <= timedelta(seconds=self.connect_grace)):
            return
        await super().cull_kernel_if_idle(kernel_id)

    async def _answers(self, kernel_id: str) -> bool:
        """Whether the kernel answers a ``kernel_info`` request (False: it died first). A
        kernel still silent after ``answer_timeout`` counts as alive: a busy machine is not
        a dead kernel, and Voila's own timeouts apply. Only the shell channel is opened."""
        manager = self.get_kernel(kernel_id)
        client = manager.client()
        client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        deadline = time.monotonic() + self.answer_timeout
        try:
            while time.monotonic() < deadline:
                client.kernel_info()
                with contextlib.suppress(Empty):
                    reply = await ensure_async(client.shell_channel.get_msg(timeout=0.5))
                    if reply["msg_type"] == "kernel_info_reply":
                        return True
                if not await ensure_async(manager.is_alive()):
                    return False
            return True
        finally:
            client.stop_channels()


def memory_budget_mb() -> float | None:
    """Memory (MB) this server's kernels may still take: what its control group allows beyond
    what it uses (a container's limit), and no more than the machine has available; None
    where neither can be read (not Linux)."""
    available = _meminfo_mb("MemAvailable")
    limit = _cgroup_room_mb()
    found = [mb for mb in (available, limit) if mb is not None]
    return min(found) if found else None


def _meminfo_mb(field: str) -> float | None:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return None


def _cgroup_room_mb() -> float | None:
    """The control group's memory limit minus its working set (its use less the file cache
    the kernel can reclaim, as Kubernetes counts it); cgroup v2, else v1; None if unlimited."""
    with contextlib.suppress(OSError, ValueError):
        groups = Path("/proc/self/cgroup").read_text().splitlines()
        unified = next((line[3:] for line in groups if line.startswith("0::")), "/")
        for folder in (Path("/sys/fs/cgroup") / unified.lstrip("/"), Path("/sys/fs/cgroup")):
            if (folder / "memory.max").exists():
                limit = (folder / "memory.max").read_text().strip()
                if limit == "max":
                    return None
                used = int((folder / "memory.current").read_text())
                return (int(limit) - used + _stat(folder / "memory.stat", "inactive_file")) \
                    / 2**20
    with contextlib.suppress(OSError, ValueError):
        folder = Path("/sys/fs/cgroup/memory")
        limit_bytes = int((folder / "memory.limit_in_bytes").read_text())
        if limit_bytes < 2**60:  # v1 writes a huge number for "no limit"
            used = int((folder / "memory.usage_in_bytes").read_text())
            return (limit_bytes - used + _stat(folder / "memory.stat", "total_inactive_file")) \
                / 2**20
    return None


def _stat(path: Path, name: str) -> int:
    """One counter of a cgroup's ``memory.stat`` (0 if absent)."""
    for line in path.read_text().splitlines():
        key, _, value = line.partition(" ")
        if key == name:
            return int(value)
    return 0


class SlicedPollChannel(AsyncZMQSocketChannel):
    """A kernel channel whose waits cannot miss a message for longer than ``POLL_SLICE_S``."""

    async def get_msg(  # type: ignore[override]  # jupyter_client declares it sync
            self, timeout: float | None = None) -> dict[str, Any]:
        """The next message; ``Empty`` if none arrives within ``timeout`` seconds (None: wait).

        Each slice's timeout ends in ``zmq_poll(0)``, which sees a message even when the
        socket's edge-triggered wake-up was lost.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = POLL_SLICE_S if deadline is None else deadline - time.monotonic()
            wait_ms = max(0, int(1000 * min(POLL_SLICE_S, left)))
            if await self.socket.poll(wait_ms):
                return await self._recv()
            if deadline is not None and time.monotonic() >= deadline:
                raise Empty


class RunSlots:
    """Turns for pages' notebook runs: at most ``size`` at once, first come first served.

    A slot taken is handed back by the release function ``take`` returns (a second call does
    nothing), or after ``hold_s`` seconds whatever happens, so a run that never reports its end
    cannot keep the queue waiting for ever."""

    def __init__(self, size: int, hold_s: float) -> None:
        self.size = max(1, size)
        self.hold_s = hold_s
        self._semaphore: asyncio.Semaphore | None = None  # made on the server's loop
        self.waiting = 0

    async def take(self) -> Callable[[], None]:
        """Wait for a slot; return the function that gives it back."""
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.size)
        semaphore = self._semaphore
        self.waiting += 1
        try:
            await semaphore.acquire()
        finally:
            self.waiting -= 1
        given_back = False

        def give_back() -> None:
            nonlocal given_back
            if not given_back:
                given_back = True
                timer.cancel()
                semaphore.release()

        timer = asyncio.get_running_loop().call_later(self.hold_s, give_back)
        return give_back


class PromptKernelClient(AsyncKernelClient):
    """The async kernel client Voila's executor uses, with ``SlicedPollChannel`` channels, and
    the turn its page's run takes from the server's ``RunSlots``."""

    shell_channel_class = Type(SlicedPollChannel)
    iopub_channel_class = Type(SlicedPollChannel)
    control_channel_class = Type(SlicedPollChannel)

    _give_back_run_slot: Callable[[], None] | None = None

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """Wait for this page's turn to run (when served by a ``ThrottledKernelManager``), then
        for the kernel, as ``AsyncKernelClient`` does. Voila's executor calls this just before
        it runs the page's notebook, so the turn's wait counts towards none of its timeouts."""
        manager = getattr(self.parent, "parent", None)  # client → kernel manager → mapping
        slots = getattr(manager, "run_slots", None)
        if isinstance(slots, RunSlots) and self._give_back_run_slot is None:
            self._give_back_run_slot = await slots.take()
        await super()._async_wait_for_ready(timeout=timeout)

    def __del__(self) -> None:
        """Give this page's turn back if the client is dropped without stopping its channels."""
        if self._give_back_run_slot is not None:
            with contextlib.suppress(Exception):
                self._give_back_run_slot()
        super().__del__()

    def stop_channels(self) -> None:
        """Close the channels and give this page's turn back (Voila's executor stops its
        client's channels once the page is rendered)."""
        try:
            super().stop_channels()
        finally:
            if self._give_back_run_slot is not None:
                self._give_back_run_slot()
                self._give_back_run_slot = None
