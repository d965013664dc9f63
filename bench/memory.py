"""Benchmark: kernel memory (RSS) per viewer of each dashboard, against the minimal notebook.

Each page is opened alone, rendered, and its kernel's resident memory read from the operating
system; the page is then closed and its kernel shut down. Prints the median RSS per page over
the runs and the ratio to the baseline kernel (target, issue 5: ≤ 1.2×), then the same for
unique memory (USS), which leaves out the shared libraries every kernel maps.

    python bench/memory.py [--runs N]
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
    kernels,
    median,
    ratio_line,
    served,
)

SETTLE_S = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rss: dict[str, list[float]] = {name: [] for name in (BASELINE, *DASHBOARDS)}
    uss: dict[str, list[float]] = {name: [] for name in (BASELINE, *DASHBOARDS)}
    with served() as server, browser() as chromium:
        for _ in range(args.runs):
            for name in (BASELINE, *DASHBOARDS):
                before = {k.pid for k in kernels(server)}
                _, page = first_paint(chromium, server.url(name),
                                      chart=name not in CHARTLESS)
                time.sleep(SETTLE_S)
                mine = [k for k in kernels(server) if k.pid not in before]
                rss[name].append(sum(k.memory_info().rss for k in mine) / 2**20)
                uss[name].append(sum(k.memory_full_info().uss for k in mine) / 2**20)
                close(server, page)
    baseline = median(rss[BASELINE])
    print(f"kernel RSS per viewer, median of {args.runs} runs")
    print(f"{BASELINE:<10} {baseline:8.1f} MB")
    for name in DASHBOARDS:
        print(ratio_line(name, median(rss[name]), baseline, "MB", "<= 1.2x"))
    # RSS counts shared libraries in every kernel; USS is what one more viewer really adds.
    print("unique memory (USS) per viewer: what each additional viewer adds")
    for name in (BASELINE, *DASHBOARDS):
        print(ratio_line(name, median(uss[name]), median(uss[BASELINE]), "MB"))


if __name__ == "__main__":
    main()
