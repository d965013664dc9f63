"""The overview and story pages hand out the same briefings as `explorer export`, built on
request and sent as one binary widget message (no multi-MB data: address in the page)."""

from __future__ import annotations

import re

import pytest
from browser_kit import screenshot
from playwright.sync_api import expect

from explorer import query
from explorer.export import briefing_filename, identified_projects

pytestmark = pytest.mark.browser


BRIEFING = "Download the briefing (HTML, for printing)"
BRIEF = "Download this project's brief (HTML, for printing)"


def _download(page, label: str) -> tuple[str, str]:
    button = page.get_by_role("button", name=label)
    expect(button).to_be_visible()
    with page.expect_download(timeout=60_000) as info:
        button.click()
    download = info.value
    path = download.path()
    assert path is not None
    return download.suggested_filename, path.read_text(encoding="utf-8")


def test_the_overview_downloads_the_whole_briefing(web, ds):
    """Same file as `explorer export`: every identified project's section and plotly.js."""
    page = web.open("overview", chart=False)
    assert page.locator("a[href^='data:text/html']").count() == 0
    name, text = _download(page, BRIEFING)
    assert name == briefing_filename(ds)
    assert len(text) > 4_000_000
    assert re.findall(r'<section class="ctg-brief-project[^"]*" id="project-([^"]+)"',
                      text) == identified_projects(ds)
    expect(page.locator(".ctg-download-status").first).to_contain_text("Saved")
    screenshot(page, "overview-download")


def test_the_story_page_downloads_the_chosen_projects_brief(web, ds):
    """The story page downloads the chosen project's brief, named for it and about it alone."""
    page = web.open("story", "project=peer-support")
    name, text = _download(page, BRIEF)
    assert name == briefing_filename(ds, "peer-support")
    assert re.findall(r'id="project-([^"]+)"', text) == ["peer-support", "peer-support-h"]


def test_an_unidentified_project_offers_no_brief(web, ds):
    """The story of an unidentified project shows no download button: there is no brief to give."""
    page = web.open("story", "project=pathway")
    button = page.get_by_role("button", name=BRIEF)
    expect(button).to_be_visible()  # an identified project offers its brief ...
    name = query.facet_options(ds, "project")["unidentified-7"]
    page.locator(".ctg-project select").select_option(label=name)
    expect(page).to_have_url(re.compile(r"project=unidentified-7"))
    expect(button).to_be_hidden()  # ... and the same page, on an unidentified one, does not
