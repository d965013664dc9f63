"""Benchmark: kernel memory per reader (RSS and USS) against a fair baseline notebook.

The baseline (``bench/minimal/baseline_data.ipynb``) does the explorer's job the plain way:
it imports pandas, plotly and ipywidgets, loads every CSV of the same data package and draws
one plotly chart that one widget changes. Each registry page is opened alone in a fresh
browser context, rendered, and its kernel's memory read from the operating system after a
short settle; so is the baseline, interleaved. One reader now keeps one kernel across pages,
so a ``tour`` row opens the overview and follows the navigation bar to every page before
measuring: what one reader's kernel holds after seeing everything.

Prints median RSS, USS (unique memory: none of the pages a forked kernel shares with the
preloader) and PSS (``/proc/<pid>/smaps_rollup``: each shared page split between the
processes sharing it, so that summed over every kernel it is what the machine holds; a lone
kernel shares with its preloader only, so a room's kernels each hold less: ``tour.py`` and
``room.py`` print a room's) per page, the ratio to the data baseline, the ratio to the one-widget
notebook (``minimal``) for reference, and a verdict: every kernel ≤ 1.15× the data baseline.
``--breakdown`` adds where the memory goes: the same steps run in fresh interpreters with
the kernel's imports, RSS and USS after each step.

    python bench/memory.py [--runs N] [--breakdown]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from common import (
    BASELINE,
    CHARTLESS,
    DASHBOARDS,
    DATA_BASELINE,
    ROOT,
    add_common_arguments,
    browser,
    close,
    first_paint,
    kernel_processes,
    load_line,
    median,
    memory_mb,
    move,
    pss_mb,
    recorded,
    served,
    tour_order,
    verdict,
)

TARGET = 1.15
SETTLE_S = 2.0
TOUR = "tour"

# Fresh interpreters that take the steps a kernel takes, printing memory after each: the
# kernel's own imports, then the notebook's. Each step is a line of Python.
KERNEL_STEPS = ["import ipykernel.ipkernel, ipykernel.kernelapp, ipykernel.comm"]
BREAKDOWNS = {
    DATA_BASELINE: [
        "import pandas as pd",
        "import ipywidgets as w",
        "import plotly.io as pio",
        "from pathlib import Path; tables = {p.stem: pd.read_csv(p) for p in "
        f"sorted(Path({str(ROOT / 'data')!r}).glob('*.csv'))}}",
        "pio.to_json({'data': [{'type': 'bar', 'y': [1, 2]}]}, validate=False, engine='json')",
    ],
    "explorer": [
        "import pandas",
        "import ipywidgets",
        "import anywidget",
        "import explorer",
        "ds = explorer.load()",
        "from explorer.dashboards import build",
        "app = build('overview', '', ds=ds)",
        *[f"app.open({name!r})" for name in DASHBOARDS if name != "overview"],
    ],
}
PROBE = """
import psutil, sys
process = psutil.Process()
for step in sys.argv[1:]:
    exec(step)
    info = process.memory_full_info()
    print(f"{info.rss / 2**20:.1f} {info.uss / 2**20:.1f} {step}", flush=True)
"""


def kernel_memory(server, open_page) -> tuple[float, float, float]:
    """(RSS, USS, PSS) in MB of the kernel that ``open_page()`` starts."""
    before = {k.pid for k in kernel_processes(server)}
    page = open_page()
    time.sleep(SETTLE_S)
    mine = [k for k in kernel_processes(server) if k.pid not in before]
    if len(mine) != 1:
        raise RuntimeError(f"expected one new kernel, found {len(mine)}")
    rss, uss = memory_mb(mine)
    pss = pss_mb(mine)
    close(server, page)
    return rss, uss, pss


def toured(server, chromium):
    """A reader who opened the overview and followed the navigation to every page."""
    _, page = first_paint(chromium, server.url("overview"), chart=False)
    for name in tour_order("overview"):
        move(page, name)
    return page


def measure(runs: int, extra_args: list[str]) -> dict[str, list[tuple[float, float, float]]]:
    names = (DATA_BASELINE, BASELINE, *DASHBOARDS, TOUR)
    samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in names}
    with served(extra_args) as server, browser() as chromium:
        for _ in range(runs):
            for name in names:
                if name == TOUR:
                    opener = lambda: toured(server, chromium)  # noqa: E731
                else:
                    opener = lambda name=name: first_paint(  # noqa: E731
                        chromium, server.url(name), chart=name not in CHARTLESS)[1]
                samples[name].append(kernel_memory(server, opener))
                if name not in (DATA_BASELINE, BASELINE):  # interleave the baseline
                    samples[DATA_BASELINE].append(kernel_memory(server, lambda: first_paint(
                        chromium, server.url(DATA_BASELINE))[1]))
    return samples


def breakdown() -> None:
    print("\nwhere the memory goes: fresh interpreters taking a kernel's steps "
          "(RSS / USS in MB after each step, and the step's own cost)")
    for label, steps in BREAKDOWNS.items():
        out = subprocess.run([sys.executable, "-c", PROBE, *KERNEL_STEPS, *steps],
                             capture_output=True, text=True, check=True, cwd=ROOT).stdout
        print(f"[{label}]")
        last_rss = last_uss = 0.0
        for line in out.splitlines():
            rss, uss, step = line.split(" ", 2)
            print(f"  {float(rss):6.1f} / {float(uss):6.1f}  (+{float(rss) - last_rss:5.1f} / "
                  f"+{float(uss) - last_uss:5.1f})  {step[:90]}")
            last_rss, last_uss = float(rss), float(uss)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=f"Target: every dashboard kernel <= {TARGET}x the data baseline's, in RSS, "
               "USS and PSS.")
    parser.add_argument("--runs", type=int, default=3,
                        help="measurements per page (default 3); the baseline is measured "
                             "after every page")
    parser.add_argument("--breakdown", action="store_true",
                        help="also show memory step by step in fresh interpreters")
    add_common_arguments(parser)
    args = parser.parse_args()
    with recorded("memory", args) as figures:
        print(load_line("before"), flush=True)
        samples = measure(args.runs, args.voila_arg)
        print(load_line("after"))
        report(samples, args.runs, figures)
    if args.breakdown:
        breakdown()


def report(samples: dict[str, list[tuple[float, float, float]]], runs: int,
           figures: dict[str, object]) -> None:
    """Print each kernel's memory and the verdicts; put the figures in the run's record."""
    rss = {name: median([s[0] for s in values]) for name, values in samples.items()}
    uss = {name: median([s[1] for s in values]) for name, values in samples.items()}
    pss = {name: median([s[2] for s in values]) for name, values in samples.items()}
    print(f"\nkernel memory per reader, median of {runs} runs "
          f"(data baseline: median of {len(samples[DATA_BASELINE])})")
    print(f"{'kernel':<14} {'RSS MB':>8} {'ratio':>7} {'USS MB':>8} {'ratio':>7} "
          f"{'PSS MB':>8} {'ratio':>7}   {'vs minimal (RSS / USS)':>22}")
    for name in samples:
        print(f"{name:<14} {rss[name]:8.1f} {rss[name] / rss[DATA_BASELINE]:6.2f}x "
              f"{uss[name]:8.1f} {uss[name] / uss[DATA_BASELINE]:6.2f}x "
              f"{pss[name]:8.1f} {pss[name] / pss[DATA_BASELINE]:6.2f}x   "
              f"{rss[name] / rss[BASELINE]:10.2f}x / {uss[name] / uss[BASELINE]:.2f}x")
    print(f"('{TOUR}': one reader's kernel after following the navigation to every page; "
          f"ratios against '{DATA_BASELINE}')")
    dashboards = [*DASHBOARDS, TOUR]
    for measure_name, values in (("RSS", rss), ("USS", uss), ("PSS", pss)):
        worst = max(dashboards, key=lambda name: values[name])
        ratio = values[worst] / values[DATA_BASELINE]
        print(verdict(f"kernel {measure_name} <= {TARGET}x the data baseline", ratio <= TARGET,
                      f"largest: {worst} {values[worst]:.0f} MB = {ratio:.2f}x of "
                      f"{values[DATA_BASELINE]:.0f} MB"))
    for unit, values in (("rss", rss), ("uss", uss), ("pss", pss)):
        figures[f"kernel_{unit}_mb"] = {name: round(v, 1) for name, v in values.items()}
        figures[f"ratio_{unit}"] = {name: round(values[name] / values[DATA_BASELINE], 3)
                                    for name in dashboards}


if __name__ == "__main__":
    main()
