"""A live room in real browsers: the presenter starts it, five phones join by its QR code and
answer, the presenter reveals the tally, a locked room turns a sixth answer away, and hostile
requests to the join page change nothing. Served as ``make serve`` serves it (Voila plus the
join page, ``python -m explorer serve``)."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from browser_kit import (
    CHROMIUM_ARGS,  # noqa: F401 - the same browser as every other spec
    assert_only_local,
    block_remote,
    screenshot,
)
from PIL import Image
from playwright.sync_api import expect

from explorer.rooms import RoomStore

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 640}
ROOM_MS = 30_000  # a store round trip plus one poll is about a second; leave room for load
TOUCH_PX = 44


def qr_address(page) -> str:
    """The address the presenter's QR code encodes, read from its pixels with zxing-cpp."""
    image = page.locator(".ctg-room-qr")
    expect(image).to_be_visible()
    shot = Image.open(io.BytesIO(image.screenshot()))
    found = zxingcpp.read_barcodes(shot)
    assert found, "no QR code could be read from the presenter's screen"
    return found[0].text


def phone(chromium):
    """A participant's phone: 360×640, touch, every outside request refused and recorded."""
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    refused = block_remote(context)
    return context, requests, refused


def check_phone_page(page) -> None:
    """No sideways scrolling at 360 px, touch targets of at least 44 px, no script, no code."""
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), \
        "the join page scrolls sideways at 360 px"
    for target in page.locator("label.ctg-option, button, .ctg-button").all():
        box = target.bounding_box()
        assert box is None or box["height"] >= TOUCH_PX, f"a target {box['height']} px high"
    assert page.locator("script").count() == 0
    text = page.locator("body").inner_text()
    assert not re.search(r"\bimport\b|\bdef\b|Traceback|explorer\.", text)


def test_a_room_from_start_to_reveal_and_lock(web, chromium, voila):
    """Start a room; five phones join by the QR code and answer; Reveal shows 5; Next
    question reaches a phone by itself; after Lock a sixth answer is refused with the
    message; nothing is fetched from outside the host."""
    presenter = web.open("matrix", "present=1")
    presenter.get_by_role("button", name="Start a room").click()
    code = presenter.locator(".ctg-room-code")
    expect(code).to_have_text(re.compile(r"^[2-9A-Z]{7}$"), timeout=ROOM_MS)
    address = presenter.locator(".ctg-room-address").inner_text().strip()
    assert address == f"{voila.base}/room/{code.inner_text()}"
    assert qr_address(presenter) == address

    phones = []
    for n in range(6):
        context, requests, refused = phone(chromium)
        page = context.new_page()
        page.goto(address)
        expect(page.get_by_text("Question 1 of 3")).to_be_visible()
        check_phone_page(page)
        phones.append((context, page, requests, refused))
        if n < 5:
            page.locator("label.ctg-option").nth(n % 3).click()
            page.get_by_role("button", name="Send my answer").click()
            expect(page.get_by_text("Your answer is saved.")).to_be_visible()
            check_phone_page(page)

    counts = presenter.locator(".ctg-room-counts")
    expect(counts).to_contain_text("6 joined · 5 answered", timeout=ROOM_MS)
    expect(presenter.locator(".ctg-room-results")).to_have_count(0)
    presenter.get_by_role("button", name="Reveal").click()
    expect(presenter.locator(".ctg-room-results h3")).to_contain_text("5 answers",
                                                                      timeout=ROOM_MS)
    expect(presenter.locator(".ctg-room .js-plotly-plot .main-svg").first).to_be_visible(
        timeout=ROOM_MS)
    expect(presenter.locator(".ctg-nearest")).to_be_visible()
    screenshot(presenter, "room-presenter")

    # Next question: a phone that has answered moves on by itself (its page refreshes).
    presenter.get_by_role("button", name="Next question →").click()
    _, first, _, _ = phones[0]
    expect(first.get_by_text("Question 2 of 3")).to_be_visible(timeout=ROOM_MS)
    check_phone_page(first)
    for group in first.locator("fieldset").all():
        group.locator("label.ctg-option").nth(1).click()
    first.get_by_role("button", name="Send my answer").click()
    expect(first.get_by_text("Your answer is saved.")).to_be_visible()
    expect(counts).to_contain_text("1 answered", timeout=ROOM_MS)

    presenter.get_by_role("button", name="Lock").click()
    expect(counts).to_contain_text("locked", timeout=ROOM_MS)
    _, sixth, _, _ = phones[5]
    sixth.locator("label.ctg-option").first.click()
    sixth.get_by_role("button", name="Send my answer").click()
    expect(sixth.get_by_role("alert")).to_have_text(
        "Answers are closed for now: the facilitator has locked the room. Your earlier "
        "answers are kept.")
    check_phone_page(sixth)
    store = RoomStore(voila.room_db)
    try:
        assert store.tally(code.inner_text()).respondents == {"relationship": 5,
                                                              "mechanisms": 1}
    finally:
        store.close_store()
    for context, _page, requests, refused in phones:
        assert refused == []
        assert_only_local(requests)
        context.close()
    web.assert_only_local()


HOSTILE = [
    ("unknown room", "/room/ABCDEFG", {"question": "relationship", "choice": "x"}, True, 404),
    ("bad option", None, {"question": "relationship", "choice": "not-a-relationship"}, True,
     400),
    ("no XSRF token", None, {"question": "relationship", "choice": "person_system"}, False,
     403),
    ("oversized body", None, {"question": "relationship", "choice": "x" * 40_000}, True, 413),
    ("HTML in parameters", None, {"question": "<img src=x onerror=alert(1)>",
                                  "choice": "<script>alert(1)</script>"}, True, 400),
]


@pytest.mark.parametrize(("case", "path", "form", "with_xsrf", "status"), HOSTILE,
                         ids=[h[0] for h in HOSTILE])
def test_hostile_requests_to_the_join_page_change_nothing(chromium, voila, case, path, form,
                                                          with_xsrf, status):
    """Each gets its 4xx with a plain page (never a traceback, never its markup echoed), and
    the room's participants and answers are as they were."""
    store = RoomStore(voila.room_db)
    from explorer import load
    from explorer.rooms import deck

    room = store.create_room(deck(load()))
    context = chromium.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(f"{voila.base}/room/{room.code}")
        before = store.tally(room.code)
        token = page.locator('input[name="_xsrf"]').get_attribute("value")
        fields = {**({"_xsrf": token} if with_xsrf else {}), **form}
        reply = context.request.post(f"{voila.base}{path or '/room/' + room.code}",
                                     form=fields, max_redirects=0)
        body = reply.text()
        assert reply.status == status, body
        assert "Traceback" not in body and "<script>alert" not in body and "onerror=" not in body
        assert 'role="alert"' in body
        after = store.tally(room.code)
        assert (after.joined, after.respondents, after.counts) == (
            before.joined, before.respondents, before.counts)
    finally:
        context.close()
        store.close(room.code)
        store.close_store()
