"""The room store: the one module that reads and writes a live room's answers.

Everything about a room goes through ``RoomStore``: the presenter's kernel, the join page's
handler, the command line and the benchmarks. It is SQLAlchemy Core over

- **SQLite** by default: the file ``rooms.sqlite`` in the state folder (``state_dir()``:
  ``$EXPLORER_STATE``, default ``.explorer-state/`` in the folder the server was started
  from), in WAL mode with a busy timeout, every write transaction started with ``BEGIN
  IMMEDIATE`` so that many processes writing at once queue for the lock instead of failing;
- **PostgreSQL** when ``$EXPLORER_ROOM_DB`` holds a database address
  (``postgresql+psycopg://user@host/db``), so several servers or a hub share rooms; writes
  lock the room row (``FOR UPDATE``/``FOR SHARE``) so a lock, the cap and answers cannot
  interleave.

**One store per server**: where it is, the server decides once for every kernel it starts
(``engine.settle_environment``).

Every change is one transaction: a participant's answer replaces their earlier answer to
that question whole, or not at all, as an upsert, so a double tap, a retry or two tabs give
one answer and never an error. Only the question on show takes answers (``NotOnShow``). A
store that cannot be reached raises ``StoreUnavailable`` (nothing half-written). Nothing
personal is kept: a participant is a SHA-256 hash of the random token in their cookie; no
name, no address, no browser details; they are written with their first answer (opening
the page writes nothing). Rooms expire (``DEFAULT_TTL_S``, 24 hours) and are deleted with
their answers; ``close`` deletes at once. Of an ended room only its code, when and why are
kept for ``ENDED_KEPT_S`` (a week), so a late participant reads "closed" or "expired", not
"wrong code". Codes and the values the store returns are in ``rooms.tally``.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError

from ..errors import (
    AnswerError,
    NotOnShow,
    RoomEnded,
    RoomFull,
    RoomLocked,
    RoomNotFound,
    StoreUnavailable,
)
from ..evidence.questions import Deck
from .engine import DB_ENV, STATE_ENV, database_url, make_engine, settle_environment, state_dir
from .schema import answer_items, ended_rooms, migrate, participants, responses, rooms
from .tally import (
    CODE_ALPHABET,
    CODE_LENGTH,
    Room,
    Tally,
    Visit,
    normalise_code,
    participant_key,
)

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "DB_ENV",
    "DEFAULT_MAX_PARTICIPANTS",
    "DEFAULT_TTL_S",
    "ENDED_KEPT_S",
    "STATE_ENV",
    "Room",
    "RoomStore",
    "Tally",
    "Visit",
    "database_url",
    "normalise_code",
    "participant_key",
    "settle_environment",
    "state_dir",
]

DEFAULT_TTL_S = 24 * 3600
DEFAULT_MAX_PARTICIPANTS = 200
ENDED_KEPT_S = 7 * 24 * 3600
PURGE_EVERY_S = 300.0

UNREACHABLE = ("The room's answers cannot be reached just now, so nothing was saved. "
               "Please try again in a moment.")
NO_ROOM = "There is no open room with that code. Check the code with the facilitator."
EXPIRED = "This room has expired (rooms last a day). Ask the facilitator for a new code."
CLOSED = ("The facilitator has closed this room, so it takes no more answers. Thank you for "
          "taking part.")
NO_QUESTION = "That question is not one of this room's questions."
NOT_ON_SHOW = ("The facilitator has moved to another question, so this answer was not saved. "
               "Open the room again to see the question on show.")
LOCKED = ("Answers are closed for now: the facilitator has locked the room. Your earlier "
          "answers are kept.")
ENDED = {"closed": CLOSED, "expired": EXPIRED}


def _room(row: Any) -> Room:
    return Room(str(row.code), Deck.from_dict(json.loads(row.deck)), float(row.created_at),
                float(row.expires_at), int(row.question), bool(row.revealed), bool(row.locked),
                int(row.max_participants))


class RoomStore:
    """Rooms, participants and answers in one SQL database (see the module docstring).

    Args:
        url: a SQLAlchemy address; default ``database_url()``.
        clock: seconds since the epoch (tests pass their own to reach expiry).
    """

    def __init__(self, url: str | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.url = url or database_url()
        self.engine = make_engine(self.url)
        self.clock = clock
        self.is_postgresql = self.engine.dialect.name == "postgresql"
        self._migrated = False
        self._purged_at = float("-inf")

    def __repr__(self) -> str:
        return f"RoomStore({make_url(self.url).render_as_string(hide_password=True)!r})"

    def close_store(self) -> None:
        """Release the store's connections."""
        self.engine.dispose()

    # -- transactions ----------------------------------------------------------------------
    @contextlib.contextmanager
    def _transaction(self, write: bool) -> Iterator[Connection]:
        """One transaction; a store that cannot be reached becomes ``StoreUnavailable``."""
        try:
            with self.engine.connect() as conn:
                conn.execution_options(write=write)
                with conn.begin():
                    yield conn
        except (OperationalError, InterfaceError) as error:
            # The server is down or unreachable, the file cannot be opened, or the lock
            # was not granted within the busy timeout: the transaction was rolled back.
            raise StoreUnavailable(UNREACHABLE) from error

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        self.migrate()
        with self._transaction(write=True) as conn:
            yield conn

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        self.migrate()
        with self._transaction(write=False) as conn:
            yield conn

    def migrate(self) -> list[int]:
        """Bring the store's schema up to date (once per process); the versions applied.

        Raises:
            StoreTooNew: a newer explorer wrote the store (it is left as it is).
        """
        if self._migrated:
            return []
        with self._transaction(write=True) as conn:
            if self.is_postgresql:
                # Two servers opening a new database at once: one migrates, the other waits.
                conn.execute(text("SELECT pg_advisory_xact_lock(727001)"))
            applied = migrate(conn)
        self._migrated = True
        return applied

    def _upsert(self, table: Any, keys: list[str], values: dict[str, Any],
                changes: dict[str, Any]) -> Any:
        """``INSERT … ON CONFLICT (keys) DO UPDATE``: one statement, whoever comes first."""
        dialect = postgresql if self.is_postgresql else sqlite
        statement = dialect.insert(table).values(**values)
        return statement.on_conflict_do_update(index_elements=keys, set_=changes)

    # -- rooms ---------------------------------------------------------------------------
    def create_room(self, deck: Deck, *, ttl_s: float = DEFAULT_TTL_S,
                    max_participants: int = DEFAULT_MAX_PARTICIPANTS,
                    presenter_key: str = "") -> Room:
        """Open a room with a new code; expired rooms are deleted first (whenever a room is
        opened, and every ``PURGE_EVERY_S`` seconds of the store's use).

        ``presenter_key`` (a secret only the presenter's browser keeps: see
        ``explorer.rooms``) lets ``room_for_key`` find the room again after a reload or a
        restart; only its hash is stored. A code is never one an ended room still holds.
        """
        self._purged_at = self.clock()
        self.purge_expired()
        now = self.clock()
        for _attempt in range(20):
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            with self._write() as conn:
                if conn.execute(select(rooms.c.code).where(rooms.c.code == code)).first() or \
                        conn.execute(select(ended_rooms.c.code).where(
                            ended_rooms.c.code == code)).first():
                    continue
                conn.execute(insert(rooms).values(
                    code=code, deck=json.dumps(deck.as_dict()), created_at=now,
                    expires_at=now + ttl_s, question=0, revealed=False, locked=False,
                    max_participants=max_participants,
                    presenter_key=participant_key(presenter_key) if presenter_key else ""))
            return self.room(code)
        raise StoreUnavailable(UNREACHABLE)  # pragma: no cover - 20 collisions in 34 bits

    def _get(self, conn: Connection, code: str, lock: str = "") -> Room:
        query = select(rooms).where(rooms.c.code == code)
        if lock == "update":
            query = query.with_for_update()
        elif lock == "share":
            query = query.with_for_update(read=True)
        row = conn.execute(query).first()
        if row is None:
            reason = conn.execute(select(ended_rooms.c.reason).where(
                ended_rooms.c.code == code)).scalar()
            if reason is not None:
                raise RoomEnded(ENDED.get(str(reason), CLOSED))
            raise RoomNotFound(NO_ROOM)
        room = _room(row)
        if room.expires_at <= self.clock():
            raise RoomEnded(EXPIRED)
        return room

    def _maybe_purge(self) -> None:
        """Delete expired rooms at most every ``PURGE_EVERY_S`` seconds of this store's use
        (the presenter's poll calls it; the join page keeps telling a late participant
        that their room has expired until then), so a room past its time goes with
        its answers even if no new room is ever opened."""
        if self.clock() - self._purged_at >= PURGE_EVERY_S:
            self._purged_at = self.clock()
            self.purge_expired()

    def room(self, code: str) -> Room:
        """The open room with this code.

        Raises:
            RoomNotFound: no such room; ``RoomEnded`` when it was closed or has expired.
        """
        with self._read() as conn:
            return self._get(conn, code)

    def room_for_key(self, presenter_key: str) -> Room:
        """The open room a presenter's key was given to.

        Raises:
            RoomNotFound: no open room has this key (closed, expired, or never opened).
        """
        if not presenter_key:
            raise RoomNotFound(NO_ROOM)
        with self._read() as conn:
            code = conn.execute(select(rooms.c.code).where(
                rooms.c.presenter_key == participant_key(presenter_key))).scalar()
            if code is None:
                raise RoomNotFound(NO_ROOM)
            return self._get(conn, str(code))

    def open_rooms(self) -> list[Room]:
        """Every room not yet expired, newest first."""
        with self._read() as conn:
            found = conn.execute(select(rooms).where(rooms.c.expires_at > self.clock())
                                 .order_by(rooms.c.created_at.desc())).all()
        return [_room(row) for row in found]

    def update_room(self, code: str, *, question: int | None = None,
                    revealed: bool | None = None, locked: bool | None = None) -> Room:
        """Change what the room shows or takes: the question on show (clamped to the
        deck), whether the tally is revealed, whether answers are locked."""
        with self._write() as conn:
            room = self._get(conn, code, lock="update")
            values: dict[str, Any] = {}
            if question is not None:
                values["question"] = max(0, min(question, len(room.deck) - 1))
            if revealed is not None:
                values["revealed"] = revealed
            if locked is not None:
                values["locked"] = locked
            if values:
                conn.execute(update(rooms).where(rooms.c.code == code).values(**values))
        return self.room(code)

    def clear(self, code: str, question_id: str) -> int:
        """Delete every answer to one question (the other questions keep theirs); hide the
        tally. A participant left with no answer at all leaves the room, so their place is
        free again (answers sent in bulk by one person take no places once cleared). How many
        answers were deleted.

        Raises:
            AnswerError: the room has no such question; nothing is deleted.
        """
        with self._write() as conn:
            room = self._get(conn, code, lock="update")
            if room.deck.get(question_id) is None:
                raise AnswerError(NO_QUESTION)
            where = (responses.c.room_code == code) & (responses.c.question_id == question_id)
            conn.execute(delete(answer_items).where(
                (answer_items.c.room_code == code) & (answer_items.c.question_id == question_id)))
            deleted = conn.execute(delete(responses).where(where)).rowcount or 0
            answering = select(responses.c.participant).where(responses.c.room_code == code)
            conn.execute(delete(participants).where(
                (participants.c.room_code == code)
                & participants.c.participant.not_in(answering)))
            conn.execute(update(rooms).where(rooms.c.code == code).values(revealed=False))
        return int(deleted)

    def close(self, code: str) -> bool:
        """Delete the room and everything in it at once, keeping only that it was closed
        (``ended_rooms``); False if there was no such room."""
        with self._write() as conn:
            return self._end(conn, [code], "closed") > 0

    def _end(self, conn: Connection, codes: list[str], reason: str) -> int:
        """Delete rooms with all they hold; note their codes as ended for ``reason``."""
        if not codes:
            return 0
        conn.execute(delete(answer_items).where(answer_items.c.room_code.in_(codes)))
        conn.execute(delete(responses).where(responses.c.room_code.in_(codes)))
        conn.execute(delete(participants).where(participants.c.room_code.in_(codes)))
        deleted = conn.execute(delete(rooms).where(rooms.c.code.in_(codes))).rowcount or 0
        if deleted:
            conn.execute(delete(ended_rooms).where(ended_rooms.c.code.in_(codes)))
            conn.execute(insert(ended_rooms), [
                {"code": code, "ended_at": self.clock(), "reason": reason} for code in codes])
        return int(deleted)

    def purge_expired(self) -> int:
        """Delete every expired room with its participants and answers (noting each code
        as expired), and forget ended rooms older than ``ENDED_KEPT_S``; how many rooms."""
        with self._write() as conn:
            codes = list(conn.execute(select(rooms.c.code).where(
                rooms.c.expires_at <= self.clock())).scalars())
            conn.execute(delete(ended_rooms).where(
                ended_rooms.c.ended_at <= self.clock() - ENDED_KEPT_S))
            return self._end(conn, codes, "expired")

    # -- participants and answers --------------------------------------------------------
    def join(self, code: str, token: str) -> bool:
        """Let a participant in; True if they are new to the room, False if they were in.
        (The join page does not call it: a participant joins with their first answer.)

        Raises:
            RoomNotFound: no open room has this code.
            RoomFull: the room has ``max_participants`` already.
        """
        key = participant_key(token)
        with self._write() as conn:
            return self._admit(conn, self._get(conn, code, lock="update"), key)

    def _admit(self, conn: Connection, room: Room, key: str) -> bool:
        """Add a participant to a room whose row this transaction has locked for update."""
        if self._known(conn, room.code, key):
            return False
        joined = conn.execute(select(func.count()).select_from(participants).where(
            participants.c.room_code == room.code)).scalar_one()
        if joined >= room.max_participants:
            raise RoomFull(_full(room))
        conn.execute(insert(participants).values(room_code=room.code, participant=key,
                                                 joined_at=self.clock()))
        return True

    @staticmethod
    def _known(conn: Connection, code: str, key: str) -> bool:
        return conn.execute(select(participants.c.participant).where(
            participants.c.room_code == code, participants.c.participant == key)).first() \
            is not None

    def visit(self, code: str, token: str) -> Visit:
        """The room as a participant's page shows it, read in one transaction; nothing is
        written (a page view, a link previewer or a refresh counts nobody).

        Raises:
            RoomNotFound: no open room has this code (``RoomEnded``: closed or expired).
        """
        key = participant_key(token)
        with self._read() as conn:
            room = self._get(conn, code)
            mine = self._answer_of(conn, code, key, room.current)
            full = False
            if mine is None and not self._known(conn, code, key):
                joined = conn.execute(select(func.count()).select_from(participants).where(
                    participants.c.room_code == code)).scalar_one()
                full = joined >= room.max_participants
        return Visit(room, mine, full)

    def answer(self, code: str, token: str, question_id: str, items: Mapping[str, str]
               ) -> None:
        """Store a participant's answer to the question on show, replacing any earlier one.

        ``items`` comes from ``questions.check_answer`` (empty: "none of these"). A
        participant not yet in the room joins first (the cap applies). The same answer sent
        twice at once (a double tap, a retry, two tabs) is stored once: the response is an
        upsert.

        Raises:
            RoomNotFound, RoomLocked, RoomFull, AnswerError: the room cannot take it (an
                unknown question); ``NotOnShow``: the question is not the one on show.
                Nothing is written.
        """
        key = participant_key(token)
        with self._write() as conn:
            known = self._known(conn, code, key)
            # Answers from known participants may run side by side; letting someone in
            # counts against the cap, so it holds the room's row alone.
            room = self._get(conn, code, lock="share" if known else "update")
            if room.locked:
                raise RoomLocked(LOCKED)
            if room.deck.get(question_id) is None:
                raise AnswerError(NO_QUESTION)
            if question_id != room.current:
                raise NotOnShow(NOT_ON_SHOW)
            if not known:
                self._admit(conn, room, key)
            now = self.clock()
            # The upsert takes the response's row lock first, so a second copy of the same
            # answer waits here and then replaces the first one's items whole.
            conn.execute(self._upsert(
                responses, ["room_code", "participant", "question_id"],
                {"room_code": code, "participant": key, "question_id": question_id,
                 "answered_at": now}, {"answered_at": now}))
            conn.execute(delete(answer_items).where(
                (answer_items.c.room_code == code) & (answer_items.c.participant == key)
                & (answer_items.c.question_id == question_id)))
            if items:
                conn.execute(insert(answer_items), [
                    {"room_code": code, "participant": key, "question_id": question_id,
                     "item": item, "value": value} for item, value in items.items()])

    @staticmethod
    def _answer_of(conn: Connection, code: str, key: str, question_id: str
                   ) -> dict[str, str] | None:
        answered = conn.execute(select(responses.c.answered_at).where(
            responses.c.room_code == code, responses.c.participant == key,
            responses.c.question_id == question_id)).first()
        if answered is None:
            return None
        found = conn.execute(select(answer_items.c.item, answer_items.c.value).where(
            answer_items.c.room_code == code, answer_items.c.participant == key,
            answer_items.c.question_id == question_id)).all()
        return {str(item): str(value) for item, value in found}

    def my_answer(self, code: str, token: str, question_id: str) -> dict[str, str] | None:
        """A participant's stored answer to one question (None if they have not answered)."""
        with self._read() as conn:
            return self._answer_of(conn, code, participant_key(token), question_id)

    def tally(self, code: str) -> Tally:
        """The room and its answers counted (one read transaction: a consistent view)."""
        self._maybe_purge()
        with self._read() as conn:
            room = self._get(conn, code)
            joined = conn.execute(select(func.count()).select_from(participants).where(
                participants.c.room_code == code)).scalar_one()
            respondents = {str(q): int(n) for q, n in conn.execute(
                select(responses.c.question_id, func.count()).where(
                    responses.c.room_code == code).group_by(responses.c.question_id))}
            counts = {(str(q), str(i), str(v)): int(n) for q, i, v, n in conn.execute(
                select(answer_items.c.question_id, answer_items.c.item, answer_items.c.value,
                       func.count()).where(answer_items.c.room_code == code).group_by(
                    answer_items.c.question_id, answer_items.c.item, answer_items.c.value))}
            with_items = {str(q): int(n) for q, n in conn.execute(
                select(answer_items.c.question_id,
                       func.count(func.distinct(answer_items.c.participant)))
                .where(answer_items.c.room_code == code)
                .group_by(answer_items.c.question_id))}
        empty = {q: n - with_items.get(q, 0) for q, n in respondents.items()
                 if n > with_items.get(q, 0)}
        return Tally(room, int(joined), respondents, counts, empty)

    def answers(self, code: str) -> list[tuple[int, str, str, str, float]]:
        """Every stored answer for an export: ``(participant number, question_id, item,
        value, answered_at)``, one per answer item, and one with an empty item and value for
        an answer that holds none ("none of these"); participants are numbered 1, 2… in the
        order they joined, so the export carries no token."""
        with self._read() as conn:
            self._get(conn, code)
            order = {str(p): n for n, p in enumerate(conn.execute(
                select(participants.c.participant).where(participants.c.room_code == code)
                .order_by(participants.c.joined_at, participants.c.participant)).scalars(),
                start=1)}
            found = conn.execute(
                select(responses.c.participant, responses.c.question_id,
                       answer_items.c.item, answer_items.c.value, responses.c.answered_at)
                .select_from(responses.outerjoin(
                    answer_items, (responses.c.room_code == answer_items.c.room_code)
                    & (responses.c.participant == answer_items.c.participant)
                    & (responses.c.question_id == answer_items.c.question_id)))
                .where(responses.c.room_code == code)).all()
        rows = [(order.get(str(p), 0), str(q), "" if i is None else str(i),
                 "" if v is None else str(v), float(t)) for p, q, i, v, t in found]
        return sorted(rows, key=lambda r: (r[0], r[1], r[2]))


def _full(room: Room) -> str:
    return (f"This room is full: it takes at most {room.max_participants} people. Please "
            "tell the facilitator.")
