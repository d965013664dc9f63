"""What a reader downloads: spreadsheets of exactly what they chose, readable on their own.

A CSV leaves the explorer and is read without it, in a spreadsheet or a briefing's annex, so
each one says what it holds in plain columns (project, setting, context, mechanism, rating,
whether the rating was contested, its confidence and why, the sources' titles and addresses)
and where it came from (the dataset's version and date on every row). Ids come last, for
analysts who join tables. Every cell goes through ``html.csv_text``, which keeps
spreadsheet formulas inert.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..data.derived import derived
from ..data.descriptor.facets import CONTEXT_DIMENSION, SETTING_TYPE
from ..data.load import Dataset
from ..evidence import query
from . import html

__all__ = ["CITATION_IDS", "RECORD_ID", "provenance_columns", "records_csv", "records_frame",
           "table_csv"]

#: The columns of ids, named as ids, for analysts who join tables (readers have the
#: sources' titles and addresses in plain columns before them).
RECORD_ID = "Record id"
CITATION_IDS = "Source ids and locators"


@derived()
def _record_details(ds: Dataset) -> dict[str, dict[str, Any]]:
    """Per evidence record, everything a readable CSV row needs (built once per dataset)."""
    records = query.evidence_records(ds)
    contested = query.contested_evidence(ds)
    settings = query.facet_options(ds, SETTING_TYPE)
    setting_of = dict(zip(ds.projects.project_id, ds.projects.setting_type.astype(str),
                          strict=True))
    context = dict(zip(ds.contexts.context_id, ds.contexts.description, strict=True))
    dimension = query.facet_options(ds, CONTEXT_DIMENSION)
    activity = dict(zip(ds.activities.activity_id, ds.activities.description, strict=True))
    sources = ds.sources.set_index("source_id")
    found = query.confidence.appraisals(ds)
    levels = query.confidence.terms(ds, "confidence")
    components = query.confidence.terms(ds, "component")
    concerns = query.confidence.terms(ds, "concern")
    details = {}
    dimensions = records[query.facet_column(CONTEXT_DIMENSION)]
    for row, row_dimensions in zip(query.rows(records), dimensions, strict=True):
        cited = [c.source_id for c in row.source_ids]
        details[row.evidence_id] = {
            "Project": row.project,
            "Setting": settings.get(setting_of[row.project_id], ""),
            "Context": "; ".join(str(context[c]).rstrip(". ") for c in row.context_ids)
                       or query.NO_CONTEXT,
            "Context dimensions": "; ".join(dimension[d] for d in row_dimensions),
            "Mechanism": row.mechanism,
            "Rating": query.strength_label(ds, row.strength),
            "Contested": "yes" if row.evidence_id in contested else "no",
            "Confidence": (levels[c.level][0] if (c := found[row.evidence_id]) is not None
                           else "No level: not reported"),
            "Why this confidence": "; ".join(
                f"{components[p.component][0]}: {concerns[str(p.concern)][0].lower()} "
                f"({p.reason})" for p in (c.components if c is not None else ())),
            "Why this rating": "" if pd.isna(row.explanation) else str(row.explanation),
            "Basis": query.term(ds, query.RECORDS_TABLE, "basis", row.basis)[0],
            "Activities": "; ".join(str(activity[a]).rstrip(". ") for a in row.activity_ids),
            "Sources": "; ".join(str(sources.at[s, "title"]) for s in cited),
            "Source addresses": "; ".join(
                str(sources.at[s, "url"]) for s in cited
                if html.is_web_address(sources.at[s, "url"])),
            CITATION_IDS: query.citation_text(row.source_ids),
            RECORD_ID: row.evidence_id,
        }
    return details


def provenance_columns(ds: Dataset) -> dict[str, str]:
    """The columns every download ends with: which data, and from when."""
    return {"Dataset version": ds.version, "Data as of": ds.data_as_of}


def records_frame(ds: Dataset, records: pd.DataFrame) -> pd.DataFrame:
    """The readable table of some evidence records (``records`` has a ``Record`` column, as
    ``query.reader_table`` gives), in their order, with the dataset's version and date."""
    details = _record_details(ds)
    frame = pd.DataFrame([details[r] for r in records["Record"]],
                         columns=list(next(iter(details.values())).keys()) if details else [])
    for column, value in provenance_columns(ds).items():
        frame[column] = value
    return frame


def records_csv(ds: Dataset, records: pd.DataFrame) -> str:
    """``records_frame`` as formula-safe CSV text."""
    return html.csv_text(records_frame(ds, records))


def table_csv(ds: Dataset, frame: pd.DataFrame) -> str:
    """Any table a page shows as formula-safe CSV, with the dataset's version and date."""
    out = frame.copy()
    for column, value in provenance_columns(ds).items():
        out[column] = value
    return html.csv_text(out)
