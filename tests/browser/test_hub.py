"""Many live viewers through JupyterHub, started from the repository's config (``make hub``).

A real JupyterHub (``deploy/jupyterhub/jupyterhub_config.py``: temporary users, the local
process spawner, configurable-http-proxy from npm, the idle culler) on free ports with its
state in a temporary folder. Three anonymous visitors open the matrix link at once, each in a
browser context of their own; each must get a single-user server of their own and the
explorer's matrix page; then stopping the hub must leave no process behind.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import psutil
import pytest
from browser_kit import DOCUMENT_MS, VIEWPORT, Session, is_kernel, wait_ready
from hub_kit import Hub, is_single_user_server, missing_requirements, start_hub
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

VIEWERS = 3
# A visitor's first load includes starting their server (~5 s here, more when three start on
# two cores at once) before Voila runs the notebook.
HUB_FIRST_RENDER_MS = 120_000


@pytest.fixture(scope="module")
def hub(tmp_path_factory) -> Iterator[Hub]:
    missing = missing_requirements()
    if missing:
        pytest.fail(missing, pytrace=False)
    hub = start_hub(tmp_path_factory.mktemp("hub"))
    try:
        yield hub
    finally:
        hub.stop()


def user_of(url: str) -> str:
    """The user name in a single-user server's address, ``/user/<name>/...``."""
    parts = urlsplit(url).path.split("/")
    assert len(parts) > 2 and parts[1] == "user", f"not a single-user server's page: {url}"
    return parts[2]


def open_viewers(chromium, hub: Hub, page: str, count: int) -> list[tuple[Session, object]]:
    """``count`` anonymous visitors open the same link at once, each in their own context."""
    sessions = [Session(chromium.new_context(viewport=VIEWPORT), server=None)
                for _ in range(count)]
    pages = [session.new_page() for session in sessions]
    # Navigate all of them before waiting for any: their servers start concurrently.
    for tab in pages:
        tab.goto(hub.url(page), timeout=HUB_FIRST_RENDER_MS, wait_until="commit")
    for tab in pages:
        tab.wait_for_url("**/user/*/voila/render/**", timeout=HUB_FIRST_RENDER_MS)
        tab.wait_for_function("() => document.readyState !== 'loading'", timeout=DOCUMENT_MS)
        wait_ready(tab, chart=page != "overview")
    return list(zip(sessions, pages, strict=True))


def test_three_anonymous_viewers_each_get_their_own_server_and_the_explorers_matrix(
        chromium, hub):
    """Three visitors at once each get their own user, server and kernel, and the offline matrix."""
    viewers = open_viewers(chromium, hub, "matrix", VIEWERS)
    try:
        names = [user_of(tab.url) for _, tab in viewers]
        assert len(set(names)) == VIEWERS, f"visitors shared a user: {names}"

        # The hub's own account of it: three temporary users, each with a ready server.
        users = hub.users()
        for name in names:
            assert name in users, f"{name} unknown to the hub: {sorted(users)}"
            server = users[name]["servers"][""]
            assert server["ready"], f"{name}'s server is not ready: {server}"
            assert server["url"] == f"/user/{name}/"

        # On the machine: one single-user server process per visitor, running their page's
        # kernel, all distinct.
        servers = hub.single_user_servers()
        assert set(names) <= set(servers), f"servers found for {sorted(servers)}, not {names}"
        assert len({servers[name].pid for name in names}) == VIEWERS
        for name in names:
            kernels = [p for p in servers[name].children(recursive=True) if is_kernel(p)]
            assert kernels, f"{name}'s server runs no kernel"

        for session, tab in viewers:
            # The explorer's page, not bare Voila: its dashboard and chart, sources stripped,
            # no error shown, and no request left this machine (Voila's stock "lab" template
            # would fetch Font Awesome from a CDN, Voila as an extension MathJax).
            expect(tab.locator(".ctg-root")).to_be_visible()
            expect(tab.locator(".ctg-figure .js-plotly-plot .main-svg").first).to_be_visible()
            text = tab.locator("body").inner_text()
            assert "import build" not in text, "the notebook's code is shown"
            assert "There was an error when executing cell" not in text
            session.assert_only_local()
            session.assert_clean()
    finally:
        for session, _ in viewers:
            with contextlib.suppress(Exception):
                session.context.close()


def test_a_presenter_on_the_hub_opens_a_room_that_phones_join_without_signing_in(
        chromium, hub):
    """On the hub the join page is the `room` service: the presenter's panel gives its
    address, and a phone with no hub account opens the room's first question there."""
    session, tab = open_viewers(chromium, hub, "matrix", 1)[0]
    phone = chromium.new_context(viewport={"width": 360, "height": 640})
    try:
        tab.goto(tab.url + ("&" if "?" in tab.url else "?") + "present=1")
        wait_ready(tab, chart=True)
        tab.get_by_role("button", name="Start a room").click()
        code = tab.locator(".ctg-room-code")
        expect(code).to_have_text(re.compile(r"^[2-9A-Z]{7}$"))
        address = tab.locator(".ctg-room-address").inner_text().strip()
        assert address == f"{hub.base}/services/room/room/{code.inner_text()}"
        page = phone.new_page()
        page.goto(address)
        expect(page.get_by_text("Question 1 of 3")).to_be_visible()
        assert "/hub/login" not in page.url
    finally:
        phone.close()
        with contextlib.suppress(Exception):
            session.context.close()


def test_stopping_the_hub_leaves_no_process_behind(chromium, hub):
    """Stopping the hub stops its proxy, culler, servers and kernels, and removes viewers' homes."""
    if not hub.single_user_servers():  # run on its own: start one viewer's server first
        open_viewers(chromium, hub, "overview", 1)[0][0].context.close()
    tree = hub.descendants()
    names = {p.pid: " ".join(p.cmdline()) for p in tree}
    assert any(is_single_user_server(p) for p in tree), names
    assert any(is_kernel(p) for p in tree), names
    assert any("configurable-http-proxy" in cmd for cmd in names.values()), names
    assert any("jupyterhub_idle_culler" in cmd for cmd in names.values()), names

    survivors = hub.stop()

    assert hub.process.returncode is not None
    assert not survivors, "still running after the hub stopped:\n" + "\n".join(
        f"{p.pid} {names.get(p.pid, '?')}" for p in survivors)
    assert not [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    # The anonymous viewers' homes go with their servers.
    assert not any((hub.state / "users").iterdir())

