"""How far the repeated codings of the mechanism ratings agree, and which are contested.

Every mechanism rating is coded more than once (``mechanism_codings``); in this package the
three codings were made by one team with one method, so agreement between them is the
consistency of that coding, not independent raters' reliability (``data/CODEBOOK.md`` §9).
The figures here are computed from the codings, never typed in. A record is *contested*
when its codings are not unanimous. Krippendorff's alpha across all codings, with its
interval, is ``explorer.evidence.agreement``.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import NamedTuple

import pandas as pd

from ...data.derived import derived
from ...data.load import Dataset
from .facets import RECORDS_TABLE, STRENGTH_ORDER

__all__ = ["CODINGS_TABLE", "Agreement", "PairAgreement", "coding_agreement", "codings",
           "contested_evidence"]

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
