"""Live readers on one server: several Voila replicas behind HAProxy (``make serve-replicas``).

    python deploy/proxy/replicas.py [--replicas 2] [--port 8866] [--bind 127.0.0.1]
                                    [--serve "voila notebooks/"] [--state DIR]

starts ``--replicas`` copies of the serve command (each ``<serve> --port=<p>`` on 127.0.0.1,
ports ``port+1 ... port+N`` unless ``--replica-ports`` says otherwise), writes HAProxy's
configuration from ``haproxy.cfg.in`` beside this file, and runs ``haproxy`` in front of them
on ``--bind:--port``. Each reader is sent to one replica and kept there by a cookie
(``CTG_REPLICA``), so their page and their kernel's websocket meet on the same server; a
stopped replica's readers are sent to the others when they reload. Ctrl-C (or SIGTERM) stops
HAProxy, then every replica and its kernels.

The serve command is one setting: the Makefile's ``SERVE`` variable (``make serve`` runs the
same), passed as ``--serve``; ``SERVE_COMMAND`` below is the default for direct use. Every
replica inherits this process's environment, so ``EXPLORER_ROOM_DB`` (the shared room store,
e.g. ``postgresql+psycopg://explorer@db/explorer``) and ``EXPLORER_DATA`` reach them all.

``--print-config --backend HOST:PORT [--backend ...]`` only prints the configuration for
replicas started some other way (e.g. one container of the image per port).

The same code serves the tests (``tests/test_proxy.py``, ``tests/browser/test_replicas.py``)
and ``bench/replicas.py`` through the ``Replicas`` class.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import re
import shlex
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TEMPLATE = HERE / "haproxy.cfg.in"
# The command each replica runs, with ``--port=<p>`` appended (the Makefile's SERVE overrides
# it; keep the two the same).
SERVE_COMMAND = "python -m explorer serve notebooks/"
COOKIE = "CTG_REPLICA"
REPLICA_HEADER = "X-Explorer-Replica"
START_TIMEOUT_S = 120  # replicas start together; each is Voila importing its stack
STOP_TIMEOUT_S = 30

MISSING_HAPROXY = ("haproxy not found (looked for {path}). The replicas' proxy is Debian's "
                   "`haproxy` package: run `sh scripts/ensure-haproxy` (or `sudo apt-get "
                   "install haproxy`), or set EXPLORER_HAPROXY to its path.")


def haproxy_path() -> str | None:
    """The haproxy executable: ``$EXPLORER_HAPROXY``, else the one on ``$PATH`` or in sbin."""
    explicit = os.environ.get("EXPLORER_HAPROXY")
    for candidate in ([explicit] if explicit else
                      [shutil.which("haproxy"), "/usr/sbin/haproxy", "/usr/local/sbin/haproxy"]):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def replica_name(index: int) -> str:
    """The name (and cookie value) of the ``index``-th replica, from 0: r1, r2, ..."""
    return f"r{index + 1}"


def render_config(backends: Sequence[tuple[str, int]], *, port: int, bind: str = "127.0.0.1",
                  stats_socket: Path | str = "/run/haproxy-explorer.sock") -> str:
    """HAProxy's configuration for ``backends`` (host, port), listening on ``bind:port``."""
    servers = "\n".join(
        f"    server {replica_name(i)} {host}:{backend_port} cookie {replica_name(i)}"
        for i, (host, backend_port) in enumerate(backends))
    return string.Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        bind=bind, port=port, cookie=COOKIE, stats_socket=stats_socket, servers=servers)


def check_config(path: Path) -> subprocess.CompletedProcess:
    """``haproxy -c -f path``: HAProxy's own check of a configuration file."""
    haproxy = haproxy_path()
    if haproxy is None:
        raise RuntimeError(MISSING_HAPROXY.format(path=os.environ.get("EXPLORER_HAPROXY")
                                                  or "haproxy on $PATH"))
    return subprocess.run([haproxy, "-c", "-f", str(path)], capture_output=True, text=True,
                          timeout=30, check=False)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _stop_group(process: subprocess.Popen, timeout: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM a process group (a replica and the kernels it started), then SIGKILL it."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@dataclass
class LoggedRequest:
    """One request as HAProxy logged it (``option httplog``, a line once it has ended): the
    replica that served it; its timers in ms — TR (the request's arrival), Tw (queued for a
    replica), Tc (connecting to it), Tr (until the replica's first byte), Ta (in all); the
    status; and how it ended (``--`` first: normally)."""

    replica: str
    timers: tuple[int, ...]
    status: int
    ended: str
    path: str


HTTPLOG = re.compile(r'^\S+ \[[^]]+\] \S+ \S+/(?P<replica>\S+) (?P<timers>[-\d/+]+) '
                     r'(?P<status>-?\d+) \S+ \S+ \S+ (?P<ended>\S{4}) \S+ \S+ '
                     r'"\S+ (?P<path>\S+)')


def logged_requests(log: str, path: str = "/") -> list[LoggedRequest]:
    """The requests whose address starts with ``path`` in HAProxy's log."""
    found = []
    for line in log.splitlines():
        match = HTTPLOG.match(line)
        if match and match["path"].startswith(path):
            found.append(LoggedRequest(
                match["replica"], tuple(int(t.lstrip("+")) for t in match["timers"].split("/")),
                int(match["status"]), match["ended"], match["path"]))
    return found


@dataclass
class Replica:
    """One replica: its name (also its cookie), port and process."""

    name: str
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        return ""

    def stop(self) -> None:
        """Stop the replica and its kernels (as its operator's SIGTERM would)."""
        _stop_group(self.process)


@dataclass
class Replicas:
    """N replicas of the serve command behind one HAProxy.

    Args:
        count: how many replicas.
        port: the proxy's port (what readers open).
        state: folder for the generated haproxy.cfg, its stats socket and the logs.
        serve: the command each replica runs, ``--port=<p>`` appended.
        bind: the proxy's address (replicas always listen on 127.0.0.1).
        replica_ports: the replicas' ports (default ``port+1 ... port+count``).
        env: environment for every replica on top of this process's own (e.g.
            ``EXPLORER_ROOM_DB``); a name given None is removed.
        cwd: where the replicas run (default the repository root, so voila.json applies).
    """

    count: int
    port: int
    state: Path
    serve: str = SERVE_COMMAND
    bind: str = "127.0.0.1"
    replica_ports: Sequence[int] = ()
    env: Mapping[str, str | None] = field(default_factory=dict)
    cwd: Path = ROOT
    replicas: list[Replica] = field(default_factory=list)
    proxy: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        host = "127.0.0.1" if self.bind in ("0.0.0.0", "*", "") else self.bind
        return f"http://{host}:{self.port}"

    def url(self, page: str, query: str = "") -> str:
        """A dashboard's address through the proxy, e.g. ``url("story", "project=pathway")``."""
        return f"{self.base}/voila/render/{page}.ipynb" + (f"?{query}" if query else "")

    @property
    def config_path(self) -> Path:
        return self.state / "haproxy.cfg"

    @property
    def stats_socket(self) -> Path:
        return self.state / "haproxy.sock"

    @property
    def proxy_log_path(self) -> Path:
        return self.state / "haproxy.log"

    def start(self) -> Replicas:
        """Start the replicas and the proxy; return once every replica is up behind it.

        Raises:
            RuntimeError: haproxy is missing, its configuration is refused, or a replica or
                the proxy did not come up (with the last lines of its log).
        """
        haproxy = haproxy_path()
        if haproxy is None:
            raise RuntimeError(MISSING_HAPROXY.format(
                path=os.environ.get("EXPLORER_HAPROXY") or "haproxy on $PATH"))
        self.state.mkdir(parents=True, exist_ok=True)
        ports = list(self.replica_ports) or [self.port + 1 + i for i in range(self.count)]
        if len(ports) != self.count:
            raise ValueError(f"{self.count} replicas need {self.count} ports, not {ports}")
        env = {name: value for name, value in {**os.environ, **self.env}.items()
               if value is not None}
        command = shlex.split(self.serve)
        try:
            for index, replica_port in enumerate(ports):
                name = replica_name(index)
                log_path = self.state / f"{name}.log"
                with open(log_path, "wb") as log:
                    process = subprocess.Popen(
                        [*command, f"--port={replica_port}"], cwd=self.cwd, env=env,
                        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                        start_new_session=True)
                self.replicas.append(Replica(name, replica_port, process, log_path))
            self.config_path.write_text(render_config(
                [("127.0.0.1", p) for p in ports], port=self.port, bind=self.bind,
                stats_socket=self.stats_socket), encoding="utf-8")
            checked = check_config(self.config_path)
            if checked.returncode != 0:
                raise RuntimeError(f"haproxy refused {self.config_path}:\n{checked.stderr}")
            self._wait(lambda: all(_answers(r.base + "/") for r in self.replicas), "replicas",
                       lambda: "\n".join(f"--- {r.name}\n{r.log()[-3000:]}"
                                         for r in self.replicas))
            with open(self.proxy_log_path, "wb") as log:
                self.proxy = subprocess.Popen(
                    [haproxy, "-db", "-f", str(self.config_path)], stdout=log,
                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
            self._wait(lambda: set(self.status().values()) == {"UP"}
                       and _answers(self.base + "/"), "proxy", self.proxy_log)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait(self, ready, what: str, log) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            dead = [r.name for r in self.replicas if r.process.poll() is not None]
            if self.proxy is not None and self.proxy.poll() is not None:
                dead.append("haproxy")
            if dead:
                raise RuntimeError(f"{', '.join(dead)} stopped while starting; logs:\n{log()}")
            if ready():
                return
            time.sleep(0.25)
        raise RuntimeError(f"the {what} did not come up within {START_TIMEOUT_S} s; "
                           f"logs:\n{log()}")

    def proxy_log(self) -> str:
        with contextlib.suppress(OSError):
            return self.proxy_log_path.read_text(encoding="utf-8", errors="replace")
        return ""

    def logged_requests(self, path: str = "/") -> list[LoggedRequest]:
        """The requests for addresses starting with ``path`` that HAProxy has logged (ended)."""
        return logged_requests(self.proxy_log(), path)

    def status(self) -> dict[str, str]:
        """Each replica's state as HAProxy sees it (``UP``, ``DOWN``, ...), from ``show stat``;
        empty while the proxy is not answering."""
        return {row["svname"]: row["status"].split()[0] for row in self.check_rows()}

    def _stat(self) -> list[dict[str, str]]:
        """HAProxy's ``show stat`` rows (empty while the proxy is not answering)."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(5)
                sock.connect(str(self.stats_socket))
                sock.sendall(b"show stat\n")
                chunks = []
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
        except OSError:
            return []
        text = b"".join(chunks).decode("utf-8", "replace").lstrip("# ")
        return list(csv.DictReader(io.StringIO(text)))

    def check_rows(self) -> list[dict[str, str]]:
        """HAProxy's ``show stat`` row for each replica: state, last health check's status
        and duration (``check_status``, ``check_duration`` in ms), and more."""
        return [row for row in self._stat() if row.get("pxname") == "replicas"
                and row["svname"] not in ("FRONTEND", "BACKEND")]

    def replica(self, name: str) -> Replica:
        return next(r for r in self.replicas if r.name == name)

    def stop(self) -> None:
        """Stop the proxy, then every replica and its kernels."""
        if self.proxy is not None:
            _stop_group(self.proxy, timeout=10)
        for replica in self.replicas:
            replica.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=2, help="how many (default 2)")
    parser.add_argument("--port", type=int, default=8866,
                        help="the proxy's port, the one readers open (default 8866)")
    parser.add_argument("--bind", default="127.0.0.1",
                        help="the proxy's address (default 127.0.0.1; 0.0.0.0 for a network)")
    parser.add_argument("--serve", default=SERVE_COMMAND,
                        help=f"each replica's command, --port=<p> appended "
                             f"(default {SERVE_COMMAND!r}; the Makefile passes $(SERVE))")
    parser.add_argument("--replica-ports", default="",
                        help="comma-separated ports for the replicas (default port+1...)")
    parser.add_argument("--state", type=Path, default=None,
                        help="folder for haproxy.cfg and the logs (default: a new temp folder)")
    parser.add_argument("--print-config", action="store_true",
                        help="print HAProxy's configuration for --backend addresses and exit")
    parser.add_argument("--backend", action="append", default=[], metavar="HOST:PORT",
                        help="with --print-config: a replica's address (repeat)")
    parser.add_argument("--stats-socket", default="/run/haproxy-explorer.sock",
                        help="with --print-config: where HAProxy's stats socket goes")
    args = parser.parse_args(argv)

    if args.print_config:
        if not args.backend:
            parser.error("--print-config needs at least one --backend HOST:PORT")
        backends = [(host, int(port)) for host, _, port in
                    (b.rpartition(":") for b in args.backend)]
        sys.stdout.write(render_config(backends, port=args.port, bind=args.bind,
                                       stats_socket=args.stats_socket))
        return 0

    state = args.state or Path(tempfile.mkdtemp(prefix="explorer-replicas-"))
    ports = [int(p) for p in args.replica_ports.split(",") if p.strip()]
    replicas = Replicas(args.replicas, args.port, state, serve=args.serve, bind=args.bind,
                        replica_ports=ports)
    stopping = []

    def on_signal(signum, _frame) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        replicas.start()
    except RuntimeError as error:
        print(f"replicas.py: {error}", file=sys.stderr)
        return 1
    print(f"Serving {args.replicas} replicas ({', '.join(r.base for r in replicas.replicas)}) "
          f"behind HAProxy at {replicas.base}/ ; configuration and logs in {state}. "
          "Ctrl-C stops them all.", flush=True)
    reported: set[str] = set()
    try:
        while not stopping:
            down = [r.name for r in replicas.replicas
                    if r.process.poll() is not None and r.name not in reported]
            reported.update(down)
            if replicas.proxy is not None and replicas.proxy.poll() is not None:
                print(f"replicas.py: haproxy stopped; its log:\n{replicas.proxy_log()[-3000:]}",
                      file=sys.stderr)
                return 1
            if down:
                print(f"replicas.py: {', '.join(down)} stopped; HAProxy sends their readers "
                      "to the others", file=sys.stderr, flush=True)
            time.sleep(1)
    finally:
        replicas.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
