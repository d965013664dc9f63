"""The five components of the confidence rule, each a pure function of plain values.

Part of ``query``; ``explorer.evidence.query.confidence`` gathers what each reads from a dataset and
combines them (``data/CODEBOOK.md`` section 14). Each function returns a
``ComponentAppraisal``: the component, its concern (no, minor, moderate, serious) and a
one-line reason in plain words, written from the data.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from .base import STRENGTH_ORDER, humanise

__all__ = ["LEVELS", "STEPS", "STUDIES", "ComponentAppraisal", "Concern", "adequacy",
           "agreement", "coherence", "combine", "limitation", "limitations", "relevance",
           "why"]

LEVELS = ("high", "moderate", "low", "very_low")
#: Whole-level steps down for each concern (two minors make one step).
STEPS = {"no": 0.0, "minor": 0.5, "moderate": 1.0, "serious": 2.0}
#: Kinds of document that state or report the method behind what they say.
STUDIES = ("evaluation_report", "journal_study")
_RANK = {strength: rank for rank, strength in enumerate(reversed(STRENGTH_ORDER))}


class Concern(StrEnum):
    """How much one component lowers confidence."""

    NO = "no"
    MINOR = "minor"
    MODERATE = "moderate"
    SERIOUS = "serious"


_ORDER = tuple(Concern)


@dataclass(frozen=True)
class ComponentAppraisal:
    """One component of a rating's confidence: its concern and why, in one plain line."""

    component: str
    concern: Concern
    reason: str


def _count(number: int, noun: str, plural: str | None = None) -> str:
    return f"{number} {noun if number == 1 else (plural or noun + 's')}"


def limitation(kind: str, who: str) -> Concern:
    """The concern one origin raises, from its kind and whose word it is (section 14.2)."""
    studied = kind in STUDIES
    if who == "independent":
        return Concern.NO if studied else Concern.MODERATE
    if who == "commissioned_by_funder":
        return Concern.MINOR if studied else Concern.MODERATE
    if who in ("funder", "project_team"):
        return Concern.MODERATE if studied else Concern.SERIOUS
    return Concern.SERIOUS  # unknown: nobody can say who stands behind it


_WHOSE = {"independent": "independent of the funder and the projects",
          "commissioned_by_funder": "commissioned by the funder",
          "funder": "the funder's own word", "project_team": "the project's own word",
          "unknown": "of unknown authorship"}


def limitations(origins: list[tuple[str, str, str]]) -> ComponentAppraisal:
    """The best-placed origin that reports the change decides; a further one can only keep or
    lower the concern, and one that reports no change is not passed in (section 14.2)."""
    if not origins:
        return ComponentAppraisal("methodological_limitations", Concern.SERIOUS,
                                  "no cited source reports the change in an outcome record")
    concern = min((limitation(kind, who) for _, kind, who in origins), key=_ORDER.index)
    described = "; ".join(dict.fromkeys(
        f"{humanise(kind).lower()}, {_WHOSE.get(who, who)}" for _, kind, who in origins))
    studied = any(kind in STUDIES for _, kind, _ in origins)
    method = ("an evaluation or study that states its method is cited" if studied else
              "no cited source states a method")
    return ComponentAppraisal("methodological_limitations", concern,
                              f"{method} ({described})")


def adequacy(reporting: int, cited: int) -> ComponentAppraisal:
    """Only origins that report the change count: a cited origin that reports none adds no
    data to the finding, so citing it can never lower the concern (section 14.2)."""
    if reporting >= 2:
        concern = Concern.NO
    elif reporting == 1:
        concern = Concern.MODERATE
    else:
        concern = Concern.SERIOUS
    silent = cited - reporting
    return ComponentAppraisal(
        "adequacy", concern,
        f"{_count(reporting, 'separate account')} report"
        f"{'s' if reporting == 1 else ''} the change in an outcome record (copies, and one "
        f"organisation's several pages on one project, count once)"
        + (f"; {_count(silent, 'further account')} cited report"
           f"{'s' if silent == 1 else ''} nothing in an outcome record it rests on, so add"
           f"{'s' if silent == 1 else ''} no data" if silent > 0 else ""))


def coherence(against: list[str]) -> ComponentAppraisal:
    if not against:
        return ComponentAppraisal("coherence", Concern.NO, "no recorded disagreement or later "
                                  "study against the outcomes it rests on")
    concern = Concern.MODERATE if len(against) == 1 else Concern.SERIOUS
    return ComponentAppraisal("coherence", concern,
                              "against the outcomes it rests on: " + "; ".join(against))


def relevance(membership: str, time_doubts: list[str]) -> ComponentAppraisal:
    parts = []
    steps = 0
    if membership == "confirmed":
        parts.append("a source names the project as part of the programme")
    elif membership == "probable":
        parts.append("the project's membership of the programme is only probable")
        steps += 1
    else:
        return ComponentAppraisal("relevance", Concern.SERIOUS, "the project is not identified")
    if time_doubts:
        parts.append("it is unclear whether an outcome it rests on falls in the programme's "
                     "time: " + "; ".join(time_doubts))
        steps += 1
    concern = (Concern.NO, Concern.MODERATE, Concern.SERIOUS)[steps]
    return ComponentAppraisal("relevance", concern, "; ".join(parts))


def agreement(strength: str, codes: list[str]) -> ComponentAppraisal:
    """Codings weaker than the rating count against it; a more cautious rating never does."""
    if not codes:
        return ComponentAppraisal("agreement", Concern.MODERATE, "no repeated coding is "
                                  "recorded")
    given = ", ".join(s.replace("_", " ") for s in codes)
    weaker = [c for c in codes if _RANK[c] < _RANK[strength]]
    shown = strength.replace("_", " ")
    if not weaker:
        if len(set(codes)) == 1 and codes[0] == strength:
            return ComponentAppraisal("agreement", Concern.NO,
                                      f"all {len(codes)} codings gave {shown}")
        return ComponentAppraisal("agreement", Concern.NO,
                                  f"no coding gave a weaker rating than {shown} ({given}); "
                                  "the rating is the more cautious reading")
    if (len(codes) - len(weaker)) * 2 > len(codes):
        return ComponentAppraisal("agreement", Concern.MINOR,
                                  f"{len(weaker)} of {len(codes)} codings gave a weaker "
                                  f"rating ({given}); most gave {shown} or stronger")
    return ComponentAppraisal("agreement", Concern.MODERATE,
                              f"{len(weaker)} of {len(codes)} codings gave a weaker rating "
                              f"({given})")


def combine(components: Iterable[ComponentAppraisal]) -> str:
    steps = math.floor(sum(STEPS[c.concern] for c in components))
    return LEVELS[min(steps, len(LEVELS) - 1)]


_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
            "ten")


def _steps_in_words(steps: float) -> str:
    """'half a step', 'one step', 'two and a half steps'…"""
    whole, half = divmod(round(steps * 2), 2)
    if not whole:
        return "half a step" if half else "no step"
    word = _NUMBERS[whole] if whole < len(_NUMBERS) else str(whole)
    return f"{word} and a half steps" if half else f"{word} step{'s' if whole > 1 else ''}"


def why(components: tuple[ComponentAppraisal, ...], level: str,
         labels: dict[str, str]) -> str:
    """How the rule reached ``level``, in one sentence (labels from ``appraisal_terms``)."""
    lowering = [c for c in components if c.concern is not Concern.NO]
    steps = sum(STEPS[c.concern] for c in components)
    level_text = level.replace("_", " ")
    if not lowering:
        return f"{level_text.capitalize()}: no component raises a concern."
    named = "; ".join(f"{c.concern} concerns about {labels.get(c.component, c.component)}"
                      for c in sorted(lowering, key=lambda c: -STEPS[c.concern]))
    down = _steps_in_words(steps)
    whole = "; only whole steps count" if steps != math.floor(steps) else ""
    floor = ", the lowest level" if steps > len(LEVELS) - 1 else ""
    return f"{level_text.capitalize()}: {named}: {down} down from high{whole}{floor}."


