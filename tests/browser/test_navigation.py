"""One kernel per reader: moving between pages switches the view inside the same kernel.

A reader's kernel is the server's cost (``bench/memory.py``), so a reader who visits every
page must still hold one kernel, and it must go away when they leave. These tests follow the
navigation bar as a reader does, use the browser's back and forward buttons, open deep links,
close tabs with and without Voila's shutdown beacon, and kill a kernel under an open page.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import psutil
import pytest
from browser_kit import (
    CHART_PAGES,
    FIRST_RENDER_MS,
    PAGES,
    Session,
    VoilaServer,
    follow,
    kernel_process,
    kernel_processes,
    screenshot,
    shutdown_kernel,
    wait_for,
)
from playwright.sync_api import Page, expect

from explorer.evidence import query
from explorer.pages.registry import PAGES as REGISTRY
from explorer.pages.registry import page_view

pytestmark = pytest.mark.browser

KERNEL_ID_JS = """() => JSON.parse(
  document.getElementById('jupyter-config-data').textContent).kernelId"""
# A short heartbeat for the lost-connection tests (the page's defaults: 10 s and 25 s). A
# kernel kept busy past it by a loaded machine is not taken for a lost one (the page asks the
# server first), but a kernel starved of CPU while idle could be: hence 6 s, not 1.5 s.
SHORT_HEARTBEAT = "window.ctgHeartbeat = {pingMs: 300, lostMs: 6000};"
LOST_SENTENCE = ("This page has lost its connection to the explorer's server: reload it to "
                 "open the same view again.")
FAST_CULL = ["--MappingKernelManager.cull_idle_timeout=5",
             "--MappingKernelManager.cull_interval=1"]


def kernel_model(server, kernel: str, timeout: float = 10) -> dict | None:
    """What the server says of the kernel (``GET /api/kernels/<id>``), None if it has no such
    kernel (404)."""
    try:
        with urllib.request.urlopen(f"{server.base}/api/kernels/{kernel}",
                                    timeout=timeout) as reply:
            return json.loads(reply.read())
    except urllib.error.HTTPError as error:
        error.close()
        if error.code == 404:
            return None
        raise


def kernel_alive(server, kernel: str) -> bool:
    """Whether the server still has the kernel."""
    model = kernel_model(server, kernel)
    return model is not None and model.get("id") == kernel


def kernel_state(server, kernel: str) -> str:
    """What the server says the kernel is doing ("busy", "idle", ...)."""
    model = kernel_model(server, kernel, timeout=30)
    assert model is not None, f"the server has no kernel {kernel}"
    return model["execution_state"]


def shown(page: Page, name: str) -> None:
    """``name`` is the page on show: its content, its chart, its link marked current."""
    expect(page.locator(f".ctg-page-{name}")).to_be_visible()
    if name in CHART_PAGES:
        expect(page.locator(f".ctg-page-{name} .ctg-figure[data-draws]").first).to_be_attached()
    expect(page.locator(".ctg-nav a[aria-current='page']")).to_have_text(REGISTRY[name].title)


def mark_document(page: Page) -> None:
    """Leave a mark in the document: it survives only if no page load happens."""
    page.evaluate("() => { window.ctgSameDocument = true; }")


def same_document(page: Page) -> bool:
    return bool(page.evaluate("() => window.ctgSameDocument === true"))


def websocket_kernels(session: Session) -> set[str]:
    """The kernels the session's pages opened a websocket to."""
    found = (re.search(r"/api/kernels/([0-9a-f-]{36})/channels", url) for url in
             session.requests)
    return {match.group(1) for match in found if match}


def test_clicking_through_every_page_stays_in_one_kernel(web, voila):
    """From the overview, the navigation bar reaches every page and back: no page load, one
    kernel (its id never changes, the server holds no more kernels than before), and the
    address bar names each page in turn."""
    page = web.open("overview")
    kernel = page.evaluate(KERNEL_ID_JS)
    assert kernel_alive(voila, kernel)
    before = len(kernel_processes(voila))
    mark_document(page)

    for name in [*(n for n in PAGES if n != "overview"), "overview"]:
        follow(page, name)
        expect(page).to_have_url(re.compile(rf"/voila/render/{name}\.ipynb$"))
        expect(page).to_have_title(re.compile(rf"^{re.escape(REGISTRY[name].title)} · "))

    assert same_document(page)
    assert page.evaluate(KERNEL_ID_JS) == kernel
    assert websocket_kernels(web) == {kernel}
    assert kernel_alive(voila, kernel)
    assert len(kernel_processes(voila)) <= before


def test_back_and_forward_restore_the_views_in_the_same_kernel(web, voila, ds):
    """Each move adds a history entry; back and forward bring back the page and the view the
    reader left there (its address and its controls), without a page load or a new kernel."""
    names = query.facet_options(ds, "project")
    project = list(names)[1]
    page = web.open("overview")
    kernel = page.evaluate(KERNEL_ID_JS)
    mark_document(page)

    follow(page, "matrix")
    page.locator(".ctg-columns select").select_option(query.column_kinds(ds)["setting_type"])
    expect(page).to_have_url(re.compile(r"/matrix\.ipynb\?columns=setting_type$"))
    follow(page, "story")
    page.locator(".ctg-project select").select_option(names[project])
    expect(page).to_have_url(re.compile(rf"/story\.ipynb\?project={project}$"))

    page.go_back()
    shown(page, "matrix")
    expect(page).to_have_url(re.compile(r"/matrix\.ipynb\?columns=setting_type$"))
    expect(page.locator(".ctg-columns select")).to_have_value(
        query.column_kinds(ds)["setting_type"])
    page.go_back()
    shown(page, "overview")
    expect(page).to_have_url(re.compile(r"/overview\.ipynb$"))
    page.go_forward()
    shown(page, "matrix")
    expect(page.locator(".ctg-columns select")).to_have_value(
        query.column_kinds(ds)["setting_type"])
    page.go_forward()
    shown(page, "story")
    expect(page).to_have_url(re.compile(rf"/story\.ipynb\?project={project}$"))
    expect(page.locator(".ctg-project select")).to_have_value(names[project])

    assert same_document(page)
    assert page.evaluate(KERNEL_ID_JS) == kernel
    assert websocket_kernels(web) == {kernel}


def deep_link(name: str, ds) -> str:
    """A view of ``name`` other than its default, built from its registry parameters."""
    parameters = page_view(name).parameters(ds)
    identified = [p for p, m in zip(ds.projects.project_id, ds.projects.membership,
                                    strict=True) if str(m) != "unidentified"]
    if "columns" in parameters:
        return "columns=setting_type&strength=evident"
    if "project" in parameters and not parameters["project"].many:
        return f"project={identified[-1]}"
    if "project" in parameters:
        return f"project={identified[-1]},{identified[0]}"
    if "strength" in parameters:
        return "strength=evident"
    if "mechanism" in parameters:
        return f"mechanism={ds.mechanisms.mechanism_id.iloc[-1]}"
    return "present=1"


@pytest.mark.parametrize("name", PAGES)
def test_every_deep_link_opens_its_page_directly(web, ds, name):
    """A pasted address opens that page and that view in a fresh kernel, and the address
    bar keeps it."""
    link = deep_link(name, ds)
    page = web.open(name, link)
    shown(page, name)
    expect(page).to_have_url(re.compile(rf"/{name}\.ipynb\?{re.escape(link)}$"))
    assert len(websocket_kernels(web)) == 1


def test_closing_the_tab_shuts_its_kernel_down_at_once(chromium, voila):
    """With the default settings, closing a tab after a tour sends Voila's shutdown beacon:
    the reader's one kernel is gone within seconds, not at the next idle cull."""
    context = chromium.new_context()
    page = context.new_page()
    session = Session(context, voila)
    session.open("overview", page=page)
    kernel = page.evaluate(KERNEL_ID_JS)
    follow(page, "matrix")
    follow(page, "story")
    assert kernel_alive(voila, kernel)

    page.close(run_before_unload=True)  # what closing a tab does: unload handlers run
    try:
        assert wait_for(lambda: not kernel_alive(voila, kernel), 10)
    finally:
        context.close()
        shutdown_kernel(voila.base, kernel)


def test_a_tab_closed_without_its_beacon_loses_its_kernel_to_the_idle_cull(chromium,
                                                                           voila_factory):
    """When no beacon arrives (the browser crashed, the network dropped), the idle cull of
    voila.json ends the kernel; here with a 5 s cull instead of 60 s to keep the test short."""
    server = voila_factory(None, extra_args=FAST_CULL)
    context = chromium.new_context()
    page = context.new_page()
    Session(context, server).open("overview", page=page)
    kernel = page.evaluate(KERNEL_ID_JS)
    follow(page, "flows")
    assert kernel_alive(server, kernel)
    assert wait_for(lambda: len(kernel_processes(server)) == 1, 10)

    context.close()  # no unload handlers: no beacon
    assert wait_for(lambda: not kernel_alive(server, kernel), 40)
    assert wait_for(lambda: not kernel_processes(server), 10)


def process_of(server, kernel: str) -> psutil.Process:
    """The kernel's process."""
    process = kernel_process(server, kernel)
    assert process is not None, f"no process for kernel {kernel}"
    return process


def reader_with_short_heartbeat(chromium, voila_factory) -> tuple[VoilaServer, Page, Session]:
    """A server of its own (the tests stop or kill its kernels) and a reader on its overview
    whose page uses ``SHORT_HEARTBEAT``."""
    server = voila_factory(None)
    context = chromium.new_context()
    context.add_init_script(SHORT_HEARTBEAT)
    page = context.new_page()
    session = Session(context, server)
    session.open("overview", page=page)
    return server, page, session


@pytest.mark.parametrize("how", ["shutdown", "kill"])
def test_a_lost_kernel_is_said_in_one_sentence_with_a_reload_button(chromium, voila_factory,
                                                                    ds, how):
    """When the reader's kernel is shut down by the server or dies, the page says so in one
    plain sentence and offers a button that reloads the same address: the same view, in a
    new kernel. (The heartbeat is shortened for the test; the page's defaults are 10 s/25 s.)"""
    server, page, session = reader_with_short_heartbeat(chromium, voila_factory)
    project = list(query.facet_options(ds, "project"))[2]
    follow(page, "story")
    page.locator(".ctg-project select").select_option(
        query.facet_options(ds, "project")[project])
    expect(page).to_have_url(re.compile(rf"/story\.ipynb\?project={project}$"))
    address = page.url
    kernel = page.evaluate(KERNEL_ID_JS)
    expect(page.locator("#ctg-lost")).to_have_count(0)

    if how == "shutdown":
        shutdown_kernel(server.base, kernel)
    else:
        process_of(server, kernel).kill()

    banner = page.locator("#ctg-lost")
    expect(banner).to_be_visible(timeout=20_000)
    expect(banner).to_have_attribute("role", "alert")
    sentence = banner.locator("span").inner_text().strip()
    assert sentence == LOST_SENTENCE
    assert len(re.findall(r"[.!?](\s|$)", sentence)) == 1
    button = banner.get_by_role("button", name="Reload this page")
    expect(button).to_be_visible()
    screenshot(page, f"lost-connection-{how}")

    button.click()
    expect(page.locator(".ctg-page-story")).to_be_visible(timeout=FIRST_RENDER_MS)
    assert page.url == address
    expect(page.locator(".ctg-project select")).to_have_value(
        query.facet_options(ds, "project")[project])
    expect(page.locator("#ctg-lost")).to_have_count(0)
    assert page.evaluate(KERNEL_ID_JS) != kernel
    session.close()


# Records whether the lost-connection banner ever appeared, however briefly.
WATCH_FOR_BANNER = """() => {
  window.ctgBannerSeen = false;
  new MutationObserver(() => {
    if (document.getElementById('ctg-lost')) { window.ctgBannerSeen = true; }
  }).observe(document.body, {childList: true, subtree: true});
}"""


# Queue `moves` moves in the reader's kernel at once, as fast clicks on the navigation bar do.
QUEUE_MOVES = """moves => {
  for (let i = 0; i < moves; i++) {
    const name = i % 2 ? 'overview' : 'matrix';
    document.querySelector(`.ctg-nav a[href="${name}.ipynb"]`).click();
  }
}"""


def suspend_while_busy(page: Page, server, process: psutil.Process) -> None:
    """Suspend the kernel's process in the middle of work: queue moves, suspend it, and keep
    it so once the server, its last word in, still calls it busy (else resume, try again).

    A warm kernel shows a page it has built before in a millisecond or two, so the queue is
    long enough to keep it working for a while. What the kernel sent just before it stopped
    may still be on its way: a kernel caught at the end of its work is soon called idle, one
    caught in the middle is called busy for as long as it stays stopped."""
    kernel = page.evaluate(KERNEL_ID_JS)
    for _ in range(20):
        page.evaluate(QUEUE_MOVES, 200)
        wait_for(lambda: kernel_state(server, kernel) == "busy", 10)
        process.suspend()
        if not wait_for(lambda: kernel_state(server, kernel) != "busy", 2):
            return
        process.resume()
    raise AssertionError("never caught the kernel busy")


def test_a_kernel_busy_past_the_deadline_is_not_taken_for_a_lost_one(chromium, voila_factory):
    """A kernel that answers late because it is working (here: stopped in the middle of a
    queue of moves for 2.5 times the heartbeat's deadline) keeps its page: the page asks the
    server, hears 'busy', shows no banner, and goes on once the kernel answers again."""
    server, page, session = reader_with_short_heartbeat(chromium, voila_factory)
    kernel = page.evaluate(KERNEL_ID_JS)
    process = process_of(server, kernel)
    checks = []  # the page's questions about its kernel
    page.on("response", lambda response: checks.append(response)
            if response.url.split("?")[0].endswith(f"/api/kernels/{kernel}") else None)
    page.evaluate(WATCH_FOR_BANNER)

    suspend_while_busy(page, server, process)
    try:
        for _ in range(600):  # Playwright reports responses while it waits, not in a sleep
            if len(checks) >= 2:
                break
            page.wait_for_timeout(100)
        assert len(checks) >= 2, "the late answers raised no question"
        page.wait_for_timeout(6000)  # another deadline: still no banner
        assert {check.json()["execution_state"] for check in checks} == {"busy"}
    finally:
        process.resume()
    follow(page, "matrix")  # the kernel answers again

    assert not page.evaluate("() => window.ctgBannerSeen"), "a busy kernel was called lost"
    expect(page.locator("#ctg-lost")).to_have_count(0)
    session.close()


def test_a_silent_kernel_shows_the_banner_and_its_next_answer_takes_it_away(
        chromium, voila_factory):
    """A kernel the server calls idle that still does not answer (here: its process
    suspended) has lost the page, which says so; when it answers again, the banner goes."""
    server, page, session = reader_with_short_heartbeat(chromium, voila_factory)
    process = process_of(server, page.evaluate(KERNEL_ID_JS))

    process.suspend()
    try:
        expect(page.locator("#ctg-lost")).to_be_visible(timeout=30_000)
    finally:
        process.resume()
    expect(page.locator("#ctg-lost")).to_have_count(0, timeout=30_000)
    follow(page, "matrix")
    session.close()


def test_the_benchmarks_simulated_reader_moves_like_a_browser(voila):
    """bench/protocol.py (tour.py --simulate) opens a page, moves by the navigation widget's
    own message as a click does, and its 'tab close' ends the kernel: the simulation stays
    faithful to what the pages do."""
    import sys
    from pathlib import Path

    from process_kit import run_coroutine

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from protocol import SimulatedReader

    async def tour() -> tuple[float, str]:
        reader = SimulatedReader(voila.base)
        await reader.open("overview", timeout=120)
        seconds = await reader.move("matrix", timeout=120)
        await reader.close(beacon=True)
        return seconds, reader.kernel_id

    seconds, kernel_id = run_coroutine(tour(), 300)
    assert 0 < seconds < 60
    assert wait_for(lambda: not kernel_alive(voila, kernel_id), 30), (
        "the simulated tab's kernel outlived its close")
