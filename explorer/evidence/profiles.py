"""GRADE-CERQual's own outputs for the matrix: Evidence Profiles and the Summary of Findings.

descriptor → read → validate → load → query → appraisal → **profiles**. GRADE-CERQual
(Lewin and others, 2018, paper 2 of the series: how to make an overall assessment and
create an Evidence Profile and a Summary of Qualitative Findings table) reports each
review finding twice: an *Evidence Profile* gives, for one finding, the studies that
contribute, each component's concern and its explanation, and the overall assessment with
why; a *Summary of Qualitative Findings* table gives every finding in one line with its
overall assessment, the reason and the studies behind it. Here a finding is a rated cell of
the matrix (a mechanism in a project, or in a setting…), and the records giving the cell its
strength are its evidence (CODEBOOK.md section 10).

Pure functions over a loaded ``Dataset`` returning tidy tables; the files (CSV, Word) are
``explorer.render.profile_files``. Nothing is typed in: every value comes from the data and the
codebook's rule (``explorer.evidence.query.confidence``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..data.derived import derived
from ..data.descriptor.facets import PROJECT
from ..data.load import Dataset
from ..errors import QueryError
from . import appraisal, query
from .query import Filters, confidence

__all__ = ["PROFILE_COLUMNS", "SUMMARY_COLUMNS", "evidence_profile", "evidence_profiles",
           "profile_cells", "summary_of_findings"]

#: The Evidence Profile, long and tidy: one row per (cell, record, component).
PROFILE_COLUMNS = [
    "mechanism_id", "mechanism", "column_id", "column", "finding", "cell_kind",
    "cell_level", "evidence_id", "project", "strength", "rating_explanation", "level",
    "component",
    "component_label", "concern", "concern_label", "explanation", "level_explanation",
    "contributing_sources", "citations",
]
#: The Summary of Qualitative Findings: one row per rated cell.
SUMMARY_COLUMNS = [
    "finding_number", "mechanism_id", "mechanism", "column_id", "column", "finding",
    "level", "level_label", "level_explanation", "contributing_sources", "citations",
    "evidence_ids", "cell_kind",
]


def _rated_cells(ds: Dataset, columns: str, filters: Filters | None) -> pd.DataFrame:
    """The matrix's cells that have a confidence level, in display order."""
    cells = appraisal.cell_kinds(ds, query.matrix(ds, columns, filters or Filters()), columns)
    return cells[cells.confidence.notna()]


def _deciding(ds: Dataset, evidence_ids: tuple[str, ...]) -> list[str]:
    """The records that give a cell its strength (section 10), in record order."""
    strengths = dict(zip(ds.mechanism_evidence.evidence_id.astype(str),
                         ds.mechanism_evidence.strength.astype(str), strict=True))
    strongest = query.strongest(strengths[e] for e in evidence_ids)
    return [e for e in evidence_ids if strengths[e] == strongest]


def _records(ds: Dataset) -> dict[str, dict[str, Any]]:
    frame = query.evidence_records(ds)
    titles = dict(zip(ds.sources.source_id.astype(str), ds.sources.title.astype(str),
                      strict=True))
    return {str(r.evidence_id): {
        "project": str(r.project),
        "explanation": "" if pd.isna(r.explanation) else str(r.explanation),
        "strength": str(r.strength),
        "titles": tuple(dict.fromkeys(titles[c.source_id] for c in r.source_ids)),
        "cited": tuple(str(c) for c in r.source_ids),
    } for r in query.rows(frame)}


def _finding(ds: Dataset, cell: Any, deciding: list[str],
             records: dict[str, dict[str, Any]], by_project: bool) -> str:
    """The cell's finding in words: where, how strongly, and what the sources report."""
    mechanism, column = cell.mechanism, cell.column
    label = query.strength_label(ds, cell.strength).lower()
    accounts = [str(records[e]["explanation"]) if by_project
                else f"{records[e]['project']}: {records[e]['explanation']}"
                for e in deciding]
    return f"{mechanism} in {column}, rated {label}. " + " ".join(accounts)


def evidence_profiles(ds: Dataset, columns: str = PROJECT,
                      filters: Filters | None = None) -> pd.DataFrame:
    """The Evidence Profile of every rated cell of the matrix, as one tidy table.

    Args:
        columns: the matrix's column kind (``query.column_kinds``), default projects.
        filters: the matrix's filters (default: none).

    Returns:
        One row per rated cell × record giving the cell its strength × component, with
        ``PROFILE_COLUMNS``: where the cell is (``mechanism``, ``column``) and its
        ``finding``; the cell's kind and level; the record (``evidence_id``, ``project``,
        ``strength``, ``rating_explanation``, ``level``); the component with its label,
        concern and ``explanation`` (the rule's reason); ``level_explanation`` (how the
        record's level was reached); and the record's ``contributing_sources`` (titles) and
        ``citations`` (with locators). Cells without a level (silent, empty, not
        identified) have no profile. Computed once per (columns, filters); treat it as
        read-only.

    Raises:
        QueryError: unknown column kind or filter value.
    """
    return _profiles(ds, columns, filters or Filters())


@derived(maxsize=16)
def _profiles(ds: Dataset, columns: str, filters: Filters) -> pd.DataFrame:
    """``evidence_profiles``, computed once per (columns, filters)."""
    cells = _rated_cells(ds, columns, filters)
    records = _records(ds)
    found = confidence.appraisals(ds)
    components = confidence.terms(ds, "component")
    concerns = confidence.terms(ds, "concern")
    rows = []
    for cell in query.rows(cells):
        deciding = _deciding(ds, tuple(cell.evidence_ids))
        finding = _finding(ds, cell, deciding, records, columns == PROJECT)
        for evidence_id in deciding:
            assessed = found[evidence_id]
            if assessed is None:
                continue
            record = records[evidence_id]
            for part in assessed.components:
                rows.append({
                    "mechanism_id": cell.mechanism_id, "mechanism": cell.mechanism,
                    "column_id": cell.column_id, "column": cell.column, "finding": finding,
                    "cell_kind": cell.kind, "cell_level": cell.confidence,
                    "evidence_id": evidence_id, "project": record["project"],
                    "strength": record["strength"],
                    "rating_explanation": record["explanation"], "level": assessed.level,
                    "component": part.component,
                    "component_label": components[part.component][0],
                    "concern": str(part.concern),
                    "concern_label": concerns[str(part.concern)][0],
                    "explanation": part.reason,
                    "level_explanation": (assessed.why if assessed.override_reason is None
                                          else f"Set by a curator: {assessed.override_reason}"),
                    "contributing_sources": "; ".join(record["titles"]),
                    "citations": "; ".join(record["cited"])})
    return pd.DataFrame(rows, columns=PROFILE_COLUMNS)


def evidence_profile(ds: Dataset, mechanism_id: str, column_id: str,
                     columns: str = PROJECT) -> pd.DataFrame:
    """The Evidence Profile of one cell (``evidence_profiles``' rows for it).

    Raises:
        QueryError: the cell does not exist, or has no confidence level (its sources are
            silent, or it has no records), so it has no profile.
    """
    query.check_columns(ds, columns)
    if mechanism_id not in query.facet_options(ds, query.ROW_FACET):
        raise QueryError(f"unknown mechanism {mechanism_id!r}; mechanisms: "
                         + ", ".join(query.facet_options(ds, query.ROW_FACET)))
    if column_id not in query.facet_options(ds, columns):
        raise QueryError(f"unknown column {column_id!r} for columns {columns!r}")
    profile = evidence_profiles(ds, columns)
    profile = profile[(profile.mechanism_id == mechanism_id)
                      & (profile.column_id == column_id)]
    if profile.empty:
        cells = appraisal.cell_kinds(ds, query.matrix(ds, columns), columns)
        kind = cells[(cells.mechanism_id == mechanism_id)
                     & (cells.column_id == column_id)].kind.iloc[0]
        words = appraisal.CELL_KIND_TERMS[kind][0].lower()
        raise QueryError(f"the cell {mechanism_id}:{column_id} has no confidence level "
                         f"({words}), so it has no Evidence Profile")
    return profile.reset_index(drop=True)


def profile_cells(frame: pd.DataFrame) -> list[list[dict[str, Any]]]:
    """A profile table's rows as dicts, grouped by cell in the table's order."""
    cells: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in frame.to_dict("records"):
        row = {str(key): value for key, value in record.items()}
        cells.setdefault((row["mechanism_id"], row["column_id"]), []).append(row)
    return list(cells.values())


def summary_of_findings(ds: Dataset, columns: str = PROJECT,
                        filters: Filters | None = None) -> pd.DataFrame:
    """GRADE-CERQual's Summary of Qualitative Findings table for the matrix.

    Returns:
        One row per rated cell, in the matrix's order, with ``SUMMARY_COLUMNS``: a
        ``finding_number``, where the cell is, its ``finding``, its ``level`` (and
        ``level_label``), ``level_explanation`` (how the level was reached, for the records
        that give the cell its level), the ``contributing_sources`` and ``citations`` of the
        records giving it its strength, their ``evidence_ids`` and the cell's kind (rated or
        contested).
    """
    levels = confidence.terms(ds, "confidence")
    records = _records(ds)
    rows = []
    cells = profile_cells(evidence_profiles(ds, columns, filters))
    for number, part in enumerate(cells, start=1):
        first = part[0]
        by_record = list({row["evidence_id"]: row for row in part}.values())
        giving = [r for r in by_record if r["level"] == first["cell_level"]]
        explanation = " ".join(
            (f"{r['project']}: " if len(giving) > 1 or columns != PROJECT else "")
            + str(r["level_explanation"]) for r in giving)
        ids = [str(r["evidence_id"]) for r in by_record]
        rows.append({
            "finding_number": number, "mechanism_id": first["mechanism_id"],
            "mechanism": first["mechanism"], "column_id": first["column_id"],
            "column": first["column"], "finding": first["finding"],
            "level": first["cell_level"], "level_label": levels[first["cell_level"]][0],
            "level_explanation": explanation,
            "contributing_sources": "; ".join(dict.fromkeys(
                s for e in ids for s in records[e]["titles"])),
            "citations": "; ".join(dict.fromkeys(c for e in ids for c in records[e]["cited"])),
            "evidence_ids": tuple(ids), "cell_kind": first["cell_kind"]})
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
