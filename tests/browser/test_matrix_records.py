"""The matrix lists the evidence behind what the user chooses, and downloads what it shows."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from browser_kit import query_of, shown_ids, table_column, tick
from playwright.sync_api import expect

from explorer.evidence import query
from explorer.evidence.query import Filters
from explorer.pages.views.matrix import records_filename

pytestmark = pytest.mark.browser


def cell_button(page, ds, mechanism_id, column_id, columns="project"):
    """The grid button of one cell (its tooltip starts 'mechanism × column:')."""
    mechanism = query.facet_options(ds, "mechanism")[mechanism_id]
    column = query.facet_options(ds, columns)[column_id]
    return page.locator(f'.ctg-cell[aria-label^="{mechanism} × {column}:"]')


def record_ids(ds, mechanism_id=None, column_id=None, columns="project", filters=None):
    return list(query.cell_records(ds, columns, mechanism_id, column_id, filters)["Record"])


def test_cell_click_lists_its_records(web, ds):
    """Choosing a cell lists exactly the evidence records behind it, and the address bar gains
    ?cell=<mechanism>:<project>."""
    page = web.open("matrix")
    expected = record_ids(ds, "professional_beliefs", "shared-haemodialysis")
    button = cell_button(page, ds, "professional_beliefs", "shared-haemodialysis")
    expect(button).to_contain_text(f"{len(expected)} records)")  # "(1 rated of 2 records)"

    button.click()

    expect(page).to_have_url(re.compile(r"[?&]cell=professional_beliefs:shared-haemodialysis"))
    expect(page.locator(".ctg-records caption")).to_have_text(f"{len(expected)} records")
    assert shown_ids(page, ".ctg-records") == expected


def test_row_heading_click_lists_the_mechanism_records(web, ds):
    """Choosing a mechanism's row heading lists every record for that mechanism, and the
    address bar gains ?cell=<mechanism>: (no column)."""
    page = web.open("matrix")
    label = query.facet_options(ds, "mechanism")["systems_processes"]

    page.locator(".ctg-rowhead", has_text=label).click()

    expect(page).to_have_url(re.compile(r"[?&]cell=systems_processes:(&|$)"))
    expected = record_ids(ds, "systems_processes")
    expect(page.locator(".ctg-records caption")).to_have_text(f"{len(expected)} records")
    assert shown_ids(page, ".ctg-records") == expected
    assert set(table_column(page, ".ctg-records", 1)) == {label}


def test_column_heading_click_lists_the_column_records(web, ds):
    """Choosing a column heading (here a setting) lists every record for it, and the address
    bar gains ?cell=:<column>."""
    page = web.open("matrix", "columns=setting_type")
    label = query.facet_options(ds, "setting_type")["acute_hospital"]

    page.locator(".ctg-colhead", has_text=label).click()

    expect(page).to_have_url(re.compile(r"[?&]cell=:acute_hospital(&|$)"))
    expected = record_ids(ds, None, "acute_hospital", columns="setting_type")
    expect(page.locator(".ctg-records caption")).to_have_text(
        f"{len(expected)} record" + ("" if len(expected) == 1 else "s"))
    assert shown_ids(page, ".ctg-records") == expected


def test_cell_click_respects_the_filters(web, ds):
    """With a strength filter on, a column heading lists only that column's records of that
    strength."""
    page = web.open("matrix", "strength=partial")
    label = query.facet_options(ds, "project")["shared-haemodialysis"]

    page.locator(".ctg-colhead", has_text=label).click()

    expect(page).to_have_url(re.compile(r"cell=:shared-haemodialysis"))
    expected = record_ids(ds, None, "shared-haemodialysis", filters=Filters(strength=("partial",)))
    expect(page.locator(".ctg-records caption")).to_contain_text(str(len(expected)))
    assert shown_ids(page, ".ctg-records") == expected


def test_keyboard_tab_to_a_cell_and_enter_lists_records(web, ds):
    """A keyboard user can Tab to a cell of the grid and press Enter to list its records."""
    page = web.open("matrix")
    page.locator(".ctg-root h1").click()  # start from the page, not the address bar

    for _ in range(120):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.classList.contains('ctg-cell')"):
            break
    else:
        pytest.fail("Tab never reached a cell of the matrix")
    focused = page.locator(".ctg-cell:focus")
    expect(focused).to_be_focused()
    title = focused.get_attribute("aria-label")

    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"[?&]cell=[a-z_]+:[a-z0-9-]+"))
    mechanism_id, _, column_id = query_of(page)["cell"].partition(":")
    labels = (query.facet_options(ds, "mechanism")[mechanism_id],
              query.facet_options(ds, "project")[column_id])
    assert title.startswith(" × ".join(labels) + ":"), "Enter chose another cell than focused"
    expected = record_ids(ds, mechanism_id, column_id)
    expect(page.locator(".ctg-records caption")).to_be_visible()
    if expected:
        assert shown_ids(page, ".ctg-records") == expected
    else:
        expect(page.locator(".ctg-records")).to_contain_text("nothing to show")


def test_csv_download_equals_the_records_shown(web, ds):
    """With a filter applied, 'Download N records (CSV)' saves exactly the records in the
    'All matching records' table, in readable columns with the dataset's version."""
    chosen = ("pathway", "speaking-up")
    page = web.open("matrix")
    tick(page, "project", *chosen)
    tick(page, "strength", "evident", "partial")
    filters = Filters(project=chosen, strength=("evident", "partial"))
    expected = query.reader_table(ds, filters)
    expect(page).to_have_url(re.compile(r"strength=evident,partial"))
    expect(page.locator(".ctg-reader caption")).to_have_text(
        f"{len(expected)} matching evidence records")
    button = page.get_by_role("button", name=f"Download {len(expected)} records (CSV)")

    with page.expect_download() as download_info:
        button.click()
    download = download_info.value

    assert download.suggested_filename == records_filename(ds, filters)
    with open(download.path(), encoding="utf-8") as handle:
        saved = pd.read_csv(io.StringIO(handle.read()), dtype=str, keep_default_na=False)
    assert list(saved["Record id"]) == shown_ids(page, ".ctg-reader") == list(expected["Record"])
    assert list(saved["Project"]) == list(expected["Project"])
    assert set(saved["Dataset version"]) == {ds.version}
    assert {"Setting", "Context", "Rating", "Contested", "Confidence", "Sources",
            "Source addresses"} <= set(saved.columns)


def test_the_csv_of_a_chosen_cell_holds_exactly_its_records(web, ds):
    """After choosing a cell, the download is that cell's records (here acute hospital ×
    organisational culture), not every record."""
    page = web.open("matrix", "columns=setting_type")
    page.locator(".ctg-cell[data-key='culture_environment:acute_hospital']").click()
    expected = list(query.cell_records(ds, "setting_type", "culture_environment",
                                       "acute_hospital")["Record"])
    button = page.get_by_role("button", name=re.compile(
        rf"^Download the {len(expected)} records? behind "))
    with page.expect_download() as download_info:
        button.click()
    assert download_info.value.suggested_filename == (
        "evidence-organisational-culture-and-environment-acute-hospital.csv")
    with open(download_info.value.path(), encoding="utf-8") as handle:
        saved = pd.read_csv(io.StringIO(handle.read()), dtype=str, keep_default_na=False)
    assert list(saved["Record id"]) == expected


IN_VIEW_JS = """(node) => { const box = node.getBoundingClientRect();
  return box.top >= 0 && box.top < window.innerHeight; }"""


@pytest.mark.parametrize("how", ["mouse", "keyboard"])
def test_choosing_a_cell_brings_its_evidence_into_view_and_focus_to_it(web, ds, how):
    """On a projector-sized screen, choosing a cell with the mouse or the keyboard scrolls
    its evidence into view and moves focus to it; its own download follows its records."""
    page = web.new_page()
    page.set_viewport_size({"width": 1366, "height": 768})
    web.open("matrix", "columns=setting_type", page=page, chart=False)
    heading = page.locator("#ctg-records-title")
    assert not heading.evaluate(IN_VIEW_JS)  # below the fold before the choice
    cell = page.locator(".ctg-cell[data-key='culture_environment:acute_hospital']")
    if how == "mouse":
        cell.click()
    else:
        cell.focus()
        page.keyboard.press("Enter")
    expect(heading).to_have_text("Evidence records: Organisational culture and environment "
                                 "× Acute hospital")
    expect(heading).to_be_focused()
    assert heading.evaluate(IN_VIEW_JS)
    records = page.locator(".ctg-records")
    button = page.get_by_role("button", name=re.compile(r"^Download the \d+ records? behind "))
    below = button.bounding_box()["y"] - (records.bounding_box()["y"]
                                          + records.bounding_box()["height"])
    assert 0 <= below < 40  # right after the chosen evidence
