"""Benchmark: a room of N people opening the same dashboard at the same moment.

For each N (a fresh server each time, with this repository's ``voila.json``):

1. one real browser opens the page alone: its time to first chart is the same-run baseline;
2. the rush: N simultaneous HTTP requests for the page (each runs the notebook in its own
   kernel on the server, which is the server's real cost; the room's browsers are not this
   machine's cost) while one real browser opens the same page and waits for its first chart;
3. the N+1th viewer: once the rush is served, with every kernel still alive, one more real
   browser opens the page — is the server still responsive, or does it answer "busy"?

Prints, per N: served, the time until all were served, errors, hung requests (no answer
within ``--timeout``), the browser's first chart during the rush and for the N+1th viewer
(and their ratios to the lone viewer), the most kernels alive at once and their peak total
memory (RSS, and USS: what the kernels really add), and verdicts: all N served within 60 s,
0 errors, 0 hung; the N+1th viewer served.

``--plain`` repeats the run with Voila's stock settings for contrast: its kernel manager (no
queue, no cap), its kernel client (no sliced polling) and its 4 s wait for a page's output.
``--compare plain,preheat`` repeats it with the explorer's settings but kernels started from
scratch (``plain``), or Voila's own warm start (``preheat``: ``--pool-size`` kernels per
notebook started and run up to ``voila.utils.wait_for_request()`` before anyone asks, from
scratch; the rush starts once the pools are full). Memory is PSS as well as RSS and USS.

    python bench/room.py [--sizes 30,60] [--page matrix] [--plain] [--compare plain,preheat]
                         [--pool-size 1]
"""

from __future__ import annotations

import argparse
import threading
import time
import urllib.error
import urllib.request

from common import (
    CHART,
    CHARTLESS,
    READY,
    SERVED_NOTEBOOKS,
    Peak,
    add_common_arguments,
    add_figures,
    browser,
    close,
    compared_setups,
    kernel_processes,
    load_line,
    recorded,
    served,
    verdict,
)
from process_kit import wait_for

ALL_SERVED_S = 60
REQUEST_TIMEOUT_S = 180  # a request unanswered this long is hung (bench/hub.py uses it too)
# Voila's own defaults for everything explorer.serve.kernels and voila.json change for a room.
PLAIN = ["--VoilaConfiguration.multi_kernel_manager_class="
         "jupyter_server.services.kernels.kernelmanager.AsyncMappingKernelManager",
         "--AsyncKernelManager.client_class=jupyter_client.asynchronous.AsyncKernelClient",
         "--VoilaExecutor.iopub_timeout=4"]


def fetch(url: str, results: list, index: int, start: float,
          timeout: float = REQUEST_TIMEOUT_S) -> None:
    """One viewer over HTTP: ``results[index]`` = (status, seconds since ``start``)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = response.read().decode("utf-8", "replace")
            ok = (response.status == 200 and "widget-view+json" in body
                  and "There was an error" not in body)
            results[index] = ("served" if ok else "bad page", time.perf_counter() - start)
    except urllib.error.HTTPError as error:
        error.close()  # an error reply holds its socket open until closed
        results[index] = (f"HTTP {error.code}", time.perf_counter() - start)
    except TimeoutError:
        results[index] = ("hung", time.perf_counter() - start)
    except Exception as error:
        timed_out = isinstance(getattr(error, "reason", None), TimeoutError)
        results[index] = ("hung" if timed_out else type(error).__name__,
                          time.perf_counter() - start)


def browser_view(server, chromium, url: str, chart: bool, timeout: float) -> tuple[str, float]:
    """('served' | 'busy, then served' | what went wrong, seconds to first chart) for one
    real browser. A "busy" answer (HTTP 503) retries by itself; it is reported."""
    context = chromium.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    refused = []
    page.on("response", lambda response: refused.append(response.url)
            if response.status == 503 else None)
    start = time.perf_counter()
    try:
        page.goto(url, wait_until="commit", timeout=timeout * 1000)
        page.wait_for_selector(CHART if chart else READY, state="visible",
                               timeout=timeout * 1000)
    except Exception as error:
        context.close()
        return f"failed ({type(error).__name__}{', busy' if refused else ''})", float("nan")
    seconds = time.perf_counter() - start
    close(server, page)
    return ("busy, then served" if refused else "served"), seconds


def room(size: int, page: str, extra_args: list[str], timeout: float,
         pool: int = 0) -> tuple[list[str], dict[str, object]]:
    chart = page not in CHARTLESS
    with served(extra_args) as server, browser() as chromium:
        if pool and not wait_for(lambda: len(kernel_processes(server)) >= pool, 600):
            raise RuntimeError(f"Voila's pools did not fill ({pool} kernels)")
        url = server.url(page)
        _, alone = browser_view(server, chromium, url, chart, timeout)
        results: list = [None] * size
        with Peak(server) as peak:
            start = time.perf_counter()
            threads = [threading.Thread(target=fetch, args=(url, results, i, start, timeout),
                                        daemon=True) for i in range(size)]
            for thread in threads:
                thread.start()
            rush_status, rush = browser_view(server, chromium, url, chart, timeout)
            for thread in threads:
                thread.join(timeout + 5)
            # Every request has its answer (or is hung); their kernels are still alive.
            next_status, next_one = browser_view(server, chromium, url, chart, timeout)
        results = [result or ("hung", float("nan")) for result in results]
        served_times = [t for status, t in results if status == "served"]
        errors = [status for status, _ in results if status not in ("served", "hung")]
        hung = sum(status == "hung" for status, _ in results)
        all_served = max(served_times) if len(served_times) == size else float("nan")
    lines = [
        f"N={size:<3} served {len(served_times)}/{size} in {all_served:5.1f} s  "
        f"errors {len(errors)} {sorted(set(errors)) or ''}  hung {hung}",
        f"       first chart: alone {alone:5.1f} s | during the rush {rush:5.1f} s "
        f"({rush / alone:.1f}x, {rush_status}) | viewer N+1 after it {next_one:5.1f} s "
        f"({next_one / alone:.1f}x, {next_status})",
        f"       kernels alive at most {peak.kernels}, peak memory RSS {peak.rss_mb:6.0f} MB, "
        f"USS {peak.uss_mb:6.0f} MB ({peak.uss_mb / max(peak.kernels, 1):.0f} MB per kernel), "
        f"PSS {peak.pss_mb:6.0f} MB; everything the server holds {peak.everything_pss_mb:.0f} "
        f"MB PSS, {peak.pss_per_kernel_mb:.0f} MB per kernel",
        verdict(f"N={size}: all served within {ALL_SERVED_S} s, 0 errors, 0 hung",
                len(served_times) == size and all_served <= ALL_SERVED_S and not errors
                and not hung, f"{len(served_times)}/{size} in {all_served:.1f} s"),
        verdict(f"N={size}: a browser during the rush gets its chart", rush_status == "served",
                f"{rush:.1f} s"),
        verdict(f"N={size}: viewer N+1 is served, not refused", next_status == "served",
                f"{next_one:.1f} s, {next_status}"),
    ]
    found = {"served": len(served_times), "served_s": all_served, "errors": len(errors),
             "hung": hung, "alone_first_chart_s": alone, "rush_first_chart_s": rush,
             "next_viewer_s": next_one, "kernels": peak.kernels,
             "kernels_peak_rss_mb": peak.rss_mb, "kernels_peak_uss_mb": peak.uss_mb,
             "kernels_peak_pss_mb": peak.pss_mb,
             "everything_pss_mb": peak.everything_pss_mb,
             "everything_pss_per_kernel_mb": peak.pss_per_kernel_mb}
    return lines, found


def setup_name(label: str) -> str:
    """A setup's short name in the record: explorer, stock Voila, plain, preheat."""
    return label.split(" (")[0].removeprefix("compared: ").split(":")[0]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=f"Targets: all N served within {ALL_SERVED_S} s with no error and nothing hung; "
               "a browser gets its chart during the rush; viewer N+1 is served.")
    parser.add_argument("--sizes", default="30,60",
                        help="room sizes, each on a fresh server (default 30,60)")
    parser.add_argument("--page", default="matrix", help="the page everyone opens")
    parser.add_argument("--plain", action="store_true",
                        help="repeat with Voila's stock kernel manager, client and output wait")
    parser.add_argument("--compare", default="",
                        help="repeat with kernels started otherwise: plain (from scratch), "
                             "preheat (Voila's preheated pools); comma-separated")
    parser.add_argument("--pool-size", type=int, default=1,
                        help="with --compare preheat: kernels Voila keeps per notebook")
    parser.add_argument("--timeout", type=float, default=REQUEST_TIMEOUT_S,
                        help="seconds after which a request counts as hung "
                             f"(default {REQUEST_TIMEOUT_S})")
    add_common_arguments(parser)
    args = parser.parse_args()
    configs = [("explorer (voila.json: queued starts, capped, forked kernels)",
                list(args.voila_arg), 0)]
    if args.plain:
        configs.append(("stock Voila: kernel manager, client and output wait",
                        [*PLAIN, *args.voila_arg], 0))
    setups = compared_setups(args.pool_size)
    for name in (name for name in args.compare.split(",") if name):
        if name not in setups:
            parser.error(f"--compare: unknown {name!r}; known: {sorted(setups)}")
        configs.append((f"compared: {name} ({' '.join(setups[name])})",
                        [*setups[name], *args.voila_arg],
                        args.pool_size * SERVED_NOTEBOOKS if name == "preheat" else 0))
    print(load_line("before"), flush=True)
    with recorded("room", args) as figures:
        for label, extra, pool in configs:
            print(f"\n[{label}] page {args.page}.ipynb")
            for size in map(int, args.sizes.split(",")):
                lines, found = room(size, args.page, extra, args.timeout, pool)
                for line in lines:
                    print(line, flush=True)
                add_figures(figures, f"{setup_name(label)} N={size}", **found)
    print(load_line("after"))


if __name__ == "__main__":
    main()
