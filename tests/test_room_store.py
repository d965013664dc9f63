"""Specifications of the room store, each run against SQLite and a real PostgreSQL server."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text

from explorer.errors import (
    AnswerError,
    NotOnShow,
    RoomEnded,
    RoomFull,
    RoomLocked,
    RoomNotFound,
    StoreTooNew,
    StoreUnavailable,
)
from explorer.rooms import RoomStore, database_url, deck, normalise_code
from explorer.rooms.profile import export_frame
from explorer.rooms.schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    migrate,
    participants,
    schema_version,
)
from explorer.rooms.store import (
    CODE_ALPHABET,
    CODE_LENGTH,
    DEFAULT_TTL_S,
    ENDED_KEPT_S,
    PURGE_EVERY_S,
    participant_key,
)

from conftest import STORE_BACKENDS

ROOT = Path(__file__).resolve().parents[1]
# The messages a participant or facilitator reads, word for word.
NO_ROOM = "There is no open room with that code. Check the code with the facilitator."
LOCKED = ("Answers are closed for now: the facilitator has locked the room. Your earlier "
          "answers are kept.")
NO_QUESTION = "That question is not one of this room's questions."
FULL3 = "This room is full: it takes at most 3 people. Please tell the facilitator."
EXPIRED = "This room has expired (rooms last a day). Ask the facilitator for a new code."
CLOSED = ("The facilitator has closed this room, so it takes no more answers. Thank you for "
          "taking part.")
NOT_ON_SHOW = ("The facilitator has moved to another question, so this answer was not saved. "
               "Open the room again to see the question on show.")
UNREACHABLE = ("The room's answers cannot be reached just now, so nothing was saved. Please "
               "try again in a moment.")

backends = pytest.mark.parametrize("store_url", STORE_BACKENDS, indirect=True)


class Clock:
    """A clock a test moves by hand."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def first_answers(questions):
    """Each question of ``questions`` with an answer of its first option."""
    return [("relationship", {"": questions[0].choices[0].id}),
            ("mechanisms", {questions[1].items[0].id: "clearly"}),
            ("foundations", {questions[2].choices[0].id: "yes"})]


def answer_all(store, code, token, questions):
    """Answer every question with its first option, the room moved to each in turn (only
    the question on show takes answers)."""
    for number, (question_id, items) in enumerate(first_answers(questions)):
        store.update_room(code, question=number)
        store.answer(code, token, question_id, items)


# -- codes (no store needed) ----------------------------------------------------------------

def test_codes_carry_at_least_30_bits_and_no_ambiguous_character():
    """A code has >= 30 bits of randomness and leaves out 0/O, 1/I/L and U."""
    assert CODE_LENGTH * math.log2(len(CODE_ALPHABET)) >= 30
    assert not set("01OILU") & set(CODE_ALPHABET)
    assert len(set(CODE_ALPHABET)) == len(CODE_ALPHABET)


@pytest.mark.parametrize(("typed", "code"), [("abc-defg", "ABCDEFG"), (" ab cd efg ", "ABCDEFG"),
                                            ("ABCDEF0", None), ("ABC", None), (None, None),
                                            ("<script>", None), ("A" * 400, None)])
def test_a_typed_code_is_normalised_or_refused(typed, code):
    """Lower case, spaces and hyphens are forgiven; anything else is not a code."""
    assert normalise_code(typed) == code


def test_the_server_decides_the_store_once_as_an_absolute_address(tmp_path, monkeypatch):
    """settle_environment makes the state folder (and a relative SQLite address) absolute
    from the folder the server starts in, so a kernel working elsewhere (notebooks/) names
    the same file; a PostgreSQL address is kept, its password hidden in what is logged."""
    from explorer.rooms.store import settle_environment

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EXPLORER_ROOM_DB", raising=False)
    served: dict[str, str] = {}
    assert settle_environment(served) == (f"sqlite:///{tmp_path / '.explorer-state'}"
                                          "/rooms.sqlite")
    assert served == {"EXPLORER_STATE": str(tmp_path / ".explorer-state")}
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")  # where a page's kernel works
    monkeypatch.setenv("EXPLORER_STATE", served["EXPLORER_STATE"])  # what it inherits
    assert database_url() == f"sqlite:///{tmp_path / '.explorer-state'}/rooms.sqlite"
    monkeypatch.chdir(tmp_path)
    env = {"EXPLORER_STATE": "state", "EXPLORER_ROOM_DB": "sqlite:///answers/rooms.db"}
    settle_environment(env)
    assert env == {"EXPLORER_STATE": str(tmp_path / "state"),
                   "EXPLORER_ROOM_DB": f"sqlite:///{tmp_path / 'answers/rooms.db'}"}
    env = {"EXPLORER_ROOM_DB": "postgresql+psycopg://ctg:secret@db.example.org/rooms"}
    assert settle_environment(env) == "postgresql+psycopg://ctg:***@db.example.org/rooms"
    assert env["EXPLORER_ROOM_DB"] == "postgresql+psycopg://ctg:secret@db.example.org/rooms"


# -- rooms --------------------------------------------------------------------------------

@backends
def test_a_new_room_shows_its_first_question_hidden_unlocked_for_a_day(room_store, ds):
    """A room opens on question 1, its tally hidden, answers open, expiring in 24 hours."""
    room = room_store.create_room(deck(ds))
    assert normalise_code(room.code) == room.code
    assert (room.question, room.revealed, room.locked) == (0, False, False)
    assert room.expires_at - room.created_at == DEFAULT_TTL_S
    assert room.max_participants == 200
    assert room_store.room(room.code).deck == deck(ds)


@backends
def test_a_presenter_finds_their_room_again_by_its_key(room_store, ds):
    """The key given at opening finds the room (after a reload); another key finds none."""
    room = room_store.create_room(deck(ds), presenter_key="secret-key-1")
    assert room_store.room_for_key("secret-key-1").code == room.code
    for wrong in ("secret-key-2", ""):
        with pytest.raises(RoomNotFound, match=re.escape(NO_ROOM)):
            room_store.room_for_key(wrong)


@backends
def test_two_rooms_get_different_codes(room_store, ds):
    """Every room has its own code."""
    codes = {room_store.create_room(deck(ds)).code for _ in range(5)}
    assert len(codes) == 5


@backends
def test_an_unknown_code_is_no_room(room_store):
    """Asking for a room nobody opened says so in words a participant understands."""
    with pytest.raises(RoomNotFound, match=re.escape(NO_ROOM)):
        room_store.room("ABCDEFG")


@backends
def test_the_presenter_moves_reveals_and_locks(room_store, ds):
    """Next question, reveal and lock are stored; the question stays within the deck."""
    code = room_store.create_room(deck(ds)).code
    room = room_store.update_room(code, question=1, revealed=True, locked=True)
    assert (room.question, room.revealed, room.locked) == (1, True, True)
    assert room_store.update_room(code, question=99).question == len(deck(ds)) - 1
    assert room_store.update_room(code, question=-3).current == "relationship"


# -- participants and answers ---------------------------------------------------------------

@backends
def test_a_participant_joins_once_however_often_they_open_the_page(room_store, ds):
    """The same cookie token joins once; another token is another participant."""
    code = room_store.create_room(deck(ds)).code
    assert room_store.join(code, "token-a") is True
    assert room_store.join(code, "token-a") is False
    assert room_store.join(code, "token-b") is True
    assert room_store.tally(code).joined == 2


@backends
def test_an_answer_replaces_the_same_participants_earlier_answer(room_store, ds):
    """One answer per participant per question: changing it replaces it whole."""
    questions = deck(ds)
    code = room_store.create_room(questions).code
    room_store.join(code, "p")
    first, second = (c.id for c in questions[0].choices[:2])
    room_store.answer(code, "p", "relationship", {"": first})
    room_store.answer(code, "p", "relationship", {"": second})
    tally = room_store.tally(code)
    assert tally.respondents == {"relationship": 1}
    assert tally.counts == {("relationship", "", second): 1}
    assert room_store.my_answer(code, "p", "relationship") == {"": second}


@backends
def test_no_foundation_ticked_is_an_answer(room_store, ds):
    """A participant who ticks nothing has answered (none in place) and is counted."""
    code = room_store.create_room(deck(ds)).code
    room_store.update_room(code, question=2)
    room_store.answer(code, "p", "foundations", {})
    tally = room_store.tally(code)
    assert (tally.respondents, tally.empty, tally.counts) == ({"foundations": 1},
                                                              {"foundations": 1}, {})
    assert room_store.my_answer(code, "p", "foundations") == {}
    assert room_store.my_answer(code, "p", "relationship") is None
    assert room_store.answers(code)[0][1:4] == ("foundations", "", "")


@backends
def test_the_tally_counts_every_participants_answers(room_store, ds):
    """Three participants answering everything: three respondents to each question."""
    questions = deck(ds)
    code = room_store.create_room(questions).code
    for token in ("a", "b", "c"):
        answer_all(room_store, code, token, questions)
    tally = room_store.tally(code)
    assert tally.joined == 3
    assert tally.respondents == {"relationship": 3, "mechanisms": 3, "foundations": 3}
    assert tally.counts[("mechanisms", questions[1].items[0].id, "clearly")] == 3


@backends
def test_a_locked_room_refuses_answers_and_keeps_the_earlier_ones(room_store, ds):
    """Locked: an answer is refused with a message and nothing changes."""
    questions = deck(ds)
    code = room_store.create_room(questions).code
    answer_all(room_store, code, "p", questions)
    before = room_store.tally(code)
    room_store.update_room(code, question=0, locked=True)
    with pytest.raises(RoomLocked, match=re.escape(LOCKED)):
        room_store.answer(code, "p", "relationship", {"": questions[0].choices[1].id})
    assert room_store.tally(code).counts == before.counts


@backends
def test_a_question_the_room_does_not_have_is_refused(room_store, ds):
    """An answer to a question outside the room's deck stores nothing."""
    code = room_store.create_room(deck(ds)).code
    room_store.join(code, "p")
    with pytest.raises(AnswerError, match=re.escape(NO_QUESTION)):
        room_store.answer(code, "p", "favourite_colour", {"": "blue"})
    assert room_store.tally(code).respondents == {}


@backends
def test_a_full_room_refuses_one_more_participant(room_store, ds):
    """The cap: participant N+1 is refused with a message; those in can still answer."""
    questions = deck(ds)
    code = room_store.create_room(questions, max_participants=3).code
    for token in ("a", "b", "c"):
        room_store.join(code, token)
    with pytest.raises(RoomFull, match=re.escape(FULL3)):
        room_store.join(code, "d")
    with pytest.raises(RoomFull):
        room_store.answer(code, "d", "relationship", {"": questions[0].choices[0].id})
    room_store.answer(code, "a", "relationship", {"": questions[0].choices[0].id})
    assert room_store.tally(code).joined == 3


@backends
def test_answering_without_opening_the_page_first_joins(room_store, ds):
    """An answer from a participant the room has not seen lets them in (within the cap)."""
    questions = deck(ds)
    code = room_store.create_room(questions).code
    room_store.answer(code, "new", "relationship", {"": questions[0].choices[0].id})
    assert room_store.tally(code).joined == 1


@backends
def test_clear_deletes_one_questions_answers_and_keeps_the_rest(room_store, ds):
    """Clear: the answers to that question go (how many is said), the other questions'
    answers and the participants stay, the tally is hidden again."""
    questions = deck(ds)
    code = room_store.create_room(questions).code
    for token in ("p", "q"):
        answer_all(room_store, code, token, questions)
    room_store.update_room(code, question=1, revealed=True)
    assert room_store.clear(code, "mechanisms") == 2
    tally = room_store.tally(code)
    assert (tally.joined, tally.respondents) == (2, {"relationship": 2, "foundations": 2})
    assert not [key for key in tally.counts if key[0] == "mechanisms"]
    assert tally.room.revealed is False
    with pytest.raises(AnswerError, match=re.escape(NO_QUESTION)):
        room_store.clear(code, "favourite_colour")
    assert room_store.tally(code).respondents == tally.respondents


@backends
def test_clear_frees_the_places_of_participants_it_leaves_with_no_answer(room_store, ds):
    """Answers sent as many people by one (fresh cookies each time) fill the room; clearing
    the question they answered deletes them and frees their places, while a participant
    with an answer to another question stays in."""
    questions = deck(ds)
    code = room_store.create_room(questions, max_participants=3).code
    first, second = first_answers(questions)[:2]
    room_store.answer(code, "real", *first)
    room_store.update_room(code, question=1)
    for token in ("bulk-1", "bulk-2"):
        room_store.answer(code, token, *second)
    with pytest.raises(RoomFull):
        room_store.answer(code, "newcomer", *second)
    room_store.answer(code, "real", *second)
    assert room_store.clear(code, second[0]) == 3
    assert room_store.tally(code).joined == 1
    room_store.answer(code, "newcomer", *second)
    assert room_store.tally(code).joined == 2


@backends
def test_close_deletes_the_room_and_everything_in_it(room_store, ds, store_url):
    """Close: the room, its participants and answers are gone at once."""
    questions = deck(ds)
    code = room_store.create_room(questions).code
    answer_all(room_store, code, "p", questions)
    assert room_store.close(code) is True
    assert room_store.close(code) is False
    with pytest.raises(RoomEnded, match=re.escape(CLOSED)):
        room_store.room(code)
    engine = create_engine(store_url)
    with engine.connect() as conn:
        for table in ("participants", "responses", "answer_items", "rooms"):
            assert conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() == 0
        # of the room, only that it ended is kept: its code, when and why
        assert conn.exec_driver_sql("SELECT code, reason FROM ended_rooms").all() == [
            (code, "closed")]
    engine.dispose()


@backends
def test_an_expired_room_is_refused_then_deleted_with_its_answers(store_url, ds):
    """After 24 hours: 'expired' to a participant, and the next purge deletes it all."""
    clock = Clock()
    store = RoomStore(store_url, clock=clock)
    questions = deck(ds)
    code = store.create_room(questions).code
    answer_all(store, code, "p", questions)
    clock.now += DEFAULT_TTL_S
    with pytest.raises(RoomNotFound, match=re.escape(EXPIRED)):
        store.join(code, "q")
    assert store.open_rooms() == []
    assert store.purge_expired() == 1
    with pytest.raises(RoomEnded, match=re.escape(EXPIRED)):
        store.room(code)
    clock.now += ENDED_KEPT_S
    store.purge_expired()
    with pytest.raises(RoomNotFound, match=re.escape(NO_ROOM)):
        store.room(code)
    store.close_store()


@backends
def test_an_expired_room_goes_even_if_no_new_room_is_opened(store_url, ds):
    """A store in use (a presenter's poll, the join page) deletes expired rooms on its own."""
    clock = Clock()
    store = RoomStore(store_url, clock=clock)
    old = store.create_room(deck(ds), ttl_s=60).code
    current = store.create_room(deck(ds)).code
    answer_all(store, old, "p", deck(ds))
    clock.now += PURGE_EVERY_S
    store.tally(current)
    engine = create_engine(store_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT code FROM rooms").scalars().all() == [current]
        assert conn.exec_driver_sql("SELECT count(*) FROM answer_items").scalar() == 0
    engine.dispose()
    store.close_store()


@backends
def test_a_restarted_server_finds_the_room_and_its_tally(store_url, ds):
    """A new store object (a restarted kernel or server) reads the same room and answers."""
    questions = deck(ds)
    first = RoomStore(store_url)
    code = first.create_room(questions).code
    answer_all(first, code, "p", questions)
    first.update_room(code, question=2, revealed=True)
    expected = first.tally(code)
    first.close_store()
    second = RoomStore(store_url)
    assert second.tally(code) == expected
    second.close_store()


@backends
def test_the_export_numbers_participants_and_holds_no_token(room_store, ds):
    """Export rows name participants 1, 2… in joining order, never their token or its hash."""
    questions = deck(ds)
    code = room_store.create_room(questions).code
    answer_all(room_store, code, "first", questions)
    answer_all(room_store, code, "second", questions)
    rows = room_store.answers(code)
    assert {r[0] for r in rows} == {1, 2}
    text = repr(rows)
    for secret in ("first", "second", participant_key("first")):
        assert secret not in text


@backends
def test_nothing_personal_is_stored(room_store, ds, store_url):
    """A participant is a hash of a random token: no name, address or browser column."""
    room_store.create_room(deck(ds))
    engine = create_engine(store_url)
    columns = {c["name"] for table in ("participants", "responses", "answer_items")
               for c in inspect(engine).get_columns(table)}
    engine.dispose()
    assert columns == {"room_code", "participant", "joined_at", "question_id", "answered_at",
                       "item", "value"}


@backends
def test_only_the_question_on_show_takes_answers(room_store, ds):
    """A stale or crafted form for another question is refused and stores nothing; back on
    that question, the same answer is taken."""
    questions = deck(ds)
    code = room_store.create_room(questions).code
    room_store.update_room(code, question=1)
    for question_id, items in (("relationship", {"": questions[0].choices[0].id}),
                               ("foundations", {})):
        with pytest.raises(NotOnShow, match=re.escape(NOT_ON_SHOW)):
            room_store.answer(code, "p", question_id, items)
    tally = room_store.tally(code)
    assert (tally.joined, tally.respondents) == (0, {})
    room_store.update_room(code, question=0)
    room_store.answer(code, "p", "relationship", {"": questions[0].choices[0].id})
    assert room_store.tally(code).respondents == {"relationship": 1}


@backends
def test_a_double_tapped_answer_is_stored_once_without_an_error(room_store, ds):
    """The same answer sent twice at once by one participant (a double tap, a retry, two
    tabs), to a question they had not answered yet: both are taken, one answer is kept."""
    questions = deck(ds)
    code = room_store.create_room(questions).code
    tokens = [f"p{n}" for n in range(12)]
    for token in tokens:  # known participants: their answers may run side by side
        room_store.answer(code, token, "relationship", {"": questions[0].choices[0].id})
    room_store.update_room(code, question=1)
    item = questions[1].items[0].id
    errors: list[Exception] = []
    for token in tokens:
        start = threading.Barrier(2)

        def tap(level: str, token: str = token, start: threading.Barrier = start) -> None:
            start.wait()
            try:
                room_store.answer(code, token, "mechanisms", {item: level})
            except Exception as error:  # the test reports any error at all
                errors.append(error)

        taps = [threading.Thread(target=tap, args=(level,)) for level in ("partly", "not_yet")]
        for thread in taps:
            thread.start()
        for thread in taps:
            thread.join()
    assert errors == []
    tally = room_store.tally(code)
    assert tally.respondents["mechanisms"] == len(tokens)
    assert sum(n for (q, _, _), n in tally.counts.items() if q == "mechanisms") == len(tokens)


@backends
def test_opening_the_room_writes_nothing(room_store, ds, store_url):
    """A visit (a page view, a link previewer, a refresh) reads the room and counts nobody;
    a full room is said to a newcomer but not to someone already in it."""
    questions = deck(ds)
    code = room_store.create_room(questions, max_participants=1).code
    for _ in range(3):
        visit = room_store.visit(code, "viewer")
        assert (visit.room.code, visit.mine, visit.full) == (code, None, False)
    assert room_store.tally(code).joined == 0
    engine = create_engine(store_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM participants").scalar() == 0
    engine.dispose()
    room_store.answer(code, "in", "relationship", {"": questions[0].choices[0].id})
    assert room_store.visit(code, "in").mine == {"": questions[0].choices[0].id}
    assert room_store.visit(code, "newcomer").full is True


@backends
def test_a_closed_rooms_code_is_never_given_again_while_it_is_remembered(room_store, ds,
                                                                        monkeypatch):
    """A new room never takes the code of a room that ended, so a late participant of the
    old room is never sent into the new one."""
    import explorer.rooms.store as store_module

    drawn = iter("A" * CODE_LENGTH * 2 + "B" * CODE_LENGTH)
    monkeypatch.setattr(store_module.secrets, "choice", lambda _alphabet: next(drawn))
    first = room_store.create_room(deck(ds)).code
    room_store.close(first)
    assert (first, room_store.create_room(deck(ds)).code) == ("A" * 7, "B" * 7)


@backends
def test_the_export_rows_give_back_the_tally_every_answer_counted(room_store, ds):
    """Grouped by question, item and answer, the export's rows are the tally's counts, "None
    of these" and "Don't know" included, and each question's participants its respondents."""
    questions = deck(ds)
    code = room_store.create_room(questions).code
    relationship, mechanisms, foundations = questions.questions
    levels = list(mechanisms.choices)
    for n in range(9):
        token = f"p{n}"
        room_store.update_room(code, question=0)
        room_store.answer(code, token, "relationship",
                          {"": relationship.choices[n % len(relationship.choices)].id})
        room_store.update_room(code, question=1)
        room_store.answer(code, token, "mechanisms", {
            item.id: levels[(n + i) % len(levels)].id
            for i, item in enumerate(mechanisms.items) if (n + i) % 3})
        room_store.update_room(code, question=2)
        ticked = foundations.choices[:n % 3]  # none ticked for every third participant
        room_store.answer(code, token, "foundations", {c.id: "yes" for c in ticked})
    tally = room_store.tally(code)
    frame = export_frame(code, questions, room_store.answers(code))
    rated = frame[frame.answer_id != ""]
    grouped = rated.groupby(["question_id", "item_id", "answer_id"]).size()
    assert {key: int(n) for key, n in grouped.items()} == dict(tally.counts)
    nothing = frame[(frame.question_id == "foundations") & (frame.item_id == "")]
    assert list(nothing.answer.unique()) == ["None of these"]
    assert len(nothing) == tally.empty["foundations"] == 3
    assert "Don't know" in set(frame.answer)
    people = frame.groupby("question_id").participant.nunique()
    assert {q: int(n) for q, n in people.items()} == dict(tally.respondents)


# -- schema and faults ------------------------------------------------------------------------

@backends
def test_a_store_of_the_first_schema_is_migrated_when_opened(store_url, ds):
    """A version-1 store (no cap, no presenter key, no ended rooms) opened today: brought to
    the current version, its rooms kept, with a cap of 200."""
    engine = create_engine(store_url)
    with engine.begin() as conn:
        assert migrate(conn, upto=1) == [1]
        conn.execute(text("INSERT INTO rooms (code, deck, created_at, expires_at, question, "
                          "revealed, locked) VALUES ('ABCDEFG', :deck, 0, 4e9, 0, false, "
                          "false)"), {"deck": json.dumps(deck(ds).as_dict())})
    store = RoomStore(store_url)
    assert store.migrate() == [2, 3, 4]
    assert store.room("ABCDEFG").max_participants == 200
    with engine.connect() as conn:
        assert conn.execute(select(schema_version.c.version)).scalar() == SCHEMA_VERSION
    store.close_store()
    engine.dispose()


@backends
def test_opening_an_up_to_date_store_applies_nothing(store_url):
    """Migrations run once: a second opening finds the store at the current version."""
    first = RoomStore(store_url)
    assert first.migrate() == [1, 2, 3, 4]
    first.close_store()
    second = RoomStore(store_url)
    assert second.migrate() == []
    second.close_store()


@backends
def test_a_store_written_by_a_newer_explorer_is_refused_and_left_as_it_is(store_url, ds):
    """A schema version above this explorer's: a plain sentence, and nothing migrated,
    written or read."""
    first = RoomStore(store_url)
    first.create_room(deck(ds))
    first.close_store()
    engine = create_engine(store_url)
    with engine.begin() as conn:
        conn.execute(schema_version.update().values(version=SCHEMA_VERSION + 1))
    store = RoomStore(store_url)
    message = (f"The room store was written by a newer version of the explorer (its schema "
               f"is version {SCHEMA_VERSION + 1}; this explorer knows versions up to "
               f"{SCHEMA_VERSION}), so it was left as it is. Update the explorer, or use "
               "another store.")
    for attempt in (lambda: store.open_rooms(), lambda: store.create_room(deck(ds))):
        with pytest.raises(StoreTooNew) as caught:
            attempt()
        assert str(caught.value) == message
    with engine.connect() as conn:
        assert conn.execute(select(schema_version.c.version)).scalar() == SCHEMA_VERSION + 1
        assert conn.exec_driver_sql("SELECT count(*) FROM rooms").scalar() == 1
    store.close_store()
    engine.dispose()


def test_the_first_migration_builds_the_first_releases_tables(tmp_path):
    """Version 1 makes exactly the tables and columns the first release made, whatever the
    table code says today (a migration never follows today's tables)."""
    engine = create_engine(f"sqlite:///{tmp_path / 'v1.sqlite'}")
    with engine.begin() as conn:
        migrate(conn, upto=1)
    found = {table: [c["name"] for c in inspect(engine).get_columns(table)]
             for table in inspect(engine).get_table_names()}
    engine.dispose()
    assert found == {
        "rooms": ["code", "deck", "created_at", "expires_at", "question", "revealed",
                  "locked"],
        "participants": ["room_code", "participant", "joined_at"],
        "responses": ["room_code", "participant", "question_id", "answered_at"],
        "answer_items": ["room_code", "participant", "question_id", "item", "value"],
        "schema_version": ["version"],
    }


# Each released migration's source, fingerprinted: editing one fails here. A change to the
# store is a new migration, appended (and its fingerprint added here once released).
RELEASED = {
    1: "01d7f226",
    2: "a7fd24b3",
    3: "a3960cd2",
    4: "16f061b4",
}


def test_released_migrations_are_never_edited_only_appended():
    """The migrations run in order 1, 2, 3…, and each released one is as it was released."""
    import hashlib
    import inspect as source

    assert [number for number, _ in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    found = {number: hashlib.sha256(source.getsource(step).encode()).hexdigest()[:8]
             for number, step in MIGRATIONS}
    assert {n: found[n] for n in RELEASED} == RELEASED


def test_an_unreachable_postgresql_server_writes_nothing_and_says_so(ds):
    """No server at the address: StoreUnavailable with a plain sentence."""
    with socket_port() as port:
        store = RoomStore(f"postgresql+psycopg://nobody@127.0.0.1:{port}/rooms")
        with pytest.raises(StoreUnavailable, match=re.escape(UNREACHABLE)):
            store.create_room(deck(ds))
        store.close_store()


def test_an_unopenable_sqlite_file_says_the_store_is_unreachable(tmp_path, ds):
    """A state folder that cannot be made: the same plain sentence, no OSError."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    store = RoomStore(f"sqlite:///{blocker / 'rooms.sqlite'}")
    with pytest.raises(StoreUnavailable, match=re.escape("cannot be reached just now")):
        store.create_room(deck(ds))


class socket_port:
    """A port nobody listens on (bound, never listening, for the test's duration)."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return int(self.sock.getsockname()[1])

    def __exit__(self, *exc) -> None:
        self.sock.close()


# -- many writers at once ------------------------------------------------------------------------

@backends
def test_sixty_participants_answering_at_once_lose_nothing(store_url, ds):
    """60 threads, each its own participant, answer each question at once as the room moves
    through them: 60 taking part and 60 respondents to every question."""
    questions = deck(ds)
    store = RoomStore(store_url)
    code = store.create_room(questions).code
    for number, (question_id, items) in enumerate(first_answers(questions)):
        store.update_room(code, question=number)
        start = threading.Barrier(60)

        def participant(n: int, question_id=question_id, items=items, start=start) -> None:
            start.wait()
            store.answer(code, f"participant-{n}", question_id, items)

        with ThreadPoolExecutor(max_workers=60) as pool:
            list(pool.map(participant, range(60)))
    tally = store.tally(code)
    assert tally.joined == 60
    assert tally.respondents == {"relationship": 60, "mechanisms": 60, "foundations": 60}
    store.close_store()


WRITER = """
import sys
from explorer.rooms import RoomStore
store = RoomStore(sys.argv[1])
code, prefix = sys.argv[2], sys.argv[3]
for n in range(int(sys.argv[4])):
    store.answer(code, f"{prefix}-{n}", "relationship", {"": sys.argv[5]})
"""


@backends
def test_many_processes_writing_at_once_lose_nothing(store_url, ds):
    """Six processes (six servers sharing one store) each add ten participants at once."""
    store = RoomStore(store_url)
    questions = deck(ds)
    code = store.create_room(questions).code
    choice = questions[0].choices[0].id
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, store_url, code, f"w{i}", "10",
                                 choice], cwd=ROOT, stderr=subprocess.PIPE, text=True)
               for i in range(6)]
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
    assert store.tally(code).respondents == {"relationship": 60}
    with store.engine.connect() as conn:
        assert len(conn.execute(select(participants.c.participant)).all()) == 60
    store.close_store()
