"""How far to trust each rating: a confidence level computed from the data by a written rule.

Part of ``query`` (each rating's level is a property of the record, and a facet pages can
filter by). Pure functions over a loaded ``Dataset``; no widgets, no pages. The rule is
``data/CODEBOOK.md`` section 14, adapted from GRADE-CERQual (Lewin and others, 2018;
``lewin-2018-cerqual`` in the sources): a rating that says a change happened (``evident``,
``partial``) or did not (``not_evident``) is appraised on five components, each with no,
minor, moderate or serious concerns and a one-line reason:

==========================  ==============================================================
component                   what it looks at (all of it read from the data, nothing typed in)
==========================  ==============================================================
methodological_limitations  who wrote the *origins* that report the change and whether any
                            states a method (``sources.kind`` and ``independence``)
coherence                   disagreements about what happened (``discrepancies`` of type
                            ``substance``) and later studies that cut against an outcome it
                            rests on, each counted once by its id or its study
adequacy                    how many separate origins report the change in an outcome
                            record it rests on (an origin that reports none adds no data)
relevance                   the project's programme membership, and doubt whether an
                            outcome falls in the programme's time (``time_scope``
                            discrepancies)
agreement                   the team's repeated codings (``mechanism_codings``) that gave
                            a weaker rating than the one shown
==========================  ==============================================================

**Origins, not sources.** A source's ``origin_id`` names the source whose words it repeats
(a mirror, a republication, one organisation's several accounts of one project); a source
without one is its own origin. Every count and every appraisal is made per origin, from the
origin's own row, so citing a second copy of the same words can never raise a level.

Combination (deterministic, no caps): start at ``high``; each minor concern steps down half
a level, each moderate one level, each serious two; whole steps count (two minors make one);
the level stops at ``very_low``. A curator may replace the level only with a recorded reason
(``confidence_override`` and ``confidence_override_reason``, which the validator enforces).

Properties the suite checks over generated packages (``tests/test_confidence_properties.py``):
citing another copy of an origin never raises a level; citing a further source that reports
no change never raises it; adding an independent source with a supporting outcome never
lowers it; lowering a rating never lowers its confidence; splitting
an outcome record never raises it; removing a disagreement never lowers it.

Each component is a pure function in ``explorer.evidence.query.components``; this module reads the
data they need once per dataset and combines them.

A ``not_reported`` rating has no confidence level: the sources are silent, and silence is a
*gap*, not weak evidence. ``explorer.evidence.appraisal.cell_kinds`` says which kind of cell every
matrix cell is. How consistent the repeated codings were as one figure (Krippendorff's
alpha) is ``explorer.evidence.query.agreement.reliability``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ...data.derived import derived
from ...data.load import Dataset
from ...errors import QueryError
from .agreement import CODINGS_TABLE
from .base import RECORDS_TABLE, humanise, rows
from .components import (
    LEVELS,
    STEPS,
    ComponentAppraisal,
    Concern,
    adequacy,
    agreement,
    coherence,
    combine,
    limitations,
    relevance,
    why,
)

__all__ = [
    "CELL_KINDS",
    "CELL_KIND_TERMS",
    "COMPONENTS",
    "LEVELS",
    "NO_LEVEL",
    "RATED",
    "ComponentAppraisal",
    "Concern",
    "Confidence",
    "appraisals",
    "appraise",
    "facet_values",
    "facet_vocabulary",
    "origins",
    "rating_confidence",
    "terms",
]

#: GRADE-CERQual's four components in its own order, then the consistency of the codings.
COMPONENTS = ("methodological_limitations", "coherence", "adequacy", "relevance", "agreement")
CELL_KINDS = ("rated", "contested", "sources_silent", "project_not_identified",
              "no_matching_records")
#: What each kind of matrix cell is called and means. The explorer's own words for what it
#: shows (not facts about a programme), so they live here, beside the rule that sorts cells.
CELL_KIND_TERMS = {
    "rated": ("Rated", "The sources report whether the change happened; the rating says "
                       "how strongly, and its confidence how far to trust it."),
    "contested": ("Contested", "The team's repeated codings of this rating did not all "
                               "agree; the rating shown is the one settled from the "
                               "sources, and its record says how."),
    "sources_silent": ("Not reported", "Not reported in the sources we read: they do not say "
                                       "whether the change happened. A gap in the record, "
                                       "not evidence that nothing changed."),
    "project_not_identified": ("Project not identified", "No readable source names this "
                                                         "project, so nothing is known about "
                                                         "it, and nothing is guessed."),
    "no_matching_records": ("No records", "No evidence record falls in this cell with the "
                                          "current choices."),
}
RATED = ("evident", "partial", "not_evident")
#: Discrepancy types that bear on confidence, and the component each one lowers.
SUBSTANCE, TIME_SCOPE = "substance", "time_scope"
#: Outcome directions that report nothing about the change (a possibility, a lesson).
NO_REPORT = "not_applicable"


@dataclass(frozen=True)
class Confidence:
    """The confidence in one rating.

    Attributes:
        evidence_id: the mechanism record.
        level: the level shown: the computed one, or the curator's override.
        computed: the level the rule gives.
        components: one ``ComponentAppraisal`` per component, in ``COMPONENTS`` order.
        why: how the rule reached ``computed``, in one plain sentence (the concerns that
            lowered it and how many steps down from high).
        override_reason: why a curator replaced the computed level; None when not replaced.
        sources: ``(source_id, kind, independence)`` of every cited source.
        origins: ``(origin_id, kind, independence)`` of every separate origin cited (the
            origin's own appraisal), in citation order.
    """

    evidence_id: str
    level: str
    computed: str
    components: tuple[ComponentAppraisal, ...]
    why: str
    override_reason: str | None
    sources: tuple[tuple[str, str, str], ...]
    origins: tuple[tuple[str, str, str], ...] = ()

    @property
    def overridden(self) -> bool:
        """True when a curator replaced the computed level (with a recorded reason)."""
        return self.override_reason is not None

    @property
    def steps(self) -> float:
        """How many levels the concerns step down from high, before rounding down."""
        return sum(STEPS[str(c.concern)] for c in self.components)


@dataclass(frozen=True)
class _Context:
    """What the rule reads, gathered once per dataset (linear in the data)."""

    appraisal: dict[str, tuple[str, str]]
    origin: dict[str, str]
    direction: dict[str, str]
    outcome_sources: dict[str, tuple[str, ...]]
    against: dict[str, list[tuple[str, str]]]
    time_doubt: dict[str, list[tuple[str, str]]]
    membership: dict[str, str]
    codes: dict[str, list[str]]
    labels: dict[str, str]


@derived()
def origins(ds: Dataset) -> dict[str, str]:
    """``source_id → origin_id`` for every source: the source whose words it repeats, or
    itself when it is its own origin (``sources.origin_id`` empty)."""
    frame = ds.sources
    declared = (frame.origin_id if "origin_id" in frame.columns
                else pd.Series([None] * len(frame), index=frame.index))
    return {str(s): (str(o) if isinstance(o, str) and o else str(s))
            for s, o in zip(frame.source_id, declared, strict=True)}


def _column(frame: pd.DataFrame, name: str, default: str) -> list[str]:
    return (frame[name].astype(str).tolist() if name in frame.columns
            else [default] * len(frame))


def _context(ds: Dataset) -> _Context:
    appraisal = {str(s): (str(k), str(i)) for s, k, i in zip(
        ds.sources.source_id, ds.sources.kind, ds.sources.independence, strict=True)}
    origin = origins(ds)
    against: dict[str, list[tuple[str, str]]] = {}
    time_doubt: dict[str, list[tuple[str, str]]] = {}
    # Named as a reader knows them (the disagreement's topic, the later study's year and
    # design), never by their ids; keyed by the row id (a disagreement) or the study's
    # origin (later evidence), so one disagreement or one study counts once.
    frame = ds.discrepancies
    for discrepancy_id, topic, outcome_ids, kind in zip(
            frame.discrepancy_id, frame.topic, frame.outcome_ids,
            _column(frame, "disagreement_type", SUBSTANCE), strict=True):
        target = {SUBSTANCE: against, TIME_SCOPE: time_doubt}.get(kind)
        if target is None:
            continue
        for outcome_id in outcome_ids:
            target.setdefault(outcome_id, []).append(
                (f"discrepancy:{discrepancy_id}", f"sources disagree on '{topic}'"))
    later = ds.later_evidence
    for published, design, outcome_ids, direction, cited in zip(
            later.published, later.design.astype(str), later.outcome_ids,
            later.bearing_direction.astype(str), later.source_ids, strict=True):
        if direction != "cuts_against" or not cited:
            continue
        study = origin.get(cited[0].source_id, cited[0].source_id)
        for outcome_id in outcome_ids:
            against.setdefault(outcome_id, []).append(
                (f"study:{study}",
                 f"a later {humanise(design).lower()} ({published}) cuts against it"))
    codings = ds[CODINGS_TABLE]
    codes: dict[str, list[str]] = {}
    for evidence_id, strength in zip(codings.evidence_id, codings.strength.astype(str),
                                     strict=True):
        codes.setdefault(str(evidence_id), []).append(strength)
    outcomes = ds.outcomes
    return _Context(
        appraisal=appraisal, origin=origin,
        direction=dict(zip(outcomes.outcome_id, outcomes.direction.astype(str), strict=True)),
        outcome_sources={str(o): tuple(c.source_id for c in cs) for o, cs in zip(
            outcomes.outcome_id, outcomes.source_ids, strict=True)},
        against=against, time_doubt=time_doubt,
        membership=dict(zip(ds.projects.project_id, ds.projects.membership.astype(str),
                            strict=True)),
        codes=codes,
        labels={c: label.lower() for c, (label, _) in terms(ds, "component").items()},
    )


def _distinct(items: Iterable[tuple[str, str]]) -> list[str]:
    """The labels of ``(key, label)`` pairs, one per key, in first-seen order."""
    return list(dict((key, label) for key, label in items).values())


def _appraise_row(row: Any, context: _Context) -> Confidence | None:
    strength = str(row.strength)
    if strength not in RATED:
        return None
    evidence_id = str(row.evidence_id)
    cited_ids = list(dict.fromkeys(c.source_id for c in row.source_ids))
    outcome_ids = list(dict.fromkeys(row.outcome_ids))
    reporting_ids = [o for o in outcome_ids
                     if context.direction.get(o) not in (None, NO_REPORT)]
    reporting = {context.origin.get(s, s) for o in reporting_ids
                 for s in context.outcome_sources.get(o, ())}
    cited_origins = list(dict.fromkeys(
        [context.origin.get(s, s) for s in cited_ids] + sorted(reporting)))
    origins_ = [(o, *context.appraisal.get(o, ("other", "unknown"))) for o in cited_origins]
    # Only origins that report the change contribute data to the finding (section 14.2):
    # a silent origin, however well placed, can neither vouch for it nor add to its amount.
    contributing = [item for item in origins_ if item[0] in reporting]
    components = (
        limitations(contributing),
        coherence(_distinct(x for o in outcome_ids for x in context.against.get(o, ()))),
        adequacy(len(reporting), len(cited_origins)),
        relevance(context.membership.get(str(row.project_id), ""),
                  _distinct(x for o in outcome_ids for x in context.time_doubt.get(o, ()))),
        agreement(strength, context.codes.get(evidence_id, [])),
    )
    computed = combine(components)
    override = row.confidence_override
    reason = row.confidence_override_reason
    overridden = override is not None and not pd.isna(override)
    return Confidence(
        evidence_id=evidence_id,
        level=str(override) if overridden else computed,
        computed=computed,
        components=components,
        why=why(components, computed, context.labels),
        override_reason=str(reason) if overridden else None,
        sources=tuple((s, *context.appraisal.get(s, ("other", "unknown"))) for s in cited_ids),
        origins=tuple(origins_),
    )


@derived()
def _appraisals(ds: Dataset) -> dict[str, Confidence | None]:
    context = _context(ds)
    return {str(row.evidence_id): _appraise_row(row, context)
            for row in rows(ds[RECORDS_TABLE])}


def appraise(ds: Dataset, evidence_id: str) -> Confidence | None:
    """The confidence in one rating; None for a ``not_reported`` rating (a gap has none).

    Raises:
        QueryError: ``evidence_id`` is not a mechanism record.
    """
    found = _appraisals(ds)
    if evidence_id not in found:
        raise QueryError(f"unknown evidence record {evidence_id!r}")
    return found[evidence_id]


def rating_confidence(ds: Dataset) -> pd.DataFrame:
    """One row per evidence record: its confidence level and how the rule reached it.

    Returns:
        Columns ``evidence_id, strength, level, computed_level, gap``, then for each
        component ``<component>_concern`` and ``<component>_reason``, then ``why`` (how the
        level was reached), ``overridden``, ``override_reason``, ``source_ids``,
        ``source_kinds``, ``source_independence`` and ``origin_ids``. ``level`` is missing
        for a ``not_reported`` rating, whose ``gap`` is ``sources_silent``; rated records
        have no ``gap``.
    """
    records = []
    strengths = dict(zip(ds.mechanism_evidence.evidence_id.astype(str),
                         ds.mechanism_evidence.strength.astype(str), strict=True))
    for evidence_id, confidence in _appraisals(ds).items():
        record: dict[str, object] = {"evidence_id": evidence_id,
                                     "strength": strengths[evidence_id]}
        if confidence is None:
            record |= {"level": None, "computed_level": None, "gap": "sources_silent",
                       "why": None, "overridden": False, "override_reason": None,
                       "source_ids": (), "source_kinds": (), "source_independence": (),
                       "origin_ids": ()}
            record |= {f"{c}_{part}": None for c in COMPONENTS for part in ("concern",
                                                                            "reason")}
        else:
            record |= {"level": confidence.level, "computed_level": confidence.computed,
                       "gap": None}
            for part in confidence.components:
                record[f"{part.component}_concern"] = str(part.concern)
                record[f"{part.component}_reason"] = part.reason
            record |= {"why": confidence.why, "overridden": confidence.overridden,
                       "override_reason": confidence.override_reason,
                       "source_ids": tuple(s for s, _, _ in confidence.sources),
                       "source_kinds": tuple(k for _, k, _ in confidence.sources),
                       "source_independence": tuple(i for _, _, i in confidence.sources),
                       "origin_ids": tuple(o for o, _, _ in confidence.origins)}
        records.append(record)
    columns = (["evidence_id", "strength", "level", "computed_level", "gap"]
               + [f"{c}_{part}" for c in COMPONENTS for part in ("concern", "reason")]
               + ["why", "overridden", "override_reason", "source_ids", "source_kinds",
                  "source_independence", "origin_ids"])
    return pd.DataFrame(records, columns=columns)



#: The value of the confidence facet for a rating with no level (the sources are silent).
NO_LEVEL = "sources_silent"


def facet_values(ds: Dataset, name: str) -> list[tuple[str, ...]]:
    """Each evidence record's value of the computed facet ``name`` (``confidence``: its
    level, or ``sources_silent`` for a rating with none), in record order."""
    found = _appraisals(ds)
    return [((c.level,) if (c := found[str(e)]) is not None else (NO_LEVEL,))
            for e in ds[RECORDS_TABLE].evidence_id]


def facet_vocabulary(ds: Dataset) -> tuple[dict[str, str], dict[str, str]]:
    """The confidence facet's values with their labels and meanings, from the data's
    ``appraisal_terms`` (levels, then the gap)."""
    levels = terms(ds, "confidence")
    labels = {level: label for level, (label, _) in levels.items()}
    helps = {level: meaning for level, (_, meaning) in levels.items()}
    return ({**labels, NO_LEVEL: "No level: not reported"},
            {**helps, NO_LEVEL: CELL_KIND_TERMS[NO_LEVEL][1]})


def appraisals(ds: Dataset) -> dict[str, Confidence | None]:
    """Every record's confidence (None for a ``not_reported`` rating), computed once per
    dataset."""
    return _appraisals(ds)


@derived()
def terms(ds: Dataset, vocabulary: str) -> dict[str, tuple[str, str]]:
    """The data's label and one-sentence explanation of each term, in display order (once
    per dataset and vocabulary: pages ask for them on every redraw; read-only).

    Args:
        vocabulary: ``confidence`` (the levels), ``component`` or ``concern``.

    Returns:
        ``{term_id: (label, definition)}`` from ``appraisal_terms``; a term the package
        does not explain gets its id in words and no definition.
    """
    frame = ds["appraisal_terms"] if "appraisal_terms" in ds.tables else None
    known = {"confidence": LEVELS, "component": COMPONENTS, "concern": tuple(STEPS)}
    if vocabulary not in known:
        raise QueryError(f"unknown vocabulary {vocabulary!r}; choose one of "
                         f"{', '.join(known)}")
    found: dict[str, tuple[str, str]] = {}
    if frame is not None:
        part = frame[frame.vocabulary.astype(str) == vocabulary].sort_values("display_order")
        found = {str(t): (str(label), str(definition)) for t, label, definition in
                 zip(part.term_id, part.label, part.definition, strict=True)}
    return {term: found.get(term, (humanise(term), "")) for term in known[vocabulary]}
