"""Benchmark: does the explorer keep up when the evidence grows 10× and 100×?

Generates bigger data packages from ``data/`` into a temporary folder (never committed): each
project is copied with new ids (``<id>-x<k>``), and everything that belongs to it — contexts,
activities, evidence, codings, outcomes, barriers, follow-on, later evidence, discrepancies —
with it, every reference rewritten to the copy's ids, and ``project_count`` scaled; the
shared vocabularies and sources stay as they are. Which tables belong to a project, and
which columns refer to them, is read from ``datapackage.json``. Every package must pass
``explorer.load()`` (validation included) before anything is timed.

Then, at each scale, in one run:

- ``load()`` and the main queries (``matrix`` for each column kind, ``reader_table``,
  ``facet_counts``, ``activity_mechanism_links``, ``project_story``, and the compare page's
  ``same_activity_different_mechanisms``), in-process, median CPU time of repeats after a
  warm-up call;
- the matrix page's first chart in a real browser (a fresh kernel per load): the default view
  (projects as columns; beyond ``figures.MAX_CHART_COLUMNS`` the page draws its grid instead of an
  unreadable chart, so that row times the first view) and the settings view, which has a
  chart at every scale. One server per scale; loads interleaved across scales.

Prints growth ratios (time at k× ÷ time at 1×) and the growth exponent between the two
largest scales (1.0 = grows as the data does; 2.0 = quadratic), with verdicts (issue 12):
no query grows faster than the data (exponent ≤ 1.1), and the matrix page's first chart at
the largest scale ≤ 1.5× the 1× figure.

    python bench/scale.py [--scales 1,10,100] [--runs 3] [--no-browser]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from common import (
    ROOT,
    add_common_arguments,
    browser,
    close,
    first_paint,
    load_line,
    median,
    recorded,
    served,
    verdict,
)

import explorer
from explorer.evidence import query

PROJECTS = "projects"
PROJECT_FIELD = "project_id"
COUNT_FIELD = "project_count"
LABEL_FIELDS = ("title", "short_name")  # kept distinct in the copies, as a reader needs
MAX_EXPONENT = 1.1
MAX_CHART_RATIO = 1.5


# -- generating bigger packages -----------------------------------------------------------

def _references(descriptor: dict) -> dict[str, dict[str, str]]:
    """table → {field → table it refers to}, from foreign keys and ``explorer:references``."""
    refs: dict[str, dict[str, str]] = {}
    for resource in descriptor["resources"]:
        schema = resource["schema"]
        found = refs.setdefault(resource["name"], {})
        for key in schema.get("foreignKeys", []):
            fields = key["fields"] if isinstance(key["fields"], list) else [key["fields"]]
            if len(fields) == 1:
                found[fields[0]] = key["reference"]["resource"]
        for field in schema["fields"]:
            if "explorer:references" in field:
                found[field["name"]] = field["explorer:references"].split(".")[0]
    return refs


def _owned(descriptor: dict, refs: dict[str, dict[str, str]]) -> set[str]:
    """Tables whose rows belong to a project: they refer to projects, or to such a table."""
    owned = {PROJECTS}
    changed = True
    while changed:
        changed = False
        for resource in descriptor["resources"]:
            name = resource["name"]
            if name not in owned and any(t in owned for t in refs[name].values()):
                owned.add(name)
                changed = True
    return owned


def _own_key(resource: dict) -> str | None:
    """The table's own one-column id (its primary key), if it has one."""
    key = resource["schema"].get("primaryKey")
    key = [key] if isinstance(key, str) else key
    return key[0] if key and len(key) == 1 else None


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def scale_package(source: Path, factor: int, target: Path) -> Path:
    """Write a copy of the package at ``source`` with every project ``factor`` times.

    Copy 0 keeps the original ids; copy k appends ``-x<k>`` to every id that belongs to a
    project and to every reference to one, and `` (copy k)`` to the project's title and
    short name. Rows of a project-owned table with no project (programme-wide discrepancies)
    are kept once. ``project_count`` is multiplied by ``factor``.
    """
    descriptor = json.loads((source / "datapackage.json").read_text(encoding="utf-8"))
    refs = _references(descriptor)
    owned = _owned(descriptor, refs)
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / "datapackage.json", target / "datapackage.json")
    for resource in descriptor["resources"]:
        name, path = resource["name"], resource["path"]
        header, rows = _read(source / path)
        if name not in owned:
            if COUNT_FIELD in header:
                for row in rows:
                    row[COUNT_FIELD] = str(int(row[COUNT_FIELD]) * factor)
            _write(target / path, header, rows)
            continue
        own = _own_key(resource)
        remap = [f for f, table in refs[name].items() if table in owned]
        out = []
        for k in range(factor):
            suffix = f"-x{k}" if k else ""
            for row in rows:
                if k and PROJECT_FIELD in row and not row[PROJECT_FIELD] and name != PROJECTS:
                    continue  # belongs to the programme, not to a project: keep it once
                copy = dict(row)
                if k:
                    if own and name in owned:
                        copy[own] = row[own] + suffix
                    for field in remap:
                        if row[field]:
                            copy[field] = "; ".join(item.strip() + suffix
                                                    for item in row[field].split(";"))
                    if name == PROJECTS:
                        for field in LABEL_FIELDS:
                            copy[field] = f"{row[field]} (copy {k})"
                out.append(copy)
        _write(target / path, header, out)
    return target


# -- timing ---------------------------------------------------------------------------------

def timed(function: Callable[[], object], at_least_s: float = 0.5, repeats: int = 3) -> float:
    """Median CPU seconds of ``function()`` after one warm-up call: at least ``repeats`` runs
    and ``at_least_s`` in all. CPU time of this process, not the wall clock, so that other
    programs on a shared machine slow the numbers less (cache contention still shows)."""
    function()
    samples: list[float] = []
    spent = 0.0
    while len(samples) < repeats or spent < at_least_s:
        start = time.process_time()
        function()
        samples.append(time.process_time() - start)
        spent += samples[-1]
        if len(samples) >= 50:
            break
    return statistics.median(samples)


def query_times(path: Path) -> dict[str, float]:
    """Seconds per call of ``load()`` and each main query on the package at ``path``."""
    times = {"load()": timed(lambda: explorer.load(path), repeats=3)}
    ds = explorer.load(path)
    project = next(p for p, m in zip(ds.projects.project_id, ds.projects.membership,
                                     strict=True) if str(m) != "unidentified")
    pair = list(ds.projects.project_id[:2])
    for kind in query.column_kinds(ds):
        times[f"matrix({kind})"] = timed(lambda kind=kind: query.matrix(ds, kind))
    times["reader_table"] = timed(lambda: query.reader_table(ds))
    times["facet_counts"] = timed(lambda: query.facet_counts(ds))
    times["activity_mechanism_links"] = timed(lambda: query.activity_mechanism_links(ds))
    times["project_story"] = timed(lambda: query.project_story(ds, project))
    times["same_activity (2 projects)"] = timed(
        lambda: query.same_activity_different_mechanisms(ds, pair))
    times["same_activity (all)"] = timed(lambda: query.same_activity_different_mechanisms(ds))
    return times


BROWSER_VIEWS = {"matrix first view (default)": "", "matrix first chart (settings)":
                 "columns=setting_type"}


def browser_times(packages: dict[int, Path], runs: int, extra_args: list[str]
                  ) -> dict[str, dict[int, list[float]]]:
    """Seconds to the matrix page's first view, per view and scale (interleaved)."""
    results = {view: {scale: [] for scale in packages} for view in BROWSER_VIEWS}
    with ExitStack() as stack:
        servers = {scale: stack.enter_context(served(extra_args, data=path))
                   for scale, path in packages.items()}
        chromium = stack.enter_context(browser())
        for _ in range(runs):
            for view, query_string in BROWSER_VIEWS.items():
                for scale, server in servers.items():
                    url = server.url("matrix", query_string)
                    seconds, page = first_paint_or_grid(chromium, url)
                    results[view][scale].append(seconds)
                    close(server, page)
    return results


def first_paint_or_grid(chromium, url: str):
    """The first chart, or the grid when the page leaves the chart out (too many columns)."""
    return first_paint(chromium, url, chart=False, ready=".ctg-figure[data-draws], "
                       ".ctg-grid .ctg-cell")


def growth(values: dict[int, float]) -> tuple[list[str], float]:
    """Ratios to the smallest scale, and the exponent between the two largest scales."""
    scales = sorted(values)
    base = values[scales[0]]
    ratios = [f"{values[s] / base:7.2f}x" for s in scales[1:]]
    if len(scales) < 2 or scales[-2] == scales[-1]:
        return ratios, float("nan")
    low, high = scales[-2], scales[-1]
    exponent = math.log(values[high] / values[low]) / math.log(high / low)
    return ratios, exponent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=f"Targets: no query's growth exponent above {MAX_EXPONENT} between the two "
               f"largest scales; the matrix page's first chart at the largest scale <= "
               f"{MAX_CHART_RATIO}x the smallest scale's.")
    parser.add_argument("--scales", default="1,10,100",
                        help="how many times to copy every project (default 1,10,100)")
    parser.add_argument("--runs", type=int, default=3,
                        help="browser loads per view and scale (default 3)")
    parser.add_argument("--no-browser", action="store_true",
                        help="time load() and the queries only")
    add_common_arguments(parser)
    args = parser.parse_args()
    scales = sorted(set(map(int, args.scales.split(","))))
    print(load_line("before"), flush=True)
    with recorded("scale", args) as figures:
        measure_and_report(args, scales, figures)


def measure_and_report(args, scales: list[int], figures: dict[str, object]) -> None:
    """Generate the packages, time the queries (and the browser), print, record."""
    with tempfile.TemporaryDirectory(prefix="ctg-scale-") as tmp:
        packages = {scale: scale_package(ROOT / "data", scale, Path(tmp) / f"x{scale}")
                    for scale in scales}
        sizes = {}
        for scale, path in packages.items():
            ds = explorer.load(path)  # validates: a broken generator fails here
            sizes[scale] = (len(ds.projects), len(ds.mechanism_evidence))
        print("packages: " + "; ".join(f"{s}x = {p} projects, {e} evidence records"
                                       for s, (p, e) in sizes.items()), flush=True)
        times = {scale: query_times(path) for scale, path in packages.items()}
        chart = None if args.no_browser else browser_times(packages, args.runs,
                                                          args.voila_arg)
    print(load_line("after"))
    header = "  ".join(f"{s}x".rjust(9) for s in scales)
    growth_header = "  ".join(f"{s}x/{scales[0]}x".rjust(8) for s in scales[1:])
    print(f"\n{'measure':<30} {header}   {growth_header}  exponent")
    worst_name, worst_exponent = "", float("-inf")
    for name in times[scales[0]]:
        values = {s: times[s][name] for s in scales}
        ratios, exponent = growth(values)
        figures[f"{name}_ms"] = {f"x{s}": round(values[s] * 1000, 2) for s in scales}
        figures[f"{name}_exponent"] = round(exponent, 3)
        cells = "  ".join(f"{values[s] * 1000:6.1f} ms" for s in scales)
        print(f"{name:<30} {cells}   {'  '.join(ratios)}  {exponent:8.2f}")
        if exponent > worst_exponent:
            worst_name, worst_exponent = name, exponent
    if chart is not None:
        print(f"\nin Chromium, a fresh kernel each, median of {args.runs} "
              "(the grid when the chart is left out)")
        for view, per_scale in chart.items():
            values = {s: median(per_scale[s]) for s in scales}
            ratios, exponent = growth(values)
            figures[f"{view}_s"] = {f"x{s}": round(values[s], 3) for s in scales}
            cells = "  ".join(f"{values[s]:7.2f} s" for s in scales)
            print(f"{view:<30} {cells}   {'  '.join(ratios)}  {exponent:8.2f}")
    if len(scales) > 1:
        print(verdict(f"no query grows faster than the data (exponent <= {MAX_EXPONENT}, "
                      f"{scales[-2]}x to {scales[-1]}x)", worst_exponent <= MAX_EXPONENT,
                      f"steepest: {worst_name} {worst_exponent:.2f}"))
        if chart is not None:
            for view, per_scale in chart.items():
                ratio = median(per_scale[scales[-1]]) / median(per_scale[scales[0]])
                print(verdict(f"{view} at {scales[-1]}x <= {MAX_CHART_RATIO}x the "
                              f"{scales[0]}x figure", ratio <= MAX_CHART_RATIO,
                              f"{ratio:.2f}x"))


if __name__ == "__main__":
    main()
