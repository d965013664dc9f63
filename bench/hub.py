"""Benchmark: N analysts on JupyterHub (JupyterLab each), against N readers of one Voila server.

For each N (fresh servers each time):

- **hub**: a real JupyterHub from ``deploy/jupyterhub/jupyterhub_config.py``
  (NativeAuthenticator, local process spawner, configurable-http-proxy from npm). An admin and
  N analysts sign up and the admin approves them (not timed). Then the N analysts at once,
  each an HTTP client with cookies of its own: sign in, start their server (their home gets
  the analysis notebooks), open JupyterLab (``/user/<name>/lab``, a browser's first request),
  and run the tutorial in a kernel of their server through the Jupyter server's API, the
  kernel kept as an open notebook keeps it (``hub_kit.run_notebook``).
- **voila**: N readers opening the matrix page of ``voila notebooks/`` at once (HTTP, as
  ``bench/room.py``): the per-reader cost of the reader tier, measured in the same run.

Times run from the first request: until every analyst is in JupyterLab, and until every one
has run the tutorial; for Voila, until every reader is served. Memory is measured once all
are done: each analyst's own processes (their server and its kernels) and each reader's
kernel (RSS, and USS: memory no other process shares), and everything each setup runs divided
by the people it serves. Ratios are analyst ÷ reader.

Verdict: every analyst reached JupyterLab and ran the tutorial without error.

    python bench/hub.py [--sizes 5,10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from common import (  # puts tests/browser on the path
    add_figures,
    is_kernel,
    kernel_processes,
    load_line,
    memory_mb,
    recorded,
    served,
    verdict,
)
from hub_kit import (
    Analyst,
    Hub,
    admin_of,
    missing_requirements,
    run_notebook,
    start_hub,
)
from room import REQUEST_TIMEOUT_S, fetch

TUTORIAL = "analysis/tutorial.ipynb"


@dataclass
class Person:
    """One analyst's or reader's outcome: what happened, and when (seconds from the start)."""

    status: str = "not started"
    in_lab_s: float = float("nan")
    done_s: float = float("nan")
    errors: list[str] = field(default_factory=list)


def analyst_session(analyst: Analyst, person: Person, start: float) -> None:
    """Sign in, start the server, open JupyterLab, run the tutorial (kernel kept)."""
    try:
        if "/hub/login" in analyst.sign_in():
            person.status = "refused at sign-in"
            return
        analyst.start_server()
        if not analyst.open_lab():
            person.status = "no JupyterLab page"
            return
        person.in_lab_s = time.perf_counter() - start
        person.errors = run_notebook(analyst, TUTORIAL, keep=True)
        person.done_s = time.perf_counter() - start
        person.status = "tutorial failed" if person.errors else "done"
    except Exception as error:
        person.status = f"{type(error).__name__}: {error}"[:160]


@dataclass
class Run:
    setup: str
    size: int
    ok: int
    problems: list[str]
    first_s: float  # hub: all in JupyterLab; voila: all served
    done_s: float  # hub: all ran the tutorial; voila: = first_s
    own_rss_mb: float  # per person: their own processes
    own_uss_mb: float
    tree_rss_mb: float  # everything the setup runs ÷ the people it serves

    def row(self) -> str:
        problems = f"{len(self.problems)} {sorted(set(self.problems))}" if self.problems else "0"
        timing = (f"all in JupyterLab {self.first_s:6.1f} s, tutorial run by all "
                  f"{self.done_s:6.1f} s" if self.setup == "hub"
                  else f"all served {self.first_s:6.1f} s")
        return (f"{self.setup:<5} N={self.size:<3} ok {self.ok}/{self.size}  {timing}  "
                f"problems {problems}  per person: own {self.own_rss_mb:5.0f} MB RSS "
                f"{self.own_uss_mb:5.0f} MB USS, all processes {self.tree_rss_mb:5.0f} MB RSS")


def _mean(values: list[float]) -> float:
    return statistics.mean(values) if values else float("nan")


def hub_run(size: int, state: Path) -> Run:
    hub: Hub = start_hub(state)
    try:
        admin = admin_of(hub)
        analysts = [Analyst(hub, f"analyst{i}") for i in range(size)]
        for analyst in analysts:
            analyst.sign_up()
            admin.approve(analyst.name)
        people = [Person() for _ in analysts]
        start = time.perf_counter()
        threads = [threading.Thread(target=analyst_session, args=(a, p, start), daemon=True)
                   for a, p in zip(analysts, people, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(REQUEST_TIMEOUT_S * 2)
        own = [memory_mb([server, *(p for p in server.children(recursive=True)
                                    if is_kernel(p))])
               for server in hub.single_user_servers().values()]
        tree = memory_mb([psutil.Process(hub.process.pid), *hub.descendants()])[0]
    finally:
        survivors = hub.stop()
        if survivors:
            print(f"  warning: {len(survivors)} processes outlived the hub (then killed):\n    "
                  + "\n    ".join(hub.survivor_names), flush=True)
    done = [p for p in people if p.status == "done"]
    complete = len(done) == size
    return Run("hub", size, len(done),
               [p.status + (f" {p.errors}" if p.errors else "") for p in people
                if p.status != "done"],
               max(p.in_lab_s for p in done) if complete else float("nan"),
               max(p.done_s for p in done) if complete else float("nan"),
               _mean([m[0] for m in own]), _mean([m[1] for m in own]),
               tree / max(1, len(own)))


def voila_run(size: int, page: str) -> Run:
    with served() as server:
        results: list = [None] * size
        start = time.perf_counter()
        threads = [threading.Thread(target=fetch, args=(server.url(page), results, i, start),
                                    daemon=True) for i in range(size)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(REQUEST_TIMEOUT_S + 5)
        results = [r or ("hung", float("nan")) for r in results]
        kernels = kernel_processes(server)
        own = [memory_mb([kernel]) for kernel in kernels]
        tree = memory_mb([psutil.Process(server.process.pid), *kernels])[0]
    times = [t for status, t in results if status == "served"]
    all_s = max(times) if len(times) == size else float("nan")
    return Run("voila", size, len(times), [s for s, _ in results if s != "served"], all_s,
               all_s, _mean([m[0] for m in own]), _mean([m[1] for m in own]),
               tree / max(1, len(own)))


def _ratio(a: float, b: float) -> str:
    return f"{a / b:5.2f}x" if b and b == b and a == a else "   - "


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Target: every analyst reaches JupyterLab and runs the tutorial without error.")
    parser.add_argument("--sizes", default="5,10", help="how many analysts (and readers)")
    parser.add_argument("--page", default="matrix", help="the readers' page")
    args = parser.parse_args()
    missing = missing_requirements()
    if missing:
        sys.exit(missing)
    print(f"{psutil.virtual_memory().total / 2**30:.0f} GiB; {load_line('at start')}; "
          f"analysts run {TUTORIAL}; readers open {args.page}.ipynb", flush=True)
    table = []
    with recorded("hub", args) as figures, \
            tempfile.TemporaryDirectory(prefix="ctg-bench-hub-") as tmp:
        for size in map(int, args.sizes.split(",")):
            hub = hub_run(size, Path(tmp) / f"n{size}")
            print(hub.row(), flush=True)
            voila = voila_run(size, args.page)
            print(voila.row(), flush=True)
            print(verdict(f"N={size}: every analyst reached JupyterLab and ran the tutorial",
                          hub.ok == size, f"{hub.ok}/{size}"), flush=True)
            print(f"      {load_line()}", flush=True)
            table.append((hub, voila))
            add_figures(figures, f"N={size}", analysts=size, analysts_ok=hub.ok,
                        all_in_jupyterlab_s=hub.first_s, readers_served_s=voila.first_s,
                        tutorial_run_s=hub.done_s, own_rss_per_analyst_mb=hub.own_rss_mb,
                        own_uss_per_analyst_mb=hub.own_uss_mb,
                        own_rss_per_reader_mb=voila.own_rss_mb,
                        own_uss_per_reader_mb=voila.own_uss_mb,
                        everything_rss_per_analyst_mb=hub.tree_rss_mb,
                        everything_rss_per_reader_mb=voila.tree_rss_mb)
    print("\nN   | analysts in JupyterLab / readers served (s) | tutorial run by all (s) | "
          "own memory per person, RSS: analyst / reader (MB) | USS | all processes RSS")
    for hub, voila in table:
        print(f"{hub.size:<3} | {hub.first_s:5.1f} / {voila.first_s:5.1f} "
              f"{_ratio(hub.first_s, voila.first_s)} | {hub.done_s:5.1f} | "
              f"{hub.own_rss_mb:4.0f} / {voila.own_rss_mb:4.0f} "
              f"{_ratio(hub.own_rss_mb, voila.own_rss_mb)} | "
              f"{hub.own_uss_mb:4.0f} / {voila.own_uss_mb:4.0f} "
              f"{_ratio(hub.own_uss_mb, voila.own_uss_mb)} | "
              f"{hub.tree_rss_mb:4.0f} / {voila.tree_rss_mb:4.0f} "
              f"{_ratio(hub.tree_rss_mb, voila.tree_rss_mb)}")
    print(load_line("at end"))


if __name__ == "__main__":
    main()
