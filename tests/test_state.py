"""Specifications of explorer.state: URL query string ⇄ view state, safe on any input."""

from __future__ import annotations

import pytest

from explorer.evidence.query import Filters
from explorer.pages.state import ViewState, parse_query, to_query


def test_known_values_open_the_view(mini):
    """A link with known ids opens that view: its values, its filters and no notes."""
    state = parse_query(mini, "matrix", "project=alpha,beta&columns=setting_type&mechanism="
                                        "patient_beliefs")
    assert state.many("project") == ("alpha", "beta")
    assert state.get("columns") == "setting_type"
    assert state.filters(mini) == Filters(project=("alpha", "beta"), mechanism=("patient_beliefs",))
    assert state.notes == ()


def test_a_leading_question_mark_is_ignored(mini):
    """A query string that starts with "?" reads the same as one without it."""
    assert parse_query(mini, "story", "?project=beta").get("project") == "beta"


def test_round_trip_reopens_the_same_view(mini):
    """A view's link reopens the same view; it lists parameters in the page's order."""
    state = parse_query(mini, "matrix", "columns=context_dimension&strength=evident,partial"
                                        "&cell=patient_beliefs:financial&present=1")
    assert parse_query(mini, "matrix", to_query(state)).values == state.values
    assert to_query(state) == ("?columns=context_dimension&cell=patient_beliefs:financial"
                               "&strength=evident,partial&present=1")


def test_empty_state_gives_an_empty_query():
    """A view with nothing chosen has an empty query string, not a bare "?"."""
    assert to_query(ViewState("matrix")) == ""


@pytest.mark.parametrize(("query_string", "note"), [
    ("project=zeta", "Ignored 'zeta': it is not a known project."),
    ("colour=red", "Ignored the unknown setting 'colour'."),
    ("columns=../../etc/passwd",
     "Ignored '../../etc/passwd': it is not a known column choice."),
    ("project=%3Cscript%3Ealert(1)%3C/script%3E",
     "Ignored '<script>alert(1)</script>': it is not a known project."),
    ("project=alpha%00", "Ignored 'alpha?': it is not a known project."),
    ("project=%22onmouseover%3D%22x", """Ignored '"onmouseover="x': it is not a known project."""),
    ("project=alpha&project=beta", "Ignored a repeated 'project'; the first one is used."),
])
def test_unknown_or_hostile_values_are_dropped_with_a_note(mini, query_string, note):
    """Notes are plain text; the app escapes them (tests/test_app.py)."""
    state = parse_query(mini, "matrix", query_string)
    assert note in state.notes
    assert state.values == {} or state.values == {"project": ("alpha",)}


def test_a_4kb_value_is_dropped_and_the_note_stays_short(mini):
    """A 4 KB value is dropped, and the note about it stays under 120 characters."""
    state = parse_query(mini, "matrix", "project=" + "a" * 4096)
    assert state.values == {}
    assert len(state.notes[0]) < 120


def test_an_overlong_query_string_falls_back_to_the_default_view(mini):
    """An overlong query string is not read: the default view is shown, with a note saying why."""
    state = parse_query(mini, "matrix", "project=alpha&" * 400)
    assert state.values == {}
    assert state.notes == ("The link's address was too long to read, so the default view is "
                           "shown.",)


def test_a_bad_cell_reference_is_dropped(mini):
    """A cell reference to an unknown mechanism is dropped with a note; a valid one is kept."""
    assert parse_query(mini, "matrix", "cell=nonsense:alpha").notes
    assert parse_query(mini, "matrix", "cell=patient_beliefs:alpha").get("cell") == (
        "patient_beliefs:alpha")


def test_compare_needs_two_or_three_projects(mini):
    """Compare given one project drops it and says the default pair is shown."""
    state = parse_query(mini, "compare", "project=alpha")
    assert "project" not in state.values
    assert "Compare needs two or three projects; the default pair is shown." in state.notes


def test_parameters_are_per_view(mini):
    """The story view takes one project; extra facets are not its business."""
    state = parse_query(mini, "story", "project=alpha&strength=evident")
    assert state.values == {"project": ("alpha",)}
    assert "Ignored the unknown setting 'strength'." in state.notes


def test_with_values_changes_and_removes_parameters(mini):
    """Changing a view replaces a value and removes a parameter set to None, adding no note."""
    state = parse_query(mini, "matrix", "project=alpha&columns=setting_type")
    changed = state.with_values(project=("beta",), columns=None)
    assert changed.values == {"project": ("beta",)}
    assert changed.notes == ()


def test_presentation_mode_is_a_common_parameter(mini):
    """Any page reads present=1 as presentation mode; present=yes leaves it off."""
    assert parse_query(mini, "overview", "present=1").presenting
    assert not parse_query(mini, "overview", "present=yes").presenting


# -- free text (the lessons page's answers) ------------------------------------------------------

def test_free_text_is_kept_as_typed_and_round_trips(mini):
    """A short answer with commas, ampersands and quotes comes back exactly."""
    text = 'peer mentors, "buddies" & weekly huddles: 100% of staff'
    state = parse_query(mini, "lessons", to_query(
        ViewState("lessons", {"how.patient_beliefs": (text,), "name": ("Ward 7",)})))
    assert state.values == {"name": ("Ward 7",), "how.patient_beliefs": (text,)}
    assert state.notes == ()


def test_free_text_whitespace_is_squeezed_and_trimmed(mini):
    """Line breaks, tabs and runs of spaces become single spaces."""
    state = parse_query(mini, "lessons", "name=%20Ward%0A%0A7%09east%20%20")
    assert state.get("name") == "Ward 7 east"


def test_script_tags_in_free_text_are_kept_as_text_not_dropped(mini):
    """Printable text is printable text: it is kept, and every page escapes it."""
    state = parse_query(mini, "lessons", "name=%3Cscript%3Ealert(1)%3C/script%3E")
    assert state.get("name") == "<script>alert(1)</script>"
    assert state.notes == ()


@pytest.mark.parametrize(("query_string", "note"), [
    ("name=" + "a" * 4096,
     "Ignored the project name in the link: it is 4096 characters long; answers are kept to "
     "300."),
    ("how.patient_beliefs=" + "é" * 301,
     "Ignored the answer in the link: it is 301 characters long; answers are kept to 300."),
    ("name=Ward%007", "Ignored the project name in the link: it holds characters that cannot "
                      "be shown, such as control characters."),
    ("how.patient_beliefs=abc%E2%80%AEgpj.exe", "Ignored the answer in the link: it holds "
     "characters that cannot be shown, such as control characters."),
    ("how.nonsense=hello", "Ignored the unknown setting 'how.nonsense'."),
    ("how=hello", "Ignored the unknown setting 'how'."),
    ("name=a&name=b", "Ignored a repeated 'name'; the first one is used."),
])
def test_hostile_free_text_is_dropped_with_a_short_plain_note(mini, query_string, note):
    """4 kB, NUL, a right-to-left override or an unknown answer slot: dropped, and said so."""
    state = parse_query(mini, "lessons", query_string)
    assert note in state.notes
    assert all(len(n) < 160 for n in state.notes)
    assert state.values in ({}, {"name": ("a",)})


def test_a_page_without_text_parameters_takes_no_free_text(mini):
    """Free text is read only where a page asks for it."""
    state = parse_query(mini, "matrix", "name=Ward")
    assert state.values == {} and "Ignored the unknown setting 'name'." in state.notes


def test_a_full_lessons_link_is_not_too_long_to_read(mini):
    """Every answer at its longest, percent-encoded, still opens; the id-only limit is kept
    for other pages."""
    longest = "é" * 300
    state = ViewState("lessons", {"name": (longest,), "how.patient_beliefs": (longest,),
                                  "how.professional_beliefs": (longest,)})
    link = to_query(state)
    assert len(link) > 2000
    assert parse_query(mini, "lessons", link).values == state.values
    assert parse_query(mini, "matrix", "project=alpha&" * 400).values == {}


def test_too_many_settings_never_raise(mini):
    """A link with hundreds of empty settings gets the default view and a note, not an error."""
    state = parse_query(mini, "matrix", "a&" * 200)
    assert state.values == {}
    assert state.notes == ("The link had too many settings to read, so the default view is "
                           "shown.",)


def test_foundation_and_recommendation_answers_are_checked_against_the_data(mini):
    """A foundation answer is '<foundation id>:<level>'; recommendations are finding ids of
    kind recommendation (mini has none, so every one is unknown)."""
    state = parse_query(mini, "lessons", "foundation=leadership:partly,leadership:maybe,"
                                         "budget:in_place&recommendation=f1")
    assert state.many("foundation") == ("leadership:partly",)
    assert "Ignored 'leadership:maybe': it is not a known foundation answer." in state.notes
    assert "Ignored 'budget:in_place': it is not a known foundation answer." in state.notes
    assert "Ignored 'f1': it is not a known recommendation." in state.notes
