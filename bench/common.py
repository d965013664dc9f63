"""What every benchmark shares: a real Voila server, Debian's Chromium, timing and statistics.

The server is the browser tests' (``tests/browser/browser_kit.py``), started from the
repository root so ``voila.json`` applies. Benchmarks serve a folder holding copies of the
dashboards *and* the baseline notebooks of ``bench/minimal/``, so both are served the same
way by the same server, and every result is a ratio measured in the same run.

The pages come from the registry (``explorer.pages.registry.PAGES``), never from a list kept here.
Each script prints the machine's load average before and after it measures (the machine is
shared; a busy machine makes every number slower, the ratios less so) and one verdict line
per target: ``VERDICT <target>: PASS|FAIL (<numbers>)``. Each also writes what it measured as
a *result record* (``recorded``): one JSON file under ``bench/results/`` (or
``$BENCH_RESULTS``) with its figures, the date, the commit, the machine, the load average at
start and end and its arguments. The documentation's performance and cost tables are made
from those records, never typed by hand.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
sys.path.insert(0, str(ROOT / "tests"))  # browser_kit's own helpers (http_kit)
sys.path.insert(0, str(ROOT))

from browser_kit import (  # noqa: E402
    CHROMIUM_ARGS,
    KERNEL_ID,
    VoilaServer,
    chromium_path,
    is_kernel,
    kernel_processes,
    shutdown_kernel,
    start_voila,
)
from process_kit import wait_for  # noqa: E402

from explorer.pages.registry import live_pages  # noqa: E402
from explorer.serve.provisioner import PreloaderEnded, preloader_listens  # noqa: E402

# The pages the live explorer serves, from the registry (pages only the static site has,
# such as the findings and the sources lists, have no notebook and no link in the kernel).
PAGES = {spec.name: spec for spec in live_pages()}

# The one-widget plotly notebook (bench/minimal/minimal.ipynb): the speed baseline.
BASELINE = "minimal"
# The same plus pandas and every CSV of the data package: the memory baseline.
DATA_BASELINE = "baseline_data"
DASHBOARDS = tuple(PAGES)
CHART_PAGES = tuple(name for name, spec in PAGES.items() if spec.chart)
CHARTLESS = frozenset(name for name, spec in PAGES.items() if not spec.chart)
CHART = ".js-plotly-plot .main-svg"
READY = ".ctg-root"
# Voila writes the page's kernel id into its page configuration.
KERNEL_ID_JS = """() => {
  const config = document.getElementById('jupyter-config-data');
  return config ? (JSON.parse(config.textContent).kernelId || null) : null;
}"""

__all__ = [
    "BASELINE",
    "CHART",
    "CHARTLESS",
    "CHART_PAGES",
    "CHROMIUM_ARGS",
    "DASHBOARDS",
    "DATA_BASELINE",
    "KERNEL_ID",
    "MOVE_JS",
    "PAGES",
    "PLAIN_KERNELS",
    "READY",
    "SERVED_NOTEBOOKS",
    "Peak",
    "VoilaServer",
    "add_common_arguments",
    "add_figures",
    "browser",
    "chromium_path",
    "close",
    "compared_setups",
    "first_paint",
    "is_kernel",
    "kernel_processes",
    "load_line",
    "median",
    "memory_mb",
    "move",
    "p95",
    "pss_mb",
    "ratio_line",
    "recorded",
    "served",
    "server_tree",
    "spread",
    "start_voila",
    "tour_order",
    "verdict",
    "wait_warm",
    "write_record",
]


PLAIN_KERNELS = "--ThrottledKernelManager.preload_kernels=False"
# Notebooks the benchmark server serves (``served``): Voila keeps a preheated pool for each.
SERVED_NOTEBOOKS = len([*(ROOT / "notebooks").glob("*.ipynb"),
                        *(ROOT / "bench" / "minimal").glob("*.ipynb")])


def compared_setups(pool_size: int) -> dict[str, list[str]]:
    """The other ways of starting kernels ``--compare`` can measure, as Voila settings."""
    return {
        "plain": [PLAIN_KERNELS],
        # A preheated page waits mid-cell for its reader's request (voila.utils); Voila's
        # cell timeout would cut that wait off and leave the pool's kernels broken.
        "preheat": [PLAIN_KERNELS, "--VoilaConfiguration.preheat_kernel=True",
                    f"--VoilaConfiguration.default_pool_size={pool_size}",
                    "--VoilaExecutor.timeout=-1"],
    }


def machine() -> dict[str, object]:
    """What the figures were measured on: cores, CPU model and memory."""
    model = platform.processor() or None
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cpu_count": os.cpu_count(), "cpu_model": model,
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1)}


def commit() -> str | None:
    """The checkout's commit, with ``+changes`` when the tree differs from it (None outside
    git)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                              capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, text=True, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+changes" if dirty.strip() else "")


def write_record(benchmark: str, figures: dict[str, object], arguments: dict[str, object],
                 load_start: Sequence[float], load_end: Sequence[float],
                 directory: Path | None = None) -> Path:
    """Write one run's result record as JSON and return its path.

    ``figures`` maps a figure's name, ending in its unit (``move_median_s``,
    ``kernel_pss_mb``), to a number, a ``[low, high]`` range or a mapping of such (e.g. one
    entry per page). The file is named by benchmark and time, so runs never overwrite each
    other.
    """
    now = datetime.datetime.now(datetime.UTC)
    record = {
        "benchmark": benchmark,
        "date": now.date().isoformat(),
        "time": now.isoformat(timespec="seconds"),
        "commit": commit(),
        "machine": machine(),
        "load_average": {"start": [round(x, 2) for x in load_start],
                         "end": [round(x, 2) for x in load_end]},
        "arguments": {key: value for key, value in arguments.items()
                      if isinstance(value, (str, int, float, bool, list, type(None)))},
        "figures": figures,
    }
    folder = directory or Path(os.environ.get("BENCH_RESULTS") or ROOT / "bench" / "results")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{benchmark}-{now.strftime('%Y-%m-%dT%H%M%S')}.json"
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


@contextlib.contextmanager
def recorded(benchmark: str, arguments: object) -> Iterator[dict[str, object]]:
    """The figures of one run, written as its result record when the run ends.

    ``arguments`` is the script's ``argparse.Namespace``. The load average is read as the
    run starts and as it ends, so a record says how busy the machine was while it measured.
    """
    figures: dict[str, object] = {}
    start = os.getloadavg()
    yield figures
    path = write_record(benchmark, figures, dict(vars(arguments)), start, os.getloadavg())
    print(f"result record: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def add_figures(figures: dict[str, object], label: str, **values: object) -> None:
    """Put one setup's figures in a record: ``figures[name][label] = value`` for each, so a
    record holds every setup and size of its run side by side (``served_s`` by ``N=60``)."""
    for name, value in values.items():
        if isinstance(value, float):
            value = None if value != value else round(value, 3)  # NaN: not measured
        slot = figures.setdefault(name, {})
        assert isinstance(slot, dict)
        slot[label] = value


def load_line(when: str = "now") -> str:
    """The machine's load average, to quote next to the numbers it slowed down."""
    one, five, fifteen = os.getloadavg()
    return (f"load average {when}: {one:.2f} {five:.2f} {fifteen:.2f} "
            f"({os.cpu_count()} cores)")


@contextlib.contextmanager
def served(extra_args: Sequence[str] = (), data: Path | None = None) -> Iterator[VoilaServer]:
    """A Voila server over the dashboards plus the baseline notebooks; stopped afterwards.

    ``data`` is the package every kernel reads (``$EXPLORER_DATA``): the dashboards and the
    data baseline alike. Default: the repository's ``data/``.
    """
    with tempfile.TemporaryDirectory(prefix="ctg-bench-") as tmp:
        pages = Path(tmp) / "pages"
        pages.mkdir()
        for notebook in (ROOT / "notebooks").glob("*.ipynb"):
            shutil.copy(notebook, pages / notebook.name)
        for notebook in (ROOT / "bench" / "minimal").glob("*.ipynb"):
            shutil.copy(notebook, pages / notebook.name)
        server = start_voila(Path(tmp), data or ROOT / "data", notebook_dir=pages,
                             extra_args=extra_args)
        try:
            wait_warm(server)
            yield server
        finally:
            server.stop()


@contextlib.contextmanager
def browser() -> Iterator:
    """Debian's Chromium, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(),
                                              args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def first_paint(chromium, url: str, chart: bool = True, timeout_ms: int = 120_000,
                ready: str | None = None):
    """Open ``url`` in a fresh context; return (seconds to first chart or content, page).

    ``ready`` is the selector to wait for instead (default: a chart, or the page's root).
    """
    context = chromium.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=timeout_ms)
    page.wait_for_selector(ready or (CHART if chart else READY), state="visible",
                           timeout=timeout_ms)
    return time.perf_counter() - start, page


def close(server: VoilaServer, page) -> None:
    """Close a page's context and shut its kernel down, so runs do not pile up kernels."""
    kernel_id = None if page.is_closed() else page.evaluate(KERNEL_ID_JS)
    page.context.close()
    if kernel_id:
        shutdown_kernel(server.base, kernel_id)


def memory_mb(processes: Sequence[psutil.Process]) -> tuple[float, float]:
    """Total (RSS, USS) of ``processes`` in MB; processes gone meanwhile count nothing."""
    rss = uss = 0.0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            info = process.memory_full_info()
            rss += info.rss / 2**20
            uss += info.uss / 2**20
    return rss, uss


def pss_mb(processes: Sequence[psutil.Process]) -> float:
    """Total PSS of ``processes`` in MB (``/proc/<pid>/smaps_rollup``): each page counted once
    across every process that shares it, split between them, so that summed over a room it is
    what the machine holds. A forked kernel's RSS counts the pages it shares with the
    preloader once per kernel; its USS counts none of them; PSS splits them."""
    pss = 0.0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            pss += process.memory_full_info().pss / 2**20
    return pss


def server_tree(server) -> list[psutil.Process]:
    """A server and everything it runs: its kernels, its preloader (none if it has gone)."""
    try:
        process = psutil.Process(server.process.pid)
        return [process, *process.children(recursive=True)]
    except psutil.Error:
        return []


def wait_warm(server, timeout: float = 120) -> None:
    """Wait until the server's preloader (if it keeps one) listens, so that the readers who
    arrive first are not measured on kernels started from scratch while it warms up.

    Raises:
        RuntimeError: the server or its preloader ended first (a wait would never end), or
            the preloader did not listen within ``timeout`` seconds.
    """
    try:
        if wait_for(lambda: preloader_listens(server.process.pid), timeout):
            return
    except PreloaderEnded as ended:
        raise RuntimeError(f"the server's preloader will not get ready: {ended}") from None
    raise RuntimeError(f"the server's preloader did not listen within {timeout:.0f} s")


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def spread(values: Sequence[float], scale: float = 1.0, digits: int = 0) -> str:
    """'min–max' of ``values`` times ``scale``, for a range next to a median."""
    return f"{min(values) * scale:.{digits}f}–{max(values) * scale:.{digits}f}"


def ratio_line(name: str, value: float, baseline: float, unit: str, target: str = "") -> str:
    goal = f"  (target {target})" if target else ""
    return (f"{name:<14} {value:8.2f} {unit:<3} vs baseline {baseline:8.2f} {unit:<3}"
            f" ratio {value / baseline:5.2f}x{goal}")


def verdict(target: str, ok: bool, detail: str = "") -> str:
    """One line per target, easy to grep: ``VERDICT <target>: PASS (<detail>)``."""
    return f"VERDICT {target}: {'PASS' if ok else 'FAIL'}" + (f" ({detail})" if detail else "")


def add_common_arguments(parser) -> None:
    """Flags every benchmark understands."""
    parser.add_argument("--voila-arg", action="append", default=[], metavar="ARG",
                        help="extra Voila command-line setting, e.g. "
                             "--voila-arg=--ThrottledKernelManager.max_kernels=100 "
                             "(repeatable)")


# Runs in the page: follow the navigation bar's link to page ``name`` (as a reader's click
# does) and resolve with the milliseconds until that page is on screen, its chart drawn (if
# ``chart``) and the address bar showing it; measured with the page's own clock.
MOVE_JS = """async ({name, chart, timeoutMs}) => {
  const link = document.querySelector(`.ctg-nav a[href="${name}.ipynb"]`);
  if (!link) { throw new Error(`no navigation link to ${name}`); }
  const start = performance.now();
  link.click();
  return await new Promise((resolve, reject) => {
    const check = () => {
      const root = document.querySelector(`.ctg-page-${name}`);
      const shown = root && root.getClientRects().length > 0;
      const drawn = !chart || (root && root.querySelector(".ctg-figure[data-draws]"));
      const address = window.location.pathname.endsWith(`/${name}.ipynb`);
      if (shown && drawn && address) { resolve(performance.now() - start); return; }
      if (performance.now() - start > timeoutMs) {
        reject(new Error(`${name} not shown within ${timeoutMs} ms`));
        return;
      }
      setTimeout(check, 5);
    };
    check();
  });
}"""


def tour_order(start: str = "overview") -> list[str]:
    """Every live page once, starting after ``start`` and ending back on it."""
    return [name for name in PAGES if name != start] + [start]


def move(page, name: str, timeout_ms: int = 60_000) -> float:
    """Follow the navigation link to ``name``; seconds until it is shown (sync Playwright)."""
    return page.evaluate(MOVE_JS, {"name": name, "chart": name in CHART_PAGES,
                                   "timeoutMs": timeout_ms}) / 1000


@dataclass
class Peak:
    """Samples the server's kernels every second: the most alive, their peak memory (RSS, USS
    and PSS; and the PSS of everything the server runs, split over its kernels), and
    where the machine's CPU went (the Voila server process, its kernels, and this process,
    which drives the readers), over the whole run or between two moments.

    A kernel's CPU is its last sample, so up to a second of a kernel's last work before it
    ended can be missed.
    """

    server: object
    kernels: int = 0
    rss_mb: float = 0.0
    uss_mb: float = 0.0
    pss_mb: float = 0.0  # the kernels' PSS at its peak
    everything_pss_mb: float = 0.0  # the server, its preloader and kernels: PSS at its peak
    pss_per_kernel_mb: float = 0.0  # everything's PSS over the kernels, at the kernels' peak
    _stop: threading.Event = field(default_factory=threading.Event)
    # (perf_counter, server CPU, {kernel pid: CPU}, this process's CPU,
    #  {other descendant's pid: CPU}), one per second
    _samples: list[tuple[float, float, dict[int, float], float, dict[int, float]]] = field(
        default_factory=list)

    def __enter__(self) -> Peak:
        self._server = psutil.Process(self.server.process.pid)  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        self._sample()

    def cpu_line(self, since: float | None = None, until: float | None = None) -> str:
        """Where the CPU went between ``since`` and ``until`` (``time.perf_counter()``
        values; default: the whole run), in seconds and as a share of what the cores gave."""
        inside = [s for s in self._samples
                  if (since is None or s[0] >= since) and (until is None or s[0] <= until)]
        if len(inside) < 2:
            return "CPU: too short a time to sample"
        (t0, server0, kernels0, own0, others0) = inside[0]
        (t1, server1, kernels1, own1, others1) = inside[-1]
        budget = (t1 - t0) * (os.cpu_count() or 1)
        parts = [("server", server1 - server0), ("kernels", _used(kernels0, kernels1)),
                 ("the preloader", _used(others0, others1)),
                 ("this process (the readers)", own1 - own0)]
        return (f"CPU over {t1 - t0:.0f} s on {os.cpu_count()} cores: " + ", ".join(
            f"{name} {seconds:.1f} s ({seconds / budget:.0%})" for name, seconds in parts))

    def cpu_seconds(self, part: str) -> float:
        """CPU seconds of the server's ``kernels`` or of its other descendants (``preloader``)
        over the whole run."""
        if len(self._samples) < 2:
            return float("nan")
        index = {"kernels": 2, "preloader": 4}[part]
        return _used(self._samples[0][index], self._samples[-1][index])

    def _sample(self) -> None:
        alive = kernel_processes(self.server)
        kernels = dict(self._samples[-1][2]) if self._samples else {}
        others = dict(self._samples[-1][4]) if self._samples else {}
        for process in alive:
            with contextlib.suppress(psutil.Error):
                kernels[process.pid] = _cpu(process)
        with contextlib.suppress(psutil.Error):
            for process in self._server.children(recursive=True):
                if process.pid not in kernels:
                    others[process.pid] = _cpu(process)
        self._samples.append((time.perf_counter(), _cpu(self._server), kernels,
                              time.process_time(), others))
        rss = uss = pss = 0.0
        for process in alive:  # one read of /proc/<pid>/smaps_rollup each
            with contextlib.suppress(psutil.Error):
                info = process.memory_full_info()
                rss, uss, pss = rss + info.rss / 2**20, uss + info.uss / 2**20, \
                    pss + info.pss / 2**20
        kernel_pids = {process.pid for process in alive}
        everything = pss + pss_mb([p for p in server_tree(self.server)
                                   if p.pid not in kernel_pids])
        if alive and len(alive) >= self.kernels:
            self.pss_per_kernel_mb = everything / len(alive)
        self.kernels = max(self.kernels, len(alive))
        self.rss_mb, self.uss_mb = max(self.rss_mb, rss), max(self.uss_mb, uss)
        self.pss_mb = max(self.pss_mb, pss)
        self.everything_pss_mb = max(self.everything_pss_mb, everything)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(1.0)


def _used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds processes used between two samples ({pid: CPU}; one new since counts
    whole)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def _cpu(process: psutil.Process) -> float:
    """User plus system CPU seconds ``process`` has used (0 once it has gone)."""
    try:
        times = process.cpu_times()
    except psutil.Error:
        return 0.0
    return times.user + times.system
