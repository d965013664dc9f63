"""Evidence Profiles and the Summary of Qualitative Findings as files: CSV and Word.

A renderer of ``explorer.profiles`` (the tidy tables): CSV through ``html.csv_text`` (every
cell safe to open in a spreadsheet, the dataset's version and date on every row), and Word
documents through python-docx, laid out as GRADE-CERQual's own tables (Lewin and others,
2018, paper 2): for the whole matrix, the Summary of Qualitative Findings then one Evidence
Profile per rated cell; for one cell, its Evidence Profile. Each document says whose coding
the ratings are, how the codings were made and what the levels rank, beside the tables.

Text from the data goes into Word as plain text (python-docx escapes XML); characters XML
cannot hold (control characters) are dropped first, so no data field can break a document.
"""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import pandas as pd
from docx import Document
from docx.document import Document as DocxDocument
from docx.shared import Pt

from ..data.descriptor.facets import PROJECT
from ..data.load import Dataset
from ..evidence import profiles, query
from ..evidence.programme import Programme
from . import html
from .downloads import provenance_columns

__all__ = ["DOCX_MIMETYPE", "profile_csv", "profile_docx", "profiles_filename", "summary_csv",
           "summary_docx"]

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CERQUAL = ("GRADE-CERQual (Lewin and others, 2018, Implementation Science 13, supplement 1; "
           "the series' second paper sets out the Evidence Profile and the Summary of "
           "Qualitative Findings table)")
#: Characters XML 1.0 cannot hold (and so python-docx refuses).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

#: The Summary of Qualitative Findings as the CSV names its columns (GRADE-CERQual's own
#: headings first, then where the cell is and the ids analysts join on).
SUMMARY_HEADINGS = {
    "finding_number": "Finding", "finding": "Summarised finding",
    "level_label": "Confidence (adapted from GRADE-CERQual)",
    "level_explanation": "Explanation of the confidence",
    "contributing_sources": "Sources contributing to the finding",
    "citations": "Source ids and locators",
    "mechanism": "Mechanism", "column": "Column", "cell_kind": "Kind of cell",
    "mechanism_id": "Mechanism id", "column_id": "Column id", "evidence_ids": "Record ids",
}
PROFILE_HEADINGS = {
    "finding": "Summarised finding", "mechanism": "Mechanism", "column": "Column",
    "project": "Project", "strength": "Rating", "rating_explanation": "Why this rating",
    "component_label": "Component",
    "concern_label": "Concern", "explanation": "Explanation of the concern",
    "level": "Confidence", "level_explanation": "How the confidence was reached",
    "contributing_sources": "Sources contributing to the finding",
    "citations": "Source ids and locators",
    "cell_kind": "Kind of cell", "mechanism_id": "Mechanism id", "column_id": "Column id",
    "evidence_id": "Record id", "component": "Component id", "concern": "Concern id",
}


def _text(value: object) -> str:
    """A data value as Word can hold it: plain text, control characters dropped."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, tuple):
        value = "; ".join(str(v) for v in value)
    return _NOT_XML.sub("", str(value))


def _csv(ds: Dataset, frame: pd.DataFrame, headings: dict[str, str]) -> str:
    out = frame[list(headings)].rename(columns=headings).copy()
    for column in out.columns:
        out[column] = [_text(v) for v in out[column]]
    for column, value in provenance_columns(ds).items():
        out[column] = value
    return html.csv_text(out)


def summary_csv(ds: Dataset, columns: str = PROJECT) -> str:
    """The Summary of Qualitative Findings of the matrix as formula-safe CSV."""
    frame = profiles.summary_of_findings(ds, columns)
    levels = query.confidence.terms(ds, "confidence")
    frame = frame.assign(level_label=[levels[v][0] for v in frame.level])
    return _csv(ds, frame, SUMMARY_HEADINGS)


def profile_csv(ds: Dataset, mechanism_id: str, column_id: str,
                columns: str = PROJECT) -> str:
    """One cell's Evidence Profile (one row per record × component) as formula-safe CSV.

    Raises:
        QueryError: the cell does not exist or has no confidence level.
    """
    frame = profiles.evidence_profile(ds, mechanism_id, column_id, columns)
    levels = query.confidence.terms(ds, "confidence")
    frame = frame.assign(level=[levels[v][0] for v in frame.level],
                         strength=[query.strength_label(ds, v) for v in frame.strength])
    return _csv(ds, frame, PROFILE_HEADINGS)


def profiles_filename(ds: Dataset, fmt: str, cell: str | None = None,
                      columns: str = PROJECT) -> str:
    """``<programme>-summary-of-findings[-<columns>].<ext>`` or
    ``<programme>-evidence-profile-<mechanism>-<column>.<ext>`` (slugs only)."""
    programme = html.slug(Programme.of(ds).programme_id) or "programme"
    extension = "docx" if fmt == "docx" else "csv"
    if cell:
        return f"{programme}-evidence-profile-{html.slug(cell)}.{extension}"
    suffix = "" if columns == PROJECT else f"-{html.slug(columns)}"
    return f"{programme}-summary-of-findings{suffix}.{extension}"


# -- Word ---------------------------------------------------------------------------------

def _document(ds: Dataset, title: str) -> DocxDocument:
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(10)
    document.core_properties.title = _text(title)
    programme = Programme.of(ds)
    document.core_properties.author = f"{programme.text('site_title')} curators"
    document.add_heading(_text(title), level=0)
    document.add_paragraph(_text(
        f"{programme.title}. Dataset version {ds.version}, data as of {ds.data_as_of}; "
        f"written {date.today().isoformat()}."))
    document.add_paragraph(_text(
        f"How far to trust each rating is the codebook's rule, adapted from {CERQUAL}. "
        + programme.text("ratings_note")))
    document.add_paragraph(_text(programme.text("confidence_note")))
    document.add_paragraph(_text(programme.text("codings_note")))
    return document


def _table(document: DocxDocument, grid: Any, headings: list[str],
           rows: list[list[object]]) -> None:
    """A bordered table; ``grid`` is the document's 'Table Grid' style, looked up once by
    the caller (python-docx scans every style for a name)."""
    table = document.add_table(rows=1, cols=len(headings))
    table.style = grid
    for cell, heading in zip(table.rows[0].cells, headings, strict=True):
        cell.text = heading
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = _text(value)


def _profile_section(ds: Dataset, document: DocxDocument, grid: Any,
                     part: list[dict[str, Any]], heading_level: int) -> None:
    """One cell's Evidence Profile (its rows, as ``profiles.profile_cells`` groups them):
    finding, then per record its components, level and why, and the sources."""
    first = part[0]
    levels = query.confidence.terms(ds, "confidence")
    document.add_heading(_text(f"Evidence Profile: {first['mechanism']} × {first['column']}"),
                         level=heading_level)
    document.add_paragraph(_text(first["finding"]))
    records: dict[str, list[dict[str, Any]]] = {}
    for row in part:
        records.setdefault(str(row["evidence_id"]), []).append(row)
    for number, record in enumerate(records.values(), start=1):
        head = record[0]
        if len(records) > 1:
            document.add_heading(_text(
                f"Rating {number} of {len(records)} in this cell ({head['project']}, "
                f"{query.strength_label(ds, head['strength']).lower()})"),
                level=heading_level + 1)
            document.add_paragraph(_text(head["rating_explanation"]))
        _table(document, grid, ["Component", "Concern", "Explanation"],
               [[r["component_label"], r["concern_label"], r["explanation"]] for r in record])
        paragraph = document.add_paragraph()
        paragraph.add_run("Overall: ").bold = True
        paragraph.add_run(_text(f"{levels[head['level']][0]}. {head['level_explanation']}"))
        paragraph = document.add_paragraph()
        paragraph.add_run("Sources contributing: ").bold = True
        paragraph.add_run(_text(f"{head['contributing_sources']} ({head['citations']})."))


def _bytes(document: DocxDocument) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def summary_docx(ds: Dataset, columns: str = PROJECT) -> bytes:
    """The matrix's Summary of Qualitative Findings and the Evidence Profile of every rated
    cell, as a Word document."""
    summary = profiles.summary_of_findings(ds, columns)
    every = profiles.evidence_profiles(ds, columns)
    kinds = query.column_kinds(ds)
    document = _document(ds, f"Summary of Qualitative Findings: mechanisms by "
                             f"{kinds[columns].lower()}")
    grid = document.styles["Table Grid"]
    document.add_heading("Summary of Qualitative Findings", level=1)
    _table(document, grid, ["#", "Summarised finding", "Confidence", "Explanation",
                      "Contributing sources"],
           [[r["finding_number"], r["finding"], r["level_label"], r["level_explanation"],
             r["contributing_sources"]] for r in summary.to_dict("records")])
    document.add_heading("Evidence Profiles", level=1)
    for part in profiles.profile_cells(every):
        _profile_section(ds, document, grid, part, heading_level=2)
    return _bytes(document)


def profile_docx(ds: Dataset, mechanism_id: str, column_id: str,
                 columns: str = PROJECT) -> bytes:
    """One cell's Evidence Profile as a Word document.

    Raises:
        QueryError: the cell does not exist or has no confidence level.
    """
    (part,) = profiles.profile_cells(
        profiles.evidence_profile(ds, mechanism_id, column_id, columns))
    first = part[0]
    document = _document(ds, f"Evidence Profile: {first['mechanism']} × {first['column']}")
    _profile_section(ds, document, document.styles["Table Grid"], part, heading_level=1)
    return _bytes(document)
