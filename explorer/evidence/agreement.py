"""How consistent the repeated codings of the ratings were: Krippendorff's alpha, with an interval.

descriptor → read → validate → load → query → **agreement**. The codings are this
package's own, made by one team with one method (CODEBOOK.md section 9), so these figures
measure the consistency of that repeated coding, not inter-rater reliability between
independent raters. ``explorer.query`` counts how often the codings agreed and gives
Cohen's kappa for each pair of codings
(``query.coding_agreement``); this module gives one figure across every coder:
Krippendorff's alpha for ordinal data (strengths ordered not_reported < not_evident <
partial < evident), computed by the maintained ``krippendorff`` package, with a percentile
bootstrap interval over records (``RESAMPLES`` resamples drawn with ``random.Random(SEED)``,
so the figure printed in CODEBOOK.md can be reproduced exactly).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import krippendorff

from ..data.derived import derived
from ..data.load import Dataset
from . import query

__all__ = ["ORDINAL", "RESAMPLES", "SEED", "Reliability", "figures", "reliability"]

#: Bootstrap defaults (CODEBOOK.md section 9 reports the figures they give).
RESAMPLES = 2000
SEED = 20261201
#: Strengths as ordinal values: not_reported 0 < not_evident 1 < partial 2 < evident 3.
ORDINAL = {strength: rank for rank, strength in enumerate(reversed(query.STRENGTH_ORDER))}


@dataclass(frozen=True)
class Reliability:
    """Krippendorff's alpha (ordinal) across every coding, with a bootstrap interval.

    Attributes:
        alpha: agreement beyond chance, 1 perfect, 0 chance level; strengths are ordered
            not_reported < not_evident < partial < evident.
        low, high: the 2.5th and 97.5th percentiles of alpha over ``resamples`` bootstrap
            resamples of the records (drawn with replacement, ``random.Random(seed)``).
        coders: how many coders.
        records: how many records were coded by at least two coders.
        resamples: how many resamples were drawn.
        undefined: resamples in which every coding had one value, so alpha is undefined;
            they are left out of the interval.
        seed: the random seed, so the interval can be reproduced.
    """

    alpha: float
    low: float
    high: float
    coders: int
    records: int
    resamples: int
    undefined: int
    seed: int


@derived()
def reliability(ds: Dataset, resamples: int = RESAMPLES, seed: int = SEED) -> Reliability | None:
    """Krippendorff's alpha across all codings of the ratings; None without codings.

    Computed once per dataset (the bootstrap takes a moment) and kept with it."""
    frame = ds[query.CODINGS_TABLE] if query.CODINGS_TABLE in ds.tables else None
    if frame is None or frame.empty:
        return None
    coders = tuple(dict.fromkeys(frame.coder.astype(str)))
    by_record: dict[str, dict[str, int]] = {}
    for evidence_id, coder, strength in zip(frame.evidence_id.astype(str),
                                            frame.coder.astype(str),
                                            frame.strength.astype(str), strict=True):
        by_record.setdefault(evidence_id, {})[coder] = ORDINAL[strength]
    units = tuple(tuple(codes.get(c) for c in coders) for codes in by_record.values()
                  if len(codes) >= 2)
    return _reliability(units, len(coders), resamples, seed)


def _reliability(units: tuple[tuple[int | None, ...], ...], coders: int, resamples: int,
                 seed: int) -> Reliability:
    rng = random.Random(seed)
    draws = []
    for _ in range(resamples):
        sample = [units[rng.randrange(len(units))] for _ in units]
        value = _alpha(sample, coders)
        if not math.isnan(value):
            draws.append(value)
    draws.sort()
    return Reliability(alpha=_alpha(list(units), coders), low=_percentile(draws, 0.025),
                       high=_percentile(draws, 0.975), coders=coders, records=len(units),
                       resamples=resamples, undefined=resamples - len(draws), seed=seed)


def _alpha(units: list[tuple[int | None, ...]], coders: int) -> float:
    """Krippendorff's alpha (ordinal) of ``units``; NaN when every value is the same."""
    if len({v for unit in units for v in unit if v is not None}) < 2:
        return math.nan
    data = [[_value(unit[c]) for unit in units] for c in range(coders)]
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="ordinal",
                                    value_domain=sorted(ORDINAL.values())))


def _value(code: int | None) -> float:
    return math.nan if code is None else float(code)


def _percentile(ordered: list[float], share: float) -> float:
    """The ``share`` percentile of sorted values (linear between neighbours), NaN if none."""
    if not ordered:
        return math.nan
    position = share * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def figures(ds: Dataset) -> str:
    """The agreement figures in words, as every page shows them; empty without codings.

    One place writes them, so a page, a handout and the static site cannot differ: e.g.
    "the 3 codings all gave the same strength to 23 of 25 ratings (92%); Krippendorff's
    alpha 0.93 (95% interval 0.79 to 1.00); Cohen's kappa 0.86 (coder-1 and coder-2), …".
    Whoever shows them says who made the codings (the package's ``codings_note``).
    """
    agreement = query.coding_agreement(ds)
    found = reliability(ds)
    if agreement is None or found is None:
        return ""
    kappas = ", ".join(f"{pair.kappa:.2f} ({pair.first} and {pair.second})"
                       for pair in agreement.pairs)
    return (f"the {len(agreement.coders)} codings all gave the same strength to "
            f"{agreement.agreed} of {agreement.total} ratings ({agreement.percent:.0f}%); "
            f"Krippendorff's alpha {found.alpha:.2f} (95% interval {found.low:.2f} to "
            f"{found.high:.2f}); Cohen's kappa {kappas}")
