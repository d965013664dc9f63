"""Specifications of the lessons exercise: the nearest project, the answers, the downloads.

Counts on the ``mini`` fixture (tests/fixtures/mini/README.md): ``alpha`` targets
person–professional and person–system and its evidence activates patient beliefs (evident)
and professional beliefs (partial; its other professional-beliefs record is not reported);
``beta`` targets person–system and activates professional beliefs (partial); ``gamma`` is
unidentified. Overlap = shared ÷ named by either side.
"""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pytest
from markupsafe import escape

import explorer
from explorer.evidence import lessons
from explorer.evidence.lessons import Answers, answer_values, answers_from_values, nearest_projects
from explorer.evidence.programme import Programme
from explorer.pages.registry import notebook_href
from explorer.pages.state import ViewState, parse_query, to_query
from explorer.pages.views.lessons import (
    download_csv,
    download_html,
    form_query,
    form_value,
    results_html,
)
from explorer.serve.first_view import first_view_html

PLANTED = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'


def closeness(frame: pd.DataFrame) -> dict[str, float]:
    return dict(zip(frame.project_id, frame.closeness, strict=True))


def nearest(frame: pd.DataFrame) -> list[str]:
    return list(frame[frame.nearest].project_id)


# -- the nearest project -----------------------------------------------------------------------

def test_unidentified_projects_are_never_compared(mini):
    """gamma has no profile: it is left out, whatever the answers."""
    assert list(nearest_projects(mini, ["person_system"], []).project_id) == ["beta", "alpha"]


def test_a_project_profile_is_its_relationships_and_its_activated_mechanisms(mini):
    """alpha's not-reported professional-beliefs record does not count; its partial one does."""
    frame = nearest_projects(mini, [], []).set_index("project_id")
    assert frame.at["alpha", "relationships"] == ("individual_professional", "person_system")
    assert frame.at["alpha", "mechanisms"] == ("patient_beliefs", "professional_beliefs")
    assert frame.at["beta", "mechanisms"] == ("professional_beliefs",)


def test_the_same_profile_is_nearest_with_full_closeness(mini):
    """Person–system + professional beliefs: beta shares 1 of 1 twice (2.0); alpha shares
    1 of 2 twice (0.5 + 0.5)."""
    frame = nearest_projects(mini, ["person_system"], ["professional_beliefs"])
    assert closeness(frame) == {"beta": 2.0, "alpha": 1.0}
    assert nearest(frame) == ["beta"]
    assert frame.iloc[0].shared_mechanisms == ("professional_beliefs",)


def test_overlap_is_shared_over_either_so_a_broader_project_is_further(mini):
    """Person–professional + patient beliefs: alpha 1/2 + 1/2 = 1.0; beta shares nothing."""
    frame = nearest_projects(mini, ["individual_professional"], ["patient_beliefs"])
    assert closeness(frame) == {"alpha": 1.0, "beta": 0.0}
    assert nearest(frame) == ["alpha"]


def test_relationships_alone_can_pick_the_nearest(mini):
    """Person–system only: beta 1/1 = 1.0, alpha 1/2 = 0.5; no mechanism part."""
    frame = nearest_projects(mini, ["person_system"], [])
    assert closeness(frame) == {"beta": 1.0, "alpha": 0.5}
    assert list(frame.mechanism_overlap) == [0.0, 0.0]


def test_ties_are_all_nearest_in_the_packages_order(mini):
    """Person–system + both mechanisms: alpha 1/2 + 2/2 and beta 1/1 + 1/2, both 1.5."""
    frame = nearest_projects(mini, ["person_system"],
                             ["patient_beliefs", "professional_beliefs"])
    assert closeness(frame) == {"alpha": 1.5, "beta": 1.5}
    assert nearest(frame) == ["alpha", "beta"]


def test_no_answers_means_no_nearest_project(mini):
    """With nothing ticked every closeness is 0 and no project is called nearest."""
    frame = nearest_projects(mini, [], [])
    assert set(frame.closeness) == {0.0}
    assert nearest(frame) == []


def test_nearest_on_the_embedded_data_is_the_top_closeness(ds):
    """On the real data the function ranks every identified project, closest first."""
    frame = nearest_projects(ds, ["person_system"], ["patient_beliefs", "systems_processes"])
    identified = ds.projects[ds.projects.membership.astype(str) != "unidentified"]
    assert sorted(frame.project_id) == sorted(identified.project_id)
    assert list(frame.closeness) == sorted(frame.closeness, reverse=True)
    assert frame.nearest.iloc[0] and frame[frame.nearest].closeness.nunique() == 1


# -- answers ⇄ the page address -----------------------------------------------------------------

ANSWERS = Answers(name="Our ward, = team", relationships=("person_system",),
                  mechanisms=("professional_beliefs",),
                  how={"professional_beliefs": "peer training, weekly & more",
                       "patient_beliefs": "not yet: maybe"},
                  foundations={"leadership": "partly"})


def test_answers_round_trip_through_the_page_address(mini):
    """Answers → address → answers gives the same answers (texts with commas and &)."""
    state = ViewState("lessons").with_values(**answer_values(mini, ANSWERS))
    again = parse_query(mini, "lessons", to_query(state))
    assert again.notes == ()
    assert answers_from_values(again.values) == ANSWERS


def test_an_answer_taken_back_leaves_the_address(mini):
    """Unticking and clearing remove their parameters (None values), not leave stale ones."""
    state = ViewState("lessons").with_values(**answer_values(mini, ANSWERS))
    state = state.with_values(**answer_values(mini, Answers(relationships=("person_system",))))
    assert to_query(state) == "?relationship_type=person_system"


def test_the_form_value_is_checked_like_a_link(mini):
    """What the browser sends goes through parse_query: wrong types are left out, unknown ids
    and unacceptable texts are dropped with a note."""
    value = {"name": 42, "relationship_type": ["person_system", "zeta", 7],
             "mechanism": "patient_beliefs", "how": {"patient_beliefs": "a\x00b",
                                                     "professional_beliefs": "fine"},
             "foundation": {"leadership": "yes"}, "recommendation": None}
    state = parse_query(mini, "lessons", form_query(value))
    assert answers_from_values(state.values) == Answers(
        relationships=("person_system",), how={"professional_beliefs": "fine"})
    assert "Ignored 'zeta': it is not a known relationship type." in state.notes
    assert "Ignored 'leadership:yes': it is not a known foundation answer." in state.notes
    assert any("cannot be shown" in note for note in state.notes)
    assert form_query("not a dict") == ""


def test_form_value_restores_the_answers(mini):
    """The form is filled from the answers a link holds."""
    assert form_value(ANSWERS) == {
        "name": "Our ward, = team", "relationship_type": ["person_system"],
        "mechanism": ["professional_beliefs"],
        "how": {"professional_beliefs": "peer training, weekly & more",
                "patient_beliefs": "not yet: maybe"},
        "foundation": {"leadership": "partly"}, "recommendation": []}


# -- what is shown and what is downloaded ---------------------------------------------------------

@pytest.fixture
def with_recommendation(mini_copy) -> explorer.Dataset:
    """The mini package plus one recommendation, for the checklist."""
    mini_copy.append_text("findings", "f2,ctg,recommendation,say that relationships are the "
                                      "aim,2,hf-programme-page,stated,\n")
    return explorer.load(mini_copy.path)


def test_the_answers_table_is_the_whole_exercise(with_recommendation):
    """One row per item, in order; unanswered items say so."""
    table = lessons.answers_table(with_recommendation, Answers(
        relationships=("person_system",), mechanisms=("patient_beliefs",),
        how={"patient_beliefs": "peer mentors"}, recommendations=("f2",)))
    assert table.values.tolist() == [
        ["Project", "Name", "Not answered", ""],
        ["Relationship targeted", "Person and professional", "Not answered", ""],
        ["Relationship targeted", "Person and system", "Yes", ""],
        ["Mechanism to activate", "patient beliefs", "Yes", "peer mentors"],
        ["Mechanism to activate", "professional beliefs", "Not answered", ""],
        ["Foundation in place", "Leadership", "Not answered", ""],
        ["Recommendation: we do this", "say that relationships are the aim", "Yes", ""],
    ]


def test_the_csv_download_is_the_answers_table_with_formulas_made_inert(mini):
    """The CSV holds exactly the table shown; a typed formula cannot run in a spreadsheet."""
    answers = Answers(name="=HYPERLINK(\"http://x\")", mechanisms=("patient_beliefs",),
                      how={"patient_beliefs": "+1 peer mentors"})
    rows = list(csv.reader(io.StringIO(download_csv(mini, answers))))
    shown = lessons.answers_table(mini, answers)
    assert rows[0] == list(shown.columns)
    assert rows[1] == ["Project", "Name", "'=HYPERLINK(\"http://x\")", ""]
    assert rows[4] == ["Mechanism to activate", "patient beliefs", "Yes", "'+1 peer mentors"]
    assert len(rows) == len(shown) + 1


def _text(markup: str) -> str:
    """What a reader sees of some markup: tags dropped, whitespace squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)).strip()


def test_the_html_download_holds_what_the_page_shows(with_recommendation):
    """The download's results are the page's results word for word (without links), in one
    self-contained page: no scripts, no styles or images fetched from anywhere."""
    answers = Answers(name="Ward 7", relationships=("person_system",),
                      mechanisms=("professional_beliefs",), foundations={"leadership": "not_yet"},
                      recommendations=("f2",))
    shown = str(results_html(with_recommendation, answers, notebook_href))
    document = download_html(with_recommendation, answers, "lessons.ipynb?name=Ward+7")
    body = document[document.index('<div class="ctg-lessons-results">'):]
    assert _text(body).removesuffix("</body></html>").strip() == _text(shown)
    assert "<script" not in document.lower() and "<link" not in document.lower()
    assert not re.search(r"\bsrc=|url\(|@import", document)
    assert 'href="story.ipynb' in shown and 'href="story.ipynb' not in document
    assert "<title>Lessons for Ward 7</title>" in document
    assert "<code>lessons.ipynb?name=Ward+7</code>" in document
    assert "You say you do 1 of 1." in document


def test_typed_html_is_text_on_the_page_and_in_both_downloads(mini):
    """HTML typed into any answer is escaped everywhere it appears."""
    answers = Answers(name=PLANTED, relationships=("person_system",),
                      mechanisms=("professional_beliefs",),
                      how={"professional_beliefs": PLANTED})
    for markup in (str(results_html(mini, answers)),
                   download_html(mini, answers, "lessons.ipynb?name=x")):
        assert "<img" not in markup and "<script" not in markup
        assert "&lt;img src=x onerror=" in markup
    rows = list(csv.reader(io.StringIO(download_csv(mini, answers))))
    assert rows[1][2] == PLANTED  # in a CSV it is plain text, exactly as typed


def test_the_nearest_projects_evidence_sits_beside_the_plan(mini):
    """The nearest project's ratings come with badges, links to its matrix cells and story,
    and its records' own explanations."""
    answers = Answers(relationships=("person_system",), mechanisms=("professional_beliefs",),
                      how={"professional_beliefs": "peer training"})
    shown = str(results_html(mini, answers, notebook_href))
    nearest_block = shown[shown.index('<div class="ctg-nearest">'):]
    assert '<a href="story.ipynb?project=beta">Beta</a>' in nearest_block
    assert 'href="matrix.ipynb?cell=professional_beliefs:beta"' in nearest_block
    assert "ctg-strength-partial" in nearest_block and "peer training" in nearest_block
    assert "Closeness" not in nearest_block  # no score to decode: what is shared, in words
    assert ("Mechanisms you intend that their evidence shows activated: professional beliefs"
            in nearest_block)
    assert "Tick at least one" in str(results_html(mini, Answers()))


# -- the page ------------------------------------------------------------------------------------

def lessons_app(ds: explorer.Dataset, query_string: str = ""):
    from test_dashboards import open_app

    return open_app(ds, "lessons", query_string)


def test_a_link_fills_in_the_form_and_the_results(mini):
    """Opening a lessons link restores the answers in the form and shows the comparison."""
    app = lessons_app(mini, "relationship_type=person_system&mechanism=professional_beliefs"
                            "&how.professional_beliefs=peer+training&foundation=leadership:partly")
    form, results = app.current.widgets["form"], app.current.widgets["results"]
    assert form.value == form_value(Answers(
        relationships=("person_system",), mechanisms=("professional_beliefs",),
        how={"professional_beliefs": "peer training"}, foundations={"leadership": "partly"}))
    assert '<a href="story.ipynb?project=beta">Beta</a>' in results.value
    assert form.questions["levels"] == [["in_place", "In place"], ["partly", "Partly"],
                                             ["not_yet", "Not yet"]]


def test_answering_updates_the_address_results_and_downloads(mini):
    """A tick or a typed answer goes into the address and the downloads at once."""
    app = lessons_app(mini)
    widgets = app.current.widgets
    assert app.navigation.query == ""
    widgets["form"].value = {"name": "Ward 7", "relationship_type": ["individual_professional"],
                             "mechanism": ["patient_beliefs"],
                             "how": {"patient_beliefs": "mentors"},
                             "foundation": {}, "recommendation": []}
    assert app.navigation.query == ("?name=Ward+7&relationship_type=individual_professional"
                                    "&mechanism=patient_beliefs&how.patient_beliefs=mentors")
    assert '<a href="story.ipynb?project=alpha">Alpha</a>' in widgets["results"].value
    assert widgets["html"].filename == "lessons-ward-7.html"
    assert widgets["csv"].filename == "lessons-ward-7.csv"
    widgets["form"].value = {**widgets["form"].value, "how": {}, "name": ""}
    assert app.navigation.query == ("?relationship_type=individual_professional"
                                    "&mechanism=patient_beliefs")


def test_a_refused_answer_is_said_in_plain_words_and_nothing_else_changes(mini):
    """A pasted control character is not kept; the page says so and keeps the rest."""
    app = lessons_app(mini)
    app.current.widgets["form"].value = {"name": "Ward\x007", "mechanism": ["patient_beliefs"]}
    assert app.navigation.query == "?mechanism=patient_beliefs"
    assert "cannot be shown" in app.current.message.value


def test_the_downloads_carry_the_current_answers(mini):
    """The page's HTML and CSV buttons give exactly download_html and download_csv, built
    when the reader asks."""
    from test_dashboards import fetch

    app = lessons_app(mini, "name=Ward+7&mechanism=patient_beliefs")
    answers = Answers(name="Ward 7", mechanisms=("patient_beliefs",))
    content, html_file = fetch(app.current.widgets["html"])
    link = "lessons.ipynb?name=Ward+7&mechanism=patient_beliefs"
    assert content["filename"] == "lessons-ward-7.html"
    assert html_file.decode("utf-8") == download_html(mini, answers, link)
    assert "<code>lessons.ipynb?name=Ward+7&amp;mechanism=patient_beliefs</code>" in (
        html_file.decode("utf-8"))
    _, csv_file = fetch(app.current.widgets["csv"])
    assert csv_file.decode("utf-8") == download_csv(mini, answers)


def test_the_lessons_and_the_rooms_ask_the_same_framework_in_the_same_order(mini_copy):
    """One builder (``questions.framework_choices``) gives both the exercise's items and the
    room's: same ids, labels and definitions, and rows sharing a display order keep the
    file's order (a stable sort)."""
    from explorer.evidence.questions import deck

    rows = mini_copy.rows("mechanisms")
    for line in range(2, len(rows) + 1):
        mini_copy.set_cell("mechanisms", line, "display_order", "1")
    ds = explorer.load(mini_copy.path)
    file_order = tuple(str(i) for i in ds.mechanisms.mechanism_id)
    exercise, room = lessons.exercise(ds), deck(ds)
    assert tuple(c.id for c in exercise.mechanisms) == file_order
    assert exercise.mechanisms == room.get("mechanisms").items
    assert exercise.relationships == room.get("relationship").choices
    assert exercise.foundations == room.get("foundations").choices


def test_the_live_page_shows_no_stray_note_before_any_question(ds):
    """Before a reader chooses anything, the live lessons page says what the exercise is and
    asks; the programme's notes on foundations and mechanisms stand beside the questions
    they explain, and the worksheet's 'print it' advice is for paper only."""
    programme = Programme.of(ds)
    shown = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", str(
        first_view_html(ds, "lessons", parse_query(ds, "lessons", "")))))
    before, _, questions = shown.partition("Which relationship")
    for note in ("foundations_note", "mechanisms_note"):
        text = str(escape(programme.text(note)))
        assert text not in before and text in questions
    assert "Print it and fill it in" not in shown
