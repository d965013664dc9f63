"""Live readers past one Voila process: two replicas behind HAProxy (``make serve-replicas``).

One pair of real Voila replicas behind a real HAProxy serves the module (started by
``deploy/proxy/replicas.py``, the launcher ``make serve-replicas`` runs). Four readers, each
in a browser context of their own, open a project's story through the proxy at once. Each
must land on a replica, both replicas must get readers, and everything a reader does (its
page, files, kernel's websocket, moves between pages and redraws) must stay on the replica
that runs their kernel. Then one replica is stopped: its readers' pages say so in the
explorer's one sentence, a reload brings each back at the same address and view on the other
replica, and the other readers notice nothing.

A live room is shared by both replicas: every replica keeps its rooms in one PostgreSQL
database (``EXPLORER_ROOM_DB``, a real server the module starts), so participants' phones,
spread over both replicas by the proxy, answer into one room; when a replica stops, the
phones it served answer on through the other one, and every answer is kept.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import re
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
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
from http_kit import http_page
from playwright.sync_api import Page, expect
from postgres_kit import start_postgres
from replica_kit import (
    COOKIE,
    MISSING_HAPROXY,
    REPLICA_HEADER,
    Replicas,
    haproxy_path,
    replica_holding,
    start_replicas,
)
from room_kit import Phone, Reply

from explorer.evidence import query
from explorer.rooms import Deck, RoomStore, deck

pytestmark = pytest.mark.browser

READERS = 4
PHONES = 8  # participants of the shared room
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
def room_db() -> Iterator[str]:
    """The address of a PostgreSQL database on a real server: the replicas' shared store."""
    try:
        server = start_postgres()
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield server.create_database("rooms")
    finally:
        server.stop()


@pytest.fixture(scope="module")
def replica_env(room_db) -> dict[str, str]:
    """More environment for every replica: the shared room store."""
    return {"EXPLORER_ROOM_DB": room_db}


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


ROOM = 8  # readers opening the same page at the same moment through the proxy
PAGE_DEADLINE_S = 150  # a guard against a page that never ends, not a performance bound


def test_a_room_arriving_at_once_through_the_proxy_is_all_served(replicas):
    """A room opening the same link at once through HAProxy: every page arrives whole (none
    left streaming), from both replicas, and HAProxy's own log shows every request ended
    normally, none still open."""
    def open_page(_: int) -> tuple[int, str, str]:
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        status, body = http_page(replicas.url("matrix"), PAGE_DEADLINE_S, opener)
        replica = [c.value for h in opener.handlers if hasattr(h, "cookiejar")
                   for c in h.cookiejar if c.name == COOKIE]
        return status, body, ",".join(replica)

    with ThreadPoolExecutor(max_workers=ROOM) as pool:
        pages = list(pool.map(open_page, range(ROOM)))
    assert [(status, "widget-view+json" in body) for status, body, _ in pages] == [
        (200, True)] * ROOM
    assert {cookie for _, _, cookie in pages} == {"r1", "r2"}
    logged = replicas.logged_requests("/voila/render/matrix.ipynb")
    assert len(logged) == ROOM, f"{ROOM - len(logged)} still open in HAProxy"
    assert all(r.status == 200 and r.ended.startswith("--") for r in logged), logged


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


@dataclass
class SharedRoom:
    """A room in the shared store and the participants' phones, each reaching the replicas
    through the proxy with cookies of its own; ``served`` names, per phone, the replicas that
    answered it."""

    store: RoomStore
    code: str
    deck: Deck
    phones: list[Phone]
    served: list[set[str]]

    def answer_all(self, question: str, fields: list[tuple[str, str]]) -> list[int]:
        """Every phone answers ``question`` at once; the statuses."""
        def one(index: int) -> int:
            phone = self.phones[index]
            if not phone.xsrf:
                self.note(index, phone.get(f"/room/{self.code}"))
            reply = phone.post(f"/room/{self.code}", [("question", question), *fields])
            self.note(index, reply)
            return reply.status

        with ThreadPoolExecutor(max_workers=len(self.phones)) as pool:
            return list(pool.map(one, range(len(self.phones))))

    def note(self, index: int, reply: Reply) -> None:
        self.served[index].add(reply.headers.get(REPLICA_HEADER.lower(), "none"))


@pytest.fixture(scope="module")
def shared_room(room_db, replicas, ds) -> Iterator[SharedRoom]:
    store = RoomStore(room_db)
    questions = deck(ds)
    room = store.create_room(questions)
    yield SharedRoom(store, room.code, questions, [Phone(replicas.base) for _ in range(PHONES)],
                     [set() for _ in range(PHONES)])
    store.close(room.code)
    store.close_store()


def test_a_room_spread_over_both_replicas_keeps_every_answer(shared_room):
    """Phones joining through the proxy land on both replicas, each stays on its own, and
    the one store holds every phone's answer."""
    relationship = shared_room.deck.questions[0]
    statuses = shared_room.answer_all("relationship",
                                      [("choice", relationship.choices[0].id)])
    assert statuses == [303] * PHONES
    assert all(len(served) == 1 for served in shared_room.served), shared_room.served
    assert set().union(*shared_room.served) == {"r1", "r2"}
    tally = shared_room.store.tally(shared_room.code)
    assert tally.joined == PHONES
    assert tally.respondents == {"relationship": PHONES}


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


def test_a_rooms_phones_answer_on_through_the_other_replica_and_nothing_is_lost(shared_room):
    """After a replica has stopped (the test above), the phones it served answer the next
    question through the proxy on the other replica, as the same participants; the room
    holds one answer per phone per question."""
    _relationship, _mechanisms, foundations = shared_room.deck.questions
    shared_room.served = [set() for _ in shared_room.phones]
    shared_room.store.update_room(shared_room.code, question=2)  # the presenter moves on
    statuses = shared_room.answer_all("foundations", [("choice", foundations.choices[0].id)])
    assert statuses == [303] * PHONES
    assert len(set().union(*shared_room.served)) == 1, shared_room.served
    tally = shared_room.store.tally(shared_room.code)
    assert tally.joined == PHONES
    assert tally.respondents == {"relationship": PHONES, "foundations": PHONES}
