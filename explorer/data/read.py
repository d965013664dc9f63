"""Locate a data package and read its files into raw tables: the file-level step.

descriptor → **read** → validate → load. ``read_package`` finds the package folder
(``data_path``), reads its declaration (``explorer.data.descriptor``) and then each CSV file as
declared — encoding, dialect, header, missing values — into a ``RawTable`` of text cells.
It reports the problems a file can have as a whole: missing, empty, not in its encoding,
unreadable CSV, a header that differs from the declared fields, blank or ragged rows.
What the cells say is not its business: ``explorer.validate`` checks that.

In a raw table every cell is its text, or None when the text is one of the schema's
``missingValues`` (by default only the empty cell).

Where the package is (``data_path``): the ``path`` argument if given, else
``$EXPLORER_DATA``, else the data embedded in the package (``data/`` in a clone). A relative
path means the same to every command and page: it is resolved against
``$EXPLORER_DATA_BASE`` when that is set — the directory where the user ran the command,
which a server exports because its dashboard kernels run elsewhere (in ``notebooks/``) —
and otherwise against the current directory when ``data_path`` is called.
"""

from __future__ import annotations

import csv
import io
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem, Rule
from .descriptor import DESCRIPTOR_NAME, Descriptor, ResourceSpec, decode_text, read_descriptor

__all__ = [
    "BASE_ENV_VAR",
    "ENV_VAR",
    "RawPackage",
    "RawTable",
    "data_path",
    "read_package",
    "read_table",
    "start_folder",
]

ENV_VAR = "EXPLORER_DATA"
BASE_ENV_VAR = "EXPLORER_DATA_BASE"
_PACKAGE_DIR = Path(__file__).resolve().parents[1]  # explorer/

Cell = str | None
Row = dict[str, Cell]


@dataclass
class RawTable:
    """A CSV read as text: rows keyed by column name, with each row's spreadsheet line.

    A cell is its text, or None when the text is one of the declared missing values.
    """

    spec: ResourceSpec
    rows: list[Row]
    lines: list[int]


@dataclass
class RawPackage:
    """A package as read: its declaration, every readable table, and the files' problems."""

    descriptor: Descriptor
    tables: dict[str, RawTable]
    problems: list[Problem]


def data_path(path: str | Path | None = None) -> Path:
    """Return the absolute folder of the data package to use.

    Order: ``path``, then ``$EXPLORER_DATA``, then the embedded data (inside an installed
    wheel: ``explorer/_data``; in a clone: the repository's ``data/``). A path to
    ``datapackage.json`` itself is accepted too. ``~`` is expanded; a relative path is
    resolved against ``$EXPLORER_DATA_BASE`` if set, else the folder the command was started
    in (``start_folder``: inside a dashboard's kernel, the folder the *server* was started
    in, which is what the shell that typed ``EXPLORER_DATA=my-evidence voila notebooks/``
    meant; the kernel itself runs inside ``notebooks/``).
    """
    chosen = path if path is not None else os.environ.get(ENV_VAR) or None
    if chosen is None:
        embedded = _PACKAGE_DIR / "_data"
        folder = embedded if embedded.is_dir() else _PACKAGE_DIR.parent / "data"
    else:
        folder = Path(chosen).expanduser()
        if not folder.is_absolute():
            base = os.environ.get(BASE_ENV_VAR) or start_folder()
            folder = Path(base).expanduser() / folder
    if folder.name == DESCRIPTOR_NAME:
        folder = folder.parent
    return folder.resolve()


def start_folder() -> str:
    """The folder a relative ``EXPLORER_DATA`` is read from when no base is set: the current
    directory, or inside a Jupyter kernel (``$JPY_PARENT_PID``, set by the server that started
    it) the server's own working directory, read from ``/proc`` where there is one."""
    parent = os.environ.get("JPY_PARENT_PID", "")
    if parent.isdigit():
        try:
            return os.readlink(f"/proc/{parent}/cwd")
        except OSError:  # no /proc (macOS, Windows), or the server has gone
            pass
    return os.getcwd()


def read_package(path: str | Path | None = None) -> RawPackage:
    """Read the package at ``path`` (see ``data_path``) into raw tables.

    Returns:
        The descriptor, every table that could be read, and every file-level problem.

    Raises:
        DataError: only when the descriptor itself is unusable (nothing else can be read).
    """
    folder = data_path(path)
    descriptor = read_descriptor(folder)
    tables: dict[str, RawTable] = {}
    problems: list[Problem] = []
    for spec in descriptor.resources:
        table, found = read_table(folder, spec)
        problems += found
        if table is not None:
            tables[spec.name] = table
    return RawPackage(descriptor, tables, problems)


def read_table(folder: Path, spec: ResourceSpec) -> tuple[RawTable | None, list[Problem]]:
    """Read the file of one declared table.

    Returns:
        The raw table (None when the file cannot be read or its header does not match
        the declared fields, so that no cell can be trusted) and the file's problems.
        Blank and ragged rows are reported and left out of the table.
    """
    problems: list[Problem] = []
    full = folder / spec.path
    if not full.is_file():
        problems.append(Problem(spec.path, None, None, Rule.MISSING_FILE, None,
                                f"the file is missing; datapackage.json declares table "
                                f"{spec.name!r} here"))
        return None, problems
    text = decode_text(full.read_bytes(), spec.path, spec.encoding, problems)
    if text is None:
        return None, problems
    if not text.strip():
        problems.append(Problem(spec.path, None, None, Rule.EMPTY_FILE, None,
                                "the file is empty; it needs at least a header line"))
        return None, problems
    records = _records(text, spec, problems)
    if records is None:
        return None, problems
    header, body = records[0], records[1:]
    if not _header_matches(header, spec, problems):
        return None, problems
    missing = frozenset(spec.missing_values)
    rows: list[Row] = []
    lines: list[int] = []
    for line, record in enumerate(body, start=2):
        if not any(cell.strip() for cell in record):
            problems.append(Problem(spec.path, line, None, Rule.BLANK_ROW, None,
                                    "the line is blank; delete it"))
            continue
        if len(record) != len(header):
            problems.append(Problem(spec.path, line, None, Rule.ROW_SHAPE,
                                    f"{len(record)} cells",
                                    f"the line has {len(record)} cells but the header has "
                                    f"{len(header)}"))
            continue
        rows.append({name: None if cell in missing else cell
                     for name, cell in zip(header, record, strict=True)})
        lines.append(line)
    return RawTable(spec, rows, lines), problems


def _records(text: str, spec: ResourceSpec, problems: list[Problem]) -> list[list[str]] | None:
    """Every record of the CSV, read with the declared dialect; None if it is unreadable."""
    dialect = spec.dialect
    # Python's reader recognises \r\n, \n and \r by itself, so lineTerminator needs no
    # option here: every terminator the descriptor accepts is read correctly.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True,
                        delimiter=dialect.delimiter, quotechar=dialect.quote_char,
                        doublequote=dialect.double_quote,
                        skipinitialspace=dialect.skip_initial_space)
    records: list[list[str]] = []
    try:
        records.extend(reader)
    except csv.Error as error:
        problems.append(Problem(spec.path, reader.line_num, None, Rule.CSV_SYNTAX, None,
                                f"the CSV cannot be read here: {error}; check the quotes"))
        return None
    return records


def _header_matches(header: list[str], spec: ResourceSpec, problems: list[Problem]) -> bool:
    """Report how the header differs from the declared fields; True when it does not."""
    declared = spec.field_names
    counts = Counter(header)
    found = len(problems)
    for name in sorted(name for name, count in counts.items() if count > 1):
        problems.append(Problem(spec.path, 1, name, Rule.DUPLICATE_COLUMN, name,
                                "this column appears more than once in the header"))
    for name in declared:
        if name not in counts:
            problems.append(Problem(spec.path, 1, name, Rule.MISSING_COLUMN, None,
                                    "the header lacks this declared column"))
    for name in header:
        if name not in declared:
            problems.append(Problem(spec.path, 1, name, Rule.EXTRA_COLUMN, name,
                                    f"the header has a column the schema does not declare; "
                                    f"declared: {', '.join(declared)}"))
    return len(problems) == found
