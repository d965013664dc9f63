"""Check a data package against its own declaration and the explorer's evidence rules.

Every check runs; every problem is collected with its file, spreadsheet line, column, rule
and value; the caller raises once (``explorer.load``) or reports them (``explorer validate``).

Checks, in order:

1. the descriptor (``explorer.descriptor``): JSON, known keys, provenance fields declared;
2. each CSV file: present, non-empty, UTF-8, well-quoted, header matches the declared
   fields, no blank or ragged rows;
3. each cell: required, type, enum, pattern, minimum/maximum, unique; primary keys;
4. references: foreign keys, ``;``-separated id lists, citations ``id[locator]`` that
   resolve in ``sources``, and ids that must belong to the same project as the row;
5. evidence rules: a ``coded`` row explains itself; a quantitative outcome has a value and
   a unit; programme years and project counts are plausible.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .descriptor import (
    Descriptor,
    FieldSpec,
    ResourceSpec,
    read_descriptor,
)
from .errors import DataError, Problem

__all__ = ["RawTable", "parse_citations", "read_package", "split_ids", "validate"]

PROJECT_FIELD = "project_id"
CITATION_RE = re.compile(r"\s*([a-z0-9][a-z0-9-]*)(?:\[([^\[\]]+)\])?\s*")
INTEGER_RE = re.compile(r"[+-]?\d+")
SHOWN_VALUE_LIMIT = 80

# Rules that tie one column's value to another's; the schema standard cannot declare them.
CONDITIONAL_REQUIREMENTS = (
    # (table, column, value that triggers, columns then required, rule name)
    ("*", "basis", "coded", ("explanation",), "explanation"),
    ("outcomes", "kind", "quantitative", ("value", "unit"), "quantitative-outcome"),
)


@dataclass
class RawTable:
    """A CSV read as text: rows keyed by column name, with each row's spreadsheet line."""

    spec: ResourceSpec
    rows: list[dict[str, str]]
    lines: list[int]


def parse_citations(text: str) -> list[tuple[str, str | None]]:
    """Split ``"a[p. 3]; b"`` into ``[("a", "p. 3"), ("b", None)]``.

    Raises:
        ValueError: an item is not ``id`` or ``id[locator]``.
    """
    citations = []
    for item in text.split(";"):
        match = CITATION_RE.fullmatch(item)
        if not match:
            raise ValueError(item.strip())
        citations.append((match.group(1), match.group(2)))
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
        _, _, problems = read_package(path)
    except DataError as error:
        return error.problems
    return problems


def read_package(
    path: str | Path | None = None,
) -> tuple[Descriptor, dict[str, RawTable], list[Problem]]:
    """Read and check a package; return its descriptor, raw tables and every problem.

    Raises:
        DataError: only when the descriptor itself is unusable (nothing else can be checked).
    """
    from .load import data_path

    folder = data_path(path)
    descriptor = read_descriptor(folder)
    problems: list[Problem] = []
    tables: dict[str, RawTable] = {}
    for spec in descriptor.resources:
        table = _read_csv(folder, spec, problems)
        if table is not None:
            tables[spec.name] = table
            _check_cells(table, problems)
    _check_references(descriptor, tables, problems)
    _check_conditional_requirements(tables, problems)
    _check_plausibility(tables, problems)
    return descriptor, tables, problems


def _shown(value: str) -> str:
    """A value quoted for a message, shortened so a 4 kB cell does not flood a report."""
    if len(value) > SHOWN_VALUE_LIMIT:
        value = value[:SHOWN_VALUE_LIMIT] + "…"
    return repr(value)


def _read_csv(folder: Path, spec: ResourceSpec, problems: list[Problem]) -> RawTable | None:
    file = spec.path
    full = folder / file
    if not full.is_file():
        problems.append(Problem(file, None, None, "missing-file", None,
                                f"the file is missing; datapackage.json declares table "
                                f"{spec.name!r} here"))
        return None
    data = full.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        problems.append(Problem(file, None, None, "empty-file", None,
                                "the file is empty; it needs at least a header line"))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        bad = data[error.start : error.end]
        problems.append(Problem(file, line, None, "encoding", repr(bad),
                                f"not UTF-8 text (byte {bad.hex(' ')}); save the file as UTF-8"))
        return None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[list[str]] = []
    try:
        records.extend(reader)
    except csv.Error as error:
        problems.append(Problem(file, reader.line_num, None, "csv-syntax", None,
                                f"the CSV cannot be read here: {error}; check the quotes"))
        return None
    header, body = records[0], records[1:]
    declared = spec.field_names
    for name in sorted({n for n in header if header.count(n) > 1}):
        problems.append(Problem(file, 1, name, "duplicate-column", name,
                                "this column appears more than once in the header"))
    for name in declared:
        if name not in header:
            problems.append(Problem(file, 1, name, "missing-column", None,
                                    "the header lacks this declared column"))
    for name in header:
        if name not in declared:
            problems.append(Problem(file, 1, name, "extra-column", name,
                                    f"the header has a column the schema does not declare; "
                                    f"declared: {', '.join(declared)}"))
    if set(header) != set(declared) or len(header) != len(set(header)):
        return None
    rows, lines = [], []
    for index, record in enumerate(body, start=2):
        if not any(cell.strip() for cell in record):
            problems.append(Problem(file, index, None, "blank-row", None,
                                    "the line is blank; delete it"))
            continue
        if len(record) != len(header):
            problems.append(Problem(file, index, None, "row-shape", f"{len(record)} cells",
                                    f"the line has {len(record)} cells but the header has "
                                    f"{len(header)}"))
            continue
        rows.append(dict(zip(header, record, strict=True)))
        lines.append(index)
    return RawTable(spec, rows, lines)


def _type_error(spec: FieldSpec, value: str) -> str | None:
    """Why ``value`` is not of the declared type, or None when it is."""
    if spec.type == "integer" and not INTEGER_RE.fullmatch(value):
        return "must be a whole number"
    if spec.type == "number":
        try:
            number = float(value)
        except ValueError:
            return "must be a number (use . for decimals, no units or commas)"
        if not math.isfinite(number):
            return "must be a finite number"
    if spec.type == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return "must be a date written YYYY-MM-DD"
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return "must be a date written YYYY-MM-DD"
    if spec.type == "boolean" and value not in ("true", "false"):
        return "must be true or false"
    return None


def _check_cells(table: RawTable, problems: list[Problem]) -> None:
    spec = table.spec
    seen: dict[str, dict[str, int]] = {f.name: {} for f in spec.fields if f.unique}
    seen_keys: dict[tuple[str, ...], int] = {}
    for row, line in zip(table.rows, table.lines, strict=True):
        for field in spec.fields:
            value = row[field.name]
            message = _cell_error(field, value)
            if message:
                rule, text = message
                problems.append(Problem(spec.path, line, field.name, rule, value, text))
                continue
            if field.unique and value != "":
                first = seen[field.name].setdefault(value, line)
                if first != line:
                    problems.append(Problem(spec.path, line, field.name, "unique", value,
                                            f"{_shown(value)} is already used on line {first}"))
        if len(spec.primary_key) > 1:
            key = tuple(row[name] for name in spec.primary_key)
            first = seen_keys.setdefault(key, line)
            if first != line:
                problems.append(Problem(spec.path, line, ", ".join(spec.primary_key),
                                        "primary-key", " / ".join(key),
                                        f"this combination is already used on line {first}"))


def _cell_error(field: FieldSpec, value: str) -> tuple[str, str] | None:
    """The (rule, message) a cell breaks, or None; one problem per cell is enough."""
    if value == "":
        return ("required", "a value is required") if field.required else None
    if "\x00" in value:
        return "control-character", "contains a NUL character"
    type_error = _type_error(field, value)
    if type_error:
        return "type", f"{_shown(value)} {type_error}"
    if field.enum is not None and value not in field.enum:
        return "enum", f"{_shown(value)} must be one of {', '.join(field.enum)}"
    if field.is_citation:
        try:
            parse_citations(value)
        except ValueError as error:
            return ("citation-syntax",
                    f"{_shown(str(error))} is not a citation; write source ids as "
                    "'id' or 'id[locator]' separated by ';'")
        return None
    if field.pattern is not None and not re.fullmatch(field.pattern, value):
        return "pattern", f"{_shown(value)} does not match the pattern {field.pattern}"
    if field.type in ("integer", "number"):
        number = float(value)
        if field.minimum is not None and number < field.minimum:
            return "minimum", f"{_shown(value)} is below the minimum {field.minimum}"
        if field.maximum is not None and number > field.maximum:
            return "maximum", f"{_shown(value)} is above the maximum {field.maximum}"
    return None


def _check_references(descriptor: Descriptor, tables: dict[str, RawTable],
                      problems: list[Problem]) -> None:
    index: dict[tuple[str, str], dict[str, dict[str, str]]] = {}

    def lookup(table_name: str, column: str) -> dict[str, dict[str, str]] | None:
        if table_name not in tables:
            return None  # already reported as unreadable; avoid a cascade of problems
        key = (table_name, column)
        if key not in index:
            index[key] = {row[column]: row for row in tables[table_name].rows if column in row}
        return index[key]

    known_projects = lookup("projects", PROJECT_FIELD) or {}
    for spec in descriptor.resources:
        table = tables.get(spec.name)
        if table is None:
            continue
        references = [(fk.field, fk.resource, fk.target, False) for fk in spec.foreign_keys]
        references += [(f.name, *f.references, True) for f in spec.fields if f.references]
        for column, target_table, target_column, is_list in references:
            targets = lookup(target_table, target_column)
            if targets is None:
                continue
            field = spec.field(column)
            for row, line in zip(table.rows, table.lines, strict=True):
                value = row[column]
                if value == "" or _cell_error(field, value):
                    continue
                if field.is_citation:
                    ids = [source_id for source_id, _ in parse_citations(value)]
                else:
                    ids = split_ids(value) if is_list else [value]
                for item in ids:
                    target = targets.get(item)
                    if target is None:
                        rule = "source-reference" if field.is_citation else "foreign-key"
                        problems.append(Problem(
                            spec.path, line, column, rule, item,
                            f"{_shown(item)} is not found in {target_table}.csv "
                            f"(column {target_column})"))
                    elif (PROJECT_FIELD in row and target_table != "projects"
                          and target.get(PROJECT_FIELD) in known_projects
                          and target[PROJECT_FIELD] != row[PROJECT_FIELD]):
                        problems.append(Problem(
                            spec.path, line, column, "same-project", item,
                            f"{_shown(item)} belongs to project "
                            f"{target[PROJECT_FIELD]!r}, not to this row's project "
                            f"{row[PROJECT_FIELD]!r}"))


def _check_conditional_requirements(tables: dict[str, RawTable],
                                    problems: list[Problem]) -> None:
    for table_name, column, trigger, needed, rule in CONDITIONAL_REQUIREMENTS:
        for table in tables.values():
            if table_name not in ("*", table.spec.name):
                continue
            names = table.spec.field_names
            if column not in names or not all(n in names for n in needed):
                continue
            for row, line in zip(table.rows, table.lines, strict=True):
                if row[column] != trigger:
                    continue
                for name in needed:
                    if row[name].strip() == "":
                        problems.append(Problem(
                            table.spec.path, line, name, rule, None,
                            f"a value is required when {column} is {trigger!r}"))


def _check_plausibility(tables: dict[str, RawTable], problems: list[Problem]) -> None:
    programmes = tables.get("programmes")
    projects = tables.get("projects")
    if programmes is None:
        return
    for row, line in zip(programmes.rows, programmes.lines, strict=True):
        try:
            launch, start, end = (int(row[k]) for k in ("launch_year", "start_year", "end_year"))
        except (KeyError, ValueError):
            continue
        if not launch <= start <= end:
            problems.append(Problem(programmes.spec.path, line, "start_year", "plausibility",
                                    f"{launch}/{start}/{end}",
                                    "years must run launch ≤ start ≤ end"))
        if projects is None or not row.get("project_count", "").isdigit():
            continue
        expected = int(row["project_count"])
        found = sum(1 for p in projects.rows if p.get("programme_id") == row["programme_id"])
        if found != expected:
            problems.append(Problem(
                projects.spec.path, None, "programme_id", "plausibility", str(found),
                f"programme {row['programme_id']!r} funded {expected} projects but "
                f"projects.csv has {found}; record unidentified projects as rows with "
                "membership 'unidentified' rather than leaving them out"))
    outcomes = tables.get("outcomes")
    if outcomes is None or "unit" not in outcomes.spec.field_names:
        return
    for row, line in zip(outcomes.rows, outcomes.lines, strict=True):
        if row.get("unit") == "percent" and row.get("value"):
            try:
                value = float(row["value"])
            except ValueError:
                continue
            if not 0 <= value <= 100:
                problems.append(Problem(outcomes.spec.path, line, "value", "plausibility",
                                        row["value"], "a percentage must lie between 0 and 100"))

