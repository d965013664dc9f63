"""Specifications of explorer.state: URL query string ⇄ view state, safe on any input."""

from __future__ import annotations

import pytest

from explorer.query import Filters
from explorer.state import ViewState, parse_query, to_query


def test_known_values_open_the_view(mini):
    """A link with known ids opens that view: its values, its filters and no notes."""
    state = parse_query(mini, "matrix", "project=alpha,beta&columns=setting_type&mechanism="
                                        "patient_beliefs")
    assert state.many("project") == ("alpha", "beta")
    assert state.get("columns") == "setting_type"
    assert state.filters() == Filters(project=("alpha", "beta"), mechanism=("patient_beliefs",))
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
