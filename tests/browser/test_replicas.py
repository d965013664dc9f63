"""Live readers past one Voila process: two replicas behind HAProxy (``make serve-replicas``).

One pair of real Voila replicas behind a real HAProxy serves the module (started by
``deploy/proxy/replicas.py``, the launcher ``make serve-replicas`` runs). Four readers, each
in a browser context of their own, open a project's story through the proxy at once. Each
must land on a replica, both replicas must get readers, and everything a reader does (its
page, files, kernel's websocket, moves between pages and redraws) must stay on the replica
that runs their kernel. Then one replica is stopped: its readers' pages say so in the
explorer's one sentence, a reload brings each back at the same address and view on the other
replica, and the other readers notice nothing.

The replicas take their environment from ``replica_env`` (empty here): the shared room store
(``EXPLORER_ROOM_DB``) is given there when a test needs it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from browser_kit import (
    FIRST_RENDER_MS,
    VIEWPORT,
    Session,
    follow,
    kernel_processes,
    wait_for,
    wait_ready,
)
from playwright.sync_api import Page, expect
from replica_kit import (
    MISSING_HAPROXY,
    REPLICA_HEADER,
    Replicas,
    haproxy_path,
    replica_holding,
    start_replicas,
)

from explorer import query

pytestmark = pytest.mark.browser

READERS = 4
# What a page asks of the server each time; its scripts and styles may come from the browser's
# cache, with the headers of the replica that first sent them.
ASKED_OF_THE_SERVER = frozenset({"document", "xhr", "fetch"})
KERNEL_ID_JS = """() => JSON.parse(
  document.getElementById('jupyter-config-data').textContent).kernelId"""
# A shorter heartbeat than the site's (10 s / 25 s), still generous for two busy cores.
HEARTBEAT = "window.ctgHeartbeat = {pingMs: 500, lostMs: 5000};"
LOST_SENTENCE = ("This page has lost its connection to the explorer's server: reload it to "
                 "open the same view again.")


@dataclass
class Reader:
    """One reader: their browser context, their tab, and which replica answered each response."""

    session: Session
    page: Page
    project: str
    answered_by: list[tuple[str, str]] = field(default_factory=list)

    @property
    def kernel(self) -> str:
        return self.page.evaluate(KERNEL_ID_JS)

    def replica(self, ignore: str = "") -> str:
        """The one replica that answered this reader since ``answered_by`` was last cleared
        (requests whose address holds ``ignore``, e.g. a gone kernel's id, left out)."""
        seen = {name for name, url in self.answered_by if not (ignore and ignore in url)}
        assert len(seen) == 1, f"a reader's requests went to {sorted(seen)}"
        return seen.pop()


@pytest.fixture(scope="module")
def replica_env() -> dict[str, str]:
    """More environment for every replica; the room's tests give ``EXPLORER_ROOM_DB`` here."""
    return {}


@pytest.fixture(scope="module")
def replicas(tmp_path_factory, replica_env) -> Iterator[Replicas]:
    if haproxy_path() is None:
        pytest.fail(MISSING_HAPROXY.format(path="haproxy on $PATH"), pytrace=False)
    replicas = start_replicas(tmp_path_factory.mktemp("replicas"), 2, env=replica_env)
    try:
        yield replicas
    finally:
        replicas.stop()


def new_reader(chromium, replicas: Replicas, project: str) -> Reader:
    """A reader's own browser context, noting which replica answers each request."""
    context = chromium.new_context(viewport=VIEWPORT)
    context.add_init_script(HEARTBEAT)
    session = Session(context, replicas)
    page = session.new_page()
    reader = Reader(session, page, project)
    page.on("response", lambda response: reader.answered_by.append(
        (response.headers.get(REPLICA_HEADER.lower(), "none"), response.url))
        if response.url.startswith(replicas.base)
        and response.request.resource_type in ASKED_OF_THE_SERVER else None)
    return reader


@pytest.fixture(scope="module")
def readers(chromium, replicas, ds) -> Iterator[list[Reader]]:
    """Four readers arriving together, each on another project's story."""
    projects = list(query.facet_options(ds, "project"))
    opened = [new_reader(chromium, replicas, projects[i % len(projects)])
              for i in range(READERS)]
    for reader in opened:  # all ask at once; each page is sent once its kernel has run it
        reader.page.goto(replicas.url("story", f"project={reader.project}"),
                         wait_until="commit", timeout=FIRST_RENDER_MS)
    for reader in opened:
        reader.page.wait_for_function("() => document.readyState !== 'loading'",
                                      timeout=FIRST_RENDER_MS)
        wait_ready(reader.page, chart=True)
    yield opened
    for reader in opened:
        with contextlib.suppress(Exception):
            reader.session.context.close()


def test_health_checks_start_no_kernel(replicas):
    """HAProxy checks each replica every second with a request that starts no kernel."""
    assert set(replicas.status().values()) == {"UP"}
    assert wait_for(lambda: all(not kernel_processes(r) for r in replicas.replicas), 10), (
        "a health check left a kernel running")


def test_readers_land_on_both_replicas_and_stay_on_theirs(readers, replicas, ds):
    """Each reader's page, files, kernel, moves and redraws stay on one replica; both are used."""
    landed = {}
    for reader in readers:
        landed[id(reader)] = reader.replica()
        assert replica_holding(replicas, reader.kernel) == landed[id(reader)]
    assert set(landed.values()) == {"r1", "r2"}, f"readers landed on {sorted(landed.values())}"

    labels = query.facet_options(ds, "project")
    for reader in readers:
        kernel = reader.kernel
        follow(reader.page, "matrix")
        follow(reader.page, "story")
        select = reader.page.locator(".ctg-project select")
        other = next(p for p in labels if labels[p] != select.input_value())
        select.select_option(labels[other])
        expect(reader.page).to_have_url(re.compile(rf"/story\.ipynb\?project={other}$"))
        reader.project = other
        assert reader.kernel == kernel
        assert reader.replica() == landed[id(reader)]
        assert replica_holding(replicas, kernel) == landed[id(reader)]


def test_a_stopped_replicas_readers_are_told_and_a_reload_brings_them_back(
        readers, replicas, ds):
    """Stopping a replica: its readers see the one-sentence notice, a reload reopens their
    address and view on the other replica, and the other readers notice nothing."""
    labels = query.facet_options(ds, "project")
    stopped = readers[0].replica()
    victims = [r for r in readers if r.replica() == stopped]
    others = [r for r in readers if r.replica() != stopped]
    assert others, "every reader was on one replica"
    before = {id(r): (r.page.url, r.kernel, r.replica()) for r in readers}

    replicas.replica(stopped).stop()

    for reader in victims:
        banner = reader.page.locator("#ctg-lost")
        expect(banner).to_be_visible(timeout=30_000)
        assert banner.locator("span").inner_text().strip() == LOST_SENTENCE
    assert wait_for(lambda: replicas.status().get(stopped) == "DOWN", 30)

    gone = {}
    for reader in victims:  # all reload at once, as a room would
        gone[id(reader)] = (reader.page.url, reader.kernel)
        reader.answered_by.clear()
        reader.page.locator("#ctg-lost").get_by_role("button", name="Reload this page").click()
    for reader in victims:
        address, gone_kernel = gone[id(reader)]
        expect(reader.page.locator(".ctg-page-story")).to_be_visible(timeout=45_000)
        assert reader.page.url == address
        expect(reader.page.locator(".ctg-project select")).to_have_value(labels[reader.project])
        expect(reader.page.locator("#ctg-lost")).to_have_count(0)
        # The old page's last requests for its gone kernel were answered elsewhere (404).
        assert reader.replica(ignore=gone_kernel) != stopped
        assert replica_holding(replicas, reader.kernel) == reader.replica(ignore=gone_kernel)

    for reader in others:
        url, kernel, replica = before[id(reader)]
        expect(reader.page.locator("#ctg-lost")).to_have_count(0)
        follow(reader.page, "matrix")  # a move inside their kernel, over its websocket
        assert reader.page.url != url
        assert reader.kernel == kernel
        assert replica_holding(replicas, kernel) == replica != stopped
        reader.session.assert_clean()
