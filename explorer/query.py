"""Pure query functions over a loaded ``Dataset``: what every dashboard shows, as tables.

Filter semantics (the same everywhere, and stated on the pages): a ``Filters`` holds, for each
facet, a set of chosen values. A record matches when, **for every facet with a choice (AND
across facets), at least one of the record's values is chosen (OR within a facet)**. A record
can have several values for one facet: an evidence row whose contexts span two dimensions
matches either dimension; a project targets one or more relationship types.

Matrix cells combine evidence rows as ``data/CODEBOOK.md`` says: the cell's strength is the
strongest of its rows (evident > partial > not evident > not reported) and its count is the
number of rows that are not ``not_reported``. A cell with no rows is ``no_rows``, which is
different from ``not_reported``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields, replace
from itertools import combinations
from typing import Any, NamedTuple

import pandas as pd

from .errors import QueryError
from .load import Dataset

__all__ = [
    "COLUMN_KINDS",
    "FACETS",
    "STRENGTHS",
    "STRENGTH_ORDER",
    "Agreement",
    "Filters",
    "PairAgreement",
    "ProjectStory",
    "activity_mechanism_links",
    "cell_records",
    "citation_text",
    "coding_agreement",
    "codings",
    "compare_projects",
    "contested_evidence",
    "describe_filters",
    "evidence_records",
    "facet_counts",
    "facet_options",
    "humanise",
    "matrix",
    "project_chains",
    "project_story",
    "reader_table",
    "rows",
    "same_activity_different_mechanisms",
    "strongest",
]

STRENGTH_ORDER = ("evident", "partial", "not_evident", "not_reported")
NO_ROWS = "no_rows"
ACTIVATED = ("evident", "partial")

STRENGTHS = {
    "evident": ("Evident", "A source reports that the change itself happened, for the people "
                 "concerned."),
    "partial": ("Partial", "A source reports some change, but limited, uneven, or only for "
                "some people or sites."),
    "not_evident": ("Not evident", "The project tried, but the sources report that the change "
                    "did not take hold."),
    "not_reported": ("Not reported", "The sources we could read do not say whether the change "
                     "happened (they are silent, or speak only of aims and possibilities). A "
                     "gap in the public record, not evidence of absence."),
    NO_ROWS: ("No evidence rows", "No evidence record matches this cell with the current "
              "filters."),
}

MEMBERSHIP_HELP = {
    "confirmed": "A source names this project as part of the programme.",
    "probable": "Only circumstantial evidence links this project to the programme; no source "
                "names it as part of it.",
    "unidentified": "The funder counts this project, but no source we could read names it.",
}

BASIS_TERMS = {
    "stated": "A cited source says this; the row only puts it in other words.",
    "coded": "A curator's judgement from the cited text, explained in the row and made by the "
             "rules of the codebook.",
}

CONTEXT_HELP = {
    "policy": "National or local policy the project worked within.",
    "organisational": "How the organisations involved were set up and worked.",
    "workforce": "The staff: numbers, pressures, roles.",
    "population": "The people the project served and their circumstances.",
    "financial": "Money: payment rules, budgets, costs.",
    "technology": "Systems and tools, such as online records.",
    "history": "What happened before the project, including figures from before the grant.",
}

CODINGS_TABLE = "mechanism_codings"

COLUMN_KINDS = {
    "project": "Projects",
    "context_dimension": "Context dimensions",
    "relationship_type": "Relationship types",
    "setting_type": "Settings",
}

FACETS = {
    "project": "Project",
    "mechanism": "Mechanism",
    "strength": "Strength",
    "relationship_type": "Relationship type",
    "context_dimension": "Context dimension",
    "setting_type": "Setting",
    "activity_type": "Activity type",
}

# Evidence-record column holding each facet's values (a tuple per record).
_FACET_COLUMNS = {
    "project": "project_ids",
    "mechanism": "mechanism_ids",
    "strength": "strengths",
    "relationship_type": "relationship_type_ids",
    "context_dimension": "context_dimensions",
    "setting_type": "setting_types",
    "activity_type": "activity_types",
}


@dataclass(frozen=True)
class Filters:
    """Chosen values per facet; an empty tuple means "no filter on this facet"."""

    project: tuple[str, ...] = ()
    mechanism: tuple[str, ...] = ()
    strength: tuple[str, ...] = ()
    relationship_type: tuple[str, ...] = ()
    context_dimension: tuple[str, ...] = ()
    setting_type: tuple[str, ...] = ()
    activity_type: tuple[str, ...] = ()

    def active(self) -> dict[str, tuple[str, ...]]:
        """The facets that have a choice."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}

    def with_(self, **changes: tuple[str, ...]) -> Filters:
        """A copy with some facets changed."""
        return replace(self, **{k: tuple(v) for k, v in changes.items()})

    def describe(self) -> str:
        """The filter in words, for a page: 'Project is A or B, and Strength is Evident'."""
        parts = [f"{FACETS[name]} is " + " or ".join(values)
                 for name, values in self.active().items()]
        return ", and ".join(parts) if parts else "No filters: all evidence records"


def describe_filters(ds: Dataset, filters: Filters) -> str:
    """``filters`` in words with the data's labels, e.g. 'Project is Pathway homeless care'."""
    labelled = {facet: tuple(facet_options(ds, facet)[v] for v in values)
                for facet, values in filters.active().items()}
    return Filters(**labelled).describe()


def rows(frame: pd.DataFrame) -> Iterator[Any]:
    """The rows of ``frame`` as named tuples (fields typed loosely: a row mixes types)."""
    yield from frame.itertuples(index=False)


def humanise(identifier: str) -> str:
    """'renal_dialysis_units' → 'Renal dialysis units' (for vocabularies with no label table)."""
    return identifier.replace("_", " ").capitalize()


def _labels(ds: Dataset, table: str, key: str, label: str) -> dict[str, str]:
    frame = ds[table]
    if "display_order" in frame.columns:
        frame = frame.sort_values("display_order")
    return dict(zip(frame[key].astype(str), frame[label].astype(str), strict=True))


def _enum(ds: Dataset, table: str, column: str) -> list[str]:
    return list(ds[table][column].cat.categories)


def facet_options(ds: Dataset, facet: str) -> dict[str, str]:
    """The values a facet can take, in display order, as ``{id: plain-language label}``.

    Raises:
        QueryError: ``facet`` is not one of ``FACETS``.
    """
    if facet == "project":
        return dict(zip(ds.projects.project_id, ds.projects.short_name, strict=True))
    if facet == "mechanism":
        return _labels(ds, "mechanisms", "mechanism_id", "label")
    if facet == "relationship_type":
        return _labels(ds, "relationship_types", "relationship_type_id", "label")
    if facet == "strength":
        return {s: STRENGTHS[s][0] for s in STRENGTH_ORDER}
    if facet == "context_dimension":
        return {v: humanise(v) for v in _enum(ds, "contexts", "dimension")}
    if facet == "setting_type":
        return {v: humanise(v) for v in _enum(ds, "projects", "setting_type")}
    if facet == "activity_type":
        return {v: humanise(v) for v in _enum(ds, "activities", "activity_type")}
    raise QueryError(f"unknown facet {facet!r}; facets: {', '.join(FACETS)}")


def check_ids(ds: Dataset, facet: str, values: tuple[str, ...] | list[str]) -> None:
    """Raise ``QueryError`` naming any value that is not an id of ``facet``."""
    known = facet_options(ds, facet)
    unknown = [v for v in values if v not in known]
    if unknown:
        raise QueryError(f"unknown {FACETS[facet].lower()} {', '.join(map(repr, unknown))}; "
                         f"known: {', '.join(known)}")


def check_filters(ds: Dataset, filters: Filters) -> None:
    """Raise ``QueryError`` if any chosen value is unknown."""
    for facet, values in filters.active().items():
        check_ids(ds, facet, values)


def citation_text(citations: tuple) -> str:
    """Citations as written in the data: ``a[p. 3]; b``."""
    return "; ".join(str(c) for c in citations)


def evidence_records(ds: Dataset) -> pd.DataFrame:
    """Every mechanism-evidence row joined with what the facets need (one row per record).

    Facet columns (``project_ids``, ``context_dimensions``, …) hold tuples, because one
    record can have several values for a facet.
    """
    ev = ds.mechanism_evidence
    # Plain dicts, not DataFrame.at: one lookup per record must stay cheap at 100× the data
    # (``.at`` cost tens of microseconds a call, most of a matrix page's build time there).
    short_name = dict(zip(ds.projects.project_id, ds.projects.short_name, strict=True))
    setting_of = dict(zip(ds.projects.project_id, ds.projects.setting_type.astype(str),
                          strict=True))
    relationships: dict[str, list[str]] = {}
    for project_id, relationship in zip(ds.project_relationships.project_id,
                                        ds.project_relationships.relationship_type_id,
                                        strict=True):
        relationships.setdefault(project_id, []).append(relationship)
    dimension_of = dict(zip(ds.contexts.context_id, ds.contexts.dimension.astype(str),
                            strict=True))
    type_of = dict(zip(ds.activities.activity_id, ds.activities.activity_type.astype(str),
                       strict=True))
    mechanism_label = facet_options(ds, "mechanism")
    records = pd.DataFrame({
        "evidence_id": ev.evidence_id.astype(str),
        "project_id": ev.project_id.astype(str),
        "project": [short_name[p] for p in ev.project_id],
        "mechanism_id": ev.mechanism_id.astype(str),
        "mechanism": [mechanism_label[m] for m in ev.mechanism_id],
        "strength": ev.strength,
        "explanation": ev.explanation,
        "basis": ev.basis,
        "activity_ids": ev.activity_ids,
        "context_ids": ev.context_ids,
        "outcome_ids": ev.outcome_ids,
        "source_ids": ev.source_ids,
    })
    records["project_ids"] = [(p,) for p in records.project_id]
    records["mechanism_ids"] = [(m,) for m in records.mechanism_id]
    records["strengths"] = [(str(s),) for s in records.strength]
    records["relationship_type_ids"] = [tuple(relationships.get(p, ())) for p in
                                        records.project_id]
    records["context_dimensions"] = [tuple(dict.fromkeys(dimension_of[c] for c in ids))
                                     for ids in records.context_ids]
    records["setting_types"] = [(setting_of[p],) for p in records.project_id]
    records["activity_types"] = [tuple(dict.fromkeys(type_of[a] for a in ids))
                                 for ids in records.activity_ids]
    return records


def apply_filters(records: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Keep records matching ``filters``: OR within a facet, AND across facets."""
    keep = pd.Series(True, index=records.index)
    for facet, chosen in filters.active().items():
        wanted = set(chosen)
        column = records[_FACET_COLUMNS[facet]]
        keep &= column.map(lambda values, wanted=wanted: bool(wanted.intersection(values)))
    return records.loc[keep.astype(bool)]


def strongest(strengths: Iterable[object]) -> str:
    """The strongest strength in ``strengths`` (evident > partial > not evident > not
    reported), or ``no_rows`` when there are none."""
    present = {str(s) for s in strengths}
    for strength in STRENGTH_ORDER:
        if strength in present:
            return strength
    return NO_ROWS


def _columns_for(ds: Dataset, columns: str, filters: Filters) -> dict[str, str]:
    if columns not in COLUMN_KINDS:
        raise QueryError(f"unknown column kind {columns!r}; choose one of "
                         f"{', '.join(COLUMN_KINDS)}")
    options = facet_options(ds, columns)
    chosen = getattr(filters, columns)
    return {k: v for k, v in options.items() if k in chosen} if chosen else options


def matrix(ds: Dataset, columns: str = "project", filters: Filters | None = None) -> pd.DataFrame:
    """The mechanism × column evidence matrix, one row per cell (tidy).

    Args:
        columns: what the columns are: ``project``, ``context_dimension``,
            ``relationship_type`` or ``setting_type``.
        filters: facets to filter evidence records by (OR within, AND across).

    Returns:
        Columns ``mechanism_id, mechanism, column_id, column, strength, count, rows,
        evidence_ids``: every mechanism × every column value, in display order, including
        cells with no rows (strength ``no_rows``).

    Raises:
        QueryError: unknown column kind or filter value.
    """
    filters = filters or Filters()
    check_filters(ds, filters)
    column_labels = _columns_for(ds, columns, filters)
    records = apply_filters(evidence_records(ds), filters)
    mechanisms = facet_options(ds, "mechanism")
    if filters.mechanism:
        mechanisms = {k: v for k, v in mechanisms.items() if k in filters.mechanism}
    # One pass over the records (a record may sit in several columns), then one lookup per
    # cell: linear in records plus cells, whatever the number of projects.
    hits: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for evidence_id, mechanism_id, strength, values in zip(
            records.evidence_id, records.mechanism_id, records.strength.astype(str),
            records[_FACET_COLUMNS[columns]], strict=True):
        for column_id in values:
            hits.setdefault((mechanism_id, column_id), []).append((evidence_id, strength))
    cells = []
    for mechanism_id, mechanism in mechanisms.items():
        for column_id, column in column_labels.items():
            hit = hits.get((mechanism_id, column_id), [])
            strengths = [strength for _, strength in hit]
            cells.append((mechanism_id, mechanism, column_id, column, strongest(strengths),
                          sum(s != "not_reported" for s in strengths), len(strengths),
                          tuple(evidence_id for evidence_id, _ in hit)))
    result = pd.DataFrame(cells, columns=["mechanism_id", "mechanism", "column_id", "column",
                                          "strength", "count", "rows", "evidence_ids"])
    result["count"] = result["count"].astype("int64")
    result["rows"] = result["rows"].astype("int64")
    return result


def facet_counts(ds: Dataset, filters: Filters | None = None,
                 facets: tuple[str, ...] | None = None) -> dict[str, dict[str, int]]:
    """For each facet value, how many evidence records choosing it would show.

    The count for a value applies every *other* facet's choices and then that value alone,
    so a reader sees what ticking (or keeping) a box would give.

    Returns:
        ``facet → {value id → count}`` for ``facets`` (default: all), every value listed.
    """
    filters = filters or Filters()
    check_filters(ds, filters)
    records = evidence_records(ds)
    counts: dict[str, dict[str, int]] = {}
    for facet in facets or tuple(FACETS):
        others = apply_filters(records, filters.with_(**{facet: ()}))
        tally: dict[str, int] = {}
        for values in others[_FACET_COLUMNS[facet]]:
            for value in set(values):
                tally[value] = tally.get(value, 0) + 1
        counts[facet] = {value: tally.get(value, 0) for value in facet_options(ds, facet)}
    return counts


READER_COLUMNS = {
    "evidence_id": "Record",
    "project": "Project",
    "mechanism": "Mechanism",
    "strength_label": "Strength",
    "activities": "Activities",
    "contexts": "Contexts",
    "explanation": "Why this rating",
    "basis": "Basis",
    "sources": "Sources",
}


def _join(texts: Iterable[object]) -> str:
    """Join sentences into one cell: 'A. B.' → 'A; B'."""
    return "; ".join(str(t).rstrip(". ") for t in texts)


def _reader(ds: Dataset, records: pd.DataFrame) -> pd.DataFrame:
    activity = dict(zip(ds.activities.activity_id, ds.activities.description, strict=True))
    context = dict(zip(ds.contexts.context_id, ds.contexts.description, strict=True))
    out = pd.DataFrame({
        "evidence_id": records.evidence_id,
        "project": records.project,
        "mechanism": records.mechanism,
        "strength_label": [STRENGTHS[str(s)][0] for s in records.strength],
        "activities": [_join(activity[a] for a in ids) for ids in records.activity_ids],
        "contexts": [_join(context[c] for c in ids) for ids in records.context_ids],
        "explanation": records.explanation.fillna(""),
        "basis": records.basis.astype(str),
        "sources": [citation_text(c) for c in records.source_ids],
    })
    return out.rename(columns=READER_COLUMNS).reset_index(drop=True)


def reader_table(ds: Dataset, filters: Filters | None = None) -> pd.DataFrame:
    """Every evidence record matching ``filters``, with plain-language column names.

    This is exactly the table a dashboard shows and its CSV download contains.
    """
    filters = filters or Filters()
    check_filters(ds, filters)
    return _reader(ds, apply_filters(evidence_records(ds), filters))


def cell_records(ds: Dataset, columns: str = "project", mechanism_id: str | None = None,
                 column_id: str | None = None, filters: Filters | None = None) -> pd.DataFrame:
    """The evidence records behind one matrix cell, a row header or a column header.

    Give ``mechanism_id`` and ``column_id`` for a cell, only ``mechanism_id`` for a row
    header, only ``column_id`` for a column header.

    Raises:
        QueryError: unknown column kind, mechanism, column value or filter value.
    """
    filters = filters or Filters()
    if columns not in COLUMN_KINDS:
        raise QueryError(f"unknown column kind {columns!r}; choose one of "
                         f"{', '.join(COLUMN_KINDS)}")
    if mechanism_id is not None:
        check_ids(ds, "mechanism", [mechanism_id])
        filters = filters.with_(mechanism=(mechanism_id,))
    if column_id is not None:
        check_ids(ds, columns, [column_id])
        filters = filters.with_(**{columns: (column_id,)})
    return reader_table(ds, filters)


@dataclass(frozen=True)
class ProjectStory:
    """Everything the project-story view shows for one project."""

    project: pd.Series
    relationships: list[str]
    contexts: pd.DataFrame
    activities: pd.DataFrame
    evidence: pd.DataFrame
    outcomes: pd.DataFrame
    barriers_enablers: pd.DataFrame
    follow_on: pd.DataFrame
    discrepancies: pd.DataFrame
    sources: pd.DataFrame
    chains: pd.DataFrame = field(repr=False)

    @property
    def is_identified(self) -> bool:
        """False for projects no readable source names."""
        return str(self.project["membership"]) != "unidentified"


def _project_row(ds: Dataset, project_id: str) -> pd.Series:
    check_ids(ds, "project", [project_id])
    projects = ds.projects.set_index("project_id")
    return projects.loc[projects.index == project_id].iloc[0]


def project_story(ds: Dataset, project_id: str) -> ProjectStory:
    """One project's context, activities, mechanisms, outcomes, barriers and sources.

    Raises:
        QueryError: unknown project id.
    """
    project = _project_row(ds, project_id)

    def mine(table: str) -> pd.DataFrame:
        frame = ds[table]
        return frame[frame.project_id == project_id].reset_index(drop=True)

    relationship_label = facet_options(ds, "relationship_type")
    relationships = [relationship_label[r] for r in
                     mine("project_relationships").relationship_type_id]
    parts = {t: mine(t) for t in ("contexts", "activities", "mechanism_evidence", "outcomes",
                                  "barriers_enablers", "follow_on", "discrepancies")}
    cited: set[str] = set()
    for frame in [*parts.values(), ds.projects[ds.projects.project_id == project_id]]:
        for citations in frame.source_ids:
            cited.update(c.source_id for c in citations)
    sources = ds.sources[ds.sources.source_id.isin(cited)].reset_index(drop=True)
    return ProjectStory(
        project=project,
        relationships=relationships,
        contexts=parts["contexts"],
        activities=parts["activities"],
        evidence=parts["mechanism_evidence"],
        outcomes=parts["outcomes"],
        barriers_enablers=parts["barriers_enablers"],
        follow_on=parts["follow_on"],
        discrepancies=parts["discrepancies"],
        sources=sources,
        chains=project_chains(ds, project_id),
    )


def project_chains(ds: Dataset, project_id: str) -> pd.DataFrame:
    """A project's context → activity → mechanism → outcome links, one row per link.

    Links come only from evidence rows: their contexts lead to their activities (or straight
    to the mechanism when no activity is cited), activities lead to the mechanism, and the
    mechanism leads to the outcomes the row cites. Rows rated ``not_reported`` add no links.

    Returns:
        Columns ``source_kind, source_id, source, target_kind, target_id, target,
        strength, evidence_id``.

    Raises:
        QueryError: unknown project id.
    """
    _project_row(ds, project_id)
    context = dict(zip(ds.contexts.context_id, ds.contexts.description, strict=True))
    activity = dict(zip(ds.activities.activity_id, ds.activities.description, strict=True))
    outcome = dict(zip(ds.outcomes.outcome_id, ds.outcomes.description, strict=True))
    mechanism = facet_options(ds, "mechanism")
    links = []
    evidence = ds.mechanism_evidence[ds.mechanism_evidence.project_id == project_id]
    for row in rows(evidence):
        strength = str(row.strength)
        if strength == "not_reported":
            continue
        node_m = ("mechanism", row.mechanism_id, mechanism[row.mechanism_id])
        steps = []
        for c in row.context_ids:
            targets = ([("activity", a, activity[a]) for a in row.activity_ids]
                       or [node_m])
            steps += [(("context", c, context[c]), t) for t in targets]
        steps += [(("activity", a, activity[a]), node_m) for a in row.activity_ids]
        steps += [(node_m, ("outcome", o, outcome[o])) for o in row.outcome_ids]
        links += [(*src, *dst, strength, row.evidence_id) for src, dst in steps]
    frame = pd.DataFrame(links, columns=["source_kind", "source_id", "source", "target_kind",
                                         "target_id", "target", "strength", "evidence_id"])
    return frame.drop_duplicates(subset=["source_kind", "source_id", "target_kind",
                                         "target_id", "strength"]).reset_index(drop=True)


def compare_projects(ds: Dataset, project_ids: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """Mechanism strengths side by side: one row per mechanism, one column per project.

    Raises:
        QueryError: fewer than two or more than three projects, a repeated or unknown id.
    """
    project_ids = list(project_ids)
    if not 2 <= len(project_ids) <= 3 or len(set(project_ids)) != len(project_ids):
        raise QueryError("choose two or three different projects to compare")
    check_ids(ds, "project", project_ids)
    cells = matrix(ds, "project", Filters(project=tuple(project_ids)))
    wide = cells.pivot(index="mechanism_id", columns="column_id", values="strength")
    mechanisms = facet_options(ds, "mechanism")
    names = facet_options(ds, "project")
    wide = wide.loc[list(mechanisms), project_ids]
    wide.index = pd.Index([mechanisms[m] for m in wide.index], name="Mechanism")
    wide.columns = [names[p] for p in project_ids]
    return wide


def same_activity_different_mechanisms(ds: Dataset,
                                       project_ids: list[str] | tuple[str, ...] | None = None
                                       ) -> pd.DataFrame:
    """Where one kind of activity met different contexts and activated different mechanisms.

    For each activity type used by two or more of the projects (default: all projects),
    one row per project: its contexts for that activity's evidence and the mechanisms it
    activated (evident or partial) through activities of that type. ``differs`` is True when
    the projects' mechanism sets for that activity type are not all the same — the
    evaluation's warning that activities are not mechanisms.

    Linear in the data: one pass over the activities and one over the evidence records
    (a pair of loops per project over every record grew with projects × records).

    Returns:
        Columns ``activity_type, project_id, project, activities, contexts, mechanisms,
        differs``.
    """
    if project_ids is not None:
        check_ids(ds, "project", list(project_ids))
    chosen = None if project_ids is None else set(project_ids)
    # One pass over the activities: for each type, each project's activity descriptions, in
    # the order the table lists them; and which (type, project) each activity belongs to.
    by_type: dict[str, dict[str, list[str]]] = {}
    kind_of: dict[str, tuple[str, str]] = {}
    for activity_id, project_id, activity_type, description in zip(
            ds.activities.activity_id, ds.activities.project_id,
            ds.activities.activity_type.astype(str), ds.activities.description, strict=True):
        if chosen is not None and project_id not in chosen:
            continue
        by_type.setdefault(activity_type, {}).setdefault(project_id, []).append(description)
        kind_of[activity_id] = (activity_type, project_id)
    # One pass over the evidence: the rows of a project citing its activities of each type.
    records = evidence_records(ds)
    used: dict[tuple[str, str], list[tuple[str, str, tuple[str, ...]]]] = {}
    for project_id, mechanism, strength, activity_ids, context_ids in zip(
            records.project_id, records.mechanism, records.strength.astype(str),
            records.activity_ids, records.context_ids, strict=True):
        cited = dict.fromkeys(kind_of[a] for a in activity_ids if a in kind_of)
        for key in cited:
            if key[1] == project_id:
                used.setdefault(key, []).append((mechanism, strength, context_ids))
    names = facet_options(ds, "project")
    context = dict(zip(ds.contexts.context_id, ds.contexts.description, strict=True))
    rows = []
    for activity_type in _enum(ds, "activities", "activity_type"):  # the declared order
        projects = by_type.get(activity_type, {})
        if len(projects) < 2:
            continue
        entries = []
        for project_id, descriptions in projects.items():
            rows_used = used.get((activity_type, project_id), [])
            entries.append({
                "activity_type": humanise(activity_type),
                "project_id": project_id,
                "project": names[project_id],
                "activities": _join(descriptions),
                "contexts": _join(dict.fromkeys(context[c] for _, _, cs in rows_used
                                                for c in cs)),
                "mechanisms": tuple(dict.fromkeys(m for m, strength, _ in rows_used
                                                  if strength in ACTIVATED)),
            })
        differs = len({frozenset(e["mechanisms"]) for e in entries}) > 1
        rows += [{**e, "differs": differs} for e in entries]
    return pd.DataFrame(rows, columns=["activity_type", "project_id", "project", "activities",
                                       "contexts", "mechanisms", "differs"])


# The two stages of ``activity_mechanism_links``: the left and right halves of the flows.
ACTIVITY_TO_MECHANISM = "activity→mechanism"
MECHANISM_TO_OUTCOME = "mechanism→outcome"


def activity_mechanism_links(ds: Dataset, filters: Filters | None = None) -> pd.DataFrame:
    """Across projects: activity type → mechanism → outcome domain, with counts.

    An activity type links to a mechanism once per evidence row that cites an activity of
    that type (any strength except ``not_reported``); a mechanism links to an outcome domain
    once per outcome the row cites.

    Returns:
        Columns ``stage, source, target, strength, count`` where ``stage`` is
        ``ACTIVITY_TO_MECHANISM`` or ``MECHANISM_TO_OUTCOME``.
    """
    filters = filters or Filters()
    check_filters(ds, filters)
    records = apply_filters(evidence_records(ds), filters)
    records = records[records.strength.astype(str) != "not_reported"]
    domain_of = dict(zip(ds.outcomes.outcome_id, ds.outcomes.domain.astype(str), strict=True))
    links = []
    for row in rows(records):
        strength = str(row.strength)
        links += [(ACTIVITY_TO_MECHANISM, humanise(t), row.mechanism, strength)
                  for t in row.activity_types]
        links += [(MECHANISM_TO_OUTCOME, row.mechanism, humanise(domain_of[o]), strength)
                  for o in row.outcome_ids]
    frame = pd.DataFrame(links, columns=["stage", "source", "target", "strength"])
    return (frame.groupby(["stage", "source", "target", "strength"], sort=False)
            .size().rename("count").reset_index())


class PairAgreement(NamedTuple):
    """How often two of the coders gave the records they both coded the same strength."""

    first: str
    second: str
    total: int
    agreed: int
    kappa: float


@dataclass(frozen=True)
class Agreement:
    """How often the independent coders gave a mechanism record the same strength.

    Attributes:
        total: records coded by two or more coders.
        agreed: records every coder gave the same strength (unanimous).
        percent: ``agreed / total`` as a percentage.
        kappa: Cohen's kappa (agreement beyond what chance would give) between the first two
            coders, 1.0 when both used one and the same category throughout; ``pairs`` has
            it for every pair of coders.
        coders: the coders, in the order of the ``mechanism_codings`` table.
        pairs: one ``PairAgreement`` per pair of coders, in that order.
    """

    total: int
    agreed: int
    percent: float
    kappa: float
    coders: tuple[str, ...] = ()
    pairs: tuple[PairAgreement, ...] = ()

    @property
    def contested(self) -> int:
        """Records the coders did not all rate alike (``contested_evidence`` lists them)."""
        return self.total - self.agreed


#: Column names for the coders in ``codings``, in table order (then ``coder_11``, …).
CODER_COLUMNS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh",
                 "eighth", "ninth", "tenth")


def _coder_column(index: int) -> str:
    return CODER_COLUMNS[index] if index < len(CODER_COLUMNS) else f"coder_{index + 1}"


def codings(ds: Dataset) -> pd.DataFrame:
    """Each mechanism record's independent codings side by side, and the reconciled one.

    Returns:
        Columns ``evidence_id``, one column per coder (``first``, ``second``, ``third``…, in
        the order of the ``mechanism_codings`` table; None where a coder did not code the
        record), ``reconciled`` and ``contested`` (strength ids); one row per record coded
        by two or more coders; empty when the package has no codings. A record is
        contested when its codings are not unanimous.
    """
    frame = ds[CODINGS_TABLE] if CODINGS_TABLE in ds.tables else None
    coders = list(dict.fromkeys(frame.coder.astype(str))) if frame is not None else []
    names = [_coder_column(i) for i in range(max(len(coders), 2))]
    columns = ["evidence_id", *names, "reconciled", "contested"]
    if frame is None or frame.empty:
        return pd.DataFrame(columns=columns)
    by_coder = {coder: dict(zip(frame.evidence_id[frame.coder == coder].astype(str),
                                frame.strength[frame.coder == coder].astype(str), strict=True))
                for coder in coders}
    reconciled = dict(zip(ds.mechanism_evidence.evidence_id.astype(str),
                          ds.mechanism_evidence.strength.astype(str), strict=True))
    rows = []
    for evidence_id in reconciled:
        given = [by_coder[c].get(evidence_id) for c in coders]
        present = [s for s in given if s is not None]
        if len(present) >= 2:
            rows.append((evidence_id, *given, reconciled[evidence_id], len(set(present)) > 1))
    return pd.DataFrame(rows, columns=columns)


def _kappa(first: list[str], second: list[str]) -> float:
    """Cohen's kappa of two equally long codings (1.0 when chance agreement is total)."""
    total = len(first)
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / total
    expected = sum((first.count(k) / total) * (second.count(k) / total)
                   for k in STRENGTH_ORDER)
    return 1.0 if expected >= 1.0 else (observed - expected) / (1.0 - expected)


def coding_agreement(ds: Dataset) -> Agreement | None:
    """Agreement between the independent codings of every mechanism record: how many were
    unanimous, and Cohen's kappa for each pair of coders (None without codings)."""
    table = codings(ds)
    if table.empty:
        return None
    coders = tuple(dict.fromkeys(ds[CODINGS_TABLE].coder.astype(str)))
    names = [_coder_column(i) for i in range(len(coders))]
    pairs = []
    for i, j in combinations(range(len(coders)), 2):
        both = table[table[names[i]].notna() & table[names[j]].notna()]
        first, second = list(both[names[i]]), list(both[names[j]])
        pairs.append(PairAgreement(coders[i], coders[j], len(both),
                                   sum(a == b for a, b in zip(first, second, strict=True)),
                                   _kappa(first, second) if len(both) else float("nan")))
    total = len(table)
    agreed = int((~table.contested.astype(bool)).sum())
    return Agreement(total=total, agreed=agreed, percent=100.0 * agreed / total,
                     kappa=pairs[0].kappa, coders=coders, pairs=tuple(pairs))


def contested_evidence(ds: Dataset) -> frozenset[str]:
    """Ids of mechanism records whose independent codings were not unanimous."""
    table = codings(ds)
    return frozenset(table.evidence_id[table.contested.astype(bool)])
