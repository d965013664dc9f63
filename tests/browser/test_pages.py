"""Every dashboard opens in a real browser and shows itself, never an error."""

from __future__ import annotations

import pytest
from browser_kit import PAGES, assert_no_voila_error, screenshot
from playwright.sync_api import expect

import explorer.app

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
    expect(nav).to_have_text(list(explorer.app.PAGES.values()))
    expect(page.locator(".ctg-nav a[aria-current='page']")).to_have_text(
        explorer.app.PAGES[name])
    screenshot(page, name)
    web.assert_clean()
