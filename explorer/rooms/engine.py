"""Where the room store is and how it connects: SQLite tuned for many writers, or PostgreSQL.

Where: ``$EXPLORER_ROOM_DB`` when set, else the SQLite file ``rooms.sqlite`` in the state
folder (``$EXPLORER_STATE``, default ``.explorer-state/``). A server fixes both as absolute
addresses in its own environment before it starts anything (``settle_environment``), so
every kernel it starts, whatever folder the kernel works in, names the same store.

SQLite (the default) runs in WAL mode, so readers never wait for the writer, with a busy
timeout, and every write transaction begins with ``BEGIN IMMEDIATE``: a writer takes the
lock at its start and waits its turn (up to the busy timeout) instead of failing when it
later finds another writer got there first. pysqlite's own transaction handling is switched
off so that each transaction can say which kind it is (the ``write`` execution option).

PostgreSQL gets a connection pool that checks connections before use and gives up on an
unreachable server after a few seconds.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

__all__ = ["BUSY_TIMEOUT_S", "DB_ENV", "STATE_ENV", "database_url", "make_engine",
           "settle_environment", "state_dir"]

BUSY_TIMEOUT_S = 15.0
STATE_ENV = "EXPLORER_STATE"
DB_ENV = "EXPLORER_ROOM_DB"
STATE_DEFAULT = ".explorer-state"


def state_dir() -> Path:
    """The folder for the explorer's state: ``$EXPLORER_STATE``, else ``.explorer-state/``
    in the current directory (a server fixes it at start-up: ``settle_environment``)."""
    return Path(os.environ.get(STATE_ENV) or STATE_DEFAULT).resolve()


def database_url() -> str:
    """The store's address: ``$EXPLORER_ROOM_DB``, else SQLite in ``state_dir()``."""
    configured = os.environ.get(DB_ENV, "").strip()
    if configured:
        return configured
    return f"sqlite:///{state_dir() / 'rooms.sqlite'}"


def settle_environment(environ: MutableMapping[str, str] | None = None) -> str:
    """Decide the store once, for a server and every process it starts: make the state
    folder (and a SQLite ``$EXPLORER_ROOM_DB``) absolute, from the current directory, in
    ``environ`` (default ``os.environ``).

    Returns:
        The store's address, its password hidden (for the server's log).
    """
    env = os.environ if environ is None else environ
    env[STATE_ENV] = str(Path(env.get(STATE_ENV) or STATE_DEFAULT).resolve())
    configured = env.get(DB_ENV, "").strip()
    if configured:
        url = make_url(configured)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
                and not Path(url.database).is_absolute():
            env[DB_ENV] = url.set(database=str(Path(url.database).resolve())) \
                .render_as_string(hide_password=False)
        return make_url(env[DB_ENV]).render_as_string(hide_password=True)
    return f"sqlite:///{Path(env[STATE_ENV]) / 'rooms.sqlite'}"


def _sqlite_engine(url: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        # A folder that cannot be made shows as an unreachable store at the first use.
        with contextlib.suppress(OSError):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own BEGIN is off: each transaction says which kind it wants (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # A writer takes the lock at BEGIN, so it waits (busy timeout) rather than failing
        # when it later finds another writer got there first.
        immediate = conn.get_execution_options().get("write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def make_engine(url: str) -> Engine:
    """An engine for a SQLAlchemy address (``sqlite:///…`` or ``postgresql+psycopg://…``)."""
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=20,
                         pool_timeout=BUSY_TIMEOUT_S, connect_args={"connect_timeout": 5})
