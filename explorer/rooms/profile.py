"""Pure functions from a room's tally to what the presenter shows, and to the export.

- ``question_counts``: each option's count for the question on show (the tally's bars);
- ``room_cells``: the room's answers about the enabling mechanisms as one more column of the
  evidence matrix (``query.matrix`` rows), so ``figures.room_matrix_figure`` draws the room
  beside the projects with the same colours and shapes;
- ``room_nearest``: the projects nearest the room, by ``lessons.nearest_projects``;
- ``export_frame``: every stored answer as a table for the CSV export (labels, not ids, and
  participants numbered, never their token).

How the room's answers become a rating: each mechanism's answers are counted by level and
the room's rating is the level most participants chose (a tie goes to the less certain
level): ``clearly`` → evident, ``partly`` → partial, ``not yet`` → not evident, ``don't
know`` → not reported; a mechanism nobody rated has no rating (``no_rows``). The count shown
is the participants who rated it other than "don't know", as a matrix cell counts records
rated other than not reported.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pandas as pd

from ..lessons import nearest_projects
from ..load import Dataset
from ..query import ACTIVATED, NO_ROWS, matrix
from .questions import LEVELS, Deck, Question

if TYPE_CHECKING:
    from .store import Tally

__all__ = ["LEVEL_STRENGTH", "ROOM_COLUMN", "export_frame", "matrix_with_room",
           "question_counts", "room_cells", "room_nearest", "room_relationships"]

LEVEL_STRENGTH = {"clearly": "evident", "partly": "partial", "not_yet": "not_evident",
                  "dont_know": "not_reported"}
# Ties go to the less certain level: the room is not credited with more than it said.
TIE_ORDER = ("dont_know", "not_yet", "partly", "clearly")
ROOM_COLUMN = "room"
EXPORT_COLUMNS = ["room", "participant", "question", "item", "answer", "answered_at_utc"]


def question_counts(tally: Tally, question: Question) -> list[tuple[str, list[tuple[str, int]]]]:
    """The counts for one question, as ``[(row label, [(option label, count), …]), …]``.

    A ``one`` or ``many`` question is one row (its title) with a count per option; a
    ``levels`` question is one row per item with a count per level.
    """
    counts = tally.counts
    if question.kind == "levels":
        return [(item.label, [(level.label, counts.get((question.id, item.id, level.id), 0))
                              for level in question.choices])
                for item in question.items]
    if question.kind == "one":
        return [(question.title, [(c.label, counts.get((question.id, "", c.id), 0))
                                  for c in question.choices])]
    return [(question.title, [(c.label, counts.get((question.id, c.id, "yes"), 0))
                              for c in question.choices])]


def _room_level(levels: dict[str, int]) -> str | None:
    if not any(levels.values()):
        return None
    return max(TIE_ORDER, key=lambda level: (levels.get(level, 0), -TIE_ORDER.index(level)))


def room_cells(tally: Tally, label: str = "This room") -> pd.DataFrame:
    """The room's mechanism ratings as ``query.matrix`` rows of one column, ``label``.

    Mechanisms come from the room's own ``mechanisms`` question, in its order. Cells hold
    no evidence ids (the room is not evidence).
    """
    question = tally.room.deck.get("mechanisms")
    rows = []
    for item in (question.items if question else ()):
        levels = {level: tally.counts.get(("mechanisms", item.id, level), 0) for level in LEVELS}
        level = _room_level(levels)
        rows.append({
            "mechanism_id": item.id, "mechanism": item.label, "column_id": ROOM_COLUMN,
            "column": label, "strength": LEVEL_STRENGTH[level] if level else NO_ROWS,
            "count": sum(n for lv, n in levels.items() if lv != "dont_know"),
            "rows": sum(levels.values()), "evidence_ids": (),
        })
    return pd.DataFrame(rows, columns=["mechanism_id", "mechanism", "column_id", "column",
                                       "strength", "count", "rows", "evidence_ids"])


def matrix_with_room(ds: Dataset, tally: Tally, label: str = "This room") -> pd.DataFrame:
    """The mechanisms × projects matrix with the room as its last column."""
    return pd.concat([matrix(ds, "project"), room_cells(tally, label)], ignore_index=True)


def room_relationships(tally: Tally) -> tuple[str, ...]:
    """The relationship(s) most participants want to change (all tied ones; none if no
    one has answered)."""
    counts = {item_value[2]: n for item_value, n in tally.counts.items()
              if item_value[0] == "relationship"}
    top = max(counts.values(), default=0)
    return tuple(r for r, n in counts.items() if n == top and top > 0)


def room_nearest(ds: Dataset, tally: Tally) -> pd.DataFrame:
    """The identified projects by closeness to the room (``lessons.nearest_projects``):
    the room's most wanted relationship(s), and the mechanisms it rates evident or partial.
    """
    cells = room_cells(tally)
    activated = tuple(cells.mechanism_id[cells.strength.isin(ACTIVATED)])
    return nearest_projects(ds, room_relationships(tally), activated)


def _label(question: Question, item: str, value: str) -> tuple[str, str]:
    """``(item label, answer label)`` of a stored answer item."""
    if question.kind == "levels":
        found = next((i.label for i in question.items if i.id == item), item)
        choice = question.choice(value)
        return found, choice.label if choice else value
    if question.kind == "one":
        choice = question.choice(value)
        return "", choice.label if choice else value
    choice = question.choice(item)
    return (choice.label if choice else item), "Ticked"


def export_frame(code: str, deck: Deck,
                 rows: list[tuple[int, str, str, str, float]]) -> pd.DataFrame:
    """``RoomStore.answers`` as a table with labels: one row per answer item.

    Columns: room, participant (1, 2… in joining order), question (its title), item (the
    mechanism or foundation; empty for the relationship), answer, answered_at_utc.
    """
    records = []
    for number, question_id, item, value, answered in rows:
        question = deck.get(question_id)
        if question is None:
            continue
        item_label, answer = _label(question, item, value)
        records.append([code, number, question.title, item_label, answer,
                        datetime.fromtimestamp(answered, UTC).strftime("%Y-%m-%d %H:%M:%S")])
    return pd.DataFrame(records, columns=EXPORT_COLUMNS)

