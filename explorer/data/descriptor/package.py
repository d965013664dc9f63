"""The package and its tables: ``read_descriptor`` and what it builds."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from ...errors import DataError, Problem, Rule
from .common import DESCRIPTOR_NAME, JSONObject, _object, _problem, _unknown_keys
from .dialect import Dialect, _dialect, _encoding, decode_text
from .facets import FacetSpec, check_facets, read_facets
from .fields import SOURCES_TABLE, FieldSpec, _field

CITATION_FIELD = "source_ids"
BASIS_FIELD = "basis"


PACKAGE_KEYS = frozenset({
    "profile", "name", "title", "description", "version", "created", "homepage",
    "licenses", "contributors", "resources", "sources", "keywords", "id", "explorer:facets",
})
RESOURCE_KEYS = frozenset({
    "name", "path", "profile", "format", "encoding", "mediatype", "title", "description",
    "schema", "licenses", "sources", "dialect",
})
SCHEMA_KEYS = frozenset({"fields", "primaryKey", "foreignKeys", "missingValues"})
REQUIRED_PACKAGE_KEYS = ("name", "version", "created", "licenses", "resources")
TEXT_METADATA = ("name", "title", "description", "version", "created", "homepage", "id",
                 "profile", "mediatype")
LIST_METADATA = ("licenses", "contributors", "sources", "keywords")



@dataclass(frozen=True)
class ForeignKey:
    """A single-column foreign key: ``field`` must exist in ``resource.target``."""

    field: str
    resource: str
    target: str


@dataclass(frozen=True)
class ResourceSpec:
    """One table as declared: its file, how the file is written, its fields and keys."""

    name: str
    path: str
    title: str
    description: str
    fields: tuple[FieldSpec, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...]
    encoding: str = "utf-8"
    dialect: Dialect = field(default_factory=Dialect)
    missing_values: tuple[str, ...] = ("",)

    @property
    def field_names(self) -> tuple[str, ...]:
        """Column names in declared order."""
        return tuple(spec.name for spec in self.fields)

    @property
    def references(self) -> tuple[tuple[str, str, str, bool], ...]:
        """``(column, table, target column, is a ';'-list)`` for every reference this table
        makes: its foreign keys, then its fields' ``explorer:references``."""
        return (*((fk.field, fk.resource, fk.target, False) for fk in self.foreign_keys),
                *((f.name, *f.references, True) for f in self.fields if f.references))

    def field(self, name: str) -> FieldSpec:
        """Return the declared field called ``name``."""
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)


@dataclass(frozen=True)
class Descriptor:
    """The whole package declaration plus where it lives."""

    folder: Path
    name: str
    title: str
    description: str
    version: str
    created: str
    licenses: tuple[JSONObject, ...]
    resources: tuple[ResourceSpec, ...] = ()
    facets: tuple[FacetSpec, ...] = ()

    def resource(self, name: str) -> ResourceSpec:
        """Return the declared resource called ``name``."""
        for spec in self.resources:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def field(self, table: str, name: str) -> FieldSpec:
        """Return the field ``name`` of the table ``table``."""
        return self.resource(table).field(name)

    def facet(self, name: str) -> FacetSpec:
        """Return the declared facet called ``name``."""
        for spec in self.facets:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def refers_to(self, table: str, column: str) -> str | None:
        """The table that ``table.column`` refers to (a foreign key or a list), or None."""
        for name, target, _, _ in self.resource(table).references:
            if name == column:
                return target
        return None


def read_descriptor(folder: Path) -> Descriptor:
    """Parse and check ``folder/datapackage.json``.

    Raises:
        DataError: the file is missing, is not UTF-8 JSON, or declares something this
            package cannot enforce (every problem found in the descriptor is listed).
    """
    path = folder / DESCRIPTOR_NAME
    if not path.is_file():
        raise DataError([_problem(None, Rule.MISSING_FILE, str(path),
                                  f"no datapackage.json in {folder}; point EXPLORER_DATA at "
                                  "a folder that holds one (an absolute path, or one relative "
                                  "to the folder the server was started in, or to "
                                  "EXPLORER_DATA_BASE when that is set)")], str(folder))
    problems: list[Problem] = []
    text = decode_text(path.read_bytes(), DESCRIPTOR_NAME, "utf-8", problems)
    if text is None:
        raise DataError(problems, str(folder))
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise DataError([Problem(DESCRIPTOR_NAME, error.lineno, None, Rule.JSON, None,
                                 f"not valid JSON: {error.msg} (column {error.colno})")],
                        str(folder)) from None
    descriptor = _build(folder, raw, problems)
    if problems:
        raise DataError.from_problems(problems, str(folder))
    return descriptor


def _check_metadata(obj: JSONObject, where: str, problems: list[Problem]) -> None:
    """Metadata is not applied, but its shape is checked so that no reader trips on it."""
    for key in TEXT_METADATA:
        if key in obj and not isinstance(obj[key], str):
            problems.append(_problem(None, Rule.DESCRIPTOR, key,
                                     f"{where}: {key!r} must be text"))
    for key in LIST_METADATA:
        if key in obj and not isinstance(obj[key], list):
            problems.append(_problem(None, Rule.DESCRIPTOR, key,
                                     f"{where}: {key!r} must be a list"))


def _build(folder: Path, raw: object, problems: list[Problem]) -> Descriptor:
    package = _object(raw)
    if package is None:
        problems.append(_problem(None, Rule.DESCRIPTOR, None,
                                 "the top level must be a JSON object"))
        return Descriptor(folder, "", "", "", "", "", ())
    _unknown_keys(package, PACKAGE_KEYS, "the package", problems)
    _check_metadata(package, "the package", problems)
    for key in REQUIRED_PACKAGE_KEYS:
        if key not in package:
            problems.append(_problem(None, Rule.DESCRIPTOR, None, f"the package needs {key!r}"))
    resources_raw = package.get("resources")
    if not isinstance(resources_raw, list) or not resources_raw:
        problems.append(_problem(None, Rule.DESCRIPTOR, None,
                                 "'resources' must be a non-empty list of tables"))
        resources_raw = []
    resources = tuple(
        spec for index, item in enumerate(resources_raw)
        if (spec := _resource(index, item, problems)) is not None
    )
    _check_package_rules(resources, problems)
    facets = read_facets(package.get("explorer:facets"), problems)
    check_facets(facets, {spec.name: {f.name: f for f in spec.fields} for spec in resources},
                 {(spec.name, column): table for spec in resources
                  for column, table, _, _ in spec.references}, problems)
    licenses = package.get("licenses")
    return Descriptor(
        folder=folder,
        name=str(package.get("name", "")),
        title=str(package.get("title", "")),
        description=str(package.get("description", "")),
        version=str(package.get("version", "")),
        created=str(package.get("created", "")),
        licenses=tuple(item for item in licenses if isinstance(item, dict))
        if isinstance(licenses, list) else (),
        resources=resources,
        facets=facets,
    )


def _resource(index: int, raw: object, problems: list[Problem]) -> ResourceSpec | None:
    where = f"resource #{index + 1}"
    item = _object(raw)
    if item is None or not isinstance(item.get("name"), str):
        problems.append(_problem(None, Rule.DESCRIPTOR, None, f"{where} needs a 'name'"))
        return None
    name = str(item["name"])
    where = f"resource {name!r}"
    _unknown_keys(item, RESOURCE_KEYS, where, problems)
    _check_metadata(item, where, problems)
    path = item.get("path")
    if not isinstance(path, str) or "/" in path or "\\" in path or path.startswith("."):
        problems.append(_problem(None, Rule.DESCRIPTOR, str(path),
                                 f"{where} needs a 'path' that is a plain file name"))
        return None
    file_format = item.get("format", "csv")
    if file_format != "csv":
        problems.append(_problem(None, Rule.DESCRIPTOR, str(file_format),
                                 f"{where} has format {file_format!r}; only 'csv' is supported"))
    encoding = _encoding(where, item.get("encoding", "utf-8"), problems)
    dialect = _dialect(where, item.get("dialect", {}), problems)
    schema = _object(item.get("schema"))
    if schema is None or not isinstance(schema.get("fields"), list):
        problems.append(_problem(None, Rule.DESCRIPTOR, None, f"{where} needs schema.fields"))
        return None
    _unknown_keys(schema, SCHEMA_KEYS, f"{where} schema", problems)
    fields_raw = schema["fields"]
    assert isinstance(fields_raw, list)  # checked above; narrows the type
    fields = tuple(
        spec for field_raw in fields_raw
        if (spec := _field(where, field_raw, problems)) is not None
    )
    names = [spec.name for spec in fields]
    for duplicate in sorted(n for n, count in Counter(names).items() if count > 1):
        problems.append(_problem(duplicate, Rule.DESCRIPTOR, duplicate,
                                 f"{where} declares the field {duplicate!r} more than once"))
    primary_key = _primary_key(where, schema.get("primaryKey", []), names, problems)
    # A primary key identifies a row, so every part of it must be present (Table Schema).
    fields = tuple(replace(spec, required=True) if spec.name in primary_key else spec
                   for spec in fields)
    return ResourceSpec(
        name=name,
        path=path,
        title=str(item.get("title", name)),
        description=str(item.get("description", "")),
        fields=fields,
        primary_key=primary_key,
        foreign_keys=_foreign_keys(name, where, schema.get("foreignKeys", []), names,
                                   problems),
        encoding=encoding,
        dialect=dialect,
        missing_values=_missing_values(where, schema.get("missingValues", [""]), problems),
    )


def _missing_values(where: str, raw: object, problems: list[Problem]) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(value, str) for value in raw):
        problems.append(_problem(None, Rule.DESCRIPTOR, None,
                                 f"{where} schema: 'missingValues' must be a list of texts"))
        return ("",)
    return tuple(str(value) for value in raw)


def _primary_key(where: str, raw: object, names: list[str],
                 problems: list[Problem]) -> tuple[str, ...]:
    keys = [raw] if isinstance(raw, str) else raw
    if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
        problems.append(_problem(None, Rule.DESCRIPTOR, None,
                                 f"{where} schema: 'primaryKey' must be a field name or a "
                                 "list of field names"))
        return ()
    for key in keys:
        if key not in names:
            problems.append(_problem(key, Rule.DESCRIPTOR, key,
                                     f"{where} primary key names an undeclared field"))
    return tuple(str(key) for key in keys if key in names)


def _foreign_keys(name: str, where: str, raw: object, names: list[str],
                  problems: list[Problem]) -> tuple[ForeignKey, ...]:
    if not isinstance(raw, list):
        problems.append(_problem(None, Rule.DESCRIPTOR, None,
                                 f"{where} schema: 'foreignKeys' must be a list"))
        return ()
    foreign_keys = []
    for item in raw:
        try:
            fields_ = item["fields"]
            target_resource = item["reference"]["resource"]
            target = item["reference"]["fields"]
        except (KeyError, TypeError):
            problems.append(_problem(None, Rule.DESCRIPTOR, None,
                                     f"{where} has a malformed foreign key"))
            continue
        if not all(isinstance(x, str) for x in (fields_, target_resource, target)):
            problems.append(_problem(None, Rule.DESCRIPTOR, None,
                                     f"{where}: only single-column foreign keys are supported"))
            continue
        if fields_ not in names:
            problems.append(_problem(fields_, Rule.DESCRIPTOR, fields_,
                                     f"{where} foreign key names an undeclared field"))
            continue
        # An empty resource name refers to the table itself (Table Schema).
        foreign_keys.append(ForeignKey(fields_, target_resource or name, target))
    return tuple(foreign_keys)


def _check_package_rules(resources: tuple[ResourceSpec, ...], problems: list[Problem]) -> None:
    """Tables and keys must resolve; provenance is part of the contract."""
    names = Counter(spec.name for spec in resources)
    for duplicate in sorted(name for name, count in names.items() if count > 1):
        problems.append(_problem(None, Rule.DESCRIPTOR, duplicate,
                                 f"the package declares the table {duplicate!r} more than "
                                 "once"))
    declared = {spec.name: set(spec.field_names) for spec in resources}
    if SOURCES_TABLE not in names:
        problems.append(_problem(None, Rule.PROVENANCE, None,
                                 "the package needs a 'sources' table for citations to resolve"))
    for spec in resources:
        if spec.name != SOURCES_TABLE:
            for needed in (CITATION_FIELD, BASIS_FIELD):
                if needed not in declared[spec.name]:
                    problems.append(_problem(
                        needed, Rule.PROVENANCE, spec.name,
                        f"table {spec.name!r} must declare a {needed!r} field: every fact "
                        "needs its sources and basis"))
        for column, table, target, _ in spec.references:
            if table not in declared:
                problems.append(_problem(column, Rule.DESCRIPTOR, table,
                                         f"table {spec.name!r} refers to unknown table "
                                         f"{table!r}"))
            elif target not in declared[table]:
                problems.append(_problem(column, Rule.DESCRIPTOR, f"{table}.{target}",
                                         f"table {spec.name!r} refers to {table}.{target}, "
                                         "which is not a declared field"))
