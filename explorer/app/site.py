"""The static read-only site: every page as plain HTML that any static host can serve.

``build_site(ds, folder)`` (``python -m explorer site --out DIR [--live URL]``) writes, for
every page of the registry (``explorer.pages.registry.PAGES``), each view its definition lists in
``static_states`` — the matrix for every column choice (with the evidence behind every
cell), every project's story, each other page's default view — as the file its
``static_file`` names, from the same content the live page shows (``explorer.pages.views``),
rendered by ``explorer.render.document``. Beside them: the files of the pages' static downloads
(CSV, formula-safe), ``evidence-all-records.csv`` (every record), ``assets/`` (``explorer.css``,
``plotly.min.js`` from the plotly package and ``charts.js``, each written once) and
``site.json`` (what was written, from which dataset). Every page carries the dataset's
version and date, and links to its live counterpart when the live explorer's address is
given.

The live explorer links the other way when ``$EXPLORER_STATIC_URL`` names where the site is
served (``explorer.pages.registry.static_url``); the address of a view's static page comes from the
registry (``explorer.pages.registry.static_href``), so the live explorer never imports this module.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup

from ..data.load import Dataset
from ..errors import ExplorerError
from ..evidence import query
from ..pages.registry import (
    PAGES,
    STATIC_URL_ENV,
    PageSpec,
    is_address,
    notebook_href,
    static_href,
    static_url,
)
from ..pages.state import parse_query
from ..pages.views.base import View
from ..pages.views.matrix import ALL_RECORDS_CSV
from ..render import html
from ..render.blocks import Content
from ..render.document import blocks_html, charts_js, document_html, plotly_js
from ..render.downloads import records_csv
from .outputs import StaticLinks

__all__ = [
    "STATIC_URL_ENV",
    "SiteError",
    "SiteReport",
    "StaticView",
    "build_site",
    "check_live",
    "static_url",
    "static_views",
]

log = logging.getLogger("explorer.app.site")

MANIFEST = "site.json"
ASSETS = "assets/"
RECORDS_CSV = ALL_RECORDS_CSV


class SiteError(ExplorerError):
    """The site cannot be written as asked (a bad address or folder)."""


@dataclass(frozen=True)
class SiteReport:
    """What ``build_site`` wrote: pages, files and bytes."""

    pages: int
    files: int
    bytes: int


# -- addresses -----------------------------------------------------------------------------

def check_live(live: str | None) -> str:
    """The live explorer's base address without a trailing slash ('' when not given).

    Raises:
        SiteError: it is not an http(s) address.
    """
    if not live:
        return ""
    if not is_address(live) or any(c in live for c in "\"'<> \n\r\t"):
        raise SiteError(f"--live must be an http(s) address such as "
                        f"https://explorer.example.org, not {live[:80]!r}.")
    return live.rstrip("/")


# -- the pages -----------------------------------------------------------------------------

@dataclass
class _Page:
    path: str
    title: str
    nav: str
    body: Markup
    live: str
    charts: bool
    files: dict[str, Any]


@dataclass(frozen=True)
class StaticView:
    """One view the static site writes a file for: its page, the parameters that name it
    (one of its view's ``static_states``) and its content, drawn for the static site."""

    name: str
    spec: PageSpec
    view: View
    parameters: dict[str, str]
    content: Content


def static_views(ds: Dataset, links: StaticLinks | None = None) -> Iterator[StaticView]:
    """Every view the static site writes, in registry order: each page's ``static_states``,
    each parsed as its address would be and drawn for ``links`` (default: the site's)."""
    links = links or StaticLinks(ds)
    for name, spec in PAGES.items():
        view = spec.view()
        for parameters in view.static_states(ds):
            state = parse_query(ds, name, urlencode(parameters, safe=",:"))
            yield StaticView(name, spec, view, dict(parameters), view.content(ds, state, links))


def _pages(ds: Dataset) -> list[_Page]:
    links = StaticLinks(ds)
    pages = []
    for static in static_views(ds, links):
        name, spec, view, parameters = static.name, static.spec, static.view, static.parameters
        path = view.static_file(ds, parameters)
        rendered = blocks_html(ds, static.content, links, name,
                               file_stem=path[:-len(".html")])
        live_page = name if spec.live else spec.live_home
        pages.append(_Page(path, static.content.heading, name, rendered.body,
                           notebook_href(live_page, **{
                               k: v for k, v in parameters.items()
                               if v != view.default(ds, k)}) if spec.live
                           else notebook_href(live_page),
                           rendered.charts, rendered.files))
    return pages


def _document(ds: Dataset, page: _Page, nav: list[dict[str, Any]], live: str,
              today: date) -> str:
    return document_html(
        ds, page.title, page.body, charts=page.charts, assets=ASSETS,
        nav=[{**link, "current": link["key"] == page.nav} for link in nav],
        live=f"{live}/voila/render/{page.live}" if live and page.live else "",
        stamp=f"Read-only version, made {today.isoformat()}.", body_class="ctg-static")


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
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        pages = _pages(ds)
        nav = [{"key": name, "title": spec.title, "href": static_href(ds, name)}
               for name, spec in PAGES.items()]
        (staging / "assets").mkdir()
        (staging / "assets" / "explorer.css").write_text(html.stylesheet(), encoding="utf-8")
        (staging / "assets" / "plotly.min.js").write_text(plotly_js(), encoding="utf-8")
        (staging / "assets" / "charts.js").write_text(charts_js(), encoding="utf-8")
        (staging / RECORDS_CSV).write_text(records_csv(ds, query.reader_table(ds)),
                                           encoding="utf-8")
        for page in pages:
            (staging / page.path).write_text(_document(ds, page, nav, live, today),
                                             encoding="utf-8")
            for name, build in page.files.items():
                (staging / name).write_bytes(build())
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
