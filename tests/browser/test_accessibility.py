"""Accessibility: axe-core on every dashboard, keyboard use, text alternatives for charts.

axe-core comes bundled in the `axe-playwright-python` package (no download at run time).
"""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from browser_kit import PAGES
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

BLOCKING = ("critical", "serious")


@pytest.mark.parametrize("name", PAGES)
def test_no_critical_or_serious_axe_violations(reader, name):
    """axe-core finds no critical or serious accessibility violation on any page."""
    page = reader.visit(name)
    results = Axe().run(page)
    blocking = [f"{v['impact']} {v['id']}: {v['help']} at {v['nodes'][0]['target']}"
                for v in results.response["violations"] if v["impact"] in BLOCKING]
    assert blocking == []


@pytest.mark.parametrize("name", ["matrix", "story", "compare", "flows"])
def test_every_chart_has_a_text_alternative(reader, name):
    """A screen reader gets the chart's content in words, next to the chart."""
    page = reader.visit(name)
    alternative = page.locator(f".ctg-page-{name} .ctg-alt")
    expect(alternative).to_have_count(1)
    assert len(alternative.inner_text()) > 40


def test_the_matrix_can_be_used_with_the_keyboard_alone(web, ds):
    """Tab to the columns control, change it with the arrow keys, then open a cell."""
    from explorer.evidence import query

    page = web.open("matrix")
    page.locator(".ctg-columns select").focus()
    page.keyboard.press("ArrowDown")
    second = list(query.column_kinds(ds))[1]  # the option after projects
    expect(page).to_have_url(re.compile(rf"columns={second}"))
    cell = page.locator(".ctg-grid .ctg-cell:not(.ctg-strength-no_rows)").first
    cell.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".ctg-records table")).to_be_visible()


def test_the_page_declares_its_language(web):
    """The served document declares its language as English (<html lang="en">)."""
    page = web.open("index")
    assert page.evaluate("() => document.documentElement.lang") == "en"
