"""Kernels forked from a warm process: a page's kernel starts without importing anything.

Every page a reader opens is a new kernel, and a new Python kernel spends most of its start
importing: ipykernel, pandas, ipywidgets and the explorer take about half a second of CPU
before the notebook's first cell runs, on every page load. When a room opens the same link at
once on a two-core laptop, that is most of what the room waits for.

On Linux the server therefore keeps one *preloader* process (``python -m explorer.serve.preload
serve DIR``, this module) that imports all of that once, builds every page once on the data,
and then waits on a Unix socket in a private directory. The explorer's kernel provisioner
(``explorer.serve.provisioner``, Jupyter's own extension point for starting kernels, which also
holds the server's side of this conversation) asks it for each kernel: it passes the kernel's
command line, environment, working directory and standard streams; the preloader forks, the
child becomes the kernel (``runpy``, exactly as ``python -m ipykernel_launcher`` would) and
the preloader hands back a pidfd of the child. From then on the server holds the kernel's own
process: poll, signal, interrupt and kill reach the kernel itself, and no process stands in
for it. The preloader, the kernel's parent, reaps it and tells the server how it ended; if
the server lets go of a kernel it has not seen end (the server died), the preloader kills it.

A forked kernel behaves as one started from scratch:

- its random generators are its own: Python's and numpy's global ones are reseeded in the
  child (two kernels would otherwise draw the same numbers);
- no thread is copied: thread pools are limited to one thread before the preloader imports
  anything (``ONE_THREAD``: OpenBLAS starts one per core at ``import numpy``), and the
  preloader refuses to fork while it runs more than one thread (``/proc/self/task``);
- what libraries do at import time only inside a running kernel is redone at the kernel's
  start (``load_ipython_extension``): ipywidgets' comm targets, plotly's choice of renderer,
  and ipykernel's parent pid (``_redone_at_start``);
- a kernel whose data files changed since the preloader read them loads them itself
  (``explorer.load``), and the server replaces a preloader whose code or data changed
  (``explorer.serve.provisioner.PreloaderKeeper``).

A failed fork refuses that one request (the server then starts that kernel from scratch);
the preloader and every other kernel carry on. Only the server's own user can reach the
socket (a 0700 directory, and the preloader checks the peer's uid). The preloader imports
modules only; it holds no reader's data, opens no sockets of Jupyter's and starts no thread.

This module is importable on every platform; everything Linux-only is looked up when used.
"""

from __future__ import annotations

import array
import atexit
import contextlib
import ctypes
import ctypes.util
import functools
import gc
import importlib
import importlib.util
import json
import os
import random
import runpy
import selectors
import shutil
import signal
import socket
import struct
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["CANNOT_FORK", "ONE_THREAD", "PRELOADED_MODULES", "PRELOADER_COMM", "ForkRefused",
           "available", "end_with_parent", "load_ipython_extension", "main", "receive", "send"]

#: What a kernel of the explorer imports before its first cell, imported once by the preloader.
PRELOADED_MODULES = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.comm",
                     "ipywidgets", "anywidget", "pandas", "plotly.graph_objects",
                     "explorer", "explorer.dashboards")
#: Thread pools held to one thread in the preloader, set before Python starts: a fork copies
#: only the thread that forks, and a pool's other threads would be missing in every kernel.
ONE_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                     "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                                     "VECLIB_MAXIMUM_THREADS")}
SOCKET_NAME = "preload.sock"
MAX_MESSAGE = 1 << 20  # a kernel's command line and environment, as JSON
STREAMS = 3  # stdin, stdout, stderr
CANNOT_FORK = 3  # the preloader's exit status when forking here would copy a thread
PR_SET_PDEATHSIG, PR_SET_NAME = 1, 15  # <linux/prctl.h>
KERNEL_COMM = b"explorer-kernel"  # a forked kernel's name in ps and top (/proc/<pid>/comm)
PRELOADER_COMM = b"explorer-warm"  # the preloader's (15 bytes at most); kept once it has ended

class ForkRefused(OSError):
    """The preloader did not fork a kernel (not ready, gone, or it said no); nothing started."""


def available() -> bool:
    """Whether kernels can be forked here: Linux, with pidfds (5.3 and later)."""
    if not sys.platform.startswith("linux") or not hasattr(os, "pidfd_open"):
        return False
    try:
        os.close(os.pidfd_open(os.getpid()))
    except OSError:
        return False
    return True


@functools.cache
def _prctl() -> Callable[..., int] | None:
    """libc's ``prctl`` (looked up once: ``find_library`` may run ``ldconfig``); None
    without one."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                      ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl


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
    if threading.current_thread() is not threading.main_thread():
        return None
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()
    request, sigterm = ctypes.c_int(PR_SET_PDEATHSIG), ctypes.c_ulong(signal.SIGTERM)
    zero = ctypes.c_ulong(0)

    def in_child() -> None:
        prctl(request, sigterm, zero, zero, zero)
        if os.getppid() != parent:
            os._exit(1)

    return in_child


def _preload(modules: Sequence[str] = ()) -> None:
    """Import what a kernel imports (and ``modules``), then build every page once on the
    data the kernels will load (``explorer.data.load.preload``), so that they find it read,
    checked and worked on (derived tables, compiled templates, every page's modules). Data
    that cannot be loaded is left for each kernel to load and to explain to its reader."""
    for name in (*PRELOADED_MODULES, *modules):
        importlib.import_module(name)
    from ipywidgets import Widget

    from ..app.dashboards import build
    from ..data.load import preload
    from ..pages.registry import live_pages, page_view

    for spec in live_pages():
        page_view(spec.name)
    try:
        dataset = preload()
        for spec in live_pages():
            build(spec.name, "", dataset, strict=True)
    except Exception as error:  # any failure leaves the kernels to load alone
        print(f"explorer.serve.preload: kernels will load the data themselves ({error!r})",
              file=sys.stderr)
    finally:
        Widget.close_all()  # the warm-up's widgets: no page will ever show them
    gc.collect()
    gc.freeze()  # kernels share these pages; the collector never walks (and so copies) them


def _threads() -> int:
    """How many threads this process runs, native ones included (``threading`` sees only
    Python's)."""
    return len(os.listdir("/proc/self/task"))


def serve(directory: Path, modules: Sequence[str] = ()) -> None:
    """Import what kernels need, then fork a kernel for each request until told to stop
    (SIGTERM), or to retire (SIGUSR1: fork no more, end with the last kernel)."""
    parent = os.getppid()
    _preload(modules)
    if _threads() > 1:  # a fork copies one thread; locks the others hold would stay held
        print(f"explorer.serve.preload: {_threads()} threads run after the imports (a thread pool "
              f"not limited by {', '.join(ONE_THREAD)}?); kernels will start from scratch",
              file=sys.stderr)
        sys.exit(CANNOT_FORK)
    ending = end_with_parent()  # for each kernel: end with this preloader
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    stopping: list[int] = []  # the signal that asked the preloader to stop
    retiring: list[int] = []
    signal.signal(signal.SIGTERM, lambda number, _: stopping.append(number))
    signal.signal(signal.SIGINT, lambda number, _: stopping.append(number))
    signal.signal(signal.SIGUSR1, lambda number, _: retiring.append(number))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    path = directory / SOCKET_NAME
    listener.bind(str(path.with_suffix(".tmp")))
    listener.listen(64)
    os.rename(path.with_suffix(".tmp"), path)  # the socket appears only once it listens
    kernels: dict[int, socket.socket] = {}  # kernel pid → the server's connection for it
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    inherited = (selector, listener, wake_read, wake_write)
    try:
        while not stopping and os.getppid() == parent and not (retiring and not kernels):
            if retiring and listener.fileno() >= 0:
                selector.unregister(listener)
                listener.close()
                path.unlink(missing_ok=True)
            for key, _ in selector.select(timeout=5):
                if key.fileobj is listener:
                    _accept(listener, kernels, inherited, ending)
                elif key.fileobj == wake_read:
                    with contextlib.suppress(BlockingIOError):
                        os.read(wake_read, 512)
                else:
                    _let_go(key.data, kernels, selector)
            _reap(kernels, selector)
    finally:
        listener.close()
        shutil.rmtree(directory, ignore_errors=True)
        for pid in kernels:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)


def _accept(listener: socket.socket, kernels: dict[int, socket.socket],
            inherited: tuple[Any, ...], ending: Callable[[], None] | None) -> None:
    """Take one request; fork its kernel and answer with the kernel's pid and pidfd, or
    refuse it (and only it) with the reason."""
    connection, _ = listener.accept()
    try:
        creds = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                      struct.calcsize("3i"))
        _, uid, _ = struct.unpack("3i", creds)
        if uid != os.getuid():
            raise PermissionError(f"client uid {uid} is not ours")
        request, fds = receive(connection, (STREAMS,))
    except (OSError, ValueError) as error:
        print(f"explorer.serve.preload: refused a request: {error}", file=sys.stderr)
        connection.close()
        return
    try:
        if _threads() > 1:
            raise ForkRefused(f"{_threads()} threads are running in the preloader")
        pid = os.fork()
    except OSError as error:
        for fd in fds:
            os.close(fd)
        print(f"explorer.serve.preload: refused a kernel: {error}", file=sys.stderr)
        send(connection, {"refused": str(error)})
        connection.close()
        return
    if pid == 0:
        signal.set_wakeup_fd(-1)
        selector, *others = inherited
        selector.close()
        for held in (*others, *kernels.values(), connection):
            with contextlib.suppress(OSError):
                held.close() if hasattr(held, "close") else os.close(held)
        _become_kernel(request, fds, ending)  # never returns
    for fd in fds:
        os.close(fd)
    try:
        pidfd = os.pidfd_open(pid)
    except OSError as error:  # nobody could hold this kernel: end it
        os.kill(pid, signal.SIGKILL)
        send(connection, {"refused": f"no pidfd for the kernel: {error}"})
        connection.close()
        return
    send(connection, {"pid": pid}, pidfd)
    os.close(pidfd)
    kernels[pid] = connection
    inherited[0].register(connection, selectors.EVENT_READ, pid)


def _let_go(pid: int, kernels: dict[int, socket.socket], selector: selectors.BaseSelector) \
        -> None:
    """The server closed its end for kernel ``pid`` (it let go of the kernel, or died):
    a kernel nobody holds must not run on, so it is killed (and reaped as usual)."""
    connection = kernels.get(pid)
    if connection is None:
        return
    with contextlib.suppress(OSError):
        if connection.recv(MAX_MESSAGE, socket.MSG_DONTWAIT):
            return  # the server writes nothing after its request: a stray message, dropped
    selector.unregister(connection)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _reap(kernels: dict[int, socket.socket], selector: selectors.BaseSelector) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        connection = kernels.pop(pid, None)
        if connection is not None:
            send(connection, {"exit": os.waitstatus_to_exitcode(status)})
            with contextlib.suppress(KeyError, ValueError):
                selector.unregister(connection)
            connection.close()


def send(connection: socket.socket, message: dict[str, Any], fd: int | None = None) -> None:
    rights = [] if fd is None else [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))]
    with contextlib.suppress(OSError):
        connection.sendmsg([json.dumps(message).encode()], rights)


def receive(connection: socket.socket, counts: Sequence[int]) \
        -> tuple[dict[str, Any], list[int]]:
    """One JSON message and the file descriptors passed with it, whose number must be one of
    ``counts`` (otherwise they are closed and ValueError is raised)."""
    fds = array.array("i")
    data, ancillary, _, _ = connection.recvmsg(
        MAX_MESSAGE, socket.CMSG_LEN(max(counts) * fds.itemsize))
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[:len(payload) - len(payload) % fds.itemsize])
    if len(fds) not in counts or not data:
        for fd in fds:
            os.close(fd)
        raise ValueError(f"expected {' or '.join(map(str, counts))} file descriptors and a "
                         f"message, got {len(fds)} and {len(data)} bytes")
    return json.loads(data), list(fds)


def _become_kernel(request: dict[str, Any], fds: list[int],
                   ending: Callable[[], None] | None) -> None:
    """In the forked child: take the server's streams, environment and directory, set what
    a fresh interpreter would have, and run the kernel's module as ``python -m`` would."""
    code: int | str | None = 1
    try:
        os.setsid()
        for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGUSR1):
            signal.signal(number, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        if ending is not None:
            ending()
        _name_process(KERNEL_COMM)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        _reseed()
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


def _name_process(name: bytes) -> None:
    """Give this process ``name`` in ps and top (``/proc/<pid>/comm``), where Linux allows."""
    prctl = _prctl()
    if prctl is not None:
        buffer = ctypes.create_string_buffer(name)
        prctl(PR_SET_NAME, ctypes.addressof(buffer), 0, 0, 0)


def _reseed() -> None:
    """Give the kernel random generators of its own. CPython reseeds ``random`` after a
    fork; numpy's global generator (``numpy.random.random()``, pandas' ``sample``) it does
    not, and every kernel would draw the same numbers."""
    random.seed()
    numpy_random = sys.modules.get("numpy.random")
    if numpy_random is not None:
        numpy_random.seed()


def _redone_at_start(module: str) -> list[str]:
    """Arguments that make a kernel do at its start what importing its libraries inside a
    running kernel would have done: this module's ``load_ipython_extension``, and
    ipykernel's reading of its server's pid (``JPY_PARENT_PID``, read at import)."""
    if module != "ipykernel_launcher":
        return []
    return ["--IPKernelApp.extensions=explorer.serve.preload",
            f"--IPKernelApp.parent_handle={int(os.environ.get('JPY_PARENT_PID') or 0)}"]


def load_ipython_extension(ipython: Any) -> None:
    """At a forked kernel's start (an IPython extension, ``_redone_at_start``), redo what
    the preloaded libraries do at import only inside a running kernel: ipywidgets registers
    its comm targets (without them no page could ask for its widgets), and plotly picks its
    default renderer by looking at the running shell (in the preloader there is none)."""
    widgets = sys.modules.get("ipywidgets")
    if widgets is not None:
        widgets.load_ipython_extension(ipython)
    renderers = sys.modules.get("plotly.io._renderers")
    if renderers is not None and renderers.__file__:
        renderers.renderers.default = _fresh_plotly_renderer(renderers.__file__)


def _fresh_plotly_renderer(path: str) -> Any:
    """The renderer plotly would choose if imported now: a private copy of its renderers
    module, run in this kernel."""
    spec = importlib.util.spec_from_file_location("_explorer_fresh_plotly_renderers", path)
    assert spec is not None and spec.loader is not None
    fresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fresh)
    return fresh.renderers.default


def main(argv: list[str] | None = None) -> int:
    """``serve DIR [MODULE...]``: run the preloader (the server starts it, see
    ``Preloader.start``), importing MODULEs as well as ``PRELOADED_MODULES``."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["serve"] and len(args) >= 2:
        _name_process(PRELOADER_COMM)
        serve(Path(args[1]), args[2:])
        return 0
    print("usage: python -m explorer.serve.preload serve DIR [MODULE...]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
