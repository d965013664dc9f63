"""Errors the explorer raises, and the problem record that data errors carry.

Catch ``ExplorerError`` to handle anything this package raises on purpose::

    ExplorerError
    ├── DataError            the data package cannot be used; ``.problems`` lists every problem
    │   └── ProvenanceError  ... and every problem is about sources or basis
    ├── QueryError           a request names something the data does not have (e.g. unknown id)
    │   └── StateError       a URL query string could not be turned into a view
    └── RoomError            a live room cannot take this request (``status``: its HTTP code)
        ├── RoomNotFound     no open room has that code (never opened, closed or expired)
        │   └── RoomEnded    ... because it was closed or has expired (the message says which)
        ├── RoomLocked       the facilitator has stopped answers for now
        ├── RoomFull         the room has its most participants already
        ├── AnswerError      an answer does not fit its question (an unknown option...)
        │   └── NotOnShow    ... or is to a question the room is not showing now
        ├── ExportError      a file is not a room's export (comparing with an earlier room)
        └── StoreUnavailable the room store cannot be reached; nothing was written
            └── StoreTooNew  the store was written by a newer explorer; left as it is

Validation never stops at the first problem: it collects every ``Problem`` (file, line,
column, rule, value) and raises one ``DataError``. Dashboards catch ``ExplorerError`` and
show ``str(error)``, which is written for people, never a traceback.

``Rule`` is the one registry of rule names a ``Problem`` can carry; a new check adds its
rule here (and a case to the bad-input corpus, ``tests/test_bad_input.py``, which fails
until it has one).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum

__all__ = [
    "AnswerError",
    "DataError",
    "ExplorerError",
    "Problem",
    "ProvenanceError",
    "QueryError",
    "RoomError",
    "RoomFull",
    "RoomLocked",
    "RoomNotFound",
    "Rule",
    "StateError",
    "StoreUnavailable",
]


class Rule(StrEnum):
    """Every rule a data package can break, by the step that checks it."""

    # descriptor: datapackage.json itself
    JSON = "json"                            # not valid JSON
    DESCRIPTOR = "descriptor"                # declares something malformed or unsupported
    DESCRIPTOR_KEY = "descriptor-key"        # a key the explorer does not know (strict)
    PROVENANCE = "provenance"                # a table lacks sources or basis
    # read: files
    MISSING_FILE = "missing-file"            # a declared file (or datapackage.json) is absent
    ENCODING = "encoding"                    # bytes that are not the declared encoding
    EMPTY_FILE = "empty-file"
    CSV_SYNTAX = "csv-syntax"                # unreadable CSV (usually quotes)
    DUPLICATE_COLUMN = "duplicate-column"
    MISSING_COLUMN = "missing-column"
    EXTRA_COLUMN = "extra-column"
    BLANK_ROW = "blank-row"
    ROW_SHAPE = "row-shape"                  # a row with more or fewer cells than the header
    # validate: cells
    REQUIRED = "required"
    CONTROL_CHARACTER = "control-character"
    TYPE = "type"
    FORMAT = "format"                        # a declared field format (uri, email)
    ENUM = "enum"
    PATTERN = "pattern"
    CITATION_SYNTAX = "citation-syntax"      # the pattern of a source_ids field
    MIN_LENGTH = "min-length"
    MAX_LENGTH = "max-length"
    MINIMUM = "minimum"
    MAXIMUM = "maximum"
    UNIQUE = "unique"
    PRIMARY_KEY = "primary-key"
    # validate: references between tables
    FOREIGN_KEY = "foreign-key"
    SOURCE_REFERENCE = "source-reference"    # a cited source id not in sources.csv
    SAME_PROJECT = "same-project"            # an id that belongs to another project
    # validate: evidence rules
    EXPLANATION = "explanation"              # a coded row without its explanation
    OVERRIDE_REASON = "override-reason"      # a confidence level set by hand without its reason
    QUANTITATIVE_OUTCOME = "quantitative-outcome"
    ORIGIN = "origin"                        # a source's origin that has an origin of its own
    PLAUSIBILITY = "plausibility"


PROVENANCE_RULES = frozenset({
    Rule.PROVENANCE, Rule.SOURCE_REFERENCE, Rule.CITATION_SYNTAX, Rule.EXPLANATION,
    Rule.OVERRIDE_REASON,
})


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a data package, located as a spreadsheet user would see it.

    Attributes:
        file: file name relative to the package folder, e.g. ``projects.csv``.
        line: line number as a spreadsheet shows it (the header is line 1), or None.
        column: column (field) name, or None when the problem is not about one column.
        rule: the ``Rule`` broken, e.g. ``Rule.ENUM`` (``"enum"``); its text may be given.
        value: the offending value as found, or None.
        message: what is wrong and what is expected, in plain words.
    """

    file: str
    line: int | None
    column: str | None
    rule: Rule
    value: str | None
    message: str

    def __post_init__(self) -> None:
        if not isinstance(self.rule, Rule):
            try:
                rule = Rule(self.rule)
            except ValueError:
                raise ValueError(f"unknown rule {self.rule!r}; rules are listed in "
                                 "explorer.errors.Rule") from None
            object.__setattr__(self, "rule", rule)

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column is not None:
            where += f', column "{self.column}"'
        return f"{where}: {self.message} [{self.rule}]"

    def as_dict(self) -> dict[str, object]:
        """Return the problem as a JSON-ready dictionary."""
        return asdict(self)


class ExplorerError(Exception):
    """Base class for every error the explorer raises on purpose."""


class DataError(ExplorerError):
    """The data package has problems; ``problems`` lists all of them."""

    def __init__(self, problems: list[Problem], path: str | None = None) -> None:
        self.problems = list(problems)
        self.path = path
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        where = f" in {path}" if path else ""
        lines = [f"The data package{where} has {count} {noun}:"]
        lines += [f"  - {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))

    @classmethod
    def from_problems(cls, problems: list[Problem], path: str | None = None) -> DataError:
        """Build the most specific error class for ``problems``."""
        if problems and all(problem.rule in PROVENANCE_RULES for problem in problems):
            return ProvenanceError(problems, path)
        return cls(problems, path)


class ProvenanceError(DataError):
    """Every problem found concerns provenance: citations, sources or coding explanations."""


class QueryError(ExplorerError, ValueError):
    """A query names a project, mechanism, facet or column kind the data does not have."""


class StateError(QueryError):
    """A view state (e.g. from a URL) cannot be applied."""


class RoomError(ExplorerError):
    """A live room cannot take a request; the message is written for a participant.

    ``status`` is the HTTP status the join page answers with.
    """

    status = 400


class RoomNotFound(RoomError):
    """No open room has this code: it was never opened, or was closed, or has expired."""

    status = 404


class RoomLocked(RoomError):
    """The facilitator has locked the room: answers are not taken for now."""

    status = 409


class RoomFull(RoomError):
    """The room already has its most participants."""

    status = 403


class AnswerError(RoomError):
    """A submitted answer does not fit its question (unknown option, level or item)."""

    status = 400


class RoomEnded(RoomNotFound):
    """The room was closed by its facilitator or has expired; its answers are gone."""

    status = 410


class NotOnShow(AnswerError):
    """An answer to a question of the room that is not the one on show (a stale form)."""

    status = 409


class ExportError(RoomError):
    """A file given as a room's export (to compare with an earlier room) cannot be read as
    one; nothing was changed."""


class StoreUnavailable(RoomError):
    """The room store (SQLite file or PostgreSQL server) cannot be reached just now."""

    status = 503


class StoreTooNew(StoreUnavailable):
    """The room store was written by a newer explorer: this one leaves it as it is."""
