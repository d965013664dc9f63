"""Benchmark: time to first chart of each dashboard, cold and warm, against a minimal notebook.

For each start mode — ``cold`` (a kernel per page, the default), ``preheat`` (Voila keeps a
pre-run kernel per notebook) and ``progressive`` (cells stream as they run) — one server
serves the dashboards and the baseline one-widget plotly notebook the same way. Each page is
opened in a fresh browser context, interleaved with the baseline, and timed from navigation
until its first chart is drawn (first content for the chart-less overview). Prints medians
and the ratio dashboard / baseline per mode. Target (issue 5): ≤ 1.3×.

    python bench/first_chart.py [--runs N] [--modes cold,preheat,progressive]
"""

from __future__ import annotations

import argparse
import time

from common import (
    BASELINE,
    CHARTLESS,
    DASHBOARDS,
    browser,
    close,
    first_paint,
    median,
    ratio_line,
    served,
)

MODES = {
    "cold": [],
    # A preheated dashboard waits mid-cell (voila.utils.get_query_string) until a viewer
    # asks for it; with the 60 s cell timeout of voila.json the wait is cut off and the
    # kernel is left broken, so preheat needs the cell timeout disabled.
    "preheat": ["--VoilaConfiguration.preheat_kernel=True",
                "--VoilaConfiguration.default_pool_size=1",
                "--VoilaExecutor.timeout=-1"],
    "progressive": ["--VoilaConfiguration.progressive_rendering=True"],
}
# A preheated pool refills after each use; give it time, as a room's first viewers would.
PREHEAT_REFILL_S = 12
# A load this slow is not a slow page but Voila's rare execution stall (see README).
STALL_S = 20


def measure(mode: str, runs: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in (BASELINE, *DASHBOARDS)}
    with served(MODES[mode]) as server, browser() as chromium:
        if mode == "preheat":
            time.sleep(PREHEAT_REFILL_S * 2)  # let every notebook's pool fill first
        for _ in range(runs):
            for name in DASHBOARDS:
                for page_name in (BASELINE, name):
                    seconds, page = first_paint(chromium, server.url(page_name),
                                                chart=page_name not in CHARTLESS)
                    times[page_name].append(seconds)
                    close(server, page)
                    if mode == "preheat":
                        time.sleep(PREHEAT_REFILL_S)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--modes", default="cold,progressive,preheat")
    args = parser.parse_args()
    for mode in args.modes.split(","):
        times = measure(mode, args.runs)
        baseline = median(times[BASELINE])
        print(f"\n[{mode}] time to first chart, median of {args.runs} runs "
              f"(baseline = {BASELINE}.ipynb, {len(times[BASELINE])} loads)")
        for name in DASHBOARDS:
            what = "first content" if name in CHARTLESS else "first chart"
            print(ratio_line(name, median(times[name]), baseline, "s", "<= 1.3x")
                  + f"  [{what}; slowest {max(times[name]):.1f} s]", flush=True)
        every_load = [seconds for loads in times.values() for seconds in loads]
        stalls = sum(seconds > STALL_S for seconds in every_load)
        print(f"loads slower than {STALL_S} s (Voila's rare execution stall): {stalls} of "
              f"{len(every_load)}; baseline slowest {max(times[BASELINE]):.1f} s", flush=True)


if __name__ == "__main__":
    main()
