"""Specifications of kernels forked from the preloader (``explorer.preload``).

A real preloader process forks real ipykernel kernels, reached over ZeroMQ by a real
``jupyter_client``; only the Jupyter server is absent (the browser suites run it).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from jupyter_client import BlockingKernelClient
from jupyter_client.connect import write_connection_file
from jupyter_server.services.kernels.kernelmanager import ServerKernelManager
from process_kit import ended, wait_for

import explorer
from explorer import preload
from explorer.load import _PRELOADED
from explorer.load import preload as keep_loaded
from explorer.serving import PreloadedKernelManager, ThrottledKernelManager

pytestmark = pytest.mark.skipif(not preload.available(), reason="forking needs Linux pidfds")

# Guards against hanging the suite, not performance bounds.
READY_S = 60
HANG_GUARD_S = 30


@pytest.fixture(scope="module")
def preloader():
    """One preloader for the module, ready (it has imported and listens)."""
    started = preload.Preloader.start()
    assert started is not None
    try:
        assert wait_for(lambda: started.ready, READY_S), "the preloader never listened"
        yield started
    finally:
        started.stop()


class ForkedKernel:
    """A kernel launched as the kernel manager launches one: the wrapped command in a
    session of its own, with the server's pid in ``JPY_PARENT_PID``."""

    def __init__(self, preloader: preload.Preloader, folder: Path, **env: str) -> None:
        connection_file, _ = write_connection_file(str(folder / "kernel.json"))
        cmd = preloader.wrap([sys.executable, "-m", "ipykernel_launcher", "-f",
                              connection_file])
        assert cmd[:3] == preload.client_command("", [])[:3], "the launch was not wrapped"
        self.client_process = subprocess.Popen(
            cmd, start_new_session=True, stdin=subprocess.PIPE, cwd=folder,
            env={**os.environ, "JPY_PARENT_PID": str(os.getpid()), **env})
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
        if self.client_process.poll() is None:
            os.killpg(self.client_process.pid, signal.SIGKILL)
        self.client_process.wait(timeout=HANG_GUARD_S)
        self.client_process.stdin.close()


@pytest.fixture
def kernel(preloader, tmp_path):
    """A kernel forked by the preloader, working in ``tmp_path``."""
    forked = ForkedKernel(preloader, tmp_path, EXPLORER_TEST_MARK="forked")
    yield forked
    forked.close()


def test_a_forked_kernel_starts_with_the_explorer_already_imported(kernel):
    """Nothing in a fresh kernel imports the explorer: finding it on the first request
    means the kernel was forked from the preloader, imports and all."""
    assert kernel.run("'explorer.dashboards' in __import__('sys').modules") is True
    assert kernel.run("__import__('os').getppid()") != kernel.client_process.pid


def test_a_forked_kernel_has_its_launchers_environment_and_folder(kernel, tmp_path):
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


def test_an_interrupt_sent_to_the_launched_process_reaches_the_kernel(kernel):
    """The kernel manager interrupts the process it launched (the client); the busy kernel
    gets the SIGINT and its cell stops with KeyboardInterrupt."""
    request = kernel.client.execute("import time; print('asleep', flush=True); time.sleep(60)")
    while True:  # until the cell is running, not merely queued
        message = kernel.client.get_iopub_msg(timeout=HANG_GUARD_S)
        if message["parent_header"].get("msg_id") == request and \
                message["msg_type"] == "stream":
            break
    os.killpg(kernel.client_process.pid, signal.SIGINT)
    reply = kernel.client.get_shell_msg(timeout=HANG_GUARD_S)
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "KeyboardInterrupt"


def test_a_kernel_ends_when_the_process_standing_in_for_it_is_killed(kernel):
    """SIGKILL is the manager's last resort and cannot be passed on: the kernel sees its
    client end and ends too."""
    pid = kernel.pid
    os.killpg(kernel.client_process.pid, signal.SIGKILL)
    kernel.client_process.wait(timeout=HANG_GUARD_S)
    assert wait_for(lambda: ended(pid), HANG_GUARD_S)


def test_the_launched_process_ends_as_its_kernel_ends(kernel):
    """A shut-down kernel's client exits 0; a kernel killed by a signal has its client
    killed by the same signal, so the manager sees what it would have seen."""
    kernel.client.shutdown()
    assert kernel.client_process.wait(timeout=HANG_GUARD_S) == 0


def test_a_kernel_killed_by_a_signal_takes_its_client_the_same_way(preloader, tmp_path):
    """The kernel manager learns of a dead kernel from its launched process's exit."""
    forked = ForkedKernel(preloader, tmp_path)
    try:
        os.kill(forked.pid, signal.SIGKILL)
        assert forked.client_process.wait(timeout=HANG_GUARD_S) == -signal.SIGKILL
    finally:
        forked.close()


def test_a_client_without_a_preloader_runs_the_command_itself(tmp_path):
    """A preloader gone or not ready yet costs nothing but the saving: the client becomes
    the original command."""
    command = preload.client_command(tmp_path / "absent.sock",
                                     [sys.executable, "-c", "print('plain launch')"])
    done = subprocess.run(command, capture_output=True, text=True, timeout=HANG_GUARD_S,
                          check=False)
    assert (done.returncode, done.stdout) == (0, "plain launch\n")


def test_only_this_pythons_module_launches_are_forked(preloader):
    """Another interpreter (even a link to the same binary, which may see other packages)
    or a script path is launched as it is."""
    plain = [sys.executable, "-m", "ipykernel_launcher", "-f", "k.json"]
    assert preloader.wrap(plain)[-len(plain):] == plain and preloader.wrap(plain) != plain
    others = [["/usr/bin/other-python", "-m", "ipykernel_launcher"],
              [sys.executable, "kernel.py"], ["R", "--slave"]]
    if os.path.realpath(sys.executable) != sys.executable:  # a virtual environment's python
        others.append([os.path.realpath(sys.executable), "-m", "ipykernel_launcher"])
    for other in others:
        assert preloader.wrap(other) == other


def test_a_malformed_request_is_refused_and_the_preloader_carries_on(preloader, tmp_path):
    """A request without the streams to hand over is closed unanswered; the next kernel is
    still forked."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as bad:
        bad.connect(str(preloader.socket_path))
        bad.send(b'{"argv": []}')
        assert bad.recv(4096) == b""
    forked = ForkedKernel(preloader, tmp_path)
    try:
        assert forked.run("1 + 1") == 2
    finally:
        forked.close()


def test_stopping_the_preloader_ends_its_kernels_and_removes_its_folder(tmp_path):
    """Nothing a preloader started outlives it: kernels, socket, folder."""
    own = preload.Preloader.start()
    assert own is not None and wait_for(lambda: own.ready, READY_S)
    forked = ForkedKernel(own, tmp_path)
    try:
        pid = forked.pid
        own.stop()
        assert wait_for(lambda: ended(pid), HANG_GUARD_S)
        assert not own.directory.exists()
    finally:
        forked.close()
        own.stop()


def test_the_server_forks_its_kernels_unless_told_not_to():
    """``ThrottledKernelManager`` launches through a preloader by default; with
    ``preload_kernels`` off it starts none and kernels launch as Jupyter's do."""
    manager = ThrottledKernelManager(preload_kernels=False)
    assert manager.preloader is None
    assert manager.kernel_manager_class == "explorer.serving.PreloadedKernelManager"
    assert issubclass(PreloadedKernelManager, ServerKernelManager)
    assert ThrottledKernelManager.preload_kernels.default_value is True


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
