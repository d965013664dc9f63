"""Benchmark: how soon a reader who opens a link sees the view, live against static.

One chosen view (the matrix by setting, acute hospital × systems and processes chosen) is
opened in Chromium, each load in a fresh browser context, from three sources in the same
run:

- ``static``: the static site's page of that view (``python -m explorer site``), served by a
  plain HTTP server: the floor;
- ``progressive``: plain Voila with progressive rendering (``--VoilaConfiguration.
  progressive_rendering=True``, no first view): Voila's own answer to a slow first paint;
- ``today``: the live explorer as it was before the first view (``--ExplorerVoila.
  first_view=False``, otherwise as ``voila.json`` serves it): when the widgets were live;
- ``live``: the live explorer as ``voila.json`` serves it, its first response holding the
  view (``explorer.serve.first_view``).

Each is measured for 1 reader at a time (``--runs`` loads) and for ``--readers`` (default 60)
arriving at once. In the page's own clock (from navigation start): first contentful paint
(``PerformanceObserver``, ``paint``), the moment the view's heading and grid are both visible,
and for the live sources the moment the live widgets' grid is visible (the controls work).
Prints medians and p90s, ratios against the static page, and verdicts for the issue's
targets: the view visible within 0.3 s for one reader and 1.0 s at p90 for 60 (ratio to the
static page at most 1.5), and the widgets live no later than ``today``.

    python bench/first_content.py [--runs N] [--readers N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import http.server
import json
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from common import (
    CHROMIUM_ARGS,
    add_common_arguments,
    chromium_path,
    load_line,
    median,
    recorded,
    served,
    shutdown_kernel,
    verdict,
)

from explorer.app.site import build_site
from explorer.data.load import load
from explorer.pages.registry import static_href

QUERY = "columns=setting_type&cell=systems_processes:acute_hospital"
HEADING = "Mechanisms × contexts"
# The view's grid: the live grid (and the first view, drawn alike) or the static table.
GRID = ".ctg-grid-table, table.ctg-ratings"
ONE_READER_S = 0.3
CROWD_P90_S = 1.0
STATIC_RATIO = 1.5
TIMEOUT_MS = 180_000

# Runs in every page before its own scripts: records, in the page's clock, the first
# contentful paint, when the view's heading and grid are both visible, and when the live
# widgets' grid is (in a live page, once the first view has handed over).
TIMINGS_JS = """(() => {
  const found = { fcp: null, view: null, live: null };
  window.__ctgTimings = found;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.name === "first-contentful-paint") { found.fcp = entry.startTime; }
    }
  }).observe({ type: "paint", buffered: true });
  const seen = (node) => node && node.getClientRects().length > 0
    && getComputedStyle(node).visibility !== "hidden";
  const check = () => {
    const now = performance.now();
    if (found.view === null
        && [...document.querySelectorAll("h1")].some((h) => seen(h)
             && h.textContent.includes(HEADING))
        && [...document.querySelectorAll(GRID)].some(seen)) { found.view = now; }
    if (found.live === null && !document.getElementById("ctg-first-view")
        && seen(document.querySelector(".ctg-root .ctg-grid-table"))) { found.live = now; }
  };
  const tick = () => { check(); if (found.view === null || found.live === null) {
    requestAnimationFrame(tick); } };
  new MutationObserver(check).observe(document, { childList: true, subtree: true,
                                                  attributes: true });
  requestAnimationFrame(tick);
})();""".replace("HEADING", json.dumps(HEADING)).replace("GRID", json.dumps(GRID))

DONE_JS = """(live) => { const t = window.__ctgTimings;
  return t && t.view !== null && t.fcp !== null && (!live || t.live !== null); }"""


@contextlib.contextmanager
def static_site() -> Iterator[str]:
    """The static site written into a temporary folder and served over HTTP: its base URL."""
    with tempfile.TemporaryDirectory(prefix="ctg-bench-site-") as tmp:
        folder = Path(tmp) / "site"
        build_site(load(), folder)
        handler = functools.partial(QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/"
        finally:
            server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """A static file server that does not log every request."""

    def log_message(self, format: str, *args: object) -> None:
        return


async def open_once(browser, url: str, live: bool, server=None) -> dict[str, float | None]:
    """One reader opening ``url`` in a fresh context: the page's timings in seconds."""
    context = await browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        page = await context.new_page()
        await page.add_init_script(TIMINGS_JS)
        await page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
        await page.wait_for_function(DONE_JS, arg=live, timeout=TIMEOUT_MS, polling=50)
        found = await page.evaluate("() => window.__ctgTimings")
        if server is not None:
            kernel = await page.evaluate(
                "() => { const c = document.getElementById('jupyter-config-data');"
                " return c ? JSON.parse(c.textContent).kernelId : null; }")
            if kernel:  # runs must not pile up kernels
                await asyncio.to_thread(shutdown_kernel, server.base, kernel)
        return {key: (value / 1000 if value is not None else None)
                for key, value in found.items()}
    finally:
        await context.close()


async def measure(url: str, live: bool, runs: int, readers: int, server=None) -> dict:
    """``runs`` loads one after another, then ``readers`` loads at once."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(),
                                                   args=CHROMIUM_ARGS)
        try:
            alone = [await open_once(browser, url, live, server) for _ in range(runs)]
            crowd = await asyncio.gather(*(open_once(browser, url, live, server)
                                           for _ in range(readers)))
        finally:
            await browser.close()
    return {"alone": alone, "crowd": list(crowd)}


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def column(loads: list[dict], key: str) -> list[float]:
    return [load[key] for load in loads if load.get(key) is not None]


def report(name: str, found: dict, floor: dict | None) -> None:
    for group, pick, label in (("alone", median, "median, 1 reader"),
                               ("crowd", p90, f"p90, {len(found['crowd'])} at once")):
        parts = []
        for key in ("fcp", "view", "live"):
            values = column(found[group], key)
            if not values:
                continue
            text = f"{key} {pick(values):.2f} s"
            if floor is not None and key != "live" and column(floor[group], key):
                text += f" ({pick(values) / pick(column(floor[group], key)):.2f}x static)"
            parts.append(text)
        print(f"{name:<12} {label:<22} " + "; ".join(parts), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=f"Targets: the view visible <= {ONE_READER_S} s for one reader and <= "
               f"{CROWD_P90_S} s at p90 for the crowd, <= {STATIC_RATIO}x the static page; the "
               "widgets live no later than without the first view.")
    parser.add_argument("--runs", type=int, default=5,
                        help="loads by one reader at a time, per source (default 5)")
    parser.add_argument("--readers", type=int, default=60,
                        help="readers arriving at once, per source (default 60)")
    add_common_arguments(parser)
    args = parser.parse_args()
    ds = load()
    print(load_line("before"), flush=True)
    with recorded("first_content", args) as figures:
        _run(ds, args, figures)
    print(load_line("after"))


def _run(ds, args: argparse.Namespace, figures: dict[str, object]) -> None:
    """Measure the four sources, print them and their verdicts, and put the figures in the
    run's record."""
    results: dict[str, dict] = {}
    with static_site() as base:
        href = static_href(ds, "matrix", columns="setting_type",
                           cell="systems_processes:acute_hospital")
        results["static"] = asyncio.run(measure(base + href, False, args.runs, args.readers))
    crowd = [f"--ThrottledKernelManager.max_kernels={max(240, 2 * args.readers)}"]
    with served(["--ExplorerVoila.first_view=False",
                 "--VoilaConfiguration.progressive_rendering=True", *crowd,
                 *args.voila_arg]) as server:
        results["progressive"] = asyncio.run(measure(
            server.url("matrix", QUERY), True, args.runs, args.readers, server))
    with served(["--ExplorerVoila.first_view=False", *crowd, *args.voila_arg]) as server:
        results["today"] = asyncio.run(measure(
            server.url("matrix", QUERY), True, args.runs, args.readers, server))
    with served([*crowd, *args.voila_arg]) as server:
        results["live"] = asyncio.run(measure(
            server.url("matrix", QUERY), True, args.runs, args.readers, server))
    print(f"\nThe matrix by setting, a cell chosen: seconds from navigation (page clock); "
          f"{args.runs} loads alone, {args.readers} at once")
    for name in ("static", "progressive", "today", "live"):
        report(name, results[name], None if name == "static" else results["static"])
    live, static = results["live"], results["static"]
    alone = median(column(live["alone"], "view"))
    crowded = p90(column(live["crowd"], "view"))
    floor = p90(column(static["crowd"], "view"))
    print(verdict(f"view visible <= {ONE_READER_S} s for one reader", alone <= ONE_READER_S,
                  f"median {alone:.2f} s"))
    print(verdict(f"view visible <= {CROWD_P90_S} s at p90 for {args.readers} and <= "
                  f"{STATIC_RATIO}x the static page",
                  crowded <= CROWD_P90_S and crowded / floor <= STATIC_RATIO,
                  f"p90 {crowded:.2f} s = {crowded / floor:.2f}x static {floor:.2f} s"))
    before = median(column(results["today"]["alone"], "live"))
    ours = median(column(live["alone"], "live"))
    print(verdict("widgets live no later than without the first view (1 reader, median)",
                  ours <= before * 1.05, f"{ours:.2f} s vs {before:.2f} s"))
    before = p90(column(results["today"]["crowd"], "live"))
    ours = p90(column(live["crowd"], "live"))
    print(verdict(f"widgets live no later than without the first view ({args.readers} at "
                  "once, p90)", ours <= before * 1.05, f"{ours:.2f} s vs {before:.2f} s"))
    for name, result in results.items():
        for moment in ("fcp", "view", "live"):
            alone_values = column(result["alone"], moment)
            crowd_values = column(result["crowd"], moment)
            if alone_values:
                figures[f"{name}_{moment}_alone_median_s"] = round(median(alone_values), 3)
            if crowd_values:
                figures[f"{name}_{moment}_crowd_p90_s"] = round(p90(crowd_values), 3)


if __name__ == "__main__":
    main()
