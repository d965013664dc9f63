"""A live room in real browsers, as a facilitator runs a workshop: the presenter starts it in
presentation mode at 1920×1080, 20 phones (360×640, each a browser context of its own) join
by its QR code and answer three questions, the presenter reveals, moves on, clears one
question and closes the room; hostile requests to the join page change nothing. Served as
``make serve`` serves it (Voila plus the join page, ``python -m explorer serve``)."""

from __future__ import annotations

import csv
import io
import re
import socket
from collections import Counter

import pytest
import zxingcpp
from browser_kit import (
    CHROMIUM_ARGS,  # noqa: F401 - the same browser as every other spec
    assert_only_local,
    block_remote,
    screenshot,
)
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from room_kit import RoomServer

from explorer.rooms import RoomStore, deck
from explorer.rooms.cli import export_csv

pytestmark = pytest.mark.browser

PRESENTER = {"width": 1920, "height": 1080}
PHONE = {"width": 360, "height": 640}
PHONES = 20
ROOM_MS = 30_000  # a store round trip plus one poll is about a second; leave room for load
TOUCH_PX = 44
LEVELS = ("clearly", "partly", "not_yet", "dont_know")
NOT_ON_SHOW = ("The facilitator has moved to another question, so this answer was not saved. "
               "Open the room again to see the question on show.")
CLOSED = ("The facilitator has closed this room, so it takes no more answers. Thank you for "
          "taking part.")
LOCKED = ("Answers are closed for now: the facilitator has locked the room. Your earlier "
          "answers are kept.")


def qr_address(page, selector: str = ".ctg-room-qr") -> str:
    """The address a QR code on the page encodes, read from its pixels with zxing-cpp."""
    image = page.locator(selector)
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
    """No sideways scrolling at 360 px, touch targets of at least 44 px, no script, no code.
    An answered page looks again by itself every few seconds; a check that meets that
    reload is made again on the reloaded page."""
    for _ in range(3):
        try:
            return _check_phone_page(page)
        except PlaywrightError as error:
            if "context was destroyed" not in str(error):
                raise
            page.wait_for_load_state()
    _check_phone_page(page)


def _check_phone_page(page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), \
        "the join page scrolls sideways at 360 px"
    for target in page.locator("label.ctg-option, button, .ctg-button").all():
        box = target.bounding_box()
        assert box is None or box["height"] >= TOUCH_PX, f"a target {box['height']} px high"
    assert page.locator("script").count() == 0
    text = page.locator("body").inner_text()
    assert not re.search(r"\bimport\b|\bdef\b|Traceback|explorer\.", text)


def axe_blocking(page) -> list[str]:
    """The page's critical and serious axe-core violations."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['impact']} {v['id']}: {v['help']} at {v['nodes'][0]['target']}"
            for v in results.response["violations"] if v["impact"] in ("critical", "serious")]


def send(page, expect_saved: bool = True) -> None:
    """Press "Send my answer" (and see it saved)."""
    page.get_by_role("button", name="Send my answer").click()
    if expect_saved:
        expect(page.get_by_text("Your answer is saved.")).to_be_visible()


def press(presenter, name: str) -> None:
    presenter.get_by_role("button", name=name, exact=True).click()


def test_a_workshop_from_start_to_close_with_twenty_phones(web, chromium, voila, ds,
                                                           tmp_path):
    """Start a room; 20 phones join by its QR code and answer; every answer counts ("None
    of these" and "Don't know" included), a 5/5/5/5 split shows as a tie, a stale form is
    refused, the export's rows give the tally, Clear empties the question on show only (at
    a second press), an earlier room's export stands beside the room (another CSV is
    refused), the panel passes axe, Lock and Close (at a second press, after pointing to the
    downloads) work, and a late phone reads that the room was closed. Nothing is fetched from
    outside the host."""
    relationship, mechanisms, foundations = deck(ds).questions
    presenter = web.new_page()
    presenter.set_viewport_size(PRESENTER)
    presenter = web.open("matrix", "present=1", page=presenter)
    press(presenter, "Start a room")
    code_box = presenter.locator(".ctg-room-code")
    expect(code_box).to_have_text(re.compile(r"^[2-9A-Z]{7}$"), timeout=ROOM_MS)
    code = code_box.inner_text()
    address = presenter.locator(".ctg-room-address").inner_text().strip()
    assert address == f"{voila.base}/room/{code}"
    assert qr_address(presenter) == address
    counts = presenter.locator(".ctg-room-counts")
    screenshot(presenter, "room-presenter-open")

    # Question 1: twenty phones join by the QR code's address and answer.
    phones = []
    for n in range(PHONES):
        context, requests, refused = phone(chromium)
        page = context.new_page()
        page.goto(address)
        expect(page.get_by_text("Question 1 of 3")).to_be_visible()
        page.locator("label.ctg-option").nth(n % len(relationship.choices)).click()
        send(page)
        phones.append((context, page, requests, refused))
    check_phone_page(phones[0][1])
    screenshot(phones[0][1], "room-phone-saved")
    expect(counts).to_contain_text(f"{PHONES} taking part · {PHONES} answered", timeout=ROOM_MS)
    expect(presenter.locator(".ctg-room-results")).to_have_count(0)
    press(presenter, "Reveal")
    expect(presenter.locator(".ctg-room-results h3")).to_contain_text(f"{PHONES} answers",
                                                                      timeout=ROOM_MS)

    # A phone left on question 1's form (changing its answer) when the room moves on.
    stale = phones[-1][1]
    stale.get_by_role("link", name="Change my answer").click()
    press(presenter, "Next question →")
    _, first, _, _ = phones[0]
    expect(first.get_by_text("Question 2 of 3")).to_be_visible(timeout=ROOM_MS)  # by itself
    stale.locator("label.ctg-option").nth(2).click()
    send(stale, expect_saved=False)
    expect(stale.get_by_role("alert")).to_have_text(NOT_ON_SHOW)
    check_phone_page(stale)
    store = RoomStore(voila.room_db)
    assert store.tally(code).respondents == {"relationship": PHONES}

    # Question 2: 5/5/5/5 on the first mechanism (a tie), don't know included.
    for n, (_, page, _, _) in enumerate(phones):
        if n:
            page.goto(address)
        for item, group in zip(mechanisms.items, page.locator("fieldset").all(), strict=True):
            level = LEVELS[n % 4] if item == mechanisms.items[0] else LEVELS[min(n % 3, 1)]
            group.locator("label.ctg-option").nth(LEVELS.index(level)).click()
        send(page)
    check_phone_page(phones[1][1])
    expect(counts).to_contain_text(f"{PHONES} answered this question", timeout=ROOM_MS)
    # Question 2 came hidden: nothing is shown while people answer, until Reveal.
    expect(presenter.locator(".ctg-room-results")).to_have_count(0)
    press(presenter, "Reveal")
    expect(presenter.locator(".ctg-room .js-plotly-plot .main-svg").first).to_be_visible(
        timeout=ROOM_MS)
    expect(presenter.locator(".ctg-room .legend")).to_contain_text("Tie: the room is split")
    expect(presenter.locator(".ctg-room-rule")).to_contain_text("no tie is broken")
    alternative = presenter.locator(".ctg-room .ctg-alt")
    expect(alternative).to_contain_text(f"Matrix of {len(mechanisms.items)} mechanisms by 7 "
                                        "projects and this room.")
    expect(alternative).to_contain_text("This room: a tie: Clearly, Partly, Not yet and Don't "
                                        "know, 5 each")
    screenshot(presenter, "room-presenter-tie")

    # Question 3: four tick nothing ("None of these").
    press(presenter, "Next question →")
    for n, (_, page, _, _) in enumerate(phones):
        page.goto(address)
        expect(page.get_by_text("Question 3 of 3")).to_be_visible()
        for k in range(n % 5):  # n % 5 == 0: nothing ticked
            page.locator("label.ctg-option").nth(k % len(foundations.choices)).click()
        send(page)
    expect(phones[0][1].get_by_text("That was the last question: thank you.")).to_be_visible()
    press(presenter, "Reveal")
    expect(presenter.locator(".ctg-tally li", has_text="None of these")).to_contain_text(
        "4 · 20%", timeout=ROOM_MS)

    # The export's rows give back the tally, every answer counted.
    with presenter.expect_download(timeout=60_000) as downloaded:  # built in the kernel
        presenter.get_by_role("button", name="Download the answers (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(downloaded.value.path().read_text("utf-8"))))
    tally = store.tally(code)
    rated = Counter((r["question_id"], r["item_id"], r["answer_id"]) for r in rows
                    if r["answer_id"])
    assert rated == Counter(dict(tally.counts))
    assert sum(1 for r in rows if r["answer"] == "None of these") == tally.empty["foundations"]
    people = {q: len({r["participant"] for r in rows if r["question_id"] == q})
              for q in tally.respondents}
    assert people == dict(tally.respondents) == {"relationship": PHONES,
                                                 "mechanisms": PHONES, "foundations": PHONES}

    # Compare with an earlier room: its export, chosen as a file, becomes a column of its
    # own; a file that is not a room's export changes nothing and says why.
    earlier = store.create_room(deck(ds)).code
    for n in range(3):
        store.answer(earlier, f"earlier-{n}", "relationship",
                     {"": relationship.choices[0].id})
    earlier_csv = tmp_path / "earlier.csv"
    earlier_csv.write_text(export_csv(store, earlier), encoding="utf-8")
    chooser = presenter.locator(".ctg-room-compare-file")
    chooser.set_input_files(str(earlier_csv))
    expect(presenter.locator(".ctg-room-message")).to_contain_text(
        f"Comparing with Room {earlier}", timeout=ROOM_MS)
    expect(alternative).to_contain_text(f"by 7 projects and 2 rooms (Room {earlier}")
    (tmp_path / "scores.csv").write_text("name,score\nann,3\n", encoding="utf-8")
    chooser.set_input_files(str(tmp_path / "scores.csv"))
    expect(presenter.locator(".ctg-room-message")).to_contain_text(
        "That file is not a room's answers", timeout=ROOM_MS)
    expect(alternative).to_contain_text("2 rooms")  # as it was
    assert axe_blocking(presenter) == []
    press(presenter, "Stop comparing")
    expect(alternative).to_contain_text("by 7 projects and this room.", timeout=ROOM_MS)
    store.close(earlier)

    # Clear: the question on show only, at a second press that says what it deletes.
    press(presenter, "Clear this question")
    expect(presenter.locator(".ctg-room-confirm")).to_contain_text(
        f"Clear deletes the {PHONES} answers to question 3")
    assert store.tally(code).respondents["foundations"] == PHONES  # not yet
    press(presenter, "Yes, clear question 3")
    expect(presenter.locator(".ctg-room-message")).to_contain_text(
        f"Cleared {PHONES} answers to question 3", timeout=ROOM_MS)
    assert store.tally(code).respondents == {"relationship": PHONES, "mechanisms": PHONES}

    # Lock: a phone's answer is refused with the message.
    press(presenter, "Lock")
    expect(counts).to_contain_text("locked", timeout=ROOM_MS)
    late = phones[3][1]
    late.goto(address)
    expect(late.get_by_text(LOCKED)).to_be_visible()
    press(presenter, "Unlock")

    # Close: the first press points to the downloads; the second deletes the room.
    press(presenter, "Close room")
    expect(presenter.locator(".ctg-room-confirm")).to_contain_text("Download the answers (CSV)")
    expect(presenter.get_by_role("button", name="Download the room report (HTML)")
           ).to_be_visible()
    assert store.open_rooms() != []
    press(presenter, "Yes, close the room")
    expect(presenter.locator(".ctg-room-message")).to_have_text(
        "The room is closed: its answers are deleted.", timeout=ROOM_MS)
    assert presenter.evaluate("() => Object.keys(localStorage)"
                              ".filter(k => k.startsWith('ctg-room-presenter'))") == []
    late.goto(address)
    expect(late.get_by_role("alert")).to_have_text(CLOSED)
    check_phone_page(late)
    store.close_store()
    for context, _page, requests, refused in phones:
        assert refused == []
        assert_only_local(requests)
        context.close()
    web.assert_only_local()


def test_a_store_that_does_not_answer_never_freezes_the_presenters_page(web, voila_factory):
    """The room store is a server that takes connections and never replies: after Start a
    room the panel says it is waiting for the store while the page keeps working (the step
    bar moves in the same kernel), then says nothing changed; no room, no traceback."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # connections are taken into the backlog and never answered
    try:
        server = voila_factory(None, environment={
            "EXPLORER_ROOM_DB": "postgresql+psycopg://nobody@127.0.0.1:"
                                f"{silent.getsockname()[1]}/rooms"})
        presenter = web.open("matrix", "present=1", server=server)
        press(presenter, "Start a room")
        expect(presenter.locator(".ctg-room-notice")).to_contain_text(
            "Waiting for the room's store", timeout=ROOM_MS)
        caption = presenter.locator(".ctg-step-caption")
        presenter.get_by_role("button", name="Next step →").click()  # the kernel is free
        expect(caption).to_contain_text("Step 1 of")
        expect(presenter.locator(".ctg-room-message")).to_have_text(
            "That did not reach the room's store, so nothing changed. Try again in a moment.",
            timeout=ROOM_MS)
        expect(presenter.locator(".ctg-room-notice")).to_be_empty()
        expect(presenter.get_by_role("button", name="Start a room")).to_be_enabled()
        assert "Traceback" not in presenter.locator(".ctg-root").inner_text()
    finally:
        silent.close()


@pytest.mark.parametrize("store_url", ["sqlite", "postgresql"], indirect=True)
def test_two_sends_at_once_from_one_phone_save_one_answer_on_either_store(chromium,
                                                                          store_url, ds):
    """One phone sends the same answer twice at the same moment (two tabs, as a double tap
    or a retry does), to a question it had not answered: both end on the saved page, never
    an error, and the store holds one answer from one participant (SQLite and PostgreSQL,
    the join page served alone)."""
    store = RoomStore(store_url)
    server = RoomServer(store)
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        code = store.create_room(deck(ds)).code
        page = context.new_page()
        page.goto(f"{server.base}/room/{code}")
        page.locator("label.ctg-option").first.click()
        send(page)
        store.update_room(code, question=1)
        tabs = [page, context.new_page()]
        for tab in tabs:
            tab.goto(f"{server.base}/room/{code}")
            for group in tab.locator("fieldset").all():
                group.locator("label.ctg-option").nth(1).click()
        at = page.evaluate("() => Date.now() + 500")  # one moment for both tabs to send
        for tab in tabs:
            tab.evaluate("(at) => setTimeout(() => document.forms[0].requestSubmit(), "
                         "at - Date.now())", at)
        for tab in tabs:
            expect(tab.get_by_text("Your answer is saved.")).to_be_visible()
        tally = store.tally(code)
        assert (tally.joined, tally.respondents["mechanisms"]) == (1, 1)
    finally:
        context.close()
        server.stop()
        store.close_store()


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
    from explorer.data.load import load

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
