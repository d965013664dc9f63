"""A throw-away PostgreSQL server for the room store's specifications and its benchmark.

Debian's ``postgresql`` package (``/usr/lib/postgresql/<major>/bin``; ``$EXPLORER_PG_BIN``
overrides) is run directly: ``initdb`` into a new temporary folder, then ``postgres`` on a
free TCP port of 127.0.0.1 with its socket in the same folder, with trust authentication
for the one local user it creates. PostgreSQL refuses to run as root, so as root the
server runs as the ``postgres`` account the package creates (or ``ctg-postgres``, made
with ``useradd`` when neither exists). Readiness is a successful connection, never a
guessed sleep. ``stop`` shuts it down fast and removes the folder.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

READY_TIMEOUT_S = 60
SUPERUSER = "ctg"


def postgres_bin() -> Path | None:
    """The folder holding ``initdb`` and ``postgres`` (the newest major installed)."""
    explicit = os.environ.get("EXPLORER_PG_BIN")
    if explicit:
        return Path(explicit)
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    return found[-1].parent if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as() -> str | None:
    """The account to run the server as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "ctg-postgres"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    "ctg-postgres"], check=True, capture_output=True)
    return "ctg-postgres"


@dataclass
class PostgresServer:
    """A running throw-away PostgreSQL server."""

    folder: Path
    port: int
    process: subprocess.Popen

    def dsn(self, database: str = "postgres") -> str:
        """A libpq address of one database, for psycopg."""
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={database}"

    def url(self, database: str) -> str:
        """A SQLAlchemy address of one database (``EXPLORER_ROOM_DB``)."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database; its SQLAlchemy address."""
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Fast shutdown (clients disconnected), then remove the folder."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """initdb and start a server on a free port; wait until it takes connections.

    Raises:
        RuntimeError: PostgreSQL is not installed, or the server did not start (its log
            is in the message).
    """
    binaries = postgres_bin()
    if binaries is None or not (binaries / "initdb").exists():
        raise RuntimeError("PostgreSQL not found: install Debian's 'postgresql' package "
                           "(sh scripts/ensure-postgresql) or set EXPLORER_PG_BIN to the "
                           "folder holding initdb and postgres.")
    user = _run_as()
    folder = Path(tempfile.mkdtemp(prefix="ctg-postgres-"))
    if user:
        shutil.chown(folder, user=user)
    data, log = folder / "data", folder / "server.log"
    subprocess.run([str(binaries / "initdb"), "-D", str(data), "-U", SUPERUSER,
                    "--auth=trust", "--no-sync", "--encoding=UTF8", "--locale=C"],
                   check=True, capture_output=True, user=user, cwd=folder)
    last = ""
    for _attempt in range(3):  # a free port can be taken in between: try another
        port = _free_port()
        with open(log, "ab") as out:
            process = subprocess.Popen(
                [str(binaries / "postgres"), "-D", str(data), "-p", str(port),
                 "-k", str(folder), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                 "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                 "-c", "max_connections=300"],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, user=user,
                cwd=folder, start_new_session=True)
        server = PostgresServer(folder, port, process)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with psycopg.connect(server.dsn(), connect_timeout=2):
                    return server
            except psycopg.OperationalError:
                time.sleep(0.1)
        last = log.read_text(errors="replace")
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    shutil.rmtree(folder, ignore_errors=True)
    raise RuntimeError(f"PostgreSQL did not start within {READY_TIMEOUT_S} s:\n{last}")
