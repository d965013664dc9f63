"""What every query module shares: the codebook's strengths, the records table's name and two
small helpers. It imports nothing of the query package, so the modules above it (facets,
confidence, agreement, components) import it without importing each other in a circle.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd

__all__ = ["ACTIVATED", "NO_ROWS", "NO_ROWS_LABEL", "RECORDS_TABLE", "STRENGTH_ORDER",
           "humanise", "rows"]

#: The codebook's order of strengths, strongest first (§10: a cell shows its strongest row).
STRENGTH_ORDER = ("evident", "partial", "not_evident", "not_reported")
#: Strengths that count as "activated" (some change reported).
ACTIVATED = ("evident", "partial")
#: A matrix cell with no evidence record at all (different from ``not_reported``).
NO_ROWS = "no_rows"
#: How a cell with no records at all is named.
NO_ROWS_LABEL = "No records"
#: The table whose rows are the evidence records every facet describes.
RECORDS_TABLE = "mechanism_evidence"


def rows(frame: pd.DataFrame) -> Iterator[Any]:
    """The rows of ``frame`` as named tuples (fields typed loosely: a row mixes types)."""
    yield from frame.itertuples(index=False)


def humanise(identifier: str) -> str:
    """'renal_dialysis_units' → 'Renal dialysis units' (for values with no declared title)."""
    return str(identifier).replace("_", " ").capitalize()
