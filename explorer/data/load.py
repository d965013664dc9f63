"""Type validated raw tables into pandas: the analysts' API.

descriptor → read → validate → **load**. ``load()`` reads the package
(``explorer.data.read``), checks it (``explorer.validate``), raises one ``DataError`` listing
every problem, and otherwise returns a ``Dataset``: one DataFrame per table, typed from the
declaration —

- enum fields become ordered ``Categorical`` columns (categories in declared order);
- integers become ``Int64`` and numbers ``Float64`` (nullable: missing means "not found");
- dates become ``datetime64``; booleans ``boolean``; other text becomes pandas ``string``;
- ``source_ids`` becomes a tuple of ``Citation(source_id, locator)``;
- other ``;``-separated id lists become tuples of ids (empty when missing).

A cell is missing when its text is one of the schema's ``missingValues`` (by default only
the empty cell). Where the data comes from: see ``explorer.data.read.data_path``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
from pandas.api.extensions import ExtensionArray

from ..errors import DataError
from .descriptor import Descriptor, FieldSpec, ResourceSpec
from .read import Cell, RawTable, data_path, read_package
from .validate import check, parse_citations, split_ids

__all__ = ["Citation", "Dataset", "load", "preload"]

#: Packages loaded by ``preload``: folder → (its files' fingerprint, the dataset).
_PRELOADED: dict[Path, tuple[tuple[tuple[str, int, int], ...], Dataset]] = {}


class Citation(NamedTuple):
    """One cited source: its id in the sources table and an optional locator (page, para)."""

    source_id: str
    locator: str | None

    def __str__(self) -> str:
        return f"{self.source_id}[{self.locator}]" if self.locator else self.source_id


@dataclass(frozen=True)
class Dataset:
    """A loaded data package: its declaration plus one typed DataFrame per table.

    Tables are attributes (``ds.projects``) and items (``ds["projects"]``). A dataset never
    changes once loaded; tables derived from it are computed once and kept in
    ``derived_cache`` (see ``explorer.data.derived``).
    """

    descriptor: Descriptor
    tables: dict[str, pd.DataFrame] = field(repr=False)
    derived_cache: dict[Any, Any] = field(default_factory=dict, init=False, repr=False,
                                          compare=False)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables: dict[str, pd.DataFrame] = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(f"the dataset has no table {name!r}; tables: {', '.join(tables)}")

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.tables))

    @property
    def version(self) -> str:
        """The dataset version declared in datapackage.json."""
        return self.descriptor.version

    @property
    def data_as_of(self) -> str:
        """The date the data was curated up to (datapackage.json ``created``), YYYY-MM-DD."""
        return self.descriptor.created[:10]

    @property
    def path(self) -> Path:
        """The folder the package was loaded from."""
        return self.descriptor.folder

    def citations(self) -> pd.DataFrame:
        """Every citation in every table, one per row: table, row_key, source_id, locator."""
        records = []
        for name, frame in self.tables.items():
            if "source_ids" not in frame.columns:
                continue
            keys = [frame[k].tolist() for k in self.descriptor.resource(name).primary_key]
            for index, citations in enumerate(frame["source_ids"].tolist()):
                row_key = " / ".join(str(values[index]) for values in keys)
                records += [(name, row_key, c.source_id, c.locator) for c in citations]
        return pd.DataFrame(records, columns=["table", "row_key", "source_id", "locator"])

    def describe(self) -> pd.DataFrame:
        """One row per table: name, title, rows and description (for a quick look)."""
        return pd.DataFrame(
            [(s.name, s.title, len(self.tables[s.name]), s.description)
             for s in self.descriptor.resources],
            columns=["table", "title", "rows", "description"],
        )


def load(path: str | Path | None = None) -> Dataset:
    """Load and validate a data package.

    Args:
        path: a package folder or its ``datapackage.json``; default: see ``data_path``.

    Returns:
        A ``Dataset`` of typed DataFrames.

    Raises:
        DataError: the package has problems; ``error.problems`` lists every one of them
            (``ProvenanceError`` when they all concern citations, sources or basis).
    """
    if _PRELOADED:
        folder = data_path(path)
        kept = _PRELOADED.get(folder)
        if kept is not None and kept[0] == _fingerprint(folder):
            return kept[1]
    package = read_package(path)
    problems = package.problems + check(package.descriptor, package.tables)
    if problems:
        raise DataError.from_problems(problems, str(package.descriptor.folder))
    tables = {spec.name: _typed(spec, package.tables[spec.name])
              for spec in package.descriptor.resources}
    return Dataset(package.descriptor, tables)


def preload(path: str | Path | None = None) -> Dataset:
    """Load a package and keep it: later ``load()`` calls for the same folder, in this
    process and in processes forked from it, return this dataset (and the derived tables
    computed from it since) for as long as none of the folder's files changes.

    ``explorer.serve.preload``'s preloader calls it once, so that the kernels it forks start with
    the data read, checked and already worked on. Nothing else does: a process that never
    calls it loads afresh every time.
    """
    folder = data_path(path)
    fingerprint = _fingerprint(folder)
    dataset = load(folder)
    _PRELOADED[folder] = (fingerprint, dataset)
    return dataset


def _fingerprint(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, size and modification time of every file under ``folder``."""
    found = []
    for file in sorted(folder.rglob("*")):
        with contextlib.suppress(OSError):
            stat = file.stat()
            if file.is_file():
                found.append((str(file.relative_to(folder)), stat.st_size, stat.st_mtime_ns))
    return tuple(found)


def _typed(spec: ResourceSpec, table: RawTable) -> pd.DataFrame:
    columns = {field_spec.name: _column(field_spec, [row[field_spec.name] for row in table.rows])
               for field_spec in spec.fields}
    return pd.DataFrame(columns, columns=list(spec.field_names))


def _column(field_spec: FieldSpec, values: list[Cell]) -> pd.Series | ExtensionArray:
    """One typed column from validated text cells (None = missing)."""
    if field_spec.is_citation:
        return pd.Series(
            [tuple(Citation(*c) for c in parse_citations(v)) if v is not None else ()
             for v in values],
            dtype=object,
        )
    if field_spec.references:
        return pd.Series([tuple(split_ids(v)) if v is not None else () for v in values],
                         dtype=object)
    if field_spec.enum is not None:
        return pd.Categorical(values, categories=list(field_spec.enum), ordered=True)
    if field_spec.type == "integer":
        return pd.array([int(v) if v is not None else None for v in values], dtype="Int64")
    if field_spec.type == "number":
        return pd.array([float(v) if v is not None else None for v in values], dtype="Float64")
    if field_spec.type == "date":
        return pd.to_datetime(pd.Series(values, dtype=object), format="%Y-%m-%d")
    if field_spec.type == "boolean":
        return pd.array([None if v is None else v == "true" for v in values], dtype="boolean")
    return pd.array(values, dtype="string")
