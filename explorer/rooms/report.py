"""The room report: one printable page of a room's answers beside the projects' evidence.

What a facilitator sends round after a workshop: the room's code and date, how many took
part, each question's answers with every option's count and share ("None of these" and
"Not rated" included, so the counts add up to the people who answered), the room's column
beside the projects' ratings in the evidence matrix (a tie named as a tie, the rule under
it), the projects nearest the room's answers, the dataset's version and date, and the
caveat: the projects' ratings are the curators' coding of the evaluation, not the
evaluator's findings, and the room's answers are what its participants said of their own
settings, not evidence.

One self-contained HTML document (``document.document_html``: no script, nothing fetched
from anywhere), laid out for an A4 page in landscape. The presenter's panel offers it as a
download and ``python -m explorer room report CODE`` writes it; an earlier room, compared,
is a column of its own.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from markupsafe import Markup

from ..data.load import Dataset
from ..evidence.programme import Programme
from ..render import html
from ..render.document import document_html
from ..render.figures import ROOM_TIE, ROOM_TIE_LABEL, ROOM_TIE_STYLE
from .profile import ROOM_RULE, level_grid, matrix_with_room, question_counts, room_nearest

if TYPE_CHECKING:
    from .store import Tally

__all__ = ["REPORT_CSS", "report_filename", "room_report_html"]

REPORT_CSS = """
body.ctg-room-report { margin: 1.5em auto; padding: 0 1em; max-width: 1400px; }
.ctg-room-report table { border-collapse: collapse; margin: 0.4em 0 1em; }
.ctg-room-report th, .ctg-room-report td { border: 1px solid #bbb; padding: 0.2em 0.5em;
  text-align: left; vertical-align: top; }
.ctg-room-report td.ctg-number { text-align: right; }
.ctg-room-report .ctg-room-cell { background: #f7e9f1; }
.ctg-room-report .ctg-caveat { border-left: 6px solid #E69F00; background: #fff6e5;
  padding: 0.4em 0.8em; }
.ctg-room-report .ctg-answers { display: flex; flex-wrap: wrap; gap: 0 1.2em; }
.ctg-room-report td.ctg-number { white-space: nowrap; }
.ctg-room-report .ctg-badge { white-space: normal; }
.ctg-room-report .ctg-answers > section { flex: 0 1 auto; max-width: 42em; min-width: 0; }
/* a question's prompt wraps to its table's width instead of widening its column */
.ctg-room-report .ctg-answers > section > p { contain: inline-size; }
.ctg-room-report .ctg-room-matrix { width: 100%; }
@page { size: A4 landscape; margin: 8mm; }
@media print {
  body.ctg-room-report { margin: 0; padding: 0; max-width: none; font-size: 7.5pt; }
  .ctg-room-report h1 { font-size: 13pt; margin: 0 0 0.2em; }
  .ctg-room-report h2 { font-size: 10pt; margin: 0.4em 0 0.2em; }
  .ctg-room-report h3 { font-size: 9pt; margin: 0.3em 0 0.1em; }
  .ctg-room-report p { margin: 0.2em 0; }
  .ctg-room-report table { margin: 0.2em 0 0.4em; }
  .ctg-room-report th, .ctg-room-report td { padding: 1px 3px; }
  .ctg-room-report .ctg-answers > section { max-width: 36em; }
  .ctg-room-report section { break-inside: avoid; }
}
"""


def report_filename(code: str) -> str:
    """``room-<CODE>-report.html``."""
    return f"room-{code}-report.html"


def _when(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    return f"{moment.day} {moment:%B %Y, %H:%M} UTC"


def _badge(strength: str, tie: object, styles: dict[str, dict[str, str]]) -> Markup:
    """One matrix cell as a badge: a strength's, or a tie's (its own mark and words)."""
    if strength == ROOM_TIE:
        colour, _, symbol, text_colour = ROOM_TIE_STYLE
        words = tie if isinstance(tie, str) and tie else ROOM_TIE_LABEL.lower()
        return html.fragment("badge", {
            "strength": "room-tie", "label": words[0].upper() + words[1:],
            "help": ROOM_TIE_LABEL, "colour": colour, "symbol": symbol,
            "text_colour": text_colour})
    return html.fragment("badge", styles[strength])


def room_report_html(ds: Dataset, tally: Tally, *, earlier: tuple[Tally, str] | None = None,
                     label: str = "This room", today: date | None = None) -> str:
    """The room report of ``tally`` (see the module docstring) as one HTML document.

    Args:
        earlier: an earlier room's tally and its column's label, shown beside this one.
        today: the date the report says it was made (default today).
    """
    programme = Programme.of(ds)
    room = tally.room
    cells = matrix_with_room(ds, tally, label, earlier)
    styles = html.strength_styles(ds)
    rooms = [label] if earlier is None else [earlier[1], label]
    columns = list(dict.fromkeys(cells.column))
    matrix_rows = []
    for mechanism, part in cells.groupby("mechanism", sort=False):
        by_column = {str(r["column"]): r for r in part.to_dict("records")}
        matrix_rows.append({"label": str(mechanism), "cells": [
            {"room": column in rooms, "count": int(by_column[column]["count"]),
             "badge": _badge(str(by_column[column]["strength"]),
                             by_column[column].get("tie", ""), styles)}
            for column in columns]})
    questions = []
    for number, question in enumerate(room.deck.questions, start=1):
        rows = question_counts(tally, question)
        questions.append({"number": number, "title": question.title,
                          "prompt": question.prompt, "kind": question.kind, "rows": rows,
                          # a levels question is one table: its items by the levels
                          "grid": level_grid(rows) if question.kind == "levels" else None,
                          "respondents": tally.respondents.get(question.id, 0)})
    nearest = room_nearest(ds, tally)
    caveat = (f"The projects' ratings are the coding of the {programme.text('site_title')} "
              f"curators, not findings of {programme.evaluator}. The room's answers are what "
              "its participants said about their own settings: they are not evidence.")
    body = html.render(
        "room_report.html.j2", room=room, opened=_when(room.created_at), tally=tally,
        questions=questions, columns=columns, rooms=rooms, matrix_rows=matrix_rows,
        rule=ROOM_RULE, nearest=[str(p) for p in nearest.project[nearest.nearest]],
        caveat=caveat, earlier=earlier[1] if earlier else "",
        projects=sum(column not in rooms for column in columns))
    made = (today or datetime.now(UTC).date()).isoformat()
    return document_html(ds, f"Room {room.code}: the room's answers beside the evidence",
                         Markup(body), stamp=f"Report made {made}.", extra_css=REPORT_CSS,
                         body_class="ctg-room-report")
