"""Specifications of the query layer, checked on the hand-countable mini package.

See ``tests/fixtures/mini/README.md`` for what the mini package holds.
"""

from __future__ import annotations

import pytest

import explorer
from explorer import QueryError
from explorer.evidence import query
from explorer.evidence.query import Filters


def cell(frame, mechanism_id, column_id):
    row = frame[(frame.mechanism_id == mechanism_id) & (frame.column_id == column_id)]
    assert len(row) == 1
    return row.iloc[0]


def test_matrix_has_every_mechanism_by_every_project_including_unidentified(mini):
    """The project matrix has a cell for every mechanism in every project, unidentified ones too."""
    frame = query.matrix(mini, "project")
    assert list(frame.column_id.unique()) == ["alpha", "beta", "gamma"]
    assert list(frame.mechanism_id.unique()) == ["patient_beliefs", "professional_beliefs"]
    assert len(frame) == 6


def test_cell_strength_is_the_strongest_row_and_count_skips_not_reported(mini):
    """alpha × professional beliefs has a not_reported and a partial row."""
    alpha = cell(query.matrix(mini, "project"), "professional_beliefs", "alpha")
    assert alpha.strength == "partial"
    assert alpha["count"] == 1
    assert alpha["rows"] == 2
    assert set(alpha.evidence_ids) == {"a-ev-2", "a-ev-3"}


def test_a_cell_with_only_not_reported_rows_is_not_reported_with_count_zero(mini):
    """A cell whose only rows are rated not reported reads not reported, counting 0 of its 1 row."""
    frame = query.matrix(mini, "project", Filters(strength=("not_reported",)))
    alpha = cell(frame, "professional_beliefs", "alpha")
    assert (alpha.strength, alpha["count"], alpha["rows"]) == ("not_reported", 0, 1)


def test_a_cell_without_rows_is_no_rows_not_not_reported(mini):
    """A cell with no evidence rows at all is "no rows", kept apart from "not reported"."""
    gamma = cell(query.matrix(mini, "project"), "patient_beliefs", "gamma")
    assert (gamma.strength, gamma["count"], gamma["rows"]) == ("no_rows", 0, 0)


def test_strongest_orders_evident_partial_not_evident_not_reported():
    """A cell takes its strongest rating (evident > partial > not evident > not reported)."""
    assert query.strongest(["not_reported", "not_evident"]) == "not_evident"
    assert query.strongest(["partial", "evident", "not_reported"]) == "evident"
    assert query.strongest([]) == "no_rows"


def test_record_with_contexts_in_two_dimensions_counts_in_both_columns(mini):
    """A record whose contexts fall in two dimensions appears in both dimensions' columns."""
    frame = query.matrix(mini, "context_dimension")
    assert cell(frame, "professional_beliefs", "financial").evidence_ids == ("a-ev-3",)
    assert set(cell(frame, "professional_beliefs", "workforce").evidence_ids) == {
        "a-ev-3", "b-ev-1"}


def test_relationship_type_columns_follow_each_projects_relationships(mini):
    """By relationship type, each record sits under every relationship its project targets."""
    frame = query.matrix(mini, "relationship_type")
    assert cell(frame, "patient_beliefs", "person_system").evidence_ids == ("a-ev-1",)
    assert set(cell(frame, "professional_beliefs", "person_system").evidence_ids) == {
        "a-ev-2", "a-ev-3", "b-ev-1"}
    assert cell(frame, "professional_beliefs", "individual_professional").strength == "partial"


def test_setting_columns_group_projects_by_setting_type(mini):
    """By setting, records sit under their project's setting type; an empty setting has no rows."""
    frame = query.matrix(mini, "setting_type")
    assert cell(frame, "professional_beliefs", "general_practice").evidence_ids == ("b-ev-1",)
    assert cell(frame, "patient_beliefs", "not_found").strength == "no_rows"


def test_filters_are_or_within_a_facet(mini):
    """Choosing two values in one facet shows the records matching either of them."""
    ids = set(query.reader_table(mini, Filters(project=("alpha", "beta")))["Record"])
    assert ids == {"a-ev-1", "a-ev-2", "a-ev-3", "b-ev-1"}


def test_filters_are_and_across_facets(mini):
    """Choices in different facets must all hold: only records matching every facet remain."""
    chosen = Filters(project=("alpha", "beta"), strength=("partial",),
                     context_dimension=("financial",))
    assert list(query.reader_table(mini, chosen)["Record"]) == ["a-ev-3"]


def test_an_empty_facet_does_not_filter(mini):
    """With nothing chosen, every evidence record is shown."""
    assert len(query.reader_table(mini, Filters())) == 4


def test_filtering_the_column_facet_limits_the_columns(mini):
    """Filtering on the facet the columns are made of leaves only the chosen columns."""
    frame = query.matrix(mini, "project", Filters(project=("beta",)))
    assert list(frame.column_id.unique()) == ["beta"]


def test_filters_describe_themselves_in_words():
    """Filters read as a sentence ("Project is alpha or beta, and ..."); none say all records."""
    chosen = Filters(project=("alpha", "beta"), strength=("partial",))
    assert chosen.describe() == "Project is alpha or beta, and Strength is partial"
    assert Filters().describe() == "No filters: all evidence records"


def test_filters_are_described_with_the_datas_labels(mini):
    """Described with the data, filters use its display labels (Alpha, Partial), not the ids."""
    chosen = Filters(project=("alpha",), strength=("partial", "evident"))
    assert query.describe_filters(mini, chosen) == (
        "Project is Alpha, and Strength is Partial or Evident")
    assert query.describe_filters(mini, Filters()) == "No filters: all evidence records"


def test_unknown_ids_raise_a_query_error_naming_the_id_and_the_known_ones(mini):
    """A filter with an unknown id raises QueryError naming that id and listing the known ones."""
    with pytest.raises(QueryError, match=r"unknown project 'zeta'; known: alpha, beta, gamma"):
        query.matrix(mini, "project", Filters(project=("zeta",)))


def test_unknown_column_kind_is_a_query_error(mini):
    """A matrix asked for by an unknown column kind raises QueryError naming the kind."""
    with pytest.raises(QueryError, match="unknown column kind 'region'"):
        query.matrix(mini, "region")


def test_cell_records_lists_a_cells_records_with_explanations_and_citations(mini):
    """A cell's records are listed in order with the reason for each rating and its sources."""
    table = query.cell_records(mini, "project", "professional_beliefs", "alpha")
    assert list(table["Record"]) == ["a-ev-2", "a-ev-3"]
    assert list(table["Why this rating"]) == ["silent", "staff views shifted a little"]
    assert list(table["Sources"]) == ["hf-programme-page", "hf-programme-page"]


def test_cell_records_for_a_row_header_and_a_column_header(mini):
    """A row header lists its mechanism's records; a column header, its project's records."""
    row = query.cell_records(mini, "project", mechanism_id="patient_beliefs")
    column = query.cell_records(mini, "project", column_id="beta")
    assert list(row["Record"]) == ["a-ev-1"]
    assert list(column["Record"]) == ["b-ev-1"]


def test_reader_table_uses_plain_language_headers_and_labels(mini):
    """The reader's table has plain headers, strength labels and contexts joined by "; "."""
    table = query.reader_table(mini)
    assert list(table.columns) == list(query.READER_COLUMNS.values())
    assert set(table["Strength"]) == {"Evident", "Partial", "Not reported"}
    assert table.loc[table.Record == "a-ev-3", "Contexts"].item() == "money tight; staff stretched"


def test_project_chains_link_context_activity_mechanism_outcome(mini):
    """Chains link each context to its activity, activity to mechanism, mechanism to outcome."""
    chains = query.project_chains(mini, "alpha")
    links = set(zip(chains.source_id, chains.target_id, strict=True))
    assert ("a-ctx-1", "a-act-1") in links
    assert ("a-ctx-2", "a-act-1") in links
    assert ("a-act-1", "patient_beliefs") in links
    assert ("patient_beliefs", "a-out-1") in links


def _not_reported_row_with_links(mini_copy):
    """The mini package with its not_reported row (a-ev-2) citing a context, an activity
    and an outcome, so that keeping it would add links."""
    line = 3  # a-ev-2
    assert mini_copy.cell("mechanism_evidence", line, "evidence_id") == "a-ev-2"
    mini_copy.set_cell("mechanism_evidence", line, "activity_ids", "a-act-1")
    mini_copy.set_cell("mechanism_evidence", line, "context_ids", "a-ctx-1")
    mini_copy.set_cell("mechanism_evidence", line, "outcome_ids", "a-out-1")
    return explorer.load(mini_copy.path)


def test_project_chains_leave_out_not_reported_rows(mini_copy):
    """A row rated not reported adds no link to its project's chains, even when it cites
    contexts, activities and outcomes."""
    chains = query.project_chains(_not_reported_row_with_links(mini_copy), "alpha")
    assert "a-ev-2" not in set(chains.evidence_id)
    assert "not_reported" not in set(chains.strength)


def test_project_story_collects_the_projects_rows_and_sources(mini):
    """A project's story holds its labelled relationships, its contexts and the sources it cites."""
    story = query.project_story(mini, "alpha")
    assert story.is_identified
    assert story.relationships == ["Person and professional", "Person and system"]
    assert list(story.contexts.context_id) == ["a-ctx-1", "a-ctx-2"]
    assert list(story.sources.source_id) == ["hf-programme-page"]


def test_project_story_of_an_unidentified_project_is_empty_but_says_so(mini):
    """An unidentified project's story says it is unidentified and has no evidence and no chains."""
    story = query.project_story(mini, "gamma")
    assert not story.is_identified
    assert story.evidence.empty and story.chains.empty


def test_compare_projects_puts_strengths_side_by_side(mini):
    """Compare gives a column per project (by name) and a row per mechanism, with its strength."""
    wide = query.compare_projects(mini, ["alpha", "beta"])
    assert list(wide.columns) == ["Alpha", "Beta"]
    assert wide.loc["patient beliefs"].tolist() == ["evident", "no_rows"]
    assert wide.loc["professional beliefs"].tolist() == ["partial", "partial"]


@pytest.mark.parametrize("chosen", [["alpha"], ["alpha", "alpha"], ["a", "b", "c", "d"]])
def test_compare_needs_two_or_three_different_projects(mini, chosen):
    """Compare refuses one project, a repeated project or four projects with a clear QueryError."""
    with pytest.raises(QueryError, match="choose two or three different projects"):
        query.compare_projects(mini, chosen)


def test_same_activity_type_activating_different_mechanisms_is_flagged(mini):
    """Projects whose same activity type activated different mechanisms are flagged as differing."""
    table = query.same_activity_different_mechanisms(mini)
    assert list(table.project_id) == ["alpha", "beta"]
    assert table.differs.all()
    assert table.set_index("project_id").loc["beta", "mechanisms"] == ("professional beliefs",)


def _same_activity_by_definition(ds, project_ids=None):
    """The docstring of ``same_activity_different_mechanisms`` read literally, row by row."""
    activities = ds.activities
    if project_ids is not None:
        activities = activities[activities.project_id.isin(project_ids)]
    ev = ds.mechanism_evidence
    labels = query.facet_options(ds, "mechanism")
    context = dict(zip(ds.contexts.context_id, ds.contexts.description, strict=True))
    rows = []
    for kind in ds.activities.activity_type.cat.categories:
        of_kind = activities[activities.activity_type == kind]
        projects = list(dict.fromkeys(of_kind.project_id))
        if len(projects) < 2:
            continue
        entries = []
        for project in projects:
            ids = set(of_kind[of_kind.project_id == project].activity_id)
            used = [r for r in ev.itertuples() if r.project_id == project
                    and ids & set(r.activity_ids)]
            contexts = dict.fromkeys(context[c] for r in used for c in r.context_ids)
            entries.append((query.humanise(kind), project,
                            "; ".join(c.rstrip(". ") for c in contexts), tuple(dict.fromkeys(
                    labels[r.mechanism_id] for r in used
                    if str(r.strength) in ("evident", "partial")))))
        differs = len({frozenset(e[3]) for e in entries}) > 1
        rows += [(*e, differs) for e in entries]
    return rows


@pytest.mark.parametrize("chosen", [None, 2, 3])
def test_same_activity_matches_its_definition_on_the_real_data(ds, chosen):
    """Every activity type two or more projects used, each project's contexts and activated
    mechanisms, and whether they differ: as the definition says, for all projects or a few."""
    project_ids = None if chosen is None else list(ds.projects.project_id[:chosen])
    table = query.same_activity_different_mechanisms(ds, project_ids)
    got = [(r.activity_type, r.project_id, r.contexts, r.mechanisms, r.differs)
           for r in table.itertuples()]
    assert got == _same_activity_by_definition(ds, project_ids)
    assert len(table) > 0


class CountingTuple(tuple):
    """A tuple that counts how often it is read (to pin how much work a query does)."""

    reads = 0

    def __iter__(self):
        CountingTuple.reads += 1
        return super().__iter__()


def test_same_activity_reads_each_evidence_record_a_bounded_number_of_times(ds):
    """The query is linear in the data: it reads each record's cited activities a fixed
    number of times, not once per project and activity type (which grew as projects ×
    records and took 10 s at 100× the data)."""
    ev = ds.mechanism_evidence.copy()
    ev["activity_ids"] = [CountingTuple(ids) for ids in ev.activity_ids]
    counted = explorer.Dataset(ds.descriptor, {**ds.tables, "mechanism_evidence": ev})
    CountingTuple.reads = 0
    table = query.same_activity_different_mechanisms(counted)
    assert len(table) > 2
    assert CountingTuple.reads <= 3 * len(ev)


def test_activity_mechanism_links_count_rows_and_skip_not_reported(mini):
    """Flows count an activity→mechanism link per citing row, a mechanism→outcome per outcome."""
    links = query.activity_mechanism_links(mini)
    as_tuples = set(links.drop(columns="strength_label").itertuples(index=False, name=None))
    assert ("activity→mechanism", "Staff training", "patient beliefs", "evident", 1) in as_tuples
    assert ("activity→mechanism", "Staff training", "professional beliefs", "partial", 2) in (
        as_tuples)
    assert ("mechanism→outcome", "patient beliefs", "Confidence and control", "evident", 1) in (
        as_tuples)
    assert links["count"].sum() == 4


def test_activity_mechanism_links_skip_not_reported_rows_that_cite_activities(mini_copy):
    """A not_reported row adds no flow, even when it cites an activity and an outcome."""
    links = query.activity_mechanism_links(_not_reported_row_with_links(mini_copy))
    assert "not_reported" not in set(links.strength)
    assert links["count"].sum() == 4


def test_facet_options_are_in_display_order_with_labels(mini):
    """Facet options come in display order with their labels; an unknown facet is a QueryError."""
    assert query.facet_options(mini, "strength") == {
        "evident": "Evident", "partial": "Partial", "not_evident": "Not evident",
        "not_reported": "Not reported"}
    assert list(query.facet_options(mini, "project").values()) == [
        "Alpha", "Beta", "Project 3 (not identified)"]
    with pytest.raises(QueryError, match="unknown facet"):
        query.facet_options(mini, "colour")
