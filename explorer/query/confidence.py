"""How far to trust each rating: a confidence level computed from the data by a written rule.

Part of ``query`` (each rating's level is a property of the record, and a facet pages can
filter by). Pure functions over a loaded ``Dataset``; no widgets, no pages. The rule is
``data/CODEBOOK.md`` section 14, adapted from
GRADE-CERQual (Lewin and others, 2018; ``lewin-2018-cerqual`` in the sources): a rating that
says a change happened (``evident``, ``partial``) or did not (``not_evident``) is appraised
on five components, each with no, minor, moderate or serious concerns and a one-line reason:

==============  ==========================================================================
component       what it looks at (all of it read from the data, nothing typed in)
==============  ==========================================================================
adequacy        how many sources the rating cites and how many of its outcome records
                report a change (an outcome with a direction other than not_applicable)
independence    the cited sources' ``kind`` and ``independence`` (sources.csv)
coherence       discrepancies and later evidence (``bearing_direction = cuts_against``)
                naming an outcome the rating rests on
relevance       the project's programme membership (confirmed, probable)
agreement       the independent codings (``mechanism_codings``) against the rating
==============  ==========================================================================

Combination (deterministic): start at ``high``; each minor concern steps down half a level,
each moderate one level, each serious two; whole steps count (two minors make one). Then
two caps: a rating whose sources are all the project's or the funder's own is at most
``moderate``, and so is a contested rating (its codings were not unanimous). A curator may
replace the level only with a recorded reason (``confidence_override`` and
``confidence_override_reason``, which the validator enforces).

A ``not_reported`` rating has no confidence level: the sources are silent, and silence is a
*gap*, not weak evidence. ``explorer.appraisal.cell_kinds`` says which kind of cell every
matrix cell is.

Agreement between the coders as one figure (Krippendorff's alpha) is ``explorer.agreement``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pandas as pd

from ..derived import derived
from ..errors import QueryError
from ..load import Dataset
from .agreement import CODINGS_TABLE, contested_evidence
from .facets import RECORDS_TABLE, humanise, rows

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
    "rating_confidence",
    "terms",
]

LEVELS = ("high", "moderate", "low", "very_low")
COMPONENTS = ("adequacy", "independence", "coherence", "relevance", "agreement")
CELL_KINDS = ("rated", "contested", "sources_silent", "project_not_identified",
              "no_matching_records")
#: What each kind of matrix cell is called and means. The explorer's own words for what it
#: shows (not facts about a programme), so they live here, beside the rule that sorts cells.
CELL_KIND_TERMS = {
    "rated": ("Rated", "The sources report whether the change happened; the rating says "
                       "how strongly, and its confidence how far to trust it."),
    "contested": ("Contested", "The independent coders rated this differently; the rating "
                               "shown is the reconciled one, and it is at most moderate "
                               "confidence."),
    "sources_silent": ("Sources silent", "The sources we read say nothing about whether the "
                                         "change happened: a gap in the record, not evidence "
                                         "that nothing changed."),
    "project_not_identified": ("Project not identified", "No readable source names this "
                                                         "project, so nothing is known about "
                                                         "it, and nothing is guessed."),
    "no_matching_records": ("No records", "No evidence record falls in this cell with the "
                                          "current choices."),
}
RATED = ("evident", "partial", "not_evident")
#: Whole-level steps down for each concern (two minors make one step).
STEPS = {"no": 0.0, "minor": 0.5, "moderate": 1.0, "serious": 2.0}
EVALUATIONS = ("evaluation_report", "journal_study")
OUTSIDE = ("independent", "commissioned_by_funder")


class Concern(StrEnum):
    """How much one component lowers confidence."""

    NO = "no"
    MINOR = "minor"
    MODERATE = "moderate"
    SERIOUS = "serious"


@dataclass(frozen=True)
class ComponentAppraisal:
    """One component of a rating's confidence: its concern and why, in one plain line."""

    component: str
    concern: Concern
    reason: str


@dataclass(frozen=True)
class Confidence:
    """The confidence in one rating.

    Attributes:
        evidence_id: the mechanism record.
        level: the level shown: the computed one, or the curator's override.
        computed: the level the rule gives.
        components: one ``ComponentAppraisal`` per component, in ``COMPONENTS`` order.
        caps: the caps that held the level down, in words (empty when none did).
        override_reason: why a curator replaced the computed level; None when not replaced.
        sources: ``(source_id, kind, independence)`` of every cited source.
    """

    evidence_id: str
    level: str
    computed: str
    components: tuple[ComponentAppraisal, ...]
    caps: tuple[str, ...]
    override_reason: str | None
    sources: tuple[tuple[str, str, str], ...]

    @property
    def overridden(self) -> bool:
        """True when a curator replaced the computed level (with a recorded reason)."""
        return self.override_reason is not None


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _adequacy(sources: int, outcomes: int) -> ComponentAppraisal:
    if outcomes >= 2 and sources >= 2:
        concern = Concern.NO
    elif outcomes >= 2 or (outcomes == 1 and sources >= 2):
        concern = Concern.MINOR
    elif outcomes == 1 or sources >= 2:
        concern = Concern.MODERATE
    else:
        concern = Concern.SERIOUS
    return ComponentAppraisal("adequacy", concern,
                              f"{_count(sources, 'source')} cited; "
                              f"{_count(outcomes, 'reported outcome')} showing a change")


def _independence(cited: list[tuple[str, str, str]]) -> ComponentAppraisal:
    kinds = Counter(kind.replace("_", " ") for _, kind, _ in cited)
    listed = ", ".join(f"{kind} ×{n}" if n > 1 else kind for kind, n in kinds.items())
    outside = [(kind, who) for _, kind, who in cited if who in OUTSIDE]
    if any(who == "independent" and kind in EVALUATIONS for kind, who in outside):
        return ComponentAppraisal("independence", Concern.NO,
                                  f"an independent evaluation or study is cited ({listed})")
    if any(kind in (*EVALUATIONS, "evaluation_article") for kind, _ in outside):
        return ComponentAppraisal("independence", Concern.MINOR,
                                  "the evaluation cited is independent of the projects but "
                                  f"commissioned by the funder ({listed})")
    if outside:
        return ComponentAppraisal("independence", Concern.MODERATE,
                                  "the only source from outside the project and the funder "
                                  f"reports rather than evaluates ({listed})")
    if all(who == "unknown" for _, _, who in cited):
        return ComponentAppraisal("independence", Concern.SERIOUS,
                                  f"no cited source says who stands behind it ({listed})")
    return ComponentAppraisal("independence", Concern.MODERATE,
                              f"only the funder's or the project's own word ({listed})")


def _coherence(against: list[str]) -> ComponentAppraisal:
    concern = (Concern.NO, Concern.MODERATE)[min(len(against), 1)]
    if len(against) >= 2:
        concern = Concern.SERIOUS
    reason = ("no recorded disagreement or later evidence against the outcomes it rests on"
              if not against else
              "against the outcomes it rests on: " + "; ".join(against))
    return ComponentAppraisal("coherence", concern, reason)


def _relevance(membership: str) -> ComponentAppraisal:
    if membership == "confirmed":
        return ComponentAppraisal("relevance", Concern.NO,
                                  "a source names the project as part of the programme")
    if membership == "probable":
        return ComponentAppraisal("relevance", Concern.MODERATE,
                                  "the project's membership of the programme is only probable")
    return ComponentAppraisal("relevance", Concern.SERIOUS,
                              "the project is not identified")


def _agreement(strength: str, codes: list[str]) -> ComponentAppraisal:
    if not codes:
        return ComponentAppraisal("agreement", Concern.MODERATE,
                                  "no independent coding is recorded")
    counts = Counter(codes)
    given = ", ".join(s.replace("_", " ") for s in codes)
    if len(counts) == 1 and strength in counts:
        return ComponentAppraisal("agreement", Concern.NO,
                                  f"all {len(codes)} coders gave {strength.replace('_', ' ')}")
    if counts[strength] == 0:
        return ComponentAppraisal("agreement", Concern.MODERATE,
                                  f"the rating departs from every coding ({given})")
    if counts[strength] * 2 > len(codes):
        return ComponentAppraisal("agreement", Concern.MINOR,
                                  f"the coders differed ({given}); most gave this rating")
    return ComponentAppraisal("agreement", Concern.MODERATE,
                              f"the coders differed ({given}); no majority gave this rating")


def _combine(components: Iterable[ComponentAppraisal], caps: list[str]) -> str:
    steps = math.floor(sum(STEPS[c.concern] for c in components))
    index = min(steps, len(LEVELS) - 1)
    if caps:  # every cap holds the level at moderate or below
        index = max(index, LEVELS.index("moderate"))
    return LEVELS[index]


@dataclass(frozen=True)
class _Context:
    """What the rule reads, gathered once per dataset (linear in the data)."""

    sources: dict[str, tuple[str, str]]
    direction: dict[str, str]
    against: dict[str, list[str]]
    membership: dict[str, str]
    codes: dict[str, list[str]]
    contested: frozenset[str]


def _context(ds: Dataset) -> _Context:
    sources = {str(s): (str(k), str(i)) for s, k, i in zip(
        ds.sources.source_id, ds.sources.kind, ds.sources.independence, strict=True)}
    against: dict[str, list[str]] = {}
    # Named as a reader knows them (the disagreement's topic, the later study's year and
    # design), never by their ids.
    for topic, outcome_ids in zip(ds.discrepancies.topic, ds.discrepancies.outcome_ids,
                                  strict=True):
        for outcome_id in outcome_ids:
            against.setdefault(outcome_id, []).append(f"sources disagree on '{topic}'")
    later = ds.later_evidence
    for published, design, outcome_ids, direction in zip(
            later.published, later.design.astype(str), later.outcome_ids,
            later.bearing_direction.astype(str), strict=True):
        if direction == "cuts_against":
            for outcome_id in outcome_ids:
                against.setdefault(outcome_id, []).append(
                    f"a later {humanise(design).lower()} ({published}) cuts against it")
    codings = ds[CODINGS_TABLE]
    codes: dict[str, list[str]] = {}
    for evidence_id, strength in zip(codings.evidence_id, codings.strength.astype(str),
                                     strict=True):
        codes.setdefault(str(evidence_id), []).append(strength)
    return _Context(
        sources=sources,
        direction=dict(zip(ds.outcomes.outcome_id, ds.outcomes.direction.astype(str),
                           strict=True)),
        against=against,
        membership=dict(zip(ds.projects.project_id, ds.projects.membership.astype(str),
                            strict=True)),
        codes=codes,
        contested=contested_evidence(ds),
    )


def _appraise_row(row: Any, context: _Context) -> Confidence | None:
    strength = str(row.strength)
    if strength not in RATED:
        return None
    evidence_id = str(row.evidence_id)
    cited_ids = list(dict.fromkeys(c.source_id for c in row.source_ids))
    cited = [(s, *context.sources[s]) for s in cited_ids]
    outcome_ids = list(row.outcome_ids)
    changed = sum(context.direction.get(o) not in (None, "not_applicable")
                  for o in outcome_ids)
    against = list(dict.fromkeys(x for o in outcome_ids for x in context.against.get(o, ())))
    components = (
        _adequacy(len(cited), changed),
        _independence(cited),
        _coherence(against),
        _relevance(context.membership.get(str(row.project_id), "")),
        _agreement(strength, context.codes.get(evidence_id, [])),
    )
    caps = []
    if not any(who in OUTSIDE for _, _, who in cited):
        caps.append("only the project's or the funder's own sources: at most moderate")
    if evidence_id in context.contested:
        caps.append("contested by the coders: at most moderate")
    computed = _combine(components, caps)
    override = row.confidence_override
    reason = row.confidence_override_reason
    overridden = override is not None and not pd.isna(override)
    return Confidence(
        evidence_id=evidence_id,
        level=str(override) if overridden else computed,
        computed=computed,
        components=components,
        caps=tuple(caps),
        override_reason=str(reason) if overridden else None,
        sources=tuple(cited),
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
        component ``<component>_concern`` and ``<component>_reason``, then ``caps``,
        ``overridden``, ``override_reason``, ``source_ids``, ``source_kinds``,
        ``source_independence``. ``level`` is missing for a ``not_reported`` rating, whose
        ``gap`` is ``sources_silent``; rated records have no ``gap``.
    """
    records = []
    strengths = dict(zip(ds.mechanism_evidence.evidence_id.astype(str),
                         ds.mechanism_evidence.strength.astype(str), strict=True))
    for evidence_id, confidence in _appraisals(ds).items():
        record: dict[str, object] = {"evidence_id": evidence_id,
                                     "strength": strengths[evidence_id]}
        if confidence is None:
            record |= {"level": None, "computed_level": None, "gap": "sources_silent",
                       "caps": (), "overridden": False, "override_reason": None,
                       "source_ids": (), "source_kinds": (), "source_independence": ()}
            record |= {f"{c}_{part}": None for c in COMPONENTS for part in ("concern",
                                                                            "reason")}
        else:
            record |= {"level": confidence.level, "computed_level": confidence.computed,
                       "gap": None}
            for part in confidence.components:
                record[f"{part.component}_concern"] = str(part.concern)
                record[f"{part.component}_reason"] = part.reason
            record |= {"caps": confidence.caps, "overridden": confidence.overridden,
                       "override_reason": confidence.override_reason,
                       "source_ids": tuple(s for s, _, _ in confidence.sources),
                       "source_kinds": tuple(k for _, k, _ in confidence.sources),
                       "source_independence": tuple(i for _, _, i in confidence.sources)}
        records.append(record)
    columns = (["evidence_id", "strength", "level", "computed_level", "gap"]
               + [f"{c}_{part}" for c in COMPONENTS for part in ("concern", "reason")]
               + ["caps", "overridden", "override_reason", "source_ids", "source_kinds",
                  "source_independence"])
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
    return ({**labels, NO_LEVEL: "No level: the sources are silent"},
            {**helps, NO_LEVEL: CELL_KIND_TERMS[NO_LEVEL][1]})


def appraisals(ds: Dataset) -> dict[str, Confidence | None]:
    """Every record's confidence (None for a ``not_reported`` rating), computed once per
    dataset."""
    return _appraisals(ds)


def terms(ds: Dataset, vocabulary: str) -> dict[str, tuple[str, str]]:
    """The data's label and one-sentence explanation of each term, in display order.

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
