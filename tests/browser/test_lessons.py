"""The lessons page in a real browser: filled in by keyboard alone, restored from its address,
downloaded as exactly what it shows, and typed HTML shown as text everywhere.

Expected values come from ``explorer.lessons`` on the same data.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from browser_kit import SCREENSHOTS, screenshot
from playwright.sync_api import Page, expect

from explorer.evidence import lessons

pytestmark = pytest.mark.browser

TYPED_NAME = 'Ward 7 <img src=x onerror="window.__pwned=1">'
TYPED_HOW = "peer mentors <script>window.__pwned=1</script>"
MAX_TABS = 120


def tab_to(page: Page, selector: str) -> None:
    """Press Tab (only Tab) until the element matching ``selector`` has focus."""
    for _ in range(MAX_TABS):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)",
                         selector):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"Tab never reached {selector}")


def results_text(page: Page) -> str:
    """The results as a reader sees them with the folded answers opened."""
    page.evaluate("""() => document.querySelectorAll('.ctg-answers-fold')
        .forEach((fold) => { fold.open = true; })""")
    return re.sub(r"\s+", " ", page.locator(".ctg-lessons-results").inner_text()).strip()


def answers_rows(page: Page) -> list[list[str]]:
    """The 'What you answered' table as shown, header first."""
    page.evaluate("""() => document.querySelectorAll('.ctg-answers-fold')
        .forEach((fold) => { fold.open = true; })""")
    table = page.locator(".ctg-answers-fold table")
    header = [t.strip() for t in table.locator("thead th").all_inner_texts()]
    rows = [[t.strip() for t in row.locator("td").all_inner_texts()]
            for row in table.locator("tbody tr").all()]
    return [header, *rows]


def fill_in_by_keyboard(page: Page, ds) -> dict[str, str]:
    """Answer every question with Tab, Space, arrow keys and typing; return the ids used."""
    questions = lessons.exercise(ds)
    relationship = questions.relationships[-1].id
    mechanism = questions.mechanisms[0].id
    foundation = questions.foundations[1].id
    recommendation = questions.recommendations[0].id

    page.locator("body").focus()
    tab_to(page, "input[data-name]")
    page.keyboard.type(TYPED_NAME)
    tab_to(page, f'input[data-group="relationship_type"][value="{relationship}"]')
    page.keyboard.press("Space")
    tab_to(page, f'input[data-group="mechanism"][value="{mechanism}"]')
    page.keyboard.press("Space")
    tab_to(page, f'input[data-how="{mechanism}"]')
    page.keyboard.type(TYPED_HOW)
    tab_to(page, f'input[data-foundation="{foundation}"][value="in_place"]')
    page.keyboard.press("Space")  # In place
    page.keyboard.press("ArrowRight")  # ...then Partly, as a radio group does
    tab_to(page, f'input[data-group="recommendation"][value="{recommendation}"]')
    page.keyboard.press("Space")
    return {"relationship_type": relationship, "mechanism": mechanism,
            "foundation": f"{foundation}:partly", "recommendation": recommendation}


def test_the_lessons_page_fills_in_by_keyboard_and_its_address_restores_it(web, ds):
    """Tab, Space, arrows and typing answer every question; the address then holds the
    answers, and a fresh load of that address shows the same form and the same results."""
    page = web.open("lessons")
    chosen = fill_in_by_keyboard(page, ds)
    mechanism = chosen["mechanism"]

    expect(page).to_have_url(re.compile(r"recommendation="))
    expect(page).to_have_url(re.compile(rf"how\.{mechanism}=peer"))
    query = dict(parse_qsl(urlsplit(page.url).query))
    assert query == {"name": TYPED_NAME, **chosen, f"how.{mechanism}": TYPED_HOW}
    expect(page.locator(".ctg-nearest").first).to_be_visible()
    shown = results_text(page)
    screenshot(page, "lessons-filled-1366")

    again = web.open("lessons", urlsplit(page.url).query)
    expect(again.locator("input[data-name]")).to_have_value(TYPED_NAME)
    expect(again.locator(f'input[data-how="{mechanism}"]')).to_have_value(TYPED_HOW)
    for group in ("relationship_type", "mechanism", "recommendation"):
        expect(again.locator(f'input[data-group="{group}"]:checked')).to_have_count(1)
        expect(again.locator(f'input[data-group="{group}"][value="{chosen[group]}"]')
               ).to_be_checked()
    foundation, level = chosen["foundation"].split(":")
    expect(again.locator(f'input[data-foundation="{foundation}"][value="{level}"]')
           ).to_be_checked()
    expect(again.locator("input[data-foundation]:checked")).to_have_count(1)
    assert results_text(again) == shown


def test_downloads_hold_what_is_shown_and_typed_html_stays_text(web, ds, chromium):
    """The HTML download shows the page's results word for word; the CSV is the answers table
    as shown; typed HTML is text on the page and in both downloads, and never runs."""
    name, how = TYPED_NAME, TYPED_HOW
    mechanism = lessons.exercise(ds).mechanisms[0].id
    page = web.open("lessons", urlencode({"name": name, "relationship_type": "person_system",
                                          "mechanism": mechanism, f"how.{mechanism}": how}))
    expect(page.locator("input[data-name]")).to_have_value(name)
    expect(page.locator(".ctg-lessons-results h2").first).to_have_text(
        f"{name}: the nearest projects")
    expect(page.locator(".ctg-answers-fold summary")).to_have_text(f"Your answers: {name}")
    assert page.evaluate("() => window.__pwned") is None
    expect(page.locator(".ctg-lessons-results img, .ctg-lessons-results script")
           ).to_have_count(0)
    shown, rows = results_text(page), answers_rows(page)

    with page.expect_download() as html_download:
        page.get_by_role("button",
                         name="Download your answers and the comparison (HTML)").click()
    document = Path(html_download.value.path()).read_text(encoding="utf-8")
    assert re.fullmatch(r"lessons-ward-7[a-z0-9-]*\.html", html_download.value.suggested_filename)
    offline = chromium.new_context(java_script_enabled=False)
    try:
        view = offline.new_page()
        view.set_content(document)
        assert results_text(view) == shown
        expect(view.locator("img, script")).to_have_count(0)
        assert name in view.locator("h1").inner_text()
    finally:
        offline.close()

    with page.expect_download() as csv_download:
        page.get_by_role("button", name="Download your answers (CSV)").click()
    text = Path(csv_download.value.path()).read_text(encoding="utf-8")
    assert list(csv.reader(io.StringIO(text))) == rows
    assert page.evaluate("() => window.__pwned") is None


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_lessons_screenshots_in_presentation_mode(web, ds, size):
    """The filled-in exercise on a projector's screen (looked at by a person)."""
    width, height = size
    mechanisms = lessons.exercise(ds).mechanisms
    page = web.open("lessons", "present=1&step=5&name=Ward+7&relationship_type=person_system"
                               f"&mechanism={mechanisms[0].id},{mechanisms[2].id}"
                               f"&how.{mechanisms[0].id}=peer+mentors+on+the+ward"
                               "&foundation=leadership:partly,engagement:in_place")
    page.set_viewport_size({"width": width, "height": height})
    expect(page.locator(".ctg-step-caption")).to_contain_text("Step 5 of 5")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"lessons-present-{width}x{height}.png"))
