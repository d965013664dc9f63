"""Check raw tables against their declaration and the explorer's evidence rules.

descriptor → read → **validate** → load. ``check`` takes the raw tables that
``explorer.data.read`` produced and checks what their cells say; ``validate`` runs the whole
chain on a folder and returns every problem, from the descriptor, the files and the cells.
Every check runs; every problem is collected with its file, spreadsheet line, column, rule
and value; the caller raises once (``explorer.load``) or reports them (``explorer validate``).

Checks, in order (each from the declaration, never from a second copy of it in code):

1. each cell: required, control characters, type, format, enum, pattern (for citation
   lists, the ``citation-syntax`` rule), minLength/maxLength, minimum/maximum; unique
   columns and primary keys. A missing cell (see ``missingValues``) only meets
   ``required``;
2. references: foreign keys, ``;``-separated id lists, citations ``id[locator]`` that
   resolve in ``sources``, and ids that must belong to the same project as the row;
3. evidence rules: a ``coded`` row explains itself; a quantitative outcome has a value and
   a unit; a confidence level set by hand says why; a source that names another as its
   origin says why, and the origin it names is its own origin; programme years and project
   counts are plausible.

A cell that breaks a rule is reported once (for the first rule it breaks) and is not
followed into other tables, so one mistake gives one problem.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from datetime import date
from pathlib import Path

from ..errors import DataError, Problem, Rule
from .descriptor import Descriptor, FieldSpec
from .read import RawTable, Row, read_package

__all__ = ["check", "parse_citations", "split_ids", "validate"]

PROJECT_FIELD = "project_id"
INTEGER_RE = re.compile(r"[+-]?[0-9]+")  # ASCII digits only: int() would take any digit
NUMBER_RE = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
URI_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# A citation list split into items at ";" outside brackets: runs of text, a bracketed
# locator (which may hold a ";"), or a separator. Linear in the length of the cell.
CITATION_TOKEN_RE = re.compile(r"[^;\[]+|\[[^\]]*\]?|;")
CITATION_ADVICE = "write source ids as 'id' or 'id[locator]' separated by ';'"
SHOWN_VALUE_LIMIT = 80

# Rules that tie one column's value to another's; the schema standard cannot declare them.
CONDITIONAL_REQUIREMENTS = (
    # (table, column, value that triggers (None: any value), columns then required, rule,
    #  what to add when the trigger is any value)
    ("*", "basis", "coded", ("explanation",), Rule.EXPLANATION, ""),
    ("outcomes", "kind", "quantitative", ("value", "unit"), Rule.QUANTITATIVE_OUTCOME, ""),
    # The confidence in a rating is computed (explorer.evidence.appraisal); replacing it is allowed
    # only with the reason written down, so nothing is typed in unexplained.
    ("mechanism_evidence", "confidence_override", None, ("confidence_override_reason",),
     Rule.OVERRIDE_REASON, "say why it replaces the computed value"),
    # Sharing an origin changes how the confidence rule counts a source: say why.
    ("sources", "origin_id", None, ("origin_explanation",), Rule.EXPLANATION,
     "say why the source shares that origin"),
)

CellRef = tuple[str, str, int]  # (table, column, row index): a cell known to be invalid


def parse_citations(text: str) -> list[tuple[str, str | None]]:
    """Split a citation list ``"a[p. 3]; b"`` into ``[("a", "p. 3"), ("b", None)]``.

    Only splits: the syntax is the field's declared pattern, which ``check`` applies
    first. Items are separated by ``;`` outside brackets; each is an id and an optional
    locator in brackets.
    """
    citations: list[tuple[str, str | None]] = []
    for item in _citation_items(text):
        source_id, bracket, locator = item.partition("[")
        citations.append((source_id.strip(),
                          locator.rstrip().removesuffix("]") if bracket else None))
    return citations


def split_ids(text: str) -> list[str]:
    """Split a ``;``-separated id list, ignoring spaces around items."""
    return [item.strip() for item in text.split(";")] if text.strip() else []


def validate(path: str | Path | None = None) -> list[Problem]:
    """Return every problem in the data package at ``path`` (empty list when valid).

    Args:
        path: a package folder or its ``datapackage.json``; default: ``explorer.data_path()``.
    """
    try:
        package = read_package(path)
    except DataError as error:
        return error.problems
    return package.problems + check(package.descriptor, package.tables)


def check(descriptor: Descriptor, tables: dict[str, RawTable]) -> list[Problem]:
    """Return every problem in what the raw ``tables`` say, against ``descriptor``.

    Tables missing from ``tables`` (unreadable files, already reported by
    ``explorer.data.read``) are skipped, and so are references into them.
    """
    problems: list[Problem] = []
    invalid: set[CellRef] = set()
    for spec in descriptor.resources:
        table = tables.get(spec.name)
        if table is not None:
            _check_cells(table, problems, invalid)
    _check_references(descriptor, tables, invalid, problems)
    _check_conditional_requirements(tables, problems)
    valid = _valid_cells(tables, invalid)
    _check_origins(valid, problems)
    _check_plausibility(valid, problems)
    return problems


def _citation_items(text: str) -> list[str]:
    items = [""]
    for token in CITATION_TOKEN_RE.findall(text):
        if token == ";":
            items.append("")
        else:
            items[-1] += token
    return items


def _shown(value: str) -> str:
    """A value quoted for a message, shortened so a 4 kB cell does not flood a report."""
    if len(value) > SHOWN_VALUE_LIMIT:
        value = value[:SHOWN_VALUE_LIMIT] + "…"
    return repr(value)


def _type_error(spec: FieldSpec, value: str) -> str | None:
    """Why ``value`` is not of the declared type, or None when it is."""
    if spec.type == "integer":
        if not INTEGER_RE.fullmatch(value):
            return "must be a whole number"
        if len(value) > 18 and not -(2**63) <= int(value) < 2**63:
            return "is too large; whole numbers must lie within ±9.2 × 10^18"
    if spec.type == "number":
        if not NUMBER_RE.fullmatch(value):
            return "must be a number (use . for decimals, no units or commas)"
        if not math.isfinite(float(value)):
            return "must be a finite number"
    if spec.type == "date":
        if not DATE_RE.fullmatch(value):
            return "must be a date written YYYY-MM-DD"
        try:
            date.fromisoformat(value)
        except ValueError:
            return "must be a date written YYYY-MM-DD"
    if spec.type == "boolean" and value not in ("true", "false"):
        return "must be true or false"
    return None


def _format_error(spec: FieldSpec, value: str) -> str | None:
    """Why ``value`` is not in the declared string format, or None when it is."""
    if spec.format == "uri" and not URI_RE.fullmatch(value):
        return "must be a URI, e.g. https://example.org/page"
    if spec.format == "email" and not EMAIL_RE.fullmatch(value):
        return "must be an email address, e.g. name@example.org"
    return None


def _cell_error(field: FieldSpec, value: str) -> tuple[Rule, str] | None:
    """The (rule, message) a present cell breaks, or None; one problem per cell is enough."""
    if "\x00" in value:
        return Rule.CONTROL_CHARACTER, "contains a NUL character"
    type_error = _type_error(field, value)
    if type_error:
        return Rule.TYPE, f"{_shown(value)} {type_error}"
    format_error = _format_error(field, value)
    if format_error:
        return Rule.FORMAT, f"{_shown(value)} {format_error}"
    if field.enum is not None and value not in field.enum:
        return Rule.ENUM, f"{_shown(value)} must be one of {', '.join(field.enum)}"
    if field.regex is not None and not field.regex.fullmatch(value):
        if field.is_citation:
            return Rule.CITATION_SYNTAX, _citation_message(field, value)
        return Rule.PATTERN, f"{_shown(value)} does not match the pattern {field.pattern}"
    if field.min_length is not None and len(value) < field.min_length:
        return (Rule.MIN_LENGTH,
                f"{_shown(value)} is shorter than the minimum length {field.min_length}")
    if field.max_length is not None and len(value) > field.max_length:
        return (Rule.MAX_LENGTH,
                f"{_shown(value)} is longer than the maximum length {field.max_length} "
                f"({len(value)} characters)")
    if field.minimum is not None or field.maximum is not None:
        number = float(value)
        if field.minimum is not None and number < field.minimum:
            return Rule.MINIMUM, f"{_shown(value)} is below the minimum {field.minimum}"
        if field.maximum is not None and number > field.maximum:
            return Rule.MAXIMUM, f"{_shown(value)} is above the maximum {field.maximum}"
    return None


def _citation_message(field: FieldSpec, value: str) -> str:
    """Name the first citation that breaks the declared grammar (a list of one is a list)."""
    assert field.regex is not None
    culprit = next((item.strip() for item in _citation_items(value)
                    if item.strip() and not field.regex.fullmatch(item.strip())), None)
    if culprit is None:  # each item is fine alone: the separators are not
        return f"{_shown(value)} is not a list of citations; {CITATION_ADVICE}"
    return f"{_shown(culprit)} is not a citation; {CITATION_ADVICE}"


def _check_cells(table: RawTable, problems: list[Problem], invalid: set[CellRef]) -> None:
    spec = table.spec
    seen: dict[str, dict[str, int]] = {f.name: {} for f in spec.fields if f.unique}
    key = spec.primary_key
    # A one-column key that is declared unique is checked (once) as unique.
    check_key = bool(key) and not (len(key) == 1 and spec.field(key[0]).unique)
    seen_keys: dict[tuple[str | None, ...], int] = {}
    for index, (row, line) in enumerate(zip(table.rows, table.lines, strict=True)):
        for field in spec.fields:
            value = row[field.name]
            if value is None:
                if field.required:
                    problems.append(Problem(spec.path, line, field.name, Rule.REQUIRED, None,
                                            "a value is required"))
                    invalid.add((spec.name, field.name, index))
                continue
            error = _cell_error(field, value)
            if error:
                rule, message = error
                problems.append(Problem(spec.path, line, field.name, rule, value, message))
                invalid.add((spec.name, field.name, index))
                continue
            if field.unique:
                first = seen[field.name].setdefault(value, line)
                if first != line:
                    problems.append(Problem(spec.path, line, field.name, Rule.UNIQUE, value,
                                            f"{_shown(value)} is already used on line {first}"))
        if check_key:
            values = tuple(row[name] for name in key)
            if None in values:
                continue  # reported as required
            first = seen_keys.setdefault(values, line)
            if first != line:
                shown = " / ".join(str(value) for value in values)
                what = _shown(shown) if len(key) == 1 else "this combination"
                problems.append(Problem(spec.path, line, ", ".join(key), Rule.PRIMARY_KEY,
                                        shown, f"{what} is already used on line {first}"))


def _check_references(descriptor: Descriptor, tables: dict[str, RawTable],
                      invalid: set[CellRef], problems: list[Problem]) -> None:
    index: dict[tuple[str, str], dict[str, Row]] = {}

    def lookup(table_name: str, column: str) -> dict[str, Row] | None:
        """Rows of a table by a column's value, built once per column (linear overall)."""
        if table_name not in tables:
            return None  # already reported as unreadable; avoid a cascade of problems
        key = (table_name, column)
        if key not in index:
            index[key] = {value: row for row in tables[table_name].rows
                          if (value := row[column]) is not None}
        return index[key]

    known_projects = lookup("projects", PROJECT_FIELD) or {}
    for spec in descriptor.resources:
        table = tables.get(spec.name)
        if table is None:
            continue
        for column, target_table, target_column, is_list in spec.references:
            targets = lookup(target_table, target_column)
            if targets is None:
                continue
            field = spec.field(column)
            for row_index, (row, line) in enumerate(zip(table.rows, table.lines, strict=True)):
                value = row[column]
                if value is None or (spec.name, column, row_index) in invalid:
                    continue
                if field.is_citation:
                    ids = [source_id for source_id, _ in parse_citations(value)]
                else:
                    ids = split_ids(value) if is_list else [value]
                for item in ids:
                    target = targets.get(item)
                    if target is None:
                        rule = Rule.SOURCE_REFERENCE if field.is_citation else Rule.FOREIGN_KEY
                        problems.append(Problem(
                            spec.path, line, column, rule, item,
                            f"{_shown(item)} is not found in {tables[target_table].spec.path} "
                            f"(column {target_column})"))
                    elif (PROJECT_FIELD in row and target_table != "projects"
                          and target.get(PROJECT_FIELD) in known_projects
                          and target[PROJECT_FIELD] != row[PROJECT_FIELD]):
                        problems.append(Problem(
                            spec.path, line, column, Rule.SAME_PROJECT, item,
                            f"{_shown(item)} belongs to project "
                            f"{target[PROJECT_FIELD]!r}, not to this row's project "
                            f"{row[PROJECT_FIELD]!r}"))


def _check_conditional_requirements(tables: dict[str, RawTable],
                                    problems: list[Problem]) -> None:
    for table_name, column, trigger, needed, rule, advice in CONDITIONAL_REQUIREMENTS:
        for table in tables.values():
            if table_name not in ("*", table.spec.name):
                continue
            names = table.spec.field_names
            if column not in names or not all(n in names for n in needed):
                continue
            for row, line in zip(table.rows, table.lines, strict=True):
                found = row[column]
                if found is None or (trigger is not None and found != trigger):
                    continue
                condition = (f"{column} is {trigger!r}" if trigger is not None else
                             f"{column} is set (to {found!r}): {advice}")
                for name in needed:
                    value = row[name]
                    if value is None or not value.strip():
                        problems.append(Problem(
                            table.spec.path, line, name, rule, None,
                            f"a value is required when {condition}"))


def _valid_cells(tables: dict[str, RawTable], invalid: set[CellRef]) -> dict[str, RawTable]:
    """``tables`` with every cell already reported as invalid made missing.

    Copies only the rows that hold such a cell, so the evidence rules can read values
    without following a mistake that already has its problem.
    """
    by_table: dict[str, dict[int, list[str]]] = {}
    for table_name, column, index in invalid:
        by_table.setdefault(table_name, {}).setdefault(index, []).append(column)
    valid = dict(tables)
    for table_name, rows in by_table.items():
        table = tables[table_name]
        copied = list(table.rows)
        for index, columns in rows.items():
            copied[index] = {**copied[index], **dict.fromkeys(columns)}
        valid[table_name] = RawTable(table.spec, copied, table.lines)
    return valid


def _check_origins(tables: dict[str, RawTable], problems: list[Problem]) -> None:
    """A source's origin must be its own origin (no chains, no self-reference), so that the
    sources sharing an origin form one group the confidence rule counts once."""
    sources = tables.get("sources")
    if sources is None or "origin_id" not in sources.spec.field_names:
        return
    origin_of = {row["source_id"]: row["origin_id"] for row in sources.rows
                 if row.get("source_id") is not None}
    for row, line in zip(sources.rows, sources.lines, strict=True):
        origin = row["origin_id"]
        if origin is None or origin not in origin_of:
            continue  # empty, or already reported as a foreign key
        if origin == row["source_id"]:
            problems.append(Problem(sources.spec.path, line, "origin_id", Rule.ORIGIN, origin,
                                    f"{_shown(origin)} is this source itself: a source is "
                                    "its own origin when origin_id is empty, so leave it "
                                    "empty"))
        elif origin_of[origin] is not None:
            problems.append(Problem(
                sources.spec.path, line, "origin_id", Rule.ORIGIN, origin,
                f"{_shown(origin)} has an origin of its own ({origin_of[origin]!r}); name "
                "that one, so every source of one origin names the same source"))


def _whole_number(value: str | None) -> int | None:
    return int(value) if value is not None and INTEGER_RE.fullmatch(value) else None


def _check_plausibility(tables: dict[str, RawTable], problems: list[Problem]) -> None:
    programmes = tables.get("programmes")
    projects = tables.get("projects")
    if programmes is not None:
        counts = Counter(row.get("programme_id") for row in projects.rows) if projects else None
        for row, line in zip(programmes.rows, programmes.lines, strict=True):
            years = [_whole_number(row.get(k)) for k in ("launch_year", "start_year", "end_year")]
            launch, start, end = years
            if launch is not None and start is not None and end is not None and not (
                    launch <= start <= end):
                problems.append(Problem(programmes.spec.path, line, "start_year",
                                        Rule.PLAUSIBILITY, f"{launch}/{start}/{end}",
                                        "years must run launch ≤ start ≤ end"))
            expected = _whole_number(row.get("project_count"))
            if projects is None or counts is None or expected is None:
                continue
            found = counts[row.get("programme_id")]
            if found != expected:
                advice = ("record unidentified projects as rows with membership "
                          "'unidentified' rather than leaving them out" if found < expected
                          else "a project from elsewhere belongs to a programme of its own "
                          "(a new row in programmes.csv)")
                problems.append(Problem(
                    projects.spec.path, None, "programme_id", Rule.PLAUSIBILITY, str(found),
                    f"programme {row.get('programme_id')!r} funded {expected} projects but "
                    f"{projects.spec.path} has {found}; {advice}"))
    outcomes = tables.get("outcomes")
    if outcomes is None or "unit" not in outcomes.spec.field_names:
        return
    for row, line in zip(outcomes.rows, outcomes.lines, strict=True):
        value = row.get("value")
        if row.get("unit") != "percent" or value is None or not NUMBER_RE.fullmatch(value):
            continue
        if not 0 <= float(value) <= 100:
            problems.append(Problem(outcomes.spec.path, line, "value", Rule.PLAUSIBILITY,
                                    value, "a percentage must lie between 0 and 100"))
