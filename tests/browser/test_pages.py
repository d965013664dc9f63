"""Every dashboard opens in a real browser and shows itself, never an error."""

from __future__ import annotations

import re

import pytest
from browser_kit import PAGES, assert_no_voila_error, screenshot
from playwright.sync_api import expect
from test_plain_words import FILE_NAME, ID_SHAPES, SECTION_MARK

from explorer.pages.registry import PAGES as REGISTRY
from explorer.pages.registry import live_pages

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


def _reader_states(ds) -> dict[str, str]:
    """Each page's address at its default view, and the matrix with a rated cell chosen (its
    records table open) and compare with two projects."""
    states = dict.fromkeys(PAGES, "")
    rated = ds.mechanism_evidence[ds.mechanism_evidence.strength != "not_reported"].iloc[0]
    states["matrix"] = f"cell={rated.mechanism_id}:{rated.project_id}"
    states["compare"] = "project=" + ",".join(ds.projects.project_id[:2])
    return states


@pytest.mark.parametrize("name", PAGES)
def test_no_record_id_file_name_or_section_mark_reaches_a_reader(reader, ds, name):
    """What a page shows a reader names things in words: no record or source id, no data
    file's name, no codebook section mark (ids stay in the folded "Record ids" list for
    analysts, whose text is not shown until it is opened)."""
    page = reader.visit(name, _reader_states(ds)[name])
    text = page.locator(".ctg-root").inner_text()
    source_ids = [rf"(?<![\w/.-]){re.escape(s)}(?![\w-])" for s in ds.sources.source_id]
    found = [match.group(0) for pattern in (*ID_SHAPES, FILE_NAME, SECTION_MARK, *source_ids)
             for match in re.finditer(pattern, text)]
    assert found == []


#: The names of statistics, which a policy reader's page keeps in the analysts' fold.
STATISTICS = re.compile(r"Krippendorff|kappa|\balpha\b|95% interval|confidence interval",
                        re.IGNORECASE)

# All the text of the page a reader can see or open, folds included, but for the analysts'.
READER_TEXT_JS = """() => {
  const root = document.querySelector('.ctg-root').cloneNode(true);
  root.querySelectorAll('.ctg-analysts').forEach((fold) => fold.remove());
  return root.textContent;
}"""


@pytest.mark.parametrize("name", PAGES)
def test_no_statistics_name_reaches_a_reader_outside_the_analysts_fold(reader, ds, name):
    """A reader's page says how consistent the coding was in words; the names of the
    statistics (Krippendorff's alpha, Cohen's kappa, intervals) appear only inside the
    folded 'For analysts' part, where the matrix and the overview keep them."""
    page = reader.visit(name, _reader_states(ds)[name])
    assert STATISTICS.findall(page.evaluate(READER_TEXT_JS)) == []
    if name in ("matrix", "overview"):
        fold = page.locator(".ctg-root .ctg-analysts")
        expect(fold.locator("summary")).to_have_text("For analysts: the agreement statistics")
        assert "Krippendorff's alpha" in fold.text_content()


def test_a_widget_slow_to_start_has_30_seconds_not_anywidgets_2(web):
    """anywidget drops for good a widget whose module takes over 2 s to load and initialise
    (its own ``AbortSignal.timeout(2000)``): a phone busy parsing plotly.js, or a laptop under
    load, would lose a chart or the grid. Every page lengthens that one deadline to 30 s,
    before any widget loads, and leaves other timeouts as they were."""
    page = web.new_page()
    page.goto(web.server.url("overview", ""), wait_until="domcontentloaded")
    aborted = page.evaluate("""async () => {
        const widgetDeadline = AbortSignal.timeout(2000), other = AbortSignal.timeout(500);
        await new Promise((resolve) => setTimeout(resolve, 2600));
        return {widgetDeadline: widgetDeadline.aborted, other: other.aborted};
    }""")
    assert aborted == {"widgetDeadline": False, "other": True}
