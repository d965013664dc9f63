"""Specifications of a live page's first response (``explorer.serve.first_view``): the view the
address asks for, drawn on the server from the page's own content and sent before the kernel
starts; hostile addresses handled as the live page handles them; nothing sent when Voila's
own answer must be the whole page."""

from __future__ import annotations

import threading
from html import unescape
from types import SimpleNamespace

import nbformat
import pytest
from markupsafe import escape
from process_kit import run_coroutine

from explorer import query
from explorer.app.notebooks import notebook_text
from explorer.pages.registry import PAGES, live_pages
from explorer.pages.state import parse_query
from explorer.serve import first_view
from explorer.serve.first_view import (
    FIRST_VIEW_KEY,
    STARTING,
    first_view_html,
    notebook_page,
    opening_html,
    prelaunch_hook,
)

CHOSEN_CELL = "columns=setting_type&cell=systems_processes:acute_hospital"
HOSTILE = "cell=<script>alert(1)</script>&columns=\"><img src=x onerror=alert(2)>"


class FakeRequest:
    def __init__(self, query: str) -> None:
        self.query = query
        self.path = "/voila/render/matrix.ipynb"


class FakeHandler:
    """What Voila's handler offers a prelaunch hook: the request, write and flush."""

    def __init__(self, query: str = "", manager: object = None) -> None:
        self.request = FakeRequest(query)
        self.kernel_manager = manager
        self.written: list[str] = []
        self.flushed = 0

    def write(self, chunk: str) -> None:
        self.written.append(chunk)

    def flush(self) -> None:
        self.flushed += 1


def page_notebook(name: str) -> nbformat.NotebookNode:
    """The notebook ``python -m explorer notebooks`` writes for page ``name``."""
    return nbformat.reads(notebook_text(PAGES[name]), as_version=4)


def test_a_chosen_cell_opens_with_its_columns_its_cell_and_its_records(ds):
    """The opening of the matrix by setting, acute hospital chosen, already holds the page's
    heading, the grid by setting with that cell chosen, and that cell's records."""
    opening = opening_html(ds, "matrix", CHOSEN_CELL)
    assert "<h1>Mechanisms × contexts</h1>" in opening
    assert 'data-key=":acute_hospital"' in opening  # the columns are the settings
    assert 'data-key="systems_processes:acute_hospital" tabindex="-1"' in opening
    chosen = opening.split('data-key="systems_processes:acute_hospital"')[0].rsplit(
        "<button", 1)[1]
    assert "ctg-selected" in chosen
    records = query.cell_records(ds, "setting_type", "systems_processes", "acute_hospital")
    assert len(records) == 2
    for why in records["Why this rating"]:
        assert str(escape(why)) in opening
    assert STARTING in opening


@pytest.mark.parametrize("name", [spec.name for spec in live_pages()])
def test_every_live_page_opens_with_its_view(ds, name):
    """Every live page's opening is one document head and the page's own heading, drawn from
    the same content the live page shows, with the status line in place of its tools."""
    opening = opening_html(ds, name, "")
    assert opening.count("<!DOCTYPE html>") == 1
    assert f'data-page="{name}"' in opening
    assert 'role="status">The controls are starting.</p>' in opening
    assert '<a href="' + PAGES[name].notebook + '" aria-current="page">' in opening
    assert "<h1>" in opening


def test_story_of_another_project_is_that_projects_story(ds):
    """A story address names its project, and the opening is that project's story."""
    project = ds.tables["projects"].iloc[1]
    opening = opening_html(ds, "story", f"project={project.project_id}")
    assert str(escape(project.short_name)) in opening


def test_hostile_parameters_get_the_live_pages_notes_and_are_escaped(ds):
    """A hostile address gets exactly the notes the live page's parser gives (same code),
    each escaped, and the default view; no markup from the address reaches the page."""
    opening = opening_html(ds, "matrix", HOSTILE)
    assert "<script>alert" not in opening and "<img src=x" not in opening
    notes = parse_query(ds, "matrix", HOSTILE).notes
    assert len(notes) == 2
    for note in notes:
        assert str(escape(note)) in opening
    assert "The default is shown instead." in opening
    assert unescape(opening).count("alert(1)") == 1  # the note, and nowhere else


def test_a_presentation_address_gets_no_first_view(ds):
    """A projected view follows its steps: its first response is Voila's own page."""
    assert opening_html(ds, "matrix", "present=1&step=2") == ""


def test_the_first_view_links_to_the_read_only_page_when_one_is_served(ds, monkeypatch):
    """With ``$EXPLORER_STATIC_URL`` set, the first view links to the same view's read-only
    page (the way out if the kernel never comes); without it there is no such link."""
    state = parse_query(ds, "matrix", CHOSEN_CELL)
    monkeypatch.delenv("EXPLORER_STATIC_URL", raising=False)
    assert "Read-only version" not in first_view_html(ds, "matrix", state)
    monkeypatch.setenv("EXPLORER_STATIC_URL", "https://static.example.org/")
    shown = first_view_html(ds, "matrix", state)
    assert 'href="https://static.example.org/matrix-setting_type.html#' in shown


def test_notebook_page_is_the_page_its_build_call_names():
    """A page's notebook is recognised by its ``build("<page>")`` call; any other notebook
    is not one of the explorer's pages."""
    for spec in live_pages():
        assert notebook_page(page_notebook(spec.name)) == spec.name
    other = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('hi')")])
    assert notebook_page(other) == ""


def test_the_hook_sends_the_opening_and_marks_the_notebook(ds):
    """The prelaunch hook writes the view's opening, flushes it (so it leaves before the
    kernel starts) and marks the notebook so the template writes the rest of that document."""
    handler = FakeHandler(CHOSEN_CELL)
    notebook = page_notebook("matrix")
    assert prelaunch_hook(handler, notebook, "notebooks") is notebook
    assert notebook.metadata[FIRST_VIEW_KEY] is True
    assert handler.flushed == 1
    assert "".join(handler.written) == opening_html(ds, "matrix", CHOSEN_CELL)


def test_the_hook_leaves_the_page_to_voila_at_the_kernel_cap():
    """At the kernel cap Voila's 'busy, retrying' page must be the whole answer: nothing is
    written first."""
    handler = FakeHandler("", manager=SimpleNamespace(load=4, kernel_cap=4))
    notebook = page_notebook("matrix")
    assert prelaunch_hook(handler, notebook, "notebooks") is None
    assert handler.written == [] and FIRST_VIEW_KEY not in notebook.metadata


def test_the_hook_leaves_other_notebooks_and_preheated_renders_alone():
    """A notebook that is not an explorer page, or a render with no reader (preheating),
    gets Voila's page unchanged."""
    other = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    handler = FakeHandler()
    assert prelaunch_hook(handler, other, "notebooks") is None
    assert prelaunch_hook(None, page_notebook("matrix"), "notebooks") is None
    assert handler.written == []


def test_a_failing_first_view_falls_back_to_voilas_page(monkeypatch, caplog):
    """If the view cannot be drawn, the failure is logged and the reader gets Voila's page
    (nothing written, the notebook unmarked): no traceback reaches the browser."""
    def broken(name, query_string):
        raise RuntimeError("boom")

    monkeypatch.setattr(first_view.OPENINGS, "opening", broken)
    handler = FakeHandler(CHOSEN_CELL)
    notebook = page_notebook("matrix")
    assert prelaunch_hook(handler, notebook, "notebooks") is None
    assert handler.written == [] and FIRST_VIEW_KEY not in notebook.metadata
    assert "could not render the first view" in caplog.text


def test_distinct_hostile_addresses_share_the_default_views_one_kept_opening(ds, monkeypatch):
    """Hundreds of distinct hostile query strings keep at most one opening per real view
    (each falls back to the default view), and each still gets its own escaped notes."""
    monkeypatch.setattr(first_view, "OPENINGS", first_view._Openings())
    names = [spec.name for spec in live_pages()]
    for number in range(150):
        for name in names:
            hostile = f"<script>x{number}</script>=1&cell=<b>{number}</b>"
            opening = first_view.OPENINGS.opening(name, hostile)
            assert f"x{number}" in unescape(opening) and "<script>x" not in opening
            assert "Traceback" not in opening
    assert len(first_view.OPENINGS) <= len(names)


def test_the_opening_of_an_address_is_its_canonical_views_with_its_own_notes(ds):
    """An address whose parameters come in another order, or with an unknown one, is served
    the same view as its canonical address; only the notes differ."""
    canonical = first_view.OPENINGS.opening("matrix", CHOSEN_CELL)
    reordered = "cell=systems_processes:acute_hospital&columns=setting_type"
    assert first_view.OPENINGS.opening("matrix", reordered) == canonical
    noted = first_view.OPENINGS.opening("matrix", CHOSEN_CELL + "&nonsense=1")
    assert "Ignored the unknown setting" in noted and "nonsense" not in canonical
    assert canonical == opening_html(ds, "matrix", CHOSEN_CELL)


def test_the_opening_is_rendered_in_a_worker_thread_not_on_the_event_loop(monkeypatch):
    """``render_opening`` draws the view in one of the first view's worker threads, so the
    server's event loop goes on serving while it is drawn."""
    threads: list[str] = []

    def recording(name, query_string):
        threads.append(threading.current_thread().name)
        return "opening"

    monkeypatch.setattr(first_view.OPENINGS, "opening", recording)

    async def run() -> str:
        return await first_view.render_opening("matrix", "")

    assert run_coroutine(run()) == "opening"
    assert threads and threads[0].startswith("explorer-first-view")
    assert first_view._RENDERS._max_workers == first_view.RENDER_THREADS


def test_the_hook_writes_the_opening_its_handler_prepared(ds):
    """A handler that prepared the opening off the event loop has the hook write that, and
    the hook renders nothing itself."""
    handler = FakeHandler(CHOSEN_CELL)
    handler.explorer_opening = ("matrix", "<p>prepared</p>")
    notebook = page_notebook("matrix")
    assert prelaunch_hook(handler, notebook, "notebooks") is notebook
    assert handler.written == ["<p>prepared</p>"]


def test_the_page_handler_knows_a_live_page_by_its_notebooks_address():
    """The handler finds the live page a Voila address opens; any other address is none."""
    assert first_view._page_at("matrix.ipynb") == "matrix"
    assert first_view._page_at("sub/story.ipynb") == "story"
    assert first_view._page_at("other.ipynb") == ""
