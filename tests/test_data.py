"""Specifications of the curated evidence in ``data/``: honest, sourced, complete where it can be.

These pin what a policy reader will quote: seven projects, their membership status, one
evidence row per mechanism for every identified project, key figures with units and sources,
the recorded disagreements between sources, and that nothing is copied from a source.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pytest

import explorer.evidence.query.agreement
from explorer.evidence import query

from conftest import DATA, ROOT


def _sources_dir() -> Path:
    """The project's shared/sources folder: ``$EXPLORER_SOURCES`` when set, else
    ``shared/sources`` beside the clone or beside any folder above it."""
    if os.environ.get("EXPLORER_SOURCES"):
        return Path(os.environ["EXPLORER_SOURCES"])
    for parent in ROOT.parents:
        if (parent / "shared" / "sources").is_dir():
            return parent / "shared" / "sources"
    return ROOT.parent / "shared" / "sources"


SOURCES_DIR = _sources_dir()
MECHANISMS = ["patient_beliefs", "professional_beliefs", "systems_processes",
              "culture_environment"]
FOUNDATIONS = ["project_management", "leadership", "engagement"]
IDENTIFIED = ["shared-haemodialysis", "pathway", "record-access", "peer-support",
              "speaking-up", "mums-power"]
UNIDENTIFIED = ["unidentified-7"]
FACT_TABLES = ["programmes", "projects", "relationship_types", "mechanisms", "foundations",
               "project_relationships", "contexts", "activities", "mechanism_evidence",
               "outcomes", "barriers_enablers", "follow_on", "findings", "discrepancies",
               "later_evidence"]


def test_the_programme_had_seven_projects(ds):
    """The data holds seven projects, and the programme row says seven too."""
    assert len(ds.projects) == 7
    assert ds.programmes.project_count.tolist() == [7]


def test_membership_is_four_confirmed_two_probable_one_unidentified(ds):
    """Six of the seven are identified; peer-support stays probable, and record-access is
    probable since 0.4.0 (its 'confirmed' rested on a third-party copy's address)."""
    membership = dict(zip(ds.projects.project_id, ds.projects.membership.astype(str),
                          strict=True))
    assert membership == {
        "shared-haemodialysis": "confirmed", "pathway": "confirmed",
        "record-access": "probable", "peer-support": "probable", "speaking-up": "confirmed",
        "mums-power": "confirmed", "unidentified-7": "unidentified"}


def test_record_access_membership_no_longer_rests_on_a_copys_address(ds):
    """The third-party copy is not the funder's word: membership probable, no programme
    dates assumed, and the reason says so."""
    row = ds.projects.set_index("project_id").loc["record-access"]
    assert (row.start_date, row.end_date) == ("not found", "not found")
    assert "Not confirmed" in row.membership_basis
    assert "not taken as the funder's word" in row.membership_basis


def test_no_text_still_speaks_of_two_unidentified_projects(ds):
    """Project 6 is identified now; nothing may say two projects are unknown."""
    texts = [str(v) for frame in ds.tables.values() for column in frame.columns
             if frame[column].dtype == "string" for v in frame[column].dropna()]
    texts.append((DATA / "CODEBOOK.md").read_text())
    for text in texts:
        assert not re.search(r"\b(two|2) (projects are )?(unidentified|not identified)", text)
        assert "only five could be identified" not in text
    basis = ds.projects.set_index("project_id").loc["unidentified-7"].membership_basis
    assert "Six are now identified (four confirmed, two probable)" in basis


@pytest.mark.parametrize("project_id", UNIDENTIFIED)
def test_unidentified_projects_invent_nothing(ds, project_id):
    """Every descriptive field says 'not found' and no facts hang off the project."""
    row = ds.projects.set_index("project_id").loc[project_id]
    for column in ("title", "lead_organisation", "partners", "region", "setting",
                   "population", "start_date", "end_date", "summary"):
        assert row[column] == "not found", column
    assert str(row["setting_type"]) == "not_found"
    assert row["grant_gbp"] is None or str(row["grant_gbp"]) == "<NA>"
    assert "seven" in row["membership_basis"]
    for table in ("contexts", "activities", "mechanism_evidence", "outcomes",
                  "barriers_enablers", "project_relationships"):
        assert project_id not in set(ds[table].project_id), table


@pytest.mark.parametrize("project_id", IDENTIFIED)
def test_identified_projects_have_context_activity_and_outcome(ds, project_id):
    """Each identified project has at least one context, activity, outcome and relationship."""
    for table in ("contexts", "activities", "outcomes", "project_relationships"):
        assert (ds[table].project_id == project_id).sum() >= 1, table


@pytest.mark.parametrize("project_id", IDENTIFIED)
@pytest.mark.parametrize("mechanism_id", MECHANISMS)
def test_every_identified_project_has_a_row_for_every_mechanism(ds, project_id, mechanism_id):
    """Each identified project has an evidence row for each of the four mechanisms."""
    ev = ds.mechanism_evidence
    assert ((ev.project_id == project_id) & (ev.mechanism_id == mechanism_id)).sum() >= 1


def test_mechanism_ratings_are_all_coded_and_explained(ds):
    """OPM's per-project findings were not readable, so every rating is our coding."""
    ev = ds.mechanism_evidence
    assert set(ev.basis.astype(str)) == {"coded"}
    assert ev.explanation.str.len().min() > 40


def test_several_rows_for_one_cell_combine_as_the_codebook_says(ds):
    """Sheffield × professional beliefs has two rows, one partial and, since 0.4.0, one
    sources silent: the cell is partial, count 1, rows 2 — the rule written in CODEBOOK.md."""
    cells = query.matrix(ds, "project")
    cell = cells[(cells.mechanism_id == "professional_beliefs")
                 & (cells.column_id == "shared-haemodialysis")].iloc[0]
    assert (cell.strength, cell["count"], cell["rows"]) == ("partial", 1, 2)
    codebook = " ".join((DATA / "CODEBOOK.md").read_text().replace("\n>", " ").split())
    assert "evident > partial > not_evident > not_reported" in codebook
    assert "its count is the number of rows that are not `not_reported`" in codebook


@pytest.mark.parametrize("table", FACT_TABLES)
def test_every_fact_row_cites_at_least_one_resolving_source(ds, table):
    """Every row of every fact table cites a source, and every cited source is in sources.csv."""
    known = set(ds.sources.source_id)
    for citations in ds[table].source_ids:
        assert citations, f"{table} has a row without sources"
        assert {c.source_id for c in citations} <= known


@pytest.mark.parametrize("table", FACT_TABLES)
def test_every_coded_row_explains_itself(ds, table):
    """Every row coded by the curators (not stated by a source) has a non-blank explanation."""
    frame = ds[table]
    coded = frame[frame.basis == "coded"]
    assert coded.explanation.notna().all() and (coded.explanation.str.strip() != "").all()


def test_every_source_is_cited_and_findable(ds):
    """Every source is cited somewhere and has a title, publisher, licence, kind and URL or note."""
    cited = set(ds.citations().source_id)
    assert set(ds.sources.source_id) == cited
    for row in ds.sources.itertuples(index=False):
        assert row.title and row.publisher and row.licence and row.kind is not None
        assert isinstance(row.url, str) or row.access_note, row.source_id


def _outcome(ds, project_id, unit):
    frame = ds.outcomes
    rows = frame[(frame.project_id == project_id) & (frame.unit == unit)]
    assert len(rows) == 1
    return rows.iloc[0]


@pytest.mark.parametrize(("project_id", "value", "unit", "direction", "source"), [
    ("pathway", 30, "percent", "decrease", "hf-pathway-page"),
    ("peer-support", 14, "percent", "decrease", "hf-ps-page"),
    ("peer-support", 260000, "GBP", "decrease", "hf-ps-page"),
])
def test_key_outcome_figures_with_units_and_sources(ds, project_id, value, unit, direction,
                                                     source):
    """Key outcome figures (30%, 14%, £260,000 falls) keep their value, unit, direction, source."""
    row = _outcome(ds, project_id, unit)
    assert row.value == value
    assert str(row.kind) == "quantitative"
    assert str(row.direction) == direction
    assert source in {c.source_id for c in row.source_ids}


def test_programme_money_and_dates(ds):
    """The programme gave "around" £400,000 a project, launched in 2010 and ran 2011 to 2013."""
    programme = ds.programmes.iloc[0]
    assert programme.grant_per_project_gbp == 400000
    assert (programme.launch_year, programme.start_year, programme.end_year) == (2010, 2011, 2013)
    assert "around" in (programme.summary + " " + str(programme.explanation)).lower()


def test_speaking_up_grant_is_the_newspapers_figure_with_its_caveat(ds):
    """Speaking up's £398,000 grant cites the Birmingham Post and says so in its grant note."""
    row = ds.projects.set_index("project_id").loc["speaking-up"]
    assert row.grant_gbp == 398000
    assert "bpost-mid-staffs-grant" in {c.source_id for c in row.source_ids}
    assert "Birmingham Post" in row.grant_note


def test_pre_programme_figures_are_not_outcomes(ds):
    """Pathway's 2010 figures (3.2 days, £300,000) predate the grant."""
    values = set(ds.outcomes.value.dropna())
    assert 3.2 not in values and 300000 not in values


@pytest.mark.parametrize("needle", [r"eight", r"19", r"Patients Association", r"July"])
def test_discrepancies_between_sources_are_recorded(ds, needle):
    """The known disagreements (eight grants, 19 units, lead body, July date) are recorded."""
    text = " ".join(ds.discrepancies.topic + " " + ds.discrepancies.description)
    assert re.search(needle, text), needle


def test_findings_hold_three_recommendations_the_warning_and_the_tension(ds):
    """Findings hold three recommendations, a tension and the warning: activities ≠ mechanisms."""
    kinds = ds.findings.kind.astype(str).value_counts()
    assert kinds["recommendation"] == 3
    assert kinds["warning"] >= 1 and kinds["tension"] >= 1
    warning = " ".join(ds.findings[ds.findings.kind == "warning"].text).lower()
    assert "activit" in warning and "mechanism" in warning


def test_findings_hold_opms_three_evaluation_questions(ds):
    """The three questions the evaluation set out to answer, each with its numbered locator."""
    questions = ds.findings[ds.findings.kind == "question"]
    assert len(questions) == 3
    locators = {c.locator for cs in questions.source_ids for c in cs
                if c.source_id == "opm-evaluation-page"}
    assert locators == {"question 1", "question 2", "question 3"}


@pytest.mark.parametrize(("needle", "locator"), [("implementation gap", "para 4"),
                                                 ("person-centred care", "para 9")])
def test_opms_implementation_gap_and_closing_claim_are_recorded(ds, needle, locator):
    """OPM's article para 4 (the implementation gap) and para 9 (its closing claim)."""
    rows = ds.findings[ds.findings.text.str.contains(needle)]
    assert any(c.locator == locator for cs in rows.source_ids for c in cs)


def test_record_access_lesson_puts_active_use_before_sign_up_numbers(ds):
    """The team's lesson is kept as a qualitative outcome, with no direction claimed."""
    rows = ds.outcomes[(ds.outcomes.project_id == "record-access")
                       & ds.outcomes.description.str.contains("actively use")]
    assert len(rows) == 1 and str(rows.iloc[0].direction) == "not_applicable"


def test_ideas_into_action_is_a_source_cited_only_as_further_reading(ds):
    """The funder's October 2014 learning report is listed, unread, as further reading."""
    source = ds.sources.set_index("source_id").loc["hf-ideas-into-action"]
    assert source.published == "2014-10" and "could not be read" in source.access_note
    citing = ds.citations()
    assert set(citing[citing.source_id == "hf-ideas-into-action"].table) == {"findings"}


def test_framework_tables_hold_opms_terms(ds):
    """Framework tables hold OPM's mechanisms and foundations in order and its relationships."""
    assert list(ds.mechanisms.sort_values("display_order").mechanism_id) == MECHANISMS
    assert list(ds.foundations.sort_values("display_order").foundation_id) == FOUNDATIONS
    assert set(ds.relationship_types.relationship_type_id) == {
        "individual_professional", "person_system", "community_system"}


def test_codebook_defines_every_term_and_cites_real_rows(ds):
    """The codebook defines every coded term; each row id it cites in bold exists in the data."""
    codebook = (DATA / "CODEBOOK.md").read_text()
    for term in [*MECHANISMS, *FOUNDATIONS, "evident", "partial", "not_evident",
                 "not_reported", "stated", "coded", "not found"]:
        assert f"`{term}`" in codebook, term
    all_ids = set()
    for table in ds.tables.values():
        all_ids |= {str(v) for v in table.iloc[:, 0]}
    for row_id in re.findall(r"\*\*([a-z0-9][a-z0-9_-]*-[a-z0-9_-]+)\*\*", codebook):
        assert row_id in all_ids, row_id


# -- project 6: M(ums) power -----------------------------------------------------------

MUMS_POWER_ROWS = {"contexts": 3, "activities": 6, "outcomes": 5, "mechanism_evidence": 4,
                   "project_relationships": 2, "discrepancies": 2, "barriers_enablers": 0,
                   "follow_on": 0}


@pytest.mark.parametrize(("table", "count"), MUMS_POWER_ROWS.items())
def test_mums_power_is_curated_as_fully_as_its_sources_allow(ds, table, count):
    """Row counts per table; no barrier or follow-on rows because no source gives any."""
    assert (ds[table].project_id == "mums-power").sum() == count


def test_mums_power_has_exactly_one_coded_row_per_mechanism(ds):
    """One mp-ev-<mechanism> row each, coded, with its three codings (no provisional rows)."""
    ev = ds.mechanism_evidence[ds.mechanism_evidence.project_id == "mums-power"]
    assert sorted(ev.evidence_id) == sorted(f"mp-ev-{m}" for m in MECHANISMS)
    assert set(ev.basis.astype(str)) == {"coded"}
    assert not ev.explanation.str.contains("Provisional").any()
    codings = ds.mechanism_codings
    assert (codings.evidence_id.isin(ev.evidence_id)).sum() == 3 * len(ev)


def test_mums_power_grant_is_uclhs_stated_400000(ds):
    """The grant is stated by UCLH's news item of 14 April 2011 and cited to it."""
    row = ds.projects.set_index("project_id").loc["mums-power"]
    assert row.grant_gbp == 400000
    assert "uclh-news-2011-04" in {c.source_id for c in row.source_ids}
    published = ds.sources.set_index("source_id").loc["uclh-news-2011-04"].published
    assert published == "2011-04-14"


def test_mums_power_end_date_and_sites_are_recorded_not_resolved(ds):
    """Funder's May 2013 vs HSJ's autumn; three sites vs two. Both recorded, neither settled."""
    disc = ds.discrepancies[ds.discrepancies.project_id == "mums-power"].set_index(
        "discrepancy_id")
    assert set(disc.index) == {"disc-mp-end-date", "disc-mp-sites"}
    assert str(disc.loc["disc-mp-end-date"].basis) == "coded"  # autumn 2013 is an inference
    assert "Not resolved" in disc.loc["disc-mp-end-date"].handling
    assert "Not resolved" in disc.loc["disc-mp-sites"].handling
    assert ds.projects.set_index("project_id").loc["mums-power"].end_date == "2013-05"


def test_eight_grants_discrepancy_cites_both_eight_sources_and_the_seven_sources(ds):
    """Seven ran (funder, OPM); eight selected (UCLH 2011, Birmingham Post); why is unknown."""
    row = ds.discrepancies.set_index("discrepancy_id").loc["disc-project-count"]
    cited = {c.source_id for c in row.source_ids}
    assert {"uclh-news-2011-04", "bpost-mid-staffs-grant"} <= cited
    assert {"hf-programme-page", "opm-2014-dear-doctor"} <= cited
    assert "Not known" in row.handling


# -- Pathway: money, figures and later evidence ----------------------------------------

def test_pathway_grant_is_uclhs_stated_figure_with_its_source(ds):
    """UCLH's 2011 item gives each of its two schemes £400,000; the row cites it."""
    row = ds.projects.set_index("project_id").loc["pathway"]
    assert row.grant_gbp == 400000
    assert "uclh-news-2011-04" in {c.source_id for c in row.source_ids}
    assert "UCLH" in row.grant_note


def test_pathway_first_funding_disagreement_is_recorded(ds):
    """UCLH Charity (UCLH) versus short-term CCG grants (Pathway's teams page)."""
    row = ds.discrepancies.set_index("discrepancy_id").loc["disc-pathway-first-funding"]
    cited = {c.source_id for c in row.source_ids}
    assert {"uclh-news-2013-05", "pathway-legacy-teams-page"} <= cited
    assert "UCLH Charity" in row.description and "CCG" in row.description


def test_pathway_30_percent_is_flagged_as_possibly_the_2012_measurement(ds):
    """pw-out-1 and disc-pathway-figures say the funder's 30% may repeat UCLH's 2012 figure."""
    outcome = ds.outcomes.set_index("outcome_id").loc["pw-out-1"]
    discrepancy = ds.discrepancies.set_index("discrepancy_id").loc["disc-pathway-figures"]
    assert "may be that same measurement" in outcome.explanation
    assert "may be the same measurement" in discrepancy.handling


def test_later_evidence_is_declared_like_every_other_table(ds):
    """later_evidence: outcome_ids reference outcomes, design is a vocabulary, rows cite sources."""
    spec = ds.descriptor.resource("later_evidence")
    assert spec.field("outcome_ids").references == ("outcomes", "outcome_id")
    assert "randomised_controlled_trial" in spec.field("design").enum
    assert spec.primary_key == ("later_evidence_id",)


def test_later_evidence_holds_the_pathway_trial_against_the_bed_day_claim(ds):
    """The 2016 trial's length-of-stay finding sits beside pw-out-1, as later evidence."""
    rows = ds.later_evidence
    trial = rows[rows.source_ids.map(lambda cs: "hewett-2016-pathway-rct" in
                                     {c.source_id for c in cs})]
    assert set(trial.project_id) == {"pathway"}
    assert set(trial.design.astype(str)) == {"randomised_controlled_trial"}
    on_bed_days = trial[trial.outcome_ids.map(lambda ids: "pw-out-1" in ids)]
    assert len(on_bed_days) == 1
    assert "13.3" in on_bed_days.iloc[0].description
    assert "Does not support" in on_bed_days.iloc[0].bearing
    assert any("3.8%" in text and "14.6%" in text for text in trial.description)


# -- sources -------------------------------------------------------------------------

TRACKING = ("utm_", "blocktitle=", "contentid=", "fbclid=", "gclid=")


def test_no_source_url_carries_tracking_parameters(ds):
    """Addresses are cited clean: no campaign or page-block tracking in any URL."""
    for url in ds.sources.url.dropna():
        assert not any(key in url.lower() for key in TRACKING), url


def test_no_source_url_has_a_host_ending_in_a_dot(ds):
    """A stray dot after the host (e.g. 'slideplayer.com.') is a copying slip, not an address."""
    for url in ds.sources.url.dropna():
        assert not urlsplit(url).hostname.endswith("."), url


def test_titles_written_by_the_curators_are_flagged_in_a_declared_field(ds):
    """title_supplied is a required boolean and both values are in use."""
    spec = ds.descriptor.resource("sources").field("title_supplied")
    assert (spec.type, spec.required) == ("boolean", True)
    flags = dict(zip(ds.sources.source_id, ds.sources.title_supplied, strict=True))
    assert flags["bpost-mid-staffs-grant"] and not flags["opm-2014-dear-doctor"]


def test_every_source_has_a_kind_and_an_independence_each_with_its_reason(ds):
    """Source appraisal is data: both codes from declared vocabularies, both explained."""
    sources = ds.sources
    spec = ds.descriptor.resource("sources")
    for column in ("kind", "independence"):
        assert sources[column].notna().all(), column
        assert set(sources[column].astype(str)) <= set(spec.field(column).enum), column
        reasons = sources[f"{column}_explanation"]
        assert reasons.notna().all() and (reasons.str.len() > 20).all(), column


@pytest.mark.parametrize(("source_id", "independence"), [
    ("hewett-2016-pathway-rct", "project_team"),     # its authors include Pathway's founders
    ("opm-2014-evaluation-report", "commissioned_by_funder"),
    ("opm-2014-dear-doctor", "commissioned_by_funder"),
    ("hf-pathway-page", "funder"),                   # the funder on its own grantee
    ("hsj-mp-article", "project_team"),              # written by a project partner
    ("bpost-mid-staffs-grant", "independent"),
])
def test_sources_are_appraised_as_the_fact_base_and_codebook_say(ds, source_id, independence):
    """The trial is not independent (fact base, corrected 2026-12-01); OPM is independent
    of the projects but commissioned by the funder; a funder's page is the funder's word."""
    row = ds.sources.set_index("source_id").loc[source_id]
    assert str(row.independence) == independence
    if independence == "commissioned_by_funder":
        assert "commissioned" in row.independence_explanation


def test_no_funder_page_is_coded_as_anything_but_the_funders_word(ds):
    """Every funder_page source has independence funder."""
    funder = ds.sources[ds.sources.kind == "funder_page"]
    assert set(funder.independence.astype(str)) == {"funder"}


def test_the_evaluation_report_does_not_reuse_its_landing_pages_address(ds):
    """The report's own file address was not found, so it is left empty and said so."""
    sources = ds.sources.set_index("source_id")
    report = sources.loc["opm-2014-evaluation-report"]
    assert report.url is pd.NA or report.url != sources.loc["hf-evaluation-page"].url
    assert "no address is given for it" in report.access_note


# -- codebook ------------------------------------------------------------------------

def _codebook() -> str:
    return " ".join((DATA / "CODEBOOK.md").read_text().split())


def test_codebook_treats_a_change_phrased_as_a_possibility_as_not_reported():
    """Partial means some change was reported; 'could help' reports none."""
    text = _codebook()
    assert "A change phrased only as a possibility" in text
    assert "is **not** partial: it is `not_reported`." in text


def test_codebook_reports_the_agreement_computed_from_the_codings(ds):
    """The codebook's agreement line is what explorer computes from mechanism_codings: the
    unanimous share, Krippendorff's alpha with its interval, and every pairwise kappa."""
    agreement = query.coding_agreement(ds)
    reliability = explorer.evidence.query.agreement.reliability(ds)
    line = re.search(r"AGREEMENT: the three codings agreed on (\d+) of (\d+) records "
                     r"\((\d+)%\), before reconciliation; Krippendorff's alpha \(ordinal\) "
                     r"(\d\.\d\d), 95% interval (\d\.\d\d) to (\d\.\d\d) \((\d+) bootstrap "
                     r"resamples of records, seed (\d+)\); Cohen's kappa (.*?)\.(?: |$)",
                     _codebook())
    assert line, "the codebook's AGREEMENT line is missing"
    agreed, total, percent, alpha, low, high, resamples, seed, kappas = line.groups()
    assert (int(agreed), int(total)) == (agreement.agreed, agreement.total)
    assert int(percent) == round(agreement.percent)
    assert (alpha, low, high) == (f"{reliability.alpha:.2f}", f"{reliability.low:.2f}",
                                  f"{reliability.high:.2f}")
    assert (int(resamples), int(seed)) == (reliability.resamples, reliability.seed)
    assert kappas == ", ".join(f"{p.first} and {p.second} {p.kappa:.2f}"
                               for p in agreement.pairs)


def test_codebook_worked_examples_cite_no_evidence_row(ds):
    """Worked examples (sections 1-8) never cite a mechanism record: an example that rates
    a real record would decide it in advance for the coders."""
    text = (DATA / "CODEBOOK.md").read_text()
    rules = text[:text.index("## 9. Repeated coding by one team")]
    bold = set(re.findall(r"\*\*([a-z0-9][a-z0-9_-]*)\*\*", rules))
    assert not bold & set(ds.mechanism_evidence.evidence_id)


def test_every_mechanism_rating_has_three_codings_and_a_reconciliation(ds):
    """Each record has all three of the team's codings, and says how its rating was reached."""
    codings = ds.mechanism_codings
    per_record = codings.groupby("evidence_id", observed=True).coder.agg(lambda c: sorted(c))
    assert set(per_record.index) == set(ds.mechanism_evidence.evidence_id)
    assert all(coders == ["coder-1", "coder-2", "coder-3"] for coders in per_record)
    assert set(codings.basis.astype(str)) == {"coded"}
    assert (ds.mechanism_evidence.reconciliation.str.len() > 20).all()


def test_a_rating_is_its_coders_reading_or_says_why_it_departs(ds):
    """Agreed records keep the coders' strength and contested ones take one of their
    readings, except where the curators changed a rating after an audit: then the
    reconciliation says that the rating departs from the codings."""
    table = query.codings(ds).set_index("evidence_id")
    reconciliation = ds.mechanism_evidence.set_index("evidence_id").reconciliation
    departures = set()
    for evidence_id, row in table.iterrows():
        readings = {row[c] for c in ("first", "second", "third")}
        if row.contested:
            assert "differed" in reconciliation[evidence_id], evidence_id
        if row.reconciled not in readings:
            assert "departs from" in reconciliation[evidence_id], evidence_id
            departures.add(evidence_id)
    assert departures == {"shd-ev-professional_beliefs", "pw-ev-culture_environment",
                          "shd-ev-professional_beliefs-2", "pw-ev-professional_beliefs"}


def test_the_contested_ratings_and_how_they_were_settled(ds):
    """Pins the outcome of the three codings and of the 0.4.0 re-reconciliation: the same
    two records are not unanimous; Pathway's takes the reading two of three codings gave,
    and peer support's the second coding's (sources silent), after the audit of
    7 December 2026 found the partial reading claimed more than its source says."""
    assert query.contested_evidence(ds) == {"pw-ev-systems_processes",
                                            "ps-ev-systems_processes"}
    strengths = ds.mechanism_evidence.set_index("evidence_id").strength.astype(str)
    assert strengths["pw-ev-systems_processes"] == "partial"
    assert strengths["ps-ev-systems_processes"] == "not_reported"
    table = query.codings(ds).set_index("evidence_id")
    readings = {e: [table.loc[e, c] for c in ("first", "second", "third")]
                for e in query.contested_evidence(ds)}
    assert readings["pw-ev-systems_processes"].count("partial") == 2
    assert readings["ps-ev-systems_processes"] == ["partial", "not_reported", "partial"]


def test_no_rating_contradicts_the_outcomes_it_rests_on(ds):
    """A rating that says a change happened (evident, partial) and names outcomes rests on
    at least one that reports a change; one that names none says which sentence it rests
    on in its explanation. The audit of 7 December 2026 found three that did not."""
    direction = dict(zip(ds.outcomes.outcome_id, ds.outcomes.direction.astype(str),
                         strict=True))
    for row in query.rows(ds.mechanism_evidence):
        if str(row.strength) not in ("evident", "partial"):
            continue
        assert row.outcome_ids, row.evidence_id
        assert any(direction[o] != "not_applicable" for o in row.outcome_ids), row.evidence_id


def test_the_peer_support_referral_system_is_a_challenge_not_a_change(ds):
    """The BMJ summary calls creating the referral system a challenge; that it operated is
    not stated, so the rating is sources silent and its outcome reports no change."""
    rating = ds.mechanism_evidence.set_index("evidence_id").loc["ps-ev-systems_processes"]
    assert str(rating.strength) == "not_reported"
    assert "challenge" in rating.explanation
    outcome = ds.outcomes.set_index("outcome_id").loc["ps-out-7"]
    assert str(outcome.direction) == "not_applicable"


def test_record_access_sign_ups_are_the_change_both_ratings_rest_on(ds):
    """ra-out-2 records that patients signed up (an increase in patients with access, its
    size not found), coded and explained; both partial ratings rest on it."""
    outcome = ds.outcomes.set_index("outcome_id").loc["ra-out-2"]
    assert (str(outcome.direction), str(outcome.basis)) == ("increase", "coded")
    assert "not found" in outcome.explanation
    ratings = ds.mechanism_evidence.set_index("evidence_id")
    for evidence_id in ("ra-ev-patient_beliefs", "ra-ev-systems_processes"):
        assert "ra-out-2" in ratings.loc[evidence_id].outcome_ids


def test_no_finding_cites_the_unread_evaluation_report(ds):
    """The OPM report was never read: rows cite the landing pages that carry its summary;
    only a row about the report itself (that it could not be read) may cite it."""
    citing = ds.citations()
    citing = citing[citing.source_id == "opm-2014-evaluation-report"]
    assert set(citing.table) <= {"texts"}
    assert set(citing.row_key) <= {"closing-the-gap / ratings_note"}


def test_sources_sharing_an_origin_say_why_and_name_an_origin_of_its_own(ds):
    """Copies, republications and one organisation's accounts of one project name their
    origin, with a reason; every origin named is its own origin."""
    sources = ds.sources.set_index("source_id")
    copies = sources[sources.origin_id.notna()]
    assert len(copies) >= 10
    assert copies.origin_explanation.str.len().gt(20).all()
    assert sources.loc[copies.origin_id].origin_id.isna().all()
    for copy, origin in [("hf-ra-page-mirror", "hf-ra-page"), ("bmj-improve-ps", "hf-ps-page"),
                         ("hf-pathway-newsletter", "hf-pathway-page")]:
        assert sources.loc[copy].origin_id == origin


def test_the_blogs_whose_authors_nobody_could_check_are_not_called_independent(ds):
    """Two blog posts name no author in what was read: their independence is unknown."""
    sources = ds.sources.set_index("source_id")
    for source_id in ("rand-puzzle-blog", "elf-puzzle"):
        assert str(sources.loc[source_id].independence) == "unknown"
        assert "author" in sources.loc[source_id].independence_explanation


@pytest.mark.parametrize(("source_id", "kind"), [
    ("hf-ideas-into-action", "funder_report"), ("hf-resource-list-2015", "funder_report"),
    ("vimeo-end-event", "other"), ("shd-sustainability-paper", "conference_abstract")])
def test_sources_whose_kind_fitted_loosely_have_the_kind_they_are(ds, source_id, kind):
    """A report, a resource list, a video and a conference abstract, as the audit found."""
    assert str(ds.sources.set_index("source_id").loc[source_id].kind) == kind


@pytest.mark.parametrize("source_id", ["hf-shd-page", "pathway-teams-page",
                                       "pathway-legacy-teams-page"])
def test_access_notes_record_the_stored_copies_found_since(ds, source_id):
    """Three sources once noted as having no stored copy were checked against one on
    2026-12-07; the fourth named by the audit was not found, and its note says so."""
    notes = ds.sources.set_index("source_id").access_note
    assert "2026-12-07" in notes[source_id]
    assert "no stored copy found" not in notes[source_id].replace(
        "the searches of 2026-11-27 found no stored copy", "")
    assert "could not find it" in notes["hsj-mp-article"]


def test_codebook_data_as_of_is_the_packages_created_date(ds):
    """The codebook and datapackage.json agree on when the data was curated up to."""
    assert f"Data as of {ds.data_as_of}" in _codebook()
    assert tuple(int(part) for part in ds.version.split(".")[:2]) >= (0, 2)


# -- rows that once overstated their sources ------------------------------------------

def _row(ds, table, row_id):
    frame = ds[table]
    return frame.set_index(frame.columns[0]).loc[row_id]


def test_peer_support_training_row_claims_no_timing(ds):
    """ps-act-2: the source does not say the training came before the peer workers joined."""
    assert "before" not in _row(ds, "activities", "ps-act-2").description.lower()


def test_record_access_activity_does_not_claim_access_was_switched_on(ds):
    """ra-act-1: the source says barriers were tackled; switching on is only implied."""
    row = _row(ds, "activities", "ra-act-1")
    assert not row.description.lower().startswith("switched on")
    assert "implied" in row.explanation


def test_uneven_staff_engagement_is_not_placed_in_units(ds):
    """shd-be-5 and its evidence row say nothing the source does not about units."""
    assert "unit" not in _row(ds, "barriers_enablers", "shd-be-5").description.lower()
    contexts = _row(ds, "mechanism_evidence", "shd-ev-professional_beliefs-2").context_ids
    assert not {"shd-ctx-4", "shd-ctx-7"} & set(contexts)
    codebook = " ".join((DATA / "CODEBOOK.md").read_text().split())
    assert "differed between units" not in codebook


def test_jonkoping_is_not_called_a_self_care_unit(ds):
    """shd-ctx-6: the source names the Jönköping experience, not a self-care unit."""
    assert "self-care unit" not in _row(ds, "contexts", "shd-ctx-6").description


def test_peer_support_pre_grant_context_is_coded(ds):
    """ps-ctx-1: 'before the grant' is a reading of dates, so it is coded and explained."""
    row = _row(ds, "contexts", "ps-ctx-1")
    assert str(row.basis) == "coded" and "inference" in row.explanation


def test_record_access_possibility_is_not_an_increase(ds):
    """ra-out-1: the source says access can help; no increase is stated as fact."""
    row = _row(ds, "outcomes", "ra-out-1")
    assert str(row.direction) != "increase"
    assert "can" in row.description and "no change was measured" in row.description


def test_complaints_survey_follow_on_names_three_trusts(ds):
    """su-fo-2: three west midlands trusts were to survey complainants, not all ten."""
    description = _row(ds, "follow_on", "su-fo-2").description
    assert description.startswith("Three west midlands trusts")
    assert "Ten acute trusts" not in description


@pytest.mark.parametrize("table", ["mechanisms", "foundations"])
def test_framework_definitions_are_coded_because_opm_only_names_the_terms(ds, table):
    """OPM lists the mechanisms and foundations; the definitions' wording is ours."""
    frame = ds[table]
    assert set(frame.basis.astype(str)) == {"coded"}
    assert frame.explanation.str.contains("curators'").all()


# -- paraphrase, not copy -------------------------------------------------------------

FREE_TEXT = ("summary", "description", "explanation", "definition", "text", "membership_basis",
             "grant_note", "handling", "setting", "population", "access_note", "topic",
             "bearing")
RUN = 8


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9£%]+", text.lower().replace("’", "'"))


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _words(text)
    return {tuple(words[i:i + RUN]) for i in range(len(words) - RUN + 1)}


SECTION_7 = "## 7."


def _quoted_source_text() -> str:
    """Every verbatim excerpt in the fact base, plus the full OPM article.

    Sections 1-6 quote a source after its address (``[url] "..."``); section 7 writes its
    excerpts as quoted bullets (``- "..."``, ``  - "..."``, or several quotes on one line),
    so every double-quoted passage from section 7 on is collected too.
    """
    facts = (SOURCES_DIR / "fact-base.md").read_text()
    excerpts = re.findall(r'\] "([^"]+)"', facts)
    section_7 = facts[facts.index(SECTION_7):]
    excerpts += re.findall(r'"([^"\n]+)"', section_7)
    return "\n".join(excerpts) + "\n" + (SOURCES_DIR / "opm-2014-dear-doctor.txt").read_text()


@pytest.mark.skipif(not SOURCES_DIR.is_dir(), reason="shared/sources not beside the clone")
def test_no_text_cell_copies_eight_words_in_a_row_from_a_source(ds):
    """No free-text cell repeats eight words in a row from a quoted source: all is paraphrase."""
    quoted = set()
    for excerpt in _quoted_source_text().split("\n"):
        quoted |= _shingles(excerpt)
    assert len(quoted) > 1000  # the check really has source text to compare with
    copied = []
    for name, frame in ds.tables.items():
        for column in FREE_TEXT:
            if column not in frame.columns:
                continue
            for value in frame[column].dropna():
                overlap = _shingles(str(value)) & quoted
                if overlap:
                    copied.append((name, column, " ".join(sorted(overlap)[0])))
    assert copied == []


@pytest.mark.skipif(not SOURCES_DIR.is_dir(), reason="shared/sources not beside the clone")
def test_the_paraphrase_check_covers_the_fact_bases_section_7():
    """Section 7's bullet quotes (not written after a source address) are compared too."""
    quoted = _quoted_source_text()
    assert "Moving from individual to group appointments is more efficient" in quoted
    assert "Both schemes were awarded £400,000 by the Health Foundation" in quoted
    assert "Initial funding came from short-term CCG grants" in quoted


def test_the_paraphrase_check_would_catch_a_copied_sentence():
    """The paraphrase check flags a sentence that repeats eight words of a source in a row."""
    sentence = ("Staff reported increased job satisfaction and greater respect for patients "
                "in every unit")
    source = "Staff reported increased job satisfaction and greater respect for patients."
    assert _shingles(sentence) & _shingles(source)


def test_codebook_is_beside_the_data():
    """CODEBOOK.md sits in data/, beside the tables it explains."""
    assert Path(DATA / "CODEBOOK.md").is_file()


@pytest.mark.parametrize(("table", "row_id", "present", "absent"), [
    ("contexts", "shd-ctx-2", "emerging", "drifted"),
    ("activities", "su-act-1", "advocates", "judged"),
    ("follow_on", "shd-fo-3", "gathering data", "followed 600"),
    ("barriers_enablers", "ra-be-2", "reluctant", "unwilling"),
])
def test_rows_a_fresh_audit_found_overstated_now_say_only_what_the_source_says(
        ds, table, row_id, present, absent):
    """The 30-row audit's corrections hold: an emerging trend is not a settled fact, a clause
    no source supports is gone, a study under way is not a finished one."""
    description = str(_row(ds, table, row_id).description)
    assert present in description and absent not in description


def test_ratings_chosen_in_doubt_say_so_as_the_codebook_asks(ds):
    """Where both coders recorded doubt and the lower level was kept, the rating says so."""
    evidence = ds.mechanism_evidence.set_index("evidence_id")
    for row_id in ("shd-ev-culture_environment", "mp-ev-professional_beliefs",
                   "mp-ev-culture_environment"):
        assert "Doubt:" in evidence.loc[row_id].explanation, row_id
