"""The room store's tables and the ordered migrations that build them.

The tables (SQLAlchemy Core, the same on SQLite and PostgreSQL):

- ``rooms``: one row per open room: its code, its questions (``deck``, JSON), when it
  expires, which question is on show, whether the tally is revealed or answers are locked,
  its cap on participants and a hash of its presenter's key;
- ``participants``: one row per participant of a room, keyed by a hash of the random token
  in their cookie (no name, no address, nothing else about them), written with their first
  answer (opening the page writes nothing);
- ``responses``: that a participant answered a question, and when (one per question:
  answering again replaces the answer; a response with no items is an answer too, "none of
  these");
- ``answer_items``: what they answered, one row per item (a chosen option, a ticked
  foundation, a mechanism's level);
- ``ended_rooms``: the code of a room that was closed or has expired, when, and which, so a
  late participant is told what happened to it (nothing else of the room is kept);
- ``schema_version``: the version the migrations have reached.

``MIGRATIONS`` is an ordered list; ``migrate`` applies, inside one transaction, every
migration above the stored version, so a store written by an older explorer is brought up to
date when it is opened, and refuses a store written by a newer one (``StoreTooNew``): this
explorer cannot know what its tables mean. A migration is never edited once released, and
builds its tables from its own frozen definitions, never from the table code below (which
describes the current version only): a change is a new migration, appended.
``tests/test_room_store.py`` pins a fingerprint of every released migration.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Float,
    ForeignKeyConstraint,
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

from ..errors import StoreTooNew

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "answer_items", "current_version", "ended_rooms",
           "metadata", "migrate", "participants", "responses", "rooms", "schema_version"]

CODE = 16
TOKEN = 64
NAME = 64

# -- the tables as the current version has them (what the store reads and writes) -----------

metadata = MetaData()
rooms = Table(
    "rooms", metadata,
    Column("code", String(CODE), primary_key=True),
    Column("deck", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
    Column("question", Integer, nullable=False, server_default="0"),
    Column("revealed", Boolean, nullable=False, server_default=text("false")),
    Column("locked", Boolean, nullable=False, server_default=text("false")),
    Column("max_participants", Integer, nullable=False, server_default="200"),
    Column("presenter_key", String(TOKEN), nullable=False, server_default="", index=True),
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
ended_rooms = Table(
    "ended_rooms", metadata,
    Column("code", String(CODE), primary_key=True),
    Column("ended_at", Float, nullable=False, index=True),
    Column("reason", String(NAME), nullable=False),
)
schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))
SCHEMA_VERSION = 4


# -- the migrations, each frozen as released ---------------------------------------------------

def _v1(conn: Connection) -> None:
    """Version 1: rooms, participants, responses and answer items (no cap per room).

    Frozen as released on 2026-12-01: these definitions are the first release's, written
    out here, not today's tables."""
    first = MetaData()
    Table("rooms", first,
          Column("code", String(16), primary_key=True),
          Column("deck", Text, nullable=False),
          Column("created_at", Float, nullable=False),
          Column("expires_at", Float, nullable=False),
          Column("question", Integer, nullable=False, server_default="0"),
          Column("revealed", Boolean, nullable=False, server_default=text("false")),
          Column("locked", Boolean, nullable=False, server_default=text("false")))
    Table("participants", first,
          Column("room_code", String(16), nullable=False),
          Column("participant", String(64), nullable=False),
          Column("joined_at", Float, nullable=False),
          PrimaryKeyConstraint("room_code", "participant"),
          ForeignKeyConstraint(["room_code"], ["rooms.code"], ondelete="CASCADE"))
    Table("responses", first,
          Column("room_code", String(16), nullable=False),
          Column("participant", String(64), nullable=False),
          Column("question_id", String(64), nullable=False),
          Column("answered_at", Float, nullable=False),
          PrimaryKeyConstraint("room_code", "participant", "question_id"),
          ForeignKeyConstraint(["room_code", "participant"],
                               ["participants.room_code", "participants.participant"],
                               ondelete="CASCADE"))
    Table("answer_items", first,
          Column("room_code", String(16), nullable=False),
          Column("participant", String(64), nullable=False),
          Column("question_id", String(64), nullable=False),
          Column("item", String(64), nullable=False),
          Column("value", String(64), nullable=False),
          PrimaryKeyConstraint("room_code", "participant", "question_id", "item"),
          ForeignKeyConstraint(["room_code", "participant", "question_id"],
                               ["responses.room_code", "responses.participant",
                                "responses.question_id"], ondelete="CASCADE"))
    first.create_all(conn)


def _v2(conn: Connection) -> None:
    """Version 2: a cap on participants per room (200 for rooms opened before), and an
    index for finding expired rooms."""
    conn.execute(text("ALTER TABLE rooms ADD COLUMN max_participants INTEGER NOT NULL "
                      "DEFAULT 200"))
    conn.execute(text("CREATE INDEX ix_rooms_expires_at ON rooms (expires_at)"))


def _v3(conn: Connection) -> None:
    """Version 3: a hash of the presenter's key, so only the explorer page that opened a
    room can steer it; rooms opened before have none."""
    conn.execute(text("ALTER TABLE rooms ADD COLUMN presenter_key VARCHAR(64) NOT NULL "
                      "DEFAULT ''"))
    conn.execute(text("CREATE INDEX ix_rooms_presenter_key ON rooms (presenter_key)"))


def _v4(conn: Connection) -> None:
    """Version 4: the codes of ended rooms (closed or expired) and when, so a participant
    who arrives late is told the room has ended rather than that the code is wrong."""
    conn.execute(text("CREATE TABLE ended_rooms (code VARCHAR(16) NOT NULL PRIMARY KEY, "
                      "ended_at FLOAT NOT NULL, reason VARCHAR(64) NOT NULL)"))
    conn.execute(text("CREATE INDEX ix_ended_rooms_ended_at ON ended_rooms (ended_at)"))


# (version, what it does). Append only: a released migration is never edited.
MIGRATIONS: list[tuple[int, Callable[[Connection], None]]] = [
    (1, _v1), (2, _v2), (3, _v3), (4, _v4)]


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

    Raises:
        StoreTooNew: the store was written by a newer explorer (a version above
            ``SCHEMA_VERSION``); nothing is changed.
    """
    version = current_version(conn)
    if version > SCHEMA_VERSION:
        raise StoreTooNew(
            f"The room store was written by a newer version of the explorer (its schema is "
            f"version {version}; this explorer knows versions up to {SCHEMA_VERSION}), so it "
            "was left as it is. Update the explorer, or use another store.")
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
