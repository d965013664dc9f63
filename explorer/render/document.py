"""Standalone HTML documents: pages of the static site, briefings and handouts.

``blocks_html`` renders a page's content (``explorer.pages.views.base``) as plain HTML: markup as
it is, charts as figures drawn by the document's own plotly.js, choices as links to the
static pages of their options, the evidence grid as a table of links, the lessons form as
its worksheet. Controls that need a kernel (filters) are left out. ``document_html`` wraps
a body in one self-contained document: assets inline (briefings, handouts) or linked from
the static site's own folder. Nothing is fetched from anywhere.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

from markupsafe import Markup

from ..data.load import Dataset
from ..evidence.programme import Programme
from . import html
from .blocks import Chart, Choice, Content, Download, FacetFilter, Form, Grid, Html, Links
from .figures import PRINT_MAX_HEIGHT, PRINT_WIDTH, Figure, print_label_width

__all__ = [
    "PRINT_MAX_HEIGHT",
    "PRINT_WIDTH",
    "Rendered",
    "blocks_html",
    "chart_html",
    "charts_js",
    "document_html",
    "fit_for_print",
    "plotly_js",
    "print_label_width",
]

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
    return files("explorer.render").joinpath("templates", "charts.js").read_text(encoding="utf-8")


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


def chart_html(chart_id: str, figure: Figure, description: str, filename: str) -> Markup:
    """A figure as a ``chart`` fragment (drawn by the document's plotly.js)."""
    return html.fragment("chart", chart_id, figure, description, filename)




@dataclass
class Rendered:
    """A page's content as HTML: its body, whether it draws charts, and the files its
    static downloads need (``file name → builder``)."""

    body: Markup
    charts: bool = False
    files: dict[str, Any] = field(default_factory=dict)


def _choice_html(block: Choice, links: Links, page: str) -> Markup:
    if not block.static_links or not links.linked_files:
        return Markup("")
    options = [{"href": links.href(page, **{block.parameter: key}), "title": label,
                "current": key == block.value} for key, label in block.options]
    return html.render("choices.html.j2", label=block.label, options=options)


def blocks_html(ds: Dataset, content: Content, links: Links, page: str, *,
                prefix: str = "", printed: bool = False, file_stem: str = "",
                draw_charts: bool = True) -> Rendered:
    """``content`` as static HTML for ``page``.

    Args:
        prefix: makes chart ids unique inside a document that holds several pages.
        printed: size charts for an A4 page (briefings and handouts).
        file_stem: the static page's file name without ``.html``; a static download is
            written as ``<file_stem>-<filename>`` beside it. Empty: downloads are left out.
        draw_charts: False gives each chart as its text alternative only (a handout has no
            scripts at all).
    """
    parts: list[Markup] = []
    rendered = Rendered(Markup(""))
    for block in content.blocks:
        if isinstance(block, Html):
            if block.static:
                parts.append(block.markup)
        elif isinstance(block, Chart):
            if block.figure and not draw_charts:
                parts.append(html.render("chart_words.html.j2", figure=block.figure,
                                         description=block.description))
            elif block.figure:
                figure = fit_for_print(block.figure) if printed else block.figure
                parts.append(chart_html(f"{prefix}{block.key}", figure, block.description,
                                        block.filename))
                rendered.charts = True
        elif isinstance(block, Choice):
            parts.append(_choice_html(block, links, page))
        elif isinstance(block, Grid | Form):
            parts.append(block.static)
        elif isinstance(block, Download):
            if block.static and file_stem:
                name = f"{file_stem}-{block.filename}"
                rendered.files[name] = block.build
                parts.append(html.fragment("download_link", name, block.filename,
                                           block.label, "ctg-download"))
        elif isinstance(block, FacetFilter):
            continue
    rendered.body = Markup("\n").join(part for part in parts if part)
    return rendered


