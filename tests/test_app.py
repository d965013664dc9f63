"""Specifications of the dashboard wiring, checked in Python (the browser suite checks pages).

Widgets are real ipywidgets objects; only the browser is absent. What the page would show is
read from the widgets' values.
"""

from __future__ import annotations

import base64
import io
import re

import ipywidgets as w
import pandas as pd
import pytest

from explorer import app, query
from explorer.html import is_web_address
from explorer.query import Filters

PLANTED = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'


def html_of(widget) -> str:
    """All HTML a widget tree would put on the page."""
    parts = [widget.value] if isinstance(widget, w.HTML) else []
    for child in getattr(widget, "children", ()):
        parts.append(html_of(child))
    return "\n".join(parts)


def test_esc_escapes_markup_and_marks_not_found():
    assert app.esc(PLANTED).startswith("&lt;img src=x onerror=&quot;")
    assert app.esc("not found") == app.NOT_FOUND_HTML
    assert app.esc(None) == app.NOT_FOUND_HTML
    assert app.esc(pd.NA) == app.NOT_FOUND_HTML


@pytest.mark.parametrize("view", list(app.DASHBOARDS))
def test_every_dashboard_builds_on_the_embedded_data(ds, view):
    root = app.build(view, "", ds)
    assert "ctg-root" in root._dom_classes
    assert "could not be loaded" not in html_of(root)


def test_broken_data_shows_the_problems_not_a_traceback(mini_copy, monkeypatch):
    mini_copy.set_cell("projects", 3, "membership", PLANTED)
    monkeypatch.setenv("EXPLORER_DATA", str(mini_copy.path))
    page = html_of(app.build("matrix", ""))
    assert "The evidence data could not be loaded" in page
    assert 'projects.csv, line 3, column &quot;membership&quot;' in page
    assert "Traceback" not in page and "<img" not in page
    assert str(mini_copy.path) not in page  # where the data lives is the server's business


def test_an_unexpected_failure_while_building_is_a_calm_message(ds, monkeypatch):
    def explode(*_args, **_kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(query, "matrix", explode)
    page = html_of(app.build("matrix", "", ds))
    assert "Something went wrong while building this page" in page
    assert "secret internals" not in page


def test_html_planted_in_every_free_text_field_is_shown_as_text(mini_copy):
    """Free text from the data never becomes markup, on any dashboard."""
    import explorer

    for table, column in [("projects", "summary"), ("projects", "short_name"),
                          ("mechanism_evidence", "explanation"), ("findings", "text"),
                          ("outcomes", "description"), ("sources", "title"),
                          ("contexts", "description"), ("activities", "description"),
                          ("discrepancies", "description"), ("mechanisms", "label")]:
        for line in range(2, len(mini_copy.rows(table)) + 1):
            mini_copy.set_cell(table, line, column, PLANTED)
    ds = explorer.load(mini_copy.path)
    for view, query_string in [("overview", ""), ("matrix", "cell=patient_beliefs:alpha"),
                               ("story", "project=alpha"), ("compare", "project=alpha,beta"),
                               ("flows", ""), ("index", "")]:
        page = html_of(app.build(view, query_string, ds))
        assert "<img" not in page and "<script" not in page, view
        if view != "index":  # the start page shows no free text from the data
            assert "&lt;img src=x onerror=" in page, view


def test_url_notes_are_escaped_on_the_page(mini):
    page = html_of(app.build("matrix", "project=%3Cb%3Ebold%3C/b%3E", mini))
    assert "Ignored &#x27;&lt;b&gt;bold&lt;/b&gt;&#x27;: it is not a known project." in page


def test_matrix_controls_update_the_state_and_the_address(mini):
    dashboard = app.MatrixApp(mini, "")
    assert dashboard.url.query == ""
    dashboard.columns.value = "setting_type"
    dashboard.facets["strength"].value = ("partial",)
    assert dashboard.url.query == "?columns=setting_type&strength=partial"
    headers = [b.description for b in dashboard.grid.children
               if "ctg-colhead" in b._dom_classes]
    assert headers == ["Acute hospital", "Renal dialysis units", "General practice",
                       "Community mental health", "Maternity", "Not found"]
    dashboard.clear.click()
    assert dashboard.url.query == "?columns=setting_type"


def test_matrix_cell_click_lists_its_records_and_is_linkable(mini):
    dashboard = app.MatrixApp(mini, "")
    cell = next(b for b in dashboard.grid.children if "ctg-cell" in b._dom_classes
                and "Alpha" in b.tooltip and "professional" in b.tooltip)
    cell.click()
    assert dashboard.url.query == "?cell=professional_beliefs:alpha"
    shown = re.findall(r"<td>(a-ev-\d)</td>", dashboard.records.value)
    expected = query.cell_records(mini, "project", "professional_beliefs", "alpha")
    assert shown == list(expected["Record"]) == ["a-ev-2", "a-ev-3"]


def test_matrix_cells_show_strength_in_words_and_shape(mini):
    dashboard = app.MatrixApp(mini, "")
    labels = [b.description for b in dashboard.grid.children if "ctg-cell" in b._dom_classes]
    assert "● Evident (1)" in labels
    assert "◐ Partial (1)" in labels
    assert "– No evidence rows (0)" in labels


def test_csv_download_carries_exactly_the_reader_table(mini):
    dashboard = app.MatrixApp(mini, "strength=partial,evident")
    href = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"',
                     dashboard.download.value).group(1)
    downloaded = pd.read_csv(io.BytesIO(base64.b64decode(href)), keep_default_na=False)
    expected = query.reader_table(mini, Filters(strength=("partial", "evident")))
    assert downloaded.astype(str).equals(expected.astype(str))
    assert "Download these 3 records (CSV)" in dashboard.download.value


def test_the_handout_is_built_on_request_for_the_view_shown(mini):
    dashboard = app.MatrixApp(mini, "strength=evident")
    assert dashboard.handout_link.value == ""
    dashboard.handout.click()
    href = re.search(r'href="data:text/html;charset=utf-8;base64,([^"]+)"',
                     dashboard.handout_link.value).group(1)
    handout = base64.b64decode(href).decode("utf-8")
    assert handout == app.handout_html(mini, "?strength=evident")
    dashboard.columns.value = "setting_type"
    assert dashboard.handout_link.value == ""  # never a handout of a previous view


def test_a_control_change_reuses_the_grid_buttons_and_their_clicks(mini):
    dashboard = app.MatrixApp(mini, "")
    before = {id(b) for b in dashboard.grid.children}
    dashboard.columns.value = "setting_type"
    dashboard.columns.value = "project"
    assert {id(b) for b in dashboard.grid.children} == before
    cell = next(b for b in dashboard.grid.children if "ctg-cell" in b._dom_classes
                and "Alpha" in b.tooltip and "professional" in b.tooltip)
    cell.click()
    assert dashboard.url.query == "?cell=professional_beliefs:alpha"
    heading = next(b for b in dashboard.grid.children if "ctg-colhead" in b._dom_classes)
    assert heading._dom_classes == ("ctg-colhead",)  # no strength colour left from a cell


def test_matrix_cells_are_coloured_by_strength_class_with_shared_widgets(mini):
    dashboard = app.MatrixApp(mini, "")
    buttons = [b for b in dashboard.grid.children if isinstance(b, app.w.Button)]
    assert len({id(b.style) for b in buttons}) == len({id(b.layout) for b in buttons}) == 1
    for strength, (colour, *_rest) in app.figures.STRENGTH_STYLE.items():
        assert f".ctg-strength-{strength} {{ background-color: {colour};" in app.CSS


def test_a_failing_callback_shows_a_message_and_keeps_the_view(mini, monkeypatch):
    dashboard = app.MatrixApp(mini, "")
    before = dashboard.reader.value

    def explode(*_args, **_kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(query, "matrix", explode)
    dashboard.columns.value = "setting_type"
    assert "Something went wrong while updating this view" in dashboard.message.value
    assert "secret internals" not in dashboard.message.value
    assert dashboard.reader.value == before


def test_presentation_mode_toggles_a_class_and_the_link(mini):
    dashboard = app.OverviewApp(mini, "")
    dashboard.present.value = True
    assert "ctg-present" in dashboard.root._dom_classes
    assert dashboard.url.query == "?present=1"
    assert app.OverviewApp(mini, "present=1").present.value is True


def test_story_of_an_unidentified_project_says_so(mini):
    dashboard = app.StoryApp(mini, "project=gamma")
    assert "This project is <b>not identified</b>" in dashboard.summary.value
    assert dashboard.figure.layout.display == "none"


def test_story_follows_the_project_dropdown(mini):
    dashboard = app.StoryApp(mini, "")
    dashboard.project.value = "beta"
    assert dashboard.url.query == "?project=beta"
    assert "<h2>Beta</h2>" in dashboard.summary.value


def test_compare_highlights_same_activity_different_mechanisms(mini):
    dashboard = app.CompareApp(mini, "project=alpha,beta")
    assert dashboard.same.value.count('class="differs"') == 2
    dashboard.pickers[1].value = "gamma"
    assert dashboard.url.query == "?project=alpha,gamma"


def test_compare_with_fewer_than_two_projects_asks_for_more(mini):
    dashboard = app.CompareApp(mini, "")
    dashboard.pickers[1].value = "alpha"
    assert "Choose two or three different projects" in dashboard.message.value


def test_flows_filters_update_the_link(mini):
    dashboard = app.FlowsApp(mini, "")
    dashboard.facets["project"].value = ("beta",)
    assert dashboard.url.query == "?project=beta"
    assert "Staff training" in dashboard.table.value
    assert "patient beliefs" not in dashboard.table.value


def test_flows_lists_each_half_of_the_diagram_in_its_own_table(ds):
    dashboard = app.FlowsApp(ds, "")
    tables = re.findall(r"<table.*?</table>", dashboard.table.value, flags=re.S)
    assert len(tables) == 2
    first, second = tables
    assert "activity types to the mechanisms" in first and ">Activity type</th>" in first
    assert "mechanisms to the outcome domains" in second and ">Outcome domain</th>" in second
    assert "Activity type" not in second and "Outcome domain" not in first
    sources = re.findall(r"<tr><td>(.*?)</td>", first)
    assert sources == sorted(sources)  # grouped by activity type, as a reader scans it


def test_only_web_addresses_become_links(mini_copy):
    import explorer

    mini_copy.set_cell("sources", 2, "url", "https://example.org/ok")
    ds = explorer.load(mini_copy.path)
    html = app.citations_html(ds, ds.projects.source_ids.iloc[0])
    assert 'href="https://example.org/ok"' in html
    assert not is_web_address("javascript:alert(1)")


def test_compare_chart_follows_the_order_the_projects_were_picked(mini):
    dashboard = app.CompareApp(mini, "project=beta,alpha")
    axis = list(dashboard.figure.figure.layout.xaxis.categoryarray)
    assert axis == ["Beta", "Alpha"]
    assert "<th scope=\"col\">Beta</th><th scope=\"col\">Alpha</th>" in dashboard.table.value
