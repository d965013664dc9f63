"""Benchmark: the cost of GRADE-CERQual's outputs, against the matrix they sit beside.

The matrix page now offers, for the chosen cell, its Evidence Profile (CSV, Word) and, for
the matrix, the Summary of Qualitative Findings (CSV, Word) and the sources (RIS, BibTeX);
briefings print every profile. This script measures, in one process and one run, on the
embedded data and on packages grown ``k`` times by ``bench/scale.py``:

- the baseline: ``query.matrix`` with the cells' kinds and levels (what the page draws);
- the confidence of every rating (``query.confidence.appraisals``, on a fresh dataset);
- every Evidence Profile and the Summary of Qualitative Findings (``explorer.profiles``);
- the Summary and every profile as a Word document, and one cell's profile as Word;
- the sources as RIS and as BibTeX.

Each is timed on a freshly loaded dataset (so nothing is cached from an earlier step), the
median of ``--runs`` repeats, and printed as a ratio to the baseline at the same scale, and
as growth from 1× to the largest scale. The ratios, not the milliseconds, are the result.

    python bench/profiles.py [--scales 1,10] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from common import recorded
from scale import scale_package

import explorer
from explorer.evidence import appraisal, profiles, query
from explorer.evidence.query import confidence
from explorer.render import profile_files, references

ROOT = Path(__file__).resolve().parents[1]
CELL = ("professional_beliefs", "shared-haemodialysis")


def _matrix(ds: explorer.Dataset) -> object:
    return appraisal.cell_kinds(ds, query.matrix(ds, "project"))


STEPS: dict[str, Callable[[explorer.Dataset], object]] = {
    "matrix with levels (baseline)": _matrix,
    "confidence of every rating": confidence.appraisals,
    "every Evidence Profile": profiles.evidence_profiles,
    "Summary of Qualitative Findings": profiles.summary_of_findings,
    "Summary and profiles as Word": profile_files.summary_docx,
    "one cell's profile as Word": lambda ds: profile_files.profile_docx(ds, *CELL),
    "sources as RIS": references.sources_ris,
    "sources as BibTeX": references.sources_bibtex,
}


def _time(path: Path, step: Callable[[explorer.Dataset], object], runs: int) -> float:
    """Median seconds of ``step`` on a freshly loaded dataset (loading not timed)."""
    times = []
    for _ in range(runs):
        ds = explorer.load(path)
        start = time.perf_counter()
        step(ds)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10",
                        help="comma-separated growth factors (default 1,10)")
    parser.add_argument("--runs", type=int, default=5, help="repeats per step (default 5)")
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    results: dict[int, dict[str, float]] = {}
    with recorded("profiles", args) as figures, tempfile.TemporaryDirectory() as folder:
        for k in scales:
            path = (ROOT / "data" if k == 1 else
                    scale_package(ROOT / "data", k, Path(folder) / f"x{k}"))
            results[k] = {name: _time(path, step, args.runs) for name, step in STEPS.items()}
        figures["step_median_ms"] = {f"x{k}": {name: round(seconds * 1000, 2)
                                               for name, seconds in results[k].items()}
                                     for k in scales}
    baseline = next(iter(STEPS))
    print(f"{'step':34}" + "".join(f"{f'{k}x ms':>10}{'÷base':>8}" for k in scales)
          + (f"{'growth':>9}" if len(scales) > 1 else ""))
    for name in STEPS:
        row = f"{name:34}"
        for k in scales:
            ratio = results[k][name] / results[k][baseline]
            row += f"{results[k][name] * 1000:>10.1f}{ratio:>8.2f}"
        if len(scales) > 1:
            row += f"{results[scales[-1]][name] / results[scales[0]][name]:>8.1f}x"
        print(row)
    print(f"(medians of {args.runs} runs; growth = time at {scales[-1]}x ÷ time at "
          f"{scales[0]}x, against the data's {scales[-1] // scales[0]}x)")


if __name__ == "__main__":
    main()
