"""How the room store connects: SQLite tuned for many writers, or PostgreSQL.

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
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

__all__ = ["BUSY_TIMEOUT_S", "make_engine"]

BUSY_TIMEOUT_S = 15.0


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
