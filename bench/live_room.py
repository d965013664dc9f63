"""Benchmark: a live room of N participants joining and answering from their phones at once.

For each store (SQLite, then PostgreSQL, side by side in the same run) a fresh server is
started as ``make serve`` starts it (``python -m explorer serve``: Voila plus the join page),
with its room store set by ``$EXPLORER_STATE`` or ``$EXPLORER_ROOM_DB``. Then, for each N:

1. a room is opened in the store (as the presenter's *Start a room* does);
2. the presenter's view polls the store exactly as the panel does (``RoomPanel.refresh``,
   every ``POLL_S`` seconds, in a thread of its own), recording when each answer shows;
3. N participants (threads, each with its own cookies: plain HTTP, as a phone sends it)
   start together: each opens the join page, then answers all three questions;

and it prints: every answer stored (0 lost), the time until all N had joined and answered
(target: within 10 s), the join page's time (median, p95), p95 from an answer being stored
to the presenter's tally showing it (target ≤ 2 s, through the panel's polling path), the
server's memory per participant (RSS growth over the run ÷ N; target ≤ 10 MB, no kernel
per participant) and the kernels alive (0: the join page starts none). Ratios are against a
lone participant measured first on the same server (N = 1, the baseline).

    python bench/live_room.py [--sizes 60,200] [--stores sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
from common import ROOT, add_common_arguments, kernel_processes, load_line, memory_mb, p95, verdict

sys.path.insert(0, str(ROOT / "tests"))

from browser_kit import start_voila
from room_kit import Phone, answer_everything

import explorer
from explorer.dashboards.room import POLL_S, RoomPanel
from explorer.rooms import RoomStore, deck

ALL_ANSWERED_S = 10.0
TALLY_P95_S = 2.0
MB_PER_PARTICIPANT = 10.0
QUESTIONS = 3


class Presenter:
    """The presenter's panel, polling the store as in the kernel (``RoomPanel.refresh``),
    noting when the tally first showed each count of answers."""

    def __init__(self, ds, store: RoomStore, code: str) -> None:
        self.panel = RoomPanel(ds, lambda _key: None, store=store)
        self.panel.code = code
        self.seen: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def answers(self) -> int:
        tally = self.panel.store.tally(self.panel.code or "")
        return sum(tally.respondents.values())

    def _run(self) -> None:
        while not self._stop.is_set():
            self.panel.refresh()  # what the kernel's poll does
            self.seen.append((time.perf_counter(), self.answers()))
            self._stop.wait(POLL_S)

    def __enter__(self) -> Presenter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def shown_at(self, k: int) -> float | None:
        """When the tally first counted ``k`` answers."""
        return next((t for t, n in self.seen if n >= k), None)


def participant(base: str, code: str, questions, start: threading.Barrier,
                stored: list[float]) -> tuple[float, list[int]]:
    """One phone: the join page (timed), then all three answers; records each stored time."""
    phone = Phone(base)
    start.wait()
    began = time.perf_counter()
    page = phone.get(f"/room/{code}")
    join_s = time.perf_counter() - began
    statuses = [page.status]
    for status in answer_everything(phone, code, questions):
        statuses.append(status)
        if status == 303:
            stored.append(time.perf_counter())
    return join_s, statuses


def run_room(server, store: RoomStore, ds, size: int) -> dict:
    """One room of ``size`` participants on ``server``; the measurements."""
    questions = deck(ds)
    code = store.create_room(questions, max_participants=max(200, size)).code
    process = psutil.Process(server.process.pid)
    rss_before, _ = memory_mb([process])
    stored: list[float] = []
    barrier = threading.Barrier(size)
    with Presenter(ds, store, code) as presenter, \
            ThreadPoolExecutor(max_workers=size) as pool:
        began = time.perf_counter()
        results = list(pool.map(lambda _n: participant(server.base, code, questions, barrier,
                                                       stored), range(size)))
        done_s = time.perf_counter() - began
        rss_after, _ = memory_mb([process])
        expected = size * QUESTIONS
        deadline = time.perf_counter() + 30
        while presenter.answers() < expected and time.perf_counter() < deadline:
            time.sleep(0.05)
        time.sleep(POLL_S * 1.5)  # let the presenter's poll see the last answer
    tally = store.tally(code)
    kept = sum(tally.respondents.values())
    lags = []
    for k, when in enumerate(sorted(stored), start=1):
        shown = presenter.shown_at(k)
        if shown is not None:
            lags.append(max(0.0, shown - when))
    statuses = [s for _, row in results for s in row]
    store.close(code)
    return {
        "size": size, "stored": kept, "expected": size * QUESTIONS, "joined": tally.joined,
        "errors": sum(1 for s in statuses if s not in (200, 303)), "all_s": done_s,
        "join_median": statistics.median(r[0] for r in results),
        "join_p95": p95([r[0] for r in results]),
        "tally_p95": p95(lags) if lags else float("nan"),
        "tally_median": statistics.median(lags) if lags else float("nan"),
        "mb_each": max(0.0, rss_after - rss_before) / size, "rss_mb": rss_after,
        "kernels": len(kernel_processes(server)),
    }


def measure_store(name: str, sizes: list[int], ds, logs: Path, extra_args) -> list[dict]:
    """Start a server on one store; the baseline (one participant), then each size."""
    postgres = None
    environment: dict[str, str] = {}
    if name == "postgresql":
        from postgres_kit import start_postgres

        postgres = start_postgres()
        environment["EXPLORER_ROOM_DB"] = postgres.create_database("bench")
    server = start_voila(logs, extra_args=extra_args, environment=environment)
    store = RoomStore(environment.get("EXPLORER_ROOM_DB") or server.room_db)
    try:
        return [run_room(server, store, ds, n) for n in [1, *sizes]]
    finally:
        store.close_store()
        server.stop()
        if postgres is not None:
            postgres.stop()


def report(name: str, rows: list[dict]) -> list[str]:
    base, verdicts = rows[0], []
    print(f"\n{name}: baseline (1 participant): join page {base['join_median'] * 1000:.0f} ms, "
          f"answer→tally {base['tally_median']:.2f} s")
    print(f"{'N':>5} {'stored':>9} {'lost':>5} {'errors':>6} {'all in':>8} "
          f"{'join med/p95 (ms)':>18} {'vs 1':>6} {'tally p95 (s)':>13} {'MB each':>8} "
          f"{'server MB':>9} {'kernels':>7}")
    for r in rows[1:]:
        lost = r["expected"] - r["stored"]
        print(f"{r['size']:>5} {r['stored']:>4}/{r['expected']:<4} {lost:>5} {r['errors']:>6} "
              f"{r['all_s']:>7.2f}s {r['join_median'] * 1000:>8.0f}/{r['join_p95'] * 1000:<8.0f}"
              f" {r['join_median'] / base['join_median']:>5.1f}x {r['tally_p95']:>13.2f} "
              f"{r['mb_each']:>8.2f} {r['rss_mb']:>9.0f} {r['kernels']:>7}")
        n = r["size"]
        verdicts += [
            verdict(f"{name} {n}: every answer stored", lost == 0 and r["errors"] == 0,
                    f"{r['stored']}/{r['expected']}, {r['errors']} errors"),
            verdict(f"{name} {n}: all joined and answered within {ALL_ANSWERED_S:.0f} s",
                    r["all_s"] <= ALL_ANSWERED_S, f"{r['all_s']:.2f} s"),
            verdict(f"{name} {n}: p95 answer→tally <= {TALLY_P95_S:.0f} s",
                    r["tally_p95"] <= TALLY_P95_S, f"{r['tally_p95']:.2f} s"),
            verdict(f"{name} {n}: memory per participant <= {MB_PER_PARTICIPANT:.0f} MB, "
                    "no kernel", r["mb_each"] <= MB_PER_PARTICIPANT and r["kernels"] == 0,
                    f"{r['mb_each']:.2f} MB, {r['kernels']} kernels"),
        ]
    return verdicts


def main() -> None:
    parser = argparse.ArgumentParser(
        description="A live room: N participants join and answer at once through the join "
        "page (no kernel each); answers stored, time, answer→tally latency through the "
        "presenter's polling, memory per participant; SQLite and PostgreSQL side by side.")
    parser.add_argument("--sizes", default="60,200",
                        help="comma-separated room sizes (default 60,200)")
    parser.add_argument("--stores", default="sqlite,postgresql",
                        help="comma-separated stores: sqlite, postgresql (default both)")
    add_common_arguments(parser)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    unknown = set(stores) - {"sqlite", "postgresql"}
    if unknown or not sizes:
        parser.error(f"unknown store(s): {', '.join(sorted(unknown))}" if unknown
                     else "give at least one size")
    ds = explorer.load()
    print(load_line("before"))
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="ctg-live-room-") as tmp:
        for name in stores:
            verdicts += report(name, measure_store(name, sizes, ds, Path(tmp), args.voila_arg))
    print()
    print(load_line("after"))
    for line in verdicts:
        print(line)


if __name__ == "__main__":
    main()
