"""HTML fragments shared by the dashboards and the handout: escaped, plain, no widgets.

Every string from the data or a URL is escaped here (``esc``) before it becomes markup;
``not found`` and missing values become a visible "Not found in any source" note. Only
http(s) addresses become links.
"""

from __future__ import annotations

import base64
import html

import pandas as pd

from . import figures
from .load import Dataset
from .query import STRENGTHS

__all__ = [
    "BASIS_HELP", "NOT_FOUND", "NOT_FOUND_HTML", "UNIDENTIFIED_HELP", "citations_html",
    "count", "csv_link", "data_link", "date_range", "esc", "html_table", "is_web_address",
    "source_title", "strength_badge", "strength_legend",
]

NOT_FOUND = "not found"
NOT_FOUND_HTML = '<span class="ctg-notfound">Not found in any source</span>'


def esc(value: object) -> str:
    """HTML-escape any value; missing values and ``not found`` become a visible note."""
    if value is None or (not isinstance(value, (tuple, list)) and pd.isna(value)):
        return NOT_FOUND_HTML
    text = str(value)
    if text.strip().lower() == NOT_FOUND:
        return NOT_FOUND_HTML
    return html.escape(text, quote=True)


def count(n: int, noun: str) -> str:
    """'1 record', '2 records'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def html_table(frame: pd.DataFrame, caption: str = "", row_classes: list[str] | None = None,
               raw_columns: tuple[str, ...] = ()) -> str:
    """An accessible HTML table; every cell escaped except ``raw_columns`` (built here)."""
    if frame.empty:
        return f'<p class="ctg-help">{esc(caption) + ": " if caption else ""}nothing to show.</p>'
    head = "".join(f'<th scope="col">{esc(c)}</th>' for c in frame.columns)
    rows = []
    for index, row in enumerate(frame.itertuples(index=False)):
        cells = "".join(
            f"<td>{value if column in raw_columns else esc(value)}</td>"
            for column, value in zip(frame.columns, row, strict=True))
        cls = f' class="{row_classes[index]}"' if row_classes and row_classes[index] else ""
        rows.append(f"<tr{cls}>{cells}</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (f'<table class="ctg-table">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def data_link(content: str, mimetype: str, filename: str, label: str) -> str:
    """A download link carrying ``content`` inside the page (no server round trip)."""
    payload = base64.b64encode(content.encode("utf-8")).decode("ascii")
    return (f'<a class="ctg-download" download="{esc(filename)}" '
            f'href="data:{mimetype};charset=utf-8;base64,{payload}">{esc(label)}</a>')


def csv_link(frame: pd.DataFrame, filename: str, label: str) -> str:
    """A download link carrying ``frame`` as CSV: exactly the table shown."""
    return data_link(frame.to_csv(index=False), "text/csv", filename, label)


def strength_badge(strength: str) -> str:
    colour, _, symbol, text_colour = figures.STRENGTH_STYLE[strength]
    label, help_text = STRENGTHS[strength]
    return (f'<span class="ctg-badge" style="background:{colour};color:{text_colour}" '
            f'title="{esc(help_text)}">{symbol} {esc(label)}</span>')


def strength_legend() -> str:
    """The key to the ratings: one line of badges, the plain-language meanings on demand."""
    badges = " ".join(strength_badge(strength) for strength in STRENGTHS)
    items = "".join(f"<li><b>{esc(label)}</b>: {esc(help_text)}</li>"
                    for label, help_text in STRENGTHS.values())
    return ('<div class="ctg-legend ctg-help"><b>Key:</b> ' + badges
            + '<details><summary>What the ratings mean</summary><p>Each rating is our coding '
            "of public project descriptions (basis <i>coded</i>), following the codebook; it "
            "is not OPM's published finding for that project, which we could not read.</p>"
            f"<ul>{items}</ul></details></div>")


BASIS_HELP = ("<b>Stated</b> means a cited source says it. <b>Coded</b> means a curator's "
              "judgement from the cited text, explained in the row and governed by the "
              "codebook.")
UNIDENTIFIED_HELP = ("An <i>unidentified</i> project is not missing data: the funder says seven "
                     "projects ran, but no source we could read names this one. It is shown so "
                     "the gap stays visible.")


def date_range(start: str, end: str) -> str:
    """'2011 to 2013-05'; one 'not found' note when neither end is known."""
    if str(start) == NOT_FOUND and str(end) == NOT_FOUND:
        return NOT_FOUND_HTML
    return f"{esc(start)} to {esc(end)}"


def is_web_address(url: object) -> bool:
    """Only http(s) addresses become links (never ``javascript:`` or ``data:``)."""
    return isinstance(url, str) and url.lower().startswith(("http://", "https://"))


def source_title(title: object, url: object) -> str:
    """A source's escaped title, linked to its address when that is a web address."""
    if not is_web_address(url):
        return esc(title)
    return (f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">'
            f"{esc(title)}</a>")


def citations_html(ds: Dataset, citations: tuple) -> str:
    """Citations as links to their sources, with locators."""
    sources = ds.sources.set_index("source_id")
    parts = []
    for citation in citations:
        where = f" ({esc(citation.locator)})" if citation.locator else ""
        parts.append(source_title(sources.at[citation.source_id, "title"],
                                  sources.at[citation.source_id, "url"]) + where)
    return "; ".join(parts)
