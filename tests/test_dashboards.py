"""Specifications of the dashboards' wiring, checked in Python (the browser suite checks pages).

Widgets are real ipywidgets and anywidgets; only the browser is absent. What a page would
show is read from the widgets' values, and a reader's clicks are the messages the browser
would send (``_handle``) or the values a control would take.
"""

from __future__ import annotations

import io
import re

import ipywidgets as w
import pandas as pd
import pytest

import explorer
from explorer.app.briefings import handout_html
from explorer.app.dashboards import PAGES, App, ErrorPage, build
from explorer.app.dashboards.frame import CALM_MESSAGE
from explorer.app.dashboards.widgets import Chart, EvidenceGrid, FacetFilters, FileDownload
from explorer.evidence import query
from explorer.evidence.appraisal import cell_kinds
from explorer.evidence.query import Filters
from explorer.pages.registry import live_pages
from explorer.render.html import confidence_styles

PLANTED = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'


def html_of(widget: w.Widget) -> str:
    """All HTML a widget tree would put on the page (HTML widgets and chart descriptions)."""
    parts = [widget.value] if isinstance(widget, w.HTML) else []
    for child in getattr(widget, "children", ()):
        parts.append(html_of(child))
    return "\n".join(parts)


def page_html(app: App) -> str:
    """What the page on show holds as HTML."""
    return html_of(app.current.widget)


def open_app(ds: explorer.Dataset, name: str, query_string: str = "") -> App:
    """The explorer opened on ``name``, raising any error (strict)."""
    app = build(name, query_string, ds, strict=True)
    assert isinstance(app, App)
    return app


def navigate(app: App, page: str, query_string: str = "", history: str = "push") -> None:
    """What the browser sends when the reader follows a link (or goes back/forward)."""
    app.navigation._handle(app.navigation, {"type": "navigate", "page": page,
                                            "query": query_string, "history": history}, None)


def grid_of(app: App) -> EvidenceGrid:
    return next(c for c in app.current.body.children if isinstance(c, EvidenceGrid))


def widget(app: App, key: str) -> w.Widget:
    """The widget of the page's block ``key`` (e.g. ``records``, ``columns``)."""
    return app.current.widgets[key]


def fetch(download: FileDownload) -> tuple[dict, bytes]:
    """What the browser receives when the reader presses a download button."""
    sent = []
    download.send = lambda content, buffers=None: sent.append((content, buffers))
    download._handle(download, {"type": "request"}, None)
    ((content, buffers),) = sent
    assert content["type"] == "file", content
    return content, bytes(buffers[0])


def select(app: App, key: str) -> None:
    """What the browser sends when the reader chooses a grid cell or heading."""
    grid = grid_of(app)
    grid._handle(grid, {"type": "select", "key": key}, None)


def filters_of(app: App) -> FacetFilters:
    return next(c for c in app.current.body.children if isinstance(c, FacetFilters))


@pytest.mark.parametrize("name", [spec.name for spec in live_pages()])
def test_every_page_builds_on_the_embedded_data(ds, name):
    """Each registered page opens, shows its own title, and draws a chart when it should."""
    app = open_app(ds, name)
    assert "ctg-root" in app.widget._dom_classes
    assert app.current.name == name
    assert app.navigation.page == name
    assert app.navigation.title.startswith(PAGES[name].title + " · ")
    assert bool(app.figures) is PAGES[name].chart


def test_moving_between_pages_keeps_one_app_and_follows_the_address(ds):
    """A link switches the view inside the same kernel; back and forward do too."""
    app = open_app(ds, "overview")
    root = app.widget
    navigate(app, "story", "?project=pathway")
    assert app.current.name == "story" and app.widget is root
    assert (app.navigation.page, app.navigation.query) == ("story", "?project=pathway")
    assert app.navigation.history == "push"
    navigate(app, "overview", "", history="none")  # the browser's back button
    assert app.current.name == "overview" and app.navigation.history == "none"


def test_returning_to_a_view_reuses_its_page_and_a_new_view_replaces_it(ds):
    """One page object per page name: the same view is shown again, another rebuilds it."""
    app = open_app(ds, "story", "project=pathway")
    first = app.current
    navigate(app, "overview")
    navigate(app, "story", "?project=pathway")
    assert app.current is first
    navigate(app, "story", "?project=peer-support")
    assert app.current is not first and app.current.state.get("project") == "peer-support"


def test_a_link_to_an_unknown_page_is_a_message_not_a_crash(ds):
    """A tampered link inside the page names no page: the reader is told, the view stays."""
    app = build("overview", "", ds, strict=False)
    assert isinstance(app, App)
    navigate(app, "../../etc/passwd")
    assert app.current.name == "overview"
    assert "There is no page called" in app.current.message.value


def test_the_heartbeat_is_answered(ds):
    """The browser pings; the kernel answers, so the page knows the server is there."""
    app = open_app(ds, "index")
    sent = []
    app.navigation.send = sent.append  # what would go to the browser
    app.navigation._handle(app.navigation, {"type": "ping"}, None)
    assert sent == [{"type": "pong"}]


def test_the_page_pings_every_10_s_and_gives_up_after_25_s_unless_a_test_says_otherwise():
    """The heartbeat's defaults are the site's (10 s, 25 s); only ``window.ctgHeartbeat``,
    which browser tests set, shortens them, and never below 100 ms."""
    from explorer.app.dashboards.widgets import Navigation

    module = Navigation._esm
    assert "const PING_EVERY_MS = 10000;" in module
    assert "const LOST_AFTER_MS = 25000;" in module
    assert "const SHORTEST_MS = 100;" in module
    assert "window.ctgHeartbeat" in module


def test_broken_data_shows_the_problems_not_a_traceback(mini_copy, monkeypatch):
    """The page lists each problem with its place; no traceback, no server path, no markup."""
    mini_copy.set_cell("projects", 3, "membership", PLANTED)
    monkeypatch.setenv("EXPLORER_DATA", str(mini_copy.path))
    shown = build("matrix", "", strict=False)
    assert isinstance(shown, ErrorPage)
    page = html_of(shown.widget)
    assert "The evidence data could not be loaded" in page
    assert "projects.csv, line 3, column &#34;membership&#34;" in page
    assert "Traceback" not in page and "<img" not in page
    assert str(mini_copy.path) not in page


def test_strict_mode_raises_what_a_public_page_would_hide(mini_copy, monkeypatch):
    """Under test (strict) a broken page fails loudly instead of becoming a message."""
    mini_copy.set_cell("projects", 3, "membership", "maybe")
    monkeypatch.setenv("EXPLORER_DATA", str(mini_copy.path))
    with pytest.raises(explorer.DataError):
        build("matrix", "", strict=True)
    monkeypatch.setenv("EXPLORER_STRICT", "1")
    with pytest.raises(explorer.DataError):
        build("matrix", "")


def test_an_unexpected_failure_while_building_is_a_calm_message(ds, monkeypatch):
    """Outside strict mode an unexpected error is one calm sentence, never its details."""
    def explode(*_args, **_kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(query, "matrix", explode)
    shown = build("matrix", "", ds, strict=False)
    assert isinstance(shown, ErrorPage)
    assert "Something went wrong while building this page" in html_of(shown.widget)
    assert "secret internals" not in html_of(shown.widget)


def test_html_planted_in_every_free_text_field_is_shown_as_text(mini_copy):
    """Free text from the data never becomes markup, on any page."""
    for table, column in [("projects", "summary"), ("projects", "short_name"),
                          ("mechanism_evidence", "explanation"), ("findings", "text"),
                          ("outcomes", "description"), ("sources", "title"),
                          ("contexts", "description"), ("activities", "description"),
                          ("discrepancies", "description"), ("mechanisms", "label"),
                          ("texts", "text")]:
        for line in range(2, len(mini_copy.rows(table)) + 1):
            mini_copy.set_cell(table, line, column, PLANTED)
    ds = explorer.load(mini_copy.path)
    for name, query_string in [("overview", ""), ("matrix", "cell=patient_beliefs:alpha"),
                               ("story", "project=alpha"), ("compare", "project=alpha,beta"),
                               ("flows", ""), ("index", ""),
                               ("lessons", "relationship_type=person_system&mechanism="
                                           "professional_beliefs&foundation=leadership:partly")]:
        app = open_app(ds, name, query_string)
        page = page_html(app)
        assert "<img" not in page and "<script" not in page, name
        assert "&lt;img src=x onerror=" in page, name


def test_url_notes_are_escaped_on_the_page(mini):
    """A hostile parameter is quoted in the note as text."""
    page = page_html(open_app(mini, "matrix", "project=%3Cb%3Ebold%3C/b%3E"))
    assert "Ignored &#39;&lt;b&gt;bold&lt;/b&gt;&#39;: it is not a known project." in page


def test_matrix_controls_update_the_state_and_the_address(mini):
    """Columns and filter ticks change the grid and the shareable address."""
    app = open_app(mini, "matrix")
    assert app.navigation.query == ""
    widget(app, "columns").value = "setting_type"
    filters_of(app).value = {"strength": ["partial"]}
    assert app.navigation.query == "?columns=setting_type&strength=partial"
    assert [label for _, label in grid_of(app).frame["columns"]] == [
        "Acute hospital", "Renal dialysis units", "General practice",
        "Community mental health", "Maternity", "Setting not reported"]
    filters_of(app).value = {}  # "Clear all filters"
    assert app.navigation.query == "?columns=setting_type"


def test_filter_counts_say_how_many_records_each_value_would_show(mini):
    """Counts follow the other groups' ticks: the count of a value is what ticking it shows."""
    app = open_app(mini, "matrix", "project=beta")
    facets = filters_of(app).options()
    assert facets["strength"] == {"evident": 0, "partial": 1, "not_evident": 0,
                                  "not_reported": 0}
    assert facets["project"] == {"alpha": 3, "beta": 1, "gamma": 0}


def test_matrix_cell_choice_lists_its_records_and_is_linkable(mini):
    """Choosing a cell lists exactly its records and puts the cell in the address."""
    app = open_app(mini, "matrix")
    select(app, "professional_beliefs:alpha")
    assert app.navigation.query == "?cell=professional_beliefs:alpha"
    assert grid_of(app).selected == "professional_beliefs:alpha"
    shown = re.findall(r"<code>(a-ev-\d)</code>", widget(app, "records").value)
    expected = query.cell_records(mini, "project", "professional_beliefs", "alpha")
    assert shown == list(expected["Record"]) == ["a-ev-2", "a-ev-3"]


def test_the_grid_sends_strengths_and_counts_for_every_cell(mini):
    """The grid gets one [strength, rated, records, contested] per cell, row by row, and
    each strength's label and symbol: the browser shows strength in words and shape, not
    colour alone, and counts that say what they count."""
    grid = grid_of(open_app(mini, "matrix"))
    rows, columns = grid.frame["rows"], grid.frame["columns"]
    assert len(grid.table()) == len(grid.cells) == len(rows) * len(columns)
    assert grid.table()[0][:5] == ["evident", 1, 1, 0, "rated"]
    assert grid.table()[0][5] in grid.frame["levels"]  # a confidence level, in words
    assert grid.styles["partial"] == ["Partial", "◆"]
    assert grid.styles["no_rows"] == ["No records", "–"]


def test_a_filter_tick_resends_only_what_it_changed(mini):
    """A tick sends the grid's cells and the filters' counts, not the labels of every
    column, row and option again (at 700 projects those were two thirds of a tick); a new
    choice of columns sends the new headings."""
    app = open_app(mini, "matrix")
    grid, filters = grid_of(app), filters_of(app)
    sent: list[str] = []
    for each in (grid, filters):
        each.observe(lambda change: sent.append(change["name"]),
                     names=["frame", "looks", "cells", "facets", "counts"])
    filters.value = {"strength": ["partial"]}
    assert "frame" not in sent and "facets" not in sent
    assert {"cells", "counts"} <= set(sent)
    sent.clear()
    widget(app, "columns").value = "setting_type"
    assert "frame" in sent


def test_the_grid_sends_each_distinct_cell_once(mini):
    """Cells alike are one entry of ``looks``: the grid of a package with hundreds of
    projects is a list of small numbers, and the browser draws exactly the cells the view
    built."""
    app = open_app(mini, "matrix")
    grid = grid_of(app)
    block = next(b for b in app.current.content.blocks if b.key == "grid")
    assert grid.table() == [list(cell) for cell in block.grid["cells"]]
    assert len(grid.looks) == len({tuple(cell) for cell in block.grid["cells"]})
    assert len(grid.looks) < len(grid.cells)


def test_a_grid_of_hundreds_of_columns_is_one_widget_and_no_unreadable_chart(mini):
    """However many columns the data has, the grid is one widget; past the chart's limit
    the chart is left out with a note instead of drawn unreadable."""
    from explorer.render.figures import MAX_CHART_COLUMNS

    app = open_app(mini, "matrix")
    page = app.current
    wide = query.matrix(mini, "project")
    many = pd.concat([wide.assign(column_id=wide.column_id + str(i),
                                  column=wide.column + str(i))
                      for i in range(MAX_CHART_COLUMNS)], ignore_index=True)
    original = query.matrix
    query.matrix = lambda *_a, **_k: many  # type: ignore[assignment]
    try:
        page.render()
    finally:
        query.matrix = original  # type: ignore[assignment]
    assert len(grid_of(app).frame["columns"]) > MAX_CHART_COLUMNS
    assert page.charts["matrix"].figure == {}
    assert "The chart is left out" in widget(app, "chart-note").value


def test_csv_download_carries_exactly_the_records_the_filters_keep(mini):
    """The CSV, built when asked, holds the records the reader sees, record for record, in
    readable columns with the dataset's version, in a file named after the filters."""
    app = open_app(mini, "matrix", "strength=partial,evident")
    content, data = fetch(widget(app, "csv"))
    downloaded = pd.read_csv(io.BytesIO(data), keep_default_na=False)
    expected = query.reader_table(mini, Filters(strength=("partial", "evident")))
    assert list(downloaded["Record id"]) == list(expected["Record"])
    assert set(downloaded["Dataset version"]) == {mini.version}
    assert {"Project", "Setting", "Context", "Mechanism", "Rating", "Contested",
            "Sources", "Source addresses"} <= set(downloaded.columns)
    assert content["filename"] == "evidence-strength-is-partial-or-evident.csv"
    assert widget(app, "csv").label == "Download 3 records (CSV)"


def test_the_csv_of_a_chosen_cell_holds_exactly_its_records_beside_them(mini):
    """After choosing a cell, its own download sits right after its evidence, is named after
    it and holds that cell's records; the one under all matching records still holds all."""
    app = open_app(mini, "matrix")
    select(app, "professional_beliefs:alpha")
    content, data = fetch(widget(app, "chosen-csv"))
    downloaded = pd.read_csv(io.BytesIO(data), keep_default_na=False)
    assert list(downloaded["Record id"]) == ["a-ev-2", "a-ev-3"]
    assert "the 2 records behind professional beliefs × Alpha" in widget(app, "chosen-csv").label
    assert content["filename"] == "evidence-professional-beliefs-alpha.csv"
    children = list(app.current.body.children)
    assert children.index(widget(app, "chosen-csv")) == children.index(widget(app, "records")) + 1
    _, everything = fetch(widget(app, "csv"))
    assert len(pd.read_csv(io.BytesIO(everything))) == len(query.reader_table(mini))


def test_the_download_is_not_sent_with_each_redraw(mini):
    """A filter tick sends no file: the CSV travels only when the reader asks for it."""
    app = open_app(mini, "matrix")
    assert "data:" not in page_html(app)
    filters_of(app).value = {"strength": ["partial"]}
    assert "data:" not in page_html(app)


def test_a_long_reader_table_lists_its_first_rows_and_the_csv_has_them_all(mini,
                                                                          monkeypatch):
    """Past ``MAX_READER_ROWS`` the page lists the first records and says so; the CSV
    download still carries every matching record."""
    from explorer.pages.views import matrix

    monkeypatch.setattr(matrix, "MAX_READER_ROWS", 2)
    mini.derived_cache.clear()  # the reader table of this view is kept per dataset
    try:
        app = open_app(mini, "matrix", "strength=partial,evident")
        expected = query.reader_table(mini, Filters(strength=("partial", "evident")))
        assert len(expected) == 3
        reader = widget(app, "reader").value
        listed = re.findall(r"<code>([^<]+)</code>", reader)
        assert listed == list(expected["Record"][:2])
        assert "3 matching evidence records; the first 2 are listed here (narrow the " \
               "choices to see others), and the CSV download has all 3" in reader
        _, data = fetch(widget(app, "csv"))
        downloaded = pd.read_csv(io.BytesIO(data), keep_default_na=False)
        assert list(downloaded["Record id"]) == list(expected["Record"])
    finally:
        mini.derived_cache.clear()


def test_the_handout_is_built_on_request_for_the_view_shown(mini):
    """The printable handout of any page is built only when asked, for the view on show."""
    app = open_app(mini, "matrix", "strength=evident")
    content, data = fetch(app.handout)
    assert data.decode("utf-8") == handout_html(mini, "?strength=evident", page="matrix")
    assert content["filename"] == "matrix-handout.html"
    widget(app, "columns").value = "setting_type"
    _, data = fetch(app.handout)
    assert "by settings" in data.decode("utf-8")


def test_a_failing_callback_shows_a_message_and_keeps_the_view(mini, monkeypatch):
    """Outside strict mode a failure in a control's callback is one calm sentence."""
    app = build("matrix", "", mini, strict=False)
    assert isinstance(app, App)
    page = app.current
    before = widget(app, "reader").value

    def explode(*_args, **_kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(query, "matrix", explode)
    widget(app, "columns").value = "setting_type"
    assert CALM_MESSAGE in page.message.value
    assert "secret internals" not in page.message.value
    assert widget(app, "reader").value == before
    assert app.navigation.query == ""  # the address still describes what is shown


def test_presentation_mode_is_a_class_and_part_of_the_link_on_every_page(mini):
    """Presentation mode enlarges the whole explorer and stays on as the reader moves."""
    app = open_app(mini, "overview")
    app.navigation.presenting = True  # the reader pressed "Presentation mode"
    assert "ctg-present" in app.widget._dom_classes
    assert app.navigation.query == "?present=1"
    navigate(app, "story", "?project=alpha")
    assert app.navigation.query == "?project=alpha&present=1"
    assert open_app(mini, "overview", "present=1").navigation.presenting is True


def test_the_citation_says_what_the_view_shows_and_whose_coding_it_is(ds):
    """'Cite this view' gets everything but the address, which only the browser knows:
    the view's claim in one sentence, the caveat that the ratings are the curators' coding
    and not the evaluator's, the authors, the site, page and view, the dataset version."""
    app = open_app(ds, "matrix", "columns=setting_type&cell=culture_environment:acute_hospital")
    citation = app.navigation.citation
    assert citation.startswith("Organisational culture and environment × Acute hospital: rated ")
    assert ("The ratings are the coding of the Closing the Gap evidence explorer curators, not "
            "findings of OPM (Office for Public Management).") in citation
    assert "Closing the Gap evidence explorer curators. Closing the Gap evidence explorer: " \
           "Mechanisms × contexts: by settings, all evidence records; evidence for " \
           "Organisational culture and environment × Acute hospital" in citation
    assert citation.endswith(f"Dataset version {ds.version}, data as of {ds.data_as_of}.")
    story = open_app(ds, "story", "project=pathway").navigation.citation
    assert story.startswith("Pathway homeless care (UCLH): 4 mechanism ratings (")


def test_a_cited_cell_or_heading_says_how_far_to_trust_each_rating(ds):
    """The citation of a chosen cell states its rating, records and confidence in words, as
    the cell shows them; a chosen heading's names every cell under it with the same."""
    levels = {level: style["label"].lower() for level, style in confidence_styles(ds).items()}
    cells = cell_kinds(ds, query.matrix(ds, "setting_type"), "setting_type")
    acute = cells[cells.column_id == "acute_hospital"]
    app = open_app(ds, "matrix", "columns=setting_type&cell=systems_processes:acute_hospital")
    cell = acute[acute.mechanism_id == "systems_processes"].iloc[0]
    assert app.navigation.citation.startswith(
        "Systems and processes × Acute hospital: rated partial (2 records, contested: the "
        f"team's repeated codings differed), {levels[cell.confidence]}.")
    heading = open_app(ds, "matrix", "columns=setting_type&cell=:acute_hospital")
    said = heading.navigation.citation.split(". The ratings are")[0]
    assert said.startswith("Acute hospital: ")
    for row in acute.itertuples():
        assert f"{row.mechanism} rated {row.strength_label.lower()} (" in said
        if row.confidence:  # a cell the sources are silent on has no level to state
            assert said.count(levels[row.confidence]) >= 1


def test_story_of_an_unidentified_project_says_so(mini):
    """A project no source names is shown as not identified, with no chart."""
    page = open_app(mini, "story", "project=gamma").current
    assert "This project is <b>not identified</b>" in page.widgets["summary"].value
    assert page.charts["story"].figure == {}


def test_story_follows_the_project_dropdown(mini):
    """Choosing another project redraws the story and the address."""
    app = open_app(mini, "story")
    widget(app, "project").value = "beta"
    assert app.navigation.query == "?project=beta"
    assert "<h2>Beta</h2>" in widget(app, "summary").value


def test_story_shows_later_evidence_next_to_the_claim_it_bears_on(ds):
    """Pathway's 2016 trial appears beside the programme-era bed-days figure."""
    details = widget(open_app(ds, "story", "project=pathway"), "details").value
    card = details[details.index('<div class="ctg-figure-number">30%</div>'):]
    card = card[:card.index('<div class="ctg-card ctg-outcome">', 1)
                if '<div class="ctg-card ctg-outcome">' in card[1:] else None]
    assert "Later evidence" in card and "randomised" in card.lower()


def test_compare_puts_the_chosen_projects_side_by_side_and_marks_differences(mini):
    """Ratings stand in adjacent columns in pick order; rows that differ are highlighted
    and every rating links to its evidence."""
    app = open_app(mini, "compare", "project=beta,alpha")
    table = widget(app, "side-by-side").value
    assert ('<th scope="col" role="columnheader">Beta</th>'
            '<th scope="col" role="columnheader">Alpha</th>') in table
    assert 'class="differs"' in table
    assert 'href="matrix.ipynb?cell=patient_beliefs:beta"' in table
    assert app.current.charts["compare"].figure["layout"]["xaxis"]["categoryarray"] == [
        "Beta", "Alpha"]


def test_compare_highlights_same_activity_different_mechanisms(mini):
    """Shared activity types with different mechanisms are highlighted rows."""
    app = open_app(mini, "compare", "project=alpha,beta")
    assert widget(app, "same").value.count('class="differs"') == 2
    widget(app, "pick-2").value = "gamma"
    assert app.navigation.query == "?project=alpha,gamma"


def test_compare_with_fewer_than_two_projects_asks_for_more(mini):
    """One project cannot be compared: the page says so."""
    app = open_app(mini, "compare")
    widget(app, "pick-2").value = "alpha"
    assert "Choose two or three different projects" in page_html(app)


def test_flows_filters_update_the_link_and_the_tables(mini):
    """Ticking a project narrows the flows and goes into the address."""
    app = open_app(mini, "flows")
    filters_of(app).value = {"project": ["beta"]}
    assert app.navigation.query == "?project=beta"
    assert "Staff training" in widget(app, "tables").value
    assert "patient beliefs" not in widget(app, "tables").value


def test_flows_lists_each_half_of_the_diagram_in_its_own_table(ds):
    """One table per stage of the diagram, sorted the way a reader scans it."""
    tables = re.findall(r"<table.*?</table>", widget(open_app(ds, "flows"), "tables").value,
                        flags=re.S)
    assert len(tables) == 2
    first, second = tables
    assert "activity types to the mechanisms" in first and ">Activity type</th>" in first
    assert "mechanisms to the outcome domains" in second and ">Outcome domain</th>" in second
    sources = re.findall(r"<tr><td>(.*?)</td>", first)
    assert sources == sorted(sources)


def test_overview_leads_with_the_answer_then_what_is_uncertain(ds):
    """Headline findings come first, then the evidence at a glance, then the uncertainties."""
    page = page_html(open_app(ds, "overview"))
    found = page.index("What the evaluation found")
    glance = page.index("The evidence at a glance")
    uncertain = page.index("What is uncertain")
    details = page.index("projects</h2>")
    assert found < glance < uncertain < details
    assert 'href="matrix.ipynb?cell=patient_beliefs:pathway"' in page
    assert "could not be identified" in page


def test_charts_are_plain_figure_dicts_that_plotly_accepts(ds):
    """Every chart a page sends is a valid plotly figure, built without graph_objects."""
    import plotly.graph_objects as go

    for spec in live_pages():
        for figure in open_app(ds, spec.name).figures.values():
            go.Figure(figure)  # raises on anything plotly would reject


def test_a_chart_slot_is_redrawn_in_place(mini):
    """A control change sends a new figure to the same chart widget (no new output)."""
    app = open_app(mini, "matrix")
    chart = app.current.charts["matrix"]
    before = chart.figure
    widget(app, "columns").value = "setting_type"
    assert isinstance(chart, Chart) and app.current.charts["matrix"] is chart
    assert chart.figure != before
    assert chart.description.startswith("Matrix of 2 mechanisms by 6 settings.")


@pytest.mark.parametrize("name", [spec.name for spec in live_pages()])
def test_another_programmes_package_drives_every_page_in_its_own_words(other, ds, name):
    """An invented programme (four projects, three mechanisms, its own texts) fills every
    page, and none of this programme's names or counts appear."""
    from conftest import programme_words

    app = open_app(other, name)
    page = page_html(app) + app.navigation.title + app.navigation.citation
    assert "Bridging Care" in page or name not in ("index", "overview")
    shown = [word for word in programme_words(ds) if word.lower() in page.lower()]
    assert shown == []


def test_another_programmes_handout_is_in_its_own_words(other, ds):
    """The printable handout of the invented programme names only that programme."""
    from conftest import programme_words

    page = handout_html(other)
    assert "Bridging Care Partnerships" in page
    assert [w for w in programme_words(ds) if w.lower() in page.lower()] == []


def test_the_programme_word_list_would_catch_this_programme(ds):
    """The check above can fail: on this programme's own overview, its words are there."""
    from conftest import programme_words

    page = page_html(open_app(ds, "overview")).lower()
    assert sum(word.lower() in page for word in programme_words(ds)) >= 5


def test_a_shared_activity_with_no_linked_context_says_so(mini):
    """A blank context cell would read as missing data: the table says no context is linked."""
    from explorer.evidence import query
    from explorer.render import content

    same = query.same_activity_different_mechanisms(mini).assign(contexts="")
    assert content.NO_LINKED_CONTEXT in content.same_activity_table(same)


def test_a_readers_kernel_imports_no_database_library_until_a_room_is_used():
    """SQLAlchemy (~110 ms and ~12 MB a kernel) is for the presenter's room: a reader who
    opens and moves between pages never loads it; opening the room store does."""
    import subprocess
    import sys

    script = ("import sys\n"
              "from explorer.dashboards import build\n"
              "app = build('overview')\n"
              "for name in ('matrix', 'story', 'compare', 'flows', 'lessons', 'index'):\n"
              "    app.open(name, '')\n"
              "print('sqlalchemy' in sys.modules)\n"
              "from explorer.rooms import RoomStore\n"
              "print('sqlalchemy' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["False", "True"]


def test_plain_widgets_share_one_layout_and_style(mini):
    """A page's HTML blocks, boxes and explorer widgets share one default layout (and the
    HTML blocks one style) instead of two more widgets each, the messages the server carries
    when a page is first shown; the read-only box, which hides itself, has its own."""
    app = open_app(mini, "matrix")
    page = app.current
    plain = [x for x in page.widgets.values() if isinstance(x, (w.HTML, EvidenceGrid,
                                                                  FacetFilters, Chart))]
    plain += [page.widget, page.body]
    assert len(plain) > 5
    assert len({id(x.layout) for x in plain}) == 1
    assert len({id(x.style) for x in plain if isinstance(x, w.HTML)}) == 1
    assert app.readonly.layout is not page.body.layout
    navigate(app, "story")
    assert app.current.body.layout is page.body.layout  # the next page shares it too


def test_a_closed_shared_layout_is_replaced(mini):
    """After every widget is closed (as an analyst's ``Widget.close_all()`` does), a new
    explorer opens with a fresh shared layout rather than a closed one."""
    from explorer.app.dashboards.widgets import shared

    open_app(mini, "overview")
    before = shared(w.Layout)
    w.Widget.close_all()
    app = open_app(mini, "overview")
    assert app.current.body.layout is not before
    assert app.current.body.layout.comm is not None
