"""Every control changes what the page shows and the address bar (so the view can be shared).

Expected values come from ``explorer.query`` on the same data, so the tests follow the data.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser_kit import chip_texts, flows_first_table, shown_ids, table_column, tick
from playwright.sync_api import expect

from explorer.evidence import query
from explorer.evidence.query import Filters

pytestmark = pytest.mark.browser


def labels(ds, facet, ids=None):
    options = query.facet_options(ds, facet)
    return [options[i] for i in ids] if ids is not None else list(options.values())


def reader_ids(ds, filters):
    return list(query.reader_table(ds, filters)["Record"])


# -- matrix ----------------------------------------------------------------------------------

def test_matrix_columns_dropdown_changes_columns_and_url(web, ds):
    """Choosing 'Columns show: Context dimensions' redraws the grid with one column per context
    dimension, and the address bar gains ?columns=context_dimension."""
    page = web.open("matrix")
    expect(page.locator(".ctg-colhead")).to_have_text(labels(ds, "project"))

    page.locator(".ctg-columns select").select_option(
        label=query.column_kinds(ds)["context_dimension"])

    expect(page).to_have_url(re.compile(r"[?&]columns=context_dimension(&|$)"))
    expect(page.locator(".ctg-colhead")).to_have_text(labels(ds, "context_dimension"))
    expect(page.locator(".ctg-figure .xtick")).to_have_count(
        len(labels(ds, "context_dimension")))

    page.locator(".ctg-columns select").select_option(label=query.column_kinds(ds)["project"])
    expect(page.locator(".ctg-colhead")).to_have_text(labels(ds, "project"))
    expect(page).not_to_have_url(re.compile(r"columns="))


def test_the_handout_of_the_view_on_show_is_built_on_request(web):
    """'Download a printable handout of this view' saves the view as shown, one HTML page
    with no scripts; after the view changes, the next handout is of the new view."""
    page = web.open("matrix", "strength=evident")
    assert page.locator("a[href^='data:']").count() == 0  # nothing sent with the page
    button = page.get_by_role("button", name="Download a printable handout of this view (HTML)")

    with page.expect_download() as download:
        button.click()
    handout = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename == "matrix-handout.html"
    assert handout.lstrip().lower().startswith("<!doctype html>")
    assert "matrix.ipynb?strength=evident" in handout and "<script" not in handout

    page.locator(".ctg-columns select").select_option(label="Settings")
    expect(page).to_have_url(re.compile(r"columns=setting_type"))
    with page.expect_download() as download:
        button.click()
    assert "by settings" in Path(download.value.path()).read_text(encoding="utf-8")


def test_matrix_project_filter_narrows_columns_records_and_url(web, ds):
    """Ticking two projects in the Project filter leaves only their columns and records, shows
    them as removable chips, and the address bar gains ?project=a,b."""
    chosen = ("pathway", "peer-support")
    page = web.open("matrix")

    tick(page, "project", *chosen)

    expect(page).to_have_url(re.compile(r"[?&]project=pathway,peer-support(&|$)"))
    assert chip_texts(page) == [f"Project: {name} ✕" for name in labels(ds, "project", chosen)]
    expect(page.locator(".ctg-colhead")).to_have_text(labels(ds, "project", chosen))
    filters = Filters(project=chosen)
    expect(page.locator(".ctg-reader caption")).to_have_text(
        f"{len(reader_ids(ds, filters))} matching evidence records")
    assert shown_ids(page, ".ctg-reader") == reader_ids(ds, filters)


def test_matrix_strength_filter_keeps_only_that_strength(web, ds):
    """Choosing Strength 'Partial' leaves only partial cells (others show no rows), lists only
    partial records, and the address bar gains ?strength=partial."""
    page = web.open("matrix")

    tick(page, "strength", "partial")

    expect(page).to_have_url(re.compile(r"[?&]strength=partial(&|$)"))
    expect(page.locator(".ctg-cell.ctg-strength-not_reported")).to_have_count(0)
    filters = Filters(strength=("partial",))
    cells = query.matrix(ds, "project", filters)
    assert (cells.strength == "partial").sum() > 0, "the data should have partial ratings"
    expect(page.locator(".ctg-cell.ctg-strength-partial")).to_have_count(
        int((cells.strength == "partial").sum()))
    expect(page.locator(".ctg-reader caption")).to_have_text(
        f"{len(reader_ids(ds, filters))} matching evidence records")
    strengths = page.locator(".ctg-reader td[data-label='Strength'] .ctg-badge")
    expect(strengths).to_have_count(len(reader_ids(ds, filters)))
    expect(strengths.and_(page.locator(":not(.ctg-strength-partial)"))).to_have_count(0)
    assert shown_ids(page, ".ctg-reader") == reader_ids(ds, filters)


def test_matrix_mechanism_filter_keeps_only_those_rows(web, ds):
    """Choosing one mechanism leaves only its row in the grid, and ?mechanism= in the URL."""
    page = web.open("matrix")

    tick(page, "mechanism", "systems_processes")

    expect(page).to_have_url(re.compile(r"[?&]mechanism=systems_processes(&|$)"))
    (label,) = labels(ds, "mechanism", ["systems_processes"])
    expect(page.locator(".ctg-rowhead")).to_have_text([label])
    assert chip_texts(page) == [f"Mechanism: {label} ✕"]


def test_matrix_clear_filters_restores_everything(web, ds):
    """'Clear all filters' on a filtered view brings back every row, column and record, and
    the filters leave the address bar."""
    page = web.open("matrix", "mechanism=patient_beliefs&strength=evident&columns=setting_type")
    expect(page.locator(".ctg-rowhead")).to_have_count(1)

    page.locator(".ctg-clear").click()

    expect(page).not_to_have_url(re.compile(r"mechanism=|strength="))
    expect(page).to_have_url(re.compile(r"[?&]columns=setting_type(&|$)"))
    expect(page.locator(".ctg-rowhead")).to_have_text(labels(ds, "mechanism"))
    expect(page.locator(".ctg-colhead")).to_have_text(labels(ds, "setting_type"))
    expect(page.get_by_text("No filters: all evidence records")).to_be_visible()
    expect(page.locator(".ctg-reader caption")).to_have_text(
        f"{len(reader_ids(ds, Filters()))} matching evidence records")
    expect(page.locator(".ctg-facet input:checked")).to_have_count(0)
    expect(page.locator(".ctg-chip")).to_have_count(0)


def test_presentation_mode_toggles_large_text_and_url(web):
    """'Presentation mode' enlarges the page for a room and adds ?present=1; pressing it again
    turns it off and removes the parameter."""
    page = web.open("matrix")
    root = page.locator(".ctg-root")
    toggle = page.locator(".ctg-present-toggle")
    size_before = root.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")

    toggle.click()

    expect(root).to_have_class(re.compile(r"\bctg-present\b"))
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page).to_have_url(re.compile(r"[?&]present=1(&|$)"))
    assert root.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") > size_before

    toggle.click()

    expect(root).not_to_have_class(re.compile(r"\bctg-present\b"))
    expect(page).not_to_have_url(re.compile(r"present="))


# -- story ------------------------------------------------------------------------------------

def test_story_project_dropdown_changes_story_and_url(web, ds):
    """Picking another project in the story shows that project's heading and story, and the
    address bar gains ?project=<its id>."""
    name = query.facet_options(ds, "project")["speaking-up"]
    page = web.open("story")

    page.locator(".ctg-project select").select_option(label=name)

    expect(page).to_have_url(re.compile(r"[?&]project=speaking-up(&|$)"))
    expect(page.locator(".ctg-root h2").first).to_have_text(name)
    expect(page.locator(".ctg-figure .gtitle")).to_contain_text(name)
    story = query.project_story(ds, "speaking-up")
    expect(page.locator(".ctg-root")).to_contain_text(str(story.project["title"]))


def test_story_unidentified_project_says_so(web, ds):
    """Picking a project no source names shows a 'not identified' note instead of a story,
    with no chart."""
    name = query.facet_options(ds, "project")["unidentified-7"]
    page = web.open("story")

    page.locator(".ctg-project select").select_option(label=name)

    expect(page).to_have_url(re.compile(r"[?&]project=unidentified-7(&|$)"))
    expect(page.locator(".ctg-root h2").first).to_have_text(name)
    expect(page.locator(".ctg-root .ctg-note")).to_contain_text("not identified")
    expect(page.locator(".ctg-figure")).to_be_hidden()


# -- compare ----------------------------------------------------------------------------------

def test_compare_pickers_change_columns_and_url(web, ds):
    """Changing the second project, then adding a third, changes the side-by-side table's
    columns, and the address bar follows (?project=a,b then ?project=a,b,c)."""
    names = query.facet_options(ds, "project")
    page = web.open("compare")
    first = page.locator(".ctg-pick-1 select").input_value()
    first_id = next(k for k, v in names.items() if v == first)

    page.locator(".ctg-pick-2 select").select_option(label=names["peer-support"])

    expect(page).to_have_url(re.compile(rf"[?&]project={first_id},peer-support(&|$)"))
    header = page.locator(".ctg-root table").first.locator("thead th")
    expect(header).to_have_text(["Mechanism", first, names["peer-support"]])

    page.locator(".ctg-pick-3 select").select_option(label=names["record-access"])

    expect(page).to_have_url(
        re.compile(rf"[?&]project={first_id},peer-support,record-access(&|$)"))
    expect(header).to_have_text(
        ["Mechanism", first, names["peer-support"], names["record-access"]])
    wide = query.compare_projects(ds, [first_id, "peer-support", "record-access"])
    expect(header).to_have_text(["Mechanism", *wide.columns])

    page.locator(".ctg-pick-3 select").select_option(label="— none —")
    expect(header).to_have_text(["Mechanism", first, names["peer-support"]])
    expect(page).to_have_url(re.compile(rf"[?&]project={first_id},peer-support(&|$)"))


def test_compare_same_project_twice_asks_for_two(web, ds):
    """Choosing the same project in both pickers shows a plain request for two different
    projects; choosing another clears it."""
    names = query.facet_options(ds, "project")
    page = web.open("compare")
    first = page.locator(".ctg-pick-1 select").input_value()

    page.locator(".ctg-pick-2 select").select_option(label=first)
    expect(page.locator(".ctg-error")).to_have_text(
        "Choose two or three different projects to compare.")

    page.locator(".ctg-pick-2 select").select_option(label=names["speaking-up"])
    expect(page.locator(".ctg-error")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"[?&]project=[^&]*speaking-up(&|$)"))


# -- flows ------------------------------------------------------------------------------------

def test_flows_strength_filter_changes_links_and_url(web, ds):
    """Choosing Strength 'Not evident' in the flows leaves only those links in the table and
    diagram, and the address bar gains ?strength=not_evident."""
    page = web.open("flows")
    links = query.activity_mechanism_links(ds, Filters(strength=("not_evident",)))
    assert not links.empty, "the data should have a not-evident link for this test"

    tick(page, "strength", "not_evident")

    expect(page).to_have_url(re.compile(r"[?&]strength=not_evident(&|$)"))
    rows = page.locator(".ctg-root table tbody tr")
    expect(rows).to_have_count(len(links))
    strengths = page.locator(".ctg-root table tbody > tr > td:nth-child(3)").all_inner_texts()
    assert {text.strip() for text in strengths} == {"Not evident"}
    assert table_column(page, ".ctg-root", 0) == flows_first_table(links)


def test_flows_activity_filter_changes_links_and_url(web, ds):
    """Choosing an activity type in the flows keeps only the links that start from it (and
    their outcomes), and the address bar gains ?activity_type=<id>."""
    activity = "peer_support"
    label = query.facet_options(ds, "activity_type")[activity]
    links = query.activity_mechanism_links(ds, Filters(activity_type=(activity,)))
    page = web.open("flows")

    tick(page, "activity_type", activity)

    expect(page).to_have_url(re.compile(rf"[?&]activity_type={activity}(&|$)"))
    expect(page.locator(".ctg-root table tbody tr")).to_have_count(len(links))
    assert table_column(page, ".ctg-root", 0) == flows_first_table(links)
    assert label in table_column(page, ".ctg-root", 0)
