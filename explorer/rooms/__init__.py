"""Live rooms: participants answer from their phones, the room's answers beside the evidence.

Below the dashboards and above ``load`` in the one-way flow:

- the room's questions and the check of a submitted answer live with the evidence
  (``explorer.evidence.questions``: built from the data's framework, pure, shared with the
  lessons page) and are handed on here as ``deck``, ``Deck``, ``Question``, ``check_answer``;
- ``schema`` and ``store``: the one module that reads and writes rooms (SQLite by default,
  PostgreSQL when ``$EXPLORER_ROOM_DB`` is set), with ordered, frozen migrations;
  ``engine``: where the store is and how it connects (the server decides it once for every
  kernel it starts: ``engine.settle_environment``); ``tally``: a room, its answers counted
  and its codes as plain values;
- ``profile``: pure functions from a room's tally to what the presenter sees (the room as a
  column of the evidence matrix, a tie drawn as a tie, the nearest projects, the CSV export
  and an earlier room read back from it);
- ``addresses``: where participants join, and whether a phone can open that address;
- ``report``: the room report, one printable page of the room's answers beside the evidence;
- ``web``: the join page and its answers, tornado handlers served beside Voila without a
  kernel (``explorer.serve.server`` adds them to the server).

Nothing here imports the dashboards.

Capability model
----------------

Two kinds of people use a room, and each holds one capability:

- **The presenter** steers the room: reveal or hide the tally, lock or unlock answers, move
  to the next or previous question, clear the answers to the question on show, close the
  room (deleting it), and download its answers and its report. The capability is the
  room's *presenter key*: 24 random bytes (``secrets``), made by the presenter's kernel
  when *Start a room* is pressed; the store keeps only its SHA-256 hash
  (``rooms.presenter_key``). The key travels only between the presenter's kernel and the
  presenter's own browser, over the widget's channel (the kernel's WebSocket), and the
  browser keeps it in its ``localStorage`` under a name holding the server's base path.
  When the presenter's page loads again (a reload, a new kernel after a restart, a
  restarted server) the browser offers the key back over the same channel and the kernel
  finds the room by it (``RoomStore.room_for_key``). The kernel holds the key in memory
  only; the buttons act through that kernel and nothing else.
- **A participant** answers the question on show, once per question (a later answer
  replaces theirs). The capability is the room's *code*, shown to everyone (7 characters,
  34 bits) and carried by the join address and its QR code; a participant is a random
  token in an HttpOnly cookie that only the room's page hands out (only its hash is
  stored; an answer sent without it is refused, never counted as someone new). The code
  grants nothing else: the join page has no other action, and the store refuses an answer
  to any question but the one on show.

What a room does not do: tell people apart. A participant is a browser, as in the live
polls it is modelled on; someone who clears their cookies, opens a private window or
scripts fresh cookies can answer as several people (each at most 30 answers a minute, and
the room at most ``max_participants``). The presenter sees it as more people "taking part"
than are in the room; *Clear this question* deletes such answers and frees the places of
everyone it leaves with no answer. A room is a show of hands among people in one room, not
a ballot.

Where the presenter key must never appear: the page's address (so not in the address bar
shown on the projector, the browser's history, *Join this session* and its QR code, *Cite
this view*, the links a page offers, a handout's or a download's contents, a printed page,
the static site's counterpart of the page, or the ``Referer`` a request carries); the
page's markup, a synced widget trait, a log line or a file. Old addresses that carried it
(``room=…``, before this model) are read like any unknown setting: ignored, granting
nothing. ``tests/browser/test_room_keys.py`` opens everything a presenter's page offers as
a participant would, and looks for the key in all of it.

Why browser storage, of the three ways a presenter could resume:

- *a separate presenter address never shown* fails first: a presenter's address bar is on
  the projector, in the browser's history and in every ``Referer``;
- *an HttpOnly presenter cookie* that Voila hands the kernel would keep the key from the
  page's scripts, but Voila passes request headers to a kernel only as environment
  variables (``http_header_envs``), which would hand every cookie of the request
  (JupyterHub's sign-in among them) to every kernel's environment, and setting the cookie
  needs a server endpoint that a JupyterHub single-user server does not have;
- *browser storage* needs no endpoint and nothing from Voila, works the same on one laptop,
  behind replicas and on a hub, never leaves the presenter's browser except over the
  kernel's own channel, and survives reloads and restarts. What it gives up: scripts of the
  same origin can read it (the explorer renders no participant's text as markup: answers
  are ids checked against the data), and a second tab of the same browser on the same
  server takes up the same room (useful: the presenter can move windows).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..evidence.questions import LEVELS, Deck, Question, check_answer, deck

if TYPE_CHECKING:
    from .store import (
        Room,
        RoomStore,
        Tally,
        database_url,
        normalise_code,
        settle_environment,
        state_dir,
    )

__all__ = ["LEVELS", "Deck", "Question", "Room", "RoomStore", "Tally", "check_answer",
           "database_url", "deck", "normalise_code", "settle_environment", "state_dir"]

# The store brings SQLAlchemy (~110 ms and several MB per process); every reader's kernel
# imports this package for the presenter's room panel, but only a presenter who starts a room
# needs the store, so it is imported at its first use.
_FROM_STORE = frozenset({"Room", "RoomStore", "Tally", "database_url", "normalise_code",
                         "settle_environment", "state_dir"})


def __getattr__(name: str) -> Any:
    if name in _FROM_STORE:
        from . import store

        return getattr(store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
