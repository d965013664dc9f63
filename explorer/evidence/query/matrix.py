"""The mechanism × column evidence matrix (the evidence gap map), one row per cell.

Cells combine evidence records as ``data/CODEBOOK.md`` §10 says: the cell's strength is the
strongest of its records (evident > partial > not evident > not reported) and its count is
the number of records that are not ``not_reported``. A cell with no records is ``no_rows``,
which is different from ``not_reported`` (the sources were read and are silent).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ...data.derived import derived
from ...data.descriptor.facets import PROJECT
from ...data.load import Dataset
from .agreement import contested_evidence
from .facets import (
    NO_ROWS,
    NO_ROWS_LABEL,
    ROW_FACET,
    STRENGTH_ORDER,
    Filters,
    check_columns,
    check_filters,
    facet_options,
    strength_label,
)
from .records import apply_filters, evidence_records, facet_column

__all__ = ["NO_ROWS_LABEL", "matrix", "strongest"]


def strongest(strengths: Iterable[object]) -> str:
    """The strongest strength in ``strengths`` (evident > partial > not evident > not
    reported), or ``no_rows`` when there are none."""
    present = {str(s) for s in strengths}
    for strength in STRENGTH_ORDER:
        if strength in present:
            return strength
    return NO_ROWS


def _columns_for(ds: Dataset, columns: str, filters: Filters) -> dict[str, str]:
    check_columns(ds, columns)
    options = facet_options(ds, columns)
    chosen = getattr(filters, columns)
    return {k: v for k, v in options.items() if k in chosen} if chosen else options


@derived(maxsize=128)
def matrix(ds: Dataset, columns: str = PROJECT, filters: Filters | None = None) -> pd.DataFrame:
    """The mechanism × column evidence matrix, one row per cell (tidy).

    Args:
        columns: what the columns are: a facet declared as a column (``column_kinds``), e.g.
            ``project``, ``context_dimension``, ``relationship_type`` or ``setting_type``.
        filters: facets to filter evidence records by (OR within, AND across).

    Returns:
        Columns ``mechanism_id, mechanism, column_id, column, strength, count, rows,
        evidence_ids, contested, strength_label``: every mechanism × every column value,
        in display order, including cells with no records (strength ``no_rows``).
        ``count`` is the records that are not ``not_reported``, ``rows`` all records,
        ``contested`` how many of them the team's repeated codings rated differently, and
        ``strength_label`` names the strength in plain words. Treat the result as read-only.

    Raises:
        QueryError: unknown column kind or filter value.
    """
    filters = filters or Filters()
    check_filters(ds, filters)
    column_labels = _columns_for(ds, columns, filters)
    records = apply_filters(evidence_records(ds), filters)
    mechanisms = facet_options(ds, ROW_FACET)
    if filters.mechanism:
        mechanisms = {k: v for k, v in mechanisms.items() if k in filters.mechanism}
    contested = contested_evidence(ds)
    # One pass over the records (a record may sit in several columns), then one lookup per
    # cell: linear in records plus cells, whatever the number of projects.
    hits: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for evidence_id, mechanism_id, strength, values in zip(
            records.evidence_id, records.mechanism_id, records.strength.astype(str),
            records[facet_column(columns)], strict=True):
        for column_id in values:
            hits.setdefault((mechanism_id, column_id), []).append((evidence_id, strength))
    cells = []
    for mechanism_id, mechanism in mechanisms.items():
        for column_id, column in column_labels.items():
            hit = hits.get((mechanism_id, column_id), [])
            strengths = [strength for _, strength in hit]
            ids = tuple(evidence_id for evidence_id, _ in hit)
            cells.append((mechanism_id, mechanism, column_id, column, strongest(strengths),
                          sum(s != "not_reported" for s in strengths), len(strengths), ids,
                          sum(i in contested for i in ids)))
    result = pd.DataFrame(cells, columns=["mechanism_id", "mechanism", "column_id", "column",
                                          "strength", "count", "rows", "evidence_ids",
                                          "contested"])
    for column in ("count", "rows", "contested"):
        result[column] = result[column].astype("int64")
    result["strength_label"] = [NO_ROWS_LABEL if s == NO_ROWS else strength_label(ds, s)
                                for s in result.strength]
    return result
