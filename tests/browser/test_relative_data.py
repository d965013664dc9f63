"""`EXPLORER_DATA=<relative path> make serve` serves every page from that package.

A relative ``EXPLORER_DATA`` must mean the same to the validator that ``make serve`` runs
from the repository root and to each dashboard's kernel, which Voila starts inside
``notebooks/``. The Makefile exports ``EXPLORER_DATA_BASE`` (the repository root) so that
``explorer.read.data_path`` resolves the path against it. This test starts the server as
``make serve`` does — from the repository root, ``voila notebooks/``, with the relative
``EXPLORER_DATA`` and the ``EXPLORER_DATA_BASE`` that ``make`` itself exports — on a copy of
the data with a recognisable project name, and reads the pages in Chromium.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_kit import (
    PAGES,
    ROOT,
    START_TIMEOUT_S,
    VOILA,
    Session,
    VoilaServer,
    assert_no_voila_error,
    browsing,
    copy_data,
    free_port,
    screenshot,
    shutdown_kernel,
)
from http_kit import http_get
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

RENAMED = "shared-haemodialysis"
NAME = "Relative Path Renal Project"


def _make_exports() -> str:
    """The EXPLORER_DATA_BASE that `make` exports to its commands (`make serve` included)."""
    run = subprocess.run(
        ["make", "-s", "--no-print-directory", "--eval",
         'print-base: ; @echo "$$EXPLORER_DATA_BASE"', "print-base"],
        cwd=ROOT, capture_output=True, text=True, check=True)
    return run.stdout.strip()


def _rename_project(folder: Path) -> None:
    path = folder / "projects.csv"
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["project_id"] == RENAMED:
            row["short_name"] = NAME
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _wait_until_serving(server: VoilaServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        assert server.process.poll() is None, f"Voila exited:\n{server.log()}"
        reply = http_get(server.url("index"), timeout=30)
        if reply is None or reply[0] != 200:
            time.sleep(0.25)
            continue
        body = reply[1]
        found = re.search(r'"kernelId": "([0-9a-f-]{36})"', body)
        if found:  # that request started a kernel nobody will use
            shutdown_kernel(server.base, found.group(1))
        return
    pytest.fail(f"Voila did not start within {START_TIMEOUT_S} s:\n{server.log()}")


@pytest.fixture(scope="module")
def relative(tmp_path_factory, server_logs):
    """A Voila server started like `EXPLORER_DATA=<relative path> make serve`."""
    folder = copy_data(tmp_path_factory.mktemp("relative") / "data")
    _rename_project(folder)
    path = os.path.relpath(folder, ROOT)
    assert not Path(path).is_absolute()
    # The same words read from notebooks/ name nothing: only the base makes them work.
    assert not (ROOT / "notebooks" / path).exists()

    env = {k: v for k, v in os.environ.items()
           if k not in ("EXPLORER_DATA", "EXPLORER_DATA_BASE", "EXPLORER_STRICT")}
    env["EXPLORER_DATA"] = path
    env["EXPLORER_DATA_BASE"] = _make_exports()
    assert env["EXPLORER_DATA_BASE"] == str(ROOT)

    # `make serve` first validates the package, from the repository root.
    check = subprocess.run([sys.executable, "-m", "explorer", "validate"], cwd=ROOT, env=env,
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.strip() == f"{folder.resolve()}: valid"

    port = free_port()
    log_path = server_logs / f"voila-relative-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(VOILA), "notebooks/", f"--port={port}", "--Voila.port_retries=0"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
    server = VoilaServer(port, process, log_path, folder)
    try:
        _wait_until_serving(server)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def reader_session(chromium, relative) -> Iterator[Session]:
    """The module's shared reader (``reader``) reads the relative package's server."""
    with browsing(chromium, relative) as session:
        yield session


def test_the_overview_shows_the_project_of_the_relative_package(reader):
    """Opened by its address, the overview lists the renamed project: the kernel, started
    inside notebooks/, read the relative package."""
    page = reader.visit("overview")
    root = page.locator(".ctg-root")
    expect(root).to_contain_text(NAME)
    assert "could not be loaded" not in root.inner_text()
    assert_no_voila_error(page)
    screenshot(page, "relative-data-overview")


@pytest.mark.parametrize("name", [name for name in PAGES if name != "overview"])
def test_every_page_builds_from_the_relative_package(reader, name):
    """Each page builds from the relative package (no data error, no failed cell), the
    reader moving to it in the kernel that opened the overview."""
    page = reader.visit(name)
    root = page.locator(".ctg-root")
    expect(root).to_be_visible()
    assert "could not be loaded" not in root.inner_text()
    expect(page.locator(".ctg-error")).to_have_count(0)
    assert_no_voila_error(page)
