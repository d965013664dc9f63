"""Fixtures for the browser tests: one Chromium and one Voila server per session.

- ``chromium``: Debian's Chromium (``$EXPLORER_CHROMIUM`` overrides), never Playwright's own
  download; a missing binary fails the tests with instructions, it does not skip them.
- ``voila``: a real ``voila notebooks/`` server, started as ``make serve`` does.
- ``voila_factory``: start more servers, e.g. on a broken copy of ``data/``.
- ``web``: a fresh browser context per test that records page errors, dialogs and requests,
  and fails the test on a page error or dialog it did not check itself.
- ``reader``: one reader's page shared by a module's read-only tests, moving between pages
  in its own kernel.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser_kit import (
    CHROMIUM_ARGS,
    VIEWPORT,
    VOILA,
    Session,
    VoilaServer,
    browsing,
    chromium_path,
    follow,
    start_voila,
)
from playwright.sync_api import Browser, Page, expect, sync_playwright

expect.set_options(timeout=20_000)  # a kernel round trip is ~0.1-1 s; leave room for load


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """One Chromium for the whole session (a fresh context per test keeps tests apart)."""
    path = chromium_path()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"Chromium not found at {path}. The browser tests need Debian's Chromium: "
                    "run `sh scripts/ensure-chromium` (or `sudo apt-get install chromium`), "
                    "or set EXPLORER_CHROMIUM to a Chromium binary.", pytrace=False)
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        playwright.stop()


@pytest.fixture(scope="session")
def server_logs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("voila-logs")


@pytest.fixture(scope="session")
def voila_factory(server_logs) -> Iterator[Callable[[Path | None], VoilaServer]]:
    """Start extra Voila servers (``data`` = a folder for ``$EXPLORER_DATA``); all stopped at
    the end of the session."""
    if not VOILA.exists():
        pytest.fail(f"{VOILA} is missing: run `make install` first.", pytrace=False)
    servers: list[VoilaServer] = []

    def start(data: Path | None = None, **options) -> VoilaServer:
        server = start_voila(server_logs, data, **options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def voila(voila_factory) -> VoilaServer:
    """The default server: the embedded data, exactly as ``make serve`` serves it."""
    return voila_factory(None)


@dataclass
class Reader:
    """One reader's page, kept for a module's read-only tests: ``visit(name)`` moves to a page
    in the reader's own kernel (the navigation bar, as a reader moves), opening the first
    page by its address. Tests that only look (axe, print, text alternatives) share it, so
    the module starts one kernel instead of one per test."""

    session: Session
    page: Page | None = None

    def visit(self, name: str, query: str = "") -> Page:
        if self.page is None:
            self.page = self.session.open(name, query)
        else:  # a screen again, whatever the last test left (print media, a phone's width)
            self.page.emulate_media(media="screen")
            self.page.set_viewport_size(VIEWPORT)
            follow(self.page, name, query)
        return self.page


@pytest.fixture(scope="module")
def reader_session(chromium, voila) -> Iterator[Session]:
    """The browser context behind ``reader`` (one per module)."""
    with browsing(chromium, voila) as session:
        yield session


@pytest.fixture
def reader(reader_session) -> Iterator[Reader]:
    """A module's shared reader (see ``Reader``); each test fails on any page error or dialog
    that happened during it."""
    shared = getattr(reader_session, "reader", None)
    if shared is None:
        shared = Reader(reader_session)
        reader_session.reader = shared  # type: ignore[attr-defined]
    reader_session.page_errors.clear()
    reader_session.dialogs.clear()
    yield shared
    reader_session.assert_clean()


@pytest.fixture
def web(chromium, voila) -> Iterator[Session]:
    """A fresh browser context for one test; fails the test on any page error or dialog."""
    with browsing(chromium, voila) as session:
        yield session
    session.assert_clean()
