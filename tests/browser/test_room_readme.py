"""A room served exactly as the facilitators' guide (docs/facilitators.md) says: ``python -m
explorer serve notebooks/`` from the checkout's root, with no ``$EXPLORER_STATE`` and no
``$EXPLORER_ROOM_DB``.

The presenter's kernel works in ``notebooks/`` (and is forked from the preloader), the join
page in the folder the server was started from; both must use the one store the guide
names, ``.explorer-state/rooms.sqlite`` in that folder. The checkout is a temporary copy of
what the command reads (``notebooks/`` and ``voila.json``), so the suite writes nothing into
the repository.
"""

from __future__ import annotations

import re
import shutil

import pytest
from browser_kit import PRELOADER, ROOT, command_line, kernel_processes, start_voila
from playwright.sync_api import expect

from explorer.rooms import RoomStore

pytestmark = pytest.mark.browser

ROOM_MS = 30_000


@pytest.fixture(scope="module")
def readme_server(tmp_path_factory):
    """The server as the facilitators' guide starts it, from a copy of the checkout's root."""
    checkout = tmp_path_factory.mktemp("checkout")
    shutil.copytree(ROOT / "notebooks", checkout / "notebooks")
    shutil.copy(ROOT / "voila.json", checkout / "voila.json")
    server = start_voila(tmp_path_factory.mktemp("logs"), cwd=checkout, own_state=False)
    yield server, checkout
    server.stop()


def test_a_room_started_in_presentation_mode_is_answered_from_a_phone(web, chromium,
                                                                     readme_server):
    """Start a room in presentation mode; a phone opens the join address and answers; the
    presenter's panel counts it, and the answer is in .explorer-state/rooms.sqlite of the
    folder the server was started from (none beside the notebooks), as the server's log
    and the facilitators' guide say."""
    server, checkout = readme_server
    presenter = web.open("matrix", "present=1", server=server)
    presenter.get_by_role("button", name="Start a room").click()
    code = presenter.locator(".ctg-room-code")
    expect(code).to_have_text(re.compile(r"^[2-9A-Z]{7}$"), timeout=ROOM_MS)
    assert any(PRELOADER in command_line(kernel) for kernel in kernel_processes(server)), \
        "the presenter's kernel was not forked from the preloader"
    address = presenter.locator(".ctg-room-address").inner_text().strip()

    phone = chromium.new_context(viewport={"width": 360, "height": 640}, is_mobile=True)
    try:
        page = phone.new_page()
        page.goto(address)
        expect(page.get_by_text("Question 1 of 3")).to_be_visible()
        page.locator("label.ctg-option").first.click()
        page.get_by_role("button", name="Send my answer").click()
        expect(page.get_by_text("Your answer is saved.")).to_be_visible()
    finally:
        phone.close()
    expect(presenter.locator(".ctg-room-counts")).to_contain_text(
        "1 taking part · 1 answered", timeout=ROOM_MS)

    where = checkout / ".explorer-state" / "rooms.sqlite"
    assert where.is_file()
    assert not (checkout / "notebooks" / ".explorer-state").exists()
    assert f"Live rooms' answers are kept in sqlite:///{where}" in server.log()
    store = RoomStore(f"sqlite:///{where}")
    try:
        assert store.tally(code.inner_text()).respondents == {"relationship": 1}
    finally:
        store.close_store()
