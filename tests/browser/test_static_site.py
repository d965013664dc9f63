"""The static site in a real browser, served by a plain static file server (no kernel):
every page renders its charts, every internal link resolves, nothing leaves the host, and
HTML planted in the data shows as text."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from browser_kit import VIEWPORT, block_remote, free_port, screenshot
from http_kit import http_get
from playwright.sync_api import expect

from explorer.app.site import build_site
from explorer.data.load import load

pytestmark = pytest.mark.browser

PLANTED = "<img src=x onerror=window.__planted=1>"


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """A site built from a copy of data/ with HTML planted in a summary, served by
    ``python -m http.server`` on a free port."""
    from conftest import DATA, PackageCopy, _assemble

    package = PackageCopy(_assemble(DATA, tmp_path_factory.mktemp("planted") / "data"))
    package.set_cell("projects", 3, "summary", PLANTED)
    folder = tmp_path_factory.mktemp("static") / "site"
    build_site(load(package.path), folder, live="https://live.example.org")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
         "--directory", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            if http_get(base + "index.html", timeout=2) is not None:
                break
            time.sleep(0.1)
        yield base, folder
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_walk_every_page_of_the_static_site(served, chromium):
    """From the start page, following links: every page answers 200 and draws all its
    charts, every relative link (and its #anchor) resolves, no request leaves the host."""
    base, folder = served
    context = chromium.new_context(viewport=VIEWPORT)
    remote = block_remote(context)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    queue, seen, links_checked = deque(["index.html"]), {"index.html"}, 0
    while queue:
        name = queue.popleft()
        response = page.goto(base + name)
        assert response is not None and response.status == 200, name
        boxes = page.locator("[data-ctg-figure]")
        for index in range(boxes.count()):
            expect(boxes.nth(index).locator(".main-svg").first).to_be_visible()
        expect(page.locator(".ctg-version")).to_contain_text("Dataset version")
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        for href in hrefs:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc:
                continue  # sources' own addresses and the live explorer: never fetched here
            target = urljoin(base + name, href)
            path = urlsplit(target).path.lstrip("/") or "index.html"
            with urllib.request.urlopen(target.split("#")[0], timeout=10) as answer:
                assert answer.status == 200, (name, href)
            if parts.fragment:
                if path == name:
                    assert page.locator(f"[id='{parts.fragment}']").count() == 1, (name, href)
                else:
                    assert f'id="{parts.fragment}"' in (folder / path).read_text(), (name, href)
            links_checked += 1
            if path.endswith(".html") and path not in seen:
                seen.add(path)
                queue.append(path)
        if name in ("index.html", "matrix-context_dimension.html", "story-pathway.html"):
            screenshot(page, "static-" + name.removesuffix(".html"))
    context.close()
    assert seen == {p.name for p in folder.glob("*.html")}, "every page is reachable by links"
    assert links_checked > 300
    assert remote == [], remote
    assert errors == [], errors


def test_html_planted_in_the_data_shows_as_text_on_the_static_site(served, chromium):
    """Markup planted in a summary shows as text on the static story page; it never runs."""
    base, _ = served
    context = chromium.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(base + "story-pathway.html")
    expect(page.get_by_text(PLANTED, exact=True)).to_be_visible()
    assert page.locator("img").count() == 0
    assert page.evaluate("() => window.__planted") is None
    context.close()


def test_static_pages_link_back_to_the_live_explorer(served, chromium):
    """A static page links to the same view in the live explorer given by --live."""
    base, _ = served
    context = chromium.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(base + "matrix-setting_type.html")
    expect(page.locator("a.ctg-live-link")).to_have_attribute(
        "href", "https://live.example.org/voila/render/matrix.ipynb?columns=setting_type")
    context.close()
