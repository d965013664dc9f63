"""A room's questions, built from the data's own framework, and the check of an answer.

The questions are never written in code: a package's ``relationship_types``, ``mechanisms``
and ``foundations`` tables give every label and definition, and the programme's own
headings (``explorer.evidence.programme``) title them, so another programme's package gets its own
questions. There are three, in this order:

1. ``relationship`` (kind ``one``): which relationship the participant most wants to change;
2. ``mechanisms`` (kind ``levels``): for their own setting, how far each enabling mechanism
   is in play: clearly / partly / not yet / don't know (``LEVELS``);
3. ``foundations`` (kind ``many``): which foundations are in place (none, some or all).

A room keeps the questions it was opened with as a plain ``dict`` (``Deck.as_dict``), so
the join page needs neither pandas nor the data package: it reads the deck from the store.
``check_answer`` turns a submitted form into the items to store, or raises ``AnswerError``
with a message for the participant. There is no free text anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pandas as pd

from ..data.load import Dataset
from ..errors import AnswerError
from .programme import Programme

__all__ = [
    "CHOSEN",
    "LEVELS",
    "AnswerError",
    "Choice",
    "Deck",
    "Question",
    "check_answer",
    "deck",
    "framework_choices",
]

# How far a mechanism is in play, in the order a form lists them.
LEVELS: Mapping[str, str] = MappingProxyType({
    "clearly": "Clearly", "partly": "Partly", "not_yet": "Not yet", "dont_know": "Don't know"})
# The stored value of a ticked item of a ``many`` question.
CHOSEN = "yes"
MAX_ITEMS = 64


@dataclass(frozen=True)
class Choice:
    """One option or item: the package's id, its label and its plain definition."""

    id: str
    label: str
    definition: str = ""


@dataclass(frozen=True)
class Question:
    """One question of a room.

    Attributes:
        id: ``relationship``, ``mechanisms`` or ``foundations``.
        kind: ``one`` (choose one of ``choices``), ``many`` (tick any of ``choices``) or
            ``levels`` (a level of ``LEVELS`` for each of ``items``).
        title: the programme's heading for this part of its framework.
        prompt: what the participant is asked, in one sentence.
        choices: the options (``one``/``many``) or the levels (``levels``).
        items: what a ``levels`` question rates (the mechanisms); empty otherwise.
    """

    id: str
    kind: str
    title: str
    prompt: str
    choices: tuple[Choice, ...]
    items: tuple[Choice, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The question as plain JSON-ready data."""
        return {"id": self.id, "kind": self.kind, "title": self.title, "prompt": self.prompt,
                "choices": [vars(c) for c in self.choices],
                "items": [vars(c) for c in self.items]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Question:
        """The question ``as_dict`` wrote."""
        return cls(str(data["id"]), str(data["kind"]), str(data["title"]), str(data["prompt"]),
                   tuple(Choice(**c) for c in data["choices"]),
                   tuple(Choice(**c) for c in data.get("items", ())))

    def choice(self, choice_id: str) -> Choice | None:
        """The option or level with this id, if any."""
        return next((c for c in self.choices if c.id == choice_id), None)


@dataclass(frozen=True)
class Deck:
    """A room's questions, in order."""

    questions: tuple[Question, ...]

    def __len__(self) -> int:
        return len(self.questions)

    def __getitem__(self, index: int) -> Question:
        return self.questions[index]

    def get(self, question_id: str) -> Question | None:
        """The question with this id, if the deck has it."""
        return next((q for q in self.questions if q.id == question_id), None)

    def as_dict(self) -> dict[str, Any]:
        """The deck as plain JSON-ready data (what a room stores)."""
        return {"questions": [q.as_dict() for q in self.questions]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Deck:
        """The deck ``as_dict`` wrote."""
        return cls(tuple(Question.from_dict(q) for q in data["questions"]))


#: The framework's tables a question is built from: table -> its id column.
FRAMEWORK = MappingProxyType({"relationship_types": "relationship_type_id",
                              "mechanisms": "mechanism_id", "foundations": "foundation_id"})


def framework_choices(ds: Dataset, table: str) -> tuple[Choice, ...]:
    """One table of the framework (``FRAMEWORK``) as choices, in the package's display
    order (a stable sort: rows with the same order keep the file's order), each with its
    label and plain definition. The one builder of both the rooms' questions and the
    lessons exercise (``explorer.evidence.lessons``)."""
    key = FRAMEWORK[table]
    frame = ds[table].sort_values("display_order", kind="stable")
    return tuple(Choice(str(i), str(label), "" if pd.isna(d) else str(d))
                 for i, label, d in zip(frame[key], frame.label, frame.definition,
                                        strict=True))


def deck(ds: Dataset) -> Deck:
    """The room's three questions for this package (see the module docstring)."""
    programme = Programme.of(ds)
    return Deck((
        Question("relationship", "one", programme.text("relationships_heading"),
                 "Which of these relationships do you most want to change?",
                 framework_choices(ds, "relationship_types")),
        Question("mechanisms", "levels", programme.text("mechanisms_heading"),
                 "In your own setting, how far is each of these in play?",
                 tuple(Choice(k, v) for k, v in LEVELS.items()),
                 framework_choices(ds, "mechanisms")),
        Question("foundations", "many", programme.text("foundations_heading"),
                 "Which of these are in place in your own setting? Tick all that apply.",
                 framework_choices(ds, "foundations")),
    ))


def check_answer(question: Question, form: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """The items to store for a submitted form, or ``AnswerError``.

    The form holds, for a ``one`` question, ``choice`` (one id); for ``many``, ``choice``
    (any number of ids, none meaning "none of these"); for ``levels``, ``level.<item id>``
    (one level each, at least one item answered).

    Returns:
        ``item → value``: ``{"": choice}`` for ``one``, ``{choice: "yes"}`` for each tick of
        ``many``, ``{item: level}`` for ``levels``.

    Raises:
        AnswerError: an id or level the question does not have, a value given twice, or
            nothing chosen where something must be.
    """
    if question.kind == "one":
        chosen = list(form.get("choice", ()))
        if not chosen:
            raise AnswerError("Choose one answer, then send it.")
        if len(chosen) > 1:
            raise AnswerError("Choose only one answer.")
        if question.choice(chosen[0]) is None:
            raise AnswerError("That answer is not one of this question's options.")
        return {"": chosen[0]}
    if question.kind == "many":
        ticked = list(form.get("choice", ()))
        if len(ticked) > MAX_ITEMS or len(set(ticked)) != len(ticked):
            raise AnswerError("Each option can be ticked once.")
        if any(question.choice(c) is None for c in ticked):
            raise AnswerError("That answer is not one of this question's options.")
        return {c: CHOSEN for c in ticked}
    if question.kind == "levels":
        items = {i.id for i in question.items}
        answers: dict[str, str] = {}
        for name, values in form.items():
            if not name.startswith("level."):
                continue
            item = name.partition(".")[2]
            if item not in items:
                raise AnswerError("That answer is not one of this question's options.")
            if len(values) != 1:
                raise AnswerError("Choose one level for each item.")
            if question.choice(values[0]) is None:
                raise AnswerError("That answer is not one of this question's options.")
            answers[item] = values[0]
        if not answers:
            raise AnswerError("Choose a level for at least one item ('Don't know' is an "
                              "answer), then send it.")
        return answers
    raise AnswerError("This question cannot be answered here.")
