"""What a page is, once: its URL parameters and its content for any view.

A page module (``explorer/pages/views/<name>.py``) defines one ``View`` subclass and exposes an
instance as ``VIEW``. Its ``content(ds, state, links)`` returns a ``Content``: the page's
title and an ordered list of blocks. Three renderers draw the same blocks:

- the live dashboards (``explorer.app.dashboards.live``): each block becomes a widget, updated
  in place when the reader changes the view;
- the static site (``explorer.app.site``) and the briefings and handouts
  (``explorer.app.briefings``): each block becomes HTML (``explorer.render.document``).

So a page is written once. Links inside content are made by ``Links`` (``links.href(page,
**parameters)``), which each renderer supplies: notebook addresses live, files of the site
statically, anchors inside a briefing.

Blocks:

- ``Html``: trusted markup from the templates;
- ``Chart``: a plotly figure dict with its text alternative;
- ``Download``: a file built only when asked (live: on click; the static site writes it
  beside the page when ``static`` is set);
- ``Choice``: one value of a parameter picked from options (live: a drop-down; static: links
  to the static pages of the options that have one);
- ``FacetFilter``: checkbox filters over the declared facets (live only);
- ``Grid``: the evidence matrix as a keyboard-usable grid (live) or a table of links;
- ``Form``: the lessons exercise (live) or its printable worksheet.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from markupsafe import Markup

from ...data.load import Dataset
from ...evidence import query
from ...evidence.query.history import changes_since, release_dates
from ...render import html
from ...render.blocks import Content, Html, Links
from ..parameters import Parameter
from ..registry import PAGES
from ..state import ViewState

__all__ = ["View", "changes_since_html", "rating_summary"]


def changes_since_html(ds: Dataset, version: str, evidence_ids: Iterable[str]) -> Markup:
    """'Changed since version X': which of ``evidence_ids`` changed in strength or
    confidence since release ``version``, how and why (``query.history.changes_since``),
    and where every other change is listed."""
    changes = changes_since(ds, version, list(evidence_ids))
    levels = query.confidence.terms(ds, "confidence")
    records = query.evidence_records(ds).set_index("evidence_id")

    def level(value: object) -> str:
        return levels[value][0].lower() if isinstance(value, str) else "no confidence level"

    items = [{"what": f"{records.at[r.evidence_id, 'mechanism']!s} × "
                      f"{records.at[r.evidence_id, 'project']!s}",
              "then": (f"{query.strength_label(ds, r.then_strength).lower()}, "
                       f"{level(r.then_confidence)}" if isinstance(r.then_strength, str)
                       else "not yet rated"),
              "now": (f"{query.strength_label(ds, r.now_strength).lower()}, "
                      f"{level(r.now_confidence)}"),
              "why": r.why} for r in changes.itertuples()]
    dates = release_dates(ds)
    return html.render("changes.html.j2", since=version, since_date=dates.get(version, ""),
                       version=ds.version, date=ds.data_as_of, items=items)


def rating_summary(ds: Dataset, strengths: Iterable[object]) -> str:
    """How many ratings of each strength, strongest first: '2 evident, 1 sources silent'."""
    found = [str(s) for s in strengths]
    parts = [f"{found.count(s)} {query.strength_label(ds, s).lower()}"
             for s in query.STRENGTH_ORDER if s in found]
    return ", ".join(parts) or "no ratings"


class View:
    """A page's definition. Subclasses set ``name`` and implement ``content``.

    The static site pre-renders ``static_states`` (default: the default view), each as the
    file ``static_file`` names; ``static_parameters`` are the one-valued parameters that get
    a file of their own (e.g. the matrix's columns). ``briefing_states`` are the views a
    whole-programme briefing holds (default: none).
    """

    name = ""
    static_parameters: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """The page's title, from the registry."""
        return PAGES[self.name].title

    def describe(self, ds: Dataset, state: ViewState) -> str:
        """What the view shows, in words (for a citation and a document's title)."""
        return ""

    def statement(self, ds: Dataset, state: ViewState) -> str:
        """What the view says, as one citable sentence (the claim, not the page's name);
        '' when the page makes no claim of its own."""
        return ""

    def parameters(self, ds: Dataset) -> dict[str, Parameter]:
        """The page's own URL parameters, in URL order."""
        return {}

    def content(self, ds: Dataset, state: ViewState, links: Links) -> Content:
        """What the page shows for ``state``."""
        raise NotImplementedError

    def shown_ratings(self, ds: Dataset, state: ViewState) -> Iterable[str]:
        """The mechanism ratings (evidence ids) the view shows, for 'changed since'
        (default: none; pages that show ratings say which)."""
        return ()

    def page_content(self, ds: Dataset, state: ViewState, links: Links) -> Content:
        """``content``, opening with what has changed since the data version the address
        names (``version``), when it names an earlier one. Every renderer calls this."""
        content = self.content(ds, state, links)
        since = state.get("version")
        if not since or since == ds.version:
            return content
        block = Html("changes", changes_since_html(ds, since, self.shown_ratings(ds, state)))
        return dataclasses.replace(content, blocks=(block, *content.blocks))

    def static_states(self, ds: Dataset) -> Iterable[dict[str, str]]:
        """The views the static site writes a file for (parameters → value)."""
        return ({},)

    def default(self, ds: Dataset, parameter: str) -> str:
        """The value a static parameter takes when a view does not set it."""
        return ""

    def static_file(self, ds: Dataset, parameters: Mapping[str, str]) -> str:
        """The static site's file for a view: ``<name>[-<value>…].html``, where each value
        is one of ``static_parameters`` that differs from its default."""
        parts = [self.name]
        for name in self.static_parameters:
            value = parameters.get(name) or self.default(ds, name)
            if value and value != self.default(ds, name):
                parts.append(value)
        return "-".join(parts) + ".html"

    def static_anchor(self, ds: Dataset, parameters: Mapping[str, str]) -> str:
        """The anchor inside the static file that a view points at ('' for none)."""
        return ""

    def static_href(self, ds: Dataset, parameters: Mapping[str, str]) -> str:
        """The static page (and anchor) of a view."""
        anchor = self.static_anchor(ds, parameters)
        return self.static_file(ds, parameters) + (f"#{anchor}" if anchor else "")

    def briefing_states(self, ds: Dataset) -> Iterable[dict[str, str]]:
        """The views a whole-programme briefing includes, in order."""
        return ()
