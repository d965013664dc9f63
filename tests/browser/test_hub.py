"""Analysts on JupyterHub, started from the repository's config (``make hub``).

A real JupyterHub (``deploy/jupyterhub/jupyterhub_config.py``: NativeAuthenticator, the local
process spawner, configurable-http-proxy from npm, the idle culler) on free ports with its
state in a temporary folder and one admin (``hub_kit.ADMIN``). An analyst signs up in the
browser, waits for the admin's approval, signs in and lands in JupyterLab with the analysis
notebooks in their home; the tutorial runs in a kernel of their server; a second analyst's
edits stay in the second analyst's home and survive a restart; a dashboard link works for a
signed-in analyst and sends anyone else to the sign-in page; a presenter's live room is
joined through the hub's ``room`` service without an account; stopping the hub leaves no
process behind and keeps the homes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import psutil
import pytest
from browser_kit import VIEWPORT, Session, is_kernel, wait_ready
from hub_kit import (
    PASSWORD,
    Analyst,
    Hub,
    admin_of,
    is_single_user_server,
    missing_requirements,
    register,
    run_notebook,
    start_hub,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# Signing in starts the analyst's server (~3-6 s here, more on a busy machine) before
# JupyterLab loads its bundles.
SIGN_IN_MS = 120_000
TUTORIAL = "analysis/tutorial.ipynb"
TUTORIAL_TITLE = "Tutorial: the evidence as tidy tables"
SENT_TO_ADMIN = "Your information has been sent to the admin."


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


@pytest.fixture(scope="module")
def admin(hub) -> Analyst:
    return admin_of(hub)


@pytest.fixture(scope="module")
def ann(hub, admin) -> Analyst:
    """An approved, signed-in analyst whose server is running."""
    return register(hub, admin, "ann")


def sign_in(page, hub: Hub, name: str) -> None:
    page.goto(f"{hub.base}/hub/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login_submit")


def test_an_analyst_signs_up_is_approved_and_lands_in_jupyterlab_with_the_notebooks(
        chromium, hub, admin):
    """Sign-up waits for an admin's approval; then sign-in opens JupyterLab in the analyst's
    own home, which holds the analysis notebooks, and the tutorial opens there as it is on
    disk (not already marked as changed, once its kernel is ready)."""
    context = chromium.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(f"{hub.base}/hub/signup")
        page.fill("input[name=username]", "cleo")
        page.fill("input[name=signup_password]", PASSWORD)
        page.fill("input[name=signup_password_confirmation]", PASSWORD)
        page.click("#signup_submit")
        expect(page.get_by_text(SENT_TO_ADMIN)).to_be_visible()

        sign_in(page, hub, "cleo")  # not yet approved
        expect(page.get_by_text("User cleo has not been authorized by an administrator "
                                "yet.")).to_be_visible()
        assert "cleo" not in hub.single_user_servers()

        admin.approve("cleo")
        sign_in(page, hub, "cleo")
        page.wait_for_url(re.compile(r"/user/cleo/lab"), timeout=SIGN_IN_MS)
        expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=SIGN_IN_MS)

        home = hub.home("cleo")
        for name in ("tutorial.ipynb", "tutorial.py", "jupytext.toml"):
            assert (home / "analysis" / name).exists(), name
        assert (home / "dashboards" / "matrix.ipynb").exists()
        server = hub.single_user_servers()["cleo"]
        assert server.cwd() == str(home)

        page.goto(f"{hub.base}/user/cleo/lab/tree/{TUTORIAL}")
        expect(page.locator(".jp-NotebookPanel h1", has_text=TUTORIAL_TITLE)).to_be_visible(
            timeout=SIGN_IN_MS)
        expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
               ).to_be_attached(timeout=SIGN_IN_MS)
        expect(page.locator(".lm-TabBar-tab.jp-mod-current")).not_to_have_class(
            re.compile(r"\bjp-mod-dirty\b"))
    finally:
        context.close()


def test_the_tutorial_runs_without_error_in_an_analysts_kernel(ann):
    """Every cell of the tutorial runs in a kernel of the analyst's own server, without error."""
    assert run_notebook(ann, TUTORIAL) == []


def test_one_analysts_edits_stay_theirs_pair_with_jupytext_and_survive_a_restart(
        hub, admin, ann):
    """A second analyst's saved edit is in their .ipynb and its jupytext .py, not in the first
    analyst's files, and is still there after their server restarts."""
    bob = register(hub, admin, "bob")
    note = "Bob's own note on the tutorial"
    original_ipynb = ann.api("GET", f"contents/{TUTORIAL}")["content"]
    ann_py = hub.home("ann") / "analysis" / "tutorial.py"
    original_py = ann_py.read_text(encoding="utf-8")

    notebook = bob.api("GET", f"contents/{TUTORIAL}")["content"]
    notebook["cells"].insert(0, {"cell_type": "markdown", "metadata": {}, "source": note})
    bob.api("PUT", f"contents/{TUTORIAL}", {"type": "notebook", "format": "json",
                                            "content": notebook})
    # jupytext wrote the pair's .py too
    assert note in (hub.home("bob") / "analysis" / "tutorial.py").read_text(encoding="utf-8")

    assert ann.api("GET", f"contents/{TUTORIAL}")["content"] == original_ipynb
    assert ann_py.read_text(encoding="utf-8") == original_py

    bob.stop_server()
    bob.start_server()
    assert bob.api("GET", f"contents/{TUTORIAL}")["content"]["cells"][0]["source"] == note


def test_a_dashboard_link_opens_for_a_signed_in_analyst_and_asks_anyone_else_to_sign_in(
        chromium, hub, ann):
    """A matrix link through the hub opens the explorer's page in the analyst's own server;
    without an account it leads to the sign-in page, never to a page."""
    context = chromium.new_context(viewport=VIEWPORT)
    session = Session(context, server=None)
    try:
        page = session.new_page()
        sign_in(page, hub, "ann")
        page.wait_for_url(re.compile(r"/user/ann/"), timeout=SIGN_IN_MS)
        page.goto(hub.url("matrix", "columns=setting_type"), wait_until="commit")
        page.wait_for_url(re.compile(r"/user/ann/voila/render/dashboards/matrix\.ipynb"
                                     r"\?columns=setting_type$"), timeout=SIGN_IN_MS)
        wait_ready(page, chart=True)
        assert "import build" not in page.locator("body").inner_text()
        kernels = [p for p in hub.single_user_servers()["ann"].children(recursive=True)
                   if is_kernel(p)]
        assert kernels, "the dashboard runs in no kernel of ann's server"
        session.assert_only_local()
        session.assert_clean()
    finally:
        context.close()

    stranger = chromium.new_context(viewport=VIEWPORT)
    try:
        page = stranger.new_page()
        page.goto(hub.url("matrix", "columns=setting_type"))
        assert urlsplit(page.url).path == "/hub/login"
        expect(page.locator("input[name=password]")).to_be_visible()
        expect(page.locator(".ctg-root")).to_have_count(0)
    finally:
        stranger.close()


def test_a_presenter_on_the_hub_opens_a_room_that_phones_join_without_signing_in(
        chromium, hub, ann):
    """On the hub the join page is the `room` service: a signed-in analyst presenting the
    matrix starts a room, the panel gives the service's address, and a phone with no hub
    account opens the room's first question there."""
    context = chromium.new_context(viewport=VIEWPORT)
    session = Session(context, server=None)
    phone = chromium.new_context(viewport={"width": 360, "height": 640})
    try:
        tab = session.new_page()
        sign_in(tab, hub, "ann")
        tab.wait_for_url(re.compile(r"/user/ann/"), timeout=SIGN_IN_MS)
        tab.goto(hub.url("matrix", "present=1"), wait_until="commit")
        tab.wait_for_url(re.compile(r"/voila/render/dashboards/matrix\.ipynb"),
                         timeout=SIGN_IN_MS)
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
        context.close()


def test_stopping_the_hub_leaves_no_process_behind_and_keeps_the_homes(hub, ann):
    """Stopping the hub stops its proxy, culler, servers and kernels; analysts' homes stay."""
    tree = hub.descendants()
    names = {p.pid: " ".join(p.cmdline()) for p in tree}
    assert any(is_single_user_server(p) for p in tree), names
    assert any("configurable-http-proxy" in cmd for cmd in names.values()), names
    assert any("jupyterhub_idle_culler" in cmd for cmd in names.values()), names

    survivors = hub.stop()

    assert hub.process.returncode is not None
    assert not survivors, "still running after the hub stopped:\n" + "\n".join(
        f"{p.pid} {names.get(p.pid, '?')}" for p in survivors)
    assert not [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert (hub.home("ann") / TUTORIAL).exists()
