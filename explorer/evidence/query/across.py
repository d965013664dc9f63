"""Across projects: ratings side by side, the same activity with different mechanisms, and
the flows from activity types through mechanisms to outcome domains."""

from __future__ import annotations

import pandas as pd

from ...data.descriptor.facets import ACTIVITY_TYPE, PROJECT
from ...data.load import Dataset
from ...errors import QueryError
from .facets import (
    ACTIVATED,
    ROW_FACET,
    Filters,
    check_filters,
    check_ids,
    facet_options,
    humanise,
    strength_label,
)
from .matrix import matrix
from .records import _join, apply_filters, evidence_records, facet_column

__all__ = [
    "ACTIVITY_TO_MECHANISM",
    "MECHANISM_TO_OUTCOME",
    "activity_mechanism_links",
    "compare_projects",
    "same_activity_different_mechanisms",
]

def compare_projects(ds: Dataset, project_ids: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """Mechanism strengths side by side: one row per mechanism, one column per project.

    Raises:
        QueryError: fewer than two or more than three projects, a repeated or unknown id.
    """
    project_ids = list(project_ids)
    if not 2 <= len(project_ids) <= 3 or len(set(project_ids)) != len(project_ids):
        raise QueryError("choose two or three different projects to compare")
    check_ids(ds, PROJECT, project_ids)
    cells = matrix(ds, PROJECT, Filters(project=tuple(project_ids)))
    wide = cells.pivot(index="mechanism_id", columns="column_id", values="strength")
    mechanisms = facet_options(ds, ROW_FACET)
    names = facet_options(ds, PROJECT)
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
        check_ids(ds, PROJECT, list(project_ids))
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
    names = facet_options(ds, PROJECT)
    context = dict(zip(ds.contexts.context_id, ds.contexts.description, strict=True))
    rows = []
    for activity_type in facet_options(ds, ACTIVITY_TYPE):  # the declared order
        projects = by_type.get(activity_type, {})
        if len(projects) < 2:
            continue
        entries = []
        for project_id, descriptions in projects.items():
            rows_used = used.get((activity_type, project_id), [])
            entries.append({
                "activity_type": facet_options(ds, ACTIVITY_TYPE)[activity_type],
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
        Columns ``stage, source, target, strength, count, strength_label`` where ``stage`` is
        ``ACTIVITY_TO_MECHANISM`` or ``MECHANISM_TO_OUTCOME``.
    """
    filters = filters or Filters()
    check_filters(ds, filters)
    records = apply_filters(evidence_records(ds), filters)
    records = records[records.strength.astype(str) != "not_reported"]
    domain_of = dict(zip(ds.outcomes.outcome_id, ds.outcomes.domain.astype(str), strict=True))
    activity_label = facet_options(ds, ACTIVITY_TYPE)
    links = []
    for mechanism, strength, types, outcome_ids in zip(
            records.mechanism, records.strength.astype(str),
            records[facet_column(ACTIVITY_TYPE)], records.outcome_ids, strict=True):
        links += [(ACTIVITY_TO_MECHANISM, activity_label[t], mechanism, strength)
                  for t in types]
        links += [(MECHANISM_TO_OUTCOME, mechanism, humanise(domain_of[o]), strength)
                  for o in outcome_ids]
    frame = pd.DataFrame(links, columns=["stage", "source", "target", "strength"])
    frame = (frame.groupby(["stage", "source", "target", "strength"], sort=False)
             .size().rename("count").reset_index())
    frame["strength_label"] = [strength_label(ds, s) for s in frame.strength]
    return frame
