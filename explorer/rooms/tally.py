"""A room and its answers as plain values: what the store reads and the pages show.

``Room`` (a room's code, questions and state), ``Tally`` (its answers counted), ``Visit``
(what a participant's page needs), and room codes and participant keys: a code is
``CODE_LENGTH`` characters drawn with ``secrets`` from ``CODE_ALPHABET``, which leaves out
characters that are easily confused (0/O, 1/I/L, U/V): 30 symbols, 7 characters, 34 bits.
They hold no connection and import no database library, so the pure functions that work
on them (``rooms.profile``, ``rooms.report``) and an earlier room read back from its export
need neither SQLAlchemy nor a store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..evidence.questions import Deck

__all__ = ["CODE_ALPHABET", "CODE_LENGTH", "Room", "Tally", "Visit", "normalise_code",
           "participant_key"]

# Digits and capitals without 0, 1, I, L, O and U.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 7


def normalise_code(raw: object) -> str | None:
    """A typed or linked room code in canonical form (upper case, no spaces or hyphens);
    None when it cannot be a code."""
    if not isinstance(raw, str) or len(raw) > 4 * CODE_LENGTH:
        return None
    code = "".join(raw.split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def participant_key(token: str) -> str:
    """What the store keeps of a participant: a hash of their cookie's random token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Room:
    """A room as stored: its code, questions and state."""

    code: str
    deck: Deck
    created_at: float
    expires_at: float
    question: int
    revealed: bool
    locked: bool
    max_participants: int

    @property
    def current(self) -> str:
        """The id of the question on show."""
        return self.deck[min(self.question, len(self.deck) - 1)].id


@dataclass(frozen=True)
class Tally:
    """A room's answers, counted: what the presenter's view shows.

    Attributes:
        room: the room and its state.
        joined: participants: people who have sent at least one answer (opening the join
            page counts nobody).
        respondents: ``question_id → participants who answered it``.
        counts: ``(question_id, item, value) → participants``.
        empty: ``question_id → participants whose answer holds no item`` ("none of these":
            a question of ticks answered with no tick).
    """

    room: Room
    joined: int
    respondents: Mapping[str, int] = field(default_factory=dict)
    counts: Mapping[tuple[str, str, str], int] = field(default_factory=dict)
    empty: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Visit:
    """What the join page needs to show a participant the room (read, never written).

    Attributes:
        room: the room.
        mine: their stored answer to the question on show (None: not answered).
        full: the room has its most participants and they are not one of them.
    """

    room: Room
    mine: dict[str, str] | None
    full: bool
