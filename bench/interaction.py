"""Benchmark: interaction latency, from a control change to the chart redrawn.

On each dashboard (and the baseline one-widget notebook) a control is changed back and forth
≥ 20 times; each change is timed until the old chart has left the page and the new one is
drawn. Prints median and 95th percentile, and their ratio to the same change in the baseline.
Target (issue 5): median ≤ 150 ms.

    python bench/interaction.py [--changes N] [--pages matrix,story,compare,flows]
"""

from __future__ import annotations

import argparse
import time

from common import BASELINE, CHART, browser, close, first_paint, median, p95, served

# page → (query, select to change, the two option labels to alternate between).
# ipywidgets' <option> values are indices, so options are chosen by their visible label.
CHANGES = {
    BASELINE: ("", ".widget-dropdown select", ("b", "a")),
    "matrix": ("", ".ctg-columns select", ("Settings", "Projects")),
    "story": ("project=pathway", ".ctg-project select",
              ("Peer support workers (Nottingham)", "Pathway homeless care (UCLH)")),
    "compare": ("project=pathway,peer-support", ".ctg-pick-2 select",
                ("Online record access (NHS Alliance)", "Peer support workers (Nottingham)")),
    "flows": ("", ".ctg-facet-strength select", ("Evident", "Partial")),
}


def time_changes(page, selector: str, values: tuple[str, str], changes: int) -> list[float]:
    samples = []
    for index in range(changes):
        old = page.query_selector(CHART)
        start = time.perf_counter()
        page.select_option(selector, label=values[index % 2])
        page.wait_for_function("el => !el.isConnected", arg=old, timeout=30_000)
        page.wait_for_selector(CHART, state="visible", timeout=30_000)
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--pages", default=",".join(name for name in CHANGES
                                                    if name != BASELINE))
    args = parser.parse_args()
    pages = [BASELINE, *args.pages.split(",")]
    results = {}
    with served() as server, browser() as chromium:
        for name in pages:
            query, selector, values = CHANGES[name]
            _, page = first_paint(chromium, server.url(name, query))
            time_changes(page, selector, values, 2)  # warm-up: first redraws pay lazy imports
            results[name] = time_changes(page, selector, values, args.changes)
            close(server, page)
    base_median, base_p95 = median(results[BASELINE]), p95(results[BASELINE])
    print(f"control change → chart redrawn, {args.changes} changes each")
    print(f"{BASELINE:<10} median {base_median * 1000:6.0f} ms  p95 {base_p95 * 1000:6.0f} ms")
    for name, samples in results.items():
        if name == BASELINE:
            continue
        print(f"{name:<10} median {median(samples) * 1000:6.0f} ms  p95 "
              f"{p95(samples) * 1000:6.0f} ms  ratio median {median(samples) / base_median:5.2f}x"
              f"  p95 {p95(samples) / base_p95:5.2f}x  (target median <= 150 ms)")


if __name__ == "__main__":
    main()
