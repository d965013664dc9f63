"""Specifications of the join page: plain HTTP, as a participant's phone sends it."""

from __future__ import annotations

import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from room_kit import Phone, RoomServer, first_fields

from explorer.rooms import RoomStore, deck
from explorer.rooms.web import ANSWERS_PER_MINUTE, MAX_BODY_BYTES

from conftest import STORE_BACKENDS

# The messages a participant reads, word for word.
NO_ROOM = "There is no open room with that code. Check the code with the facilitator."
BAD_CODE = "That is not a room code. A code is 7 letters and digits, for example K7M4QXR."
NOT_AN_OPTION = "That answer is not one of this question&#39;s options."
NO_QUESTION = "That question is not one of this room&#39;s questions."
XSRF = ("This form has expired or was not sent from the room&#39;s page, so nothing was saved. "
        "Reload the page and answer again.")
TOO_BIG = "That answer is too large to be one of this room&#39;s answers. Nothing was saved."
TOO_MANY = ("Too many answers in a short time, so this one was not saved. Wait a few seconds, "
            "then send it again.")
LOCKED = ("Answers are closed for now: the facilitator has locked the room. Your earlier "
          "answers are kept.")
NO_COOKIE = ("Your answer was not saved: this page keeps your answer yours with a cookie, and "
             "your browser sent none. Allow cookies for this address, open the room&#39;s "
             "page again and answer there.")
FULL = "This room is full: it takes at most 2 people. Please tell the facilitator."
UNREACHABLE = ("The room&#39;s answers cannot be reached just now, so nothing was saved. "
               "Please try again in a moment.")
CHOOSE_ONE = "Choose one answer, then send it."
NOT_FOUND = ("There is no page here. Open the address the facilitator gave you, or type the "
             "room&#39;s code.")
BAD_FORM = ("That answer could not be read, so nothing was saved. Reload the page and answer "
            "again.")
METHOD = "That is not something this page does."
NOT_ON_SHOW = ("The facilitator has moved to another question, so this answer was not saved. "
               "Open the room again to see the question on show.")
CLOSED = ("The facilitator has closed this room, so it takes no more answers. Thank you for "
          "taking part.")
EXPIRED = "This room has expired (rooms last a day). Ask the facilitator for a new code."
OTHER = "Something went wrong on the server, so nothing was saved. Please try again."
TRACEBACK = re.compile(r"Traceback|File \"|line \d+, in ")


@pytest.fixture
def served(room_store):
    server = RoomServer(room_store)
    yield server
    server.stop()


@pytest.fixture
def room(room_store, ds):
    return room_store.create_room(deck(ds))


def message(body: str) -> str:
    found = re.search(r'class="ctg-message" role="alert">(.*?)</p>', body, re.S)
    return found.group(1) if found else ""


def first_relationship(ds) -> str:
    return deck(ds).questions[0].choices[0].id


# -- finding the room -------------------------------------------------------------------------

def test_the_join_form_asks_for_a_code(served):
    """room/join is a form for the code, with nothing fetched from elsewhere and no script."""
    reply = Phone(served.base).get("/room/join")
    assert reply.status == 200
    assert 'name="code"' in reply.body
    assert "<script" not in reply.body and "<link" not in reply.body
    assert not re.search(r"(src|href)=\"https?://", reply.body)


def test_a_typed_code_goes_to_its_room(served):
    """?code= with lower case and a hyphen goes to the room's address."""
    reply = Phone(served.base).get("/room/join?code=abc-defg")
    assert (reply.status, reply.location) == (303, "/room/ABCDEFG")


def test_a_typed_code_that_cannot_be_a_code_is_refused_with_the_form(served):
    """A code of the wrong shape: 400, the form again, and a message saying what a code is."""
    reply = Phone(served.base).get("/room/join?code=<b>hi</b>")
    assert reply.status == 400
    assert message(reply.body) == BAD_CODE
    assert "<b>hi</b>" not in reply.body


def test_an_unknown_room_says_so_and_stores_nothing(served, room_store):
    """A code nobody opened: 404 with a plain message; no participant is stored."""
    reply = Phone(served.base).get("/room/ABCDEFG")
    assert reply.status == 404
    assert message(reply.body) == NO_ROOM
    assert not TRACEBACK.search(reply.body)


def test_a_json_client_gets_the_message_as_json(served):
    """Accept: application/json gets {"error": message}."""
    reply = Phone(served.base).get("/room/ABCDEFG", Accept="application/json")
    assert reply.status == 404
    assert json.loads(reply.body) == {"error": NO_ROOM}


# -- answering ------------------------------------------------------------------------------------

def test_opening_the_room_shows_the_first_question_and_counts_nobody(served, room,
                                                                    room_store, ds):
    """The page shows question 1 of 3 with the data's options. Opening it, reloading it or a
    link previewer (no cookies kept) writes nothing; a participant counts from their first
    answer."""
    phone = Phone(served.base)
    reply = phone.get(f"/room/{room.code}")
    assert reply.status == 200
    assert "Question 1 of 3" in reply.body
    for choice in deck(ds).questions[0].choices:
        assert f'value="{choice.id}"' in reply.body
    assert "<script" not in reply.body
    phone.get(f"/room/{room.code}")
    for _ in range(5):  # previewers: a new visitor each time
        assert Phone(served.base).get(f"/room/{room.code}").status == 200
    assert room_store.tally(room.code).joined == 0
    phone.post(f"/room/{room.code}", [("question", "relationship"),
                                      ("choice", first_relationship(ds))])
    assert room_store.tally(room.code).joined == 1


def test_an_answer_is_saved_and_can_be_changed(served, room, room_store, ds):
    """Send, see 'saved' and the answer; send another: one answer, the new one."""
    phone = Phone(served.base)
    first, second = (c.id for c in deck(ds).questions[0].choices[:2])
    reply = phone.answer(room.code, "relationship", [("choice", first)])
    assert (reply.status, reply.location) == (303, f"/room/{room.code}?saved=relationship")
    page = phone.get(reply.location)
    assert "Your answer is saved." in page.body
    assert deck(ds).questions[0].choices[0].label in page.body
    phone.get(f"/room/{room.code}?change=1")
    phone.post(f"/room/{room.code}", [("question", "relationship"), ("choice", second)])
    tally = room_store.tally(room.code)
    assert tally.counts == {("relationship", "", second): 1}


def test_the_page_shows_the_question_the_facilitator_is_on(served, room, room_store, ds):
    """After Next question, the page shows question 2 with a level for each mechanism."""
    room_store.update_room(room.code, question=1)
    body = Phone(served.base).get(f"/room/{room.code}").body
    assert "Question 2 of 3" in body
    for item in deck(ds).questions[1].items:
        assert f'name="level.{item.id}"' in body


# -- hostile and mistaken requests: a message, nothing stored ------------------------------------

def refused(served, room, room_store, fields, status, expected, **options):
    phone = Phone(served.base)
    phone.get(f"/room/{room.code}")
    before = room_store.tally(room.code)
    reply = phone.post(f"/room/{room.code}", fields, **options)
    assert reply.status == status
    assert message(reply.body) == expected
    assert not TRACEBACK.search(reply.body)
    after = room_store.tally(room.code)
    assert (after.respondents, after.counts) == (before.respondents, before.counts)
    return reply


def test_an_option_not_in_the_data_is_refused(served, room, room_store):
    """choice=<not a relationship type>: 400, nothing stored."""
    refused(served, room, room_store, [("question", "relationship"), ("choice", "bogus")],
            400, NOT_AN_OPTION)


def test_a_level_not_in_the_data_is_refused(served, room, room_store, ds):
    """A mechanism's level 'maybe': 400, nothing stored."""
    room_store.update_room(room.code, question=1)
    item = deck(ds).questions[1].items[0].id
    refused(served, room, room_store, [("question", "mechanisms"), (f"level.{item}", "maybe")],
            400, NOT_AN_OPTION)


def test_a_question_not_in_the_room_is_refused(served, room, room_store):
    """question=<unknown>: 400, nothing stored."""
    refused(served, room, room_store, [("question", "salary"), ("choice", "x")], 400,
            NO_QUESTION)


def test_no_choice_is_refused(served, room, room_store):
    """Send without choosing: 400 and what to do."""
    refused(served, room, room_store, [("question", "relationship")], 400, CHOOSE_ONE)


def test_html_in_a_parameter_is_refused_and_never_echoed(served, room, room_store):
    """<script> as an option: 400, nothing stored, the markup not in the page."""
    reply = refused(served, room, room_store,
                    [("question", "relationship"), ("choice", "<script>alert(1)</script>")],
                    400, NOT_AN_OPTION)
    assert "<script>alert(1)" not in reply.body


def test_an_answer_without_the_xsrf_token_is_refused(served, room, room_store, ds):
    """No _xsrf field or header: 403, nothing stored."""
    refused(served, room, room_store,
            [("question", "relationship"), ("choice", first_relationship(ds))], 403, XSRF,
            xsrf=False)


def test_an_answer_without_the_participants_cookie_is_refused_not_counted_as_someone_new(
        served, room, room_store, ds):
    """A form sent with a valid XSRF pair but no participant's cookie (a script, a browser
    that keeps no cookies) is refused with a sentence: without it every POST would be one
    more participant, and one person could fill the room."""
    phone = Phone(served.base)
    phone.get(f"/room/{room.code}")
    for cookie in list(phone.cookies):
        if cookie.name == "ctg_participant":
            phone.cookies.clear(cookie.domain, cookie.path, cookie.name)
    for _ in range(3):
        reply = phone.post(f"/room/{room.code}",
                           [("question", "relationship"), ("choice", first_relationship(ds))])
        assert (reply.status, message(reply.body)) == (403, NO_COOKIE)
    tally = room_store.tally(room.code)
    assert (tally.joined, tally.respondents) == (0, {})


def test_an_answer_with_a_forged_xsrf_token_is_refused(served, room, room_store, ds):
    """A token that does not match the cookie: 403, nothing stored."""
    refused(served, room, room_store,
            [("_xsrf", "2|00000000|00000000000000000000000000000000|1"),
             ("question", "relationship"), ("choice", first_relationship(ds))], 403, XSRF,
            xsrf=False)


def test_an_oversized_answer_is_refused(served, room, room_store):
    """A body over the limit: 413, nothing stored."""
    refused(served, room, room_store,
            [("question", "relationship"), ("choice", "x" * MAX_BODY_BYTES)], 413, TOO_BIG)


def test_repeated_answers_past_the_limit_are_refused(served, room, room_store, ds):
    """More than the answers a minute allows: 429, the stored answer unchanged."""
    phone = Phone(served.base)
    choices = [c.id for c in deck(ds).questions[0].choices]
    for n in range(ANSWERS_PER_MINUTE):
        assert phone.answer(room.code, "relationship", [("choice", choices[n % 2])]).status \
            == 303
    kept = room_store.tally(room.code).counts
    reply = phone.post(f"/room/{room.code}", [("question", "relationship"),
                                              ("choice", choices[2])])
    assert reply.status == 429
    assert message(reply.body) == TOO_MANY
    assert room_store.tally(room.code).counts == kept


def test_a_locked_room_refuses_an_answer(served, room, room_store, ds):
    """Locked: 409 with the message, nothing stored; the page itself says answers are closed."""
    phone = Phone(served.base)
    phone.get(f"/room/{room.code}")
    room_store.update_room(room.code, locked=True)
    reply = phone.post(f"/room/{room.code}", [("question", "relationship"),
                                              ("choice", first_relationship(ds))])
    assert reply.status == 409
    assert message(reply.body) == LOCKED
    assert room_store.tally(room.code).respondents == {}
    page = phone.get(f"/room/{room.code}").body
    assert LOCKED in page
    # No form while locked, so the page looks again by itself to show the form on Unlock.
    assert '<meta http-equiv="refresh"' in page and "<form" not in page
    room_store.update_room(room.code, locked=False)
    assert "<form" in phone.get(f"/room/{room.code}").body


def test_a_full_room_turns_the_next_participant_away(served, room_store, ds):
    """Cap 2: once two have answered, a third phone gets 403 and the message, on opening
    the room and on answering; the two in it still see their question."""
    code = room_store.create_room(deck(ds), max_participants=2).code
    inside = [Phone(served.base) for _ in range(2)]
    for phone in inside:
        assert phone.answer(code, "relationship", [("choice", first_relationship(ds))]) \
            .status == 303
    third = Phone(served.base)
    reply = third.get(f"/room/{code}")
    assert (reply.status, message(reply.body)) == (403, FULL)
    assert all(phone.get(f"/room/{code}").status == 200 for phone in inside)
    assert room_store.tally(code).joined == 2


def test_an_unreachable_store_is_said_on_the_join_page(tmp_path):
    """The store cannot be opened: 503 and a sentence, never a traceback."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    server = RoomServer(RoomStore(f"sqlite:///{blocker / 'rooms.sqlite'}"))
    try:
        reply = Phone(server.base).get("/room/ABCDEFG")
    finally:
        server.stop()
    assert reply.status == 503
    assert message(reply.body) == UNREACHABLE


def test_a_participants_cookie_is_random_and_http_only(served, room):
    """The cookie holds a random token only (HttpOnly); two phones get different tokens."""
    phones = [Phone(served.base) for _ in range(2)]
    tokens = []
    for phone in phones:
        phone.get(f"/room/{room.code}")
        cookie = next(c for c in phone.cookies if c.name == "ctg_participant")
        assert cookie.has_nonstandard_attr("HttpOnly")
        tokens.append(cookie.value)
    assert tokens[0] != tokens[1] and len(tokens[0]) >= 24


# -- many phones at once ---------------------------------------------------------------------------

@pytest.mark.parametrize("store_url", STORE_BACKENDS, indirect=True)
def test_sixty_phones_answering_at_once_through_the_page_lose_nothing(served, room,
                                                                     room_store, ds):
    """60 participants, each its own cookies, answer each question at once over HTTP as the
    room moves through them: 60 taking part, 60 respondents to each, every request saved."""
    questions = deck(ds)
    phones = [Phone(served.base) for _ in range(60)]
    for phone in phones:
        phone.get(f"/room/{room.code}")
    statuses = []
    for number, question in enumerate(questions.questions):
        room_store.update_room(room.code, question=number)
        start = threading.Barrier(60)

        def send(phone: Phone, question=question, start=start) -> int:
            start.wait()
            return phone.post(f"/room/{room.code}",
                              [("question", question.id), *first_fields(question)]).status

        with ThreadPoolExecutor(max_workers=60) as pool:
            statuses += list(pool.map(send, phones))
    assert statuses == [303] * 180
    tally = room_store.tally(room.code)
    assert tally.joined == 60
    assert tally.respondents == {"relationship": 60, "mechanisms": 60, "foundations": 60}


@pytest.mark.parametrize("store_url", STORE_BACKENDS, indirect=True)
def test_a_stale_form_for_a_question_not_on_show_is_refused(served, room, room_store, ds):
    """A page left on question 1 after the room moved on: its answer gets 409, a sentence,
    a link to the question on show, and nothing is stored."""
    phone = Phone(served.base)
    phone.get(f"/room/{room.code}")  # the form for question 1
    room_store.update_room(room.code, question=1)
    reply = refused(served, room, room_store, [("question", "relationship"),
                                               ("choice", first_relationship(ds))],
                    409, NOT_ON_SHOW)
    assert f'href="/room/{room.code}"' in reply.body
    assert room_store.tally(room.code).joined == 0


@pytest.mark.parametrize("store_url", STORE_BACKENDS, indirect=True)
def test_a_double_tap_sends_one_answer_and_no_error(served, room, room_store, ds):
    """The same form sent twice at once (a double tap) and again (a retry): every request
    is saved (303) and the room holds one answer from one participant."""
    phone = Phone(served.base)
    phone.answer(room.code, "relationship", [("choice", first_relationship(ds))])
    room_store.update_room(room.code, question=1)
    phone.get(f"/room/{room.code}")
    fields = [("question", "mechanisms"), *first_fields(deck(ds).questions[1])]
    start = threading.Barrier(2)

    def tap(_n: int) -> int:
        start.wait()
        return phone.post(f"/room/{room.code}", fields).status

    with ThreadPoolExecutor(max_workers=2) as pool:
        assert list(pool.map(tap, range(2))) == [303, 303]
    assert phone.post(f"/room/{room.code}", fields).status == 303
    tally = room_store.tally(room.code)
    assert (tally.joined, tally.respondents["mechanisms"]) == (1, 1)


def test_a_closed_or_expired_room_says_so_in_plain_words(served, room_store, ds):
    """A late participant of a closed room reads that it was closed (410), of an expired
    one that it expired; neither is told their code is wrong."""
    questions = deck(ds)
    closed = room_store.create_room(questions).code
    phone = Phone(served.base)
    phone.get(f"/room/{closed}")
    room_store.close(closed)
    for reply in (phone.get(f"/room/{closed}"),
                  phone.post(f"/room/{closed}", [("question", "relationship"),
                                                 ("choice", first_relationship(ds))])):
        assert (reply.status, message(reply.body)) == (410, CLOSED)
    yesterday = RoomStore(room_store.url, clock=lambda: time.time() - 2 * 86400)
    expired = yesterday.create_room(questions).code  # opened two days ago: a day past
    yesterday.close_store()
    reply = Phone(served.base).get(f"/room/{expired}")
    assert (reply.status, message(reply.body)) == (410, EXPIRED)


def test_the_last_question_thanks_and_promises_no_next_one(served, room, room_store, ds):
    """Answered on the last question, the page says it was the last, not that another
    follows."""
    phone = Phone(served.base)
    room_store.update_room(room.code, question=2)
    reply = phone.answer(room.code, "foundations", [])
    assert reply.status == 303
    body = phone.get(reply.location).body
    assert "That was the last question: thank you." in body
    assert "next question appears here" not in body
    assert "None of these" in body


def test_the_xsrf_cookie_stays_on_the_join_pages_own_path(served, room):
    """The join page's _xsrf cookie is for room/ only, so it never shadows the cookie of the
    server it sits beside (Voila's, JupyterHub's)."""
    phone = Phone(served.base)
    phone.get(f"/room/{room.code}")
    cookie = next(c for c in phone.cookies if c.name == "_xsrf")
    assert cookie.path == "/room/"


def test_an_address_that_is_not_a_code_or_a_page_is_not_found(served):
    """room/<not a code> says what a code is; a deeper address says there is no page."""
    bad = Phone(served.base).get("/room/%3Cscript%3E")
    assert (bad.status, message(bad.body)) == (404, BAD_CODE)
    deeper = Phone(served.base).get("/room/ABCDEFG/extra")
    assert (deeper.status, message(deeper.body)) == (404, NOT_FOUND)


def test_a_form_that_cannot_be_read_is_refused(served, room, room_store):
    """Bytes that are not UTF-8: 400, nothing stored."""
    phone = Phone(served.base)
    phone.get(f"/room/{room.code}")
    body = f"_xsrf={phone.xsrf}&question=relationship&choice=%FF%FE".encode()
    reply = phone.request(f"/room/{room.code}", data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    assert (reply.status, message(reply.body)) == (400, BAD_FORM)
    assert room_store.tally(room.code).respondents == {}


def test_a_method_the_page_does_not_take_is_refused(served, room):
    """PUT or DELETE on a room: 405 and a sentence."""
    for method in ("PUT", "DELETE"):
        reply = Phone(served.base).request(f"/room/{room.code}", data=b"x", method=method)
        assert (reply.status, message(reply.body)) == (405, METHOD)


class BrokenStore(RoomStore):
    """A store with a fault no one planned for."""

    def room(self, code):
        raise RuntimeError("disk on fire at /srv/secret/path")

    visit = room


def test_an_unexpected_fault_is_one_calm_sentence(tmp_path):
    """Any other failure: 500 with a sentence; no traceback, no server detail."""
    server = RoomServer(BrokenStore(f"sqlite:///{tmp_path / 'rooms.sqlite'}"))
    try:
        reply = Phone(server.base).get("/room/ABCDEFG")
    finally:
        server.stop()
    assert (reply.status, message(reply.body)) == (500, OTHER)
    assert "/srv/secret" not in reply.body and not TRACEBACK.search(reply.body)


@pytest.mark.parametrize("store_url", STORE_BACKENDS, indirect=True)
def test_a_phone_back_after_a_lost_connection_and_a_restart_finds_its_answer(store_url, ds):
    """Answer, lose the connection, the server restarts: the same phone sees its saved answer
    (the store keeps it; the cookie says who they are)."""
    first = RoomServer(RoomStore(store_url))
    questions = deck(ds)
    code = first.store.create_room(questions).code
    phone = Phone(first.base)
    chosen = questions[0].choices[1]
    assert phone.answer(code, "relationship", [("choice", chosen.id)]).status == 303
    first.stop()
    first.store.close_store()
    second = RoomServer(RoomStore(store_url))
    try:
        phone.base = second.base
        page = phone.get(f"/room/{code}")
        assert page.status == 200
        assert "Your answer" in page.body and chosen.label in page.body
        assert second.store.tally(code).joined == 1
    finally:
        second.stop()
        second.store.close_store()
