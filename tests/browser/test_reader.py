"""The policy reader's path: the front door, the answer first, filters anyone can use, a
compare page that compares, a citation ready to paste, and downloads safe to open.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from browser_kit import (
    assert_no_voila_error,
    checkbox,
    copy_data,
    open_filters,
    query_of,
    shown_ids,
    wait_ready,
)
from playwright.sync_api import expect

from explorer.evidence import query
from explorer.evidence.query import Filters

pytestmark = pytest.mark.browser


def test_a_phones_citation_opens_at_its_claim_with_how_far_to_trust_it(web, ds):
    """On a phone, 'Cite this view' for a chosen cell opens its box at the start (the claim,
    not the address at its end), and the claim says the cell's confidence in words."""
    page = web.new_page()
    page.set_viewport_size({"width": 375, "height": 812})
    web.open("matrix", "columns=setting_type&cell=systems_processes:acute_hospital",
             page=page, chart=False)
    page.locator(".ctg-cite-button").click()
    box = page.locator(".ctg-citation")
    expect(box).to_be_focused()
    citation = box.input_value()
    level = query.confidence.terms(ds, "confidence")
    words = {key: label.lower() for key, (label, *_rest) in level.items()}
    assert citation.startswith("Systems and processes × Acute hospital: rated partial (")
    assert any(f"), {word}." in citation for word in words.values())
    assert box.evaluate("node => node.scrollTop") == 0
    assert box.evaluate("node => node.scrollHeight > node.clientHeight")  # it does scroll


def test_the_root_address_opens_the_start_page_not_a_file_list(web, voila):
    """A reader typing the server's address lands on the start page, titled as such."""
    page = web.new_page()
    page.goto(voila.base + "/")
    expect(page).to_have_url(re.compile(r"/voila/render/index\.ipynb$"), timeout=30_000)
    wait_ready(page, chart=False)
    body = page.locator("body").inner_text()
    assert "Select items to open" not in body and ".ipynb" not in body
    expect(page).to_have_title(re.compile(r"^Start · "))
    expect(page.locator(".ctg-pages a")).not_to_have_count(0)
    page.goto(voila.base + "/voila/tree/")  # any folder address does the same
    expect(page).to_have_url(re.compile(r"/voila/render/index\.ipynb$"), timeout=30_000)


def test_from_the_overview_a_summary_cell_reaches_its_evidence_in_two_clicks(web, ds):
    """Click 1 (a rating in 'The evidence at a glance') opens the matrix with that cell's
    records listed; the records are exactly the cell's. Click 2 is 'Cite this view'."""
    page = web.open("overview", chart=False)
    link = page.locator('.ctg-ratings a[href="matrix.ipynb?cell=systems_processes:pathway"]')
    expect(link).to_be_visible()

    link.click()

    expect(page).to_have_url(re.compile(r"/matrix\.ipynb\?cell=systems_processes:pathway$"))
    expected = list(query.cell_records(ds, "project", "systems_processes", "pathway")["Record"])
    expect(page.locator(".ctg-records caption")).to_have_text(
        f"{len(expected)} record" + ("" if len(expected) == 1 else "s"))
    assert shown_ids(page, ".ctg-records") == expected

    page.locator(".ctg-cite-button").click()

    citation = page.locator(".ctg-citation").input_value()
    assert f"Dataset version {ds.version}, data as of {ds.data_as_of}." in citation
    assert "Mechanisms × contexts" in citation
    # What the view says, whose coding it is, and the local address named as such.
    assert citation.startswith("Systems and processes × Pathway homeless care (UCLH): rated ")
    assert "The ratings are the coding of the Closing the Gap evidence explorer curators, " \
           "not findings of OPM" in citation
    assert page.url in citation  # no read-only site configured: the page's own address ...
    assert f"{page.url}&version={ds.version} (accessed" in citation  # ... naming its version
    expect(page.locator(".ctg-cite-local")).to_contain_text("only works on this computer")


def test_filter_chips_work_from_the_keyboard_with_right_counts(web, ds):
    """Tab to a filter box, press Space: the records, the address and a removable chip
    follow; the counts beside each value are what ticking it would show."""
    page = web.open("matrix")
    open_filters(page)
    counts = query.facet_counts(ds, Filters())
    for strength, expected in counts["strength"].items():
        label = checkbox(page, "strength", strength).locator("xpath=..")
        expect(label.locator(".ctg-count")).to_have_text(f" ({expected})")

    box = checkbox(page, "strength", "partial")
    box.focus()
    page.keyboard.press("Space")

    expect(page).to_have_url(re.compile(r"[?&]strength=partial(&|$)"))
    chip = page.locator(".ctg-chip")
    expect(chip).to_have_text(["Strength: Partial ✕"])
    records = query.reader_table(ds, Filters(strength=("partial",)))
    expect(page.locator(".ctg-reader caption")).to_have_text(
        f"{len(records)} matching evidence records")
    narrowed = query.facet_counts(ds, Filters(strength=("partial",)))["project"]
    for project, expected in narrowed.items():
        label = checkbox(page, "project", project).locator("xpath=..")
        expect(label.locator(".ctg-count")).to_have_text(f" ({expected})")

    chip.focus()
    page.keyboard.press("Enter")  # remove the filter from its chip

    expect(page).not_to_have_url(re.compile(r"strength="))
    expect(page.locator(".ctg-chip")).to_have_count(0)
    expect(box).not_to_be_checked()


def test_compare_shows_the_chosen_projects_in_adjacent_columns(web, ds):
    """The chosen projects stand next to each other on one scale, the differing rows are
    highlighted, and each rating links to its evidence."""
    names = query.facet_options(ds, "project")
    page = web.open("compare", "project=pathway,peer-support,speaking-up")
    table = page.locator(".ctg-side-by-side table")
    expect(table.locator("thead th")).to_have_text(
        ["Mechanism", names["pathway"], names["peer-support"], names["speaking-up"]])
    wide = query.compare_projects(ds, ["pathway", "peer-support", "speaking-up"])
    differing = sum(len(set(row)) > 1 for _, row in wide.iterrows())
    expect(table.locator("tbody tr.differs")).to_have_count(differing)
    link = table.locator('a[href="matrix.ipynb?cell=culture_environment:peer-support"]')
    expect(link).to_have_count(1)
    box = table.locator("thead th").nth(1).bounding_box()
    nxt = table.locator("thead th").nth(2).bounding_box()
    assert abs((box["x"] + box["width"]) - nxt["x"]) < 2, "columns are not side by side"
    chart = page.locator(".ctg-figure .main-svg").first.bounding_box()
    assert chart["width"] < 1000, "the compare chart should be compact"


@pytest.fixture(scope="module")
def formula_server(tmp_path_factory, voila_factory):
    """A server whose data holds spreadsheet formulas in free text (still valid data)."""
    folder = copy_data(tmp_path_factory.mktemp("formula") / "data")
    path = folder / "mechanism_evidence.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    column = rows[0].index("explanation")
    rows[1][column] = '=HYPERLINK("http://attacker.example/","click")'
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return voila_factory(folder), rows[1][0]


def test_a_formula_planted_in_the_data_downloads_as_inert_text(web, formula_server):
    """A spreadsheet would run a cell starting with '='; the downloaded CSV keeps the text
    but starts it with an apostrophe, so it stays text."""
    server, record = formula_server
    page = web.open("matrix", server=server)
    button = page.get_by_role("button", name=re.compile(r"^Download \d+ records \(CSV\)$"))
    with page.expect_download() as download:
        button.click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    saved = {row["Record id"]: row for row in csv.DictReader(io.StringIO(text))}
    assert saved[record]["Why this rating"] == '\'=HYPERLINK("http://attacker.example/","click")'
    for row in saved.values():
        for value in row.values():
            assert not value.startswith(("=", "+", "@")), value
    assert_no_voila_error(page)
    assert query_of(page) == {}
