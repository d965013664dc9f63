"""Benchmark: time to first chart of each dashboard, cold and warm, against a minimal notebook.

What a deep link costs: each page of the registry (``explorer.pages.registry.PAGES``) is opened in a
fresh browser context — a fresh kernel — interleaved with the baseline one-widget plotly
notebook (``bench/minimal/minimal.ipynb``) served by the same server, and timed from
navigation until its first chart is drawn (first content for pages without a chart). For
each start mode — ``cold`` (a kernel per page, the default), ``preheat`` (Voila keeps a
pre-run kernel per notebook) and ``progressive`` (cells stream as they run) — prints medians
and ranges, the ratio dashboard / baseline, and a verdict (issue 12): no dashboard slower
than 1.2× the baseline. Moving between pages inside one kernel is ``bench/tour.py``'s job.

    python bench/first_chart.py [--runs N] [--modes cold,progressive,preheat]
"""

from __future__ import annotations

import argparse
import time

from common import (
    BASELINE,
    CHARTLESS,
    DASHBOARDS,
    add_common_arguments,
    browser,
    close,
    first_paint,
    load_line,
    median,
    ratio_line,
    recorded,
    served,
    spread,
    verdict,
)

TARGET = 1.2

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


def measure(mode: str, runs: int, extra_args: list[str]) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in (BASELINE, *DASHBOARDS)}
    with served([*MODES[mode], *extra_args]) as server, browser() as chromium:
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
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=f"Target: every dashboard's median <= {TARGET}x the baseline notebook's, "
               "measured in the same run.")
    parser.add_argument("--runs", type=int, default=3,
                        help="loads per page and mode (default 3)")
    parser.add_argument("--modes", default="cold",
                        help="start modes to compare, from cold,progressive,preheat "
                             "(default cold: what voila.json serves)")
    add_common_arguments(parser)
    args = parser.parse_args()
    print(load_line("before"), flush=True)
    with recorded("first_chart", args) as figures:
        for mode in args.modes.split(","):
            found = report(mode, measure(mode, args.runs, args.voila_arg), args.runs)
            # The default mode's figures under their own names, the others' prefixed by mode.
            figures.update({(k if mode == "cold" else f"{mode}_{k}"): v
                            for k, v in found.items()})
    print(load_line("after"))


def report(mode: str, times: dict[str, list[float]], runs: int) -> dict[str, object]:
    """Print one start mode's table and verdict; return its figures for the record."""
    baseline = median(times[BASELINE])
    print(f"\n[{mode}] time to first chart, median of {runs} runs "
          f"(baseline = {BASELINE}.ipynb, {len(times[BASELINE])} loads, range "
          f"{spread(times[BASELINE], digits=1)} s)")
    for name in DASHBOARDS:
        what = "first content" if name in CHARTLESS else "first chart"
        print(ratio_line(name, median(times[name]), baseline, "s", f"<= {TARGET}x")
              + f"  [{what}; range {spread(times[name], digits=1)} s]", flush=True)
    every_load = [seconds for loads in times.values() for seconds in loads]
    stalls = sum(seconds > STALL_S for seconds in every_load)
    print(f"loads slower than {STALL_S} s (Voila's rare execution stall): {stalls} of "
          f"{len(every_load)}", flush=True)
    worst = max(DASHBOARDS, key=lambda name: median(times[name]))
    ratio = median(times[worst]) / baseline
    print(verdict(f"[{mode}] first chart <= {TARGET}x the baseline notebook on every "
                  "dashboard", ratio <= TARGET,
                  f"slowest: {worst} {median(times[worst]):.2f} s = {ratio:.2f}x of "
                  f"{baseline:.2f} s"))
    return {"first_chart_s": {name: round(median(loads), 3) for name, loads in times.items()},
            "ratio": {name: round(median(times[name]) / baseline, 3) for name in DASHBOARDS},
            "stalls": stalls, "loads": len(every_load)}


if __name__ == "__main__":
    main()
