"""Specifications of the kernel client that cannot sleep through a reply.

Real ZeroMQ sockets and a real Jupyter session carry the messages; only the kernel is absent.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import signal
import subprocess
import sys
from queue import Empty

import pytest
import zmq
import zmq.asyncio
from jupyter_client.session import Session
from process_kit import ended, run_coroutine, wait_for

from explorer.serve import kernels as serving
from explorer.serve.kernels import (
    POLL_SLICE_S,
    PromptKernelClient,
    SlicedPollChannel,
    ThrottledKernelManager,
    end_with_parent,
)

# A guard against hanging the suite, not a performance bound.
HANG_GUARD_S = 30


@pytest.fixture
def linked_sockets():
    """A connected pair of asyncio ZeroMQ sockets: (the kernel's side, the client's side)."""
    context = zmq.asyncio.Context()
    kernel_side, client_side = context.socket(zmq.PAIR), context.socket(zmq.PAIR)
    port = kernel_side.bind_to_random_port("tcp://127.0.0.1")
    client_side.connect(f"tcp://127.0.0.1:{port}")
    yield kernel_side, client_side
    kernel_side.close(linger=0)
    client_side.close(linger=0)
    context.term()


def run(coroutine):
    """Run ``coroutine`` on a fresh event loop in its own thread (``process_kit``)."""
    return run_coroutine(coroutine, HANG_GUARD_S)


def test_a_waiting_message_is_returned(linked_sockets):
    """A message already waiting on the socket is returned whole: its type and content."""
    kernel_side, client_side = linked_sockets
    session = Session()
    channel = SlicedPollChannel(client_side, session)
    session.send(kernel_side, "execute_reply", {"status": "ok"})
    message = run(channel.get_msg(timeout=5))
    assert message["header"]["msg_type"] == "execute_reply"
    assert message["content"] == {"status": "ok"}


def test_without_a_timeout_it_waits_across_slices_for_a_late_message(linked_sockets):
    """With no timeout, the channel keeps polling slice after slice until a late message comes."""
    kernel_side, client_side = linked_sockets
    session = Session()
    channel = SlicedPollChannel(client_side, session)

    async def reply_later():
        await asyncio.sleep(3 * POLL_SLICE_S)
        session.send(kernel_side, "status", {"execution_state": "idle"})

    async def scenario():
        sender = asyncio.ensure_future(reply_later())
        message = await channel.get_msg(timeout=None)
        await sender
        return message

    assert run(scenario())["content"] == {"execution_state": "idle"}


def test_no_message_within_the_timeout_raises_empty(linked_sockets):
    """When nothing arrives within the timeout, the channel raises queue.Empty."""
    _, client_side = linked_sockets
    channel = SlicedPollChannel(client_side, Session())
    with pytest.raises(Empty):
        run(channel.get_msg(timeout=2 * POLL_SLICE_S))


def test_the_client_voila_uses_reads_shell_and_iopub_in_slices():
    """The prompt client reads its shell, iopub and control channels through the sliced poller."""
    for name in ("shell_channel_class", "iopub_channel_class", "control_channel_class"):
        assert getattr(PromptKernelClient(), name) is SlicedPollChannel


def test_voila_is_configured_to_use_the_prompt_client():
    """voila.json makes Voila's kernels use explorer.serve.kernels.PromptKernelClient."""
    import json
    from pathlib import Path

    config = json.loads((Path(__file__).parents[1] / "voila.json").read_text())
    assert config["AsyncKernelManager"]["client_class"] == (
        "explorer.serve.kernels.PromptKernelClient")


# A stand-in for the server: it launches a long-lived child as the kernel manager launches a
# kernel (its own session, the parent-death request), prints the child's pid, then waits.
LAUNCHER = """
import subprocess, sys, time
from explorer.serve.kernels import end_with_parent
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"],
                         start_new_session=True, preexec_fn=end_with_parent())
print(child.pid, flush=True)
time.sleep(120)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_a_kernel_ends_when_its_server_is_killed_outright():
    """SIGKILL gives the server no chance to shut its kernels down, and a kernel in a session
    of its own is not in the server's process group: the kernel still ends, at once."""
    launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER], stdout=subprocess.PIPE,
                                text=True)
    child = int(launcher.stdout.readline())
    try:
        assert not ended(child)
        launcher.kill()
        launcher.wait(timeout=HANG_GUARD_S)
        assert wait_for(lambda: ended(child), HANG_GUARD_S)
    finally:
        launcher.stdout.close()
        if not ended(child):
            os.kill(child, signal.SIGKILL)


def test_the_request_is_offered_only_to_the_main_thread():
    """Linux ends a child when the *thread* that forked it ends, so a launch from a worker
    thread gets no request (its children would die with the thread)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        assert pool.submit(end_with_parent).result() is None
    assert (end_with_parent() is not None) == sys.platform.startswith("linux")


def test_the_kernel_cap_is_lowered_to_what_the_memory_holds(monkeypatch):
    """``max_kernels`` readers at once, unless the memory available at start holds fewer
    kernels of the measured size: then the cap is what fits (readers past it get the busy
    page, instead of the machine running out of memory under everyone)."""
    room_for_ten = serving.SERVER_RESERVE_MB + 10 * serving.PLAIN_KERNEL_MB
    monkeypatch.setattr(serving, "memory_budget_mb", lambda: room_for_ten)
    assert ThrottledKernelManager(max_kernels=80, preload_kernels=False).kernel_cap == 10
    assert ThrottledKernelManager(max_kernels=8, preload_kernels=False).kernel_cap == 8
    assert ThrottledKernelManager(max_kernels=80, preload_kernels=False,
                                  kernel_memory_mb=-1).kernel_cap == 80


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="read from /proc")
def test_the_memory_budget_is_what_this_machine_has_available():
    """The budget is read from the operating system: more than nothing, no more than the
    machine's memory."""
    budget = serving.memory_budget_mb()
    assert budget is not None and 0 < budget <= serving._meminfo_mb("MemTotal")


# The server's start, in a fresh interpreter whose soft limit on open files is 256.
OPEN_FILES_CHECK = """
import resource
from explorer.serve.server import OPEN_FILES, raise_open_files_limit
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
raise_open_files_limit()
print(resource.getrlimit(resource.RLIMIT_NOFILE)[0] == min(OPEN_FILES, hard))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="no open-files limit to raise")
def test_the_server_raises_its_open_files_limit_for_a_rooms_kernels():
    """Each reader's kernel holds a dozen files in the server: the server raises its soft
    limit to Jupyter's 4,096 (within the hard limit) before it serves."""
    done = subprocess.run([sys.executable, "-c", OPEN_FILES_CHECK], capture_output=True,
                          text=True, timeout=HANG_GUARD_S * 4, check=False)
    assert (done.returncode, done.stdout) == (0, "True\n"), done.stderr[-2000:]


def test_pages_runs_take_turns_first_come_first_served():
    """With one slot, a second page's run starts only once the first gives its turn back, a
    third after the second: arrivals are served in order, not all at once."""
    async def scenario():
        slots = serving.RunSlots(1, hold_s=60)
        started: list[str] = []

        async def page(name: str, running_s: float) -> None:
            give_back = await slots.take()
            started.append(name)
            await asyncio.sleep(running_s)
            give_back()
            give_back()  # a second give-back frees nothing more

        first = asyncio.create_task(page("first", 0.2))
        await asyncio.sleep(0)
        second = asyncio.create_task(page("second", 0))
        await asyncio.sleep(0)
        third = asyncio.create_task(page("third", 0))
        await asyncio.sleep(0.05)
        assert started == ["first"] and slots.waiting == 2
        await asyncio.gather(first, second, third)
        return started, slots._semaphore._value

    started, free = run(scenario())
    assert started == ["first", "second", "third"]
    assert free == 1


def test_a_run_that_never_reports_its_end_gives_its_turn_back_after_the_hold():
    """A run whose executor never says it has finished cannot keep the queue waiting for
    ever: its slot comes back after ``hold_s``."""
    async def scenario():
        slots = serving.RunSlots(1, hold_s=0.1)
        await slots.take()  # never given back
        give_back = await asyncio.wait_for(slots.take(), 5)
        give_back()

    run(scenario())


def test_the_executors_client_takes_a_turn_before_its_run_and_gives_it_back_when_stopped(
        monkeypatch):
    """Voila's executor calls ``wait_for_ready`` just before running a page and
    ``stop_channels`` once it is rendered: the prompt client takes a slot from the server's
    kernel manager in the first and gives it back in the second."""
    from jupyter_client.client import KernelClient
    from jupyter_client.manager import AsyncKernelManager

    async def ready_at_once(self, timeout=None):
        return None

    monkeypatch.setattr(KernelClient, "_async_wait_for_ready", ready_at_once)
    mapping = ThrottledKernelManager(preload_kernels=False, max_concurrent_runs=1)
    client = PromptKernelClient(parent=AsyncKernelManager(parent=mapping))

    async def scenario():
        await client.wait_for_ready()
        held = mapping.run_slots._semaphore.locked()
        client.stop_channels()
        return held, mapping.run_slots._semaphore.locked()

    assert run(scenario()) == (True, False)


def test_a_client_outside_a_throttled_server_takes_no_turn(monkeypatch):
    """A prompt client whose kernel manager is not a ``ThrottledKernelManager``'s (a script, a
    test) waits for the kernel only."""
    from jupyter_client.client import KernelClient
    from jupyter_client.manager import AsyncKernelManager

    async def ready_at_once(self, timeout=None):
        return None

    monkeypatch.setattr(KernelClient, "_async_wait_for_ready", ready_at_once)
    client = PromptKernelClient(parent=AsyncKernelManager())
    run(client.wait_for_ready())
    assert client._give_back_run_slot is None
    client.stop_channels()


def test_the_server_runs_one_more_page_at_once_than_it_has_cores():
    """By default the server runs one more page's notebook at a time than the machine has
    cores; ``max_concurrent_runs`` sets another number."""
    assert ThrottledKernelManager(preload_kernels=False).run_slots.size == (os.cpu_count() or 1) + 1
    assert ThrottledKernelManager(preload_kernels=False, max_concurrent_runs=3).run_slots.size == 3


def test_a_client_dropped_without_stopping_its_channels_gives_its_turn_back(monkeypatch):
    """Voila leaves a failed run's client (or one whose reader left mid-page) without stopping
    its channels: dropping the client gives its turn back."""
    import gc

    from jupyter_client.client import KernelClient
    from jupyter_client.manager import AsyncKernelManager

    async def ready_at_once(self, timeout=None):
        return None

    monkeypatch.setattr(KernelClient, "_async_wait_for_ready", ready_at_once)
    mapping = ThrottledKernelManager(preload_kernels=False, max_concurrent_runs=1)

    async def scenario():
        client = PromptKernelClient(parent=AsyncKernelManager(parent=mapping))
        await client.wait_for_ready()
        held = mapping.run_slots._semaphore.locked()
        del client
        gc.collect()
        return held, mapping.run_slots._semaphore.locked()

    assert run(scenario()) == (True, False)
