"""Load a validated data package into typed pandas tables.

``load()`` reads ``datapackage.json`` and every CSV it declares, validates everything
(``explorer.validate``), raises one ``DataError`` listing every problem, and otherwise
returns a ``Dataset``: one DataFrame per table, typed from the declaration —

- enum fields become ordered ``Categorical`` columns (categories in declared order);
- integers become ``Int64`` and numbers ``Float64`` (nullable: empty means "not found");
- dates become ``datetime64``; other text becomes pandas ``string``;
- ``source_ids`` becomes a tuple of ``Citation(source_id, locator)``;
- other ``;``-separated id lists become tuples of ids.

Where the data comes from: ``path`` if given, else the ``EXPLORER_DATA`` environment
variable, else the data embedded in the package (``data/`` in a clone).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from .descriptor import DESCRIPTOR_NAME, Descriptor, ResourceSpec
from .errors import DataError
from .validate import RawTable, parse_citations, read_package, split_ids

__all__ = ["Citation", "Dataset", "data_path", "load"]

ENV_VAR = "EXPLORER_DATA"
_PACKAGE_DIR = Path(__file__).resolve().parent


class Citation(NamedTuple):
    """One cited source: its id in the sources table and an optional locator (page, para)."""

    source_id: str
    locator: str | None

    def __str__(self) -> str:
        return f"{self.source_id}[{self.locator}]" if self.locator else self.source_id


def data_path(path: str | Path | None = None) -> Path:
    """Return the folder of the data package to use.

    Order: ``path`` argument, then ``$EXPLORER_DATA``, then the embedded data (inside an
    installed wheel: ``explorer/_data``; in a clone: the repository's ``data/``). A path to
    ``datapackage.json`` itself is accepted too.
    """
    chosen = path if path is not None else os.environ.get(ENV_VAR) or None
    if chosen is None:
        embedded = _PACKAGE_DIR / "_data"
        folder = embedded if embedded.is_dir() else _PACKAGE_DIR.parent / "data"
    else:
        folder = Path(chosen).expanduser()
    if folder.name == DESCRIPTOR_NAME:
        folder = folder.parent
    return folder


@dataclass(frozen=True)
class Dataset:
    """A loaded data package: its declaration plus one typed DataFrame per table.

    Tables are attributes (``ds.projects``) and items (``ds["projects"]``).
    """

    descriptor: Descriptor
    tables: dict[str, pd.DataFrame] = field(repr=False)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
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
            key = self.descriptor.resource(name).primary_key
            for row in frame.itertuples(index=False):
                row_key = " / ".join(str(getattr(row, k)) for k in key)
                records += [(name, row_key, c.source_id, c.locator) for c in row.source_ids]
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
    descriptor, raw_tables, problems = read_package(path)
    if problems:
        raise DataError.from_problems(problems, str(descriptor.folder))
    tables = {spec.name: _typed(spec, raw_tables[spec.name]) for spec in descriptor.resources}
    return Dataset(descriptor, tables)


def _typed(spec: ResourceSpec, table: RawTable) -> pd.DataFrame:
    columns: dict[str, object] = {}
    for field_spec in spec.fields:
        values = [row[field_spec.name] for row in table.rows]
        columns[field_spec.name] = _column(field_spec, values)
    return pd.DataFrame(columns, columns=list(spec.field_names))


def _column(field_spec, values: list[str]):
    if field_spec.is_citation:
        return pd.Series(
            [tuple(Citation(*c) for c in parse_citations(v)) if v else () for v in values],
            dtype=object,
        )
    if field_spec.references:
        return pd.Series([tuple(split_ids(v)) for v in values], dtype=object)
    if field_spec.enum is not None:
        return pd.Categorical([v or None for v in values], categories=list(field_spec.enum),
                              ordered=True)
    if field_spec.type == "integer":
        return pd.array([int(v) if v else None for v in values], dtype="Int64")
    if field_spec.type == "number":
        return pd.array([float(v) if v else None for v in values], dtype="Float64")
    if field_spec.type == "date":
        return pd.to_datetime(pd.Series([v or None for v in values], dtype=object),
                              format="%Y-%m-%d")
    if field_spec.type == "boolean":
        return pd.array([None if v == "" else v == "true" for v in values], dtype="boolean")
    return pd.array([v or None for v in values], dtype="string")
