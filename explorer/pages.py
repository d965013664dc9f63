"""The site map: one registry of the explorer's pages, read by everyone who needs the list.

Navigation, URL parsing (``explorer.state``), the dashboards, the static site, the browser
tests and the benchmarks all iterate ``PAGES``; nothing else spells out the list of pages.
A page's URL name is also the name of its notebook (``notebooks/<name>.ipynb``) and of the
module that builds it (``explorer/dashboards/<name>.py``). Adding a page is one new module
plus one line here.

This module is pure data (no widgets, no pandas), so the data layer's neighbours can read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import urlencode

__all__ = [
    "COMMON_PARAMETERS", "FACET_PARAMETERS", "PAGES", "PageSpec", "notebook_href", "page_spec",
]

# The facets a page can filter evidence records by; their values are the data's own ids.
FACET_PARAMETERS: Mapping[str, str] = MappingProxyType({
    facet: "many" for facet in ("project", "mechanism", "strength", "relationship_type",
                                "context_dimension", "setting_type", "activity_type")
})
# Parameters every page understands: presentation mode, its guided step, and the key of the
# live room the presenter opened (so a reload or a restart finds the room again).
COMMON_PARAMETERS: Mapping[str, str] = MappingProxyType({"present": "one", "step": "one",
                                                         "room": "key"})


@dataclass(frozen=True)
class PageSpec:
    """One page of the explorer.

    Attributes:
        name: the URL name; ``notebooks/<name>.ipynb`` and ``explorer/dashboards/<name>.py``.
        title: the page's title, in navigation, headings and the browser tab.
        purpose: one plain sentence saying what the page is for (landing page, site map).
        parameters: the URL parameters the page reads: name → ``one`` (an id), ``many``
            (comma-separated ids), ``text`` (one short free text) or ``text:<facet>``
            (one short free text per id of that facet, written ``<name>.<id>``, e.g.
            ``how.patient_beliefs``) or ``key`` (a random key of 16 to 64 URL-safe
            characters, e.g. a live room's presenter key); ``COMMON_PARAMETERS`` come on top.
        class_name: the page class in ``explorer.dashboards.<name>``.
        chart: True when the page's default view draws a chart.
    """

    name: str
    title: str
    purpose: str
    class_name: str
    parameters: Mapping[str, str] = field(default_factory=dict)
    chart: bool = False

    @property
    def notebook(self) -> str:
        """The notebook file that opens this page: ``<name>.ipynb``."""
        return f"{self.name}.ipynb"

    @property
    def module(self) -> str:
        """The module that builds this page."""
        return f"explorer.dashboards.{self.name}"

    def all_parameters(self) -> dict[str, str]:
        """The page's own parameters plus the common ones, in URL order."""
        return {**self.parameters, **COMMON_PARAMETERS}


PAGES: Mapping[str, PageSpec] = MappingProxyType({spec.name: spec for spec in (
    PageSpec("index", "Start", "Where to start, and what the evidence holds.", "IndexPage"),
    PageSpec("overview", "Overview",
             "What the evaluation found, the projects, the framework and what is uncertain.",
             "OverviewPage"),
    PageSpec("matrix", "Mechanisms × contexts",
             "Which mechanisms were activated where, and the evidence behind every rating.",
             "MatrixPage",
             {"columns": "one", "cell": "one", **FACET_PARAMETERS}, chart=True),
    PageSpec("story", "Project story",
             "One project from its context through activities and mechanisms to outcomes.",
             "StoryPage", {"project": "one"}, chart=True),
    PageSpec("compare", "Compare projects",
             "Two or three projects' ratings side by side, and where one activity differed.",
             "ComparePage", {"project": "many"}, chart=True),
    PageSpec("flows", "Activities vs mechanisms",
             "Across projects: the same kind of activity, different mechanisms.",
             "FlowsPage", dict(FACET_PARAMETERS), chart=True),
    PageSpec("lessons", "Lessons for your project",
             "A short exercise: set your own project beside the evaluation's lessons and the "
             "nearest project's evidence.",
             "LessonsPage", {"name": "text", "relationship_type": "many", "mechanism": "many",
                             "how": "text:mechanism", "foundation": "many",
                             "recommendation": "many"}),
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


def notebook_href(name: str, **parameters: str) -> str:
    """The relative address of a page in the live explorer, e.g. ``story.ipynb?project=x``.

    Raises:
        KeyError: no page has that name.
    """
    spec = page_spec(name)
    pairs = [(key, value) for key, value in parameters.items() if value]
    return spec.notebook + ("?" + urlencode(pairs, safe=",:") if pairs else "")
