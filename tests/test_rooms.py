"""Specifications of a live room above the store: its questions from the data, the pure
profile beside the evidence, the presenter's panel in the kernel, and the command line."""

from __future__ import annotations

import asyncio
import csv
import html
import io
import json
import re
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import plotly.graph_objects as go
import pytest
from http_kit import http_get

from explorer.app.dashboards import build
from explorer.errors import AnswerError
from explorer.evidence.questions import Choice, Question
from explorer.render import figures
from explorer.rooms import Deck, RoomStore, check_answer, deck
from explorer.rooms.addresses import LOCAL_ONLY, LOCAL_ONLY_BASE, reachable_from_phones
from explorer.rooms.cli import export_csv
from explorer.rooms.profile import (
    LEVEL_STRENGTH,
    export_frame,
    matrix_with_room,
    question_counts,
    room_cells,
    room_nearest,
)

ROOT = Path(__file__).resolve().parents[1]
PAGE = "http://192.168.1.20:8866/voila/render/matrix.ipynb?present=1"
LOCAL_PAGE = "http://127.0.0.1:8866/voila/render/matrix.ipynb?present=1"


def answer(store, code, token, relationship, levels, foundations=()):
    """One participant answers the three questions, the room moved to each in turn."""
    for number, (question, items) in enumerate((
            ("relationship", {"": relationship}), ("mechanisms", levels),
            ("foundations", {f: "yes" for f in foundations}))):
        store.update_room(code, question=number)
        store.answer(code, token, question, items)


# -- questions from the data ------------------------------------------------------------------

def test_the_questions_come_from_the_framework_tables(ds):
    """Relationship types, mechanisms and foundations give every option, label and
    definition, in the package's display order."""
    questions = deck(ds)
    assert [q.id for q in questions.questions] == ["relationship", "mechanisms", "foundations"]
    order = ds.relationship_types.sort_values("display_order")
    assert [c.id for c in questions[0].choices] == list(order.relationship_type_id)
    assert [c.label for c in questions[1].items] == list(
        ds.mechanisms.sort_values("display_order").label)
    assert [c.definition for c in questions[2].choices] == list(
        ds.foundations.sort_values("display_order").definition)
    assert [c.label for c in questions[1].choices] == ["Clearly", "Partly", "Not yet",
                                                        "Don't know"]


def test_another_programme_gets_its_own_questions(other, ds):
    """The invented second programme's package: its own options, none of ours."""
    theirs, ours = deck(other), deck(ds)
    assert {c.id for c in theirs[0].choices} == set(other.relationship_types
                                                    .relationship_type_id)
    assert {c.id for c in theirs[1].items} == set(other.mechanisms.mechanism_id)
    assert {c.label for c in theirs[2].choices} == set(other.foundations.label)
    assert not {c.id for q in ours.questions for c in (*q.choices, *q.items)
                if c.id not in {"clearly", "partly", "not_yet", "dont_know"}} & \
        {c.id for q in theirs.questions for c in (*q.choices, *q.items)}


def test_a_deck_survives_the_store_as_json(ds):
    """What a room stores reads back as the same questions."""
    assert Deck.from_dict(deck(ds).as_dict()) == deck(ds)


@pytest.mark.parametrize(("question", "form", "expected"), [
    (0, {}, "Choose one answer, then send it."),
    (0, {"choice": ["a", "b"]}, "Choose only one answer."),
    (0, {"choice": ["nope"]}, "That answer is not one of this question's options."),
    (1, {}, "Choose a level for at least one item ('Don't know' is an answer), then send it."),
    (1, {"level.nope": ["clearly"]}, "That answer is not one of this question's options."),
    (1, {"level.patient_beliefs": ["clearly", "partly"]}, "Choose one level for each item."),
    (1, {"level.patient_beliefs": ["sometimes"]},
     "That answer is not one of this question's options."),
    (2, {"choice": ["leadership", "leadership"]}, "Each option can be ticked once."),
    (2, {"choice": ["<b>"]}, "That answer is not one of this question's options."),
])
def test_an_answer_that_does_not_fit_its_question_is_refused(ds, question, form, expected):
    """Each way an answer can miss its question has its own plain message."""
    with pytest.raises(AnswerError) as caught:
        check_answer(deck(ds)[question], form)
    assert str(caught.value) == expected


def test_answers_become_the_items_to_store(ds):
    """One choice, several ticks (none is an answer) and a level per mechanism."""
    questions = deck(ds)
    assert check_answer(questions[0], {"choice": ["person_system"]}) == {"": "person_system"}
    assert check_answer(questions[2], {}) == {}
    assert check_answer(questions[2], {"choice": ["leadership"]}) == {"leadership": "yes"}
    assert check_answer(questions[1], {"level.patient_beliefs": ["partly"], "other": ["x"]}) \
        == {"patient_beliefs": "partly"}


# -- the room beside the evidence (pure) ---------------------------------------------------------

@pytest.fixture
def store(tmp_path):
    store = RoomStore(f"sqlite:///{tmp_path / 'rooms.sqlite'}")
    yield store
    store.close_store()


def test_the_room_is_one_more_column_of_the_matrix(store, ds):
    """Most participants' level becomes the room's strength; counts leave out don't know."""
    code = store.create_room(deck(ds)).code
    answer(store, code, "a", "person_system", {"patient_beliefs": "clearly",
                                               "systems_processes": "not_yet"})
    answer(store, code, "b", "person_system", {"patient_beliefs": "clearly",
                                               "systems_processes": "dont_know"})
    answer(store, code, "c", "community_system", {"patient_beliefs": "partly"})
    cells = room_cells(store.tally(code)).set_index("mechanism_id")
    assert cells.at["patient_beliefs", "strength"] == "evident"
    assert cells.at["patient_beliefs", "count"] == 3
    # a tie between not yet and don't know is drawn as a tie, named, never broken
    assert cells.at["systems_processes", "strength"] == "room_tie"
    assert cells.at["systems_processes", "tie"] == "a tie: Not yet and Don't know, 1 each"
    assert cells.at["systems_processes", "count"] == 1
    assert cells.at["culture_environment", "strength"] == "no_rows"
    combined = matrix_with_room(ds, store.tally(code))
    assert list(dict.fromkeys(combined.column))[-1] == "This room"
    assert len(combined) == len(room_cells(store.tally(code))) * (len(ds.projects) + 1)


def test_every_level_maps_to_a_strength_of_the_evidence():
    """Clearly, partly, not yet and don't know read as the matrix's four strengths."""
    assert LEVEL_STRENGTH == {"clearly": "evident", "partly": "partial",
                              "not_yet": "not_evident", "dont_know": "not_reported"}


def test_the_room_figure_is_valid_plotly_and_marks_the_room(store, ds):
    """The figure validates, has the room as its last column and a band behind it, and a
    room's cell counts participants, not records."""
    code = store.create_room(deck(ds)).code
    answer(store, code, "a", "person_system", {"patient_beliefs": "clearly"})
    cells = matrix_with_room(ds, store.tally(code))
    figure = figures.room_matrix_figure(cells)
    go.Figure(figure)
    assert figure["layout"]["xaxis"]["categoryarray"][-1] == "This room"
    band = figure["layout"]["shapes"][0]
    assert (band["x0"], band["x1"]) == (len(ds.projects) - 0.5, len(ds.projects) + 0.5)
    assert "This room" in figure["layout"]["title"]["subtitle"]["text"]
    evident = next(t for t in figure["data"] if "This room" in t["x"])
    hover = evident["hovertext"][evident["x"].index("This room")]
    assert hover.endswith("1 participant(s), not counting don't know")


def test_the_nearest_projects_share_the_rooms_relationship_and_mechanisms(store, ds):
    """The room's most wanted relationship and its activated mechanisms pick the nearest."""
    code = store.create_room(deck(ds)).code
    answer(store, code, "a", "community_system", {"culture_environment": "clearly",
                                                  "systems_processes": "partly"})
    nearest = room_nearest(ds, store.tally(code))
    top = nearest[nearest.nearest]
    assert not top.empty
    assert all("community_system" in r or m for r, m in zip(top.shared_relationships,
                                                             top.shared_mechanisms,
                                                             strict=True))


def test_question_counts_list_every_option_none_of_these_and_not_rated(store, ds):
    """The tally's bars: every option with its count (zero included), "None of these" for
    those who ticked nothing and "Not rated" for a mechanism someone left out, so each
    row's counts add up to the people who answered (the bars' scale)."""
    questions = deck(ds)
    code = store.create_room(questions).code
    answer(store, code, "a", "person_system", {"patient_beliefs": "partly"}, ["leadership"])
    answer(store, code, "b", "person_system", {"patient_beliefs": "dont_know",
                                               "systems_processes": "clearly"})
    tally = store.tally(code)
    [row] = question_counts(tally, questions[0])
    assert (dict(row.options)["Person and the wider health system"], row.respondents) == (2, 2)
    assert len(row.options) == len(questions[0].choices)
    rows = {r.label: dict(r.options) for r in question_counts(tally, questions[1])}
    assert list(rows) == [i.label for i in questions[1].items]
    patient = rows["Patient beliefs and behaviour"]
    assert (patient["Partly"], patient["Don't know"], "Not rated" in patient) == (1, 1, False)
    systems = next(i.label for i in questions[1].items if i.id == "systems_processes")
    assert (rows[systems]["Clearly"], rows[systems]["Not rated"]) == (1, 1)
    [ticks] = question_counts(tally, questions[2])
    assert ticks.options[-1] == ("None of these", 1)
    assert dict(ticks.options)["Leadership"] == 1 and ticks.respondents == 2


def test_a_tie_is_drawn_as_a_tie_and_every_count_is_right(store, ds):
    """5/5/5/5 on a mechanism: a tie, its own mark (a legend entry of its own, never 'not
    reported'), named in the hover and the text alternative, which counts 7 projects and a
    room; the rule is in the figure's note."""
    questions = deck(ds)
    code = store.create_room(questions).code
    levels = ["clearly", "partly", "not_yet", "dont_know"]
    for n in range(20):
        answer(store, code, f"p{n}", "person_system", {"patient_beliefs": levels[n % 4]})
    cells = matrix_with_room(ds, store.tally(code))
    room = cells[cells.column == "This room"].set_index("mechanism_id")
    assert room.at["patient_beliefs", "strength"] == "room_tie"
    assert room.at["patient_beliefs", "tie"] == ("a tie: Clearly, Partly, Not yet and "
                                                 "Don't know, 5 each")
    figure = figures.room_matrix_figure(cells)
    go.Figure(figure)
    [tie] = [t for t in figure["data"] if t["name"] == "Tie: the room is split"]
    assert (tie["marker"]["symbol"], tie["x"], tie["showlegend"]) == ("hourglass",
                                                                      ["This room"], True)
    assert "5 each" in tie["hovertext"][0]
    silent = next(t for t in figure["data"] if t["marker"]["symbol"] == "circle-open")
    assert "This room" not in silent["x"]
    assert "a tie, never broken" in figure["layout"]["title"]["subtitle"]["text"]
    text = figures.describe_room_matrix(cells)
    assert text.startswith(f"Matrix of {len(ds.mechanisms)} mechanisms by 7 projects and "
                           "this room.")
    assert "This room: a tie: Clearly, Partly, Not yet and Don't know, 5 each" in text


def test_the_export_has_labels_and_keeps_formulas_inert(store, ds):
    """The CSV names questions and answers in words; a label starting '=' gets an apostrophe."""
    questions = deck(ds)
    hostile = Question("relationship", "one", "=cmd|' /C calc'!A0", "Pick one",
                       (Choice("a", "=HYPERLINK(\"http://x\")"),))
    room = store.create_room(Deck((hostile, questions[1], questions[2])))
    store.answer(room.code, "p", "relationship", {"": "a"})
    store.update_room(room.code, question=1)
    store.answer(room.code, "p", "mechanisms", {"patient_beliefs": "not_yet"})
    rows = list(csv.DictReader(io.StringIO(export_csv(store, room.code))))
    assert [r["answer"] for r in rows] == ["Not yet", "'=HYPERLINK(\"http://x\")"]
    assert rows[1]["question"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["item"] == "Patient beliefs and behaviour"
    assert {r["participant"] for r in rows} == {"1"}
    frame = export_frame(room.code, store.room(room.code).deck, store.answers(room.code))
    assert list(frame.columns) == ["room", "participant", "question", "item", "answer",
                                   "answered_at_utc", "question_id", "item_id", "answer_id"]


# -- the presenter's panel, in the kernel ------------------------------------------------------

@pytest.fixture
def state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("EXPLORER_STATE", str(tmp_path / "state"))
    monkeypatch.delenv("EXPLORER_ROOM_DB", raising=False)
    monkeypatch.delenv("EXPLORER_ROOM_URL", raising=False)
    return tmp_path / "state"


def started(ds):
    """A presenter's app with a room started; every custom message the panel sent to the
    browser is in ``app.sent``."""
    app = build("matrix", "present=1", ds=ds, strict=True)
    app.sent = []
    app.room.controls.send = lambda content, buffers=None: app.sent.append(content)
    app.room.controls._handle(None, {"type": "start", "href": PAGE}, None)
    return app


def act(app, action: str, **extra) -> None:
    """Press one of the panel's buttons, as its page sends it."""
    app.room.controls._handle(None, {"type": "act", "action": action, **extra}, None)


def test_start_a_room_shows_its_code_join_address_and_qr(state_dir, ds):
    """Start: the code, the join address on the page's server, a QR image, hidden tally."""
    app = started(ds)
    status = app.room.controls.status
    assert status["open"] and re.fullmatch(r"[2-9A-Z]{7}", status["code"])
    assert status["join"] == f"http://192.168.1.20:8866/room/{status['code']}"
    assert status["qr"].startswith("data:image/svg+xml")
    assert (status["joined"], status["answered"], status["revealed"]) == (0, 0, False)
    assert [a["answered"] for a in status["answers"]] == [0, 0, 0]
    assert (state_dir / "rooms.sqlite").exists()


def test_the_presenter_key_goes_to_the_presenters_browser_alone(state_dir, ds):
    """The key is sent once, as a message to the presenter's browser (to keep in its
    storage): it is in no address, citation, handout, synced state or step, and the steps
    gain the room before the lessons."""
    app = started(ds)
    [kept] = app.sent
    key = kept["key"]
    assert kept == {"type": "keep", "key": key} and re.fullmatch(r"[A-Za-z0-9_-]{32}", key)
    assert "room=" not in app.navigation.query
    seen = [app.navigation.query, app.navigation.citation, app.navigation.static_address,
            json.dumps(app.room.controls.status), app.room.controls.message,
            json.dumps(app.presenter.widget.captions), app.presenter.widget.view,
            app._handout().decode("utf-8")]
    assert not [text for text in seen if key in text]
    assert app.presenter.widget.captions[-2] == ("This room's answers beside the projects' "
                                                 "evidence")


def test_a_join_address_no_phone_can_open_is_said_on_the_panel(state_dir, ds, monkeypatch):
    """The page opened as http://127.0.0.1:8866/ (``make serve`` as it is): its join address
    names the presenter's own machine, so the panel says phones cannot open it and what to
    do; a network address says nothing."""
    assert started(ds).room.controls.status["local_only"] == ""
    app = build("matrix", "present=1", ds=ds, strict=True)
    app.room.controls.send = lambda content, buffers=None: None
    app.room.controls._handle(None, {"type": "start", "href": LOCAL_PAGE}, None)
    assert app.room.controls.status["local_only"] == LOCAL_ONLY
    assert [reachable_from_phones(f"http://{host}:8866/room/ABCDEFG") for host in (
        "localhost", "127.0.0.1", "[::1]", "192.168.1.20", "workshop.example.org")] == [
        False, False, False, True, True]


def test_the_public_address_setting_decides_the_join_address(state_dir, ds, monkeypatch):
    """$EXPLORER_ROOM_URL (the server as the room reaches it) wins over the page's address."""
    monkeypatch.setenv("EXPLORER_ROOM_URL", "https://workshop.example.org/ctg")
    status = started(ds).room.controls.status
    assert status["join"] == f"https://workshop.example.org/ctg/room/{status['code']}"


def test_answers_show_up_once_revealed_with_the_room_beside_the_evidence(state_dir, ds):
    """Answers count at once; Reveal shows the bars with shares, the room's column, the rule
    for it and the nearest; each question's count of answers is shown."""
    app = started(ds)
    code = app.room.code
    store = RoomStore()
    for token in ("a", "b"):
        answer(store, code, token, "person_system", {"patient_beliefs": "clearly"})
    store.update_room(code, question=0)
    app.room.refresh()
    assert app.room.controls.status["joined"] == 2
    assert [a["answered"] for a in app.room.controls.status["answers"]] == [2, 2, 2]
    assert app.room.tally_html.value == "" and app.room.chart is None
    assert app.room.widget.children == (app.room.controls, app.room.downloads)
    act(app, "reveal")
    assert "Person and the wider health system" in app.room.tally_html.value
    assert "2 · 100%" in app.room.tally_html.value
    assert app.room.chart.figure["layout"]["xaxis"]["categoryarray"][-1] == "This room"
    assert "by 7 projects and this room" in app.room.chart.description
    assert "How the room's column is drawn" in app.room.rule.value
    assert "Nearest to this room" in app.room.nearest.value
    assert app.room.chart in app.room.widget.children
    assert app.room.rule in app.room.widget.children
    act(app, "hide")
    assert app.room.widget.children == (app.room.controls, app.room.downloads)
    assert app.room.chart is None
    store.close_store()


def test_next_lock_clear_and_close_steer_the_room(state_dir, ds):
    """The buttons change the stored room. Clear deletes the question on show's answers
    only, and only for the question the presenter confirmed; Close deletes the room and
    tells the browser to forget its key."""
    app = started(ds)
    code = app.room.code
    store = RoomStore()
    answer(store, code, "a", "person_system", {"patient_beliefs": "partly"})
    store.update_room(code, question=0)
    act(app, "reveal")
    act(app, "next")  # the next question is hidden until revealed in its turn
    assert (store.room(code).question, store.room(code).revealed) == (1, False)
    act(app, "lock")
    assert (store.room(code).question, store.room(code).locked) == (1, True)
    assert app.room.controls.status["title"] == deck(ds)[1].title
    act(app, "unlock")
    act(app, "clear", question=1)  # the page confirmed question 1, but 2 is on show
    assert app.room.controls.message.startswith("The question on show has changed")
    assert store.tally(code).respondents == {"relationship": 1, "mechanisms": 1,
                                             "foundations": 1}
    act(app, "clear", question=2)
    assert store.tally(code).respondents == {"relationship": 1, "foundations": 1}
    assert app.room.controls.message == (
        f"Cleared 1 answer to question 2 ({deck(ds)[1].title}). The other questions keep "
        "their answers.")
    act(app, "close")
    assert store.open_rooms() == []
    assert app.room.controls.status == {"open": False}
    assert app.sent[-1] == {"type": "forget"}
    assert app.room.controls.message == "The room is closed: its answers are deleted."
    assert "This room's answers" not in " ".join(app.presenter.widget.captions)
    store.close_store()


def test_a_new_kernel_takes_the_room_up_again_from_the_key_the_browser_offers(state_dir, ds):
    """A reload or a restart: the browser offers the key it kept, and a fresh app finds the
    room and its tally; an address is never needed."""
    app = started(ds)
    code, key = app.room.code, app.sent[0]["key"]
    store = RoomStore()
    answer(store, code, "a", "person_system", {"patient_beliefs": "clearly"})
    store.close_store()
    again = build("matrix", "present=1", ds=ds, strict=True)
    again.room.controls._handle(None, {"type": "hello", "href": PAGE, "key": key}, None)
    assert again.room.code == code
    assert again.room.controls.status["joined"] == 1


def test_a_presenter_reloading_on_the_rooms_step_gets_it_back(state_dir, ds):
    """Reloaded on the room's step (its address names step N only), the page first shows
    step N without a room; once the browser offers the key, the room is taken up and step N
    is the room beside the evidence again."""
    app = started(ds)
    key = app.sent[0]["key"]
    number = len(app.presenter.steps) - 1  # the room's step, before the lessons
    again = build("lessons", f"present=1&step={number}", ds=ds, strict=True)
    assert again.page.name == "lessons"
    again.room.controls._handle(None, {"type": "hello", "href": PAGE, "key": key}, None)
    assert (again.page.name, again.state.get("columns"), again.state.get("step")) == (
        "matrix", "project", str(number))
    assert again.presenter.widget.step == number
    assert "ctg-room-folded" not in again.room.widget._dom_classes


def test_the_room_folds_on_the_other_steps_so_that_their_view_shows(state_dir, ds):
    """On a guided step that is not the room's, the open room's panel folds to its code,
    counts and buttons; on the room's step, or off the steps, it is whole."""
    app = build("lessons", "present=1&step=5", ds=ds, strict=True)
    app.room.controls.send = lambda content, buffers=None: None
    app.room.controls._handle(None, {"type": "start", "href": PAGE}, None)
    assert "ctg-room-folded" in app.room.widget._dom_classes  # the lessons, now step 6
    app.open("matrix", "columns=project&present=1&step=5")
    assert "ctg-room-folded" not in app.room.widget._dom_classes  # the room's own step
    app.open("overview", "present=1")
    assert "ctg-room-folded" not in app.room.widget._dom_classes  # no step on show


def test_a_step_keeps_its_place_when_a_room_opens_or_closes(state_dir, ds):
    """On the lessons step (5 of 5), Start a room: the page stays, now step 6 of 6 (the
    room's step comes before it); Close: step 5 of 5 again."""
    app = build("lessons", "present=1&step=5", ds=ds, strict=True)
    app.room.controls.send = lambda content, buffers=None: None
    app.room.controls._handle(None, {"type": "start", "href": PAGE}, None)
    assert (app.page.name, app.state.get("step"), app.presenter.widget.step) == (
        "lessons", "6", 6)
    assert "step=6" in app.navigation.query
    act(app, "close")
    assert (app.page.name, app.state.get("step"), app.presenter.widget.step) == (
        "lessons", "5", 5)


def test_an_old_address_with_a_room_key_grants_nothing(state_dir, ds):
    """An address carrying room=<the very key> (as the explorer once wrote it) opens no room,
    says the setting was ignored, and the address loses it."""
    app = started(ds)
    key = app.sent[0]["key"]
    crafted = build("matrix", f"present=1&room={key}", ds=ds, strict=True)
    assert crafted.room.code is None
    assert crafted.room.controls.status == {"open": False}
    assert "Ignored the unknown setting 'room'." in crafted.state.notes
    assert "room=" not in crafted.navigation.query and key not in crafted.navigation.query


def test_a_key_whose_room_has_gone_is_forgotten_with_a_sentence(state_dir, ds):
    """The browser offers a key whose room was closed: a sentence, and the browser is told to
    forget the key."""
    app = started(ds)
    key = app.sent[0]["key"]
    act(app, "close")
    again = build("matrix", "present=1", ds=ds, strict=True)
    sent = []
    again.room.controls.send = lambda content, buffers=None: sent.append(content)
    again.room.controls._handle(None, {"type": "hello", "href": PAGE, "key": key}, None)
    assert again.room.code is None
    assert sent == [{"type": "forget"}]
    assert again.room.controls.message == ("The room this browser last presented has closed "
                                           "or expired. Start a new one when you are ready.")


@pytest.mark.parametrize("bad", [{"type": "act", "action": "drop_tables"},
                                 {"type": "start", "href": "javascript:alert(1)"},
                                 {"type": "hello", "href": PAGE, "key": "<script>x</script>"},
                                 {"type": "hello", "href": PAGE, "key": ["k" * 20]},
                                 "nonsense"])
def test_a_bad_panel_message_changes_nothing(state_dir, ds, bad):
    """Unknown actions, addresses that are not web addresses and keys that cannot be keys
    open or change nothing."""
    app = build("matrix", "present=1", ds=ds, strict=True)
    app.room.controls._handle(None, bad, None)
    assert app.room.controls.status == {"open": False}
    assert not (state_dir / "rooms.sqlite").exists()


class HangingStore(RoomStore):
    """A store whose tally does not answer until released (a slow or cut-off database)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.release = threading.Event()
        self.waiting = threading.Event()

    def tally(self, code):
        self.waiting.set()
        self.release.wait(30)
        return super().tally(code)


def test_a_store_that_hangs_never_freezes_the_presenters_page(tmp_path, ds, monkeypatch):
    """While the store does not answer, the kernel's loop keeps running (other work goes
    on), the panel says it is waiting, and it catches up once the store answers."""
    import explorer.app.dashboards.room as panel_module

    monkeypatch.setattr(panel_module, "SLOW_S", 0.05)
    monkeypatch.setattr(panel_module, "POLL_S", 0.01)
    store = HangingStore(f"sqlite:///{tmp_path / 'rooms.sqlite'}")
    questions = deck(ds)
    code = store.create_room(questions, presenter_key="k" * 24).code
    store.answer(code, "p", "relationship", {"": questions[0].choices[0].id})

    async def presenting() -> tuple[bool, str, int]:
        panel = panel_module.RoomPanel(ds, lambda *_room: None, store=store)
        panel.controls.send = lambda content, buffers=None: None
        panel.hello(PAGE, "k" * 24)  # the room is taken up; its first tally hangs
        turns = 0
        # The loop is free while the store hangs: this coroutine keeps turning until the
        # panel says it is waiting (a frozen loop would never get here: fail, not hang).
        while not panel.controls.notice and turns < 3000:
            turns += 1
            await asyncio.sleep(0.01)
        notice = panel.controls.notice
        hung = not store.release.is_set() and store.waiting.is_set()
        store.release.set()
        while panel.controls.status.get("joined") != 1:
            await asyncio.sleep(0.01)
        panel.close()
        return hung, notice, panel.controls.status["joined"]

    # In a thread of its own: this process may already run a loop in its main thread (a
    # browser suite's Playwright, in the same test worker).
    with ThreadPoolExecutor(1) as thread:
        hung, notice, joined = thread.submit(asyncio.run, presenting()).result(timeout=120)
    assert hung
    assert notice == panel_module.WAITING
    assert joined == 1
    store.close_store()


def test_an_earlier_rooms_export_stands_beside_the_room(state_dir, ds):
    """Load a previous room's CSV: its column joins the matrix beside this room's, named by
    its code, date and size, and the text alternative counts two rooms; Stop comparing takes
    it away."""
    questions = deck(ds)
    store = RoomStore()
    earlier = store.create_room(questions).code
    for n in range(3):
        answer(store, earlier, f"e{n}", "person_system", {"patient_beliefs": "not_yet"})
    exported = export_csv(store, earlier).encode("utf-8")
    app = started(ds)
    answer(store, app.room.code, "a", "person_system", {"patient_beliefs": "clearly"})
    act(app, "reveal")
    app.room.controls._handle(None, {"type": "compare"}, [memoryview(exported)])
    label = app.room.earlier[1]
    assert re.fullmatch(rf"Room {earlier}, \d+ \w+ \d{{4}} \(3 people\)", label)
    columns = [c.replace("<br>", " ") for c in
               app.room.chart.figure["layout"]["xaxis"]["categoryarray"]]
    assert columns[-2:] == [label, "This room"]
    assert len(app.room.chart.figure["layout"]["shapes"]) == 2  # a band behind each room
    assert f"by 7 projects and 2 rooms ({label}, This room)" in app.room.chart.description
    assert app.room.controls.status["comparing"] == label
    app.room.controls._handle(None, {"type": "uncompare"}, None)
    assert len(app.room.chart.figure["layout"]["shapes"]) == 1
    store.close_store()


@pytest.mark.parametrize(("content", "expected"), [
    (b"\xff\xfe\x00not text", "That file is not text (a room's answers are a CSV file). "
                             "Nothing was changed."),
    (b"name,score\nann,3\n", "That file is not a room's answers as the explorer exports "
                             "them: it has no 'room', 'participant', 'answered_at_utc', "
                             "'question_id', 'item_id', 'answer_id' column. Use a CSV from "
                             "Download the answers or the command python -m explorer room export. "
                             "Nothing was changed."),
    (b"room,participant,question,item,answer,answered_at_utc,question_id,item_id,answer_id\n",
     "That file holds no answers. Nothing was changed."),
    (b"room,participant,question,item,answer,answered_at_utc,question_id,item_id,answer_id\n"
     b"ABCDEFG,1,Q,,X,2026-01-01 10:00:00,relationship,,not_a_relationship\n",
     "Line 2 of that file is not an answer to this room's questions, so it cannot be compared "
     "(it may come from another programme's explorer). Nothing was changed."),
    (b"room,participant,question,item,answer,answered_at_utc,question_id,item_id,answer_id\n"
     b"ABCDEFG,1,Q,,X,2026-01-01 10:00:00,relationship,,person_system\n"
     b"HJKMNPQ,1,Q,,X,2026-01-01 10:00:00,relationship,,person_system\n",
     "That file holds answers from more than one room, or a room code that is not one. "
     "Nothing was changed."),
    (b"x" * 5_000_001, "That file is too large to be a room's answers (over 5 MB). Nothing "
                       "was changed."),
])
def test_a_file_that_is_no_rooms_export_changes_nothing_and_says_why(state_dir, ds, content,
                                                                     expected):
    """Each way a file can fail to be a room's export has its own sentence, and the room's
    view is as it was."""
    app = started(ds)
    act(app, "reveal")
    before = app.room.chart.figure
    app.room.controls._handle(None, {"type": "compare"}, [memoryview(content)])
    assert app.room.controls.message == expected
    assert app.room.earlier is None and app.room.chart.figure == before


def test_the_room_report_holds_the_answers_the_evidence_and_the_caveat(state_dir, ds):
    """The report: the room's code and date, each question's counts and shares with "None
    of these", the room beside the projects (a tie named), the rule, the nearest projects,
    the data's version and the caveat; one page, no script, nothing fetched."""
    from explorer.rooms.report import room_report_html

    questions = deck(ds)
    store = RoomStore()
    code = store.create_room(questions).code
    answer(store, code, "a", "person_system", {"patient_beliefs": "clearly"}, ["leadership"])
    answer(store, code, "b", "person_system", {"patient_beliefs": "partly"})
    page = room_report_html(ds, store.tally(code))
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))
    assert f"Room {code}: the room's answers beside the evidence" in text
    assert "2 participants answered at least one question" in text
    assert "None of these 1 50%" in text and "Leadership 1 50%" in text
    assert "= A tie: Clearly and Partly, 1 each" in text
    assert "Mechanisms by 7 projects and this room" in text
    assert "no tie is broken" in text
    assert f"Dataset version {ds.version}, data as of {ds.data_as_of}" in text
    assert "not findings of OPM" in text and "they are not evidence" in text
    assert "Nearest to this room's answers" in text
    assert "<script" not in page and not re.search(r"(src|href)=\"https?://", page)
    store.close_store()


# -- the command line -----------------------------------------------------------------------

def run(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "explorer", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def shell_env(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if k != "EXPLORER_ROOM_DB"}
    env["EXPLORER_STATE"] = str(tmp_path / "state")
    return env


def test_the_shell_opens_exports_and_closes_a_room(shell_env, tmp_path):
    """open prints the code and join address; close --export writes the CSV, then deletes."""
    opened = run("room", "open", "--base", "http://10.0.0.5:8866", env=shell_env)
    assert opened.returncode == 0, opened.stderr
    code = re.search(r"room ([2-9A-Z]{7}) open", opened.stdout).group(1)
    assert f"join: http://10.0.0.5:8866/room/{code}" in opened.stdout
    assert "Phones cannot open" not in opened.stderr
    local = run("room", "open", env=shell_env)  # the default base: this computer's own
    assert local.returncode == 0 and LOCAL_ONLY_BASE in local.stderr
    local_code = re.search(r"room ([2-9A-Z]{7}) open", local.stdout).group(1)
    assert run("room", "close", local_code, env=shell_env).returncode == 0
    assert code in run("room", "list", env=shell_env).stdout
    out = tmp_path / "answers.csv"
    closed = run("room", "close", code, "--export", str(out), env=shell_env)
    assert closed.returncode == 0, closed.stderr
    assert out.read_text().startswith("room,participant,question,item,answer,answered_at_utc")
    assert "closed: it and its answers are deleted" in closed.stdout
    assert run("room", "list", env=shell_env).stdout == "No room is open.\n"


def test_the_shell_writes_a_rooms_report(state_dir, ds, tmp_path, capsys):
    """room report CODE --out FILE writes the room report; an unknown room exits 1 with its
    sentence and writes nothing."""
    from explorer.cli import main

    store = RoomStore()
    code = store.create_room(deck(ds)).code
    store.close_store()
    out = tmp_path / "report.html"
    assert main(["room", "report", code, "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {out}"
    assert f"Room {code}: the room" in out.read_text(encoding="utf-8")
    assert main(["room", "report", "ABCDEFG", "--out", str(tmp_path / "no.html")]) == 1
    assert capsys.readouterr().err.strip() == (
        "explorer room: There is no open room with that code. Check the code with the "
        "facilitator.")
    assert not (tmp_path / "no.html").exists()


def test_the_shell_says_when_a_room_is_unknown_or_not_a_code(shell_env):
    """An unknown room exits 1 with the participant's sentence; a malformed code exits 2."""
    missing = run("room", "export", "ABCDEFG", env=shell_env)
    assert (missing.returncode, missing.stderr.strip()) == (
        1, "explorer room: There is no open room with that code. Check the code with the "
           "facilitator.")
    wrong = run("room", "close", "nope", env=shell_env)
    assert (wrong.returncode, wrong.stderr.strip()) == (
        2, "explorer room: 'nope' is not a room code")
    assert "Traceback" not in missing.stderr + wrong.stderr


def test_a_relative_public_address_is_read_from_the_presenters_page(state_dir, ds,
                                                                    monkeypatch):
    """On JupyterHub, EXPLORER_ROOM_URL=/services/room/ names the hub's join page service."""
    monkeypatch.setenv("EXPLORER_ROOM_URL", "/services/room/")
    app = build("matrix", "present=1", ds=ds, strict=True)
    app.room.controls._handle(None, {"type": "start", "href": "https://hub.example.org/user/"
                                     "ab12/voila/render/matrix.ipynb?present=1"}, None)
    status = app.room.controls.status
    assert status["join"] == f"https://hub.example.org/services/room/room/{status['code']}"


def test_the_join_page_serves_alone_as_a_hub_service(shell_env):
    """`room serve --base-url /services/room/` answers the join page there, with no Voila."""
    import socket
    import time

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "explorer", "room", "serve", f"--port={port}",
         "--base-url", "/services/room/"], cwd=ROOT, env=shell_env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, body = time.monotonic() + 60, ""
        while time.monotonic() < deadline and not body:
            reply = http_get(f"http://127.0.0.1:{port}/services/room/room/join", timeout=5)
            if reply is not None and reply[0] == 200:
                body = reply[1]
            else:
                time.sleep(0.2)
        assert 'name="code"' in body
        assert 'action="/services/room/room/join"' in body
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_question_of_an_unknown_kind_takes_no_answer():
    """A deck with a kind the join page does not know (a newer explorer's) refuses answers."""
    with pytest.raises(AnswerError) as caught:
        check_answer(Question("q", "free_text", "Q", "Say anything", ()), {"text": ["hi"]})
    assert str(caught.value) == "This question cannot be answered here."


def test_a_page_address_that_cannot_be_joined_opens_no_room(state_dir, ds):
    """Start from an address that is no web address: a sentence, no room."""
    app = build("matrix", "present=1", ds=ds, strict=True)
    app.room.controls._handle(None, {"type": "start", "href": "file:///tmp/x.html"}, None)
    assert app.room.controls.message == ("This page's address cannot be turned into a join "
                                         "address.")
    assert app.room.controls.status == {"open": False}


def test_a_room_closed_elsewhere_is_said_on_the_presenters_panel(state_dir, ds):
    """Closed from a shell while presenting: the next poll says so and forgets the room."""
    app = started(ds)
    store = RoomStore()
    store.close(app.room.code)
    store.close_store()
    app.room.refresh()
    assert app.room.controls.message == "This room has closed or expired. Start a new one."
    assert app.room.controls.status == {"open": False}


def test_the_shell_refuses_a_room_with_no_time_or_no_room_for_anyone(shell_env):
    """--hours 0 or --max 0: exit 2 and what is wrong; no room opened."""
    for flags in (("--hours", "0"), ("--max", "0")):
        result = run("room", "open", *flags, env=shell_env)
        assert (result.returncode, result.stderr.strip()) == (
            2, "explorer room: --hours and --max must be above 0")
    assert run("room", "list", env=shell_env).stdout == "No room is open.\n"


@pytest.mark.parametrize("module", sorted(p.stem for p in (ROOT / "explorer" / "rooms")
                                          .glob("*.py")))
def test_the_rooms_import_nothing_downstream(module):
    """explorer.rooms (store, questions, join page…) never imports the dashboards or the
    server, at the top or inside a function: the data flows one way."""
    import ast

    tree = ast.parse((ROOT / "explorer" / "rooms" / f"{module}.py").read_text())
    imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names}
    assert not {m for m in imported if "dashboards" in m or m.endswith("server")
                or m in ("voila", "ipywidgets", "anywidget")}
