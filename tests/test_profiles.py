"""Specifications of GRADE-CERQual's own outputs: Evidence Profiles and the Summary of
Qualitative Findings (``explorer.profiles``), and their files (``explorer.profile_files``).

An analyst must be able to download, for any rated cell, its Evidence Profile (finding,
sources, each component's concern and explanation, the overall level and why) and, for the
matrix, the Summary of Qualitative Findings, as CSV and as Word; both are tidy tables first,
so they say exactly what the rule computed, and hostile text in the data cannot break them.
"""

from __future__ import annotations

import csv
import io

import docx
import pytest

import explorer
from explorer.cli import main
from explorer.errors import QueryError
from explorer.evidence import appraisal, profiles, query
from explorer.evidence.programme import Programme
from explorer.render import profile_files

CELL = ("professional_beliefs", "shared-haemodialysis")


def _docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows
             for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_every_rated_cell_has_a_profile_with_every_component(ds):
    """One profile per cell with a level, five components for each record giving the cell
    its strength, and nothing for silent, empty or unidentified cells."""
    cells = appraisal.cell_kinds(ds, query.matrix(ds, "project"))
    rated = cells[cells.confidence.notna()]
    every = profiles.evidence_profiles(ds)
    assert set(zip(every.mechanism_id, every.column_id, strict=True)) == set(
        zip(rated.mechanism_id, rated.column_id, strict=True))
    per_record = every.groupby(["mechanism_id", "column_id", "evidence_id"]).component
    assert (per_record.apply(tuple) == tuple(appraisal.COMPONENTS)).all()
    assert list(every.columns) == profiles.PROFILE_COLUMNS


def test_a_profile_says_what_the_rule_computed(ds):
    """Each component's concern and explanation, and the level and why, are exactly the
    rule's (nothing retyped)."""
    profile = profiles.evidence_profile(ds, *CELL)
    for evidence_id, part in profile.groupby("evidence_id"):
        found = appraisal.appraise(ds, str(evidence_id))
        assert found is not None
        assert list(part.concern) == [str(c.concern) for c in found.components]
        assert list(part.explanation) == [c.reason for c in found.components]
        assert set(part.level_explanation) == {found.why}
        assert set(part.level) == {found.level}


def test_a_cell_profiles_only_the_records_with_a_level(ds):
    """Sheffield's professional beliefs cell holds what staff and what patients said; since
    0.4.0 patients' account is sources silent (no level), so the profile is the staff
    record's alone."""
    profile = profiles.evidence_profile(ds, *CELL)
    assert set(ds.mechanism_evidence.evidence_id[
        ds.mechanism_evidence.evidence_id.str.startswith("shd-ev-professional_beliefs")]) == {
        "shd-ev-professional_beliefs", "shd-ev-professional_beliefs-2"}
    assert set(profile.evidence_id) == {"shd-ev-professional_beliefs"}
    assert profile.rating_explanation.nunique() == 1


@pytest.mark.parametrize(("cell", "words"), [
    (("culture_environment", "speaking-up"), "not reported"),
    (("patient_beliefs", "unidentified-7"), "project not identified"),
])
def test_a_cell_without_a_level_has_no_profile_and_says_why(ds, cell, words):
    """Asking for a silent or unidentified cell's profile is a plain error, not an empty
    table."""
    with pytest.raises(QueryError, match=words):
        profiles.evidence_profile(ds, *cell)


@pytest.mark.parametrize(("cell", "message"), [
    (("nope", "pathway"), "unknown mechanism 'nope'"),
    (("patient_beliefs", "nope"), "unknown column 'nope'"),
])
def test_an_unknown_cell_is_a_query_error(ds, cell, message):
    """Unknown mechanism or column ids are named in the error."""
    with pytest.raises(QueryError, match=message):
        profiles.evidence_profile(ds, *cell)


def test_the_summary_has_one_line_per_rated_cell_in_matrix_order(ds):
    """The Summary of Qualitative Findings: numbered findings, each with its level, why and
    the sources contributing."""
    summary = profiles.summary_of_findings(ds)
    cells = appraisal.cell_kinds(ds, query.matrix(ds, "project"))
    rated = cells[cells.confidence.notna()]
    assert list(summary.finding_number) == list(range(1, len(rated) + 1))
    assert list(zip(summary.mechanism_id, summary.column_id, strict=True)) == list(
        zip(rated.mechanism_id, rated.column_id, strict=True))
    assert list(summary.level) == list(rated.confidence)
    assert summary.contributing_sources.str.len().gt(10).all()
    assert summary.level_explanation.str.contains("high").all()


def test_the_summary_works_for_every_column_kind(ds):
    """With settings (or any facet) as columns, each finding names the projects behind it."""
    summary = profiles.summary_of_findings(ds, "setting_type")
    assert len(summary) and summary.level_explanation.str.contains(": ").all()


def test_the_summary_csv_is_formula_safe_and_dated(ds):
    """The CSV: GRADE-CERQual's headings, the dataset's version and date on every row."""
    rows = list(csv.DictReader(io.StringIO(profile_files.summary_csv(ds))))
    assert len(rows) == len(profiles.summary_of_findings(ds))
    assert {r["Dataset version"] for r in rows} == {ds.version}
    assert "Summarised finding" in rows[0] and "Explanation of the confidence" in rows[0]


def test_a_cells_profile_in_word_holds_its_finding_and_each_component(ds):
    """The Word file an analyst downloads opens in python-docx and says what the profile
    says: the finding, each component's concern and the overall level."""
    text = _docx_text(profile_files.profile_docx(ds, *CELL))
    profile = profiles.evidence_profile(ds, *CELL)
    assert profile.finding.iloc[0] in text
    for label in profile.component_label.unique():
        assert label in text
    assert "Very low confidence" in text and "Evidence Profile" in text
    assert Programme.of(ds).text("confidence_note") in text


def test_the_summary_in_word_holds_every_finding(ds):
    """The whole matrix's Word document: the summary table, then every profile."""
    text = _docx_text(profile_files.summary_docx(ds))
    summary = profiles.summary_of_findings(ds)
    for finding in summary.finding:
        assert finding in text
    assert text.count("Evidence Profile: ") == len(summary)


HOSTILE = ('<script>alert(1)</script> & =HYPERLINK("http://x") {brace} \\ % # _ ~ ^ '
           "\x0b\x07 tab\tend")


def test_hostile_text_in_the_data_stays_text_in_csv_and_word(data_copy):
    """HTML, a spreadsheet formula and control characters in a rating's explanation come out
    as plain text: formulas inert in CSV, control characters dropped from Word, no markup."""
    data_copy.set_cell("mechanism_evidence", 7, "explanation", "=cmd " + HOSTILE)
    ds = explorer.load(data_copy.path)
    cell = ("patient_beliefs", "pathway")
    frame = profiles.evidence_profile(ds, *cell)
    assert frame.rating_explanation.iloc[0].startswith("=cmd <script>")
    rows = list(csv.DictReader(io.StringIO(profile_files.profile_csv(ds, *cell))))
    assert rows[0]["Why this rating"].startswith("'=cmd <script>")
    text = _docx_text(profile_files.profile_docx(ds, *cell))
    assert "<script>alert(1)</script> & =HYPERLINK" in text
    assert "\x0b" not in text and "\x07" not in text


def test_the_command_line_writes_a_profile_and_the_summary(ds, tmp_path, capsys):
    """`explorer profiles` writes Word by default, CSV on request; a cell without a level
    is a plain error (exit 2)."""
    out = tmp_path / "profile.docx"
    assert main(["profiles", "--cell", ":".join(CELL), "--out", str(out)]) == 0
    assert profiles.evidence_profile(ds, *CELL).finding.iloc[0] in _docx_text(
        out.read_bytes())
    summary = tmp_path / "summary.csv"
    assert main(["profiles", "--format", "csv", "--out", str(summary)]) == 0
    assert summary.read_text(encoding="utf-8").startswith("Finding,Summarised finding")
    assert main(["profiles", "--cell", "culture_environment:speaking-up"]) == 2
    assert "has no Evidence Profile" in capsys.readouterr().err
