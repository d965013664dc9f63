"""Helpers for the browser tests: a real Voila server, a watched browser context, page checks.

The server is started exactly as ``make serve`` does (``voila notebooks/`` from the repository
root, so ``voila.json`` applies: the offline ``explorer`` template, tracebacks hidden). Pages
are driven by Debian's Chromium through Playwright; every page error, dialog and request is
recorded so a test can fail on any of them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import psutil
import pytest
from http_kit import http_get
from jupyter_core.paths import jupyter_runtime_dir
from playwright.sync_api import Browser, BrowserContext, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from process_kit import wait_for

from explorer.evidence import query
from explorer.pages.registry import PAGES as REGISTRY
from explorer.pages.registry import live_pages
from explorer.serve.provisioner import PRELOADER_MODULE, preloader_listens

ROOT = Path(__file__).resolve().parents[2]
VOILA = ROOT / ".venv" / "bin" / "voila"
PYTHON = ROOT / ".venv" / "bin" / "python"
# What `make serve` runs: Voila plus the live rooms' join page (explorer.serve.server).
SERVE = (str(PYTHON), "-m", "explorer", "serve")
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1366, "height": 2200}

START_TIMEOUT_S = 60
FIRST_RENDER_MS = 45_000  # a page load starts a kernel: ~4-6 s on 2 cores, more under load
DOCUMENT_MS = 30_000  # Voila answers once the notebook has run: normally 3-6 s here

# Every page of the explorer, from its one registry; and those whose default view has a chart.
PAGES = tuple(spec.name for spec in live_pages())  # the pages the live explorer serves
CHART_PAGES = frozenset(name for name, spec in REGISTRY.items() if spec.chart)

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
INERT_SCHEMES = frozenset({"data", "blob", "about"})

# What Voila writes when a notebook cell fails (tracebacks hidden or not).
VOILA_ERROR_TEXTS = (
    "Traceback",
    "There was an error when executing cell",
    "ExecutionError",
    "Execution error",
    "Cell execution timed out",
)

KERNEL_ID = re.compile(r"/api/kernels/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                       r"[0-9a-f]{12})")


def chromium_path() -> str:
    """The Chromium binary to drive: ``$EXPLORER_CHROMIUM`` or Debian's ``/usr/bin/chromium``."""
    return os.environ.get("EXPLORER_CHROMIUM") or "/usr/bin/chromium"


# -- the server ---------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _post(url: str, timeout: float = 5) -> None:
    """POST with a matching XSRF cookie and header (what Jupyter's API handlers require)."""
    request = urllib.request.Request(url, data=b"", method="POST", headers={
        "Cookie": "_xsrf=ctg-browser-tests", "X-XSRFToken": "ctg-browser-tests"})
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            pass
    except urllib.error.HTTPError as error:
        error.close()  # an error reply holds its socket open until closed
        raise


def shutdown_kernel(base: str, kernel_id: str) -> None:
    """Ask Voila to shut a page's kernel down (what it does itself when a page unloads)."""
    with contextlib.suppress(OSError):
        _post(f"{base}/voila/api/shutdown/{kernel_id}")


@dataclass
class VoilaServer:
    """One running ``voila notebooks/`` process group."""

    port: int
    process: subprocess.Popen
    log_path: Path
    data: Path | None = None
    state: Path | None = None

    @property
    def room_db(self) -> str:
        """The server's room store (a SQLite file in its own state folder)."""
        assert self.state is not None, "a server started by start_voila has a state folder"
        return f"sqlite:///{self.state / 'rooms.sqlite'}"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, page: str, query: str = "") -> str:
        """The address of a dashboard, e.g. ``url("story", "project=pathway")``."""
        return f"{self.base}/voila/render/{page}.ipynb" + (f"?{query}" if query else "")

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop Voila and every kernel it started; leave nothing running."""
        if self.process.poll() is not None:
            return
        try:
            kernels = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.Error:
            kernels = []
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)  # Voila shuts its kernels down
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        # Kernels run in sessions of their own: make sure none outlives the server.
        _, alive = psutil.wait_procs(kernels, timeout=10)
        for kernel in alive:
            with contextlib.suppress(psutil.Error):
                kernel.kill()
        psutil.wait_procs(alive, timeout=5)


PRELOADER = f"{PRELOADER_MODULE} serve"


def kernel_processes(server) -> list[psutil.Process]:
    """The kernel processes a server is running (none if the server has gone)."""
    try:
        children = psutil.Process(server.process.pid).children(recursive=True)
    except psutil.Error:
        return []
    return [child for child in children if is_kernel(child)]


def kernel_process(server, kernel_id: str) -> psutil.Process | None:
    """The process of the kernel ``kernel_id`` (None if there is none): the one of the
    server's kernels listening on the shell port its connection file names (a kernel forked
    by the preloader shows the preloader's command line, so the command line cannot say).
    Voila keeps connection files in a folder of its own (``<tmp>/voila_*``); Jupyter's
    server in its runtime folder."""
    name = f"kernel-{kernel_id}.json"
    found = [*Path(tempfile.gettempdir()).glob(f"voila_*/{name}"),
             Path(jupyter_runtime_dir()) / name]
    try:
        port = json.loads(next(p for p in found if p.exists()).read_text())["shell_port"]
    except (StopIteration, OSError, ValueError, KeyError):
        return None
    for process in kernel_processes(server):
        with contextlib.suppress(psutil.Error):
            if any(c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN
                   for c in process.net_connections("tcp")):
                return process
    return None


def is_kernel(process: psutil.Process) -> bool:
    """Whether ``process`` is a Jupyter kernel (false once it has gone): one launched as
    ``python -m ipykernel_launcher``, or one forked by the preloader (``explorer.serve.preload``),
    whose command line is the preloader's."""
    line = command_line(process)
    if PRELOADER in line:
        try:
            return PRELOADER in command_line(process.parent())
        except psutil.Error:
            return False
    return "ipykernel" in line


def command_line(process: psutil.Process) -> str:
    """A process's command line as one string; empty once it has gone."""
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


def start_voila(log_dir: Path, data: Path | None = None, *,
                notebook_dir: Path | str = "notebooks/",
                extra_args: Sequence[str] = (),
                environment: Mapping[str, str] | None = None,
                cwd: Path = ROOT, own_state: bool = True,
                command: Sequence[str] = SERVE) -> VoilaServer:
    """Start the server as ``make serve`` does (``python -m explorer serve notebooks/``: Voila
    and the rooms' join page) on a free port; wait until it serves.

    Rooms go to a SQLite store in a folder of its own beside the log (``$EXPLORER_STATE``),
    so two runs of the suite on one machine never share one.

    Args:
        log_dir: where the server's output goes (``voila-<port>.log``).
        data: a data package folder for ``$EXPLORER_DATA``; None = the embedded data.
        notebook_dir: the folder to serve (it must hold an ``index.ipynb``); the server still
            runs from the repository root, so ``voila.json`` applies.
        extra_args: command-line overrides, e.g. a short culling time for a test.
        environment: extra environment variables, e.g. ``EXPLORER_ROOM_DB``.
        cwd: the folder the server is started from (a copy of the checkout, say).
        own_state: False starts it with no ``$EXPLORER_STATE`` at all, exactly as the
            facilitators' guide says (answers then go to ``.explorer-state/`` in ``cwd``).
        command: what serves (default ``SERVE``, as ``make serve``); Voila's arguments follow.
    """
    env = {k: v for k, v in os.environ.items()
           if k not in ("EXPLORER_DATA", "EXPLORER_STRICT", "EXPLORER_DATA_BASE",
                        "EXPLORER_ROOM_DB", "EXPLORER_ROOM_URL", "EXPLORER_STATE")}
    if data is not None:
        env["EXPLORER_DATA"] = str(data)
    last_log = ""
    for _attempt in range(3):  # the free port can be taken in between: try another
        port = free_port()
        log_path = log_dir / f"voila-{port}.log"
        state = log_dir / f"state-{port}" if own_state else cwd / ".explorer-state"
        if own_state:
            env["EXPLORER_STATE"] = str(state)
        env.update(environment or {})
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [*command, str(notebook_dir), f"--port={port}", "--Voila.port_retries=0",
                 *extra_args],
                cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
        server = VoilaServer(port, process, log_path, data, state)
        if _wait_until_serving(server):
            return server
        last_log = server.log()
        server.stop()
    raise RuntimeError(f"Voila did not start within {START_TIMEOUT_S} s; its log:\n{last_log}")


def _wait_until_serving(server: VoilaServer) -> bool:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        reply = http_get(server.url("index"), timeout=30)
        if reply is None:
            time.sleep(0.25)
            continue
        status, body = reply
        if status == 200:
            # That request started a kernel for a page nobody will open: shut it down, and
            # wait until it has gone, so that every server starts with no kernel.
            found = re.search(r'"kernelId": "([0-9a-f-]{36})"', body)
            if found:
                shutdown_kernel(server.base, found.group(1))
                wait_for(lambda: not kernel_processes(server), 10)
            # Readers' kernels are forked once the preloader listens (until then they start
            # from scratch): a server is ready for the suite when its preloader is.
            return wait_for(lambda: preloader_listens(server.process.pid),
                            max(1.0, deadline - time.monotonic()))
        time.sleep(0.25)
    return False


def copy_data(target: Path) -> Path:
    """A throw-away copy of the repository's ``data/`` folder."""
    shutil.copytree(ROOT / "data", target)
    return target


# -- the browser ---------------------------------------------------------------------------

def is_local(url: str) -> bool:
    """True for requests that stay on this machine (or never leave the page)."""
    parts = urlsplit(url)
    if parts.scheme in INERT_SCHEMES:
        return True
    return (parts.hostname or "") in LOCAL_HOSTS


def block_remote(context: BrowserContext,
                 allowed: Callable[[str], bool] = is_local) -> list[str]:
    """Abort every request of ``context`` that ``allowed`` refuses, as a cut-off network would.

    Returns:
        The refused addresses, filled in as pages run (empty when nothing tried to leave).
    """
    refused: list[str] = []

    def route(route_) -> None:
        url = route_.request.url
        if allowed(url):
            route_.continue_()
        else:
            refused.append(url)
            route_.abort("internetdisconnected")

    context.route("**/*", route)
    return refused


def assert_only_local(urls: list[str]) -> None:
    """Fail naming every request that went to another host."""
    remote = sorted({url for url in urls if not is_local(url)})
    assert not remote, "requests left this machine:\n" + "\n".join(remote)


@dataclass
class Session:
    """One browser context for one test, with everything the pages did recorded."""

    context: BrowserContext
    server: VoilaServer
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.context.on("page", self._watch)
        self.context.on("request", lambda request: self.requests.append(request.url))

    def _watch(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.page_errors.append(f"{page.url}: {error}"))
        page.on("websocket", lambda socket_: self.requests.append(socket_.url))

        def on_dialog(dialog) -> None:
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            with contextlib.suppress(Exception):
                dialog.dismiss()

        page.on("dialog", on_dialog)

    def new_page(self) -> Page:
        return self.context.new_page()

    def open(self, name: str, query: str = "", *, server: VoilaServer | None = None,
             chart: bool | None = None, page: Page | None = None) -> Page:
        """Open a dashboard and wait until it is drawn (its chart too, if it has one).

        Voila sends the page only after the notebook has run in a fresh kernel (3-6 s here).
        A document that does not come within ``DOCUMENT_MS`` fails the test: that was Voila's
        one-minute stall, fixed by ``explorer.serve.kernels.PromptKernelClient``, and a regression
        must show.
        """
        url = (server or self.server).url(name, query)
        page = page or self.new_page()
        # Voila streams the page's head at once and the rest after the notebook has run.
        page.goto(url, timeout=FIRST_RENDER_MS, wait_until="commit")
        try:
            page.wait_for_function("() => document.readyState !== 'loading'",
                                   timeout=DOCUMENT_MS)
        except PlaywrightTimeoutError:
            pytest.fail(f"{url}: no page after {DOCUMENT_MS / 1000:.0f} s; the server-side "
                        "run stalled (see explorer.serve.kernels.PromptKernelClient)",
                        pytrace=False)
        wait_ready(page, name in CHART_PAGES if chart is None else chart)
        return page

    def assert_clean(self) -> None:
        """No page error and no dialog happened."""
        assert not self.page_errors, "errors in the page:\n" + "\n".join(self.page_errors)
        assert not self.dialogs, "dialogs opened:\n" + "\n".join(self.dialogs)

    def assert_only_local(self) -> None:
        assert_only_local(self.requests)

    def close(self) -> None:
        """Close the context and shut down the kernels its pages started."""
        kernels = {}
        for url in self.requests:
            found = KERNEL_ID.search(url)
            if found:
                parts = urlsplit(url)
                kernels[found.group(1)] = f"http://{parts.netloc}"
        with contextlib.suppress(Exception):
            self.context.close()
        for kernel_id, base in kernels.items():
            if is_local(base):
                shutdown_kernel(base, kernel_id)


@contextlib.contextmanager
def browsing(chromium: Browser, server: VoilaServer) -> Iterator[Session]:
    """A fresh browser context reading ``server`` (the tests' screen, downloads accepted);
    closed afterwards, with the kernels its pages started."""
    session = Session(chromium.new_context(viewport=VIEWPORT, accept_downloads=True), server)
    try:
        yield session
    finally:
        session.close()


def wait_ready(page: Page, chart: bool) -> None:
    """Wait for the dashboard root, then for its plotly chart when it should have one (on a
    narrow screen, for the chart's folded "Show the chart" instead)."""
    expect(page.locator(".ctg-root")).to_be_visible(timeout=FIRST_RENDER_MS)
    if chart:
        expect(page.locator(".ctg-figure .js-plotly-plot .main-svg, "
                            ".ctg-figure[data-folded] summary").first).to_be_visible(
            timeout=FIRST_RENDER_MS)


# A link to another view of the explorer, as a page's own links are (an overview cell to
# its evidence, a chip to a filtered matrix): added for one click, then removed.
FOLLOW_LINK_JS = """(href) => {
  const link = document.createElement('a');
  link.href = href;
  link.textContent = 'a link to another view';
  document.body.append(link);
  link.click();
  link.remove();
}"""


def follow(page: Page, name: str, query: str = "") -> None:
    """Click the navigation bar's link to ``name`` (a move inside the reader's kernel, no new
    page load) and wait until that page is shown: its content, its chart drawn (or folded
    away on a narrow screen) and its link marked current. With a ``query``, follow a link to
    that view instead, as a link inside a page does (also a move inside the kernel)."""
    if query:
        page.evaluate(FOLLOW_LINK_JS, f"{name}.ipynb?{query}")
        expect(page).to_have_url(re.compile(rf"/{name}\.ipynb\?."))
    else:
        page.locator(f'.ctg-nav a[href="{name}.ipynb"]').click()
    expect(page.locator(f".ctg-page-{name}")).to_be_visible()
    if name in CHART_PAGES:
        expect(page.locator(f".ctg-page-{name} .ctg-figure[data-draws], "
                            f".ctg-page-{name} .ctg-figure[data-folded]").first).to_be_attached()
    expect(page.locator(".ctg-nav a[aria-current='page']")).to_have_text(REGISTRY[name].title)


def assert_no_voila_error(page: Page) -> None:
    """Voila showed no failed cell, traceback or stderr output."""
    text = page.locator("body").inner_text()
    shown = [t for t in VOILA_ERROR_TEXTS if t in text]
    assert not shown, f"Voila error text on {page.url}: {shown}"
    expect(page.locator('[data-mime-type="application/vnd.jupyter.stderr"]')).to_have_count(0)
    expect(page.locator(".jp-OutputArea-output.jp-mod-error")).to_have_count(0)


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot to ``test-artifacts/screenshots/<name>.png``.

    Voila's page scrolls inside a panel, not the body, so the viewport is stretched to the
    content's height for the shot and restored afterwards.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    height = page.evaluate("""() => Math.max(document.documentElement.scrollHeight,
        ...[...document.querySelectorAll('body, body *')]
            .filter(el => /(auto|scroll)/.test(getComputedStyle(el).overflowY))
            .map(el => el.scrollHeight))""")
    original = page.viewport_size or VIEWPORT
    page.set_viewport_size({"width": original["width"],
                            "height": max(original["height"], min(int(height) + 40, 16_000))})
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(original)
    return path


# -- reading what a page shows -------------------------------------------------------------

def table_column(page: Page, selector: str, index: int = 0) -> list[str]:
    """The texts of one column of the first table inside ``selector`` (body rows only)."""
    table = page.locator(selector).locator("table").first
    cells = table.locator(f"tbody > tr > td:nth-child({index + 1})")
    return [text.strip() for text in cells.all_inner_texts()]


def shown_ids(page: Page, selector: str) -> list[str]:
    """The evidence records a table inside ``selector`` lists, by id: readers' tables fold
    the ids away for analysts (``details.ctg-ids``), in the table's order."""
    return [text.strip() for text in page.locator(selector).locator(
        "details.ctg-ids").first.locator("code").all_text_contents()]


def flows_first_table(links, column: str = "source") -> list[str]:
    """A column of the flows page's first table (activity type → mechanism), in page order."""
    first = links[links.stage == query.ACTIVITY_TO_MECHANISM]
    return list(first.sort_values(["source", "target"], kind="stable")[column])


def table_header(page: Page, selector: str) -> list[str]:
    """The column headings of the first table inside ``selector``."""
    table = page.locator(selector).locator("table").first
    return [text.strip() for text in table.locator("thead th").all_inner_texts()]


def query_of(page: Page) -> dict[str, str]:
    """The page's current query string as a dict (the address bar the user would share)."""
    return dict(parse_qsl(urlsplit(page.url).query, keep_blank_values=True))


def open_filters(page: Page) -> None:
    """Expand the filter panel (collapsed unless the URL has filters)."""
    panel = page.locator("details.ctg-filter-panel")
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    expect(page.locator(".ctg-facet").first).to_be_visible()


def checkbox(page: Page, facet: str, value: str):
    """The checkbox of one facet value (e.g. facet 'project', value 'pathway')."""
    return page.locator(f'.ctg-facet-{facet} input[type=checkbox][value="{value}"]')


def tick(page: Page, facet: str, *values: str) -> None:
    """Tick facet values as a reader would (opening the filter panel first)."""
    open_filters(page)
    for value in values:
        box = checkbox(page, facet, value)
        box.check()
        expect(box).to_be_checked()


def chip_texts(page: Page) -> list[str]:
    """The active-filter chips, as shown ('Project: Pathway … ✕')."""
    return [t.strip() for t in page.locator(".ctg-chip").all_inner_texts()]
