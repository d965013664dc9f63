"""Specifications of explorer.appraisal: how far to trust each rating, by the codebook's rule.

The rule is CODEBOOK.md section 14. These specifications pin what a reader relies on: a
rating backed only by the project's or the funder's own word is never ``high``; more
evidence never lowers confidence; a contested rating is at most ``moderate``; later evidence
against a rating's outcome lowers its coherence; a level set by hand needs its reason; and
every cell of every matrix is either rated (with a level) or a named kind of gap.
"""

from __future__ import annotations

import re
from itertools import product

import pandas as pd
import pytest

import explorer
from explorer import appraisal, query
from explorer.load import Citation, Dataset
from explorer.query import confidence

from conftest import DATA

KINDS = ["evaluation_report", "evaluation_article", "journal_study", "journal_article",
         "project_report", "project_page", "funder_page", "organisation_news", "press",
         "blog", "other"]
INDEPENDENCE = ["independent", "commissioned_by_funder", "funder", "project_team", "unknown"]
OWN = ("funder", "project_team", "unknown")
ORDER = {level: i for i, level in enumerate(appraisal.LEVELS)}


def _levels(ds: Dataset) -> dict[str, str]:
    """Level of every rated record (not_reported records have none)."""
    frame = appraisal.rating_confidence(ds)
    return {e: (level if isinstance(level, str) else None)
            for e, level in zip(frame.evidence_id, frame.level, strict=True)}


def _with_source(ds: Dataset, kind: str, independence: str) -> Dataset:
    """``ds`` with one more source, of ``kind`` and ``independence``, cited by every record.

    Each record's appraisal reads only its own row, so citing the source everywhere at once
    is the same as adding it to each record on its own.
    """
    extra = pd.DataFrame({"source_id": ["added-source"], "kind": [kind],
                          "independence": [independence]})
    sources = pd.concat([ds.sources[["source_id", "kind", "independence"]].astype(str),
                         extra], ignore_index=True)
    evidence = ds.mechanism_evidence.copy()
    evidence["source_ids"] = evidence.source_ids.map(
        lambda cs: (*cs, Citation("added-source", None)))
    return Dataset(ds.descriptor, {**ds.tables, "sources": sources,
                                   "mechanism_evidence": evidence})


def _perfect_alpha(mini_copy, source_kind="project_page", independence="project_team"):
    """The mini package where a-ev-1 has nothing against it but who its sources are: two
    sources of the given kind and independence, two outcomes that report a change."""
    mini_copy.append_text("sources", f"own-a,A,false,P,,2014,https://example.org/a,2026-11-26,"
                                     f"{source_kind},k,{independence},i,unknown,\n"
                                     f"own-b,B,false,P,,2014,https://example.org/b,2026-11-26,"
                                     f"{source_kind},k,{independence},i,unknown,\n")
    mini_copy.append_text("outcomes", "a-out-2,alpha,patients,experience_of_care,qualitative,"
                                      "better,,,increase,not found,hf-programme-page,stated,\n")
    mini_copy.set_cell("mechanism_evidence", 2, "source_ids", "own-a; own-b")
    mini_copy.set_cell("mechanism_evidence", 2, "outcome_ids", "a-out-1; a-out-2")
    return mini_copy


# -- the caps --------------------------------------------------------------------------------

def test_a_rating_backed_only_by_the_projects_own_pages_cannot_be_high(mini_copy):
    """Two project pages, two reported outcomes, unanimous coders: moderate, not high."""
    ds = explorer.load(_perfect_alpha(mini_copy).path)
    confidence = appraisal.appraise(ds, "a-ev-1")
    assert {c.component: str(c.concern) for c in confidence.components} == {
        "adequacy": "no", "independence": "moderate", "coherence": "no", "relevance": "no",
        "agreement": "no"}
    assert confidence.level == "moderate"
    assert any("own sources" in cap for cap in confidence.caps)


@pytest.mark.parametrize("independence", OWN)
def test_no_rating_whose_sources_are_all_own_words_is_high(ds, independence):
    """Over the real records, with every source recoded as the funder's, the project's or
    unknown: no level is high."""
    sources = ds.sources.assign(independence=independence)
    recoded = Dataset(ds.descriptor, {**ds.tables, "sources": sources})
    assert "high" not in set(_levels(recoded).values())


def test_an_independent_evaluation_lifts_the_own_sources_cap(mini_copy):
    """The same record, its sources now independent evaluations: high."""
    ds = explorer.load(_perfect_alpha(mini_copy, "evaluation_report", "independent").path)
    assert appraisal.appraise(ds, "a-ev-1").level == "high"


def test_a_contested_rating_is_at_most_moderate(mini_copy):
    """a-ev-3 (coders differed) with independent evaluations and changes reported is
    still moderate: the contested cap holds."""
    mini_copy.append_text("sources", "ev-a,A,false,P,,2014,https://example.org/a,2026-11-26,"
                                     "evaluation_report,k,independent,i,unknown,\n")
    mini_copy.append_text("outcomes", "a-out-2,alpha,staff,culture,qualitative,"
                                      "better,,,increase,not found,hf-programme-page,stated,\n")
    mini_copy.set_cell("mechanism_evidence", 5, "source_ids", "ev-a; hf-programme-page")
    mini_copy.set_cell("mechanism_evidence", 5, "outcome_ids", "a-out-1; a-out-2")
    ds = explorer.load(mini_copy.path)
    confidence = appraisal.appraise(ds, "a-ev-3")
    assert "a-ev-3" in query.contested_evidence(ds)
    assert confidence.level == "moderate"
    assert any("contested" in cap for cap in confidence.caps)


def test_no_contested_rating_in_the_data_is_high(ds):
    """Every contested, rated record of the real data sits at moderate or below."""
    levels = _levels(ds)
    for evidence_id in query.contested_evidence(ds):
        if levels[evidence_id] is not None:
            assert ORDER[levels[evidence_id]] >= ORDER["moderate"], evidence_id


# -- more evidence never lowers confidence ---------------------------------------------------

@pytest.mark.parametrize(("kind", "independence"), [
    ("evaluation_report", "independent"), ("journal_study", "independent")])
def test_adding_an_independent_evaluation_never_lowers_confidence(ds, kind, independence):
    """Every real record, with an independent evaluation or study added to its sources:
    no level falls, and its independence concern becomes none."""
    before = _levels(ds)
    widened = _with_source(ds, kind, independence)
    after = _levels(widened)
    for evidence_id, level in before.items():
        if level is not None:
            assert ORDER[after[evidence_id]] <= ORDER[level], evidence_id
    frame = appraisal.rating_confidence(widened).dropna(subset=["level"])
    assert set(frame.independence_concern) == {"no"}


def test_adding_any_source_never_lowers_confidence(ds):
    """Exhaustively, over every kind × independence of an added source and every record:
    a further source can only keep or raise the level."""
    before = _levels(ds)
    for kind, independence in product(KINDS, INDEPENDENCE):
        after = _levels(_with_source(ds, kind, independence))
        for evidence_id, level in before.items():
            if level is not None:
                assert ORDER[after[evidence_id]] <= ORDER[level], (kind, independence,
                                                                   evidence_id)


# -- coherence -------------------------------------------------------------------------------

def _later(mini_copy, direction):
    mini_copy.append_text("later_evidence", "a-le-1,alpha,a-out-1,2016,randomised_controlled_"
                                            f"trial,trial,bearing,{direction},"
                                            "hf-programme-page,stated,\n")
    return explorer.load(mini_copy.path)


def test_later_evidence_cutting_against_the_ratings_outcome_lowers_coherence(mini, mini_copy):
    """A later trial that cuts against a-out-1 raises a-ev-1's coherence concern and never
    raises its level."""
    before = appraisal.appraise(mini, "a-ev-1")
    after = appraisal.appraise(_later(mini_copy, "cuts_against"), "a-ev-1")
    coherence = {c.component: c for c in after.components}["coherence"]
    assert str({c.component: c for c in before.components}["coherence"].concern) == "no"
    assert str(coherence.concern) == "moderate" and "cuts against it" in coherence.reason
    assert "a-le-1" not in coherence.reason  # named in words, never by its id
    assert ORDER[after.level] >= ORDER[before.level]


def test_later_evidence_that_supports_the_outcome_does_not_lower_coherence(mini, mini_copy):
    """Supporting later evidence leaves the appraisal as it was."""
    after = appraisal.appraise(_later(mini_copy, "supports"), "a-ev-1")
    assert after == appraisal.appraise(mini, "a-ev-1")


def test_pathways_bed_day_rating_meets_the_trial_and_the_figures_dispute(ds):
    """pw-ev-systems_processes rests on pw-out-1, which the 2016 trial cuts against and
    whose figures the sources dispute: serious coherence concerns, naming both."""
    confidence = appraisal.appraise(ds, "pw-ev-systems_processes")
    coherence = {c.component: c for c in confidence.components}["coherence"]
    assert str(coherence.concern) == "serious"
    assert "a later randomised controlled trial (2016" in coherence.reason
    assert "sources disagree on 'Which bed-day and savings figures" in coherence.reason


# -- overrides -------------------------------------------------------------------------------

def test_an_override_without_a_reason_is_rejected_by_the_validator(mini_copy):
    """The exact message a curator sees (also in the bad-input corpus)."""
    mini_copy.set_cell("mechanism_evidence", 2, "confidence_override", "low")
    assert [str(p) for p in explorer.validate(mini_copy.path)] == [
        'mechanism_evidence.csv, line 2, column "confidence_override_reason": a value is '
        "required when confidence_override is set (to 'low'): say why it replaces the "
        "computed value [override-reason]"]


def test_an_override_with_its_reason_replaces_the_level_and_says_so(mini, mini_copy):
    """The computed level is kept beside the override, which carries its reason."""
    mini_copy.set_cell("mechanism_evidence", 2, "confidence_override", "very_low")
    mini_copy.set_cell("mechanism_evidence", 2, "confidence_override_reason", "test reason")
    confidence = appraisal.appraise(explorer.load(mini_copy.path), "a-ev-1")
    assert (confidence.level, confidence.overridden, confidence.override_reason) == (
        "very_low", True, "test reason")
    assert confidence.computed == appraisal.appraise(mini, "a-ev-1").level


def test_the_real_data_overrides_nothing_without_saying_why(ds):
    """Any override in the data has its reason (none is needed today)."""
    frame = appraisal.rating_confidence(ds)
    assert frame[frame.overridden].override_reason.notna().all()


# -- every rating has a level, every gap its kind --------------------------------------------

@pytest.mark.parametrize("dataset", ["ds", "mini", "other"])
def test_every_rated_record_has_a_level_and_every_silence_is_a_gap(dataset, request):
    """evident/partial/not_evident → a level with a reason per component; not_reported →
    no level, gap sources_silent."""
    ds = request.getfixturevalue(dataset)
    frame = appraisal.rating_confidence(ds)
    rated = frame[frame.strength.isin(appraisal.RATED)]
    assert rated.level.isin(appraisal.LEVELS).all()
    for component in appraisal.COMPONENTS:
        assert rated[f"{component}_reason"].str.len().gt(10).all(), component
    silent = frame[frame.strength == "not_reported"]
    assert silent.level.isna().all() and (silent.gap == "sources_silent").all()


@pytest.mark.parametrize("columns", ["project", "context_dimension", "relationship_type",
                                     "setting_type"])
@pytest.mark.parametrize("dataset", ["ds", "mini", "other"])
def test_every_cell_is_rated_with_a_level_or_a_named_gap(dataset, columns, request):
    """Each cell of each matrix has one of the five kinds; rated cells have a level,
    silent and empty cells none."""
    ds = request.getfixturevalue(dataset)
    cells = appraisal.cell_kinds(ds, query.matrix(ds, columns), columns)
    assert cells.kind.isin(appraisal.CELL_KINDS).all()
    rated = cells[cells.kind == "rated"]
    assert rated.confidence.isin(appraisal.LEVELS).all()
    gaps = cells[cells.kind.isin(["sources_silent", "project_not_identified",
                                  "no_matching_records"])]
    assert gaps.confidence.isna().all()
    assert (cells[cells.kind == "sources_silent"].strength == "not_reported").all()


def test_the_unidentified_projects_cells_are_not_identified_not_empty(ds):
    """unidentified-7's column, and the setting column only it holds, are project gaps."""
    by_project = appraisal.cell_kinds(ds, query.matrix(ds, "project"))
    assert set(by_project[by_project.column_id == "unidentified-7"].kind) == {
        "project_not_identified"}
    by_setting = appraisal.cell_kinds(ds, query.matrix(ds, "setting_type"), "setting_type")
    assert set(by_setting[by_setting.column_id == "not_found"].kind) == {
        "project_not_identified"}


def test_a_cell_the_filters_empty_has_no_matching_records(mini):
    """Filtering on evident leaves beta's cells empty: no matching records, not silence."""
    cells = query.matrix(mini, "project", query.Filters(strength=("evident",)))
    kinds = appraisal.cell_kinds(mini, cells)
    beta = kinds[(kinds.column_id == "beta")]
    assert set(beta.kind) == {"no_matching_records"}


def test_a_cells_confidence_is_that_of_the_records_giving_its_strength(mini):
    """alpha × professional beliefs: a not_reported and a contested partial row; the cell
    is contested, with the partial row's level."""
    cells = appraisal.cell_kinds(mini, query.matrix(mini, "project"))
    cell = cells[(cells.column_id == "alpha")
                 & (cells.mechanism_id == "professional_beliefs")].iloc[0]
    assert cell.kind == "contested"
    assert cell.confidence == appraisal.appraise(mini, "a-ev-3").level
    assert appraisal.cell_confidence(mini, ["a-ev-2"]) is None
    assert appraisal.cell_confidence(mini, []) is None


def test_confidence_counts_add_up_to_the_rated_records_and_cells(ds):
    """Records and cells per level sum to the rated records and the cells with a level."""
    counts = appraisal.confidence_counts(ds)
    assert list(counts.index) == list(appraisal.LEVELS)
    frame = appraisal.rating_confidence(ds)
    assert counts.records.sum() == frame.level.notna().sum()
    cells = appraisal.cell_kinds(ds, query.matrix(ds, "project"))
    assert counts.cells.sum() == cells.confidence.notna().sum()


# -- the combination rule --------------------------------------------------------------------

@pytest.mark.parametrize(("concerns", "level"), [
    (["no"] * 5, "high"),
    (["minor", "no", "no", "no", "no"], "high"),
    (["minor", "minor", "no", "no", "no"], "moderate"),
    (["moderate", "no", "no", "no", "no"], "moderate"),
    (["serious", "no", "no", "no", "no"], "low"),
    (["moderate", "moderate", "minor", "no", "no"], "low"),
    (["serious", "moderate", "no", "no", "no"], "very_low"),
    (["serious", "serious", "serious", "no", "no"], "very_low"),
])
def test_concerns_step_the_level_down_half_one_or_two_levels(concerns, level):
    """Start at high; minor ½, moderate 1, serious 2 steps; whole steps count."""
    parts = [appraisal.ComponentAppraisal(c, appraisal.Concern(k), "r")
             for c, k in zip(appraisal.COMPONENTS, concerns, strict=True)]
    assert confidence._combine(parts, []) == level


def test_a_cap_holds_a_high_level_at_moderate():
    """With no concern at all, a cap still gives moderate."""
    parts = [appraisal.ComponentAppraisal(c, appraisal.Concern.NO, "r")
             for c in appraisal.COMPONENTS]
    assert confidence._combine(parts, ["a cap"]) == "moderate"


# -- words for readers come from the data ----------------------------------------------------

@pytest.mark.parametrize(("vocabulary", "expected"), [
    ("confidence", appraisal.LEVELS), ("component", appraisal.COMPONENTS),
    ("concern", tuple(confidence.STEPS))])
def test_every_term_the_rule_uses_has_a_label_and_a_plain_sentence_in_the_data(
        ds, vocabulary, expected):
    """appraisal_terms explains every level, component and concern the code uses."""
    words = appraisal.terms(ds, vocabulary)
    assert tuple(words) == expected
    rows = ds.appraisal_terms[ds.appraisal_terms.vocabulary == vocabulary]
    assert set(rows.term_id) == set(expected)
    for label, definition in words.values():
        assert label and definition.endswith(".") and len(definition) > 30


def test_an_unknown_record_is_a_query_error(mini):
    """Asking for a record the data does not have says so."""
    with pytest.raises(explorer.QueryError, match="unknown evidence record 'nope'"):
        appraisal.appraise(mini, "nope")


def test_the_codebook_reports_the_confidence_computed_from_the_data(ds):
    """CODEBOOK.md's CONFIDENCE line is what explorer.appraisal computes."""
    text = " ".join((DATA / "CODEBOOK.md").read_text(encoding="utf-8").split())
    line = re.search(r"CONFIDENCE: of (\d+) rated records, (\d+) are high, (\d+) moderate, "
                     r"(\d+) low and (\d+) very low; of the (\d+) cells of the project matrix, "
                     r"(\d+) are rated, (\d+) contested, (\d+) sources silent and (\d+) project "
                     r"not identified, and the (\d+) with a level are (\d+) high, (\d+) "
                     r"moderate, (\d+) low and (\d+) very low\.", text)
    assert line, "the codebook's CONFIDENCE line is missing"
    numbers = [int(n) for n in line.groups()]
    counts = appraisal.confidence_counts(ds)
    cells = appraisal.cell_kinds(ds, query.matrix(ds, "project"))
    kinds = cells.kind.value_counts()
    assert numbers == [
        int(counts.records.sum()), *counts.records, len(cells),
        *(int(kinds.get(k, 0)) for k in ("rated", "contested", "sources_silent",
                                         "project_not_identified")),
        int(counts.cells.sum()), *counts.cells]
