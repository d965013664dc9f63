"""Evidence records: every mechanism rating joined with its facets, filtered, and as a table.

``evidence_records`` is computed once per dataset (``explorer.data.derived``) and shared by every
query, page, the static site and the briefings; filtering is a pass over its facet columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import pandas as pd

from ...data.derived import derived
from ...data.descriptor.facets import MECHANISM, PROJECT
from ...data.load import Dataset
from .confidence import facet_values as computed_values
from .facets import (
    RECORDS_TABLE,
    Filters,
    check_columns,
    check_filters,
    check_ids,
    facet_options,
    facet_spec,
    facets,
    reference,
    strength_label,
)

__all__ = [
    "NO_CONTEXT",
    "READER_COLUMNS",
    "apply_filters",
    "cell_records",
    "citation_text",
    "evidence_records",
    "facet_column",
    "facet_counts",
    "projects_by_value",
    "reader_table",
]

#: What a record's context cell says when its evidence links no context (a blank would read
#: as missing data).
NO_CONTEXT = "no context linked in the evidence"

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


def facet_column(facet: str) -> str:
    """The column of ``evidence_records`` holding each record's values of ``facet``."""
    return f"facet:{facet}"


def citation_text(citations: Iterable[object]) -> str:
    """Citations as written in the data: ``a[p. 3]; b``."""
    return "; ".join(str(c) for c in citations)


def _as_ids(value: object) -> tuple[str, ...]:
    if isinstance(value, tuple):
        return tuple(str(v) for v in value)
    return () if pd.isna(cast(Any, value)) else (str(value),)


def _walk(ds: Dataset, path: tuple[tuple[str, str], ...]) -> list[tuple[str, ...]]:
    """Each record's values at the end of ``path`` (see ``explorer.data.descriptor.facets``).

    Plain dicts, one lookup per record and step: this stays linear at 100× the data.
    """
    table, column = path[0]
    values = [_as_ids(v) for v in ds[table][column]]
    for step_table, step_column in path[1:]:
        # Where the previous field points: the table it refers to, or (a key) its own table.
        pointed = reference(ds, table, column) or (table, column)
        frame = ds[step_table]
        mapping: dict[str, list[str]] = {}
        if pointed[0] == step_table:
            keys = frame[pointed[1]].astype(str)
        else:  # a table whose own reference points where the previous field points
            via = next(name for name, refers, _, _ in ds.descriptor.resource(
                step_table).references if refers == pointed[0])
            keys = frame[via].astype(str)
        for key, value in zip(keys, frame[step_column], strict=True):
            mapping.setdefault(key, []).extend(_as_ids(value))
        values = [tuple(dict.fromkeys(v for key in ids for v in mapping.get(key, ())))
                  for ids in values]
        table, column = step_table, step_column
    return values


@derived()
def projects_by_value(ds: Dataset, facet: str) -> dict[str, set[str]]:
    """Which projects have each value of ``facet``, read from the project's own data (its
    setting, contexts, relationships), whether or not any evidence record cites it: what
    sits in a matrix column that has no records.

    Raises:
        QueryError: the package declares no such facet.
    """
    spec = facet_spec(ds, facet)
    start = reference(ds, *spec.path[0]) or spec.path[0]
    projects_table = (reference(ds, RECORDS_TABLE, "project_id") or ("projects", ""))[0]
    frame = ds[start[0]]
    if start[0] == projects_table:
        owners = frame[start[1]].astype(str)
    else:
        via = next(name for name, refers, _, _ in ds.descriptor.resource(start[0]).references
                   if refers == projects_table)
        owners = frame[via].astype(str)
    values = _walk(ds, (start, *spec.path[1:]))
    found: dict[str, set[str]] = {}
    for owner, ids in zip(owners, values, strict=True):
        for value in ids:
            found.setdefault(value, set()).add(owner)
    return found


@derived()
def evidence_records(ds: Dataset) -> pd.DataFrame:
    """Every mechanism-evidence row joined with what the facets need (one row per record).

    Facet columns (``facet_column(name)``) hold tuples, because one record can have several
    values for a facet (contexts of two dimensions; a project targeting two relationships).
    Computed once per dataset; treat the result as read-only.
    """
    ev = ds[RECORDS_TABLE]
    short_name = facet_options(ds, PROJECT)
    mechanism_label = facet_options(ds, MECHANISM)
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
    for spec in facets(ds):
        records[facet_column(spec.name)] = (computed_values(ds, spec.computed)
                                            if spec.computed else _walk(ds, spec.path))
    return records


def apply_filters(records: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Keep records matching ``filters``: OR within a facet, AND across facets."""
    keep = pd.Series(True, index=records.index)
    for facet, chosen in filters.active().items():
        wanted = set(chosen)
        column = records[facet_column(facet)]
        keep &= column.map(lambda values, wanted=wanted: bool(wanted.intersection(values)))
    return records.loc[keep.astype(bool)]


@derived(maxsize=64)
def facet_counts(ds: Dataset, filters: Filters | None = None,
                 facet_names: tuple[str, ...] | None = None) -> dict[str, dict[str, int]]:
    """For each facet value, how many evidence records choosing it would show.

    The count for a value applies every *other* facet's choices and then that value alone,
    so a reader sees what ticking (or keeping) a box would give.

    Returns:
        ``facet → {value id → count}`` for ``facet_names`` (default: all), every value
        listed.
    """
    filters = filters or Filters()
    check_filters(ds, filters)
    records = evidence_records(ds)
    counts: dict[str, dict[str, int]] = {}
    for facet in facet_names or tuple(spec.name for spec in facets(ds)):
        others = apply_filters(records, filters.with_(**{facet: ()}))
        tally: dict[str, int] = {}
        for values in others[facet_column(facet)]:
            for value in set(values):
                tally[value] = tally.get(value, 0) + 1
        counts[facet] = {value: tally.get(value, 0) for value in facet_options(ds, facet)}
    return counts


def _join(texts: Iterable[object]) -> str:
    """Join sentences into one cell: 'A. B.' → 'A; B'."""
    return "; ".join(str(t).rstrip(". ") for t in texts)


@derived()
def _reader_all(ds: Dataset) -> pd.DataFrame:
    records = evidence_records(ds)
    activity = dict(zip(ds.activities.activity_id, ds.activities.description, strict=True))
    context = dict(zip(ds.contexts.context_id, ds.contexts.description, strict=True))
    out = pd.DataFrame({
        "evidence_id": records.evidence_id,
        "project": records.project,
        "mechanism": records.mechanism,
        "strength_label": [strength_label(ds, s) for s in records.strength],
        "activities": [_join(activity[a] for a in ids) for ids in records.activity_ids],
        "contexts": [_join(context[c] for c in ids) or NO_CONTEXT for ids in records.context_ids],
        "explanation": records.explanation.fillna(""),
        "basis": records.basis.astype(str),
        "sources": [citation_text(c) for c in records.source_ids],
    })
    return out.rename(columns=READER_COLUMNS)


@derived(maxsize=64)
def reader_table(ds: Dataset, filters: Filters | None = None) -> pd.DataFrame:
    """Every evidence record matching ``filters``, with plain-language column names.

    This is exactly the table a dashboard shows. Treat the result as read-only.
    """
    filters = filters or Filters()
    check_filters(ds, filters)
    everything = _reader_all(ds)
    if not filters.active():
        return everything
    kept = apply_filters(evidence_records(ds), filters).index
    return everything.loc[kept].reset_index(drop=True)


def cell_records(ds: Dataset, columns: str = PROJECT, mechanism_id: str | None = None,
                 column_id: str | None = None, filters: Filters | None = None) -> pd.DataFrame:
    """The evidence records behind one matrix cell, a row header or a column header.

    Give ``mechanism_id`` and ``column_id`` for a cell, only ``mechanism_id`` for a row
    header, only ``column_id`` for a column header.

    Raises:
        QueryError: unknown column kind, mechanism, column value or filter value.
    """
    filters = filters or Filters()
    check_columns(ds, columns)
    if mechanism_id is not None:
        check_ids(ds, MECHANISM, [mechanism_id])
        filters = filters.with_(mechanism=(mechanism_id,))
    if column_id is not None:
        check_ids(ds, columns, [column_id])
        filters = filters.with_(**{columns: (column_id,)})
    return reader_table(ds, filters)

