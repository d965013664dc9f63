"""What every benchmark shares: a real Voila server, Debian's Chromium, timing and statistics.

The server is the browser tests' (``tests/browser/browser_kit.py``), started from the
repository root so ``voila.json`` applies. Benchmarks serve a folder holding copies of the
dashboards *and* the baseline ``bench/minimal/minimal.ipynb``, so both are served the same
way by the same server, and every result is a ratio measured in the same run.
"""

from __future__ import annotations

import contextlib
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from browser_kit import (  # noqa: E402
    CHROMIUM_ARGS,
    VoilaServer,
    chromium_path,
    shutdown_kernel,
    start_voila,
)

BASELINE = "minimal"
DASHBOARDS = ("overview", "matrix", "story", "compare", "flows")
CHARTLESS = frozenset({"overview", "index"})
CHART = ".js-plotly-plot .main-svg"
# Voila writes the page's kernel id into its page configuration.
KERNEL_ID_JS = """() => {
  const config = document.getElementById('jupyter-config-data');
  return config ? (JSON.parse(config.textContent).kernelId || null) : null;
}"""
READY = ".ctg-root"

__all__ = [
    "BASELINE", "CHART", "DASHBOARDS", "READY", "browser", "first_paint", "kernels",
    "median", "p95", "ratio_line", "served",
]


@contextlib.contextmanager
def served(extra_args: Sequence[str] = ()) -> Iterator[VoilaServer]:
    """A Voila server over the dashboards plus the baseline notebook; stopped afterwards."""
    with tempfile.TemporaryDirectory(prefix="ctg-bench-") as tmp:
        pages = Path(tmp) / "pages"
        pages.mkdir()
        for notebook in (ROOT / "notebooks").glob("*.ipynb"):
            shutil.copy(notebook, pages / notebook.name)
        shutil.copy(ROOT / "bench" / "minimal" / "minimal.ipynb", pages / "minimal.ipynb")
        server = start_voila(Path(tmp), notebook_dir=pages, extra_args=extra_args)
        try:
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


def first_paint(chromium, url: str, chart: bool = True, timeout_ms: int = 120_000):
    """Open ``url`` in a fresh context; return (seconds to first chart or content, page)."""
    context = chromium.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=timeout_ms)
    page.wait_for_selector(CHART if chart else READY, state="visible", timeout=timeout_ms)
    return time.perf_counter() - start, page


def close(server: VoilaServer, page) -> None:
    """Close a page's context and shut its kernel down, so runs do not pile up kernels."""
    kernel_id = None if page.is_closed() else page.evaluate(KERNEL_ID_JS)
    page.context.close()
    if kernel_id:
        shutdown_kernel(server.base, kernel_id)


def kernels(server: VoilaServer) -> list[psutil.Process]:
    """The kernel processes the server has started (its Python children)."""
    try:
        children = psutil.Process(server.process.pid).children(recursive=True)
    except psutil.Error:
        return []
    return [c for c in children if _is_kernel(c)]


def _is_kernel(process: psutil.Process) -> bool:
    with contextlib.suppress(psutil.Error):
        return "ipykernel" in " ".join(process.cmdline())
    return False


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def ratio_line(name: str, value: float, baseline: float, unit: str, target: str = "") -> str:
    goal = f"  (target {target})" if target else ""
    return (f"{name:<10} {value:8.2f} {unit:<3} vs baseline {baseline:8.2f} {unit:<3}"
            f" ratio {value / baseline:5.2f}x{goal}")
