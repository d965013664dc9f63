"""The site map: one registry of the explorer's pages, read by everyone who needs the list.

Navigation, URL parsing (``explorer.pages.state``), the live dashboards, the static site, the
briefings, the browser tests and the benchmarks all iterate ``PAGES``; nothing else spells
out the list of pages. A page's URL name is also the name of the module that defines it
(``explorer/pages/views/<name>.py``: its URL parameters and its content, built once for every
output) and of its notebook (``notebooks/<name>.ipynb``, written by ``python -m explorer
notebooks``). Adding a page is one new module plus one entry here.

This module holds no page logic: a page's definition is imported the first time it is asked
for (``page_view``), so reading the registry stays cheap.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from .parameters import COMMON, Parameter

if TYPE_CHECKING:
    from ..data.load import Dataset
    from .views.base import View

__all__ = ["PAGES", "STATIC_URL_ENV", "PageSpec", "is_address", "live_pages", "notebook_href",
           "page_parameters", "page_spec", "page_view", "static_href", "static_url"]

log = logging.getLogger("explorer.pages")

STATIC_URL_ENV = "EXPLORER_STATIC_URL"


@dataclass(frozen=True)
class PageSpec:
    """One page of the explorer.

    Attributes:
        name: the URL name; ``explorer/pages/views/<name>.py`` and ``notebooks/<name>.ipynb``.
        title: the page's title, in navigation, headings and the browser tab.
        purpose: one plain sentence saying what the page is for (landing page, site map).
        chart: True when the page's default view draws a chart.
        live: False for a page only the static site and the briefings have (the live
            explorer shows its content inside another page, ``live_home``).
        live_home: where a static-only page's content lives in the live explorer.
    """

    name: str
    title: str
    purpose: str
    chart: bool = False
    live: bool = True
    live_home: str = ""

    @property
    def notebook(self) -> str:
        """The notebook file that opens this page: ``<name>.ipynb``."""
        return f"{self.name}.ipynb"

    @property
    def module(self) -> str:
        """The module that defines this page."""
        return f"explorer.pages.views.{self.name}"

    def view(self) -> View:
        """The page's definition (``explorer.pages.views.<name>.VIEW``), imported on first use."""
        return page_view(self.name)


PAGES: Mapping[str, PageSpec] = MappingProxyType({spec.name: spec for spec in (
    PageSpec("index", "Start", "Where to start, and what the evidence holds."),
    PageSpec("overview", "Overview",
             "What the evaluation found, the projects, the framework and what is uncertain."),
    PageSpec("matrix", "Mechanisms × contexts",
             "Which mechanisms were activated where, and the evidence behind every rating.",
             chart=True),
    PageSpec("story", "Project story",
             "One project from its context through activities and mechanisms to outcomes.",
             chart=True),
    PageSpec("compare", "Compare projects",
             "Two or three projects' ratings side by side, and where one activity differed.",
             chart=True),
    PageSpec("flows", "Activities vs mechanisms",
             "Across projects: the same kind of activity, different mechanisms.", chart=True),
    PageSpec("lessons", "Lessons for your project",
             "A short exercise: set your own project beside the evaluation's lessons and the "
             "nearest project's evidence."),
    PageSpec("findings", "Findings",
             "Everything the evaluation found and recommended, with its sources.",
             live=False, live_home="overview"),
    PageSpec("discrepancies", "Where sources disagree",
             "Where the sources disagree, and what the data uses.",
             live=False, live_home="overview"),
    PageSpec("sources", "Sources", "Every document the evidence cites, with its address.",
             live=False, live_home="overview"),
)})


def page_spec(name: str) -> PageSpec:
    """The page called ``name``.

    Raises:
        KeyError: no page has that name (the message lists the pages).
    """
    try:
        return PAGES[name]
    except KeyError:
        raise KeyError(f"no page {name!r}; pages: {', '.join(PAGES)}") from None


def live_pages() -> list[PageSpec]:
    """The pages the live explorer serves, in navigation order."""
    return [spec for spec in PAGES.values() if spec.live]


_VIEWS: dict[str, Any] = {}


def page_view(name: str) -> View:
    """The definition of page ``name`` (``explorer.pages.views.<name>.VIEW``).

    Raises:
        KeyError: no page has that name.
    """
    spec = page_spec(name)
    if name not in _VIEWS:
        view = importlib.import_module(spec.module).VIEW
        if view.name != name:
            raise TypeError(f"{spec.module}.VIEW is named {view.name!r}, not {name!r}")
        _VIEWS[name] = view
    return _VIEWS[name]


def page_parameters(ds: Dataset, name: str) -> dict[str, Parameter]:
    """The URL parameters page ``name`` reads (its own, then the common ones), in URL order;
    none for a name that is not a page."""
    if name not in PAGES:
        return {}
    return {**page_view(name).parameters(ds), **COMMON}


def notebook_href(name: str, **parameters: str) -> str:
    """The relative address of a page in the live explorer, e.g. ``story.ipynb?project=x``.

    A static-only page's address is that of the live page that shows its content.

    Raises:
        KeyError: no page has that name.
    """
    spec = page_spec(name)
    if not spec.live:
        return page_spec(spec.live_home).notebook
    pairs = [(key, value) for key, value in parameters.items() if value]
    return spec.notebook + ("?" + urlencode(pairs, safe=",:") if pairs else "")


def static_href(ds: Dataset, name: str, **parameters: str) -> str:
    """The page of the static site that shows a view, relative to the site's folder, with
    the anchor of what the view points at (e.g. ``matrix-setting_type.html#cell-…``).

    Views with no static page of their own (a filter, a compare pair) map to the nearest one
    the static site has: their page's default view.

    Raises:
        KeyError: no page has that name.
    """
    page_spec(name)
    return page_view(name).static_href(ds, {k: v for k, v in parameters.items() if v})


def is_address(value: str) -> bool:
    """True for an absolute http(s) address."""
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def static_url() -> str:
    """Where the static site is served (``$EXPLORER_STATIC_URL``), or '' when not set.

    Only an http(s) address or a path on the same host (``/static/``) is used; anything else
    is ignored with a warning in the server log.
    """
    value = os.environ.get(STATIC_URL_ENV, "").strip()
    if not value:
        return ""
    if (is_address(value) or value.startswith("/")) and not any(
            c in value for c in "\"'<> \n\r\t") and not value.startswith("//"):
        return value.rstrip("/") + "/"
    log.warning("ignoring %s=%r: not an http(s) address or a path", STATIC_URL_ENV, value[:80])
    return ""
