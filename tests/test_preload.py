"""Specifications of the preloader (``explorer.serve.preload``) and of the server's hold on the
kernels it forks (``explorer.serve.provisioner.Preloader`` and ``ForkedKernel``).

A real preloader process forks real ipykernel kernels, reached over ZeroMQ by a real
``jupyter_client``; Jupyter's kernel manager drives them in tests/test_provisioner.py, and a
real server in the browser suites.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from jupyter_client import BlockingKernelClient
from jupyter_client.connect import write_connection_file
from process_kit import ended, wait_for

import explorer
from explorer.data.load import _PRELOADED
from explorer.data.load import preload as keep_loaded
from explorer.serve import preload
from explorer.serve.provisioner import ForkedKernel, Preloader, forkable

from conftest import ROOT

pytestmark = pytest.mark.skipif(not preload.available(), reason="forking needs Linux pidfds")

# Guards against hanging the suite, not performance bounds.
READY_S = 60
HANG_GUARD_S = 30


@pytest.fixture(scope="module")
def preloader():
    """One preloader for the module, ready (it has imported and listens)."""
    started = Preloader.start()
    assert started is not None
    try:
        assert wait_for(lambda: started.ready, READY_S), "the preloader never listened"
        yield started
    finally:
        started.stop()


class Forked:
    """A kernel forked through ``Preloader.fork`` as the provisioner forks one (the server's
    environment plus ``JPY_PARENT_PID``, its streams), with a blocking client."""

    def __init__(self, preloader: Preloader, folder: Path, **env: str) -> None:
        connection_file, _ = write_connection_file(str(folder / f"kernel-{uuid.uuid4()}.json"))
        command = [sys.executable, "-m", "ipykernel_launcher", "-f", connection_file]
        with open(os.devnull, "rb") as nothing:
            self.process: ForkedKernel = preloader.fork(
                command, {**os.environ, "JPY_PARENT_PID": str(os.getpid()), **env},
                str(folder), (nothing.fileno(), 1, 2))
        self.client = BlockingKernelClient(connection_file=connection_file)
        self.client.load_connection_file()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=READY_S)
        self._printed: list[str] = []

    def run(self, code: str) -> object:
        """Evaluate ``code`` (an expression) in the kernel; its value, through JSON."""
        reply = self.client.execute_interactive(
            f"import json as _json; print(_json.dumps({code}))", timeout=HANG_GUARD_S,
            output_hook=self._collect)
        assert reply["content"]["status"] == "ok", reply["content"]
        return json.loads(self._printed.pop())

    def _collect(self, message: dict) -> None:
        if message["msg_type"] == "stream":
            self._printed.append(message["content"]["text"])

    @property
    def pid(self) -> int:
        return int(self.run("__import__('os').getpid()"))

    def close(self) -> None:
        self.client.stop_channels()
        self.process.kill()
        self.process.wait(timeout=HANG_GUARD_S)
        self.process.close()


@pytest.fixture
def kernel(preloader, tmp_path):
    """A kernel forked by the preloader, working in ``tmp_path``."""
    forked = Forked(preloader, tmp_path, EXPLORER_TEST_MARK="forked")
    yield forked
    forked.close()


def test_a_forked_kernel_starts_warm_and_the_server_holds_its_own_process(kernel, preloader):
    """The kernel finds the explorer imported on its first request (it was forked, imports and
    all), and the process the server holds is the kernel itself, a child of the preloader:
    nothing stands in for it."""
    assert kernel.run("'explorer.dashboards' in __import__('sys').modules") is True
    assert kernel.process.pid == kernel.pid
    assert kernel.run("__import__('os').getppid()") == preloader.process.pid
    assert kernel.process.poll() is None


def test_a_forked_kernel_has_its_servers_environment_and_folder(kernel, tmp_path):
    """The kernel sees the environment and working directory it was launched with, not the
    preloader's."""
    assert kernel.run("__import__('os').environ['EXPLORER_TEST_MARK']") == "forked"
    assert kernel.run("__import__('os').getcwd()") == str(tmp_path)


def test_a_forked_kernel_serves_widgets_and_knows_its_server(kernel):
    """What importing ipywidgets inside a kernel does (register the widget comm targets) and
    what ipykernel reads at import (its server's pid) are redone at the kernel's start."""
    targets = kernel.run("sorted(get_ipython().kernel.comm_manager.targets)")
    assert {"jupyter.widget", "jupyter.widget.control"} <= set(targets)
    assert kernel.run("get_ipython().kernel.parent.parent_handle") == os.getpid()


def test_a_kernel_the_server_lets_go_of_is_killed(kernel):
    """A server that closes its hold on a running kernel (it died) leaves it to nobody: the
    preloader kills it."""
    pid = kernel.pid
    kernel.client.stop_channels()
    kernel.process.close()
    assert wait_for(lambda: ended(pid), HANG_GUARD_S)


def test_how_a_kernel_ended_reaches_the_server(preloader, tmp_path):
    """The preloader reaps its kernels and says how each ended: 0 after a shutdown, -9 after
    SIGKILL, as ``Popen`` would for a child."""
    shut, killed = Forked(preloader, tmp_path), Forked(preloader, tmp_path)
    try:
        shut.client.shutdown()
        assert shut.process.wait(timeout=HANG_GUARD_S) == 0
        os.kill(killed.pid, signal.SIGKILL)
        assert killed.process.wait(timeout=HANG_GUARD_S) == -signal.SIGKILL
        killed.process.send_signal(signal.SIGTERM)  # once reaped, a signal reaches nobody
    finally:
        shut.close()
        killed.close()


def test_the_server_holds_kernels_with_file_descriptors_past_1024(preloader, tmp_path):
    """A server holding a room's kernels numbers its files past 1,024, where ``select`` gives
    up: the hold on a forked kernel still polls, kills and waits for it there."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip("this machine allows fewer than 1,200 open files")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    fillers = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    forked = None
    try:
        forked = Forked(preloader, tmp_path)
        assert forked.process.poll() is None
        forked.process.kill()
        assert forked.process.wait(timeout=HANG_GUARD_S) == -signal.SIGKILL
    finally:
        for fd in fillers:
            os.close(fd)
        if forked is not None:
            forked.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_malformed_request_is_refused_and_the_preloader_carries_on(preloader, tmp_path):
    """A request without the streams to hand over is closed unanswered; the next kernel is
    still forked."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as bad:
        bad.connect(str(preloader.socket_path))
        bad.send(b'{"argv": []}')
        assert bad.recv(4096) == b""
    forked = Forked(preloader, tmp_path)
    try:
        assert forked.run("1 + 1") == 2
    finally:
        forked.close()


def test_the_preloader_runs_one_thread_with_numpy_imported(preloader):
    """Thread pools are held to one thread before the preloader imports anything (OpenBLAS
    would start one per core at ``import numpy``): the preloader, which has imported pandas
    and numpy, runs a single thread, which is all a fork copies."""
    assert os.listdir(f"/proc/{preloader.process.pid}/task") == [str(preloader.process.pid)]


def test_a_preloader_whose_imports_start_a_thread_forks_nothing(monkeypatch):
    """A thread started at import would be missing in every kernel while its locks stayed
    held: the preloader says so and ends without listening, so kernels start from scratch."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT / "tests" / "fixtures"))
    threaded = Preloader.start(modules=["starts_a_thread"])
    assert threaded is not None
    try:
        assert threaded.process.wait(timeout=READY_S) == preload.CANNOT_FORK
        assert not threaded.socket_path.exists()
    finally:
        threaded.stop()


def test_stopping_the_preloader_ends_its_kernels_and_removes_its_folder(tmp_path):
    """Nothing a preloader started outlives it: kernels, socket, folder."""
    own = Preloader.start()
    assert own is not None and wait_for(lambda: own.ready, READY_S)
    forked = Forked(own, tmp_path)
    try:
        pid = forked.pid
        own.stop()
        assert wait_for(lambda: ended(pid), HANG_GUARD_S)
        assert not own.directory.exists()
    finally:
        forked.close()
        own.stop()


def test_only_this_pythons_module_launches_are_forked():
    """Another interpreter (even a link to the same binary, which may see other packages)
    or a script path is launched as it is."""
    assert forkable([sys.executable, "-m", "ipykernel_launcher", "-f", "k.json"])
    others = [["/usr/bin/other-python", "-m", "ipykernel_launcher"],
              [sys.executable, "kernel.py"], ["R", "--slave"]]
    if os.path.realpath(sys.executable) != sys.executable:  # a virtual environment's python
        others.append([os.path.realpath(sys.executable), "-m", "ipykernel_launcher"])
    assert not any(forkable(other) for other in others)


# A platform without fork, pidfds, Unix sockets or the Unix signals (Windows), faked in a fresh
# interpreter once the libraries the explorer builds on are imported: the explorer's own
# modules must still import, and say that nothing can be forked.
NO_FORK_PLATFORM = """
import os, signal, socket, sys
import jupyter_client.provisioning, jupyter_server.services.kernels.kernelmanager, pandas
sys.platform = "win32"
for module, names in ((signal, ["SIGHUP", "SIGUSR1", "SIGUSR2", "SIGQUIT", "SIGCHLD",
                                "SIGKILL", "pidfd_send_signal"]),
                      (os, ["fork", "pidfd_open", "killpg", "getuid", "setsid",
                            "waitstatus_to_exitcode"]),
                      (socket, ["AF_UNIX", "SOCK_SEQPACKET", "SCM_RIGHTS", "SO_PEERCRED"])):
    for name in names:
        delattr(module, name)
from explorer.serve import preload, provisioner, kernels as serving
assert not preload.available()
assert preload.end_with_parent() is None
assert serving.ThrottledKernelManager().preloader is None
print("imported")
"""


def test_the_explorer_imports_where_nothing_can_be_forked():
    """On a platform without fork or the Unix signals the kernel modules import (nothing
    Linux-only is read at import) and the server keeps no preloader: kernels start as
    Jupyter starts them."""
    done = subprocess.run([sys.executable, "-c", NO_FORK_PLATFORM], capture_output=True,
                          text=True, timeout=120, check=False, cwd=ROOT)
    assert (done.returncode, done.stdout) == (0, "imported\n"), done.stderr[-2000:]


# -- the data a preloader keeps ------------------------------------------------------------------

def test_a_preloaded_package_is_reused_while_its_files_are_unchanged(mini_copy):
    """``load`` returns the kept dataset, derived tables and all, until a file changes;
    then it reads the package again."""
    try:
        kept = keep_loaded(mini_copy.path)
        assert explorer.load(mini_copy.path) is kept
        table = mini_copy.file("projects.csv")
        table.write_text(table.read_text(encoding="utf-8") + "", encoding="utf-8")
        os.utime(table, ns=(time.time_ns(), time.time_ns() + 1_000_000))
        again = explorer.load(mini_copy.path)
        assert again is not kept
        assert again.projects.equals(kept.projects)
    finally:
        _PRELOADED.clear()


def test_a_package_never_preloaded_is_read_afresh_every_time(mini_path):
    """Outside a preloaded process nothing is kept: two loads, two datasets."""
    assert explorer.load(mini_path) is not explorer.load(mini_path)
