"""Specifications of the explorer's kernel provisioner (``explorer.serve.provisioner``): kernels of
the ``explorer`` kernelspec forked from the server's preloader through Jupyter's own
extension point, indistinguishable from kernels started from scratch.

Jupyter's real kernel manager (the server's ``ThrottledKernelManager``, in an event loop of
its own) starts real kernels through the installed kernelspecs and entry points; only the
HTTP server is absent (the browser suites run it).
"""

from __future__ import annotations

import asyncio
import errno
import functools
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import pytest
from jupyter_client import BlockingKernelClient
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.provisioning import KernelProvisionerFactory, LocalProvisioner
from process_kit import ended, wait_for

from explorer.app import notebooks
from explorer.serve import preload, provisioner
from explorer.serve.kernels import ThrottledKernelManager
from explorer.serve.provisioner import (
    KERNEL_NAME,
    PROVISIONER_NAME,
    ForkedKernel,
    PreloadedProvisioner,
    Preloader,
    PreloaderKeeper,
    source_fingerprint,
)

pytestmark = pytest.mark.skipif(not preload.available(), reason="forking needs Linux pidfds")

READY_S = 60  # guards against hanging the suite, not performance bounds
HANG_GUARD_S = 30
# The explorer's preloader does not import plotly.io (readers' pages never need it); this
# module's does, so that a kernel forked from it shows whether plotly's choice of renderer,
# made at import, is made again in the kernel.
MORE_MODULES = ["plotly.io"]


class EventLoop:
    """An asyncio loop in a thread of its own, where the kernel manager lives (the browser
    suites keep Playwright's loop in the main thread)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine, timeout: float = READY_S):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(HANG_GUARD_S)
        self.loop.close()


@pytest.fixture(scope="module")
def loop() -> Iterator[EventLoop]:
    running = EventLoop()
    yield running
    running.close()


@pytest.fixture(scope="module")
def manager(loop, tmp_path_factory) -> Iterator[ThrottledKernelManager]:
    """The server's kernel manager, its preloader ready."""
    started = ThrottledKernelManager(preload_modules=MORE_MODULES,
                                     connection_dir=str(tmp_path_factory.mktemp("kernels")))
    assert started.preloader is not None
    try:
        assert wait_for(lambda: started.preloader.ready() is not None, READY_S), (
            "the preloader never listened")
        yield started
    finally:
        loop.run(started.shutdown_all(now=True))
        started.preloader.stop()


class Kernel:
    """A kernel started by ``manager`` as a page's kernel is, with a blocking client."""

    def __init__(self, manager: ThrottledKernelManager, loop: EventLoop,
                 kernel_name: str = KERNEL_NAME, folder: Path | None = None,
                 **env: str) -> None:
        self.manager, self.loop = manager, loop
        self.id = loop.run(manager.start_kernel(
            kernel_name=kernel_name, path=str(folder or Path.cwd()),
            env={**os.environ, **env}))
        self.client = BlockingKernelClient(
            connection_file=manager.get_kernel(self.id).connection_file)
        self.client.load_connection_file()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=READY_S)

    @property
    def provisioner(self):
        return self.manager.get_kernel(self.id).provisioner

    def outputs(self, code: str) -> list[dict]:
        """Run ``code``; every output message's type and content, in order."""
        seen: list[dict] = []
        reply = self.client.execute_interactive(
            code, timeout=HANG_GUARD_S,
            output_hook=lambda message: seen.append(
                {"type": message["msg_type"], **message["content"]}))
        assert reply["content"]["status"] == "ok", reply["content"]
        return seen

    def run(self, code: str) -> object:
        """Evaluate ``code`` (an expression) in the kernel; its value, through JSON."""
        printed = [o["text"] for o in self.outputs(
            f"import json as _json; print(_json.dumps({code}))") if o["type"] == "stream"]
        return json.loads(printed[-1])

    @property
    def pid(self) -> int:
        return int(self.run("__import__('os').getpid()"))

    def close(self) -> None:
        self.client.stop_channels()
        if self.id in self.manager:
            self.loop.run(self.manager.shutdown_kernel(self.id, now=True))


@pytest.fixture
def start(manager, loop) -> Iterator:
    """Start kernels in ``manager``; all shut down afterwards."""
    started: list[Kernel] = []

    def one(kernel_name: str = KERNEL_NAME, **options) -> Kernel:
        kernel = Kernel(manager, loop, kernel_name, **options)
        started.append(kernel)
        return kernel

    yield one
    for kernel in started:
        kernel.close()


def test_the_explorer_kernelspec_names_the_preloaded_provisioner():
    """The installed ``explorer`` kernelspec names the provisioner the package registers under
    Jupyter's entry point, and the dashboards' notebooks ask for that kernelspec."""
    spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    assert spec.metadata["kernel_provisioner"]["provisioner_name"] == PROVISIONER_NAME
    assert spec.argv[1:3] == ["-m", "ipykernel_launcher"]
    registered = KernelProvisionerFactory.instance().provisioners[PROVISIONER_NAME]
    assert registered.load() is PreloadedProvisioner
    assert notebooks.KERNELSPEC["name"] == KERNEL_NAME


def test_the_manager_forks_a_readers_kernel_and_holds_the_kernel_itself(start, manager):
    """A kernel of the explorer kernelspec is forked from the preloader (the explorer already
    imported on its first request), and the process Jupyter's manager holds is the kernel's
    own: nothing stands in for it."""
    kernel = start()
    assert isinstance(kernel.provisioner, PreloadedProvisioner)
    assert isinstance(kernel.provisioner.process, ForkedKernel)
    assert kernel.provisioner.process.pid == kernel.pid
    assert psutil.Process(kernel.pid).ppid() == manager.preloader.current.process.pid
    assert kernel.run("'explorer.dashboards' in __import__('sys').modules") is True


def test_the_managers_interrupt_reaches_a_forked_kernels_running_cell(start, manager, loop):
    """Jupyter's interrupt (SIGINT through the provisioner) stops the running cell with
    KeyboardInterrupt, and the kernel carries on."""
    kernel = start()
    request = kernel.client.execute("import time; print('asleep', flush=True); time.sleep(60)")
    while True:  # until the cell is running, not merely queued
        message = kernel.client.get_iopub_msg(timeout=HANG_GUARD_S)
        if message["parent_header"].get("msg_id") == request and \
                message["msg_type"] == "stream":
            break
    loop.run(manager.interrupt_kernel(kernel.id))
    reply = kernel.client.get_shell_msg(timeout=HANG_GUARD_S)
    assert (reply["content"]["status"], reply["content"]["ename"]) == ("error",
                                                                       "KeyboardInterrupt")
    # After an error ipykernel aborts the requests that reach it while it clears its queue
    # (a busy machine can send the next one inside that window): wait until one is run.
    for _ in range(100):
        after = kernel.client.execute_interactive("carried_on = 1 + 1", timeout=HANG_GUARD_S)
        if after["content"]["status"] != "aborted":
            break
        time.sleep(0.1)
    assert after["content"]["status"] == "ok", after["content"]
    assert kernel.run("carried_on") == 2


def test_a_kernel_stuck_in_a_c_call_dies_on_the_managers_kill(start, manager, loop):
    """A kernel sleeping inside C while holding the interpreter's lock runs no Python at all;
    the manager's kill (the provisioner's ``kill``, before anything lets go of the kernel)
    still ends it, because SIGKILL goes to the kernel's own process."""
    kernel = start()
    pid = kernel.pid
    kernel.client.execute("import ctypes; ctypes.PyDLL(None).sleep(600)")
    # No message can leave the kernel now (sending needs the lock): ask the operating system.
    assert wait_for(lambda: in_c_sleep(pid), HANG_GUARD_S)
    loop.run(kernel.provisioner.kill())
    assert wait_for(lambda: ended(pid), HANG_GUARD_S)


def in_c_sleep(pid: int) -> bool:
    """Whether the process's main thread sleeps inside the kernel's nanosleep (libc's sleep)."""
    try:
        return "nanosleep" in Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return False


def test_two_forked_kernels_draw_different_random_numbers(start):
    """Each forked kernel's random generators are its own: numpy's global generator (which
    a fork would copy) and Python's draw differently in two kernels."""
    draws = "[__import__('numpy').random.random(), __import__('random').random()]"
    first, second = start().run(draws), start().run(draws)
    assert first[0] != second[0]
    assert first[1] != second[1]


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SHOW_FIGURE = """
import plotly.graph_objects as go, plotly.io as pio
print(pio.renderers.default)
go.Figure(go.Bar(x=["forked", "fresh"], y=[1, 2])).show()
"""


def test_a_plotly_figure_shows_the_same_in_a_forked_kernel_as_in_a_fresh_one(start):
    """plotly picks its renderer when imported, by looking at the running shell; imported in
    the preloader it saw none. A forked kernel still shows a figure exactly as a kernel
    started from scratch (``python3``, Jupyter's own provisioner) does."""
    forked, fresh = start(), start("python3")
    assert isinstance(fresh.provisioner, LocalProvisioner)
    assert not isinstance(fresh.provisioner, PreloadedProvisioner)
    shown = [json.loads(UUID.sub("<id>", json.dumps(kernel.outputs(SHOW_FIGURE))))
             for kernel in (forked, fresh)]
    assert shown[0] == shown[1]
    assert any(o["type"] == "display_data" and "application/vnd.plotly.v1+json" in o["data"]
               for o in shown[0])


async def cull_pass(manager: ThrottledKernelManager, idle_s: dict[str, float]) -> None:
    """Make each kernel idle for so many seconds (as its activity records it), then run one
    pass of the idle cull, with nothing in between that could record new activity."""
    now = datetime.now(UTC)
    for kernel_id, seconds in idle_s.items():
        manager.get_kernel(kernel_id).last_activity = now - timedelta(seconds=seconds)
    await manager.cull_kernels()


def test_a_kernel_no_page_has_connected_to_outlives_the_idle_cull_until_its_grace_ends(
        start, manager, loop, monkeypatch):
    """A page's kernel nobody has connected to yet (under load the reader's websocket comes
    long after the kernel ran the page) survives the idle cull within ``connect_grace``, and
    is culled past it; a kernel whose page connected and left is culled on the usual idle
    timeout."""
    monkeypatch.setattr(manager, "cull_idle_timeout", 60)
    monkeypatch.setattr(manager, "connect_grace", 300)
    waiting, unclaimed, left = start(), start(), start()
    manager.notify_connect(left.id)
    manager.notify_disconnect(left.id)
    loop.run(cull_pass(manager, {waiting.id: 120, unclaimed.id: 400, left.id: 120}))
    assert [kernel.id in manager for kernel in (waiting, unclaimed, left)] == [
        True, False, False]
    assert waiting.run("6 * 7") == 42


def test_a_cull_pass_passes_by_a_kernel_still_starting(start, manager, loop):
    """A kernel the cull meets between its start and jupyter_server's marking of its
    activity (a busy server's loop can run the cull in between) is left alone, without an
    error: a 200-reader run logged a traceback for each such kernel."""
    starting = start()
    # The kernel's state in that moment: its activity not marked yet.
    manager.get_kernel(starting.id)._trait_values.pop("last_activity")
    loop.run(manager.cull_kernel_if_idle(starting.id))
    assert starting.id in manager


# A preloader whose os.fork fails once each time the flag file exists (as a fork fails when
# the machine is out of processes or memory): the preloader's own code, unchanged.
FAILING_FORK = """
import errno, os, sys
real_fork, flag = os.fork, sys.argv[1]
def fork():
    if os.path.exists(flag):
        os.remove(flag)
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable (forced by the test)")
    return real_fork()
os.fork = fork
from explorer.serve.preload import main
sys.exit(main(["serve", sys.argv[2]]))
"""


def failing_preloader(folder: Path, flag: Path) -> Preloader:
    directory = folder / "preloader"
    directory.mkdir()
    process = subprocess.Popen([sys.executable, "-c", FAILING_FORK, str(flag), str(directory)],
                               stdin=subprocess.DEVNULL, start_new_session=True,
                               env={**os.environ, **preload.ONE_THREAD})
    return Preloader(process, directory, source_fingerprint())


def test_a_failed_fork_starts_that_kernel_from_scratch_and_nothing_else_changes(
        loop, tmp_path, caplog):
    """When the preloader's fork fails, that one kernel is started from scratch (and the
    server says why); the preloader, the kernels it forked before and the next fork are
    untouched."""
    flag = tmp_path / "fail-next-fork"
    server = ThrottledKernelManager(preload_kernels=False, connection_dir=str(tmp_path))
    server.preloader = PreloaderKeeper(functools.partial(failing_preloader, tmp_path, flag))
    kernels: list[Kernel] = []
    try:
        assert wait_for(lambda: server.preloader.ready() is not None, READY_S)
        before = Kernel(server, loop)
        kernels.append(before)
        flag.touch()
        refused = Kernel(server, loop)
        kernels.append(refused)
        after = Kernel(server, loop)
        kernels.append(after)
        forked_by = server.preloader.current.process.pid
        assert [type(k.provisioner.process) for k in kernels] == [
            ForkedKernel, subprocess.Popen, ForkedKernel]
        assert psutil.Process(refused.pid).ppid() == os.getpid()
        assert [psutil.Process(k.pid).ppid() for k in (before, after)] == [forked_by] * 2
        assert [k.run("6 * 7") for k in kernels] == [42] * 3
        assert "starts from scratch" in caplog.text and "forced by the test" in caplog.text
    finally:
        for kernel in kernels:
            kernel.close()
        server.preloader.stop()


def test_a_killed_preloader_is_replaced_and_the_next_kernel_starts_meanwhile(
        loop, tmp_path, caplog, monkeypatch):
    """When the preloader dies (killed, crashed), the next kernel still starts, from scratch,
    with the server's log saying why, and a fresh preloader is started, from which the
    kernels after it are forked."""
    monkeypatch.setattr(provisioner, "RESTART_AFTER_S", 3600)  # no restart yet
    server = ThrottledKernelManager(connection_dir=str(tmp_path))
    kernels: list[Kernel] = []
    try:
        assert wait_for(lambda: server.preloader.ready() is not None, READY_S)
        killed = server.preloader.current
        killed.process.kill()
        killed.process.wait(HANG_GUARD_S)
        kernels.append(meanwhile := Kernel(server, loop))
        assert psutil.Process(meanwhile.pid).ppid() == os.getpid()
        assert meanwhile.run("6 * 7") == 42
        assert "preloader ended (exit status -9)" in caplog.text
        monkeypatch.setattr(provisioner, "RESTART_AFTER_S", 0)  # restart at the next launch
        kernels.append(Kernel(server, loop))
        assert wait_for(lambda: server.preloader.ready() not in (None, killed), READY_S)
        kernels.append(after := Kernel(server, loop))
        assert psutil.Process(after.pid).ppid() == server.preloader.current.process.pid
    finally:
        for kernel in kernels:
            kernel.close()
        server.preloader.stop()


def test_a_preloader_that_cannot_be_replaced_leaves_kernels_starting_from_scratch(
        loop, tmp_path, caplog, monkeypatch):
    """When the preloader has died and no other can be started (out of processes, say),
    kernels start from scratch and the server's log says so; no launch fails."""
    monkeypatch.setattr(provisioner, "RESTART_AFTER_S", 0)
    started: list[Preloader] = []

    def start_once() -> Preloader | None:
        if started:
            raise OSError(errno.EAGAIN, "Resource temporarily unavailable (forced by the test)")
        started.append(first := Preloader.start())
        return first

    server = ThrottledKernelManager(preload_kernels=False, connection_dir=str(tmp_path))
    server.preloader = PreloaderKeeper(start_once)
    kernels: list[Kernel] = []
    try:
        assert wait_for(lambda: server.preloader.ready() is not None, READY_S)
        started[0].process.kill()
        started[0].process.wait(HANG_GUARD_S)
        kernels += [Kernel(server, loop), Kernel(server, loop)]
        assert [psutil.Process(k.pid).ppid() for k in kernels] == [os.getpid()] * 2
        assert [k.run("6 * 7") for k in kernels] == [42] * 2
        assert "could not start the kernels' preloader" in caplog.text
        assert "forced by the test" in caplog.text
    finally:
        for kernel in kernels:
            kernel.close()
        server.preloader.stop()


# A server that only keeps a preloader, and reaps nothing until its input closes.
KEEPS_A_PRELOADER = """
import sys
from explorer.serve.provisioner import Preloader
preloader = Preloader.start()
sys.stdin.read()
preloader.stop()
"""


def test_a_wait_for_a_preloader_that_ended_ends_with_a_clear_error():
    """The suite's and the benchmarks' wait for a server's preloader
    (``preloader_listens``) sees it listen, and once it or its server has ended says so
    instead of waiting for ever."""
    server = subprocess.Popen([sys.executable, "-c", KEEPS_A_PRELOADER],
                              stdin=subprocess.PIPE, start_new_session=True)
    try:
        assert wait_for(lambda: psutil.Process(server.pid).children(), READY_S)
        preloader = psutil.Process(server.pid).children()[0]
        assert wait_for(lambda: provisioner.preloader_listens(server.pid), READY_S)
        assert preloader.name() == preload.PRELOADER_COMM.decode()
        preloader.kill()
        assert wait_for(lambda: ended(preloader.pid), HANG_GUARD_S)
        with pytest.raises(provisioner.PreloaderEnded, match=r"preloader .* ended before it"):
            provisioner.preloader_listens(server.pid)
    finally:
        server.stdin.close()
        server.kill()
        server.wait(HANG_GUARD_S)
    with pytest.raises(provisioner.PreloaderEnded, match=r"the server .* has ended"):
        provisioner.preloader_listens(server.pid)


def test_a_changed_data_file_brings_a_new_preloader_and_running_kernels_carry_on(
        loop, mini_copy, monkeypatch, tmp_path):
    """When the data (or the explorer's code) changes, the server starts a new preloader
    and forks new kernels from it; the old one forks nothing more and ends with its last
    kernel, which runs on meanwhile."""
    monkeypatch.setenv("EXPLORER_DATA", str(mini_copy.path))
    server = ThrottledKernelManager(connection_dir=str(tmp_path))
    kernels: list[Kernel] = []
    try:
        assert wait_for(lambda: server.preloader.ready() is not None, READY_S)
        old = server.preloader.current
        kernels.append(Kernel(server, loop))
        table = mini_copy.file("projects.csv")
        os.utime(table, ns=(time.time_ns(), time.time_ns() + 1_000_000))
        assert wait_for(lambda: server.preloader.ready() not in (None, old), READY_S)
        assert old.process.poll() is None and not old.ready
        kernels.append(Kernel(server, loop))
        assert [psutil.Process(k.pid).ppid() for k in kernels] == [
            old.process.pid, server.preloader.current.process.pid]
        assert kernels[0].run("6 * 7") == 42
        kernels[0].close()
        assert wait_for(lambda: old.process.poll() is not None, HANG_GUARD_S)
    finally:
        for kernel in kernels:
            kernel.close()
        server.preloader.stop()


def test_the_server_forks_its_kernels_unless_told_not_to():
    """``ThrottledKernelManager`` keeps a preloader by default; with ``preload_kernels`` off it
    keeps none, and the provisioner starts every kernel as Jupyter's own does."""
    assert ThrottledKernelManager.preload_kernels.default_value is True
    assert ThrottledKernelManager(preload_kernels=False).preloader is None


ANALYSIS = Path(__file__).resolve().parents[1] / "analysis"


@pytest.mark.parametrize("name", ["tutorial", "questions", "bring-your-own-evidence"])
def test_the_analysis_notebooks_run_in_a_forked_kernel_as_in_a_fresh_one(start, name):
    """Each analysis notebook's code cells run without an error in a kernel forked from the
    preloader, in the notebook's own folder (the suite runs them under nbval in kernels
    started from scratch). Analysts' servers still start kernels as Jupyter does (README,
    *Analysts*): a forked kernel's ``load()`` hands back the one preloaded package."""
    import nbformat

    notebook = nbformat.read(ANALYSIS / f"{name}.ipynb", as_version=4)
    kernel = start(folder=ANALYSIS)
    assert isinstance(kernel.provisioner.process, ForkedKernel)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            errors = [o for o in kernel.outputs(cell.source) if o["type"] == "error"]
            assert not errors, (name, cell.source[:200], errors)
