"""A live page's first response: its view at once, rendered on the server, then the widgets.

Voila (0.5) starts a page's kernel before it sends the page's first byte, so a reader used to
look at "Loading…" for the seconds a kernel takes (longer while a room of readers arrives at
once and kernels start two at a time). Yet every view's content already exists as the same
page content the static site renders (``explorer.pages.views``). This module sends it first, at
Voila's own extension points and without touching Voila's internals:

- ``prelaunch_hook`` is Voila's ``VoilaConfiguration.prelaunch_hook``, which Voila calls with
  the request's handler before it starts the kernel. It parses the address exactly as the
  live page does (``explorer.pages.state.parse_query``: the same code, so a hostile parameter gets
  the same note and the same default view), renders that view's content as HTML
  (``first_view_html``), writes the opening of the page (head, styles, the view) to the
  response and flushes it, then marks the notebook (``FIRST_VIEW_KEY`` in its metadata) so
  that the explorer's Voila template writes the rest of the same document instead of a
  second opening. ``explorer.serve.server.ExplorerVoila`` installs it unless a hook is configured.
- The view is drawn from the same blocks as the live widgets, in the same markup and classes
  the widgets draw (the grid as ``js/grid.js`` draws it), so when the widgets are ready the
  page swaps one for the other in place (``templates/first_view.js``): until then the live
  view is laid out but hidden (invisible to screen readers too), and the first view is
  removed in the same frame the live one appears, so nothing is read twice. Until then a
  status line says plainly that the controls are starting; if the kernel never comes, it
  says so and offers the read-only page (``$EXPLORER_STATIC_URL``) or a reload.

Rendering never runs on the server's event loop, and a flood of addresses cannot grow what
it keeps: ``FirstViewHandler`` (the page handler ``explorer.serve.server.ExplorerVoila`` serves)
renders the opening in ``prepare``, awaiting a pool of ``RENDER_THREADS`` threads (the bound
on concurrent renders), before Voila's ``get`` calls the hook, which then only writes it. An
address is first read into the view's canonical parameters (``explorer.pages.state.to_query``), and
openings are kept by those: every unknown or hostile address falls back to the default view
and shares its entry, so at most one entry per real view (``CACHE_SIZE`` in all); the notes
such an address earns are set into the kept opening as it is sent, escaped.

Nothing is sent first when the page could not be served anyway (the kernel cap is reached:
Voila answers with its "busy, retrying" page), for presentation mode (a projected view
follows its steps), for a notebook that is not one of the explorer's pages, or when anything
fails (logged; the page is then Voila's plain page).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from importlib.resources import files
from typing import Any

from markupsafe import Markup, escape
from voila.tornado.handler import TornadoVoilaHandler

from ..app.outputs import LiveLinks
from ..data.load import Dataset, load
from ..evidence.programme import Programme
from ..pages.registry import PAGES, live_pages, static_href, static_url
from ..pages.state import ViewState, parse_query, to_query
from ..render import html
from ..render.blocks import Chart, Choice, Content, Download, FacetFilter, Form, Grid, Html

__all__ = ["FIRST_VIEW_KEY", "FirstViewHandler", "first_view_html", "notebook_page",
           "opening_html", "prelaunch_hook", "render_opening", "warm"]

log = logging.getLogger("explorer.serve.first_view")

#: The notebook metadata key that tells the explorer's Voila template the opening was sent.
FIRST_VIEW_KEY = "explorer_first_view"
#: Rendered openings kept (address → HTML), per dataset version on disk.
CACHE_SIZE = 128
#: What stands where the page's tools will be, until they work (short: one line on a phone).
STARTING = "The controls are starting."
#: Openings rendered at once, each in a worker thread (never on the server's event loop).
RENDER_THREADS = 2
#: Stands for a hostile address's notes in a kept opening; replaced as the opening is sent.
_NOTES_MARK = "\x00ctg-first-view-notes\x00"

_BUILD_CALL = re.compile(r"""\bbuild\(\s*["']([a-z_]+)["']""")


# -- the view ------------------------------------------------------------------------------

def _macro(name: str, *args: Any) -> Markup:
    """Call the macro ``name`` of ``templates/first_view.html.j2`` (autoescaped)."""
    macro = getattr(html.environment().get_template("first_view.html.j2").module, name)
    return Markup(macro(*args))


def _grid_html(block: Grid) -> Markup:
    """The grid as ``js/grid.js`` draws it (same elements and classes), so that the live grid
    replaces it in place. Its buttons wait for the kernel (``first_view.js`` says so)."""
    grid = block.grid
    columns = grid.get("columns", [])
    rows = []
    for r, (row_id, row_label, definition) in enumerate(grid.get("rows", [])):
        cells = []
        for c, (column_id, column_label) in enumerate(columns):
            strength, rated, records, contested, kind, level = grid["cells"][
                r * len(columns) + c]
            strength_label, symbol = block.styles.get(strength, [strength, ""])
            label = (grid.get("kinds", {}).get(kind, strength_label)
                     if kind == "project_not_identified" else strength_label)
            counted = html.count_text(rated, records)
            level_label, marks = grid.get("levels", {}).get(level, ["", ""])
            spoken = (f"{row_label} × {column_label}: {label}"
                      + (f", {counted}" if counted else ", no records")
                      + ("; contested: the team's repeated codings differed" if contested
                         else "")
                      + (f"; {level_label.lower()}" if level_label else "")
                      + ". Choose to list the evidence.")
            cells.append({"key": f"{row_id}:{column_id}", "strength": strength,
                          "rating": f"{symbol} {label}", "counted": counted,
                          "contested": contested, "level": level, "level_label": level_label,
                          "marks": marks, "spoken": spoken})
        rows.append({"key": f"{row_id}:", "label": row_label,
                     "title": (f"{row_label}: {definition} Choose to list all its evidence."
                               if definition else f"All evidence for {row_label}"),
                     "cells": cells})
    return _macro("grid", grid, columns, rows, block.selected)


def _chart_html(block: Chart) -> Markup:
    if not block.figure:
        return Markup("")
    title = block.figure.get("layout", {}).get("title", "")
    title = title.get("text", "") if isinstance(title, dict) else str(title)
    return _macro("chart", Markup(title).striptags() or "Chart", block.description)


def _block_html(ds: Dataset, block: Any) -> Markup:
    if isinstance(block, Html):
        return _macro("block", block.markup, block.css) if block.live else Markup("")
    if isinstance(block, Grid):
        return _grid_html(block)
    if isinstance(block, Chart):
        return _chart_html(block)
    if isinstance(block, Choice):
        options = ([("", block.blank)] if block.blank is not None else []) + list(block.options)
        value = block.value or (block.default if block.slot is None else "")
        return _macro("choice", block.label, options, value,
                      f"ctg-{block.key}" if block.slot is None else f"ctg-pick-{block.slot + 1}")
    if isinstance(block, Download):
        return _macro("button", block.label, block.help)
    if isinstance(block, FacetFilter):
        chosen = [f"{facet['label']}: {option['label']}" for facet in block.facets
                  for option in facet["options"]
                  if option["id"] in block.value.get(facet["name"], ())]
        return _macro("filters", chosen)
    if isinstance(block, Form):
        return block.static
    raise TypeError(f"no first view for {type(block).__name__}")  # pragma: no cover


def first_view_html(ds: Dataset, name: str, state: ViewState) -> Markup:
    """The live page ``name`` in view ``state`` as the live widgets draw it, without them:
    the navigation bar (its page links work; a status line stands where the tools will be),
    the read-only page's link when one is configured, the notes a hostile address earns (as
    the live page words them) and every block of the view's content."""
    view = PAGES[name].view()
    content: Content = view.page_content(ds, state, LiveLinks())
    notes = (Markup(escape(" ".join(state.notes))) + " The default is shown instead."
             if state.notes else "")
    base = static_url()
    parameters = {key: values[0] for key, values in state.values.items() if len(values) == 1}
    readonly = base + static_href(ds, name, **parameters) if base else ""
    return _macro(
        "view", name, STARTING, notes, readonly,
        [{"href": spec.notebook, "title": spec.title, "current": spec.name == name}
         for spec in live_pages()],
        [_block_html(ds, block) for block in content.blocks])


@cache
def _first_view_js() -> str:
    return files("explorer.render").joinpath("templates", "first_view.js").read_text(
        encoding="utf-8")


def opening_html(ds: Dataset, name: str, query_string: str) -> str:
    """The opening of a live page: the document's head with the explorer's styles, and its
    body up to the end of the first view (and the script that hands it over to the widgets).
    '' for a presentation-mode address (the projected view follows its steps)."""
    state = parse_query(ds, name, query_string)
    return _with_notes(_canonical_opening(ds, name, state), state)


def _canonical_opening(ds: Dataset, name: str, state: ViewState) -> str:
    """The opening of ``state``'s view with a mark where its notes go: the same for every
    address that reads as the same view, so one entry of the cache serves them all."""
    if state.presenting:
        return ""
    programme = Programme.of(ds)
    marked = ViewState(state.view, state.values, (_NOTES_MARK,), state.order)
    return str(_macro("opening", f"{PAGES[name].title} · {programme.text('site_title')}",
                      html.inline_stylesheet(), first_view_html(ds, name, marked),
                      Markup(_first_view_js())))


def _with_notes(opening: str, state: ViewState) -> str:
    """``opening`` with ``state``'s notes (escaped) where the mark is, or without the note's
    block when there are none (the mark's block as ``first_view.html.j2`` writes it)."""
    if not opening:
        return ""
    block = str(_macro("notes_block", Markup(_NOTES_MARK) + " The default is shown instead."))
    notes = (str(_macro("notes_block", " ".join(state.notes) + " The default is shown instead."))
             if state.notes else "")
    return opening.replace(block, notes)


# -- serving it --------------------------------------------------------------------------

class _Openings:
    """The dataset the server reads and the openings already rendered, both renewed when the
    data on disk changes (``provisioner.source_fingerprint``'s test, data folder only)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: object = None
        self._ds: Dataset | None = None
        self._made: OrderedDict[tuple[str, str], str] = OrderedDict()

    def opening(self, name: str, query_string: str) -> str:
        from ..data.read import data_path
        from .provisioner import folder_fingerprint

        key = folder_fingerprint(data_path())
        with self._lock:
            if key != self._key or self._ds is None:
                self._ds, self._key = load(), key
                self._made.clear()
            ds = self._ds
        state = parse_query(ds, name, query_string)
        canonical = (name, to_query(state))
        with self._lock:
            made = self._made.get(canonical)
            if made is not None:
                self._made.move_to_end(canonical)
        if made is None:
            made = _canonical_opening(ds, name, state)
            with self._lock:
                self._made[canonical] = made
                while len(self._made) > CACHE_SIZE:
                    self._made.popitem(last=False)
        return _with_notes(made, state)

    def __len__(self) -> int:
        """How many openings are kept."""
        return len(self._made)


OPENINGS = _Openings()
_RENDERS = ThreadPoolExecutor(max_workers=RENDER_THREADS,
                              thread_name_prefix="explorer-first-view")


async def render_opening(name: str, query_string: str) -> str:
    """``OPENINGS.opening`` in one of ``RENDER_THREADS`` worker threads: the event loop goes
    on serving other readers (and kernels' messages) while a view is drawn."""
    return await asyncio.get_running_loop().run_in_executor(
        _RENDERS, OPENINGS.opening, name, query_string)


def warm(pages: tuple[str, ...] = ()) -> threading.Thread:
    """Load the data and render each live page's default opening in a background thread
    (``explorer.serve.server`` calls it at start), so the first reader does not wait for it. The
    thread runs at the lowest CPU priority (Linux: per thread), behind the server's requests
    and the kernels' preloader, which start at the same time."""
    def run() -> None:
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        try:
            for name in pages or tuple(spec.name for spec in live_pages()):
                OPENINGS.opening(name, "")
        except Exception:  # the hook tries again, and logs, when a reader comes
            log.warning("could not prepare the pages' first views", exc_info=True)

    thread = threading.Thread(target=run, name="explorer-first-views", daemon=True)
    thread.start()
    return thread


def notebook_page(notebook: Any) -> str:
    """The explorer page a notebook opens (the name its ``build("…")`` call gives), or ''
    when it is not one of the live explorer's pages."""
    for cell in notebook.get("cells", ()):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        match = _BUILD_CALL.search("".join(source) if isinstance(source, list) else source)
        if match and match.group(1) in PAGES and PAGES[match.group(1)].live:
            return match.group(1)
    return ""


def _at_capacity(handler: Any) -> bool:
    """Whether the server's kernel manager would refuse this page a kernel (its own "busy"
    page must then be the whole answer)."""
    manager = getattr(handler, "kernel_manager", None)
    load_now, cap = getattr(manager, "load", None), getattr(manager, "kernel_cap", None)
    return isinstance(load_now, int) and isinstance(cap, int) and load_now >= cap


def _page_at(path: str) -> str:
    """The live page whose notebook a Voila page address opens (``…/matrix.ipynb``), or ''."""
    file = path.rsplit("/", 1)[-1]
    return next((spec.name for spec in live_pages() if spec.notebook == file), "")


class FirstViewHandler(TornadoVoilaHandler):
    """Voila's page handler, which renders the first view before Voila's ``get`` runs: in
    ``prepare`` (which tornado awaits), in a worker thread (``render_opening``); the hook then
    writes what was made (``explorer_opening``: the page's name and its opening)."""

    explorer_opening: tuple[str, str] | None = None

    async def prepare(self, *args: Any, **kwargs: Any) -> None:
        """Jupyter's checks, then the opening of the page asked for, if it is a live page."""
        await super().prepare(*args, **kwargs)
        if self._finished or self.request.method != "GET":
            return
        name = _page_at(str(getattr(self, "notebook_path", None)
                            or (self.path_args[0] if self.path_args else "")))
        if not name:
            return
        try:
            self.explorer_opening = (name, await render_opening(
                name, str(self.request.query or "")))
        except Exception:  # the hook tries once more, and logs, with the same address
            log.warning("could not prepare the first view of %s", self.request.path,
                        exc_info=True)


def prelaunch_hook(handler: Any, notebook: Any, cwd: str) -> Any:
    """Voila's ``prelaunch_hook``: send the page's opening with its view, before the kernel
    starts, and mark the notebook so that the template writes the rest (see the module's
    docstring). Returns the notebook (or None: Voila's page unchanged)."""
    if handler is None or getattr(handler, "request", None) is None:
        return None  # a preheated render has no reader yet
    try:
        name = notebook_page(notebook)
        if not name or _at_capacity(handler):
            return None
        prepared = getattr(handler, "explorer_opening", None)
        opening = (prepared[1] if prepared and prepared[0] == name
                   else OPENINGS.opening(name, str(handler.request.query or "")))
    except Exception:  # the reader still gets Voila's own page
        log.exception("could not render the first view of %s", handler.request.path)
        return None
    if not opening:
        return None
    handler.write(opening)
    handler.flush()
    notebook.metadata[FIRST_VIEW_KEY] = True
    return notebook
