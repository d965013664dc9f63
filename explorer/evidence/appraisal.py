"""How far to trust each matrix cell, and what kind of cell it is.

descriptor → read → validate → load → query → **appraisal**. The confidence of each rating
is computed by the codebook's rule in ``explorer.evidence.query.confidence`` (re-exported
here); this module combines the ratings of a matrix cell (``cell_confidence``), says which
kind of cell each is (``cell_kinds``: rated, contested, sources silent, project not
identified, no matching records) and counts cells and records at each level
(``confidence_counts``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import pandas as pd

from ..data.descriptor.facets import PROJECT
from ..data.load import Dataset
from . import query
from .query.confidence import (
    CELL_KIND_TERMS,
    CELL_KINDS,
    COMPONENTS,
    LEVELS,
    RATED,
    ComponentAppraisal,
    Concern,
    Confidence,
    appraisals,
    appraise,
    rating_confidence,
    terms,
)

__all__ = [
    "CELL_KINDS",
    "CELL_KIND_TERMS",
    "COMPONENTS",
    "LEVELS",
    "ComponentAppraisal",
    "Concern",
    "Confidence",
    "appraise",
    "cell_confidence",
    "cell_kinds",
    "confidence_counts",
    "rating_confidence",
    "terms",
]


def _highest(levels: Iterable[str]) -> str | None:
    present = set(levels)
    return next((level for level in LEVELS if level in present), None)


def cell_confidence(ds: Dataset, evidence_ids: Iterable[str]) -> str | None:
    """The confidence of a matrix cell holding ``evidence_ids``, or None when it has none.

    A cell shows its strongest rating (CODEBOOK.md section 10), so its confidence is that
    of the records giving it that strength: the highest level among them. A cell whose
    strongest rating is ``not_reported``, or that has no records, has no level (a gap).

    Args:
        evidence_ids: the cell's records (``query.matrix``'s ``evidence_ids``).

    Returns:
        One of ``LEVELS``, or None for a gap.
    """
    return _cell_level(appraisals(ds), _strengths(ds), tuple(evidence_ids))


def _strengths(ds: Dataset) -> dict[str, str]:
    return dict(zip(ds.mechanism_evidence.evidence_id.astype(str),
                    ds.mechanism_evidence.strength.astype(str), strict=True))


def _deciding(strengths: dict[str, str], evidence_ids: tuple[str, ...]) -> list[str]:
    strongest = query.strongest(strengths[e] for e in evidence_ids)
    return [e for e in evidence_ids if strengths[e] == strongest]


def _cell_level(appraisals: dict[str, Confidence | None], strengths: dict[str, str],
                evidence_ids: tuple[str, ...]) -> str | None:
    deciding = _deciding(strengths, evidence_ids)
    return _highest(c.level for e in deciding if (c := appraisals[e]) is not None)


def _column_projects(ds: Dataset, columns: str) -> dict[str, set[str]]:
    """Which projects sit in each column value of the matrix (``query.projects_by_value``)."""
    query.check_columns(ds, columns)
    return query.projects_by_value(ds, columns)


def cell_kinds(ds: Dataset, cells: pd.DataFrame, columns: str = PROJECT) -> pd.DataFrame:
    """Every matrix cell with its kind and, for a rated or contested cell, its confidence.

    Args:
        cells: ``query.matrix`` output.
        columns: the column kind ``cells`` was built with (``project``, ``setting_type``…).

    Returns:
        ``cells`` with two more columns: ``kind`` (one of ``CELL_KINDS``: ``rated``;
        ``contested`` when a record giving the cell its strength was contested;
        ``sources_silent`` when its strongest rating is ``not_reported``;
        ``project_not_identified`` when it has no records and every project in its column
        is unidentified; ``no_matching_records`` when it has no records otherwise) and
        ``confidence`` (a level of ``LEVELS``, or None for a gap).
    """
    found = appraisals(ds)
    strengths = _strengths(ds)
    contested = query.contested_evidence(ds)
    membership = dict(zip(ds.projects.project_id.astype(str),
                          ds.projects.membership.astype(str), strict=True))
    projects_in = _column_projects(ds, columns)
    kinds: list[str] = []
    levels: list[str | None] = []
    for column_id, evidence_ids in zip(cells.column_id, cells.evidence_ids, strict=True):
        ids = tuple(evidence_ids)
        if not ids:
            projects = projects_in.get(str(column_id), set())
            unidentified = bool(projects) and all(membership.get(p) == "unidentified"
                                                  for p in projects)
            kinds.append("project_not_identified" if unidentified else "no_matching_records")
            levels.append(None)
            continue
        deciding = _deciding(strengths, ids)
        if contested.intersection(deciding):
            kinds.append("contested")
        elif strengths[deciding[0]] in RATED:
            kinds.append("rated")
        else:
            kinds.append("sources_silent")
        levels.append(_cell_level(found, strengths, ids))
    return cells.assign(kind=kinds, confidence=pd.Series(levels, index=cells.index,
                                                         dtype=object))


def confidence_counts(ds: Dataset, columns: str = PROJECT) -> pd.DataFrame:
    """How many rated records, and how many cells of the matrix, sit at each level.

    Args:
        columns: the matrix's column kind for the cell counts (default: projects).

    Returns:
        Index ``LEVELS`` (high first); columns ``records`` (rated evidence records) and
        ``cells`` (cells of ``query.matrix(ds, columns)`` that have a level).
    """
    records = Counter(c.level for c in appraisals(ds).values() if c is not None)
    cells = Counter(cell_kinds(ds, query.matrix(ds, columns), columns).confidence.dropna())
    return pd.DataFrame({"records": [records[level] for level in LEVELS],
                         "cells": [cells[level] for level in LEVELS]},
                        index=pd.Index(LEVELS, name="level"))


