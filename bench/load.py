"""Benchmark: the cost of `import explorer; explorer.load()` relative to `import pandas`.

Both run in fresh interpreters, interleaved, several times in the same run; the script prints
the medians and their ratio. The ratio, not the seconds, is the result: machines differ and
are noisy. Target (issue 2): at most 1.5× — the data is small, so loading should cost little
beyond pandas itself.

    python bench/load.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from common import recorded

BASELINE = "import pandas"
SUBJECT = "import explorer; explorer.load()"


def run_once(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with recorded("load", args) as figures:
        run_once(SUBJECT)  # warm the file cache so neither side pays for it alone
        baseline, subject = [], []
        for _ in range(args.runs):
            baseline.append(run_once(BASELINE))
            subject.append(run_once(SUBJECT))
        b, s = statistics.median(baseline), statistics.median(subject)
        figures.update({"subject_median_ms": round(s * 1000, 1),
                        "baseline_median_ms": round(b * 1000, 1), "ratio": round(s / b, 3)})
    print(f"baseline  `{BASELINE}`: median {b * 1000:.0f} ms over {args.runs} runs")
    print(f"subject   `{SUBJECT}`: median {s * 1000:.0f} ms over {args.runs} runs")
    print(f"ratio subject/baseline: {s / b:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
