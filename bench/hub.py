"""Benchmark: N anonymous viewers arriving at once through JupyterHub, against one Voila server.

For each N (a fresh server each time, as in ``bench/room.py``):

- **hub**: a real JupyterHub from ``deploy/jupyterhub/jupyterhub_config.py`` (temporary users,
  local process spawner, configurable-http-proxy from npm). N viewers are real HTTP clients,
  each with its own cookies, doing what a browser does on the server: the temporary login,
  the spawn of their own single-user server, the wait for it, the OAuth hand-over and the Voila
  page (the notebook run in a new kernel). Meanwhile one real Chromium viewer (a fresh
  context, its own temporary user too) opens the same link; its time to first chart is timed.
- **voila**: the same N HTTP viewers plus one Chromium viewer against ``voila notebooks/``
  started from the repository root (``bench/common.py``'s ``served``, as ``bench/room.py``).

Times run from the first request. Memory is measured once every viewer is served: for the
hub, each viewer's single-user server plus its kernels (RSS, and USS: memory no other process
shares), and the whole tree (hub, proxy, culler, servers, kernels) per viewer; for Voila, each
kernel, and the whole tree (server and kernels) per viewer. Ratios are hub ÷ voila from the
same run. The viewers' own browsers are not this machine's cost, so N of them are HTTP
clients (as in ``bench/room.py``); the one real browser shows what a person sees meanwhile.

    python bench/hub.py [--sizes 5,10,20] [--page matrix]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil
from common import (  # puts tests/browser on the path
    CHART,
    browser,
    is_kernel,
    kernel_processes,
    load_line,
    median,
    memory_mb,
    served,
)
from hub_kit import Hub, missing_requirements, start_hub
from room import REQUEST_TIMEOUT_S, fetch

POLL_S = 0.5


class _Redirects(urllib.request.HTTPRedirectHandler):
    max_redirections = 30  # the login, spawn and OAuth hand-over chain is ~10 long


def hub_viewer(url: str, results: list, index: int, start: float) -> None:
    """One anonymous viewer over HTTP: log in, wait for their server, get the Voila page."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _Redirects())
    deadline = start + REQUEST_TIMEOUT_S
    status = "hung"
    while time.perf_counter() < deadline:
        try:
            with opener.open(url, timeout=REQUEST_TIMEOUT_S) as response:
                body = response.read().decode("utf-8", "replace")
                landed = response.geturl()
        except urllib.error.HTTPError as error:
            results[index] = (f"HTTP {error.code}", time.perf_counter() - start)
            return
        except Exception as error:
            results[index] = (type(error).__name__, time.perf_counter() - start)
            return
        if "/voila/render/" in landed and "/user/" in landed:
            ok = "widget-view+json" in body and "There was an error" not in body
            results[index] = ("served" if ok else "bad", time.perf_counter() - start)
            return
        time.sleep(POLL_S)  # the spawn-pending page: ask again, as its script would
    results[index] = (status, float("nan"))


def browser_first_chart(chromium, url: str) -> str:
    """Seconds from navigation to the first chart in a fresh Chromium context."""
    context = chromium.new_context(viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        start = time.perf_counter()
        page.goto(url, wait_until="commit", timeout=REQUEST_TIMEOUT_S * 1000)
        page.wait_for_url("**/voila/render/**", timeout=REQUEST_TIMEOUT_S * 1000)
        page.wait_for_selector(CHART, state="visible", timeout=REQUEST_TIMEOUT_S * 1000)
        return f"{time.perf_counter() - start:.1f}"
    except Exception as error:
        return f"failed ({type(error).__name__})"
    finally:
        context.close()


@dataclass
class Run:
    setup: str
    size: int
    served: int
    errors: list[str]
    all_served_s: float
    median_s: float
    browser: str
    viewer_rss_mb: float  # one viewer's own processes (hub: server + kernels; voila: kernel)
    viewer_uss_mb: float
    tree_rss_mb: float  # everything the setup runs, divided by the viewers it serves
    viewers_measured: int

    def row(self) -> str:
        errors = f"{len(self.errors)} {sorted(set(self.errors))}" if self.errors else "0"
        return (f"{self.setup:<5} N={self.size:<3} served {self.served:>2}/{self.size}  "
                f"all {self.all_served_s:6.1f} s  median {self.median_s:6.1f} s  "
                f"browser first chart {self.browser:>6} s  errors {errors}  per viewer: own "
                f"{self.viewer_rss_mb:5.0f} MB RSS {self.viewer_uss_mb:5.0f} MB USS, "
                f"all processes {self.tree_rss_mb:5.0f} MB RSS")


def crowd(size: int, url: str, viewer, chromium) -> tuple[list, str]:
    """N HTTP viewers at once, plus one browser; their results and the browser's time."""
    results: list = [None] * size
    start = time.perf_counter()
    threads = [threading.Thread(target=viewer, args=(url, results, i, start), daemon=True)
               for i in range(size)]
    for thread in threads:
        thread.start()
    browser_s = browser_first_chart(chromium, url)
    for thread in threads:
        thread.join(REQUEST_TIMEOUT_S + 5)
    return [r or ("hung", float("nan")) for r in results], browser_s


def _summary(results: list) -> tuple[int, list[str], float, float]:
    times = [t for status, t in results if status == "served"]
    errors = [status for status, _ in results if status != "served"]
    all_served = max(times) if len(times) == len(results) else float("nan")
    return len(times), errors, all_served, (median(times) if times else float("nan"))


def _run(setup: str, size: int, results: list, browser_s: str,
         per_viewer: list[tuple[float, float]], tree_rss_mb: float) -> Run:
    """A setup's ``Run`` from its viewers' results and the (RSS, USS) MB of each viewer's
    own processes; ``tree_rss_mb`` is everything the setup runs."""
    served_count, errors, all_s, median_s = _summary(results)
    return Run(setup, size, served_count, errors, all_s, median_s, browser_s,
               statistics.mean(m[0] for m in per_viewer) if per_viewer else 0,
               statistics.mean(m[1] for m in per_viewer) if per_viewer else 0,
               tree_rss_mb / max(1, len(per_viewer)), len(per_viewer))


def hub_run(size: int, page: str, chromium, state: Path) -> Run:
    hub: Hub = start_hub(state)
    try:
        results, browser_s = crowd(size, hub.url(page), hub_viewer, chromium)
        per_viewer = [
            memory_mb([server, *(p for p in server.children(recursive=True) if is_kernel(p))])
            for server in hub.single_user_servers().values()]
        tree_rss_mb = memory_mb([psutil.Process(hub.process.pid), *hub.descendants()])[0]
    finally:
        survivors = hub.stop()
        if survivors:
            print(f"  warning: {len(survivors)} processes outlived the hub (then killed):\n    "
                  + "\n    ".join(hub.survivor_names), flush=True)
    return _run("hub", size, results, browser_s, per_viewer, tree_rss_mb)


def voila_run(size: int, page: str, chromium) -> Run:
    with served() as server:
        results, browser_s = crowd(size, server.url(page), fetch, chromium)
        kernels = kernel_processes(server)
        per_viewer = [memory_mb([kernel]) for kernel in kernels]
        tree_rss_mb = memory_mb([psutil.Process(server.process.pid), *kernels])[0]
    return _run("voila", size, results, browser_s, per_viewer, tree_rss_mb)


def _ratio(a: float, b: float) -> str:
    return f"{a / b:5.2f}x" if b and b == b and a == a else "   - "


def _seconds(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5,10,20")
    parser.add_argument("--page", default="matrix")
    args = parser.parse_args()
    missing = missing_requirements()
    if missing:
        sys.exit(missing)
    print(f"{psutil.virtual_memory().total / 2**30:.0f} GiB; {load_line('at start')}; page "
          f"{args.page}.ipynb; N HTTP viewers + 1 Chromium viewer each run", flush=True)
    table = []
    with browser() as chromium, tempfile.TemporaryDirectory(prefix="ctg-bench-hub-") as tmp:
        for size in map(int, args.sizes.split(",")):
            hub = hub_run(size, args.page, chromium, Path(tmp) / f"n{size}")
            print(hub.row(), flush=True)
            voila = voila_run(size, args.page, chromium)
            print(voila.row(), flush=True)
            print(f"      {load_line()}", flush=True)
            table.append((hub, voila))
    print("\nN   | all served: hub / voila (s)  | browser first chart: hub / voila (s) | "
          "per viewer, own processes RSS: hub / voila (MB) | USS | all processes RSS")
    for hub, voila in table:
        print(f"{hub.size:<3} | {hub.all_served_s:5.1f} / {voila.all_served_s:5.1f} "
              f"{_ratio(hub.all_served_s, voila.all_served_s)} | "
              f"{hub.browser:>5} / {voila.browser:>5} "
              f"{_ratio(_seconds(hub.browser), _seconds(voila.browser))} | "
              f"{hub.viewer_rss_mb:4.0f} / {voila.viewer_rss_mb:4.0f} "
              f"{_ratio(hub.viewer_rss_mb, voila.viewer_rss_mb)} | "
              f"{hub.viewer_uss_mb:4.0f} / {voila.viewer_uss_mb:4.0f} "
              f"{_ratio(hub.viewer_uss_mb, voila.viewer_uss_mb)} | "
              f"{hub.tree_rss_mb:4.0f} / {voila.tree_rss_mb:4.0f} "
              f"{_ratio(hub.tree_rss_mb, voila.tree_rss_mb)}")
    print(load_line("at end"))


if __name__ == "__main__":
    main()
