"""The explorer's kernel provisioner: kernels forked from the server's warm preloader.

Jupyter decides how a kernel's process is started, polled, signalled and killed through a
*kernel provisioner* (``jupyter_client``'s ``KernelProvisionerBase``), chosen per kernelspec:
a kernelspec's ``metadata.kernel_provisioner.provisioner_name`` names a class registered under
the ``jupyter_client.kernel_provisioners`` entry point. The explorer's package registers
``explorer-preloaded`` (``PreloadedProvisioner``, ``pyproject.toml``) and installs the
kernelspec ``explorer`` that names it (``share/jupyter/kernels/explorer/kernel.json``:
``python -m ipykernel_launcher``, as Jupyter's own ``python3``). The dashboards' notebooks
(``notebooks/``, written by ``explorer.app.notebooks``) ask for that kernelspec; the analysts'
notebooks (``analysis/``) ask for ``python3`` and are never forked.

``PreloadedProvisioner`` is Jupyter's ``LocalProvisioner`` with one change. Where the server's
kernel manager keeps a ready preloader (``explorer.serve.kernels.ThrottledKernelManager`` does,
unless ``preload_kernels`` is off), the kernel is forked from it (``explorer.serve.preload``) and
the provisioner holds the forked kernel's own process (``ForkedKernel``, by its pidfd) where
``LocalProvisioner`` holds a ``Popen``. Everything else is ``LocalProvisioner``'s: the
connection file and ports, the environment, polling, interrupts, signals, kill and cleanup,
all acting on that process. Where it cannot fork — no preloader in this server (plain
``voila notebooks/`` or JupyterLab without the explorer's ``voila.json``, nbval), not Linux,
a kernel command other than this interpreter's ``-m``, a preloader not ready yet, gone or
refusing — it launches exactly as ``LocalProvisioner`` does.

The server's side of the preloader lives here too: ``Preloader`` (one preloader process and
its socket), ``PreloaderKeeper`` (the server's current preloader, replaced when it ends or
when the explorer's code or data changes) and ``ForkedKernel`` (a forked kernel's process,
held by its pidfd). So do the preloader's command line and the check that a server's
preloader listens (``preloader_command``, ``preloader_listens``), which the suite and the
benchmarks use to wait for it.
"""

from __future__ import annotations

import array
import asyncio
import atexit
import contextlib
import json
import logging
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning import LocalProvisioner

from .preload import (
    CANNOT_FORK,
    ONE_THREAD,
    PRELOADER_COMM,
    SOCKET_NAME,
    ForkRefused,
    available,
    receive,
)

__all__ = ["KERNEL_NAME", "PRELOADER_MODULE", "PROVISIONER_NAME", "ForkedKernel",
           "PreloadedProvisioner", "Preloader", "PreloaderEnded", "PreloaderKeeper",
           "folder_fingerprint", "forkable", "preloader_command", "preloader_listens",
           "preloader_socket", "source_fingerprint"]

#: The kernelspec the dashboards' notebooks ask for, and the provisioner it names.
KERNEL_NAME = "explorer"
PROVISIONER_NAME = "explorer-preloaded"
PRELOADER_MODULE = "explorer.serve.preload"  # run as ``python -m``: ``preloader_command``
ANSWER_S = 10  # the preloader answers a request at once; a stuck one must not hold a launch
STALE_CHECK_S = 2.0  # how often the server compares the code and data with the preloader's
RESTART_AFTER_S = 30.0  # a preloader that ended is started again at most this often


class PreloadedProvisioner(LocalProvisioner):
    """``LocalProvisioner``, forking the kernel from the server's preloader when it can."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        """Fork the kernel from the preloader; launch it as ``LocalProvisioner`` does where
        that cannot be done (a refusal is logged, and costs only this kernel's head start)."""
        preloader = self._preloader()
        if preloader is not None and forkable(cmd) and kwargs.get("stdout") is None \
                and kwargs.get("stderr") is None:
            env = dict(kwargs.get("env") or os.environ)
            if not kwargs.get("independent"):  # as jupyter_client's launcher does
                env["JPY_PARENT_PID"] = str(os.getpid())
            cwd = str(kwargs.get("cwd") or os.getcwd())
            stdin = os.open(os.devnull, os.O_RDONLY)  # the launcher gives a closed pipe
            try:
                kernel = await asyncio.to_thread(preloader.fork, cmd, env, cwd,
                                                 (stdin, 1, 2))
            except ForkRefused as refusal:
                self.log.warning("Kernel %s starts from scratch: %s", self.kernel_id, refusal)
            else:
                # A Popen's interface, duck-typed; no process group to prefer (see ForkedKernel).
                self.process = kernel  # type: ignore[assignment]
                self.pid, self.pgid, self.cwd = kernel.pid, None, cwd
                return self.connection_info
            finally:
                os.close(stdin)
        return await super().launch_kernel(cmd, **kwargs)

    async def wait(self) -> int | None:
        """Wait for the kernel to end, then let go of it."""
        kernel = self.process
        status = await super().wait()
        if isinstance(kernel, ForkedKernel):
            kernel.close()
        return status

    async def cleanup(self, restart: bool = False) -> None:
        """Release the kernel's ports, and a forked kernel's pidfd and connection."""
        if isinstance(self.process, ForkedKernel):
            with contextlib.suppress(OSError):
                self.process.close()
        await super().cleanup(restart=restart)

    def _preloader(self) -> Preloader | None:
        """The ready preloader of the kernel manager that owns this kernel, if it keeps one
        (the provisioner's parent is the kernel's manager, whose parent is the server's
        multi-kernel manager)."""
        keeper = getattr(getattr(self.parent, "parent", None), "preloader", None)
        return keeper.ready() if isinstance(keeper, PreloaderKeeper) else None


def forkable(cmd: Sequence[str]) -> bool:
    """Whether ``cmd`` is ``<this python> -m <module> ...``, the only form the preloader runs.

    The interpreter's path must be this one's exactly (as Jupyter writes it for a kernel
    spec's ``python``): another environment's ``python`` may be a link to the same binary
    and still see other packages."""
    return (len(cmd) >= 3 and cmd[1] == "-m" and os.path.abspath(cmd[0])
            == os.path.abspath(sys.executable))


def source_fingerprint() -> tuple[tuple[tuple[str, int, int], ...], ...]:
    """Name, size and modification time of every file a preloader's kernels get from it: the
    explorer package's code (bytecode caches left out) and the data package this process's
    environment names (``explorer.data.read.data_path``)."""
    from ..data.read import data_path

    package = Path(__file__).resolve().parents[1]  # explorer/, not serve/
    return tuple(folder_fingerprint(folder) for folder in (package, data_path()))


def folder_fingerprint(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, size and modification time of every file under ``folder`` (bytecode caches
    left out): it changes when any file there does."""
    found = []
    for root, folders, names in os.walk(folder):
        folders[:] = sorted(name for name in folders if name != "__pycache__")
        for name in sorted(names):
            with contextlib.suppress(OSError):
                stat = os.stat(os.path.join(root, name))
                found.append((os.path.join(root, name), stat.st_size, stat.st_mtime_ns))
    return tuple(found)


class ForkedKernel:
    """A kernel the preloader forked, held as ``subprocess.Popen`` holds a child (the part of
    its interface ``LocalProvisioner`` uses).

    ``pid`` is the kernel's own. Signals go to the kernel's process group (it leads a session
    of its own, as a kernel Jupyter launches does) and, failing that, to the kernel through
    its pidfd; nothing is signalled once the kernel has ended. The exit status comes from
    the preloader, the kernel's parent, which reaps it.
    """

    stdin = stdout = stderr = None  # its streams are the server's own, as a Popen's that inherits

    def __init__(self, pid: int, pidfd: int, connection: socket.socket) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._pidfd: int | None = pidfd
        self._connection = connection
        connection.setblocking(False)

    def poll(self) -> int | None:
        """The exit status (``-N`` for signal N) once the preloader has said how the kernel
        ended; None while it runs."""
        if self.returncode is None:
            try:
                message = self._connection.recv(4096)
            except BlockingIOError:
                return None
            except OSError:
                message = b""
            if message:
                self.returncode = int(json.loads(message).get("exit", 1))
            elif self._ended(0):  # the preloader has gone: how the kernel ended is unknown
                self.returncode = 1
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the kernel to end; its exit status.

        Raises:
            subprocess.TimeoutExpired: it is still running after ``timeout`` seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while (status := self.poll()) is None:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout or 0)
            _readable(self._connection.fileno(), 0.5 if left is None else min(0.5, left))
        return status

    def send_signal(self, number: int) -> None:
        """Signal the kernel's process group, or the kernel alone if the group has gone."""
        if self.poll() is not None or self._pidfd is None or self._ended(0):
            return
        try:
            os.killpg(self.pid, number)
        except OSError:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._pidfd, number)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def close(self) -> None:
        """Let go of the kernel (its pidfd, the preloader's connection); if it still runs,
        the preloader kills it."""
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None
        self._connection.close()

    def _ended(self, timeout: float) -> bool:
        """Whether the kernel's process has ended (a pidfd reads once it has)."""
        return self._pidfd is None or _readable(self._pidfd, timeout)


def _readable(fd: int, timeout: float) -> bool:
    """Whether ``fd`` can be read within ``timeout`` seconds. ``poll``, not ``select``: a
    server holding a room's kernels has file descriptors past select's 1,024."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(timeout * 1000))


class Preloader:
    """The server's handle on one preloader process."""

    def __init__(self, process: subprocess.Popen[bytes], directory: Path,
                 fingerprint: tuple[Any, ...] = ()) -> None:
        self.process = process
        self.directory = directory
        self.socket_path = directory / SOCKET_NAME
        self.fingerprint = fingerprint  # the code and data it was started on

    @classmethod
    def start(cls, preexec_fn: Callable[[], None] | None = None,
              modules: Sequence[str] = ()) -> Preloader | None:
        """Start a preloader in a new private directory; None where kernels cannot be forked.
        It imports ``PRELOADED_MODULES`` and ``modules`` in the background: ``ready`` says
        when it answers."""
        if not available():
            return None
        fingerprint = source_fingerprint()
        directory = Path(tempfile.mkdtemp(prefix="explorer-preload-"))
        process = subprocess.Popen(
            preloader_command(directory, modules),
            stdin=subprocess.DEVNULL, preexec_fn=preexec_fn, start_new_session=True,
            env={**os.environ, **ONE_THREAD})
        return cls(process, directory, fingerprint)

    @property
    def ready(self) -> bool:
        """True once the preloader has imported everything and listens."""
        return self.process.poll() is None and self.socket_path.exists()

    def fork(self, argv: Sequence[str], env: dict[str, str], cwd: str,
             streams: Sequence[int]) -> ForkedKernel:
        """Have the preloader fork ``argv`` (``python -m <module> ...``) as a kernel with this
        environment, working directory and standard streams (file descriptors).

        Raises:
            ForkRefused: the preloader is not listening, did not answer, or refused (a
                thread running in it, a failed fork); no kernel was started.
        """
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            connection.settimeout(ANSWER_S)
            connection.connect(str(self.socket_path))
            request = json.dumps({"argv": list(argv), "env": env, "cwd": cwd}).encode()
            connection.sendmsg([request], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                            array.array("i", streams))])
            answer, fds = receive(connection, (0, 1))
        except (OSError, ValueError) as error:
            connection.close()
            raise ForkRefused(f"the preloader did not answer ({error})") from error
        if "pid" not in answer or not fds:
            connection.close()
            for fd in fds:
                os.close(fd)
            raise ForkRefused(f"the preloader refused: {answer.get('refused', answer)}")
        return ForkedKernel(int(answer["pid"]), fds[0], connection)

    def retire(self) -> None:
        """Fork no more kernels, and end once the kernels forked so far have ended."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGUSR1)

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


def preloader_command(directory: Path, modules: Sequence[str] = ()) -> list[str]:
    """The command line of a preloader that listens in ``directory`` and imports
    ``modules`` besides ``PRELOADED_MODULES``."""
    return [sys.executable, "-m", PRELOADER_MODULE, "serve", str(directory), *modules]


def preloader_socket(command: Sequence[str]) -> Path | None:
    """Where the preloader started by ``command`` (``preloader_command``'s form) listens once
    it is ready; None if ``command`` starts no preloader."""
    if len(command) > 4 and list(command[1:4]) == ["-m", PRELOADER_MODULE, "serve"]:
        return Path(command[4]) / SOCKET_NAME
    return None


class PreloaderEnded(RuntimeError):
    """A server, or its preloader, ended before the preloader listened."""


def preloader_listens(server_pid: int) -> bool:
    """Whether the preloader of the server whose process is ``server_pid`` listens (True
    when the server keeps none, as where kernels cannot be forked), read from ``/proc``:
    the suite and the benchmarks wait for it before they measure or check forked kernels.

    Raises:
        PreloaderEnded: the server has ended, or its preloader ended before it listened
            (until the server's next kernel launch notices and starts another, the ended
            preloader is a zombie child of the server); a wait for it would never end.
    """
    proc = Path("/proc")
    if not proc.is_dir():
        return True  # not Linux: no preloader
    if not (proc / str(server_pid)).is_dir():
        raise PreloaderEnded(f"the server (pid {server_pid}) has ended")
    for folder in proc.iterdir():
        if not folder.name.isdigit():
            continue
        try:
            # /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and brackets
            stat = (folder / "stat").read_bytes()
            command = (folder / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # it ended meanwhile
        name = stat[stat.find(b"(") + 1:stat.rfind(b")")]
        state, parent = stat[stat.rfind(b")") + 1:].split()[:2]
        if int(parent) != server_pid:
            continue
        if name == PRELOADER_COMM and state in (b"Z", b"X"):
            raise PreloaderEnded(f"the server's preloader (pid {folder.name}) ended before it "
                                 "listened; the server's log says why")
        socket_path = preloader_socket([part.decode(errors="replace") for part in command])
        if socket_path is not None:
            return socket_path.exists()
    return True


class PreloaderKeeper:
    """A server's current preloader: started at once, and replaced when it has ended or when
    the explorer's code or data has changed since it started, so that kernels never get old
    code from it. A replaced preloader forks nothing more and ends with its last kernel;
    kernels start from scratch until the new one is ready, and the server's log says so.

    Whatever happens to the preloader, a kernel launch never waits on it: one that has ended
    (killed, crashed) is noticed at the next launch, which starts from scratch, and another is
    started then (at most every ``RESTART_AFTER_S``, so that a preloader that dies at every
    start does not cost a full import per launch); one that cannot be started leaves kernels
    starting from scratch, and is tried again later."""

    def __init__(self, start: Callable[[], Preloader | None] = Preloader.start,
                 logger: logging.Logger | logging.LoggerAdapter[Any] | None = None) -> None:
        """``start`` starts a preloader (e.g. ``Preloader.start`` with the server's
        parent-death request and more modules); ``logger`` is the server's."""
        self.log = logger or logging.getLogger("explorer.serve.provisioner")
        self._start = start
        self.current: Preloader | None = None
        self.retired: list[Preloader] = []
        self._failed = False  # the last start raised: try again after RESTART_AFTER_S
        self._noticed: Preloader | None = None  # an ended preloader the log has told of
        self._started = self._checked = time.monotonic()
        self._start_another()
        atexit.register(self.stop)

    def ready(self) -> Preloader | None:
        """The preloader to fork the next kernel from, or None (launch it from scratch)."""
        now = time.monotonic()
        self.retired = [p for p in self.retired if p.process.poll() is None]
        current = self.current
        if current is None:
            if self._failed and now - self._started >= RESTART_AFTER_S:
                self._start_another()
            return None
        ended = current.process.poll()
        if ended is not None:
            if self._noticed is not current:
                self._noticed = current
                self.log.warning(
                    "The kernels' preloader ended (exit status %s); kernels start from "
                    "scratch %s.", ended, "from now on: it cannot fork here"
                    if ended == CANNOT_FORK else "until another is ready")
            if ended != CANNOT_FORK and now - self._started >= RESTART_AFTER_S:
                self._replace(current)
            return None
        if now - self._checked >= STALE_CHECK_S:
            self._checked = now
            if source_fingerprint() != current.fingerprint:
                self.log.warning("The explorer's code or data changed since the kernels' "
                                 "preloader started: starting a new one. Kernels start from "
                                 "scratch until it is ready; the old preloader ends with its "
                                 "last kernel.")
                self._replace(current)
                return None
        return current if current.ready else None

    def _replace(self, old: Preloader) -> None:
        if old.process.poll() is None:
            old.retire()
            self.retired.append(old)
        else:
            old.stop()  # its directory, if it could not remove it itself
        self.current = None
        self._start_another()

    def _start_another(self) -> None:
        """Start a preloader as the current one; if that fails, say so and carry on without
        (kernels start from scratch), to try again after ``RESTART_AFTER_S``."""
        self._started = time.monotonic()
        try:
            self.current = self._start()
        except Exception as error:  # whatever stops it, a launch must not fail with it
            self._failed = True
            self.log.error("Kernels start from scratch: could not start the kernels' preloader "
                           "(%s); trying again in %.0f s", error, RESTART_AFTER_S)
        else:
            self._failed = False
            if self.current is not None and self._noticed is not None:
                self.log.warning("Started another preloader for the kernels")

    def stop(self) -> None:
        """End every preloader this keeper started (their kernels end with them)."""
        for preloader in [*self.retired, *([self.current] if self.current else [])]:
            preloader.stop()
