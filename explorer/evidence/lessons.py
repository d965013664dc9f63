"""The lessons exercise: a room's answers about its own project, set beside the evidence.

A workshop fills in a short self-assessment built from the package's own framework:

- which relationship(s) its project targets (``relationship_types``);
- which mechanisms it intends to activate, and how (``mechanisms``; a tick and a short
  free text each);
- which foundations are in place (``foundations``; in place / partly / not yet);
- which of the evaluation's recommendations it follows (``findings`` of kind
  ``recommendation``).

The answers are compared with the identified projects (membership not ``unidentified``):
``nearest_projects`` scores each project by how far its relationship types and its
activated mechanisms (rated evident or partial) overlap with the room's. Everything here is
a pure function of the data and the answers; the answers themselves live only in the page
address (see ``explorer.pages.state``) and in the downloads, never on the server.

This module sits beside ``query``: it imports the data layer only, so ``explorer.pages.state`` can
read its vocabulary (``FOUNDATION_LEVELS``, ``recommendation_options``) to check links.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pandas as pd

from ..data.descriptor.facets import MECHANISM, PROJECT, RELATIONSHIP_TYPE
from ..data.load import Dataset
from .query import ACTIVATED, Filters, facet_options, matrix
from .questions import Choice, framework_choices

__all__ = [
    "FOUNDATION_LEVELS",
    "RECOMMENDATION",
    "Answers",
    "Exercise",
    "answer_values",
    "answers_from_values",
    "answers_table",
    "exercise",
    "foundation_choices",
    "nearest_projects",
    "project_ratings",
    "questions",
    "recommendation_options",
]

RECOMMENDATION = "recommendation"
FOUNDATION_LEVELS: Mapping[str, str] = MappingProxyType({"in_place": "In place", "partly": "Partly",
                                                         "not_yet": "Not yet"})
ANSWER_COLUMNS = ["Question", "Item", "Answer", "How"]
NOT_ANSWERED = "Not answered"


@dataclass(frozen=True)
class Exercise:
    """The exercise's questions, in the package's display order."""

    relationships: tuple[Choice, ...]
    mechanisms: tuple[Choice, ...]
    foundations: tuple[Choice, ...]
    recommendations: tuple[Choice, ...]


def recommendation_options(ds: Dataset) -> dict[str, str]:
    """The evaluation's recommendations as ``{finding_id: text}``, in display order."""
    findings = ds.findings[ds.findings.kind.astype(str) == RECOMMENDATION]
    findings = findings.sort_values("display_order", kind="stable")
    return dict(zip(findings.finding_id.astype(str), findings.text.astype(str), strict=True))


def foundation_choices(ds: Dataset) -> dict[str, str]:
    """Every foundation answer a link may hold: ``{"<foundation_id>:<level>": label}``."""
    return {f"{o.id}:{level}": f"{o.label}: {label}"
            for o in framework_choices(ds, "foundations")
            for level, label in FOUNDATION_LEVELS.items()}


def exercise(ds: Dataset) -> Exercise:
    """The exercise's questions, built from the package (no programme is named in code)."""
    return Exercise(
        relationships=framework_choices(ds, "relationship_types"),
        mechanisms=framework_choices(ds, "mechanisms"),
        foundations=framework_choices(ds, "foundations"),
        recommendations=tuple(Choice(k, v) for k, v in recommendation_options(ds).items()),
    )



def questions(ds: Dataset) -> dict[str, Any]:
    """The exercise's questions and their options, for the form and the worksheet."""
    questions = exercise(ds)

    def items(options: tuple[Choice, ...]) -> list[dict[str, str]]:
        return [{"id": o.id, "label": o.label, "definition": o.definition} for o in options]

    return {"relationships": items(questions.relationships),
            "mechanisms": items(questions.mechanisms),
            "foundations": items(questions.foundations),
            "recommendations": items(questions.recommendations),
            "levels": [list(pair) for pair in FOUNDATION_LEVELS.items()]}


@dataclass(frozen=True)
class Answers:
    """A room's answers. Ids are the package's; texts are already checked by ``state``.

    Attributes:
        name: the room's name for its project (may be empty).
        relationships: relationship type ids it targets.
        mechanisms: mechanism ids it intends to activate (ticked).
        how: ``mechanism_id → how`` (a short free text; kept even if not ticked).
        foundations: ``foundation_id → level`` (a key of ``FOUNDATION_LEVELS``).
        recommendations: recommendation ids it says it follows ("we do this").
    """

    name: str = ""
    relationships: tuple[str, ...] = ()
    mechanisms: tuple[str, ...] = ()
    how: Mapping[str, str] = field(default_factory=dict)
    foundations: Mapping[str, str] = field(default_factory=dict)
    recommendations: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when nothing has been answered yet."""
        return not (self.name or self.relationships or self.mechanisms or self.how
                    or self.foundations or self.recommendations)


def answers_from_values(values: Mapping[str, tuple[str, ...]]) -> Answers:
    """The answers a view state holds (``ViewState.values``, already checked by ``state``).

    A foundation answered twice keeps its first answer.
    """
    foundations: dict[str, str] = {}
    for item in values.get("foundation", ()):
        foundation, _, level = item.partition(":")
        foundations.setdefault(foundation, level)
    how = {name.partition(".")[2]: texts[0] for name, texts in values.items()
           if name.startswith("how.") and texts}
    name = values.get("name", ())
    return Answers(name=name[0] if name else "",
                   relationships=tuple(values.get("relationship_type", ())),
                   mechanisms=tuple(values.get("mechanism", ())),
                   how=how, foundations=foundations,
                   recommendations=tuple(values.get("recommendation", ())))


def answer_values(ds: Dataset, answers: Answers) -> dict[str, tuple[str, ...] | str | None]:
    """Every lessons parameter for ``ViewState.with_values``: None for what is unanswered,
    so that an answer taken back also leaves the address. Ids go in display order."""
    questions = exercise(ds)

    def ordered(options: tuple[Choice, ...], chosen: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(o.id for o in options if o.id in chosen)

    values: dict[str, tuple[str, ...] | str | None] = {
        "name": answers.name or None,
        "relationship_type": ordered(questions.relationships, answers.relationships) or None,
        "mechanism": ordered(questions.mechanisms, answers.mechanisms) or None,
        "foundation": tuple(f"{o.id}:{answers.foundations[o.id]}"
                            for o in questions.foundations if o.id in answers.foundations)
        or None,
        "recommendation": ordered(questions.recommendations, answers.recommendations) or None,
    }
    for option in questions.mechanisms:
        values[f"how.{option.id}"] = answers.how.get(option.id) or None
    return values


def _overlap(ours: set[str], theirs: set[str]) -> float:
    """Shared items over all items named by either side (0 when neither names any)."""
    either = ours | theirs
    return len(ours & theirs) / len(either) if either else 0.0


def nearest_projects(ds: Dataset, relationships: tuple[str, ...] | list[str],
                     mechanisms: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """How close each identified project is to a room's project, closest first.

    A project's profile is the relationship types it targets and the mechanisms its
    evidence rates ``evident`` or ``partial``. Each part's overlap is the number of items
    both sides name divided by the number either names (0 when neither names any), so a
    project that shares one of one scores higher than a project that shares one of four;
    ``closeness`` is the sum of the two parts (0 to 2). Unidentified projects have no
    profile and are left out.

    Args:
        relationships: the relationship type ids the room targets.
        mechanisms: the mechanism ids the room intends to activate.

    Returns:
        One row per identified project, closeness descending (ties keep the package's
        order): ``project_id, project, relationships, mechanisms, shared_relationships,
        shared_mechanisms, relationship_overlap, mechanism_overlap, closeness, nearest``.
        Id columns hold tuples in display order; ``nearest`` marks every project with the
        highest closeness, if it is above 0.
    """
    relationship_order = list(facet_options(ds, RELATIONSHIP_TYPE))
    mechanism_order = list(facet_options(ds, MECHANISM))
    ours_r, ours_m = set(relationships), set(mechanisms)
    targeted: dict[str, set[str]] = {}
    for project_id, relationship in zip(ds.project_relationships.project_id,
                                        ds.project_relationships.relationship_type_id,
                                        strict=True):
        targeted.setdefault(str(project_id), set()).add(str(relationship))
    activated: dict[str, set[str]] = {}
    for project_id, mechanism, strength in zip(ds.mechanism_evidence.project_id,
                                               ds.mechanism_evidence.mechanism_id,
                                               ds.mechanism_evidence.strength, strict=True):
        if str(strength) in ACTIVATED:
            activated.setdefault(str(project_id), set()).add(str(mechanism))
    rows = []
    for project_id, name, membership in zip(ds.projects.project_id, ds.projects.short_name,
                                            ds.projects.membership.astype(str), strict=True):
        if membership == "unidentified":
            continue
        theirs_r = targeted.get(str(project_id), set())
        theirs_m = activated.get(str(project_id), set())
        r_overlap, m_overlap = _overlap(ours_r, theirs_r), _overlap(ours_m, theirs_m)
        rows.append({
            "project_id": str(project_id), "project": str(name),
            "relationships": tuple(r for r in relationship_order if r in theirs_r),
            "mechanisms": tuple(m for m in mechanism_order if m in theirs_m),
            "shared_relationships": tuple(r for r in relationship_order
                                          if r in theirs_r & ours_r),
            "shared_mechanisms": tuple(m for m in mechanism_order if m in theirs_m & ours_m),
            "relationship_overlap": r_overlap, "mechanism_overlap": m_overlap,
            "closeness": r_overlap + m_overlap,
        })
    columns = ["project_id", "project", "relationships", "mechanisms", "shared_relationships",
               "shared_mechanisms", "relationship_overlap", "mechanism_overlap", "closeness"]
    frame = pd.DataFrame(rows, columns=columns)
    frame = frame.sort_values("closeness", ascending=False, kind="stable").reset_index(drop=True)
    best = frame.closeness.max() if len(frame) else 0.0
    frame["nearest"] = (frame.closeness == best) & (frame.closeness > 0)
    return frame


def project_ratings(ds: Dataset, project_id: str) -> pd.DataFrame:
    """One project's evidence, mechanism by mechanism: the strongest rating and its records.

    Returns:
        One row per mechanism in display order: ``mechanism_id, mechanism, strength``
        (``no_rows`` when the project has no record for it), ``count`` (records rated other
        than not reported), ``rows`` (all its records), ``evidence_ids`` and
        ``explanations`` (the records' own
        explanations, in record order).

    Raises:
        QueryError: unknown project id.
    """
    cells = matrix(ds, PROJECT, Filters(project=(project_id,)))
    explanation = dict(zip(ds.mechanism_evidence.evidence_id, ds.mechanism_evidence.explanation,
                           strict=True))
    return pd.DataFrame({
        "mechanism_id": cells.mechanism_id, "mechanism": cells.mechanism,
        "strength": cells.strength, "count": cells["count"], "rows": cells["rows"],
        "evidence_ids": cells.evidence_ids,
        "explanations": [tuple(str(explanation[e]) for e in ids if not pd.isna(explanation[e]))
                         for ids in cells.evidence_ids],
    })


def answers_table(ds: Dataset, answers: Answers) -> pd.DataFrame:
    """The room's answers as one plain table (what the page shows and the CSV holds).

    One row per item of the exercise, in the exercise's order: the project's name, each
    relationship type, each mechanism (with its "how"), each foundation and each
    recommendation. Unanswered items (an unticked box included: it may mean "no" or "not
    thought about") say "Not answered", so the table is the whole exercise.
    """
    questions = exercise(ds)
    rows: list[tuple[str, str, str, str]] = [
        ("Project", "Name", answers.name or NOT_ANSWERED, "")]
    rows += [("Relationship targeted", o.label,
              "Yes" if o.id in answers.relationships else NOT_ANSWERED, "")
             for o in questions.relationships]
    rows += [("Mechanism to activate", o.label,
              "Yes" if o.id in answers.mechanisms else NOT_ANSWERED,
              answers.how.get(o.id, ""))
             for o in questions.mechanisms]
    rows += [("Foundation in place", o.label,
              FOUNDATION_LEVELS.get(answers.foundations.get(o.id, ""), NOT_ANSWERED), "")
             for o in questions.foundations]
    rows += [("Recommendation: we do this", o.label,
              "Yes" if o.id in answers.recommendations else NOT_ANSWERED, "")
             for o in questions.recommendations]
    return pd.DataFrame(rows, columns=ANSWER_COLUMNS)
