"""The static read-only site: every page as plain HTML that any static host can serve.

``build_site(ds, folder)`` (``python -m explorer site --out DIR [--live URL]``) writes:

- ``index.html``, ``overview.html``, ``compare.html``, ``flows.html``: each page's default view;
- ``matrix.html`` and ``matrix-<columns>.html``: the matrix for every column choice, with the
  evidence behind every cell (the cells link to it) and every record;
- ``story-<project>.html``: every project's story;
- ``findings.html``, ``discrepancies.html``, ``sources.html``;
- ``evidence-records.csv`` (formula-safe), ``assets/`` (``explorer.css``, ``plotly.min.js``
  from the plotly package and ``charts.js``, each written once) and ``site.json`` (what was
  written, from which dataset).

Titles and order come from the page registry (``explorer.pages.PAGES``); the markup from the
same autoescaped templates and content builders as the dashboards; the charts from the same
figure dicts, drawn by the site's own plotly.js. Every page carries the dataset's version and
date, and links to its live counterpart when the live explorer's address is given.

The live explorer links the other way when ``$EXPLORER_STATIC_URL`` names where the site is
served (read only by ``static_url``): ``static_path`` maps a live view to its static page.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
from markupsafe import Markup

from . import content, figures, html, lessons, query
from .errors import ExplorerError
from .export import chart_html, charts_js, document_html, identified_projects, plotly_js
from .load import Dataset
from .pages import PAGES, notebook_href
from .programme import Programme
from .query import COLUMN_KINDS, Filters
from .state import ViewState

__all__ = [
    "EXTRA_PAGES",
    "STATIC_URL_ENV",
    "SiteError",
    "SiteReport",
    "build_site",
    "check_live",
    "readonly_link",
    "static_path",
    "static_url",
]

log = logging.getLogger("explorer.site")

STATIC_URL_ENV = "EXPLORER_STATIC_URL"
MANIFEST = "site.json"
ASSETS = "assets/"
RECORDS_CSV = "evidence-records.csv"
# Pages of the static site that the live explorer shows inside the overview.
EXTRA_PAGES: Mapping[str, str] = {
    "findings": "Findings", "discrepancies": "Where sources disagree", "sources": "Sources",
}


class SiteError(ExplorerError):
    """The site cannot be written as asked (a bad address or folder)."""


@dataclass(frozen=True)
class SiteReport:
    """What ``build_site`` wrote: pages, files and bytes."""

    pages: int
    files: int
    bytes: int


# -- addresses -----------------------------------------------------------------------------

def _is_address(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def check_live(live: str | None) -> str:
    """The live explorer's base address without a trailing slash ('' when not given).

    Raises:
        SiteError: it is not an http(s) address.
    """
    if not live:
        return ""
    if not _is_address(live) or any(c in live for c in "\"'<> \n\r\t"):
        raise SiteError(f"--live must be an http(s) address such as "
                        f"https://explorer.example.org, not {live[:80]!r}.")
    return live.rstrip("/")


def static_url() -> str:
    """Where the static site is served (``$EXPLORER_STATIC_URL``), or '' when not set.

    Only an http(s) address or a path on the same host (``/static/``) is used; anything else
    is ignored with a warning in the server log.
    """
    value = os.environ.get(STATIC_URL_ENV, "").strip()
    if not value:
        return ""
    if (_is_address(value) or value.startswith("/")) and not any(
            c in value for c in "\"'<> \n\r\t") and not value.startswith("//"):
        return value.rstrip("/") + "/"
    log.warning("ignoring %s=%r: not an http(s) address or a path", STATIC_URL_ENV, value[:80])
    return ""


def static_path(ds: Dataset, name: str, **params: str) -> str:
    """The static page of a view, relative to the site's folder (e.g. ``story-pathway.html``).

    Filters have no static page: a filtered view maps to its page's default view. A matrix
    cell maps to the anchor of its evidence.
    """
    if name == "matrix":
        columns = params.get("columns") or "project"
        page = "matrix.html" if columns == "project" else f"matrix-{columns}.html"
        mechanism_id, _, column_id = (params.get("cell") or "").partition(":")
        return page + (f"#{_cell_anchor(mechanism_id, column_id)}"
                       if mechanism_id and column_id else "")
    if name == "story":
        project = params.get("project") or str(ds.projects.project_id.iloc[0])
        return f"story-{project}.html"
    if name in PAGES or name in EXTRA_PAGES:
        return f"{name}.html"
    raise KeyError(f"no page {name!r}")


def _cell_anchor(mechanism_id: str, column_id: str) -> str:
    return f"cell-{mechanism_id}--{column_id}"


def readonly_link(ds: Dataset, name: str, state: ViewState) -> Markup:
    """The live page's link to its static counterpart; empty without ``$EXPLORER_STATIC_URL``."""
    base = static_url()
    if not base:
        return Markup("")
    params = {key: state.get(key) or "" for key in ("columns", "cell", "project")
              if key in PAGES[name].parameters and PAGES[name].parameters[key] == "one"}
    return html.render("readonly_link.html.j2",
                       href=base + static_path(ds, name, **params))


# -- the pages -----------------------------------------------------------------------------

@dataclass
class _Page:
    path: str
    title: str
    nav: str  # the navigation entry it belongs to
    body: Markup
    live: str  # the live view, relative to /voila/render/ ('' = none)
    charts: bool = False


class _Builder:
    """Builds every page of the site for one dataset."""

    def __init__(self, ds: Dataset, live: str, today: date) -> None:
        self.ds = ds
        self.live = live
        self.today = today
        self.programme = Programme.of(ds)
        self.project_names = query.facet_options(ds, "project")
        self._anchors: dict[str, set[str]] = {}

    @cached_property
    def records(self) -> pd.DataFrame:
        """Every evidence record as the reader table (each matrix page, and the CSV)."""
        return query.reader_table(self.ds)

    @cached_property
    def contested(self) -> frozenset[str]:
        return query.contested_evidence(self.ds)

    @cached_property
    def records_table(self) -> Markup:
        """The table of every evidence record, the same under each matrix page."""
        return html.evidence_table(self.ds, self.records, html.count(
            len(self.records), "evidence record"), self.contested)

    def anchors(self, columns: str) -> set[str]:
        """The cells of a matrix page that have evidence (and so a section to link to)."""
        if columns not in self._anchors:
            self._anchors[columns] = {
                _cell_anchor(r.mechanism_id, r.column_id)
                for r in content.rows(query.matrix(self.ds, columns)) if len(r.evidence_ids)}
        return self._anchors[columns]

    def href(self, name: str, **params: str) -> str:
        """A page of the site; a matrix cell without evidence links to the matrix itself."""
        path = static_path(self.ds, name, **params)
        page, _, anchor = path.partition("#")
        if anchor and anchor not in self.anchors(params.get("columns") or "project"):
            return page
        return path

    def pages(self) -> list[_Page]:
        ds = self.ds
        pages = [self.index(), self.overview()]
        pages += [self.matrix(columns) for columns in COLUMN_KINDS]
        pages += [self.story(str(p)) for p in ds.projects.project_id]
        pages += [self.compare(), self.flows(), self.lessons(), self.findings(),
                  self.discrepancies(), self.sources()]
        return pages

    def nav(self) -> list[tuple[str, str, str]]:
        """``(key, title, href)`` of the navigation bar: the registry, then the extras."""
        return ([(name, spec.title, self.href(name)) for name, spec in PAGES.items()]
                + [(name, title, f"{name}.html") for name, title in EXTRA_PAGES.items()])

    def index(self) -> _Page:
        ds = self.ds
        counts = ds.describe()[["title", "rows"]].rename(columns={"title": "Table",
                                                                   "rows": "Rows"})
        pages = ([{"href": self.href(s.name), "title": s.title, "purpose": s.purpose}
                  for s in PAGES.values() if s.name != "index"]
                 + [{"href": f"{name}.html", "title": title,
                     "purpose": _EXTRA_PURPOSES[name]} for name, title in EXTRA_PAGES.items()])
        body = html.render("index.html.j2", programme=self.programme, pages=pages,
                           version=ds.version, data_as_of=ds.data_as_of,
                           counts=html.table(counts, "What the data package holds"))
        body += html.render("static_note.html.j2", csv=RECORDS_CSV)
        return _Page("index.html", PAGES["index"].title, "index", body, "index.ipynb")

    def overview(self) -> _Page:
        return _Page("overview.html", PAGES["overview"].title, "overview",
                     content.overview_html(self.ds, self.href), "overview.ipynb")

    def matrix(self, columns: str) -> _Page:
        ds = self.ds
        cells = query.matrix(ds, columns)
        title = COLUMN_KINDS[columns]
        contested = self.contested
        everything = self.records
        sections = []
        for r in content.rows(cells):
            if not len(r.evidence_ids):
                continue
            # = query.cell_records for this cell, without filtering every record again
            records = everything[everything["Record"].isin(r.evidence_ids)]
            sections.append({
                "anchor": _cell_anchor(r.mechanism_id, r.column_id),
                "title": f"{r.mechanism} × {r.column}",
                "strength": r.strength,
                "table": html.evidence_table(ds, records, html.count(len(records), "record"),
                                             contested),
            })
        anchors = self.anchors(columns)

        def cell_href(mechanism_id: str, column_id: str) -> str:
            anchor = _cell_anchor(mechanism_id, column_id)
            return "#" + anchor if anchor in anchors else ""

        table = html.rating_table(
            cells, f"Evidence matrix: mechanisms by {title.lower()}", "Mechanism", cell_href,
            contested)
        chart = Markup("")
        if cells.column_id.nunique() <= figures.MAX_CHART_COLUMNS:
            chart = chart_html(f"matrix-{columns}", figures.matrix_figure(cells, title),
                               figures.describe_matrix(cells, title), "evidence-matrix")
        choices = [{"href": self.href("matrix", columns=key if key != "project" else ""),
                    "title": label, "current": key == columns}
                   for key, label in COLUMN_KINDS.items()]
        body = html.render(
            "static_matrix.html.j2", title=PAGES["matrix"].title, columns_title=title,
            choices=choices, table=table, chart=chart, sections=sections,
            legend=html.fragment("legend", self.programme.text("ratings_note")),
            agreement=html.agreement_sentence(ds), csv=RECORDS_CSV,
            records=self.records_table)
        return _Page(static_path(ds, "matrix", columns=columns),
                     f"{PAGES['matrix'].title}: {title.lower()}", "matrix", body,
                     notebook_href("matrix", columns=columns if columns != "project" else ""),
                     charts=bool(chart))

    def story(self, project_id: str) -> _Page:
        ds = self.ds
        story = query.project_story(ds, project_id)
        chart = Markup("")
        if story.is_identified and not story.chains.empty:
            chart = chart_html("story", figures.story_figure(
                story.chains, str(story.project["short_name"])),
                figures.describe_sankey(story.chains), "project-story")
        others = [{"href": self.href("story", project=p), "title": name,
                   "current": p == project_id} for p, name in self.project_names.items()]
        body = html.render(
            "static_story.html.j2", title=PAGES["story"].title, projects=others,
            basis_help=html.BASIS_HELP,
            summary=content.summary_html(ds, story,
                                         self.programme.text("unidentified_note")),
            chart=chart,
            details=(content.details_html(ds, story, self.programme.text("ratings_note"))
                     if story.is_identified else Markup("")))
        return _Page(static_path(ds, "story", project=project_id),
                     f"{PAGES['story'].title}: {self.project_names[project_id]}", "story",
                     body, notebook_href("story", project=project_id), charts=bool(chart))

    def compare(self) -> _Page:
        ds = self.ds
        chosen = identified_projects(ds)[:2]
        cells = query.matrix(ds, "project", Filters(project=tuple(chosen)))
        cells = cells.sort_values("column_id", key=lambda ids: ids.map(chosen.index),
                                  kind="stable")
        chart = chart_html("compare", figures.matrix_figure(cells, "Projects", compact=True),
                           figures.describe_matrix(cells), "compare-projects")
        same_table = content.same_activity_table(
            query.same_activity_different_mechanisms(ds, chosen))
        body = html.render(
            "static_compare.html.j2", title=PAGES["compare"].title,
            names=[self.project_names[p] for p in chosen],
            table=html.rating_table(
                cells, "Mechanism ratings side by side", "Mechanism",
                lambda m, p: self.href("matrix", cell=f"{m}:{p}"),
                query.contested_evidence(ds), mark_differences=True, css_class="ctg-compare"),
            legend=html.fragment("legend", self.programme.text("ratings_note")),
            chart=chart, same=html.render("same_activity.html.j2", table=same_table))
        return _Page("compare.html", PAGES["compare"].title, "compare", body,
                     notebook_href("compare", project=",".join(chosen)), charts=True)

    def flows(self) -> _Page:
        links = query.activity_mechanism_links(self.ds)
        body = html.render(
            "static_flows.html.j2", title=PAGES["flows"].title,
            chart=chart_html("flows", figures.flows_figure(links),
                             figures.describe_flows(links), "activities-mechanisms"),
            tables=content.flow_tables(links))
        return _Page("flows.html", PAGES["flows"].title, "flows", body, "flows.ipynb",
                     charts=True)

    def lessons(self) -> _Page:
        """The exercise as a worksheet to print (answers need the live page, which keeps
        them in its address; a static page has nowhere to keep them)."""

        body = html.render(
            "static_lessons.html.j2", title=PAGES["lessons"].title,
            questions=lessons.questions(self.ds),
            live=f"{self.live}/voila/render/lessons.ipynb" if self.live else "",
            mechanisms_heading=self.programme.text("mechanisms_heading"),
            foundations_heading=self.programme.text("foundations_heading"))
        return _Page("lessons.html", PAGES["lessons"].title, "lessons", body, "lessons.ipynb")

    def findings(self) -> _Page:
        body = html.render("static_findings.html.j2", title=EXTRA_PAGES["findings"],
                           groups=content.all_finding_groups(self.ds))
        return _Page("findings.html", EXTRA_PAGES["findings"], "findings", body,
                     "overview.ipynb")

    def discrepancies(self) -> _Page:
        ds = self.ds
        groups = []
        general = ds.discrepancies[ds.discrepancies.project_id.isna()]
        if len(general):
            groups.append({"title": "The programme", "href": "",
                           "items": content.discrepancy_items(ds, general)})
        for project_id, name in self.project_names.items():
            part = ds.discrepancies[ds.discrepancies.project_id == project_id]
            if len(part):
                groups.append({"title": name, "href": self.href("story", project=project_id),
                               "items": content.discrepancy_items(ds, part)})
        body = html.render("static_discrepancies.html.j2", title=EXTRA_PAGES["discrepancies"],
                           groups=groups, count=html.count(len(ds.discrepancies), "place"))
        return _Page("discrepancies.html", EXTRA_PAGES["discrepancies"], "discrepancies",
                     body, "overview.ipynb")

    def sources(self) -> _Page:
        ds = self.ds
        rows = content.source_rows(ds, set(ds.sources.source_id), show_url=True)
        body = html.render("static_sources.html.j2", title=EXTRA_PAGES["sources"],
                           sources=rows, count=html.count(len(rows), "source"))
        return _Page("sources.html", EXTRA_PAGES["sources"], "sources", body, "")

    def document(self, page: _Page) -> str:
        nav = [{"href": href, "title": title, "current": key == page.nav}
               for key, title, href in self.nav()]
        live = f"{self.live}/voila/render/{page.live}" if self.live and page.live else ""
        return document_html(
            self.ds, page.title, page.body, charts=page.charts, assets=ASSETS, nav=nav,
            live=live, stamp=f"Read-only version, made {self.today.isoformat()}.",
            body_class="ctg-static")


_EXTRA_PURPOSES = {
    "findings": "Everything the evaluation found and recommended, with its sources.",
    "discrepancies": "Where the sources disagree, and what the data uses.",
    "sources": "Every document the evidence cites, with its address.",
}


def _is_site(folder: Path) -> bool:
    manifest = folder / MANIFEST
    try:
        return json.loads(manifest.read_text(encoding="utf-8")).get("generator") == "explorer"
    except (OSError, ValueError, AttributeError):
        return False


def build_site(ds: Dataset, folder: Path, live: str = "",
               today: date | None = None) -> SiteReport:
    """Write the static site into ``folder``.

    The site is written into a new folder beside ``folder`` and then moved into place, so a
    failure leaves nothing half-written. ``folder`` must not exist, be empty, or hold a site
    this function wrote before (which is replaced).

    Args:
        live: the live explorer's base address (see ``check_live``); '' for none.

    Raises:
        SiteError: ``folder`` holds something other than an explorer site.
    """
    live = check_live(live)
    folder = folder.resolve()
    if folder.exists() and not (folder.is_dir() and (not any(folder.iterdir())
                                                      or _is_site(folder))):
        raise SiteError(f"{folder} exists and is not a site written by this command; choose "
                        "a new or empty folder.")
    folder.parent.mkdir(parents=True, exist_ok=True)
    today = today or date.today()
    builder = _Builder(ds, live, today)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        pages = builder.pages()
        (staging / "assets").mkdir()
        (staging / "assets" / "explorer.css").write_text(html.stylesheet(), encoding="utf-8")
        (staging / "assets" / "plotly.min.js").write_text(plotly_js(), encoding="utf-8")
        (staging / "assets" / "charts.js").write_text(charts_js(), encoding="utf-8")
        (staging / RECORDS_CSV).write_text(html.csv_text(builder.records),
                                           encoding="utf-8")
        for page in pages:
            (staging / page.path).write_text(builder.document(page), encoding="utf-8")
        manifest: dict[str, Any] = {
            "generator": "explorer", "dataset_version": ds.version,
            "data_as_of": ds.data_as_of, "made": today.isoformat(), "live": live,
            "pages": [{"path": p.path, "title": p.title} for p in pages],
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False)
                                        + "\n", encoding="utf-8")
        staging.chmod(0o755)
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    written = [p for p in folder.rglob("*") if p.is_file()]
    return SiteReport(pages=len(pages), files=len(written),
                      bytes=sum(p.stat().st_size for p in written))
