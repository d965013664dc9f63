"""Another programme's package drives every page: nothing on screen belongs to this one.

The explorer promises that a second programme's data package (other names, another number of
projects, its own framework wording) can replace the embedded data. A real Voila server runs on
an invented package (tests/fixtures/other-programme) and a real browser reads every page.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_kit import PAGES, assert_no_voila_error, screenshot
from playwright.sync_api import expect

from conftest import programme_words

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def other_server(voila_factory, other_path):
    return voila_factory(other_path)


def test_every_page_shows_the_other_programme_and_none_of_this_one(web, ds, other_server):
    """Each page of the explorer, opened on the invented package, names only that programme
    (in the page and in the browser tab)."""
    words = programme_words(ds)
    for name in PAGES:
        page = web.open(name, server=other_server)
        assert_no_voila_error(page)
        expect(page.locator(".ctg-error")).to_have_count(0)
        text = page.locator("body").inner_text() + " " + page.title()
        assert "Bridging Care" in text, name
        shown = [word for word in words if word.lower() in text.lower()]
        assert shown == [], f"{name} shows {shown}"
        screenshot(page, f"other-programme-{name}")
        page.close()
    web.assert_clean()


def test_the_other_programmes_handout_downloads_in_its_own_words(web, ds, other_server):
    """The matrix page's printable handout of the invented package names only that one."""
    page = web.open("matrix", server=other_server)
    button = page.get_by_role("button", name="Download a printable handout of this view (HTML)")
    with page.expect_download() as download:
        button.click()
    handout = Path(download.value.path()).read_text(encoding="utf-8")
    assert "Bridging Care Partnerships" in handout
    assert [w for w in programme_words(ds) if w.lower() in handout.lower()] == []
    web.assert_clean()
