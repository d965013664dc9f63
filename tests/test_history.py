"""Specifications of living evidence: each rating across the data's releases
(``explorer.query.history``), shown in its audit trail, and "changed since version X" where an
address or a briefing names an earlier release.

The history is the package's own ``rating_history`` table (written when the data is
released, checked by ``test_release.py``); release dates come from the changelog.
"""

from __future__ import annotations

import pytest

import explorer
from explorer.app.briefings import briefing_html, handout_html, project_brief_html
from explorer.cli import main
from explorer.evidence.query import history
from explorer.pages.state import parse_query
from explorer.render import trail


def test_a_ratings_history_runs_from_its_first_release_to_now(ds):
    """Peer support's systems rating: partial (0.1.0), silent (0.2.0), partial (0.3.0),
    silent (0.4.0), each release dated from the changelog and each change explained."""
    frame = history.rating_history(ds, "ps-ev-systems_processes")
    assert list(frame.version) == ["0.1.0", "0.2.0", "0.3.0", "0.4.0"]
    assert list(frame.strength) == ["partial", "not_reported", "partial", "not_reported"]
    assert list(frame.date) == ["2026-11-26", "2026-11-27", "2026-12-01", ds.data_as_of]
    assert frame.changed.all()
    assert "nowhere that it operated" in frame.explanation.iloc[-1]


def test_a_rating_new_in_a_release_starts_there(ds):
    """M(ums) power was identified in 0.2.0: its ratings start then."""
    frame = history.rating_history(ds, "mp-ev-patient_beliefs")
    assert frame.version.iloc[0] == "0.2.0"
    assert frame.explanation.iloc[0] == "First release of this rating." or (
        frame.explanation.iloc[0] == "New since 0.1.0.")


def test_changes_since_a_release_say_then_now_and_why(ds):
    """Since 0.3.0: peer support's systems rating went from partial (very low) to silent,
    with the reason; a rating unchanged since is not listed."""
    changes = history.changes_since(ds, "0.3.0").set_index("evidence_id")
    row = changes.loc["ps-ev-systems_processes"]
    assert (row.then_strength, row.then_confidence, row.now_strength) == (
        "partial", "very_low", "not_reported")
    assert row.why.startswith("In 0.4.0:") and "Changed since" not in row.why
    assert "pw-ev-systems_processes" not in changes.index
    assert history.changes_since(ds, ds.version).empty


def test_changes_since_an_unknown_version_is_a_plain_error(ds):
    """A version the data never had is named, with the ones it had."""
    with pytest.raises(explorer.QueryError, match=r"no release '9\.9\.9'; releases: 0\.1\.0"):
        history.changes_since(ds, "9.9.9")


def test_the_audit_trail_shows_each_release_in_which_the_rating_changed(ds):
    """The trail lists the releases that changed the rating, newest first, with dates and
    why; unchanged releases are left out, and the current one is marked."""
    markup = str(trail.record_trails(ds, ["ps-ev-systems_processes"]))
    assert "Its history" in markup
    positions = [markup.index(f"<b>{v}</b>") for v in ("0.4.0", "0.3.0", "0.2.0", "0.1.0")]
    assert positions == sorted(positions)
    assert "this release" in markup and "2026-11-27" in markup
    unchanged = str(trail.record_trails(ds, ["su-ev-culture_environment"]))
    assert "<b>0.1.0</b>" in unchanged and "<b>0.4.0</b>" not in unchanged


def test_a_handout_that_names_an_earlier_version_opens_with_what_changed(ds):
    """`?version=0.3.0` on the matrix with peer support's systems cell chosen: the handout
    opens with that rating's change and why; the current version adds nothing."""
    query = "cell=systems_processes:peer-support&version=0.3.0"
    document = handout_html(ds, query)
    assert "Changed since version 0.3.0" in document
    assert "Systems and processes × Peer support workers (Nottingham)" in document
    assert "partial, very low confidence → not reported" in document
    assert "Changed since version" not in handout_html(ds, f"cell=systems_processes:peer-support"
                                                   f"&version={ds.version}")


def test_a_view_whose_ratings_did_not_change_says_so(ds):
    """Pathway's systems cell did not change since 0.3.0: the note says none did."""
    document = handout_html(ds, "cell=systems_processes:pathway&version=0.3.0")
    assert "None of the ratings shown here changed" in document


def test_a_briefing_since_a_version_opens_with_every_change(ds):
    """The whole briefing lists every rating that changed since 0.3.0 at its top; a project's
    brief lists only that project's."""
    document = briefing_html(ds, since="0.3.0")
    top = document[:document.index("<p class=\"ctg-lead\">")]
    assert "12 ratings shown here changed" in top
    brief = project_brief_html(ds, "peer-support", since="0.3.0")
    assert "3 ratings shown here changed" in brief


def test_an_unknown_version_in_an_address_is_ignored_and_said(ds):
    """A hostile or unknown version is dropped like any unknown setting, with a plain note."""
    state = parse_query(ds, "matrix", "version=<script>")
    assert "version" not in state.values
    assert state.notes == ("Ignored '<script>': it is not a known data version.",)


def test_the_command_line_briefing_since_a_version(tmp_path, capsys):
    """`explorer export --since 0.3.0` writes a briefing that opens with the changes; an
    unknown version is a plain error (exit 2)."""
    out = tmp_path / "b.html"
    assert main(["export", "--since", "0.3.0", "--out", str(out)]) == 0
    assert "Changed since version 0.3.0" in out.read_text(encoding="utf-8")
    assert main(["export", "--since", "9.9.9", "--out", str(out)]) == 2
    assert "There is no data version '9.9.9'" in capsys.readouterr().err


def test_a_package_without_a_history_names_only_its_own_version(mini):
    """The mini package records no releases: its only known version is its own, and the
    check asks for the rows."""
    assert history.known_versions(mini) == (mini.version,)
    assert history.history_problems(mini)[0].startswith("the rating history has no rows")
