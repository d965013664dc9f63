"""Live rooms: participants answer from their phones, the room's answers beside the evidence.

Below the dashboards and above ``load`` in the one-way flow:

- ``questions``: the room's questions, built from the data's framework, and the check of a
  submitted answer (pure);
- ``schema`` and ``store``: the one module that reads and writes rooms (SQLite by default,
  PostgreSQL when ``$EXPLORER_ROOM_DB`` is set), with ordered migrations;
- ``profile``: pure functions from a room's tally to what the presenter sees (the room as a
  column of the evidence matrix, the nearest projects, the CSV export);
- ``web``: the join page and its answers, tornado handlers served beside Voila without a
  kernel (``explorer.server`` adds them to the server).

Nothing here imports the dashboards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .questions import LEVELS, Deck, Question, check_answer, deck

if TYPE_CHECKING:
    from .store import Room, RoomStore, Tally, database_url, normalise_code, state_dir

__all__ = ["LEVELS", "Deck", "Question", "Room", "RoomStore", "Tally", "check_answer",
           "database_url", "deck", "normalise_code", "state_dir"]

# The store brings SQLAlchemy (~110 ms and several MB per process); every reader's kernel
# imports this package for the presenter's room panel, but only a presenter who starts a room
# needs the store, so it is imported at its first use.
_FROM_STORE = frozenset({"Room", "RoomStore", "Tally", "database_url", "normalise_code",
                         "state_dir"})


def __getattr__(name: str) -> Any:
    if name in _FROM_STORE:
        from . import store

        return getattr(store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
