"""Benchmark: a room of N readers through HAProxy to Voila replicas, against one Voila server.

For each N, in the same run (fresh servers each time):

- **one**: ``voila notebooks/`` as ``make serve`` runs it (``browser_kit.start_voila``);
- **replicas**: ``--replicas`` copies of the same command behind HAProxy
  (``deploy/proxy/replicas.py``, as ``make serve-replicas`` runs it).

N readers arrive at once on the same page. Each is an HTTP client with cookies of its own,
as a reader's browser (the page runs its notebook in a new kernel on the server, the server's
real cost; the room's browsers are not this machine's cost, as in ``bench/room.py``).

Printed per N: the time until all are served (and errors, hung requests) for both setups and
its ratio; memory once all are served: each setup's kernels per reader (PSS, RSS, USS), and
everything it runs per reader (servers, their preloaders and kernels, and HAProxy) as PSS,
which counts a page shared by forked kernels once; HAProxy's own memory before and after the
rush (what the proxy adds in all, and per reader); and, from HAProxy's log (``option
httplog``), where the rush's requests waited: the slowest queue, connection and replica
times, how each ended, any still open. Then the replica holding the most readers is stopped
and its readers ask again with their cookies: the time until every one of them is served
again, by another replica. Each server's preloader is ready before the rush (the readers
measured are not the ones that meet a server still warming up).

``--keep DIR`` keeps the replicas' logs and HAProxy's (with its timers per request) in DIR.

Verdicts: all N served with no error through the proxy; the proxy adds at most 10% of the
replicas' memory and nothing per reader (<= 0.25 MB each); a stopped replica's readers are all
served again within 60 s.

    python bench/replicas.py [--sizes 60,200] [--replicas 2] [--page matrix] [--keep DIR]
                             [--voila-arg=--ThrottledKernelManager.max_kernels=...]
"""

from __future__ import annotations

import argparse
import collections
import http.cookiejar
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil
from common import (  # puts tests/browser on the path
    VoilaServer,
    add_common_arguments,
    add_figures,
    kernel_processes,
    load_line,
    memory_mb,
    pss_mb,
    recorded,
    server_tree,
    start_voila,
    verdict,
    wait_warm,
)
from replica_kit import REPLICA_HEADER, Replicas, start_replicas
from room import REQUEST_TIMEOUT_S

PROXY_SHARE_TARGET = 0.10
PROXY_PER_READER_MB = 0.25
RECOVERED_WITHIN_S = 60


class Reader:
    """One reader over HTTP, with cookies of its own (its replica's, once it has one)."""

    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.status = "not asked"
        self.seconds = float("nan")
        self.replica = ""

    def fetch(self, url: str, start: float) -> None:
        """Ask for the page; record the answer, its time since ``start`` and who answered."""
        self.status = "still waiting"  # what a reader's page still loading at the end shows
        try:
            with self.opener.open(url, timeout=REQUEST_TIMEOUT_S) as response:
                body = response.read().decode("utf-8", "replace")
                ok = (response.status == 200 and "widget-view+json" in body
                      and "There was an error" not in body)
                self.status = "served" if ok else "bad page"
                self.replica = response.headers.get(REPLICA_HEADER, "")
        except urllib.error.HTTPError as error:
            error.close()  # an error reply holds its socket open until closed
            self.status = f"HTTP {error.code}"
        except TimeoutError:
            self.status = "hung"
        except Exception as error:
            timed_out = isinstance(getattr(error, "reason", None), TimeoutError)
            self.status = "hung" if timed_out else type(error).__name__
        self.seconds = time.perf_counter() - start


def rush(readers: list[Reader], url: str) -> float:
    """Every reader asks for ``url`` at once; seconds until the last answer."""
    start = time.perf_counter()
    threads = [threading.Thread(target=r.fetch, args=(url, start), daemon=True)
               for r in readers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(REQUEST_TIMEOUT_S + 5)
    return time.perf_counter() - start


@dataclass
class Result:
    setup: str
    size: int
    served: int
    errors: list[str]
    all_served_s: float
    kernel_rss_mb: float  # per reader: the kernels' memory divided by the readers served
    kernel_uss_mb: float
    kernel_pss_mb: float
    total_rss_mb: float  # per reader: everything the setup runs (servers, their preloaders
    total_pss_mb: float  # and kernels, the proxy); PSS counts each shared page once

    def row(self) -> str:
        errors = f"{len(self.errors)} {sorted(set(self.errors))}" if self.errors else "0"
        return (f"{self.setup:<9} N={self.size:<3} served {self.served}/{self.size} in "
                f"{self.all_served_s:6.1f} s  errors {errors}  per reader: kernels "
                f"{self.kernel_rss_mb:4.0f} MB RSS {self.kernel_uss_mb:4.0f} MB USS "
                f"{self.kernel_pss_mb:4.0f} MB PSS, everything {self.total_pss_mb:4.0f} MB PSS "
                f"({self.total_rss_mb:.0f} MB RSS)")


def summary(setup: str, readers: list[Reader], trees: list[psutil.Process],
            kernels: list[psutil.Process]) -> Result:
    """The readers' outcome and memory per reader served: the kernels', and everything's
    (``trees``: servers, preloaders, kernels, the proxy)."""
    served = [r for r in readers if r.status == "served"]
    errors = [r.status for r in readers if r.status != "served"]
    kernel_rss, kernel_uss = memory_mb(kernels)
    count = max(1, len(served))
    all_served = max(r.seconds for r in served) if len(served) == len(readers) else float("nan")
    return Result(setup, len(readers), len(served), errors, all_served, kernel_rss / count,
                  kernel_uss / count, pss_mb(kernels) / count, memory_mb(trees)[0] / count,
                  pss_mb(trees) / count)


def one_voila(size: int, page: str, logs: Path, extra_args: list[str]) -> Result:
    server: VoilaServer = start_voila(logs, extra_args=extra_args)
    try:
        try:
            wait_warm(server)
        except RuntimeError as error:
            raise RuntimeError(f"{error}; log in {logs}") from None
        readers = [Reader() for _ in range(size)]
        rush(readers, server.url(page))
        return summary("one", readers, server_tree(server), kernel_processes(server))
    finally:
        server.stop()


def proxy_report(replicas: Replicas, page_path: str, asked: int) -> list[str]:
    """Where the rush's page requests waited, from HAProxy's own log: the slowest queue,
    connection and replica times, how each request ended, requests still open (never
    logged), and the replicas' health checks failing."""
    log = replicas.proxy_log()
    timed = replicas.logged_requests(page_path)
    if not timed:
        return ["          HAProxy's log: no page request logged"]
    slowest = [max(t.timers[i] for t in timed) for i in range(5)]
    ended = collections.Counter(t.ended for t in timed)
    down = sum(line.startswith("Server ") and " is DOWN" in line for line in log.splitlines())
    return [f"          HAProxy's log, the rush ({len(timed)} of {asked} page requests "
            f"logged, {asked - len(timed)} still open): slowest queue wait (Tw) "
            f"{slowest[1]} ms, connect (Tc) {slowest[2]} ms, replica's first byte (Tr) "
            f"{slowest[3]} ms, in all (Ta) {slowest[4]} ms; ended {dict(ended)}; "
            f"a replica marked down {down} times"]


def replicated(size: int, count: int, page: str, state: Path,
               extra_args: list[str]) -> tuple[Result, list[str], dict[str, float]]:
    replicas: Replicas = start_replicas(state, count, extra_args=" ".join(extra_args))
    try:
        try:
            for replica in replicas.replicas:
                wait_warm(replica)
        except RuntimeError as error:
            raise RuntimeError(f"a replica: {error}; logs in {state}") from None
        proxy = psutil.Process(replicas.proxy.pid)
        proxy_before = memory_mb([proxy])[0]
        readers = [Reader() for _ in range(size)]
        url = replicas.url(page)
        rush(readers, url)
        trees = [p for r in replicas.replicas for p in server_tree(r)]
        kernels = [k for r in replicas.replicas for k in kernel_processes(r)]
        result = summary(f"{count} behind HAProxy", readers, [*trees, proxy], kernels)
        proxy_after = memory_mb([proxy])[0]
        everything = pss_mb([*trees, proxy])
        landed = collections.Counter(r.replica for r in readers if r.status == "served")
        timers = proxy_report(replicas, f"/voila/render/{page}.ipynb", size)

        # The replica holding the most readers stops; its readers ask again, cookies kept.
        stopped = landed.most_common(1)[0][0] if landed else replicas.replicas[0].name
        moved = [r for r in readers if r.replica == stopped]
        stop_at = time.perf_counter()
        replicas.replica(stopped).stop()
        stop_s = time.perf_counter() - stop_at
        for reader in moved:
            reader.status = "not asked"
        rush(moved, url)
        back = [r for r in moved if r.status == "served" and r.replica != stopped]
        recovered_s = (max(r.seconds for r in back) if back and len(back) == len(moved)
                       else float("nan"))
    finally:
        replicas.stop()
    share = (proxy_after / everything) if everything else float("nan")
    per_reader = (proxy_after - proxy_before) / max(1, size)
    lines = [
        result.row(),
        f"          readers per replica: {dict(sorted(landed.items()))}",
        *timers,
        f"          HAProxy: {proxy_before:.1f} MB RSS before the rush, {proxy_after:.1f} MB "
        f"after ({share:.1%} of everything the replicas' setup holds, PSS; "
        f"{per_reader * 1024:+.0f} KB per reader)",
        f"          stopped {stopped} (serving {len(moved)} readers; it took {stop_s:.1f} s "
        f"to stop its kernels): asking again, all were served by another replica within "
        f"{recovered_s:.1f} s ({len(back)}/{len(moved)} back)",
        verdict(f"N={size}: the proxy adds <= {PROXY_SHARE_TARGET:.0%} of the memory and "
                f"nothing per reader (<= {PROXY_PER_READER_MB} MB)",
                share <= PROXY_SHARE_TARGET and per_reader <= PROXY_PER_READER_MB,
                f"{share:.1%}, {per_reader * 1024:+.0f} KB per reader"),
        verdict(f"N={size}: a stopped replica's readers are served again within "
                f"{RECOVERED_WITHIN_S} s", len(back) == len(moved)
                and recovered_s <= RECOVERED_WITHIN_S,
                f"{len(back)}/{len(moved)} in {recovered_s:.1f} s"),
    ]
    figures = {"haproxy_mb": proxy_after, "haproxy_share_pct": share * 100,
               "haproxy_per_reader_kb": per_reader * 1024, "stopped_replica_readers": len(moved),
               "stopped_replica_served_again": len(back),
               "stopped_replica_served_again_s": recovered_s}
    return result, lines, figures


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b and a == a and b == b else "-"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=f"Targets: all N served through the proxy with no error; the proxy adds <= "
               f"{PROXY_SHARE_TARGET:.0%} of the memory and <= {PROXY_PER_READER_MB} MB per "
               f"reader; a stopped replica's readers are served again within "
               f"{RECOVERED_WITHIN_S} s.")
    parser.add_argument("--sizes", default="60", help="room sizes (default 60)")
    parser.add_argument("--replicas", type=int, default=2, help="replicas (default 2)")
    parser.add_argument("--page", default="matrix", help="the page everyone opens")
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR",
                        help="keep the replicas' and HAProxy's logs (with its timers per "
                             "request) in DIR instead of a temporary folder")
    add_common_arguments(parser)
    args = parser.parse_args()
    print(f"{psutil.virtual_memory().total / 2**30:.0f} GiB; {load_line('before')}; page "
          f"{args.page}.ipynb; N HTTP readers with cookies, arriving at once", flush=True)
    table = []
    with recorded("replicas", args) as figures, \
            tempfile.TemporaryDirectory(prefix="ctg-bench-replicas-") as scratch:
        tmp = str(args.keep or scratch)
        Path(tmp).mkdir(parents=True, exist_ok=True)
        for size in map(int, args.sizes.split(",")):
            one = one_voila(size, args.page, Path(tmp), args.voila_arg)
            print(one.row(), flush=True)
            many, lines, proxy = replicated(size, args.replicas, args.page,
                                            Path(tmp) / f"n{size}", args.voila_arg)
            add_figures(figures, f"N={size}", readers=size, served_replicas=many.served,
                        served_replicas_s=many.all_served_s, served_one_voila=one.served,
                        served_one_voila_s=one.all_served_s,
                        kernel_pss_per_reader_replicas_mb=many.kernel_pss_mb,
                        kernel_pss_per_reader_one_voila_mb=one.kernel_pss_mb,
                        kernel_rss_per_reader_mb=many.kernel_rss_mb,
                        kernel_uss_per_reader_mb=many.kernel_uss_mb,
                        everything_per_reader_replicas_mb=many.total_pss_mb,
                        everything_per_reader_one_voila_mb=one.total_pss_mb, **proxy)
            for line in lines:
                print(line, flush=True)
            print(verdict(f"N={size}: all served through the proxy, no error",
                          many.served == size and not many.errors,
                          f"{many.served}/{size} in {many.all_served_s:.1f} s"), flush=True)
            print(f"          {load_line()}", flush=True)
            table.append((one, many))
    print("\nN   | all served: replicas / one (s) | kernels per reader, PSS: replicas / one "
          "(MB) | RSS | USS | everything per reader, PSS")
    for one, many in table:
        print(f"{one.size:<3} | {many.all_served_s:5.1f} / {one.all_served_s:5.1f} "
              f"{_ratio(many.all_served_s, one.all_served_s)} | "
              f"{many.kernel_pss_mb:4.0f} / {one.kernel_pss_mb:4.0f} "
              f"{_ratio(many.kernel_pss_mb, one.kernel_pss_mb)} | "
              f"{many.kernel_rss_mb:4.0f} / {one.kernel_rss_mb:4.0f} | "
              f"{many.kernel_uss_mb:4.0f} / {one.kernel_uss_mb:4.0f} | "
              f"{many.total_pss_mb:4.0f} / {one.total_pss_mb:4.0f} "
              f"{_ratio(many.total_pss_mb, one.total_pss_mb)}")
    print(load_line("after"))


if __name__ == "__main__":
    main()
