"""Errors the explorer raises, and the problem record that data errors carry.

Catch ``ExplorerError`` to handle anything this package raises on purpose::

    ExplorerError
    ├── DataError            the data package cannot be used; ``.problems`` lists every problem
    │   └── ProvenanceError  ... and every problem is about sources or basis
    └── QueryError           a request names something the data does not have (e.g. unknown id)
        └── StateError       a URL query string could not be turned into a view

Validation never stops at the first problem: it collects every ``Problem`` (file, line,
column, rule, value) and raises one ``DataError``. Dashboards catch ``ExplorerError`` and
show ``str(error)``, which is written for people, never a traceback.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = [
    "DataError",
    "ExplorerError",
    "Problem",
    "ProvenanceError",
    "QueryError",
    "StateError",
]

PROVENANCE_RULES = frozenset({"provenance", "source-reference", "citation-syntax", "explanation"})


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a data package, located as a spreadsheet user would see it.

    Attributes:
        file: file name relative to the package folder, e.g. ``projects.csv``.
        line: line number as a spreadsheet shows it (the header is line 1), or None.
        column: column (field) name, or None when the problem is not about one column.
        rule: short machine-readable rule name, e.g. ``enum`` or ``foreign-key``.
        value: the offending value as found, or None.
        message: what is wrong and what is expected, in plain words.
    """

    file: str
    line: int | None
    column: str | None
    rule: str
    value: str | None
    message: str

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
