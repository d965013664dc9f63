"""Specifications of the benchmarks' own parts (the benchmarks themselves time nothing here).

The scripts in ``bench/`` print ratios measured in one run; these tests only check that they
can run: every script explains its flags, every chart page has a control to time, and the
10×/100× packages ``bench/scale.py`` generates are valid and as big as they claim, and the
two tiers' benchmarks (replicas.py, hub.py) run end to end at a tiny size.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import explorer
from explorer.pages.registry import PAGES

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
# Modules the scripts import, not scripts themselves.
LIBRARIES = frozenset({"common.py", "protocol.py"})
SCRIPTS = sorted(p.name for p in BENCH.glob("*.py") if p.name not in LIBRARIES)

sys.path.insert(0, str(BENCH))


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_benchmark_explains_its_flags(script):
    """``python bench/<script> --help`` prints what it measures and its flags."""
    result = subprocess.run([sys.executable, str(BENCH / script), "--help"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout
    assert "-h, --help" in result.stdout


def test_the_benchmarks_visit_exactly_the_pages_the_live_explorer_serves():
    """A tour (and a deep link per page) goes to every live page and to nothing else: a page
    only the static site has has no notebook to open and no link to follow in the kernel, so
    a simulated reader asking for it waited until it timed out."""
    from common import DASHBOARDS, tour_order

    served = {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert set(DASHBOARDS) == served
    assert sorted(tour_order()) == sorted(served)
    assert tour_order()[-1] == "overview"


def test_every_chart_page_has_a_control_change_to_time(ds):
    """A new registry page with a chart must say how bench/interaction.py changes its view."""
    from interaction import changes_for

    changes = changes_for(ds)
    assert {name for name, spec in PAGES.items() if spec.chart} <= set(changes)


def test_a_scaled_package_is_valid_and_has_every_project_k_times(ds, tmp_path):
    """``scale_package(data, 3)`` loads (validation included) with three times the projects
    and everything they own, every id unique, references rewritten, ``project_count`` scaled,
    and the programme-wide rows (no project) kept once."""
    from scale import scale_package

    scaled = explorer.load(scale_package(ROOT / "data", 3, tmp_path / "x3"))
    for table in ("projects", "mechanism_evidence", "activities", "contexts", "outcomes",
                  "mechanism_codings", "project_relationships"):
        assert len(scaled[table]) == 3 * len(ds[table]), table
    assert scaled.projects.project_id.is_unique
    assert scaled.projects.short_name.is_unique
    assert scaled.programmes.project_count.tolist() == [3 * n for n in
                                                        ds.programmes.project_count]
    programme_wide = ds.discrepancies.project_id.isna().sum()
    assert len(scaled.discrepancies) == 3 * (len(ds.discrepancies) - programme_wide) + \
        programme_wide
    copy = scaled.mechanism_evidence[scaled.mechanism_evidence.project_id.str.endswith("-x2")]
    assert all(a.endswith("-x2") for ids in copy.activity_ids for a in ids)
    assert set(scaled.sources.source_id) == set(ds.sources.source_id)


def only_record(folder: Path) -> dict:
    """The one result record a benchmark run wrote into ``folder``."""
    (path,) = folder.glob("*.json")
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_live_room_benchmark_runs_on_both_stores(tmp_path):
    """``bench/live_room.py`` at a small size: both stores measured, every answer stored, a
    verdict line for each target (the figures themselves are not judged here), and the run's
    figures written as its result record."""
    result = subprocess.run([sys.executable, str(BENCH / "live_room.py"), "--sizes", "3"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "BENCH_RESULTS": str(tmp_path)})
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert out.startswith("load average before:") and "load average after:" in out
    for store in ("sqlite", "postgresql"):
        assert f"VERDICT {store} 3: every answer stored: PASS (9/9, 0 errors)" in out
        for target in ("all answered within 10 s", "p95 answer→tally <= 1 s",
                       "memory per participant <= 10 MB, no kernel"):
            assert re.search(rf"VERDICT {store} 3: {re.escape(target)}: (PASS|FAIL)", out)
        # The presenter's panel followed the store: the lag was measured, not NaN.
        assert re.search(rf"VERDICT {store} 3: p95 answer→tally <= 1 s: \w+ \(\d", out), out
    record = only_record(tmp_path)
    assert record["benchmark"] == "live_room"
    assert record["figures"]["answers_stored"] == {"sqlite 3": 9, "postgresql 3": 9}
    assert record["arguments"]["sizes"] == "3"


@pytest.mark.browser  # real servers for tens of seconds: kept out of `make test-fast`
@pytest.mark.parametrize(("script", "size"), [("replicas.py", "2"), ("hub.py", "1")])
def test_the_tier_benchmarks_run_end_to_end_at_a_tiny_size(script, size, tmp_path):
    """replicas.py (two replicas behind HAProxy vs one Voila) and hub.py (analysts in
    JupyterLab vs Voila readers) run at a tiny size, print a verdict for each target (the
    figures themselves are not judged here: they are timings on a shared machine) and write
    their result record."""
    result = subprocess.run([sys.executable, str(BENCH / script), "--sizes", size], cwd=ROOT,
                            capture_output=True, text=True, timeout=600,
                            env={**os.environ, "BENCH_RESULTS": str(tmp_path)})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    verdicts = [line for line in result.stdout.splitlines() if line.startswith("VERDICT ")]
    assert verdicts, result.stdout[-3000:]
    assert all(re.search(r": (PASS|FAIL)\b", line) for line in verdicts), "\n".join(verdicts)
    assert "load average" in result.stdout
    record = only_record(tmp_path)
    assert record["benchmark"] == script.removesuffix(".py")
    assert record["figures"] and all(f"N={size}" in v for v in record["figures"].values())


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_benchmark_writes_a_result_record(script):
    """Each script records its run through the one helper, ``common.recorded``, named by
    the script."""
    source = (BENCH / script).read_text(encoding="utf-8")
    assert f'recorded("{script.removesuffix(".py")}", args)' in source


def test_a_result_record_says_when_where_and_how_it_was_measured(tmp_path):
    """``recorded`` writes the figures with the date, the commit, the machine, the load
    average at start and end, and the arguments, into ``$BENCH_RESULTS``'s folder."""
    import argparse

    from common import recorded

    os.environ["BENCH_RESULTS"] = str(tmp_path)
    try:
        with recorded("example", argparse.Namespace(sizes="3", keep=None)) as figures:
            figures["served_s"] = 1.5
    finally:
        del os.environ["BENCH_RESULTS"]
    record = only_record(tmp_path)
    assert record["figures"] == {"served_s": 1.5}
    assert record["arguments"] == {"sizes": "3", "keep": None}
    assert record["machine"]["cpu_count"] == os.cpu_count()
    assert len(record["load_average"]["start"]) == len(record["load_average"]["end"]) == 3
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", record["date"])
    assert record["commit"] is None or re.match(r"[0-9a-f]{7,}", record["commit"])
