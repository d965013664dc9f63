"""Kernel life cycle: idle kernels go away, stopping the server leaves none, a flood is capped.

Each viewer costs a kernel (~150 MB). These tests start servers with short timeouts and small
caps (command-line overrides of ``voila.json``) so the behaviour shows within seconds.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import time
from pathlib import Path

import psutil
import pytest
from browser_kit import (
    FIRST_RENDER_MS,
    PRELOADER,
    PYTHON,
    ROOT,
    command_line,
    kernel_process,
    kernel_processes,
    shutdown_kernel,
    wait_for,
    wait_ready,
)
from http_kit import http_answer, http_get, http_page
from playwright.sync_api import expect

from explorer.serve import preload

pytestmark = pytest.mark.browser

FAST_CULL = ["--MappingKernelManager.cull_idle_timeout=4",
             "--MappingKernelManager.cull_interval=1",
             "--ThrottledKernelManager.connect_grace=4"]


def kernel_id_of(body: str) -> str:
    return re.search(r'"kernelId": "([0-9a-f-]{36})"', body).group(1)


def test_a_closed_tab_leaves_no_kernel_behind(chromium, voila_factory):
    """Open a dashboard, close the tab: its kernel is gone within the culling time."""
    server = voila_factory(None, extra_args=FAST_CULL)
    before = {k.pid for k in kernel_processes(server)}
    context = chromium.new_context()
    page = context.new_page()
    page.goto(server.url("matrix"), timeout=FIRST_RENDER_MS)
    wait_ready(page, chart=True)
    mine = [k for k in kernel_processes(server) if k.pid not in before]
    assert len(mine) == 1
    context.close()
    assert wait_for(lambda: not mine[0].is_running(), 30)


def test_an_idle_kernel_nobody_connected_to_is_culled(voila_factory):
    """A page fetched but never opened in a browser (no websocket) is culled once idle past
    the grace a page's kernel has for its browser to connect (``connect_grace``)."""
    server = voila_factory(None, extra_args=FAST_CULL)
    status, _ = http_answer(server.url("overview"), timeout=120)
    assert status == 200
    assert kernel_processes(server)
    assert wait_for(lambda: not kernel_processes(server), 30)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_stopping_the_server_mid_load_leaves_no_kernel_running(voila_factory, how):
    """Kernels never outlive their server, even when it is killed while pages load."""
    import threading

    server = voila_factory(None)
    def load_page() -> None:
        with contextlib.suppress(Exception):  # the server is about to die under this request
            http_get(server.url("matrix"), timeout=120)

    threads = [threading.Thread(target=load_page, daemon=True) for _ in range(3)]
    for thread in threads:
        thread.start()
    assert wait_for(lambda: len(kernel_processes(server)) >= 3, 60)
    kernels = kernel_processes(server)
    helpers = [p for p in psutil.Process(server.process.pid).children(recursive=True)
               if p not in kernels]  # the preloader
    os.killpg(server.process.pid, how)
    server.process.wait(timeout=30)
    # A kernel still starting when its server dies ends once it notices (ipykernel polls
    # its parent); on a loaded machine its start alone once took more than 20 s.
    assert wait_for(lambda: not survivors(kernels), 90), describe(survivors(kernels), server)
    assert wait_for(lambda: not survivors(helpers), 30), [
        command_line(p) for p in survivors(helpers)]


@pytest.mark.skipif(not preload.available(), reason="kernels are forked on Linux only")
def test_a_readers_kernel_is_forked_from_the_servers_preloader(voila_factory):
    """The server keeps one preloader and forks each reader's kernel from it, so the kernel
    starts with the explorer imported and the data loaded; the server holds the kernel
    itself: its only child is the preloader, with no process standing in for a kernel."""
    server = voila_factory(None)
    status, body = http_answer(server.url("overview"), timeout=120)
    assert status == 200
    kernel = kernel_process(server, kernel_id_of(body))
    assert kernel is not None
    assert PRELOADER in command_line(kernel.parent())
    children = psutil.Process(server.process.pid).children()
    assert [PRELOADER in command_line(child) for child in children] == [True]


# The server as `make serve` runs it, on a Linux without pidfds (before 5.3): it cannot hold a
# forked kernel, so it keeps no preloader.
WITHOUT_PIDFDS = (str(PYTHON), "-c", "import os, sys; del os.pidfd_open; "
                                     "from explorer.serve.server import main; main(sys.argv[1:])")


def test_without_the_fork_path_kernels_start_from_scratch_and_serve_the_pages(voila_factory):
    """Where kernels cannot be forked the server keeps no preloader, and the explorer
    kernelspec's provisioner launches each kernel as Jupyter's own does: pages are served
    the same."""
    server = voila_factory(None, command=WITHOUT_PIDFDS)
    status, body = http_answer(server.url("matrix"), timeout=120)
    assert status == 200 and "widget-view+json" in body
    assert "There was an error" not in body
    kernel = kernel_process(server, kernel_id_of(body))
    assert kernel is not None and "ipykernel_launcher" in command_line(kernel)
    assert kernel.ppid() == server.process.pid
    assert not any(PRELOADER in command_line(child)
                   for child in psutil.Process(server.process.pid).children())


# A kernel that dies at its first launch, as one whose port another server's kernel took
# between the port's choice and its bind (how a page through HAProxy came to wait for ever:
# Voila, handed the dead kernel, kept the page open with heartbeats and never ended it).
DIES_ONCE = """
import os, runpy, sys
flag = os.environ["EXPLORER_TEST_DIE_ONCE"]
if os.path.exists(flag):
    os.remove(flag)
    sys.exit("Address already in use (the test's kernel, dying at start)")
sys.argv = ["ipykernel_launcher", *sys.argv[1:]]
runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)
"""


def test_a_page_whose_kernel_dies_at_start_is_still_served(voila_factory, tmp_path):
    """The kernel manager hands a page only a kernel that has answered: one that dies at its
    launch is launched again, and the page is served instead of waiting for ever."""
    kernels = tmp_path / "jupyter" / "kernels" / "dies-once"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(PYTHON), "-c", DIES_ONCE, "-f", "{connection_file}"],
        "display_name": "dies once", "language": "python"}))
    pages = tmp_path / "pages"
    pages.mkdir()
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        content = json.loads(notebook.read_text(encoding="utf-8"))
        if notebook.stem == "matrix":
            content["metadata"]["kernelspec"]["name"] = "dies-once"
        (pages / notebook.name).write_text(json.dumps(content), encoding="utf-8")
    flag = tmp_path / "die-once"
    server = voila_factory(None, notebook_dir=pages, environment={
        "JUPYTER_PATH": str(tmp_path / "jupyter"), "EXPLORER_TEST_DIE_ONCE": str(flag)})
    flag.touch()
    status, body = http_page(server.url("matrix"), deadline=120)
    assert (status, "widget-view+json" in body) == (200, True)
    assert not flag.exists(), "the first launch did not die"
    assert "died before it answered" in server.log()


def survivors(kernels: list[psutil.Process]) -> list[psutil.Process]:
    """The kernels still running (a zombie has ended; only its parent has not reaped it)."""
    alive = []
    for kernel in kernels:
        with contextlib.suppress(psutil.Error):
            if kernel.is_running() and kernel.status() != psutil.STATUS_ZOMBIE:
                alive.append(kernel)
    return alive


def describe(kernels: list[psutil.Process], server) -> str:
    """What a kernel that outlived its server was doing, for the failure message: its parent
    then and at launch (``$JPY_PARENT_PID``, which ipykernel's parent poller compares), its
    state, age and threads' kernel wait channels, and the server log's last lines."""
    lines = [f"{len(kernels)} kernel(s) outlived their server (pid {server.process.pid}):"]
    for kernel in kernels:
        with contextlib.suppress(psutil.Error):
            launched_by = kernel.environ().get("JPY_PARENT_PID", "?")
            waits = sorted({wait_channel(kernel.pid, thread.id) for thread in kernel.threads()})
            lines.append(f"  pid {kernel.pid}: parent now {kernel.ppid()}, at launch "
                         f"{launched_by}; {kernel.status()}; up "
                         f"{time.time() - kernel.create_time():.0f} s; "
                         f"{kernel.num_threads()} threads waiting in {waits}")
    lines += ["server log, last lines:", *server.log().splitlines()[-25:]]
    return "\n".join(lines)


def wait_channel(pid: int, thread: int) -> str:
    try:
        return Path(f"/proc/{pid}/task/{thread}/wchan").read_text() or "running"
    except OSError:
        return "?"


def test_a_flood_beyond_the_cap_gets_a_busy_page_that_retries(chromium, voila_factory):
    """At the kernel cap, a new viewer sees a calm 'busy' page that reloads itself and gets
    the dashboard once a slot frees; nothing crashes and the link is kept."""
    server = voila_factory(None, extra_args=["--ThrottledKernelManager.max_kernels=1"])
    status, first = http_answer(server.url("index"), timeout=120)
    assert status == 200
    status, busy = http_answer(server.url("overview", "present=1"), timeout=120)
    assert status == 503
    assert "The explorer is busy" in busy
    assert '<meta http-equiv="refresh" content="5">' in busy
    assert "Traceback" not in busy and "https://" not in busy

    context = chromium.new_context()
    page = context.new_page()
    page.goto(server.url("overview", "present=1"), timeout=FIRST_RENDER_MS)
    expect(page.get_by_text("The explorer is busy")).to_be_visible()
    shutdown_kernel(server.base, kernel_id_of(first))  # the first viewer leaves
    expect(page.locator(".ctg-root")).to_be_visible(timeout=FIRST_RENDER_MS)
    assert page.url.endswith("overview.ipynb?present=1")
    context.close()
