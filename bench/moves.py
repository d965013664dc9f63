"""Benchmark: CPU spent in the kernel per reader action, and bytes sent to the browser.

A reader's kernel does two things over and over: it redraws a page when a filter is ticked,
and it builds the next page when the reader moves. This script measures both in-process,
as the kernel runs them (the explorer's ``App`` with real ipywidgets; only the browser is
absent), for the code as it is and for a *baseline* commit, in the same run:

- CPU time (``time.process_time``) of each filter tick on the matrix page (ticking and
  clearing one strength, alternately) and of each page move (a tour of every page, views
  changing from round to round so that pages are really rebuilt, as readers' moves are);
- the bytes the widgets send to the browser for each filter tick (every comm message:
  JSON state plus binary buffers), which is what a reader's network carries.

Each is run at 1× and 100× the embedded data (``bench/scale.py``'s generated packages, made
by each commit's own generator from its own data). The baseline commit is checked out into
a temporary git worktree and imported from there by a worker process, so both are measured
on this machine, in this run. Targets (issue 18): median CPU per tick and per move ≤ 25 ms at
1× and ≤ 100 ms at 100×; ≤ 100 KB sent per tick at 100×.

    python bench/moves.py [--baseline b6d088c] [--scales 1,100] [--ticks 30] [--rounds 4]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BASELINE = "b6d088c"  # main before "one page, written once" (issue 18)


# -- the worker: runs inside one commit's code ------------------------------------------------

def _count_bytes() -> list[int]:
    """Count every message the widgets send (bytes). Outside a kernel ``comm.create_comm``
    makes a ``DummyComm``, which drops messages; it is replaced by one that counts them."""
    import comm
    from comm import DummyComm

    sent: list[int] = []

    class CountingComm(DummyComm):
        def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
            sent.append(len(json.dumps(data or {}, default=str).encode("utf-8"))
                        + sum(len(memoryview(b)) for b in (buffers or ())))

    comm.create_comm = CountingComm
    return sent


def _filters_widget(app):
    page = app.current
    widgets = getattr(page, "widgets", None)
    return widgets["filters"] if widgets is not None else page.filters


def _navigate(app, name: str, query: str) -> None:
    app.navigation._handle(app.navigation, {"type": "navigate", "page": name, "query": query,
                                            "history": "push"}, None)


def worker(root: Path, scale: int, ticks: int, rounds: int) -> dict[str, object]:
    """Measure the code under ``root`` (already first on ``sys.path``) at ``scale``×."""
    sys.path.insert(0, str(root / "bench"))
    import explorer
    from explorer.app.dashboards import build

    data = root / "data"
    workdir = Path(tempfile.mkdtemp(prefix="moves-"))
    try:
        if scale > 1:
            from scale import scale_package  # this commit's own generator

            data = scale_package(root / "data", scale, workdir / f"x{scale}")
        ds = explorer.load(data)
        sent = _count_bytes()
        app = build("matrix", "", ds, strict=True)
        filters = _filters_widget(app)
        tick_cpu, tick_bytes = [], []
        for index in range(ticks):
            value = {"strength": ["partial"]} if index % 2 == 0 else {}
            sent.clear()
            start = time.process_time()
            filters.value = value
            tick_cpu.append(time.process_time() - start)
            tick_bytes.append(sum(sent))
        if not any(tick_bytes):  # a tick redraws the grid at least: zero means uncounted
            raise SystemExit("no widget message was counted: the comm patch did not take")
        projects = list(ds.projects.project_id)
        pages = ["overview", "matrix", "story", "compare", "flows", "lessons", "index"]
        move_cpu = []
        for round_ in range(rounds):
            for name in pages:
                query = {"story": f"project={projects[round_ % len(projects)]}",
                         "compare": f"project={projects[round_ % len(projects)]},"
                                    f"{projects[(round_ + 1) % len(projects)]}",
                         "matrix": "columns=setting_type" if round_ % 2 else ""}.get(name, "")
                start = time.process_time()
                _navigate(app, name, query)
                move_cpu.append(time.process_time() - start)
        return {"tick_cpu": tick_cpu, "tick_bytes": tick_bytes, "move_cpu": move_cpu,
                "projects": len(projects), "records": len(ds.mechanism_evidence)}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# -- the driver ----------------------------------------------------------------------------------

def _checkout(ref: str, where: Path) -> Path:
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(where), ref], cwd=ROOT,
                   check=True)
    return where


def _remove(where: Path) -> None:
    subprocess.run(["git", "worktree", "remove", "--force", str(where)], cwd=ROOT,
                   check=False, capture_output=True)


def _run(root: Path, scale: int, ticks: int, rounds: int) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(root), "EXPLORER_STRICT": "1"}
    env.pop("EXPLORER_DATA", None)
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", str(root), "--scales",
         str(scale), "--ticks", str(ticks), "--rounds", str(rounds)],
        cwd=root, env=env, capture_output=True, text=True, timeout=3600, check=False)
    if result.returncode != 0:
        raise SystemExit(f"worker for {root} at {scale}× failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _ms(values: list[float]) -> str:
    return (f"median {statistics.median(values) * 1000:.1f} ms (range "
            f"{min(values) * 1000:.1f}–{max(values) * 1000:.1f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default=BASELINE, help=f"commit to compare with "
                        f"(default {BASELINE}); 'none' to measure only the current code")
    parser.add_argument("--scales", default="1,100", help="data scales (default 1,100)")
    parser.add_argument("--ticks", type=int, default=30, help="filter ticks (default 30)")
    parser.add_argument("--rounds", type=int, default=4, help="tours of every page (default 4)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    if args.worker:
        print(json.dumps(worker(Path(args.worker), scales[0], args.ticks, args.rounds)))
        return

    sys.path.insert(0, str(HERE))
    from common import load_line, recorded

    print(load_line("before"))
    with recorded("moves", args) as figures:
        measure_and_report(args, scales, figures)
    print(load_line("after"))


def measure_and_report(args, scales: list[int], figures: dict[str, object]) -> None:
    """The current code and the baseline commit at each scale: printed, and recorded."""
    from common import verdict

    roots = {"current": ROOT}
    scratch = Path(tempfile.mkdtemp(prefix="moves-baseline-"))
    try:
        if args.baseline != "none":
            roots["baseline"] = _checkout(args.baseline, scratch / "tree")
        results = {(name, scale): _run(root, scale, args.ticks, args.rounds)
                   for scale in scales for name, root in roots.items()}
    finally:
        if "baseline" in roots:
            _remove(roots["baseline"])
        shutil.rmtree(scratch, ignore_errors=True)
    for scale in scales:
        for name in roots:
            got = results[(name, scale)]
            print(f"{name} at {scale}× ({got['projects']} projects, {got['records']} records):")
            print(f"  CPU per filter tick: {_ms(got['tick_cpu'])}")
            print(f"  CPU per page move:   {_ms(got['move_cpu'])}")
            print(f"  sent per filter tick: median "
                  f"{statistics.median(got['tick_bytes']) / 1000:.1f} KB (max "
                  f"{max(got['tick_bytes']) / 1000:.1f})")
            label = f"x{scale} {'now' if name == 'current' else 'before'}"
            for key, unit, factor in (("tick_cpu", "ms", 1000), ("move_cpu", "ms", 1000),
                                      ("tick_bytes", "kb", 1 / 1000)):
                slot = figures.setdefault(f"{key.replace('bytes', 'sent')}_{unit}", {})
                slot[label] = round(statistics.median(got[key]) * factor, 2)
        if "baseline" in roots:
            now, before = results[("current", scale)], results[("baseline", scale)]
            for key, label in (("tick_cpu", "CPU per tick"), ("move_cpu", "CPU per move"),
                               ("tick_bytes", "bytes per tick")):
                ratio = statistics.median(now[key]) / max(statistics.median(before[key]), 1e-9)
                print(f"  {label} at {scale}×: current ÷ baseline = {ratio:.2f}")
    limit = {1: 0.025, 100: 0.100}
    for scale in scales:
        now = results[("current", scale)]
        if scale in limit:
            for key, label in (("tick_cpu", "filter tick"), ("move_cpu", "page move")):
                value = statistics.median(now[key])
                print(verdict(f"median CPU per {label} at {scale}× <= "
                              f"{limit[scale] * 1000:.0f} ms", value <= limit[scale],
                              f"{value * 1000:.1f} ms"))
        if scale == 100:
            value = statistics.median(now["tick_bytes"])
            print(verdict("sent per filter tick at 100× <= 100 KB", value <= 100_000,
                          f"{value / 1000:.1f} KB"))


if __name__ == "__main__":
    main()
