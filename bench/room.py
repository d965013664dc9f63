"""Benchmark: a room of N people opening the same dashboard at the same moment.

N simultaneous HTTP requests for the page are sent to one server (each executes the notebook
in its own kernel on the server, which is the server's real cost; the viewers' browsers are
not this machine's cost), while one real browser opens the same page and waits for its first
chart. For N = 10, 20 and 30 (a fresh server each) it prints how many were served, the time
until all were served, errors, the slowest request, the browser's time to first chart, and
the kernels' total memory. Target (issue 5): 30 served within 60 s, no hung request.

``--plain`` repeats the run with Voila's stock settings for contrast: its kernel manager (no
queue, no cap), its kernel client (no sliced polling) and its 4 s wait for a page's output.

    python bench/room.py [--sizes 10,20,30] [--page matrix] [--plain]
"""

from __future__ import annotations

import argparse
import threading
import time
import urllib.error
import urllib.request

from common import browser, first_paint, kernels, served

REQUEST_TIMEOUT_S = 180
# Voila's own defaults for everything explorer.serving and voila.json change for a room.
PLAIN = ["--VoilaConfiguration.multi_kernel_manager_class="
         "jupyter_server.services.kernels.kernelmanager.AsyncMappingKernelManager",
         "--AsyncKernelManager.client_class=jupyter_client.asynchronous.AsyncKernelClient",
         "--VoilaExecutor.iopub_timeout=4"]


def fetch(url: str, results: list, index: int, start: float) -> None:
    try:
        with urllib.request.urlopen(url, timeout=REQUEST_TIMEOUT_S) as response:
            body = response.read().decode("utf-8", "replace")
            ok = (response.status == 200 and "widget-view+json" in body
                  and "There was an error" not in body)
            results[index] = ("served" if ok else "bad", time.perf_counter() - start)
    except urllib.error.HTTPError as error:
        results[index] = (f"HTTP {error.code}", time.perf_counter() - start)
    except Exception as error:
        results[index] = (type(error).__name__, time.perf_counter() - start)


def room(size: int, page: str, extra_args: list[str]) -> str:
    with served(extra_args) as server, browser() as chromium:
        url = server.url(page)
        results: list = [None] * size
        start = time.perf_counter()
        threads = [threading.Thread(target=fetch, args=(url, results, i, start), daemon=True)
                   for i in range(size)]
        for thread in threads:
            thread.start()
        try:
            browser_seconds, _ = first_paint(chromium, url, timeout_ms=REQUEST_TIMEOUT_S * 1000)
            browser_text = f"{browser_seconds:5.1f} s"
        except Exception as error:
            browser_text = f"failed ({type(error).__name__})"
        for thread in threads:
            thread.join(REQUEST_TIMEOUT_S + 5)
        memory_mb = sum(k.memory_info().rss for k in kernels(server)) / 2**20
        # A request still unanswered after the timeout is hung.
        results = [result or ("hung", float("nan")) for result in results]
        served_times = [t for status, t in results if status == "served"]
        errors = [status for status, _ in results if status != "served"]
        all_served = max(served_times) if len(served_times) == size else float("nan")
        return (f"N={size:<3} served {len(served_times):>2}/{size}  all served in "
                f"{all_served:6.1f} s  errors {len(errors)} {sorted(set(errors))}  "
                f"browser first chart {browser_text}  kernels {len(kernels(server))} "
                f"using {memory_mb:6.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,20,30")
    parser.add_argument("--page", default="matrix")
    parser.add_argument("--plain", action="store_true")
    args = parser.parse_args()
    configs = [("explorer (queued starts, capped)", [])]
    if args.plain:
        configs.append(("stock Voila: kernel manager, client and output wait", PLAIN))
    for label, extra in configs:
        print(f"\n[{label}] page {args.page}.ipynb")
        for size in map(int, args.sizes.split(",")):
            print(room(size, args.page, extra), flush=True)


if __name__ == "__main__":
    main()
