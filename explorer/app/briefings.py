"""Handouts: self-contained HTML files to print, email or open without a server.

All are written by ``python -m explorer export`` and offered by the dashboards, and all are
built from the pages' own content (``explorer.pages.views``), so a file says exactly what the page
said:

- the **briefing** of the whole programme (``briefing_html``): every page's
  ``briefing_states`` in registry order — the overview, the matrix, one section per
  identified project (its story chart, ratings, outcomes with later evidence, barriers,
  follow-on, disagreements and sources), then every finding, disagreement and source.
  Printed, each section starts a page.
- a project's **brief** (``project_brief_html``): one project's story on its own.
- the **handout** of any view (``handout_html``): the page a live address describes, e.g.
  the matrix with its filters and chosen cell, with the records behind it.

A file draws its charts with a copy of plotly.js written once inside it and requests
nothing from anywhere, so it works from ``file://`` on a locked-down laptop::

    python -m explorer export --query "columns=setting_type&strength=evident" --out h.html
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup

from ..data.load import Dataset
from ..errors import StateError
from ..evidence.programme import Programme
from ..evidence.query.history import known_versions
from ..pages.registry import PAGES, notebook_href, page_spec, page_view
from ..pages.state import parse_query, to_query
from ..pages.views.base import changes_since_html
from ..pages.views.story import identified_projects
from ..render import html
from ..render.blocks import Download, Links
from ..render.document import (
    PRINT_WIDTH,
    blocks_html,
    charts_js,
    document_html,
    plotly_js,
)

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
]

BRIEFING_CSS = """
body.ctg-briefing { margin: 1.5em auto; padding: 0 1em; max-width: 1240px; }
.ctg-briefing .ctg-static-figure { margin: 0.6em 0; }
@page { size: A4; margin: 12mm; }
@media print {
  body.ctg-briefing { margin: 0; padding: 0; max-width: none; font-size: 12px; }
  .ctg-briefing .modebar-container, .ctg-briefing .ctg-alt-details { display: none; }
  .ctg-briefing .ctg-cards { grid-template-columns: repeat(2, 1fr); }
  .ctg-briefing .ctg-term .ctg-tip { display: none !important; }
}
"""


class BriefingLinks(Links):
    """The briefing: one printed document of the whole programme, its links going to the
    section that holds the view, or nowhere."""

    printed = True
    whole_programme = True
    trails = "none"

    def __init__(self, sections: dict[str, str], projects: set[str]) -> None:
        self.sections = sections
        self.projects = projects

    def href(self, page: str, **parameters: str) -> str:
        """The anchor of the section that shows ``page`` (a project's for its story or its
        matrix cells), or '' when the briefing has none."""
        project = parameters.get("project") or parameters.get("cell", "").partition(":")[2]
        if page in ("story", "matrix") and project in self.projects:
            return f"#project-{project}"
        return f"#{self.sections[page]}" if page in self.sections else ""

    def briefing(self, ds: Dataset, project_id: str = "") -> Download | None:
        """None: a briefing is the briefing."""
        return None


class HandoutLinks(Links):
    """The handout: one view printed, its links going to the live explorer's pages, by
    relative address."""

    printed = True
    trails = "open"

    def href(self, page: str, **parameters: str) -> str:
        """The live page's relative address (the handout says where the explorer is)."""
        return notebook_href(page, **parameters)

    def briefing(self, ds: Dataset, project_id: str = "") -> Download | None:
        """None: a handout is printed."""
        return None


def briefing_filename(ds: Dataset, project_id: str | None = None) -> str:
    """``<programme>-briefing.html`` or ``<programme>-<project>.html`` (ids are slugs)."""
    programme = html.slug(Programme.of(ds).programme_id) or "programme"
    return f"{programme}-{html.slug(project_id) if project_id else 'briefing'}.html"


BRIEFING_HELP = ("One self-contained file: the overview, the matrix and every identified "
                 "project with its chart, ratings, outcomes and sources. It opens without a "
                 "server or internet and prints one project per page.")
BRIEF_HELP = ("One self-contained file: this project's chart, ratings, outcomes, "
              "disagreements and sources. It opens without a server or internet.")


def briefing_download(ds: Dataset, project_id: str = "") -> Download:
    """The whole briefing, or one project's brief, as a download built on demand."""
    if project_id:
        return Download("brief", "Download this project's brief (HTML, for printing)",
                        briefing_filename(ds, project_id), "text/html",
                        lambda: project_brief_html(ds, project_id).encode("utf-8"),
                        help=BRIEF_HELP)
    return Download("briefing", "Download the briefing (HTML, for printing)",
                    briefing_filename(ds), "text/html",
                    lambda: briefing_html(ds).encode("utf-8"), help=BRIEFING_HELP)


def _check_project(ds: Dataset, project_id: str) -> None:
    if project_id not in set(ds.projects.project_id):
        raise StateError(f"There is no project {project_id!r}. Projects: "
                         + ", ".join(identified_projects(ds)) + ".")
    if project_id not in identified_projects(ds):
        raise StateError(f"Project {project_id!r} is not identified, so it has no brief; "
                         "the whole-programme briefing says what is known about it.")


def _sections(ds: Dataset, only_project: str | None) -> list[tuple[str, str, dict[str, str]]]:
    """``(page, anchor, parameters)`` of every section, in registry order."""
    sections = []
    for name, spec in PAGES.items():
        for parameters in spec.view().briefing_states(ds):
            project = parameters.get("project")
            if only_project is not None and project != only_project:
                continue
            anchor = f"project-{project}" if name == "story" and project else name
            sections.append((name, anchor, dict(parameters)))
    return sections


def _briefing(ds: Dataset, only_project: str | None, today: date | None,
              since: str | None = None) -> str:
    programme = Programme.of(ds)
    sections = _sections(ds, only_project)
    links = BriefingLinks({page: anchor for page, anchor, _ in sections if page != "story"},
                          {p.get("project", "") for page, _, p in sections if page == "story"})
    body: list[dict[str, Any]] = []
    charts = False
    for page, anchor, parameters in sections:
        view = page_view(page)
        state = parse_query(ds, page, to_query_pairs(parameters))
        content = view.page_content(ds, state, links)
        rendered = blocks_html(ds, content, links, page, prefix=f"chart-{anchor}-",
                               printed=True)
        charts = charts or rendered.charts
        title = content.describe if page == "story" else page_spec(page).title
        body.append({"anchor": anchor, "title": title, "body": rendered.body,
                     "project": page == "story"})
    if only_project is None:
        heading = f"{programme.title}: evidence briefing"
        introduction = programme.text("introduction")
        title = "Evidence briefing"
    else:
        name = body[0]["title"]
        heading = f"{name}: project brief"
        introduction = (f"One project of {programme.title}: {name}, from its context "
                        "through activities and mechanisms to outcomes, with the source "
                        "behind every claim.")
        title = heading
    changes = Markup("")
    if since:
        if since not in known_versions(ds):
            raise StateError(f"There is no data version {since!r}. Versions: "
                             + ", ".join(known_versions(ds)) + ".")
        if since != ds.version:
            evidence = ds.mechanism_evidence
            shown = (evidence.evidence_id if only_project is None
                     else evidence.evidence_id[evidence.project_id == only_project])
            changes = changes_since_html(ds, since, shown)
    document = html.render(
        "briefing.html.j2", heading=heading, introduction=introduction, changes=changes,
        site_title=programme.text("site_title"),
        generated=(today or date.today()).isoformat(), version=ds.version,
        data_as_of=ds.data_as_of, ratings_note=programme.text("ratings_note"),
        agreement=html.agreement_sentence(ds), sections=body)
    return document_html(ds, title, document, charts=charts, extra_css=BRIEFING_CSS,
                         body_class="ctg-briefing")


def to_query_pairs(parameters: dict[str, str]) -> str:
    """The query string of a view's parameters."""
    return urlencode(parameters, safe=",:")


def briefing_html(ds: Dataset, today: date | None = None, since: str | None = None) -> str:
    """The whole programme's briefing as one self-contained HTML document.

    Args:
        since: a data version the reader last saw; the briefing then opens with every
            rating that has changed since (``query.history.changes_since``).

    Raises:
        StateError: ``since`` is not a release of the data.
    """
    return _briefing(ds, None, today, since)


def project_brief_html(ds: Dataset, project_id: str, today: date | None = None,
                       since: str | None = None) -> str:
    """One identified project's brief as one self-contained HTML document (``since``: as
    for ``briefing_html``, for the project's ratings).

    Raises:
        StateError: no project has that id, the project is not identified, or ``since``
            is not a release of the data.
    """
    _check_project(ds, project_id)
    return _briefing(ds, project_id, today, since)


def handout_html(ds: Dataset, query_string: str = "", today: date | None = None,
                 page: str = "matrix") -> str:
    """The handout of one view, as one self-contained HTML document to print.

    The view is what a live address describes (``page`` and its query string). Unknown or
    hostile parameters are dropped, as on the page, and the handout says so.

    Raises:
        StateError: ``page`` is not a page of the explorer.
    """
    if page not in PAGES:
        raise StateError(f"There is no page called {page!r}.")
    programme = Programme.of(ds)
    state = parse_query(ds, page, query_string)
    links = HandoutLinks()
    content = page_view(page).page_content(ds, state, links)
    rendered = blocks_html(ds, content, links, page, printed=True, draw_charts=False)
    body = html.render(
        "handout.html.j2", site_title=programme.text("site_title"),
        programme_title=programme.title, heading=content.heading,
        showing=content.describe, version=ds.version, data_as_of=ds.data_as_of,
        generated=(today or date.today()).isoformat(),
        link=PAGES[page].notebook + to_query(state),
        notes=" ".join(state.notes), ratings_note=programme.text("ratings_note"),
        body=rendered.body)
    return document_html(ds, content.heading, body, charts=rendered.charts,
                         extra_css=BRIEFING_CSS, body_class="ctg-briefing ctg-handout-page")
