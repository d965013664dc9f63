"""A shared link reopens the same view: the URL's parameters drive the controls and content."""

from __future__ import annotations

import re

import pytest
from browser_kit import flows_first_table, shown_ids, table_column, table_header
from playwright.sync_api import expect

from explorer.evidence import query

pytestmark = pytest.mark.browser


def test_matrix_link_with_columns_and_mechanism(web, ds):
    """?columns=setting_type&mechanism=culture_environment opens the matrix with one column
    per setting, only the culture row, and the filter panel open with that mechanism chosen."""
    page = web.open("matrix", "columns=setting_type&mechanism=culture_environment")

    expect(page.locator(".ctg-columns select")).to_have_value(
        query.column_kinds(ds)["setting_type"])
    expect(page.locator(".ctg-colhead")).to_have_text(
        list(query.facet_options(ds, "setting_type").values()))
    mechanism = query.facet_options(ds, "mechanism")["culture_environment"]
    expect(page.locator(".ctg-rowhead")).to_have_text([mechanism])
    expect(page.locator(".ctg-facet-mechanism")).to_be_visible()
    expect(page.locator(".ctg-facet input:checked")).to_have_count(1)
    expect(page.locator('.ctg-facet-mechanism input[value="culture_environment"]')
           ).to_be_checked()
    expect(page.locator(".ctg-note")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"columns=setting_type&mechanism=culture_environment"))


def test_matrix_link_to_a_cell_lists_its_records(web, ds):
    """?cell=culture_environment:pathway opens the matrix with exactly that cell's evidence
    records listed."""
    page = web.open("matrix", "cell=culture_environment:pathway")
    expected = list(query.cell_records(ds, "project", "culture_environment", "pathway")["Record"])
    assert expected, "the data should have evidence for this cell"

    expect(page.locator(".ctg-records table")).to_be_visible()
    assert shown_ids(page, ".ctg-records") == expected
    names = query.facet_options(ds, "project")
    mechanism = query.facet_options(ds, "mechanism")["culture_environment"]
    expect(page.locator(".ctg-root h2").filter(has_text="Evidence records")).to_have_text(
        f"Evidence records: {mechanism} × {names['pathway']}")


def test_matrix_link_in_presentation_mode(web):
    """?present=1 opens the page in presentation mode, with the toggle pressed."""
    page = web.open("matrix", "present=1")

    expect(page.locator(".ctg-root")).to_have_class(re.compile(r"\bctg-present\b"))
    expect(page.locator(".ctg-present-toggle")).to_have_attribute("aria-pressed", "true")


def test_story_link_opens_that_project(web, ds):
    """?project=speaking-up opens the story of Speaking Up, with the dropdown set to it."""
    name = query.facet_options(ds, "project")["speaking-up"]
    page = web.open("story", "project=speaking-up")

    expect(page.locator(".ctg-project select")).to_have_value(name)
    expect(page.locator(".ctg-root h2").first).to_have_text(name)
    expect(page.locator(".ctg-figure .gtitle")).to_contain_text(name)
    expect(page.locator(".ctg-note")).to_have_count(0)


def test_compare_link_opens_that_pair(web, ds):
    """?project=pathway,peer-support opens the comparison of exactly those two projects."""
    names = query.facet_options(ds, "project")
    page = web.open("compare", "project=pathway,peer-support")

    expect(page.locator(".ctg-pick-1 select")).to_have_value(names["pathway"])
    expect(page.locator(".ctg-pick-2 select")).to_have_value(names["peer-support"])
    expect(page.locator(".ctg-pick-3 select")).to_have_value("— none —")
    wide = query.compare_projects(ds, ["pathway", "peer-support"])
    assert table_header(page, ".ctg-side-by-side") == ["Mechanism", *wide.columns]
    rows = page.locator(".ctg-side-by-side tbody th").all_inner_texts()
    assert [r.replace("(ratings differ)", "").strip() for r in rows] == list(wide.index)


def test_flows_link_with_filters(web, ds):
    """?project=pathway&strength=partial opens the flows filtered to that project's partial
    links, with both filters chosen."""
    page = web.open("flows", "project=pathway&strength=partial")
    links = query.activity_mechanism_links(
        ds, query.Filters(project=("pathway",), strength=("partial",)))
    assert not links.empty, "the data should have partial links for Pathway"

    expect(page.locator('.ctg-facet-project input[value="pathway"]')).to_be_checked()
    expect(page.locator('.ctg-facet-strength input[value="partial"]')).to_be_checked()
    expect(page.locator(".ctg-facet input:checked")).to_have_count(2)
    expect(page.locator(".ctg-root table tbody tr")).to_have_count(len(links))
    assert table_column(page, ".ctg-root", 1) == flows_first_table(links, "target")
