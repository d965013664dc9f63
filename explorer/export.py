"""Handouts: self-contained HTML files to print, email or open without a server.

Three kinds, all written by ``python -m explorer export`` and offered by the dashboards:

- the **briefing** of the whole programme (``briefing_html``): the overview (headlines, the
  evidence at a glance, what is uncertain, the projects, the framework), the matrix, one
  section per identified project (its story chart, ratings, outcomes with later evidence,
  barriers, follow-on, disagreements and sources), then every finding, every disagreement
  and every source. Printed, each project starts a page.
- a project's **brief** (``project_brief_html``): one project's section on its own.
- the **matrix handout** (``handout_html``): the matrix view a dashboard link describes,
  with every matching record; no scripts at all.

A briefing draws its charts with a copy of plotly.js written once inside the file (from the
plotly package) and the figure dicts of ``explorer.figures``; it requests nothing from
anywhere, so it works from ``file://`` on a locked-down laptop. All markup comes from the
autoescaped templates (``document.html.j2``, ``briefing.html.j2`` and the fragments).

The matrix view is described by the same query string a dashboard link uses, so the handout
of ``matrix.ipynb?columns=setting_type&strength=evident`` is exactly what that page shows::

    python -m explorer export --query "columns=setting_type&strength=evident" --out h.html
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache
from importlib.resources import files
from typing import Any

from markupsafe import Markup

from . import content, figures, html, query
from .content import source_rows
from .errors import StateError
from .figures import Figure
from .load import Dataset
from .programme import Programme
from .query import COLUMN_KINDS
from .state import parse_query, to_query

__all__ = [
    "PRINT_WIDTH",
    "briefing_filename",
    "briefing_html",
    "charts_js",
    "document_html",
    "handout_html",
    "identified_projects",
    "plotly_js",
    "project_brief_html",
    "source_rows",
]

# A chart's size in a briefing: A4 portrait less 12 mm margins is about 700 CSS pixels wide
# and 1,030 high; a chart stays within both so it never splits or runs off the page.
PRINT_WIDTH = 690
PRINT_MAX_HEIGHT = 500
# Of a printed chart's width, what the matrix's row labels (14 characters a line) and
# margins take, and the width of one character of a 9-pixel column label.
PRINT_ROW_LABELS = 150
PRINT_ROW_LABEL_WIDTH = 14
PRINT_CHARACTER = 5.5
BRIEFING_CSS = """
body.ctg-briefing { margin: 1.5em auto; padding: 0 1em; max-width: 760px; }
.ctg-briefing .ctg-static-figure { margin: 0.6em 0; }
@page { size: A4; margin: 12mm; }
@media print {
  body.ctg-briefing { margin: 0; padding: 0; max-width: none; font-size: 12px; }
  .ctg-briefing .modebar-container, .ctg-briefing .ctg-alt-details { display: none; }
  .ctg-briefing .ctg-cards { grid-template-columns: repeat(2, 1fr); }
  .ctg-briefing .ctg-term .ctg-tip { display: none !important; }
}
"""


@cache
def plotly_js() -> str:
    """plotly.js from the installed plotly package (about 4.8 MB), for writing into files.

    Raises:
        RuntimeError: the script could end an HTML ``<script>`` element early.
    """
    from plotly.offline import get_plotlyjs

    script = get_plotlyjs()
    if "</script" in script.lower():  # pragma: no cover - a plotly release would have to add it
        raise RuntimeError("plotly.js contains '</script' and cannot be written inline")
    return script


@cache
def charts_js() -> str:
    """The few lines that draw a document's charts from the JSON figures beside them."""
    return files("explorer").joinpath("templates", "charts.js").read_text(encoding="utf-8")


def document_html(ds: Dataset, title: str, body: Markup, *, charts: bool = False,
                  assets: str = "", nav: Iterable[Mapping[str, Any]] = (), live: str = "",
                  stamp: str = "", extra_css: str = "", body_class: str = "") -> str:
    """One standalone HTML document around ``body``.

    Args:
        charts: the body holds ``chart`` fragments: add plotly.js and the drawing script.
        assets: where a static site keeps ``explorer.css``, ``plotly.min.js`` and
            ``charts.js`` (a relative folder ending in ``/``); empty = write them inline.
        nav: ``{href, title, current}`` links of a static site's navigation bar.
        live: the address of the same view in the live explorer, if there is one.
        stamp: a sentence after the dataset's version and date (e.g. when it was made).
    """
    programme = Programme.of(ds)
    inline = not assets
    return str(html.render(
        "document.html.j2", title=title, site_title=programme.text("site_title"),
        version=ds.version, data_as_of=ds.data_as_of, stamp=stamp, body=body,
        assets=assets, css=html.inline_stylesheet(extra_css) if inline else "",
        nav=list(nav), live=live, body_class=body_class, charts=charts,
        plotly_js=Markup(plotly_js()) if charts and inline else "",
        charts_js=Markup(charts_js()) if charts and inline else "",
    )) + "\n"


def fit_for_print(figure: Figure, width: int = PRINT_WIDTH,
                  max_height: int = PRINT_MAX_HEIGHT) -> Figure:
    """A copy of ``figure`` with a fixed size that fits an A4 page.

    Its title and axis labels get smaller type so they fit the narrower width, and notes
    placed under the plot (which the page's own text repeats) are left out, because the
    legend wraps onto them.
    """
    fitted = copy.deepcopy(figure)
    layout = fitted.setdefault("layout", {})
    layout.update(width=width, autosize=False,
                  height=min(int(layout.get("height", 450)), max_height))
    title = layout.get("title")
    if isinstance(title, dict):
        title["font"] = {**title.get("font", {}), "size": 14}
    if isinstance(layout.get("xaxis"), dict):
        layout["xaxis"]["tickfont"] = {**layout["xaxis"].get("tickfont", {}), "size": 9}
    if isinstance(layout.get("yaxis"), dict):
        layout["yaxis"]["tickfont"] = {**layout["yaxis"].get("tickfont", {}), "size": 12}
    if isinstance(layout.get("legend"), dict):
        layout["legend"]["font"] = {"size": 11}
        layout["legend"].setdefault("title", {}).update(font={"size": 11}, side="top")
    for trace in fitted.get("data", []):
        if trace.get("type") == "sankey":  # node labels beside each other on a narrow page
            trace["textfont"] = {**trace.get("textfont", {}), "size": 10}
    layout.pop("annotations", None)
    return fitted


def print_label_width(n_columns: int, width: int = PRINT_WIDTH) -> int:
    """Characters per line of a matrix column's label, so that neighbours do not overlap
    on a printed page (between 6 and the screen's 14)."""
    per_column = (width - PRINT_ROW_LABELS) / max(n_columns, 1)
    return max(6, min(14, int(per_column / PRINT_CHARACTER)))


def chart_html(chart_id: str, figure: Figure, description: str, filename: str) -> Markup:
    """A figure as a ``chart`` fragment (drawn by the document's plotly.js)."""
    return html.fragment("chart", chart_id, figure, description, filename)


def identified_projects(ds: Dataset) -> list[str]:
    """The ids of the projects a source identifies, in the data's order."""
    return [str(p) for p, m in zip(ds.projects.project_id, ds.projects.membership,
                                   strict=True) if str(m) != "unidentified"]


def briefing_filename(ds: Dataset, project_id: str | None = None) -> str:
    """``<programme>-briefing.html`` or ``<programme>-<project>.html`` (ids are slugs)."""
    programme = html.slug(Programme.of(ds).programme_id) or "programme"
    return f"{programme}-{html.slug(project_id) if project_id else 'briefing'}.html"


def _project_section(ds: Dataset, project_id: str, programme: Programme) -> dict[str, Any]:
    story = query.project_story(ds, project_id)
    chart = Markup("")
    if not story.chains.empty:
        chart = chart_html(f"story-{project_id}",
                           fit_for_print(figures.story_figure(
                               story.chains, str(story.project["short_name"]))),
                           figures.describe_sankey(story.chains), f"story-{project_id}")
    return {
        "project_id": project_id,
        "title": str(story.project["short_name"]),
        "summary": content.summary_html(ds, story, programme.text("unidentified_note"),
                                        level=2, anchor=f"project-{project_id}-h"),
        "chart": chart,
        "details": content.details_html(ds, story, programme.text("ratings_note"), level=3),
    }


def _check_project(ds: Dataset, project_id: str) -> None:
    if project_id not in set(ds.projects.project_id):
        raise StateError(f"There is no project {project_id!r}. Projects: "
                         + ", ".join(identified_projects(ds)) + ".")
    if project_id not in identified_projects(ds):
        raise StateError(f"Project {project_id!r} is not identified, so it has no brief; "
                         "the whole-programme briefing says what is known about it.")


def _briefing(ds: Dataset, project_ids: list[str], whole: bool, today: date | None) -> str:
    programme = Programme.of(ds)
    projects = [_project_section(ds, p, programme) for p in project_ids]
    context: dict[str, Any] = {
        "whole": whole, "site_title": programme.text("site_title"),
        "generated": (today or date.today()).isoformat(), "version": ds.version,
        "data_as_of": ds.data_as_of, "ratings_note": programme.text("ratings_note"),
        "agreement": html.agreement_sentence(ds), "projects": projects,
    }
    contents = [{"anchor": f"project-{p['project_id']}", "title": p["title"]} for p in projects]
    if whole:
        overview = content.overview_context(
            ds, lambda name, **params: _anchor(name, params, set(project_ids)))
        columns = content.glance_columns(ds)
        cells = query.matrix(ds, columns)
        by_context = query.matrix(ds, "context_dimension")
        cited_ids = set(ds.citations().source_id)
        context.update(
            heading=f"{programme.title}: evidence briefing",
            introduction=programme.text("introduction"), overview=overview,
            matrix_chart=chart_html(
                "matrix", fit_for_print(figures.matrix_figure(
                    cells, COLUMN_KINDS[columns],
                    label_width=print_label_width(cells.column.nunique()),
                    row_label_width=PRINT_ROW_LABEL_WIDTH)),
                figures.describe_matrix(cells, COLUMN_KINDS[columns]), "evidence-matrix"),
            context_table=html.rating_table(
                by_context, "Mechanisms by context dimension: the strongest rating and the "
                "number of records", "Mechanism", lambda m, c: ""),
            findings=content.all_finding_groups(ds, exclude=("headline",)),
            discrepancies=content.discrepancy_items(ds, ds.discrepancies),
            sources=source_rows(ds, cited_ids, show_url=True),
        )
        contents = [{"anchor": "overview", "title": "Overview"},
                    {"anchor": "matrix", "title": "The matrix"}, *contents,
                    {"anchor": "findings", "title": "Findings and recommendations"},
                    {"anchor": "discrepancies", "title": "Where sources disagree"},
                    {"anchor": "sources", "title": "Sources"}]
        title = "Evidence briefing"
    else:
        name = projects[0]["title"]
        context.update(heading=f"{name}: project brief",
                       introduction=f"One project of {programme.title}: {name}, from its "
                                    "context through activities and mechanisms to outcomes, "
                                    "with the source behind every claim.",
                       overview={}, findings=[], discrepancies=[], sources=[],
                       matrix_chart="", context_table="")
        title = f"{name}: project brief"
    context["contents"] = contents
    body = html.render("briefing.html.j2", **context)
    return document_html(ds, title, body, charts=True, extra_css=BRIEFING_CSS,
                         body_class="ctg-briefing")


def _anchor(name: str, params: Mapping[str, str], projects: set[str]) -> str:
    """Where a link of the overview goes inside a briefing."""
    if name == "story" and params.get("project") in projects:
        return f"#project-{params['project']}"
    if name == "matrix":
        project = str(params.get("cell", "")).partition(":")[2]
        return f"#project-{project}" if project in projects else "#matrix"
    return ""


def briefing_html(ds: Dataset, today: date | None = None) -> str:
    """The whole programme's briefing as one self-contained HTML document."""
    return _briefing(ds, identified_projects(ds), whole=True, today=today)


def project_brief_html(ds: Dataset, project_id: str, today: date | None = None) -> str:
    """One identified project's brief as one self-contained HTML document.

    Raises:
        StateError: no project has that id, or the project is not identified.
    """
    _check_project(ds, project_id)
    return _briefing(ds, [project_id], whole=False, today=today)


def handout_html(ds: Dataset, query_string: str = "", today: date | None = None) -> str:
    """The handout for the matrix view a query string describes, as one HTML document.

    Unknown or hostile parameters are dropped, as on the dashboard, and the handout says so.
    """
    state = parse_query(ds, "matrix", query_string)
    programme = Programme.of(ds)
    columns = state.get("columns") or "project"
    filters = state.filters()
    cells = query.matrix(ds, columns, filters)
    records = query.reader_table(ds, filters)
    cited_by: dict[str, Any] = dict(zip(ds.mechanism_evidence.evidence_id,
                                        ds.mechanism_evidence.source_ids, strict=True))
    cited_ids = {c.source_id for r in records["Record"] for c in cited_by[r]}
    matrix = {
        "columns": list(dict.fromkeys(cells.column)),
        "rows": [{"label": mechanism,
                  "cells": [{"strength": r.strength, "count": int(r.count)}
                            for r in content.rows(part)]}
                 for mechanism, part in cells.groupby("mechanism", sort=False)],
    }
    return str(html.render(
        "handout.html.j2",
        css=html.inline_stylesheet(), site_title=programme.text("site_title"),
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
        sources=source_rows(ds, cited_ids, show_url=True),
    )) + "\n"
