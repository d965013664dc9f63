"""How far the repeated codings of the mechanism ratings agree, and which are contested.

Every mechanism rating is coded more than once (``mechanism_codings``); in this package the
three codings were made by one team with one method, so agreement between them is the
consistency of that coding, not independent raters' reliability (``data/CODEBOOK.md`` §9).
The figures here are computed from the codings, never typed in. A record is *contested*
when its codings are not unanimous. Krippendorff's alpha across all codings, with its
bootstrap interval, is ``reliability`` (``krippendorff``, ordinal, reproducible by ``SEED``).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from itertools import combinations
from typing import NamedTuple

import krippendorff
import pandas as pd

from ...data.derived import derived
from ...data.load import Dataset
from .base import RECORDS_TABLE, STRENGTH_ORDER

__all__ = [
    "CODINGS_TABLE",
    "ORDINAL",
    "RESAMPLES",
    "SEED",
    "Agreement",
    "PairAgreement",
    "Reliability",
    "agreement_figures",
    "agreement_statistics",
    "coding_agreement",
    "codings",
    "contested_evidence",
    "reliability",
]

CODINGS_TABLE = "mechanism_codings"


class PairAgreement(NamedTuple):
    """How often two of the coders gave the records they both coded the same strength."""

    first: str
    second: str
    total: int
    agreed: int
    kappa: float


@dataclass(frozen=True)
class Agreement:
    """How often the codings gave a mechanism record the same strength.

    Attributes:
        total: records coded by two or more coders.
        agreed: records every coder gave the same strength (unanimous).
        percent: ``agreed / total`` as a percentage.
        kappa: Cohen's kappa (agreement beyond what chance would give) between the first two
            coders, 1.0 when both used one and the same category throughout; ``pairs`` has
            it for every pair of coders.
        coders: the coders, in the order of the ``mechanism_codings`` table.
        pairs: one ``PairAgreement`` per pair of coders, in that order.
    """

    total: int
    agreed: int
    percent: float
    kappa: float
    coders: tuple[str, ...] = ()
    pairs: tuple[PairAgreement, ...] = ()

    @property
    def contested(self) -> int:
        """Records the coders did not all rate alike (``contested_evidence`` lists them)."""
        return self.total - self.agreed


#: Column names for the coders in ``codings``, in table order (then ``coder_11``, …).
CODER_COLUMNS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh",
                 "eighth", "ninth", "tenth")


def _coder_column(index: int) -> str:
    return CODER_COLUMNS[index] if index < len(CODER_COLUMNS) else f"coder_{index + 1}"


@derived()
def codings(ds: Dataset) -> pd.DataFrame:
    """Each mechanism record's codings side by side, and the reconciled one.

    Returns:
        Columns ``evidence_id``, one column per coder (``first``, ``second``, ``third``…, in
        the order of the ``mechanism_codings`` table; None where a coder did not code the
        record), ``reconciled`` and ``contested`` (strength ids); one row per record coded
        by two or more coders; empty when the package has no codings. A record is
        contested when its codings are not unanimous.
    """
    frame = ds[CODINGS_TABLE] if CODINGS_TABLE in ds.tables else None
    coders = list(dict.fromkeys(frame.coder.astype(str))) if frame is not None else []
    names = [_coder_column(i) for i in range(max(len(coders), 2))]
    columns = ["evidence_id", *names, "reconciled", "contested"]
    if frame is None or frame.empty:
        return pd.DataFrame(columns=columns)
    by_coder = {coder: dict(zip(frame.evidence_id[frame.coder == coder].astype(str),
                                frame.strength[frame.coder == coder].astype(str), strict=True))
                for coder in coders}
    reconciled = dict(zip(ds[RECORDS_TABLE].evidence_id.astype(str),
                          ds[RECORDS_TABLE].strength.astype(str), strict=True))
    rows = []
    for evidence_id in reconciled:
        given = [by_coder[c].get(evidence_id) for c in coders]
        present = [s for s in given if s is not None]
        if len(present) >= 2:
            rows.append((evidence_id, *given, reconciled[evidence_id], len(set(present)) > 1))
    return pd.DataFrame(rows, columns=columns)


def _kappa(first: list[str], second: list[str]) -> float:
    """Cohen's kappa of two equally long codings (1.0 when chance agreement is total)."""
    total = len(first)
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / total
    expected = sum((first.count(k) / total) * (second.count(k) / total)
                   for k in STRENGTH_ORDER)
    return 1.0 if expected >= 1.0 else (observed - expected) / (1.0 - expected)


@derived()
def coding_agreement(ds: Dataset) -> Agreement | None:
    """Agreement between the codings of every mechanism record: how many were
    unanimous, and Cohen's kappa for each pair of coders (None without codings)."""
    table = codings(ds)
    if table.empty:
        return None
    coders = tuple(dict.fromkeys(ds[CODINGS_TABLE].coder.astype(str)))
    names = [_coder_column(i) for i in range(len(coders))]
    pairs = []
    for i, j in combinations(range(len(coders)), 2):
        both = table[table[names[i]].notna() & table[names[j]].notna()]
        first, second = list(both[names[i]]), list(both[names[j]])
        pairs.append(PairAgreement(coders[i], coders[j], len(both),
                                   sum(a == b for a, b in zip(first, second, strict=True)),
                                   _kappa(first, second) if len(both) else float("nan")))
    total = len(table)
    agreed = int((~table.contested.astype(bool)).sum())
    return Agreement(total=total, agreed=agreed, percent=100.0 * agreed / total,
                     kappa=pairs[0].kappa, coders=coders, pairs=tuple(pairs))


@derived()
def contested_evidence(ds: Dataset) -> frozenset[str]:
    """Ids of mechanism records whose codings were not unanimous."""
    table = codings(ds)
    return frozenset(table.evidence_id[table.contested.astype(bool)])


#: Bootstrap defaults (CODEBOOK.md section 9 reports the figures they give).
RESAMPLES = 2000
SEED = 20261201
#: Strengths as ordinal values: not_reported 0 < not_evident 1 < partial 2 < evident 3.
ORDINAL = {strength: rank for rank, strength in enumerate(reversed(STRENGTH_ORDER))}


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
    frame = ds[CODINGS_TABLE] if CODINGS_TABLE in ds.tables else None
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


def agreement_figures(ds: Dataset) -> str:
    """How consistent the codings were, in plain words, as every reader's page says it;
    empty without codings: e.g. "the 3 codings all gave the same strength to 23 of 25
    ratings (92%)". The statistics behind it are ``agreement_statistics``, for analysts.

    One place writes them, so a page, a handout and the static site cannot differ.
    Whoever shows them says who made the codings (the package's ``codings_note``).
    """
    agreement = coding_agreement(ds)
    if agreement is None:
        return ""
    return (f"the {len(agreement.coders)} codings all gave the same strength to "
            f"{agreement.agreed} of {agreement.total} ratings ({agreement.percent:.0f}%)")


def agreement_statistics(ds: Dataset) -> str:
    """The agreement statistics, for analysts (reader pages show them folded away): e.g.
    "Krippendorff's alpha 0.93 (95% interval 0.79 to 1.00); Cohen's kappa 0.86 (coder-1
    and coder-2), …"; empty without codings."""
    agreement = coding_agreement(ds)
    found = reliability(ds)
    if agreement is None or found is None:
        return ""
    kappas = ", ".join(f"{pair.kappa:.2f} ({pair.first} and {pair.second})"
                       for pair in agreement.pairs)
    return (f"Krippendorff's alpha {found.alpha:.2f} (95% interval {found.low:.2f} to "
            f"{found.high:.2f}); Cohen's kappa {kappas}")
