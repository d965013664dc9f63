"""Shared fixtures: the embedded data, the hand-countable mini package, editable copies."""

from __future__ import annotations

import csv
import gc
import io
import shutil
import uuid
from pathlib import Path

import pytest

import explorer

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
MINI = ROOT / "tests" / "fixtures" / "mini"
OTHER = ROOT / "tests" / "fixtures" / "other-programme"


class PackageCopy:
    """A throw-away copy of a data package that a test can break on purpose."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def file(self, name: str) -> Path:
        return self.path / name

    def rows(self, table: str) -> list[list[str]]:
        with open(self.file(f"{table}.csv"), newline="", encoding="utf-8") as handle:
            return list(csv.reader(handle))

    def write_rows(self, table: str, rows: list[list[str]]) -> None:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        self.file(f"{table}.csv").write_text(buffer.getvalue(), encoding="utf-8")

    def set_cell(self, table: str, line: int, column: str, value: str) -> None:
        """Set one cell; ``line`` counts as a spreadsheet does (header = line 1)."""
        rows = self.rows(table)
        rows[line - 1][rows[0].index(column)] = value
        self.write_rows(table, rows)

    def cell(self, table: str, line: int, column: str) -> str:
        rows = self.rows(table)
        return rows[line - 1][rows[0].index(column)]

    def append_text(self, table: str, text: str) -> None:
        with open(self.file(f"{table}.csv"), "a", encoding="utf-8", newline="") as handle:
            handle.write(text)


def _assemble(source: Path, target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for csv_file in source.glob("*.csv"):
        shutil.copy(csv_file, target / csv_file.name)
    shutil.copy(DATA / "datapackage.json", target / "datapackage.json")
    return target


@pytest.fixture(scope="session")
def ds() -> explorer.Dataset:
    """The embedded, curated data."""
    return explorer.load(DATA)


@pytest.fixture(scope="session")
def mini_path(tmp_path_factory) -> Path:
    """The mini fixture CSVs beside the real datapackage.json (one schema)."""
    return _assemble(MINI, tmp_path_factory.mktemp("mini"))


@pytest.fixture(scope="session")
def mini(mini_path) -> explorer.Dataset:
    return explorer.load(mini_path)


@pytest.fixture(scope="session")
def other_path(tmp_path_factory) -> Path:
    """An invented second programme's CSVs beside the real datapackage.json."""
    return _assemble(OTHER, tmp_path_factory.mktemp("other-programme"))


@pytest.fixture(scope="session")
def other(other_path) -> explorer.Dataset:
    return explorer.load(other_path)


def programme_words(ds: explorer.Dataset) -> list[str]:
    """Names and counts that belong to ``ds``'s programme: none may show for another one."""
    from explorer.evidence.programme import Programme

    programme = Programme.of(ds)
    words = [programme.title, programme.funder, programme.text("site_title"), "OPM",
             "Closing the Gap", "Health Foundation", "seven"]
    words += list(ds.projects.short_name[ds.projects.membership != "unidentified"])
    words += list(ds.mechanisms.label) + list(ds.foundations.label)
    words += list(ds.relationship_types.label)
    return sorted(set(words))


@pytest.fixture(scope="module", autouse=True)
def _leaks_found_where_they_happen():
    """Collect garbage as each file ends: an object a file's tests left unclosed (a socket, a
    database connection) warns there, in that file's last teardown, not later in whichever
    test the garbage collector happens to interrupt (the suite treats warnings as errors)."""
    yield
    gc.collect()


@pytest.fixture
def mini_copy(tmp_path) -> PackageCopy:
    """An editable copy of the mini package."""
    return PackageCopy(_assemble(MINI, tmp_path / "package"))


@pytest.fixture
def data_copy(tmp_path) -> PackageCopy:
    """An editable copy of the embedded data."""
    return PackageCopy(_assemble(DATA, tmp_path / "package"))


# -- the room store: SQLite and a real PostgreSQL server ------------------------------------

STORE_BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres():
    """One throw-away PostgreSQL server for the session (see ``tests/postgres_kit.py``)."""
    from postgres_kit import start_postgres

    try:
        server = start_postgres()
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def store_url(request, tmp_path) -> str:
    """An empty room store: a SQLite file of this test, or a new PostgreSQL database."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'rooms.sqlite'}"
    server = request.getfixturevalue("postgres")
    return server.create_database(f"t_{uuid.uuid4().hex[:20]}")


@pytest.fixture
def room_store(store_url):
    """A ``RoomStore`` over ``store_url``, its connections released afterwards."""
    from explorer.rooms import RoomStore

    store = RoomStore(store_url)
    yield store
    store.close_store()
