"""Specifications of explorer.evidence.appraisal: how far to trust each rating, by the
codebook's rule.

The rule is CODEBOOK.md section 14, adapted from GRADE-CERQual. These specifications pin what
a reader relies on: evidence is counted by origin, so a copy of the same words never counts
twice; the funder's or a project's own account with no stated method is a serious concern;
a rating more cautious than its codings is never marked down for it, and nothing is counted
twice (there are no caps); time scope sits under relevance and coherence counts each
disagreement by its row and each later study once; a level set by hand needs its reason;
and every cell of every matrix is either rated (with a level) or a named kind of gap.
Properties over generated packages are in ``test_confidence_properties.py``.
"""

from __future__ import annotations

import re
from itertools import product

import pandas as pd
import pytest

import explorer
from explorer.data.load import Citation, Dataset
from explorer.evidence import appraisal, query
from explorer.evidence.query import components, confidence

from conftest import DATA

ORDER = {level: i for i, level in enumerate(appraisal.LEVELS)}
SOURCE_HEADER = ("source_id,title,title_supplied,publisher,authors,published,url,accessed,kind,"
                 "kind_explanation,independence,independence_explanation,origin_id,"
                 "origin_explanation,licence,access_note")


def _enum(ds: Dataset, field: str) -> tuple[str, ...]:
    enum = ds.descriptor.field("sources", field).enum
    assert enum is not None
    return enum


def _levels(ds: Dataset) -> dict[str, str | None]:
    """Level of every rated record (not_reported records have none)."""
    frame = appraisal.rating_confidence(ds)
    return {e: (level if isinstance(level, str) else None)
            for e, level in zip(frame.evidence_id, frame.level, strict=True)}


def _concerns(found: confidence.Confidence) -> dict[str, str]:
    return {c.component: str(c.concern) for c in found.components}


def _source_line(source_id: str, kind: str, independence: str, origin: str = "",
                 why: str = "") -> str:
    return (f"{source_id},{source_id.upper()},false,P,,2014,https://example.org/{source_id},"
            f"2026-11-26,{kind},k,{independence},i,{origin},{why},unknown,\n")


def _with_source(ds: Dataset, kind: str, independence: str) -> Dataset:
    """``ds`` with one more source, its own origin, of ``kind`` and ``independence``, cited
    by every record (each record's appraisal reads only its own row, so citing it
    everywhere at once is the same as adding it to each record on its own)."""
    extra = pd.DataFrame({"source_id": ["added-source"], "kind": [kind],
                          "independence": [independence], "origin_id": [pd.NA]})
    sources = pd.concat([ds.sources[["source_id", "kind", "independence", "origin_id"]]
                         .astype(object), extra], ignore_index=True)
    evidence = ds.mechanism_evidence.copy()
    evidence["source_ids"] = evidence.source_ids.map(
        lambda cs: (*cs, Citation("added-source", None)))
    return Dataset(ds.descriptor, {**ds.tables, "sources": sources,
                                   "mechanism_evidence": evidence})


def _perfect_alpha(mini_copy, kind="project_page", independence="project_team"):
    """The mini package where a-ev-1 has nothing against it but who its sources are: two
    separate origins of the given kind and independence, each reporting a change."""
    mini_copy.append_text("sources", _source_line("own-a", kind, independence)
                          + _source_line("own-b", kind, independence))
    mini_copy.set_cell("outcomes", 2, "source_ids", "own-a")
    mini_copy.append_text("outcomes", "a-out-2,alpha,patients,experience_of_care,qualitative,"
                                      "better,,,increase,not found,own-b,stated,\n")
    mini_copy.set_cell("mechanism_evidence", 2, "source_ids", "own-a; own-b")
    mini_copy.set_cell("mechanism_evidence", 2, "outcome_ids", "a-out-1; a-out-2")
    return mini_copy


def test_the_mini_fixture_has_the_columns_these_specifications_write():
    """The sources line the helpers append matches the declared header."""
    header = (DATA.parent / "tests" / "fixtures" / "mini" / "sources.csv").read_text(
        encoding="utf-8").splitlines()[0]
    assert header == SOURCE_HEADER


# -- how the sources know (methodological limitations) ----------------------------------------

def test_a_rating_backed_only_by_the_projects_own_pages_is_at_most_low(mini_copy):
    """Two separate project pages, each reporting the change, unanimous codings: the
    project's own word with no stated method is a serious concern, so low, not high."""
    found = appraisal.appraise(explorer.load(_perfect_alpha(mini_copy).path), "a-ev-1")
    assert _concerns(found) == {
        "methodological_limitations": "serious", "coherence": "no", "adequacy": "no",
        "relevance": "no", "agreement": "no"}
    assert found.level == "low"
    assert "no cited source states a method" in found.components[0].reason


@pytest.mark.parametrize("independence", ["funder", "project_team", "unknown"])
def test_no_rating_whose_sources_are_all_own_words_without_a_method_is_above_low(
        ds, independence):
    """Over the real records, with every source recoded as the funder's, the project's or
    unknown: no level is above low."""
    recoded = Dataset(ds.descriptor, {**ds.tables,
                                      "sources": ds.sources.assign(independence=independence)})
    for evidence_id, level in _levels(recoded).items():
        if level is not None:
            assert ORDER[level] >= ORDER["low"], evidence_id


def test_two_independent_evaluations_reporting_the_change_give_high(mini_copy):
    """The same record, its two origins independent evaluations: high."""
    ds = explorer.load(_perfect_alpha(mini_copy, "evaluation_report", "independent").path)
    assert appraisal.appraise(ds, "a-ev-1").level == "high"


@pytest.mark.parametrize(("kind", "independence", "concern"), [
    ("evaluation_report", "independent", "no"),
    ("journal_study", "commissioned_by_funder", "minor"),
    ("journal_study", "project_team", "moderate"),
    ("press", "independent", "moderate"),
    ("evaluation_article", "independent", "moderate"),
    ("funder_page", "funder", "serious"),
    ("project_report", "project_team", "serious"),
    ("evaluation_report", "unknown", "serious"),
])
def test_each_origin_is_appraised_by_who_wrote_it_and_whether_it_states_a_method(
        kind, independence, concern):
    """The table of codebook section 14.2: a stated method (evaluation report, journal
    study) and independence lower the concern; the funder's or a project's own account
    with no stated method is serious."""
    assert components.limitation(kind, independence) == concern


def test_an_independent_evaluation_article_scores_as_the_evaluation_it_reports(mini_copy):
    """Edge case decided in section 14.6: an independent evaluator's article alone states no
    method (moderate); declared as an account of its evaluation report, it counts as that
    report (no concern), and still as one origin. (It is the one source of the outcome the
    rating rests on: a source that reports no change is not appraised at all.)"""
    mini_copy.append_text("sources", _source_line("eval-article", "evaluation_article",
                                                  "independent"))
    mini_copy.set_cell("mechanism_evidence", 2, "source_ids", "eval-article")
    mini_copy.set_cell("outcomes", 2, "source_ids", "eval-article")
    alone = appraisal.appraise(explorer.load(mini_copy.path), "a-ev-1")
    assert _concerns(alone)["methodological_limitations"] == "moderate"
    mini_copy.append_text("sources", _source_line("eval-report", "evaluation_report",
                                                  "independent"))
    mini_copy.set_cell("sources", 3, "origin_id", "eval-report")
    mini_copy.set_cell("sources", 3, "origin_explanation", "the evaluator's own article")
    with_report = appraisal.appraise(explorer.load(mini_copy.path), "a-ev-1")
    assert _concerns(with_report)["methodological_limitations"] == "no"
    assert with_report.origins[0] == ("eval-report", "evaluation_report", "independent")
    assert "eval-article" not in {origin for origin, _, _ in with_report.origins}


# -- origins, not sources ------------------------------------------------------------------

def test_citing_the_mirror_of_a_cited_page_changes_nothing(ds):
    """The audit's example: record access's systems rating cited to the funder's page and
    its third-party copy is appraised exactly as cited to the page alone."""
    evidence = ds.mechanism_evidence.copy()
    row = evidence.evidence_id == "ra-ev-systems_processes"
    evidence.loc[row, "source_ids"] = evidence.loc[row, "source_ids"].map(
        lambda cs: (*cs, Citation("hf-ra-page-mirror", None)))
    widened = Dataset(ds.descriptor, {**ds.tables, "mechanism_evidence": evidence})
    before = appraisal.appraise(ds, "ra-ev-systems_processes")
    after = appraisal.appraise(widened, "ra-ev-systems_processes")
    assert (after.level, after.components) == (before.level, before.components)


def test_the_funders_two_summaries_of_one_project_count_once(ds):
    """The peer support page and its republication on the BMJ's site are one account."""
    found = appraisal.appraise(ds, "ps-ev-professional_beliefs")
    assert {s for s, _, _ in found.sources} == {"bmj-improve-ps", "hf-ps-page"}
    assert [o for o, _, _ in found.origins] == ["hf-ps-page"]
    assert found.components[2].reason.startswith("1 separate account reports the change")


def test_splitting_one_sentence_into_several_outcomes_adds_nothing(ds):
    """Sheffield's staff rating rests on three outcome records from one page: one account
    reports the change, the same amount of evidence as one record would be."""
    found = appraisal.appraise(ds, "shd-ev-professional_beliefs")
    assert _concerns(found)["adequacy"] == "moderate"
    assert found.components[2].reason.startswith("1 separate account reports the change")


def test_the_projects_own_website_adds_no_data_where_it_reports_no_change(ds):
    """Sheffield's systems rating: the project's website, also cited, describes how the
    project measured its work but reports no change in an outcome the rating rests on, so
    only the funder's page counts (moderate concern for amount) and its own word with no
    method is serious: very low (0.4.0 as first written gave low, 0.3.0 moderate)."""
    found = appraisal.appraise(ds, "shd-ev-systems_processes")
    assert _concerns(found)["adequacy"] == "moderate"
    assert ("1 further account cited reports nothing in an outcome record it rests on, so "
            "adds no data") in found.components[2].reason
    assert _concerns(found)["methodological_limitations"] == "serious"
    assert found.level == "very_low"


def _citing(ds: Dataset, evidence_id: str, source_id: str) -> Dataset:
    """``ds`` with ``source_id`` added to one record's cited sources (not to its outcomes)."""
    evidence = ds.mechanism_evidence.copy()
    row = evidence.evidence_id == evidence_id
    evidence.loc[row, "source_ids"] = evidence.loc[row, "source_ids"].map(
        lambda cs: (*cs, Citation(source_id, None)))
    return Dataset(ds.descriptor, {**ds.tables, "mechanism_evidence": evidence})


@pytest.mark.parametrize(("evidence_id", "source_id"), [
    ("su-ev-systems_processes", "hf-resource-list-2015"),
    ("su-ev-systems_processes", "pa-speaking-up"),
    ("pw-ev-patient_beliefs", "uclh-news-2011-04"),
    ("pw-ev-patient_beliefs", "uclh-news-2013-05"),
    ("ps-ev-professional_beliefs", "opm-2014-evaluation-report")])
def test_citing_a_source_that_reports_no_change_raises_nothing(ds, evidence_id, source_id):
    """The audit of 7 December 2026's cases: a rating that also cites a source reporting no
    change in the outcomes it rests on (the funder's resource list, a partner's page of
    activities, UCLH news items, the unread OPM report) keeps its level and every concern;
    the first 0.4.0 rule raised each of the first four from very low to low."""
    before = appraisal.appraise(ds, evidence_id)
    after = appraisal.appraise(_citing(ds, evidence_id, source_id), evidence_id)
    assert before.level == "very_low"
    assert (after.level, _concerns(after)) == (before.level, _concerns(before))


def test_one_organisations_accounts_of_one_project_share_an_origin(ds):
    """The three origins the audit of 7 December 2026 found missing: the funder's resource
    list (its readable entry is Speaking Up), UCLH's 2011 item on its homeless project, and
    the funder's evaluation page, which carries OPM's summary."""
    origin = confidence.origins(ds)
    assert origin["hf-resource-list-2015"] == "hf-su-page"
    assert origin["uclh-news-2011-04"] == origin["uclh-news-2013-05"] == "uclh-news-2012-05"
    assert origin["hf-evaluation-page"] == origin["opm-evaluation-page"] == (
        "opm-2014-evaluation-report")


# -- more evidence never lowers confidence ---------------------------------------------------

@pytest.mark.parametrize(("kind", "independence"), [
    ("evaluation_report", "independent"), ("journal_study", "independent")])
def test_adding_an_independent_evaluation_never_lowers_confidence(ds, kind, independence):
    """Every real record, with an independent evaluation or study added to its sources:
    no level falls; cited without reporting the change it vouches for nothing, so no concern
    changes; reporting it in an outcome the record rests on, it makes the concern for how
    the sources know none (for every record that rests on an outcome at all)."""
    before = _levels(ds)
    widened = _with_source(ds, kind, independence)
    assert _levels(widened) == before
    outcomes = widened.outcomes.copy()
    outcomes["source_ids"] = outcomes.source_ids.map(
        lambda cs: (*cs, Citation("added-source", None)))
    reporting = Dataset(ds.descriptor, {**widened.tables, "outcomes": outcomes})
    after = _levels(reporting)
    for evidence_id, level in before.items():
        if level is not None:
            assert ORDER[str(after[evidence_id])] <= ORDER[level], evidence_id
    frame = appraisal.rating_confidence(reporting).dropna(subset=["level"])
    rests_on_outcomes = {str(e) for e, o in zip(ds.mechanism_evidence.evidence_id,
                                                 ds.mechanism_evidence.outcome_ids,
                                                 strict=True) if len(o)}
    resting = frame[frame.evidence_id.isin(rests_on_outcomes)]
    assert len(resting) and set(resting.methodological_limitations_concern) == {"no"}


def test_adding_any_source_never_lowers_confidence(ds):
    """Exhaustively, over every kind × independence of an added source and every record:
    a further origin can only keep or raise the level."""
    before = _levels(ds)
    for kind, independence in product(_enum(ds, "kind"), _enum(ds, "independence")):
        after = _levels(_with_source(ds, kind, independence))
        for evidence_id, level in before.items():
            if level is not None:
                assert ORDER[str(after[evidence_id])] <= ORDER[level], (
                    kind, independence, evidence_id)


# -- coding consistency ----------------------------------------------------------------------

def test_a_rating_more_cautious_than_every_coding_is_not_marked_down(ds):
    """Pathway's culture rating was lowered to partial after all three codings gave
    evident: no concern, where 0.3.0 counted it as moderate."""
    found = appraisal.appraise(ds, "pw-ev-culture_environment")
    assert _concerns(found)["agreement"] == "no"
    assert "more cautious" in found.components[4].reason


def test_lowering_a_rating_for_caution_never_lowers_its_confidence(ds):
    """Every rated record, lowered from evident to partial or from partial to not evident
    (with its codings as they are): its level never falls."""
    before = _levels(ds)
    lower = {"evident": "partial", "partial": "not_evident"}
    evidence = ds.mechanism_evidence.copy()
    strengths = evidence.strength.astype(str).map(lambda s: lower.get(s, s))
    evidence["strength"] = pd.Categorical(strengths,
                                          categories=evidence.strength.cat.categories)
    after = _levels(Dataset(ds.descriptor, {**ds.tables, "mechanism_evidence": evidence}))
    for evidence_id, level in before.items():
        if level is not None:
            assert ORDER[str(after[evidence_id])] <= ORDER[level], evidence_id


def test_weaker_codings_count_once_and_there_is_no_cap(mini):
    """a-ev-3 (partial; codings partial and sources silent): one concern for the weaker
    coding, and the level is the sum of concerns alone, with nothing holding it down."""
    found = appraisal.appraise(mini, "a-ev-3")
    assert _concerns(found)["agreement"] == "moderate"
    assert not hasattr(found, "caps")
    assert found.computed == appraisal.LEVELS[min(int(found.steps), 3)]


def test_a_contested_rating_with_independent_evaluations_is_high_when_nothing_else_lowers_it(
        mini_copy):
    """Contested is a kind of cell, not a cap: a-ev-3 (partial) settled on the more cautious
    of its codings (partial and evident), with two independent evaluations, is high."""
    mini_copy.append_text("sources", _source_line("ev-a", "evaluation_report", "independent")
                          + _source_line("ev-b", "evaluation_report", "independent"))
    mini_copy.set_cell("outcomes", 2, "source_ids", "ev-a")
    mini_copy.append_text("outcomes", "a-out-2,alpha,staff,culture,qualitative,"
                                      "better,,,increase,not found,ev-b,stated,\n")
    mini_copy.set_cell("mechanism_evidence", 5, "source_ids", "ev-a; ev-b")
    mini_copy.set_cell("mechanism_evidence", 5, "outcome_ids", "a-out-1; a-out-2")
    mini_copy.set_cell("mechanism_codings", 7, "strength", "evident")
    ds = explorer.load(mini_copy.path)
    assert "a-ev-3" in query.contested_evidence(ds)
    assert appraisal.appraise(ds, "a-ev-3").level == "high"


# -- coherence and relevance -----------------------------------------------------------------

def _later(mini_copy, direction, rows=1):
    for n in range(1, rows + 1):
        mini_copy.append_text("later_evidence", f"a-le-{n},alpha,a-out-1,2016,randomised_"
                                                f"controlled_trial,trial {n},bearing,"
                                                f"{direction},hf-programme-page,stated,\n")
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


def test_one_study_against_an_outcome_counts_once_however_many_rows_it_has(mini_copy):
    """Edge case decided in section 14.6: three later-evidence rows citing one study are
    one concern (moderate), not three."""
    found = appraisal.appraise(_later(mini_copy, "cuts_against", rows=3), "a-ev-1")
    assert _concerns(found)["coherence"] == "moderate"


def test_later_evidence_that_supports_the_outcome_does_not_lower_coherence(mini, mini_copy):
    """Supporting later evidence leaves the appraisal as it was."""
    after = appraisal.appraise(_later(mini_copy, "supports"), "a-ev-1")
    assert after == appraisal.appraise(mini, "a-ev-1")


def _discrepancy(mini_copy, discrepancy_id, topic, kind):
    mini_copy.append_text("discrepancies", f"{discrepancy_id},alpha,{topic},d,h,a-out-1,{kind},"
                                           "hf-programme-page,stated,\n")


def test_coherence_counts_disagreements_by_their_row_not_their_words(mini_copy):
    """Two disagreements with the same topic are two concerns (serious), keyed on their
    ids, where 0.3.0 counted their shared text once."""
    _discrepancy(mini_copy, "d-a", "same topic", "substance")
    _discrepancy(mini_copy, "d-b", "same topic", "substance")
    found = appraisal.appraise(explorer.load(mini_copy.path), "a-ev-1")
    assert _concerns(found)["coherence"] == "serious"


def test_a_disagreement_about_time_lowers_relevance_not_coherence(mini_copy):
    """A time-scope disagreement (pre-grant figures) is a relevance concern; a detail
    (dates, names) is none."""
    _discrepancy(mini_copy, "d-a", "which years", "time_scope")
    _discrepancy(mini_copy, "d-b", "a name", "detail")
    found = appraisal.appraise(explorer.load(mini_copy.path), "a-ev-1")
    assert (_concerns(found)["coherence"], _concerns(found)["relevance"]) == ("no", "moderate")


def test_pathways_bed_day_rating_meets_the_trial_under_coherence_and_timing_under_relevance(ds):
    """pw-ev-systems_processes rests on pw-out-1: the 2016 trial cuts against it (coherence)
    and the sources dispute whether its figure belongs to the programme's time (relevance)."""
    found = appraisal.appraise(ds, "pw-ev-systems_processes")
    parts = {c.component: c for c in found.components}
    assert str(parts["coherence"].concern) == "moderate"
    assert "a later randomised controlled trial (2016" in parts["coherence"].reason
    assert str(parts["relevance"].concern) == "moderate"
    assert "sources disagree on 'Which bed-day and savings figures" in parts["relevance"].reason


def test_probable_membership_and_doubtful_timing_together_are_serious(mini_copy):
    """Both relevance concerns at once: serious."""
    mini_copy.set_cell("projects", 2, "membership", "probable")
    _discrepancy(mini_copy, "d-a", "which years", "time_scope")
    found = appraisal.appraise(explorer.load(mini_copy.path), "a-ev-1")
    assert _concerns(found)["relevance"] == "serious"


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
    found = appraisal.appraise(explorer.load(mini_copy.path), "a-ev-1")
    assert (found.level, found.overridden, found.override_reason) == (
        "very_low", True, "test reason")
    assert found.computed == appraisal.appraise(mini, "a-ev-1").level


def test_the_real_data_overrides_nothing_without_saying_why(ds):
    """Any override in the data has its reason (none is needed today)."""
    frame = appraisal.rating_confidence(ds)
    assert frame[frame.overridden].override_reason.notna().all()


# -- every rating has a level, every gap its kind --------------------------------------------

@pytest.mark.parametrize("dataset", ["ds", "mini", "other"])
def test_every_rated_record_has_a_level_and_every_silence_is_a_gap(dataset, request):
    """evident/partial/not_evident → a level with a reason per component and how it was
    reached; not_reported → no level, gap sources_silent."""
    ds = request.getfixturevalue(dataset)
    frame = appraisal.rating_confidence(ds)
    rated = frame[frame.strength.isin(appraisal.RATED)]
    assert rated.level.isin(appraisal.LEVELS).all()
    for component in appraisal.COMPONENTS:
        assert rated[f"{component}_reason"].str.len().gt(10).all(), component
    assert rated.why.str.contains("high").all()
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


def test_a_silent_cell_whose_codings_split_is_contested_with_no_level(ds):
    """Edge case decided in section 14.6: peer support's systems rating, settled as sources
    silent when one coding of three said so, is contested and has no level."""
    cells = appraisal.cell_kinds(ds, query.matrix(ds, "project"))
    cell = cells[(cells.column_id == "peer-support")
                 & (cells.mechanism_id == "systems_processes")].iloc[0]
    assert (cell.strength, cell.kind, cell.confidence) == ("not_reported", "contested", None)


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
    """Start at high; minor ½, moderate 1, serious 2 steps; whole steps count; no caps."""
    parts = [appraisal.ComponentAppraisal(c, appraisal.Concern(k), "r")
             for c, k in zip(appraisal.COMPONENTS, concerns, strict=True)]
    assert components.combine(parts) == level


def test_how_the_level_was_reached_names_each_concern_and_the_steps(ds):
    """The 'why' a profile shows: each concern by its label, largest first, and the steps."""
    found = appraisal.appraise(ds, "pw-ev-systems_processes")
    assert found.why == ("Very low: serious concerns about how the sources know; moderate "
                         "concerns about agreement between sources; moderate concerns about "
                         "fit with the programme: four steps down from high, the lowest level.")


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
    """CODEBOOK.md's CONFIDENCE line is what explorer.evidence.appraisal computes."""
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
