"""One project's story: its context, activities, mechanisms, outcomes and sources."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ...data.derived import derived
from ...data.descriptor.facets import MECHANISM, PROJECT, RELATIONSHIP_TYPE
from ...data.load import Dataset
from .facets import RECORDS_TABLE, check_ids, facet_options, rows, strength_label

__all__ = ["ProjectStory", "project_chains", "project_story"]

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
    check_ids(ds, PROJECT, [project_id])
    projects = ds.projects.set_index("project_id")
    return projects.loc[projects.index == project_id].iloc[0]


@derived(maxsize=32)
def project_story(ds: Dataset, project_id: str) -> ProjectStory:
    """One project's context, activities, mechanisms, outcomes, barriers and sources.

    Raises:
        QueryError: unknown project id.
    """
    project = _project_row(ds, project_id)

    def mine(table: str) -> pd.DataFrame:
        frame = ds[table]
        return frame[frame.project_id == project_id].reset_index(drop=True)

    relationship_label = facet_options(ds, RELATIONSHIP_TYPE)
    relationships = [relationship_label[r] for r in
                     mine("project_relationships").relationship_type_id]
    parts = {t: mine(t) for t in ("contexts", "activities", RECORDS_TABLE, "outcomes",
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
        evidence=parts[RECORDS_TABLE],
        outcomes=parts["outcomes"],
        barriers_enablers=parts["barriers_enablers"],
        follow_on=parts["follow_on"],
        discrepancies=parts["discrepancies"],
        sources=sources,
        chains=project_chains(ds, project_id),
    )


@derived(maxsize=32)
def project_chains(ds: Dataset, project_id: str) -> pd.DataFrame:
    """A project's context → activity → mechanism → outcome links, one row per link.

    Links come only from evidence rows: their contexts lead to their activities (or straight
    to the mechanism when no activity is cited), activities lead to the mechanism, and the
    mechanism leads to the outcomes the row cites. Rows rated ``not_reported`` add no links.

    Returns:
        Columns ``source_kind, source_id, source, target_kind, target_id, target,
        strength, evidence_id, strength_label``.

    Raises:
        QueryError: unknown project id.
    """
    _project_row(ds, project_id)
    context = dict(zip(ds.contexts.context_id, ds.contexts.description, strict=True))
    activity = dict(zip(ds.activities.activity_id, ds.activities.description, strict=True))
    outcome = dict(zip(ds.outcomes.outcome_id, ds.outcomes.description, strict=True))
    mechanism = facet_options(ds, MECHANISM)
    links = []
    records = ds[RECORDS_TABLE]
    evidence = records[records.project_id == project_id]
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
    frame = frame.drop_duplicates(subset=["source_kind", "source_id", "target_kind",
                                          "target_id", "strength"]).reset_index(drop=True)
    frame["strength_label"] = [strength_label(ds, s) for s in frame.strength]
    return frame
