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

from . import query
from .html import (
    BASIS_HELP,
    UNIDENTIFIED_HELP,
    citations_html,
    count,
    esc,
    html_table,
    is_web_address,
    strength_badge,
)
from .load import Dataset
from .query import COLUMN_KINDS, STRENGTHS
from .state import parse_query, to_query

__all__ = ["handout_html"]

STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif;
  font-size: 14px; line-height: 1.45; color: #1a1a1a; max-width: 1100px; margin: 1.5em auto;
  padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.25em; margin-top: 1.4em; }
.ctg-help { color: #333; } .ctg-notfound { color: #555; font-style: italic; }
.ctg-note { background: #fff4d6; border-left: 4px solid #b27300; padding: 0.4em 0.8em; }
.ctg-table { border-collapse: collapse; width: 100%; }
.ctg-table th, .ctg-table td { border: 1px solid #bbb; padding: 4px 6px; text-align: left;
  vertical-align: top; }
.ctg-table th { background: #f0f0f0; }
.ctg-badge { display: inline-block; padding: 0 0.4em; border-radius: 4px; border: 1px solid #555;
  white-space: nowrap; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
@media print { body { margin: 0; font-size: 11px; } a { color: inherit; }
  tr { break-inside: avoid; } }
"""


def handout_html(ds: Dataset, query_string: str = "", today: date | None = None) -> str:
    """The handout for the matrix view a query string describes, as one HTML document.

    Unknown or hostile parameters are dropped, as on the dashboard, and the handout says so.
    """
    state = parse_query(ds, "matrix", query_string)
    columns = state.get("columns", "project")
    filters = state.filters()
    cells = query.matrix(ds, columns, filters)
    records = query.reader_table(ds, filters)
    evidence = ds.mechanism_evidence.set_index("evidence_id")
    programme = ds.programmes.iloc[0]
    generated = (today or date.today()).isoformat()
    notes = (f"<p class='ctg-note'>{esc(' '.join(state.notes))} The default is used "
             "instead.</p>" if state.notes else "")
    shown = records.copy()
    shown["Strength"] = [strength_badge(str(evidence.at[r, "strength"]))
                         for r in records["Record"]]
    shown["Sources"] = [citations_html(ds, evidence.at[r, "source_ids"])
                        for r in records["Record"]]
    cited = {c.source_id for r in records["Record"] for c in evidence.at[r, "source_ids"]}
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(programme['title'])}: evidence handout</title>
<style>{STYLE}</style></head>
<body>
<h1>{esc(programme['title'])}: which mechanisms were activated</h1>
<p class="ctg-help">Evidence handout. Columns: {esc(COLUMN_KINDS[columns].lower())}.
Showing: {esc(query.describe_filters(ds, filters))}. Dataset version {esc(ds.version)}, data as of
{esc(ds.data_as_of)}; handout made {esc(generated)}. The same view online:
<code>matrix.ipynb{esc(to_query(state))}</code></p>
{notes}
<h2>The matrix</h2>
{_matrix_table(cells, COLUMN_KINDS[columns])}
<h2>How to read it</h2>
<ul class="ctg-help">
{''.join(f"<li>{strength_badge(s)} {esc(help_text)}</li>"
         for s, (_, help_text) in STRENGTHS.items())}
<li>Each rating is our coding of public project descriptions, following the codebook; it is
not OPM's published finding for that project, which we could not read. {BASIS_HELP}</li>
<li>A cell shows the strongest of its records; the number counts records rated other than
"not reported". Filters keep a record matching any chosen value within a filter (OR) and
every filter that has a choice (AND).</li>
<li>{UNIDENTIFIED_HELP}</li>
</ul>
<h2>The evidence records ({esc(count(len(records), 'record'))})</h2>
{html_table(shown, "Evidence records", raw_columns=("Strength", "Sources"))}
<h2>Sources</h2>
{_sources(ds, cited)}
</body></html>
"""


def _matrix_table(cells, column_title: str) -> str:
    columns = list(dict.fromkeys(cells.column))
    head = "".join(f"<th scope='col'>{esc(c)}</th>" for c in columns)
    rows = []
    for mechanism, part in cells.groupby("mechanism", sort=False):
        by_column = {r.column: r for r in part.itertuples(index=False)}
        tds = "".join(f"<td>{strength_badge(by_column[c].strength)} ({by_column[c].count})</td>"
                      for c in columns)
        rows.append(f"<tr><th scope='row'>{esc(mechanism)}</th>{tds}</tr>")
    return (f"<table class='ctg-table'><caption>Mechanisms by {esc(column_title.lower())}"
            f"</caption><thead><tr><th scope='col'>Mechanism</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _sources(ds: Dataset, cited: set[str]) -> str:
    items = []
    for row in ds.sources[ds.sources.source_id.isin(cited)].itertuples(index=False):
        where = f" {esc(row.url)}" if is_web_address(row.url) else ""
        published = f", {esc(row.published)}" if isinstance(row.published, str) else ""
        items.append(f"<li>[{esc(row.source_id)}] {esc(row.title)}. {esc(row.publisher)}"
                     f"{published}.{where}</li>")
    return f"<ul>{''.join(items)}</ul>" if items else "<p>No sources: no records shown.</p>"
