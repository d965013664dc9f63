"""Specifications of a live room above the store: its questions from the data, the pure
profile beside the evidence, the presenter's panel in the kernel, and the command line."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import plotly.graph_objects as go
import pytest
from http_kit import http_get

from explorer import figures
from explorer.dashboards import build
from explorer.errors import AnswerError
from explorer.rooms import Deck, RoomStore, check_answer, deck
from explorer.rooms.cli import export_csv
from explorer.rooms.profile import (
    LEVEL_STRENGTH,
    export_frame,
    matrix_with_room,
    question_counts,
    room_cells,
    room_nearest,
)
from explorer.rooms.questions import Choice, Question

ROOT = Path(__file__).resolve().parents[1]
PAGE = "http://192.168.1.20:8866/voila/render/matrix.ipynb?present=1"


def answer(store, code, token, relationship, levels, foundations=()):
    store.join(code, token)
    store.answer(code, token, "relationship", {"": relationship})
    store.answer(code, token, "mechanisms", levels)
    store.answer(code, token, "foundations", {f: "yes" for f in foundations})


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
    # a tie between not yet and don't know goes to the less certain answer
    assert cells.at["systems_processes", "strength"] == "not_reported"
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
    """The figure validates, has the room as its last column and a band behind it."""
    code = store.create_room(deck(ds)).code
    answer(store, code, "a", "person_system", {"patient_beliefs": "clearly"})
    cells = matrix_with_room(ds, store.tally(code))
    figure = figures.room_matrix_figure(cells)
    go.Figure(figure)
    assert figure["layout"]["xaxis"]["categoryarray"][-1] == "This room"
    band = figure["layout"]["shapes"][0]
    assert (band["x0"], band["x1"]) == (len(ds.projects) - 0.5, len(ds.projects) + 0.5)
    assert "This room" in figure["layout"]["title"]["subtitle"]["text"]


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


def test_question_counts_list_every_option_even_unchosen_ones(store, ds):
    """The tally's bars: every option with its count, zero included."""
    questions = deck(ds)
    code = store.create_room(questions).code
    answer(store, code, "a", "person_system", {"patient_beliefs": "partly"}, ["leadership"])
    tally = store.tally(code)
    [(_title, options)] = question_counts(tally, questions[0])
    assert dict(options)["Person and the wider health system"] == 1
    assert len(options) == len(questions[0].choices)
    rows = question_counts(tally, questions[1])
    assert [label for label, _ in rows] == [i.label for i in questions[1].items]
    assert dict(rows[0][1])["Partly"] == 1
    assert dict(question_counts(tally, questions[2])[0][1])["Leadership"] == 1


def test_the_export_has_labels_and_keeps_formulas_inert(store, ds):
    """The CSV names questions and answers in words; a label starting '=' gets an apostrophe."""
    questions = deck(ds)
    hostile = Question("relationship", "one", "=cmd|' /C calc'!A0", "Pick one",
                       (Choice("a", "=HYPERLINK(\"http://x\")"),))
    room = store.create_room(Deck((hostile, questions[1], questions[2])))
    store.join(room.code, "p")
    store.answer(room.code, "p", "relationship", {"": "a"})
    store.answer(room.code, "p", "mechanisms", {"patient_beliefs": "not_yet"})
    rows = list(csv.DictReader(io.StringIO(export_csv(store, room.code))))
    assert [r["answer"] for r in rows] == ["Not yet", "'=HYPERLINK(\"http://x\")"]
    assert rows[1]["question"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["item"] == "Patient beliefs and behaviour"
    assert {r["participant"] for r in rows} == {"1"}
    frame = export_frame(room.code, store.room(room.code).deck, store.answers(room.code))
    assert list(frame.columns) == ["room", "participant", "question", "item", "answer",
                                   "answered_at_utc"]


# -- the presenter's panel, in the kernel ------------------------------------------------------

@pytest.fixture
def state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("EXPLORER_STATE", str(tmp_path / "state"))
    monkeypatch.delenv("EXPLORER_ROOM_DB", raising=False)
    monkeypatch.delenv("EXPLORER_ROOM_URL", raising=False)
    return tmp_path / "state"


def started(ds):
    app = build("matrix", "present=1", ds=ds, strict=True)
    app.room.controls._handle(None, {"type": "start", "href": PAGE}, None)
    return app


def test_start_a_room_shows_its_code_join_address_and_qr(state_dir, ds):
    """Start: the code, the join address on the page's server, a QR image, hidden tally."""
    app = started(ds)
    status = app.room.controls.status
    assert status["open"] and re.fullmatch(r"[2-9A-Z]{7}", status["code"])
    assert status["join"] == f"http://192.168.1.20:8866/room/{status['code']}"
    assert status["qr"].startswith("data:image/svg+xml")
    assert (status["joined"], status["answered"], status["revealed"]) == (0, 0, False)
    assert (state_dir / "rooms.sqlite").exists()


def test_the_rooms_key_joins_the_address_and_its_step_the_presentation(state_dir, ds):
    """The page's address keeps the room's key; the steps gain the room before the lessons."""
    app = started(ds)
    assert re.search(r"[?&]room=[A-Za-z0-9_-]{16,}", app.navigation.query)
    captions = app.presenter.widget.captions
    assert captions[-2] == "This room's answers beside the projects' evidence"


def test_the_public_address_setting_decides_the_join_address(state_dir, ds, monkeypatch):
    """$EXPLORER_ROOM_URL (the server as the room reaches it) wins over the page's address."""
    monkeypatch.setenv("EXPLORER_ROOM_URL", "https://workshop.example.org/ctg")
    status = started(ds).room.controls.status
    assert status["join"] == f"https://workshop.example.org/ctg/room/{status['code']}"


def test_answers_show_up_once_revealed_with_the_room_beside_the_evidence(state_dir, ds):
    """Answers count at once; Reveal shows the bars, the room's column and the nearest."""
    app = started(ds)
    code = app.room.code
    store = RoomStore()
    for token in ("a", "b"):
        answer(store, code, token, "person_system", {"patient_beliefs": "clearly"})
    app.room.refresh()
    assert app.room.controls.status["joined"] == 2
    assert app.room.tally_html.value == "" and app.room.chart is None
    assert app.room.widget.children == (app.room.controls,)
    app.room.controls._handle(None, {"type": "act", "action": "reveal"}, None)
    assert "Person and the wider health system" in app.room.tally_html.value
    assert app.room.chart.figure["layout"]["xaxis"]["categoryarray"][-1] == "This room"
    assert "Nearest to this room" in app.room.nearest.value
    assert app.room.chart in app.room.widget.children
    app.room.controls._handle(None, {"type": "act", "action": "hide"}, None)
    assert app.room.widget.children == (app.room.controls,) and app.room.chart is None
    store.close_store()


def test_next_lock_clear_and_close_steer_the_room(state_dir, ds):
    """The buttons change the stored room; Close deletes it and the address forgets it."""
    app = started(ds)
    code = app.room.code
    store = RoomStore()

    def act(action: str) -> None:
        app.room.controls._handle(None, {"type": "act", "action": action}, None)

    act("next")
    act("lock")
    assert (store.room(code).question, store.room(code).locked) == (1, True)
    assert app.room.controls.status["title"] == deck(ds)[1].title
    act("unlock")
    answer(store, code, "a", "person_system", {})
    act("clear")
    assert store.tally(code).respondents == {}
    act("close")
    assert store.open_rooms() == []
    assert app.room.controls.status == {"open": False}
    assert "room=" not in app.navigation.query
    assert app.room.controls.message == "The room is closed: its answers are deleted."
    store.close_store()


def test_a_new_kernel_on_the_same_address_takes_the_room_up_again(state_dir, ds):
    """A restart: the same address in a fresh app brings the room and its tally back."""
    app = started(ds)
    code = app.room.code
    store = RoomStore()
    answer(store, code, "a", "person_system", {"patient_beliefs": "clearly"})
    store.close_store()
    again = build("matrix", app.navigation.query, ds=ds, strict=True)
    assert again.room.code == code
    assert again.room.controls.status["joined"] == 1


def test_an_address_naming_a_closed_room_says_so(state_dir, ds):
    """A room key nobody holds any more: a sentence, and the key leaves the address."""
    app = build("matrix", "present=1&room=" + "x" * 24, ds=ds, strict=True)
    assert app.room.controls.message == ("The room this address names has closed or expired. "
                                         "Start a new one.")
    assert "room=" not in app.navigation.query


@pytest.mark.parametrize("bad", [{"type": "act", "action": "drop_tables"},
                                 {"type": "start", "href": "javascript:alert(1)"}, "nonsense"])
def test_a_bad_panel_message_changes_nothing(state_dir, ds, bad):
    """Unknown actions and addresses that are not web addresses open or change nothing."""
    app = build("matrix", "present=1", ds=ds, strict=True)
    app.room.controls._handle(None, bad, None)
    assert app.room.controls.status == {"open": False}
    assert not (state_dir / "rooms.sqlite").exists()


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
    assert code in run("room", "list", env=shell_env).stdout
    out = tmp_path / "answers.csv"
    closed = run("room", "close", code, "--export", str(out), env=shell_env)
    assert closed.returncode == 0, closed.stderr
    assert out.read_text().startswith("room,participant,question,item,answer,answered_at_utc")
    assert "closed: it and its answers are deleted" in closed.stdout
    assert run("room", "list", env=shell_env).stdout == ""


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
    assert app.room.refresh() is False
    assert app.room.controls.message == "This room has closed or expired. Start a new one."
    assert app.room.controls.status == {"open": False}


def test_the_shell_refuses_a_room_with_no_time_or_no_room_for_anyone(shell_env):
    """--hours 0 or --max 0: exit 2 and what is wrong; no room opened."""
    for flags in (("--hours", "0"), ("--max", "0")):
        result = run("room", "open", *flags, env=shell_env)
        assert (result.returncode, result.stderr.strip()) == (
            2, "explorer room: --hours and --max must be above 0")
    assert run("room", "list", env=shell_env).stdout == ""


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
