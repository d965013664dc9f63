"""The guided presentation in a real browser: steps by keyboard and by buttons, a step's
address opens that step, and "Join this session" shows a QR code that decodes to the page's
address (decoded here with zxing-cpp from a screenshot of the image the room sees).

Expected steps come from ``explorer.dashboards.presentation.guided_steps`` on the same data.
"""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import zxingcpp
from browser_kit import SCREENSHOTS
from PIL import Image
from playwright.sync_api import Page, expect

from explorer.app.dashboards.presentation import guided_steps

pytestmark = pytest.mark.browser


def caption(number: int, steps) -> str:
    return f"Step {number} of {len(steps)}: {steps[number - 1].caption}"


def expect_step(page: Page, number: int, steps) -> None:
    """The bar says step N, and the address is step N's view."""
    step = steps[number - 1]
    expect(page.locator(".ctg-step-caption")).to_have_text(caption(number, steps))
    expect(page).to_have_url(re.compile(rf"/{step.page}\.ipynb\?.*step={number}(&|$)"))
    query = dict(parse_qsl(urlsplit(page.url).query))
    assert query == {**dict(step.query), "present": "1", "step": str(number)}


def open_step(web, number: int) -> Page:
    """Open ``overview.ipynb?present=1&step=N`` and wait for the step bar."""
    page = web.open("overview", f"present=1&step={number}", chart=False)
    expect(page.locator(".ctg-step-caption")).to_contain_text(f"Step {number} of")
    return page


def test_a_step_address_opens_that_step(web, ds):
    """?present=1&step=3 opens step 3 (its page and view), in presentation mode."""
    steps = guided_steps(ds)
    page = open_step(web, 3)
    expect_step(page, 3, steps)
    expect(page.locator(".ctg-root")).to_have_class(re.compile(r"\bctg-present\b"))
    expect(page.locator(".ctg-step-previous")).to_be_enabled()


def test_steps_advance_and_go_back_by_keyboard(web, ds):
    """PageDown and → go forward, PageUp and ← go back; in a form field the arrows type."""
    steps = guided_steps(ds)
    page = open_step(web, 2)
    page.keyboard.press("PageDown")
    expect_step(page, 3, steps)
    page.keyboard.press("ArrowRight")
    expect_step(page, 4, steps)
    page.keyboard.press("PageDown")
    expect_step(page, 5, steps)
    expect(page.locator(".ctg-step-next")).to_be_disabled()

    box = page.locator("input[data-name]")
    box.focus()
    page.keyboard.type("ab")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("PageUp")
    expect(page.locator(".ctg-step-caption")).to_have_text(caption(5, steps))
    assert box.evaluate("el => el.selectionStart") == 1  # the arrow moved the caret instead

    box.blur()
    page.keyboard.press("PageUp")
    expect_step(page, 4, steps)
    page.keyboard.press("ArrowLeft")
    expect_step(page, 3, steps)
    page.go_back()  # moving between steps is browser history too
    expect_step(page, 4, steps)


def test_steps_move_with_the_visible_buttons(web, ds):
    """'Next step' and 'Previous step' move one step; the first step has no previous."""
    steps = guided_steps(ds)
    page = open_step(web, 1)
    expect(page.locator(".ctg-step-previous")).to_be_disabled()
    page.get_by_role("button", name="Next step").click()
    expect_step(page, 2, steps)
    page.get_by_role("button", name="Previous step").click()
    expect_step(page, 1, steps)


def decode(page: Page, selector: str) -> list[str]:
    """The texts of the QR codes in a screenshot of one element."""
    png = page.locator(selector).screenshot()
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def join_address(url: str) -> str:
    """The page's address without the presenter's own state (presentation mode, step)."""
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k not in ("present", "step")]
    return urlunsplit(parts._replace(query=urlencode(kept, safe=",:"), fragment=""))


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_join_this_session_shows_a_qr_code_of_the_view_without_the_presenters_state(
        web, ds, size):
    """The panel shows the view's address as large text and as a QR code that decodes to it,
    without presentation mode or step (a phone opens the plain page, not the presenter's
    buttons); it follows the page when the step changes, and nothing is fetched."""
    width, height = size
    steps = guided_steps(ds)
    page = open_step(web, 3)
    page.set_viewport_size({"width": width, "height": height})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"presentation-step3-{width}x{height}.png"))

    page.get_by_role("button", name="Join this session").click()
    dialog = page.get_by_role("dialog", name="Join this session")
    expect(dialog).to_be_visible()
    code = dialog.locator("img.ctg-join-code")
    expect(code).to_be_visible()
    joined = join_address(page.url)
    assert "present=" not in joined and "step=" not in joined
    expect(code).to_have_attribute("alt", joined)
    expect(dialog.locator(".ctg-join-address")).to_have_text(joined)
    assert code.get_attribute("src").startswith("data:image/svg+xml")
    box = code.bounding_box()
    assert box["width"] >= 300 and box["y"] + box["height"] <= height  # big, and on screen
    assert decode(page, "img.ctg-join-code") == [joined]
    page.screenshot(path=str(SCREENSHOTS / f"presentation-join-{width}x{height}.png"))

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.keyboard.press("PageDown")
    expect_step(page, 4, steps)
    page.get_by_role("button", name="Join this session").click()
    expect(code).to_have_attribute("alt", join_address(page.url))
    assert decode(page, "img.ctg-join-code") == [join_address(page.url)]
    web.assert_only_local()


def test_the_step_bar_and_join_panel_pass_axe(web):
    """The presentation's controls (on the lessons step, the form included) and the open
    join panel have no critical or serious axe-core violations."""
    from axe_playwright_python.sync_playwright import Axe

    def blocking() -> list[str]:
        results = Axe().run(page)
        return [f"{v['impact']} {v['id']}: {v['help']} at {v['nodes'][0]['target']}"
                for v in results.response["violations"] if v["impact"] in ("critical", "serious")]

    page = open_step(web, 5)
    assert blocking() == []
    page.get_by_role("button", name="Join this session").click()
    expect(page.locator("img.ctg-join-code")).to_be_visible()
    assert blocking() == []
