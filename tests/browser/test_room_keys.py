"""The presenter's key never leaves the presenter (the capability model of ``explorer.rooms``).

A presenter at 1920×1080 starts a room. Everything the presenter's page offers or shows is
collected: the address bar, the page's markup and its printed text, *Join this session*
(its address and its QR code's), the room's join address and QR code, *Cite this view*,
every link on the page, every download (the handout, the room's answers and report), and
every request the page made (their addresses and headers, the ``Referer`` among them). The
key is in none of it. Then a participant, in a browser of their own, opens each address the
presenter's page offered, and the presenter's old-style address crafted with the very key
(``room=<key>``), and presses *Presentation mode*: no presenter control of that room, ever.
"""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from explorer.rooms import RoomStore

pytestmark = pytest.mark.browser

PRESENTER = {"width": 1920, "height": 1080}
ROOM_MS = 30_000
STORAGE = "ctg-room-presenter:/"
DOWNLOAD_MS = 60_000  # a file built in the presenter's kernel, on a busy machine


def decoded(page, selector: str) -> str:
    """The address a QR code on the page encodes (zxing-cpp on a screenshot of it)."""
    image = page.locator(selector)
    expect(image).to_be_visible()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.screenshot())))
    assert found, f"no QR code in {selector}"
    return found[0].text


def download_text(page, button: str) -> str:
    """Press a download button; the file it saves, as text (on failure, what the page
    said instead)."""
    try:
        with page.expect_download(timeout=DOWNLOAD_MS) as downloaded:
            page.get_by_role("button", name=button).click()
    except PlaywrightTimeoutError:
        said = page.locator(".ctg-download-status, .ctg-room-message, .ctg-room-notice")
        pytest.fail(f"{button!r} saved no file; the page said: {said.all_inner_texts()}")
    return downloaded.value.path().read_text(encoding="utf-8", errors="replace")


def test_no_address_text_file_or_request_a_presenters_page_offers_holds_its_key(
        web, chromium, voila):
    """Join this session, the QR codes, Cite this view, every link, the handout, the room's
    CSV and report (which prints on one page), the printed page, the page's markup and every
    request's address and headers (the Referer among them) are free of the presenter's key;
    a participant who opens every address offered, or the old address crafted with the key,
    and presses Presentation mode gets no control of the room."""
    headers: list[str] = []
    web.context.on("request", lambda request: headers.append(
        request.url + " " + " ".join(f"{k}: {v}" for k, v in request.headers.items())))
    presenter = web.new_page()
    presenter.set_viewport_size(PRESENTER)
    presenter = web.open("matrix", "present=1", page=presenter)
    presenter.get_by_role("button", name="Start a room").click()
    code = presenter.locator(".ctg-room-code")
    expect(code).to_have_text(re.compile(r"^[2-9A-Z]{7}$"), timeout=ROOM_MS)
    room = code.inner_text()
    kept = presenter.evaluate(f"() => JSON.parse(localStorage.getItem('{STORAGE}'))")
    key = kept["key"]
    store = RoomStore(voila.room_db)
    assert store.room_for_key(key).code == room  # the key the browser keeps is the real one

    # Everything the presenter's page offers or shows.
    offered: dict[str, str] = {"address bar": presenter.url}
    offered["room's join address"] = presenter.locator(".ctg-room-address").inner_text()
    offered["room's QR code"] = decoded(presenter, ".ctg-room-qr")
    presenter.get_by_role("button", name="Join this session").click()
    dialog = presenter.get_by_role("dialog", name="Join this session")
    offered["Join this session"] = dialog.locator(".ctg-join-address").inner_text()
    offered["its QR code"] = decoded(presenter, "img.ctg-join-code")
    dialog.get_by_role("button", name="Close").click()
    presenter.get_by_role("button", name="Cite this view").click()
    offered["Cite this view"] = presenter.locator(".ctg-cite-panel").inner_text()
    offered["links"] = " ".join(presenter.evaluate(
        "() => [...document.querySelectorAll('a[href]')].map(a => a.href)"))
    # every download the page offers: the handout, the page's own files, the room's two
    buttons = presenter.locator(".ctg-file-download button").all_inner_texts()
    assert {"Download a printable handout of this view (HTML)", "Download the answers (CSV)",
            "Download the room report (HTML)"} <= set(buttons)
    for button in buttons:
        offered[button] = download_text(presenter, button)
    offered["room's report"] = offered["Download the room report (HTML)"]
    offered["markup"] = presenter.content()
    presenter.emulate_media(media="print")
    offered["printed page"] = presenter.locator("body").inner_text()
    presenter.emulate_media(media="screen")
    offered["requests"] = "\n".join(headers)
    assert "Referer" in offered["requests"] or "referer" in offered["requests"]
    report = web.new_page()  # the report prints on one A4 page (landscape)
    report.set_content(offered["room's report"])
    pdf = report.pdf(prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    report.close()
    leaks = [where for where, text in offered.items() if key in text]
    assert leaks == [], f"the presenter's key appears in: {', '.join(leaks)}"
    assert offered["room's join address"] == offered["room's QR code"] == \
        f"{voila.base}/room/{room}"

    # A participant opens every address the presenter's page offered, and the crafted one.
    participant = chromium.new_context(viewport=PRESENTER)
    try:
        addresses = {offered["room's join address"], offered["Join this session"],
                     offered["its QR code"],
                     voila.url("matrix", f"present=1&room={key}")}
        for address in sorted(addresses):
            page = participant.new_page()
            page.goto(address)
            if "/voila/render/" not in urlsplit(address).path:
                expect(page.get_by_text("Question 1 of 3")).to_be_visible()
                assert page.get_by_role("button").all_inner_texts() == ["Send my answer"]
                continue
            expect(page.locator(".ctg-root")).to_be_visible(timeout=ROOM_MS)
            if not page.locator(".ctg-root.ctg-present").count():
                page.get_by_role("button", name="Presentation mode").click()
            expect(page.get_by_role("button", name="Start a room")).to_be_visible(
                timeout=ROOM_MS)
            for control in ("Reveal", "Lock", "Next question →", "Clear this question",
                            "Close room"):
                expect(page.get_by_role("button", name=control, exact=True)).to_have_count(0)
            assert room not in page.locator(".ctg-room").inner_text()
            assert key not in page.url and key not in page.content()
            page.close()
    finally:
        participant.close()
    assert store.room(room).question == 0 and not store.room(room).locked
    store.close(room)
    store.close_store()
