"""The room store's tables and the ordered migrations that build them.

The tables (SQLAlchemy Core, the same on SQLite and PostgreSQL):

- ``rooms``: one row per open room: its code, its questions (``deck``, JSON), when it
  expires, which question is on show, whether the tally is revealed or answers are locked,
  its cap on participants and a hash of its presenter's key;
- ``participants``: one row per participant of a room, keyed by a hash of the random token
  in their cookie (no name, no address, nothing else about them);
- ``responses``: that a participant answered a question, and when (one per question:
  answering again replaces the answer);
- ``answer_items``: what they answered, one row per item (a chosen option, a ticked
  foundation, a mechanism's level);
- ``schema_version``: the version the migrations have reached.

``MIGRATIONS`` is an ordered list; ``migrate`` applies, inside one transaction, every
migration above the stored version, so a store written by an older explorer is brought up to
date when it is opened. A migration is never edited once released: a change is a new one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    text,
    update,
)

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "answer_items", "current_version", "metadata",
           "migrate", "participants", "responses", "rooms", "schema_version"]

CODE = 16
TOKEN = 64
NAME = 64


def _tables(metadata: MetaData, version: int) -> tuple[Table, Table, Table, Table]:
    """The four room tables as schema ``version`` has them (2 adds ``max_participants``,
    3 ``presenter_key``)."""
    added: list[Column[Any]] = [
        Column("max_participants", Integer, nullable=False, server_default="200"),
        Column("presenter_key", String(TOKEN), nullable=False, server_default="")]
    rooms = Table(
        "rooms", metadata,
        Column("code", String(CODE), primary_key=True),
        Column("deck", Text, nullable=False),
        Column("created_at", Float, nullable=False),
        Column("expires_at", Float, nullable=False),
        Column("question", Integer, nullable=False, server_default="0"),
        Column("revealed", Boolean, nullable=False, server_default=text("false")),
        Column("locked", Boolean, nullable=False, server_default=text("false")),
        *added[:version - 1],
    )
    participants = Table(
        "participants", metadata,
        Column("room_code", String(CODE), nullable=False),
        Column("participant", String(TOKEN), nullable=False),
        Column("joined_at", Float, nullable=False),
        PrimaryKeyConstraint("room_code", "participant"),
        ForeignKeyConstraint(["room_code"], ["rooms.code"], ondelete="CASCADE"),
    )
    responses = Table(
        "responses", metadata,
        Column("room_code", String(CODE), nullable=False),
        Column("participant", String(TOKEN), nullable=False),
        Column("question_id", String(NAME), nullable=False),
        Column("answered_at", Float, nullable=False),
        PrimaryKeyConstraint("room_code", "participant", "question_id"),
        ForeignKeyConstraint(["room_code", "participant"],
                             ["participants.room_code", "participants.participant"],
                             ondelete="CASCADE"),
    )
    answer_items = Table(
        "answer_items", metadata,
        Column("room_code", String(CODE), nullable=False),
        Column("participant", String(TOKEN), nullable=False),
        Column("question_id", String(NAME), nullable=False),
        Column("item", String(NAME), nullable=False),
        Column("value", String(NAME), nullable=False),
        PrimaryKeyConstraint("room_code", "participant", "question_id", "item"),
        ForeignKeyConstraint(["room_code", "participant", "question_id"],
                             ["responses.room_code", "responses.participant",
                              "responses.question_id"], ondelete="CASCADE"),
    )
    return rooms, participants, responses, answer_items


metadata = MetaData()
SCHEMA_VERSION = 3
rooms, participants, responses, answer_items = _tables(metadata, SCHEMA_VERSION)
schema_version = Table("schema_version", metadata,
                       Column("version", Integer, nullable=False))


def _v1(conn: Connection) -> None:
    """Version 1: rooms, participants, responses and answer items (no cap per room)."""
    first = MetaData()
    _tables(first, version=1)
    first.create_all(conn)


def _v2(conn: Connection) -> None:
    """Version 2: a cap on participants per room (200 for rooms opened before), and an
    index for finding expired rooms."""
    conn.execute(text("ALTER TABLE rooms ADD COLUMN max_participants INTEGER NOT NULL "
                      "DEFAULT 200"))
    Index("ix_rooms_expires_at", rooms.c.expires_at).create(conn)


def _v3(conn: Connection) -> None:
    """Version 3: a hash of the presenter's key, so only the explorer page that opened a
    room (or a link holding its key) can steer it; rooms opened before have none."""
    conn.execute(text("ALTER TABLE rooms ADD COLUMN presenter_key VARCHAR(64) NOT NULL "
                      "DEFAULT ''"))
    Index("ix_rooms_presenter_key", rooms.c.presenter_key).create(conn)


# (version, what it does). Append only.
MIGRATIONS: list[tuple[int, Callable[[Connection], None]]] = [(1, _v1), (2, _v2), (3, _v3)]


def current_version(conn: Connection) -> int:
    """The schema version of the store ``conn`` is connected to (0 for an empty store)."""
    schema_version.create(conn, checkfirst=True)
    found = conn.execute(select(func.max(schema_version.c.version))).scalar()
    return int(found or 0)


def migrate(conn: Connection, upto: int = SCHEMA_VERSION) -> list[int]:
    """Apply every migration above the store's version, up to ``upto``, in order.

    Call it inside a transaction that holds the store's write lock (``RoomStore`` does), so
    two processes opening a new store at once cannot both migrate it.

    Returns:
        The versions applied (empty when the store was up to date).
    """
    version = current_version(conn)
    applied = []
    for number, step in MIGRATIONS:
        if version < number <= upto:
            step(conn)
            applied.append(number)
    if applied:
        if version:
            conn.execute(update(schema_version).values(version=applied[-1]))
        else:
            conn.execute(insert(schema_version).values(version=applied[-1]))
    return applied
