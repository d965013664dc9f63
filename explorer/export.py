"""Handouts: one self-contained HTML page of a matrix view, for printing or emailing.

A facilitator can give a room the evidence without a server: the handout holds the matrix
(strength by symbol, word and colour, with counts), every matching record with its
explanation and citations, the sources with their addresses, and how to read it all. It has
no scripts and requests nothing from anywhere, and it prints cleanly.

The view is described by the same query string a dashboard link uses, so the handout of
``matrix.ipynb?columns=setting_type&strength=evident`` is exactly what that page shows::

    python -m explorer export --query "columns=setting_type&strength=evident" --out h.html
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

import pandas as pd

from . import html, query
from .load import Dataset
from .programme import Programme
from .query import COLUMN_KINDS, rows
from .state import parse_query, to_query

__all__ = ["handout_html", "source_rows"]


def source_rows(ds: Dataset, cited: set[str], show_url: bool = False) -> list[dict[str, object]]:
    """The cited sources, in the order of ``sources.csv``, ready for ``sources_list``."""
    frame = ds.sources[ds.sources.source_id.isin(cited)]
    supplied = (frame.title_supplied if "title_supplied" in frame.columns
                else pd.Series(False, index=frame.index))
    return [{"source_id": r.source_id, "title": r.title, "url": r.url,
             "publisher": r.publisher,
             "published": r.published if isinstance(r.published, str) else "",
             "title_supplied": bool(s) if not pd.isna(s) else False, "show_url": show_url}
            for r, s in zip(rows(frame), supplied, strict=True)]


def handout_html(ds: Dataset, query_string: str = "", today: date | None = None) -> str:
    """The handout for the matrix view a query string describes, as one HTML document.

    Unknown or hostile parameters are dropped, as on the dashboard, and the handout says so.
    """
    state = parse_query(ds, "matrix", query_string)
    programme = Programme.of(ds)
    columns = state.get("columns", "project")
    filters = state.filters()
    cells = query.matrix(ds, columns, filters)
    records = query.reader_table(ds, filters)
    evidence = ds.mechanism_evidence.set_index("evidence_id")
    cited = {c.source_id for r in records["Record"]
             for c in cast(Any, evidence.at[r, "source_ids"])}
    matrix = {
        "columns": list(dict.fromkeys(cells.column)),
        "rows": [{"label": mechanism,
                  "cells": [{"strength": r.strength, "count": int(r.count)}
                            for r in rows(part)]}
                 for mechanism, part in cells.groupby("mechanism", sort=False)],
    }
    return str(html.render(
        "handout.html.j2",
        css=html.stylesheet(), site_title=programme.text("site_title"),
        programme_title=programme.title, columns_title=COLUMN_KINDS[columns],
        showing=query.describe_filters(ds, filters), version=ds.version,
        data_as_of=ds.data_as_of, generated=(today or date.today()).isoformat(),
        link="matrix.ipynb" + to_query(state),
        notes=" ".join(state.notes), matrix=matrix,
        ratings_note=programme.text("ratings_note"),
        unidentified_note=programme.text("unidentified_note"),
        agreement=html.agreement_sentence(ds),
        records_count=len(records),
        records=html.evidence_table(ds, records, "Evidence records"),
        sources=source_rows(ds, cited, show_url=True),
    )) + "\n"
