"""Pure functions from a room's tally to what the presenter shows, and to the export.

- ``question_counts``: each option's count and share for one question (the tally's bars),
  "None of these" included, scaled to the question's respondents;
- ``room_cells``: the room's answers about the enabling mechanisms as one more column of the
  evidence matrix (``query.matrix`` rows), so ``figures.room_matrix_figure`` draws the room
  beside the projects with the same colours and shapes, and a tie as a tie;
- ``room_nearest``: the projects nearest the room, by ``lessons.nearest_projects``;
- ``export_frame``: every stored answer as a table for the CSV export (labels and ids, and
  participants numbered, never their token), one row per answer item and one for an answer
  of "none of these";
- ``earlier_tally``: a room's export read back as a tally, to compare a room with an earlier
  one.

How the room's answers become a rating (``ROOM_RULE``, shown where the room's column is
drawn): each mechanism's answers are counted by level and the room's rating is the level
most participants chose: ``clearly`` → evident, ``partly`` → partial, ``not yet`` → not
evident, ``don't know`` → not reported. When two or more levels share the most answers the
cell is a tie (``ROOM_TIE``), drawn with its own mark and named ("a tie: Partly and Not
yet, 5 each"); no tie is broken. A mechanism nobody rated has no rating (``no_rows``). The
count shown is the participants who rated it other than "don't know", as a matrix cell
counts records rated other than not reported.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple

import pandas as pd

from ..data.descriptor.facets import PROJECT
from ..data.load import Dataset
from ..errors import ExportError
from ..evidence.lessons import nearest_projects
from ..evidence.query import ACTIVATED, NO_ROWS, matrix
from ..evidence.questions import CHOSEN, LEVELS, Deck, Question
from ..render.figures import ROOM_TIE
from ..render.html import csv_text

if TYPE_CHECKING:
    from .store import RoomStore, Tally

__all__ = [
    "EXPORT_COLUMNS",
    "LEVEL_STRENGTH",
    "NONE_OF_THESE",
    "NOT_RATED",
    "ROOM_COLUMN",
    "ROOM_RULE",
    "ROOM_TIE",
    "TallyRow",
    "earlier_label",
    "earlier_tally",
    "export_csv",
    "export_frame",
    "level_grid",
    "matrix_with_room",
    "question_counts",
    "room_cells",
    "room_nearest",
    "room_rating",
    "room_relationships",
    "share",
]

LEVEL_STRENGTH = {"clearly": "evident", "partly": "partial", "not_yet": "not_evident",
                  "dont_know": "not_reported"}
ROOM_COLUMN = "room"
NONE_OF_THESE = "None of these"
NOT_RATED = "Not rated"
ROOM_RULE = ("The room's column shows the level most participants chose for their own "
             "setting: clearly = evident, partly = partial, not yet = not evident, don't "
             "know = not reported. When two or more levels share the most answers, the cell "
             "is a tie, drawn with its own mark (an hourglass in a chart, = in a table) and "
             "named; no tie is broken. "
             "Its number counts the participants who chose a level other than don't know.")
EXPORT_COLUMNS = ["room", "participant", "question", "item", "answer", "answered_at_utc",
                  "question_id", "item_id", "answer_id"]
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
MAX_EXPORT_BYTES = 5_000_000


class TallyRow(NamedTuple):
    """One row of the tally's bars: a label, each option's count, and how many answered
    (the share's denominator: every option's count, "none" included, adds up to it)."""

    label: str
    options: list[tuple[str, int]]
    respondents: int


def question_counts(tally: Tally, question: Question) -> list[TallyRow]:
    """The counts for one question, as rows of ``(label, [(option, count), …],
    respondents)``.

    A ``one`` or ``many`` question is one row (its title) with a count per option, and for
    ``many`` a last option, "None of these", for those who ticked nothing. A ``levels``
    question is one row per item with a count per level, and "Not rated" for respondents
    who left that item out. Each count's share is ``count / respondents``; for ``many``
    the shares add up to more than 100% (several ticks each).
    """
    counts = tally.counts
    respondents = tally.respondents.get(question.id, 0)
    if question.kind == "levels":
        rows = []
        for item in question.items:
            options = [(level.label, counts.get((question.id, item.id, level.id), 0))
                       for level in question.choices]
            skipped = respondents - sum(n for _, n in options)
            if skipped > 0:
                options.append((NOT_RATED, skipped))
            rows.append(TallyRow(item.label, options, respondents))
        return rows
    if question.kind == "one":
        return [TallyRow(question.title, [(c.label, counts.get((question.id, "", c.id), 0))
                                          for c in question.choices], respondents)]
    return [TallyRow(question.title,
                     [*((c.label, counts.get((question.id, c.id, CHOSEN), 0))
                        for c in question.choices),
                      (NONE_OF_THESE, tally.empty.get(question.id, 0))], respondents)]


def share(count: int, respondents: int) -> int:
    """A count's share of the respondents, in whole percent (0 when nobody answered)."""
    return round(100 * count / respondents) if respondents else 0


def level_grid(rows: list[TallyRow]) -> tuple[list[str], list[tuple[str, list[tuple[int, int]]]]]:
    """A ``levels`` question's tally as one grid: the columns (each level, then "Not rated"
    if anyone left an item out) and per item its ``(count, share)`` in each column."""
    columns = list(dict.fromkeys(label for row in rows for label, _ in row.options))
    grid = []
    for row in rows:
        found = dict(row.options)
        grid.append((row.label, [(found.get(c, 0), share(found.get(c, 0), row.respondents))
                                 for c in columns]))
    return columns, grid


@dataclass(frozen=True)
class RoomRating:
    """A mechanism's rating by the room: its strength, and for a tie the tied levels."""

    strength: str
    tied: tuple[str, ...] = ()
    top: int = 0

    @property
    def words(self) -> str:
        """A tie in words ('a tie: Partly and Not yet, 5 each'); '' for anything else."""
        if not self.tied:
            return ""
        labels = [LEVELS[level] for level in self.tied]
        joined = ", ".join(labels[:-1]) + " and " + labels[-1]
        return f"a tie: {joined}, {self.top} each"


def room_rating(levels: Mapping[str, int]) -> RoomRating:
    """The room's rating of one mechanism from its count per level (see the module
    docstring): the level most chose, a tie when several share the most, none when nobody
    rated it."""
    top = max(levels.values(), default=0)
    if top <= 0:
        return RoomRating(NO_ROWS)
    winners = tuple(level for level in LEVELS if levels.get(level, 0) == top)
    if len(winners) > 1:
        return RoomRating(ROOM_TIE, winners, top)
    return RoomRating(LEVEL_STRENGTH[winners[0]], (), top)


CELL_COLUMNS = ["mechanism_id", "mechanism", "column_id", "column", "strength", "count",
                "rows", "evidence_ids", "tie"]


def room_cells(tally: Tally, label: str = "This room",
               column_id: str = ROOM_COLUMN) -> pd.DataFrame:
    """The room's mechanism ratings as ``query.matrix`` rows of one column, ``label``,
    with a ``tie`` column naming a tie in words ('' elsewhere).

    Mechanisms come from the room's own ``mechanisms`` question, in its order. Cells hold
    no evidence ids (the room is not evidence).
    """
    question = tally.room.deck.get("mechanisms")
    rows = []
    for item in (question.items if question else ()):
        levels = {level: tally.counts.get(("mechanisms", item.id, level), 0) for level in LEVELS}
        rating = room_rating(levels)
        rows.append({
            "mechanism_id": item.id, "mechanism": item.label, "column_id": column_id,
            "column": label, "strength": rating.strength,
            "count": sum(n for lv, n in levels.items() if lv != "dont_know"),
            "rows": sum(levels.values()), "evidence_ids": (), "tie": rating.words,
        })
    return pd.DataFrame(rows, columns=CELL_COLUMNS)


def matrix_with_room(ds: Dataset, tally: Tally, label: str = "This room",
                     earlier: tuple[Tally, str] | None = None) -> pd.DataFrame:
    """The mechanisms × projects matrix with the room as its last column (after an earlier
    room's column, ``(tally, label)``, when one is compared)."""
    parts = [matrix(ds, PROJECT)]
    if earlier is not None:
        parts.append(room_cells(earlier[0], earlier[1], column_id=f"{ROOM_COLUMN}_earlier"))
    parts.append(room_cells(tally, label))
    return pd.concat(parts, ignore_index=True)


def room_relationships(tally: Tally) -> tuple[str, ...]:
    """The relationship(s) most participants want to change (all tied ones; none if no
    one has answered)."""
    counts = {item_value[2]: n for item_value, n in tally.counts.items()
              if item_value[0] == "relationship"}
    top = max(counts.values(), default=0)
    return tuple(r for r, n in counts.items() if n == top and top > 0)


def room_nearest(ds: Dataset, tally: Tally) -> pd.DataFrame:
    """The identified projects by closeness to the room (``lessons.nearest_projects``):
    the room's most wanted relationship(s), and the mechanisms it rates evident or partial
    (a tie counts when every tied level is clearly or partly in play).
    """
    cells = room_cells(tally)
    question = tally.room.deck.get("mechanisms")
    activated = []
    for item, strength in zip(cells.mechanism_id, cells.strength, strict=True):
        if strength in ACTIVATED:
            activated.append(item)
        elif strength == ROOM_TIE and question is not None:
            levels = {lv: tally.counts.get(("mechanisms", item, lv), 0) for lv in LEVELS}
            if all(LEVEL_STRENGTH[lv] in ACTIVATED for lv in room_rating(levels).tied):
                activated.append(item)
    return nearest_projects(ds, room_relationships(tally), tuple(activated))


def _label(question: Question, item: str, value: str) -> tuple[str, str]:
    """``(item label, answer label)`` of a stored answer item."""
    if question.kind == "levels":
        found = next((i.label for i in question.items if i.id == item), item)
        choice = question.choice(value)
        return found, choice.label if choice else value
    if question.kind == "one":
        choice = question.choice(value)
        return "", choice.label if choice else value
    if not item:
        return "", NONE_OF_THESE
    choice = question.choice(item)
    return (choice.label if choice else item), "Ticked"


def export_csv(store: RoomStore, code: str) -> str:
    """A room's answers (``export_frame``) as formula-safe CSV text."""
    room = store.room(code)
    return csv_text(export_frame(code, room.deck, store.answers(code)))


def export_frame(code: str, deck: Deck,
                 rows: list[tuple[int, str, str, str, float]]) -> pd.DataFrame:
    """``RoomStore.answers`` as a table with labels and ids: one row per answer item, and
    one row for an answer of "None of these".

    Columns: room, participant (1, 2… in joining order), question (its title), item (the
    mechanism or foundation; empty for the relationship and for "None of these"), answer,
    answered_at_utc, then the ids behind the words (question_id, item_id, answer_id), so an
    export can be read back (``earlier_tally``). Grouped by question, item and answer, the
    rows give exactly the tally's counts.
    """
    records = []
    for number, question_id, item, value, answered in rows:
        question = deck.get(question_id)
        if question is None:
            continue
        item_label, answer = _label(question, item, value)
        records.append([code, number, question.title, item_label, answer,
                        datetime.fromtimestamp(answered, UTC).strftime(TIME_FORMAT),
                        question_id, item, value])
    return pd.DataFrame(records, columns=EXPORT_COLUMNS)


# -- an earlier room, from its export ---------------------------------------------------------

def _refuse(problem: str) -> ExportError:
    return ExportError(f"{problem} Nothing was changed.")


def earlier_tally(deck: Deck, content: bytes | str) -> Tally:
    """A room's export (``export_frame`` as CSV, from *Download the answers* or ``python -m
    explorer room export``) read back as a tally over ``deck``, to draw beside a room.

    The room it describes is shown as revealed and locked; its date is its first answer's.

    Raises:
        ExportError: the file is not a room's export, is from another room's questions, or
            is too large; the message says which, in plain words.
    """
    from .tally import Room, Tally, normalise_code

    if len(content) > MAX_EXPORT_BYTES:
        raise _refuse(f"That file is too large to be a room's answers (over "
                      f"{MAX_EXPORT_BYTES // 1_000_000} MB).")
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise _refuse("That file is not text (a room's answers are a CSV file).") from None
    try:
        reader = csv.DictReader(io.StringIO(content))
        header = set(reader.fieldnames or ())
        records = list(reader)
    except csv.Error:
        raise _refuse("That file could not be read as CSV.") from None
    missing = [c for c in ("room", "participant", "answered_at_utc", "question_id",
                           "item_id", "answer_id") if c not in header]
    if missing:
        raise _refuse(
            "That file is not a room's answers as the explorer exports them: it has no "
            f"{', '.join(repr(c) for c in missing)} column. Use a CSV from Download the "
            "answers or the command python -m explorer room export.")
    if not records:
        raise _refuse("That file holds no answers.")
    codes = {normalise_code((r.get("room") or "").lstrip("'")) for r in records}
    if len(codes) != 1 or None in codes:
        raise _refuse("That file holds answers from more than one room, or a room "
                              "code that is not one.")
    code = str(next(iter(codes)))
    seen: dict[str, set[str]] = {}
    with_items: dict[str, set[str]] = {}
    counts: dict[tuple[str, str, str], int] = {}
    times: list[float] = []
    for number, record in enumerate(records, start=2):
        question = deck.get(record.get("question_id") or "")
        item, value = record.get("item_id") or "", record.get("answer_id") or ""
        participant = (record.get("participant") or "").strip()
        if question is None or not participant.isdigit() or not _fits(question, item, value):
            raise _refuse(
                f"Line {number} of that file is not an answer to this room's questions, so "
                "it cannot be compared (it may come from another programme's explorer).")
        try:
            times.append(datetime.strptime(record.get("answered_at_utc") or "", TIME_FORMAT)
                         .replace(tzinfo=UTC).timestamp())
        except ValueError:
            raise _refuse(f"Line {number} of that file has no time the explorer "
                          "wrote.") from None
        seen.setdefault(question.id, set()).add(participant)
        if item or value:
            with_items.setdefault(question.id, set()).add(participant)
            key = (question.id, item, value)
            counts[key] = counts.get(key, 0) + 1
    respondents = {q: len(people) for q, people in seen.items()}
    empty = {q: n - len(with_items.get(q, ())) for q, n in respondents.items()
             if n > len(with_items.get(q, ()))}
    joined = len(set().union(*seen.values()))
    room = Room(code, deck, min(times), max(times), len(deck) - 1, True, True, joined)
    return Tally(room, joined, respondents, counts, empty)


def _fits(question: Question, item: str, value: str) -> bool:
    """Whether an exported answer item is one ``question`` could have stored."""
    if question.kind == "one":
        return not item and question.choice(value) is not None
    if question.kind == "many":
        return (not item and not value) or (question.choice(item) is not None
                                            and value == CHOSEN)
    if question.kind == "levels":
        return any(i.id == item for i in question.items) and question.choice(value) is not None
    return False


def earlier_label(tally: Tally) -> str:
    """How an earlier room's column is named: 'Room K7M4QXR, 3 June 2027 (20 people)'."""
    when = datetime.fromtimestamp(tally.room.created_at, UTC)
    people = "1 person" if tally.joined == 1 else f"{tally.joined} people"
    return f"Room {tally.room.code}, {when.day} {when:%B %Y} ({people})"
