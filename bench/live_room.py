"""Benchmark: a live room of N phones answering at once, the presenter's tally following.

For each store (SQLite, then PostgreSQL, side by side in the same run) a fresh server is
started as ``make serve`` starts it (``python -m explorer serve``: Voila plus the join page),
with its room store set by ``$EXPLORER_STATE`` or ``$EXPLORER_ROOM_DB``. Then, for each N
(the first N = 1, a lone participant: the baseline, measured in the same run on the same
server):

1. a room is opened in the store (as the presenter's *Start a room* does);
2. the presenter's panel follows the store exactly as in a kernel: a ``RoomPanel`` on an
   asyncio loop of its own, polling every ``POLL_S`` seconds with each read in its store
   thread (``RoomPanel._poll``), recording when each count of answers is drawn;
3. for each of the room's three questions, the presenter moves the room to it and N phones
   (threads, each with its own cookies: plain HTTP, as a phone sends it) answer at once:
   each opens the join page, then sends its answer.

It prints, per N: answers stored and lost (target 0), the slowest question's time until
all N had answered (target within 10 s), the join page's time (median, p95, and its ratio
to the lone participant's), p95 from an answer being stored to the presenter's tally
showing it (target ≤ 1 s, through the panel's polling path; its ratio to the baseline's),
the server's memory per participant (RSS growth ÷ N; target ≤ 10 MB, no kernel per
participant) and the kernels alive (0: the join page starts none).

    python bench/live_room.py [--sizes 300] [--stores sqlite,postgresql]

Run it with nothing else running; quote ranges over repeated runs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
from common import (
    ROOT,
    add_common_arguments,
    add_figures,
    kernel_processes,
    load_line,
    memory_mb,
    p95,
    recorded,
    verdict,
)

sys.path.insert(0, str(ROOT / "tests"))

from browser_kit import start_voila
from room_kit import Phone, first_fields

import explorer
from explorer.app.dashboards.room import RoomPanel
from explorer.rooms import RoomStore, deck

ALL_ANSWERED_S = 10.0
TALLY_P95_S = 1.0
MB_PER_PARTICIPANT = 10.0


class Presenter:
    """The presenter's panel following the store as in a kernel: its own asyncio loop (in a
    thread), the panel's poll with each read off that loop, noting when each count of
    answers (summed over the questions) was first drawn."""

    def __init__(self, ds, store: RoomStore, code: str) -> None:
        self.panel = RoomPanel(ds, lambda *_room: None, store=store)
        self.panel.controls.send = lambda *_args, **_kwargs: None  # no browser to tell
        self.code = code
        self.seen: list[tuple[float, int]] = []
        drawn = self.panel._draw_tally

        def noted(tally) -> None:
            self.seen.append((time.perf_counter(), sum(tally.respondents.values())))
            drawn(tally)

        self.panel._draw_tally = noted  # type: ignore[method-assign]
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> Presenter:
        self._thread.start()
        room = self.panel.store.room(self.code)

        async def opened() -> None:  # from a task, as a kernel's message handler runs it
            self.panel._opened(room, "", False)

        asyncio.run_coroutine_threadsafe(opened(), self.loop).result(30)
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            self.panel.close()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(30)

    def shown_at(self, k: int) -> float | None:
        """When the tally first counted ``k`` answers."""
        return next((t for t, n in self.seen if n >= k), None)

    def latest(self) -> int:
        return self.seen[-1][1] if self.seen else 0


def phone_round(base: str, code: str, phone: Phone, question, start: threading.Barrier,
                stored: list[float]) -> tuple[float, list[int]]:
    """One phone on one question: the join page (timed), then its answer; records when the
    answer was stored."""
    start.wait()
    began = time.perf_counter()
    page = phone.get(f"/room/{code}")
    join_s = time.perf_counter() - began
    reply = phone.post(f"/room/{code}", [("question", question.id), *first_fields(question)])
    if reply.status == 303:
        stored.append(time.perf_counter())
    return join_s, [page.status, reply.status]


def run_room(server, store: RoomStore, ds, size: int) -> dict:
    """One room of ``size`` phones answering its three questions on ``server``."""
    questions = deck(ds)
    code = store.create_room(questions, max_participants=max(200, size)).code
    process = psutil.Process(server.process.pid)
    rss_before, _ = memory_mb([process])
    stored: list[float] = []
    joins: list[float] = []
    statuses: list[int] = []
    rounds: list[float] = []
    phones = [Phone(server.base) for _ in range(size)]
    with Presenter(ds, store, code) as presenter, \
            ThreadPoolExecutor(max_workers=size) as pool:
        for number, question in enumerate(questions.questions):
            store.update_room(code, question=number)
            barrier = threading.Barrier(size)
            began = time.perf_counter()
            results = list(pool.map(lambda phone, q=question, b=barrier: phone_round(
                server.base, code, phone, q, b, stored), phones))
            rounds.append(time.perf_counter() - began)
            joins += [r[0] for r in results]
            statuses += [s for r in results for s in r[1]]
        rss_after, _ = memory_mb([process])
        expected = size * len(questions)
        deadline = time.perf_counter() + 30
        while presenter.latest() < expected and time.perf_counter() < deadline:
            time.sleep(0.05)
    tally = store.tally(code)
    kept = sum(tally.respondents.values())
    lags = []
    for k, when in enumerate(sorted(stored), start=1):
        shown = presenter.shown_at(k)
        if shown is not None:
            lags.append(max(0.0, shown - when))
    store.close(code)
    return {
        "size": size, "stored": kept, "expected": size * len(questions),
        "joined": tally.joined, "errors": sum(1 for s in statuses if s not in (200, 303)),
        "all_s": max(rounds), "join_median": statistics.median(joins), "join_p95": p95(joins),
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
    print(f"\n{name}: baseline (1 participant, same server, same run): join page "
          f"{base['join_median'] * 1000:.0f} ms, answer→tally {base['tally_median']:.2f} s "
          f"(p95 {base['tally_p95']:.2f} s)")
    print(f"{'N':>5} {'stored':>9} {'lost':>5} {'errors':>6} {'all in':>8} "
          f"{'join med/p95 (ms)':>18} {'vs 1':>6} {'tally p95 (s)':>13} {'vs 1':>6} "
          f"{'MB each':>8} {'server MB':>9} {'kernels':>7}")
    for r in rows[1:]:
        lost = r["expected"] - r["stored"]
        print(f"{r['size']:>5} {r['stored']:>4}/{r['expected']:<4} {lost:>5} {r['errors']:>6} "
              f"{r['all_s']:>7.2f}s {r['join_median'] * 1000:>8.0f}/{r['join_p95'] * 1000:<8.0f}"
              f" {r['join_median'] / base['join_median']:>5.1f}x {r['tally_p95']:>13.2f} "
              f"{r['tally_p95'] / max(base['tally_p95'], 1e-3):>5.1f}x "
              f"{r['mb_each']:>8.2f} {r['rss_mb']:>9.0f} {r['kernels']:>7}")
        n = r["size"]
        verdicts += [
            verdict(f"{name} {n}: every answer stored", lost == 0 and r["errors"] == 0,
                    f"{r['stored']}/{r['expected']}, {r['errors']} errors"),
            verdict(f"{name} {n}: all answered within {ALL_ANSWERED_S:.0f} s",
                    r["all_s"] <= ALL_ANSWERED_S, f"slowest question {r['all_s']:.2f} s"),
            verdict(f"{name} {n}: p95 answer→tally <= {TALLY_P95_S:.0f} s",
                    r["tally_p95"] <= TALLY_P95_S, f"{r['tally_p95']:.2f} s"),
            verdict(f"{name} {n}: memory per participant <= {MB_PER_PARTICIPANT:.0f} MB, "
                    "no kernel", r["mb_each"] <= MB_PER_PARTICIPANT and r["kernels"] == 0,
                    f"{r['mb_each']:.2f} MB, {r['kernels']} kernels"),
        ]
    return verdicts


def main() -> None:
    parser = argparse.ArgumentParser(
        description="A live room: N phones answer each question at once through the join "
        "page (no kernel each); answers stored and lost, time, answer→tally latency through "
        "the presenter's polling, memory per participant; SQLite and PostgreSQL side by side, "
        "against a lone participant measured first.")
    parser.add_argument("--sizes", default="300",
                        help="comma-separated room sizes (default 300)")
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
    with recorded("live_room", args) as figures, \
            tempfile.TemporaryDirectory(prefix="ctg-live-room-") as tmp:
        for name in stores:
            rows = measure_store(name, sizes, ds, Path(tmp), args.voila_arg)
            verdicts += report(name, rows)
            add_figures(figures, f"{name} alone", join_median_ms=rows[0]["join_median"] * 1000,
                        tally_median_s=rows[0]["tally_median"])
            for r in rows[1:]:
                add_figures(figures, f"{name} {r['size']}", answers_sent=r["expected"],
                            answers_stored=r["stored"], errors=r["errors"],
                            all_answered_s=r["all_s"], join_median_ms=r["join_median"] * 1000,
                            join_p95_ms=r["join_p95"] * 1000, tally_p95_s=r["tally_p95"],
                            mb_per_participant=r["mb_each"], kernels=r["kernels"])
    print()
    print(load_line("after"))
    for line in verdicts:
        print(line)


if __name__ == "__main__":
    main()
