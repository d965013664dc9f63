"""Browser specifications of a live page's first response (``explorer.serve.first_view``): the view
the address asks for arrives before anything of its kernel, the widgets take its place in
place and it is then read once, and a page whose kernel never comes keeps its view and says
what to do."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from browser_kit import FIRST_RENDER_MS, VIEWPORT, browsing, wait_ready
from playwright.sync_api import expect

from explorer import load, query
from explorer.pages.registry import static_href

CHOSEN_CELL = "columns=setting_type&cell=systems_processes:acute_hospital"

# A view other than the default for every live page, and words only that view shows.
ADDRESSES = {
    "index": ("version=0.1.0", ["Closing the Gap evidence explorer",
                                "Changed since version 0.1.0"]),
    "overview": ("version=0.2.0", ["What the evaluation found", "Changed since version 0.2.0"]),
    "matrix": (CHOSEN_CELL, ["Mechanisms × contexts", "Renal dialysis units",
                             "Systems and processes × Acute hospital"]),
    "story": ("project=peer-support", ["Project story", "Peer support workers (Nottingham)"]),
    "compare": ("project=pathway,peer-support", ["Compare projects",
                                                 "Pathway homeless care (UCLH)",
                                                 "Peer support workers (Nottingham)"]),
    "flows": ("project=pathway", ["Activities vs mechanisms",
                                  "Project: Pathway homeless care (UCLH)"]),
    "lessons": ("name=Our+ward&mechanism=systems_processes",
                ["Lessons for your project", "Our ward: the nearest project"]),
}


def stream(url: str) -> tuple[str, str]:
    """The response as it arrives: what had come when the first view was complete (up to
    the end of its script), and the whole response."""
    received = b""
    opening = ""
    with urllib.request.urlopen(url, timeout=FIRST_RENDER_MS / 1000) as response:
        while chunk := response.read1(65536):
            received += chunk
            if not opening:
                text = received.decode("utf-8", "replace")
                start = text.find('id="ctg-first-view"')
                end = text.find("</script>", start) if start >= 0 else -1
                if end >= 0:
                    opening = text[:end]
    return opening, received.decode("utf-8", "replace")


@pytest.mark.parametrize("name", list(ADDRESSES))
def test_the_first_response_holds_the_view_before_anything_of_its_kernel(voila, name):
    """The response to a live page's address for a view other than the default opens with
    that view's heading and content, complete, before the first byte that comes from the
    page's kernel (its id in Voila's page settings) and before Voila's live page starts."""
    address, words = ADDRESSES[name]
    opening, whole = stream(voila.url(name, address))
    assert opening, f"{name}: no first view in the response"
    assert '"kernelId"' not in opening and 'id="rendered_cells"' not in opening
    for text in words:
        assert text in opening.replace("&#39;", "'"), f"{name}: {text!r} not in its first view"
    assert whole.index(opening) == 0 and '"kernelId"' in whole[len(opening):]
    assert whole.count("<!DOCTYPE html>") == 1


def test_the_widgets_take_the_views_place_in_place_and_it_is_read_once(chromium, voila):
    """The chosen cell's view shows before any kernel connection; when the widgets have drawn
    it, the first view is gone, the grid says the same in the same place, and the page's
    heading and the chosen cell's evidence appear once; the browser's console logged no
    error on the way (a lab extension that failed to load, a missing icon)."""
    with browsing(chromium, voila) as session:
        page = session.new_page()
        sockets: list[str] = []
        errors: list[str] = []
        page.on("websocket", lambda socket: sockets.append(socket.url))
        page.on("console", lambda message: errors.append(message.text)
                if message.type == "error" else None)
        page.goto(voila.url("matrix", CHOSEN_CELL), wait_until="commit",
                  timeout=FIRST_RENDER_MS)
        first = page.locator("#ctg-first-view")
        expect(first.locator("h1")).to_have_text("Mechanisms × contexts")
        assert not [url for url in sockets if "/api/kernels/" in url]
        expect(first.get_by_role("status")).to_have_text("The controls are starting.")
        cells = first.locator(".ctg-grid-table button")
        before = cells.evaluate_all("nodes => nodes.map(n => n.getAttribute('aria-label'))")
        top = first.locator(".ctg-grid-table").bounding_box()
        wait_ready(page, chart=False)
        expect(first).to_have_count(0)
        grid = page.locator(".ctg-root .ctg-grid-table")
        after = grid.locator("button").evaluate_all(
            "nodes => nodes.map(n => n.getAttribute('aria-label'))")
        assert after == before
        assert abs(grid.bounding_box()["y"] - top["y"]) <= 4
        assert abs(grid.bounding_box()["x"] - top["x"]) <= 4
        expect(page.get_by_role("heading", name="Mechanisms × contexts")).to_have_count(1)
        expect(page.locator(".ctg-grid-table")).to_have_count(1)
        selected = page.locator(".ctg-grid-table .ctg-selected")
        expect(selected).to_have_attribute("data-key", "systems_processes:acute_hospital")
        assert errors == []
        session.assert_clean()


@pytest.fixture(scope="module")
def kernelless(voila_factory, tmp_path_factory):
    """A server whose kernels can never start: the explorer's kernelspec, found first on
    ``$JUPYTER_PATH``, runs a program that exits at once (each launch dies before it answers,
    and the page is refused after the last attempt)."""
    folder: Path = tmp_path_factory.mktemp("no-kernel")
    spec = folder / "kernels" / "explorer"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": ["/bin/false", "{connection_file}"], "display_name": "never starts",
        "language": "python"}), encoding="utf-8")
    return voila_factory(None, environment={
        "JUPYTER_PATH": str(folder), "EXPLORER_STATIC_URL": "https://static.example.org/"},
        extra_args=["--ThrottledKernelManager.start_attempts=1"])


def test_a_page_whose_kernel_never_comes_keeps_its_view_and_says_so(chromium, kernelless):
    """When the kernel never starts, the reader still has the whole view, the status line
    gives way to a plain sentence, and the read-only page of the same view and a retry are
    offered."""
    ds = load()
    with browsing(chromium, kernelless) as session:
        page = session.new_page()
        page.set_viewport_size(VIEWPORT)
        page.goto(kernelless.url("matrix", CHOSEN_CELL), timeout=FIRST_RENDER_MS)
        first = page.locator("#ctg-first-view")
        fallback = first.locator(".ctg-first-fallback")
        expect(fallback).to_be_visible(timeout=FIRST_RENDER_MS)
        expect(fallback).to_contain_text("The live controls could not start.")
        expect(first.locator(".ctg-first-status")).to_be_hidden()
        href = "https://static.example.org/" + static_href(
            ds, "matrix", columns="setting_type", cell="systems_processes:acute_hospital")
        expect(fallback.get_by_role("link", name="read-only page of this view")).to_have_attribute(
            "href", href)
        expect(fallback.get_by_role("link", name="Try the live page again")).to_be_visible()
        expect(first.locator("h1")).to_have_text("Mechanisms × contexts")
        records = query.cell_records(ds, "setting_type", "systems_processes", "acute_hospital")
        for why in records["Why this rating"]:
            expect(first.get_by_text(why, exact=False).first).to_be_visible()
        assert "Traceback" not in page.content()
