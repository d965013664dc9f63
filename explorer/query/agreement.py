"""How far independent codings of the mechanism ratings agree, and which ratings are contested.

Every mechanism rating is coded independently more than once (``mechanism_codings``); the
figures here are computed from those codings, never typed in (``data/CODEBOOK.md`` §9).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..derived import derived
from ..load import Dataset
from .facets import RECORDS_TABLE, STRENGTH_ORDER

__all__ = ["CODINGS_TABLE", "Agreement", "coding_agreement", "codings", "contested_evidence"]

CODINGS_TABLE = "mechanism_codings"

@dataclass(frozen=True)
class Agreement:
    """How often two independent coders gave a mechanism record the same strength.

    Attributes:
        total: records coded twice.
        agreed: records both coders gave the same strength.
        percent: ``agreed / total`` as a percentage.
        kappa: Cohen's kappa (agreement beyond what chance would give), 1.0 when both coders
            used one and the same category throughout.
    """

    total: int
    agreed: int
    percent: float
    kappa: float

    @property
    def contested(self) -> int:
        """Records the two coders rated differently (``contested_evidence`` lists them)."""
        return self.total - self.agreed


@derived()
def codings(ds: Dataset) -> pd.DataFrame:
    """Each mechanism record's two independent codings side by side, and the reconciled one.

    Returns:
        Columns ``evidence_id, first, second, reconciled, contested`` (strength ids; the
        coders in the order of the ``mechanism_codings`` table); empty when the package has
        no codings. A record is contested when its two codings differ.
    """
    columns = ["evidence_id", "first", "second", "reconciled", "contested"]
    if CODINGS_TABLE not in ds.tables or ds[CODINGS_TABLE].empty:
        return pd.DataFrame(columns=columns)
    frame = ds[CODINGS_TABLE]
    coders = list(dict.fromkeys(frame.coder.astype(str)))[:2]
    by_coder = {coder: dict(zip(frame.evidence_id[frame.coder == coder].astype(str),
                                frame.strength[frame.coder == coder].astype(str), strict=True))
                for coder in coders}
    reconciled = dict(zip(ds[RECORDS_TABLE].evidence_id.astype(str),
                          ds[RECORDS_TABLE].strength.astype(str), strict=True))
    rows = []
    for evidence_id in reconciled:
        pair = [by_coder[c].get(evidence_id) for c in coders]
        if len(pair) == 2 and None not in pair:
            rows.append((evidence_id, pair[0], pair[1], reconciled[evidence_id],
                         pair[0] != pair[1]))
    return pd.DataFrame(rows, columns=columns)


@derived()
def coding_agreement(ds: Dataset) -> Agreement | None:
    """Agreement between the two codings of every mechanism record (None without codings)."""
    pairs = codings(ds)
    if pairs.empty:
        return None
    total = len(pairs)
    agreed = int((~pairs.contested.astype(bool)).sum())
    observed = agreed / total
    first = pairs["first"].value_counts(normalize=True)
    second = pairs["second"].value_counts(normalize=True)
    expected = float(sum(first.get(k, 0.0) * second.get(k, 0.0) for k in STRENGTH_ORDER))
    kappa = 1.0 if expected >= 1.0 else (observed - expected) / (1.0 - expected)
    return Agreement(total=total, agreed=agreed, percent=100.0 * observed, kappa=kappa)


@derived()
def contested_evidence(ds: Dataset) -> frozenset[str]:
    """Ids of mechanism records whose two independent codings differed."""
    pairs = codings(ds)
    return frozenset(pairs.evidence_id[pairs.contested.astype(bool)])
