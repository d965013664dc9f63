"""Every dashboard opens in a real browser and shows itself, never an error."""

from __future__ import annotations

import re

import pytest
from browser_kit import PAGES, assert_no_voila_error, screenshot
from playwright.sync_api import expect

from explorer.pages import PAGES as REGISTRY
from explorer.pages import live_pages

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("name", PAGES)
def test_each_dashboard_renders(web, name):
    """Opening a dashboard shows its content and navigation, with no error or traceback."""
    page = web.open(name)

    expect(page.locator(".ctg-root")).to_be_visible()
    expect(page.locator(".ctg-error")).to_have_count(0)
    expect(page.locator(".ctg-note")).to_have_count(0)
    assert_no_voila_error(page)
    nav = page.locator(".ctg-nav a")
    expect(nav).to_have_text([spec.title for spec in live_pages()])
    expect(page.locator(".ctg-nav a[aria-current='page']")).to_have_text(REGISTRY[name].title)
    expect(page).to_have_title(re.compile(rf"^{re.escape(REGISTRY[name].title)} · "))
    screenshot(page, name)
    web.assert_clean()
