"""Kernels forked from a warm process: a page's kernel starts without importing anything.

Every page a reader opens is a new kernel, and a new Python kernel spends most of its start
importing: ipykernel, pandas, plotly, ipywidgets and the explorer take about half a second of
CPU before the notebook's first cell runs, on every page load. When a room opens the same
link at once on a two-core laptop, that is most of what the room waits for.

On Linux the server therefore keeps one *preloader* process (``python -m explorer.preload
serve DIR``) that has imported all of that once and then waits on a Unix socket in a private
directory. A kernel launch runs a small *client* instead of the kernel itself (the kernel
manager's ``format_kernel_cmd``): the client hands the preloader the kernel's command line,
environment, working directory and standard streams; the preloader forks, and the child
becomes the kernel (``runpy``, exactly as ``python -m ipykernel_launcher`` would). The client
stays for the kernel's lifetime and stands in for it towards the kernel manager:

- signals sent to the client (an interrupt, a terminate) are passed on to the kernel;
- when the kernel ends, the preloader reaps it and tells the client its exit status, and the
  client ends with the same status;
- when the client ends for any reason, even SIGKILL (the manager's last resort), the kernel
  sees it (it watches the client's pidfd) and ends at once.

Anything unusual falls back to the plain launch: not Linux, a kernel command other than
``python -m <module>`` with this interpreter, a preloader not ready yet or gone. The client
then ``exec``\\s the original command, so the worst case costs one small process start.

Only the server's own user can reach the socket (a 0700 directory, and the preloader checks
the peer's uid). The preloader imports modules only; it holds no reader's data, opens no
sockets of Jupyter's and starts no thread before it forks.
"""

from __future__ import annotations

import array
import atexit
import contextlib
import ctypes
import ctypes.util
import gc
import importlib
import json
import os
import runpy
import select
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["PRELOADED_MODULES", "Preloader", "available", "client_command", "end_with_parent",
           "main"]

#: What a kernel of the explorer imports before its first cell, imported once by the preloader.
PRELOADED_MODULES = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.comm",
                     "ipywidgets", "anywidget", "pandas", "plotly.graph_objects",
                     "explorer", "explorer.dashboards")
SOCKET_NAME = "preload.sock"
MAX_MESSAGE = 1 << 20  # a kernel's command line and environment, as JSON
STREAMS = 3  # stdin, stdout, stderr
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
#: Signals the client passes on to its kernel (an interrupt, a request to end).
PASSED_ON = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
             signal.SIGUSR2)


def available() -> bool:
    """Whether kernels can be forked here: Linux, with pidfds (5.3 and later)."""
    if not sys.platform.startswith("linux") or not hasattr(os, "pidfd_open"):
        return False
    try:
        os.close(os.pidfd_open(os.getpid()))
    except OSError:
        return False
    return True


def end_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes a child process receive SIGTERM when its parent (this
    process) dies, and end at once if the parent died before it could ask; None where the
    operating system has no such request (anything but Linux).

    It runs in the child between fork and exec, so it only calls what was looked up before the
    fork: ``prctl`` and two system calls, no allocation or import. The request survives
    ``exec`` and is checked against the parent's pid, which closes the window in which the
    parent died between fork and ``prctl``. Linux ties the request to the *thread* that forks,
    so it is only offered to the main thread (where the server's event loop launches kernels);
    a worker thread that ended would otherwise end its children with it.
    """
    if not sys.platform.startswith("linux") or \
            threading.current_thread() is not threading.main_thread():
        return None
    name = ctypes.util.find_library("c")
    try:
        prctl = ctypes.CDLL(name, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                      ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    parent = os.getpid()
    request, sigterm = ctypes.c_int(PR_SET_PDEATHSIG), ctypes.c_ulong(signal.SIGTERM)
    zero = ctypes.c_ulong(0)

    def in_child() -> None:
        prctl(request, sigterm, zero, zero, zero)
        if os.getppid() != parent:
            os._exit(1)

    return in_child


def forkable(cmd: Sequence[str]) -> bool:
    """Whether ``cmd`` is ``<this python> -m <module> ...``, the only form the preloader runs.

    The interpreter's path must be this one's exactly (as Jupyter writes it for a kernel
    spec's ``python``): another environment's ``python`` may be a link to the same binary
    and still see other packages."""
    return (len(cmd) >= 3 and cmd[1] == "-m" and os.path.abspath(cmd[0])
            == os.path.abspath(sys.executable))


def client_command(socket_path: str | Path, cmd: Sequence[str]) -> list[str]:
    """The command that launches ``cmd`` through the preloader at ``socket_path``.

    The client runs this file as a script, without ``site`` (``-S``): it needs the standard
    library only, and importing the ``explorer`` package would cost it what the preloader
    saves."""
    return [sys.executable, "-S", str(Path(__file__).resolve()), "client", str(socket_path),
            "--", *cmd]


class Preloader:
    """The server's handle on its preloader process."""

    def __init__(self, process: subprocess.Popen[bytes], directory: Path) -> None:
        self.process = process
        self.directory = directory
        self.socket_path = directory / SOCKET_NAME

    @classmethod
    def start(cls, preexec_fn: Callable[[], None] | None = None) -> Preloader | None:
        """Start a preloader in a new private directory; None where kernels cannot be forked.
        It imports in the background: ``ready`` says when it answers."""
        if not available():
            return None
        directory = Path(tempfile.mkdtemp(prefix="explorer-preload-"))
        process = subprocess.Popen(
            [sys.executable, "-m", "explorer.preload", "serve", str(directory)],
            stdin=subprocess.DEVNULL, preexec_fn=preexec_fn, start_new_session=True)
        return cls(process, directory)

    @property
    def ready(self) -> bool:
        """True once the preloader has imported everything and listens."""
        return self.process.poll() is None and self.socket_path.exists()

    def wrap(self, cmd: list[str]) -> list[str]:
        """``cmd`` launched through the preloader when it is ready and ``cmd`` is forkable;
        else ``cmd`` itself."""
        return client_command(self.socket_path, cmd) if self.ready and forkable(cmd) else cmd

    def stop(self) -> None:
        """End the preloader (kernels it forked end with it) and remove its directory."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


# -- the preloader -------------------------------------------------------------------------------

def _preload() -> None:
    """Import what a kernel imports, then build every page once on the data the kernels
    will load (``explorer.load.preload``), so that they find it read, checked and worked on
    (derived tables, compiled templates, every page's modules). Data that cannot be loaded
    is left for each kernel to load and to explain to its reader."""
    for name in PRELOADED_MODULES:
        importlib.import_module(name)
    from ipywidgets import Widget

    from .dashboards import build
    from .load import preload
    from .pages import live_pages, page_view

    for spec in live_pages():
        page_view(spec.name)
    try:
        dataset = preload()
        for spec in live_pages():
            build(spec.name, "", dataset, strict=True)
    except Exception as error:  # any failure leaves the kernels to load alone
        print(f"explorer.preload: kernels will load the data themselves ({error!r})",
              file=sys.stderr)
    finally:
        Widget.close_all()  # the warm-up's widgets: no page will ever show them
    gc.collect()
    gc.freeze()  # kernels share these pages; the collector never walks (and so copies) them


def serve(directory: Path) -> None:
    """Import what kernels need, then fork a kernel for each client until told to stop."""
    parent = os.getppid()
    _preload()
    if threading.active_count() > 1:  # a fork copies locks that other threads may hold
        raise SystemExit("explorer.preload: an import started a thread; kernels will start "
                         "from scratch")
    ending = end_with_parent()  # for each kernel: end with this preloader
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    stopping: list[int] = []  # the signal that asked the preloader to stop
    signal.signal(signal.SIGTERM, lambda number, _: stopping.append(number))
    signal.signal(signal.SIGINT, lambda number, _: stopping.append(number))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    path = directory / SOCKET_NAME
    listener.bind(str(path.with_suffix(".tmp")))
    listener.listen(64)
    os.rename(path.with_suffix(".tmp"), path)  # the socket appears only once it listens
    clients: dict[int, socket.socket] = {}  # kernel pid → its client's connection
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    try:
        while not stopping and os.getppid() == parent:
            for key, _ in selector.select(timeout=5):
                if key.fileobj is listener:
                    _accept(listener, clients, (listener, selector, wake_read, wake_write),
                            ending)
                else:
                    with contextlib.suppress(BlockingIOError):
                        os.read(wake_read, 512)
            _reap(clients)
    finally:
        listener.close()
        shutil.rmtree(directory, ignore_errors=True)
        for pid in clients:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)


def _accept(listener: socket.socket, clients: dict[int, socket.socket],
            own: tuple[Any, ...], ending: Callable[[], None] | None) -> None:
    connection, _ = listener.accept()
    try:
        creds = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                      struct.calcsize("3i"))
        _, uid, _ = struct.unpack("3i", creds)
        if uid != os.getuid():
            raise PermissionError(f"client uid {uid} is not ours")
        request, fds = _receive(connection)
    except (OSError, ValueError) as error:
        print(f"explorer.preload: refused a client: {error}", file=sys.stderr)
        connection.close()
        return
    pid = os.fork()
    if pid == 0:
        signal.set_wakeup_fd(-1)
        for held in (*own, *clients.values(), connection):
            with contextlib.suppress(OSError):
                held.close() if hasattr(held, "close") else os.close(held)
        _become_kernel(request, fds, ending)  # never returns
    for fd in fds:
        os.close(fd)
    _send(connection, {"pid": pid})
    clients[pid] = connection


def _reap(clients: dict[int, socket.socket]) -> None:
    while clients:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        connection = clients.pop(pid, None)
        if connection is not None:
            _send(connection, {"exit": os.waitstatus_to_exitcode(status)})
            connection.close()


def _send(connection: socket.socket, message: dict[str, int]) -> None:
    with contextlib.suppress(OSError):
        connection.send(json.dumps(message).encode())


def _receive(connection: socket.socket) -> tuple[dict[str, Any], list[int]]:
    fds = array.array("i")
    data, ancillary, _, _ = connection.recvmsg(
        MAX_MESSAGE, socket.CMSG_LEN((STREAMS + 1) * fds.itemsize))
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[:len(payload) - len(payload) % fds.itemsize])
    if len(fds) != STREAMS + 1:
        for fd in fds:
            os.close(fd)
        raise ValueError(f"expected {STREAMS + 1} file descriptors, got {len(fds)}")
    return json.loads(data), list(fds)


def _become_kernel(request: dict[str, Any], fds: list[int],
                   ending: Callable[[], None] | None) -> None:
    """In the forked child: take the client's streams, environment and directory, watch the
    client, and run the kernel's module as ``python -m`` would."""
    code: int | str | None = 1
    try:
        os.setsid()
        for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
            signal.signal(number, signal.SIG_DFL)
        *streams, client = fds
        for target, fd in enumerate(streams):
            os.dup2(fd, target)
            os.close(fd)
        if ending is not None:
            ending()
        threading.Thread(target=_end_with_client, args=(client,), daemon=True,
                         name="explorer-client-watch").start()
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        argv = request["argv"]
        sys.argv = [argv[2], *argv[3:], *_redone_at_start(argv[2])]
        sys.path[0] = os.getcwd()
        atexit._clear()  # the preloader's, not the kernel's
        code = 0
        runpy.run_module(argv[2], run_name="__main__", alter_sys=True)
    except SystemExit as exit_:
        code = exit_.code
    except BaseException:  # the kernel's own failure, reported as python would
        traceback.print_exc()
        code = 1
    finally:
        with contextlib.suppress(BaseException):
            atexit._run_exitfuncs()
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code if isinstance(code, int) else (0 if code is None else 1))


def _redone_at_start(module: str) -> list[str]:
    """Arguments that make a kernel do what importing its modules inside it would have done.

    Two things happen at import time only when a module is imported in a running kernel:
    ipywidgets registers its comm targets (without them no page could ask for its widgets),
    and ipykernel reads its parent's pid from the environment. Imported in the preloader,
    neither happened; the kernel's own command line does both.
    """
    if module != "ipykernel_launcher":
        return []
    return ["--IPKernelApp.extensions=ipywidgets",
            f"--IPKernelApp.parent_handle={int(os.environ.get('JPY_PARENT_PID') or 0)}"]


def _end_with_client(pidfd: int) -> None:
    """End this kernel when its client process ends (the manager killed it, or it died)."""
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    while not poller.poll():
        pass
    os._exit(1)


# -- the client ----------------------------------------------------------------------------------

def client(socket_path: str, cmd: list[str]) -> int:
    """Run ``cmd`` as a kernel forked by the preloader, standing in for it until it ends;
    ``exec`` ``cmd`` itself when the preloader cannot."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        connection.connect(socket_path)
        request = {"argv": cmd, "env": dict(os.environ), "cwd": os.getcwd()}
        own = os.pidfd_open(os.getpid())
        fds = array.array("i", [0, 1, 2, own])
        connection.sendmsg([json.dumps(request).encode()],
                           [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
        os.close(own)
        kernel = int(json.loads(connection.recv(4096))["pid"])
    except (OSError, ValueError, KeyError):
        connection.close()
        os.execv(cmd[0], cmd)  # the plain launch; does not return
    for number in PASSED_ON:
        signal.signal(number, lambda received, _frame: _pass_on(kernel, received))
    try:
        reply = connection.recv(4096)
        return int(json.loads(reply)["exit"]) if reply else 1
    except (OSError, ValueError, KeyError):
        return 1


def _pass_on(pid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, number)


def main(argv: list[str] | None = None) -> int:
    """``serve DIR`` (the preloader) or ``client SOCKET -- CMD...`` (a kernel's stand-in)."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["serve"] and len(args) == 2:
        serve(Path(args[1]))
        return 0
    if args[:1] == ["client"] and len(args) >= 4 and args[2] == "--":
        code = client(args[1], args[3:])
        if code < 0:  # the kernel was killed by a signal: end the same way
            with contextlib.suppress(OSError, ValueError):  # SIGKILL has no handler to reset
                signal.signal(-code, signal.SIG_DFL)
            os.kill(os.getpid(), -code)
        return code if code >= 0 else 128 - code
    print("usage: python -m explorer.preload serve DIR | client SOCKET -- CMD...",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
