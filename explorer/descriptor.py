"""Read ``datapackage.json``: the one declaration of every table, field, vocabulary and key.

Nothing else in the package restates the schema: the validator and the loader take field
types, enums, patterns, primary and foreign keys from the ``Descriptor`` built here.
Metadata is strict: a misspelt key is a problem, not a silent default.

Two conventions go beyond the Frictionless standard, both declared in the descriptor:

- a field with ``"explorer:references": "table.field"`` holds a ``;``-separated list of ids
  that must each exist in that table (standard foreign keys cannot express lists);
- when that target is ``sources.source_id``, each item is a citation ``id[locator]``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DataError, Problem

__all__ = ["Descriptor", "FieldSpec", "ForeignKey", "ResourceSpec", "read_descriptor"]

DESCRIPTOR_NAME = "datapackage.json"
SOURCES_TABLE = "sources"
SOURCES_KEY = "source_id"
CITATION_FIELD = "source_ids"
BASIS_FIELD = "basis"

FIELD_TYPES = frozenset({"string", "integer", "number", "date", "boolean"})
PACKAGE_KEYS = frozenset({
    "profile", "name", "title", "description", "version", "created", "homepage",
    "licenses", "contributors", "resources", "sources", "keywords", "id",
})
RESOURCE_KEYS = frozenset({
    "name", "path", "profile", "format", "encoding", "mediatype", "title", "description",
    "schema", "licenses", "sources", "dialect",
})
SCHEMA_KEYS = frozenset({"fields", "primaryKey", "foreignKeys", "missingValues"})
FIELD_KEYS = frozenset({
    "name", "type", "title", "description", "constraints", "format", "explorer:references",
})
CONSTRAINT_KEYS = frozenset({
    "required", "unique", "enum", "pattern", "minimum", "maximum", "minLength", "maxLength",
})
REQUIRED_PACKAGE_KEYS = ("name", "version", "created", "licenses", "resources")


@dataclass(frozen=True)
class FieldSpec:
    """One column as declared: type, constraints and (for id lists) what it references."""

    name: str
    type: str
    title: str
    description: str
    required: bool = False
    unique: bool = False
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    references: tuple[str, str] | None = None

    @property
    def is_citation(self) -> bool:
        """True for the ``source_ids`` column: a list of ``id[locator]`` citations."""
        return self.references == (SOURCES_TABLE, SOURCES_KEY)


@dataclass(frozen=True)
class ForeignKey:
    """A single-column foreign key: ``field`` must exist in ``resource.target``."""

    field: str
    resource: str
    target: str


@dataclass(frozen=True)
class ResourceSpec:
    """One table as declared: its file, fields and keys."""

    name: str
    path: str
    title: str
    description: str
    fields: tuple[FieldSpec, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...]

    @property
    def field_names(self) -> tuple[str, ...]:
        """Column names in declared order."""
        return tuple(spec.name for spec in self.fields)

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
    licenses: tuple[dict, ...]
    resources: tuple[ResourceSpec, ...] = field(default_factory=tuple)

    def resource(self, name: str) -> ResourceSpec:
        """Return the declared resource called ``name``."""
        for spec in self.resources:
            if spec.name == name:
                return spec
        raise KeyError(name)


def read_descriptor(folder: Path) -> Descriptor:
    """Parse and check ``folder/datapackage.json``.

    Raises:
        DataError: the file is missing, is not JSON, or declares something this package
            cannot enforce (every problem found in the descriptor is listed).
    """
    path = folder / DESCRIPTOR_NAME
    if not path.is_file():
        raise DataError([_problem(None, "missing-file", str(path),
                                  "no datapackage.json here; point EXPLORER_DATA at a "
                                  "folder that holds one")], str(folder))
    try:
        raw = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as error:
        raise DataError([_problem(None, "encoding", repr(error.object[error.start:error.end]),
                                  "datapackage.json is not UTF-8 text")], str(folder)) from None
    except json.JSONDecodeError as error:
        raise DataError([Problem(DESCRIPTOR_NAME, error.lineno, None, "json", None,
                                 f"not valid JSON: {error.msg} (column {error.colno})")],
                        str(folder)) from None
    problems: list[Problem] = []
    descriptor = _build(folder, raw, problems)
    if problems:
        raise DataError.from_problems(problems, str(folder))
    return descriptor


def _problem(column: str | None, rule: str, value: str | None, message: str) -> Problem:
    return Problem(DESCRIPTOR_NAME, None, column, rule, value, message)


def _unknown_keys(obj: dict, allowed: frozenset[str], where: str, problems: list[Problem]):
    for key in sorted(set(obj) - allowed):
        problems.append(_problem(None, "descriptor-key", key,
                                 f"unknown key {key!r} in {where}; allowed: "
                                 f"{', '.join(sorted(allowed))}"))


def _build(folder: Path, raw: object, problems: list[Problem]) -> Descriptor:
    if not isinstance(raw, dict):
        problems.append(_problem(None, "descriptor", None, "the top level must be a JSON object"))
        return Descriptor(folder, "", "", "", "", "", ())
    _unknown_keys(raw, PACKAGE_KEYS, "the package", problems)
    for key in REQUIRED_PACKAGE_KEYS:
        if key not in raw:
            problems.append(_problem(None, "descriptor", None, f"the package needs {key!r}"))
    resources_raw = raw.get("resources")
    if not isinstance(resources_raw, list) or not resources_raw:
        problems.append(_problem(None, "descriptor", None,
                                 "'resources' must be a non-empty list of tables"))
        resources_raw = []
    resources = tuple(
        spec for index, item in enumerate(resources_raw)
        if (spec := _resource(index, item, problems)) is not None
    )
    _check_package_rules(resources, problems)
    return Descriptor(
        folder=folder,
        name=str(raw.get("name", "")),
        title=str(raw.get("title", "")),
        description=str(raw.get("description", "")),
        version=str(raw.get("version", "")),
        created=str(raw.get("created", "")),
        licenses=tuple(raw.get("licenses") or ()),
        resources=resources,
    )


def _resource(index: int, item: object, problems: list[Problem]) -> ResourceSpec | None:
    where = f"resource #{index + 1}"
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        problems.append(_problem(None, "descriptor", None, f"{where} needs a 'name'"))
        return None
    name = item["name"]
    where = f"resource {name!r}"
    _unknown_keys(item, RESOURCE_KEYS, where, problems)
    schema = item.get("schema")
    path = item.get("path")
    if not isinstance(path, str) or "/" in path or "\\" in path or path.startswith("."):
        problems.append(_problem(None, "descriptor", str(path),
                                 f"{where} needs a 'path' that is a plain file name"))
        return None
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
        problems.append(_problem(None, "descriptor", None, f"{where} needs schema.fields"))
        return None
    _unknown_keys(schema, SCHEMA_KEYS, f"{where} schema", problems)
    fields = tuple(
        spec for field_raw in schema["fields"]
        if (spec := _field(where, field_raw, problems)) is not None
    )
    names = [spec.name for spec in fields]
    primary_key = schema.get("primaryKey", [])
    primary_key = (primary_key,) if isinstance(primary_key, str) else tuple(primary_key)
    for key in primary_key:
        if key not in names:
            problems.append(_problem(key, "descriptor", key,
                                     f"{where} primary key names an undeclared field"))
    foreign_keys = []
    for fk in schema.get("foreignKeys", []):
        try:
            fields_ = fk["fields"]
            target_resource = fk["reference"]["resource"]
            target = fk["reference"]["fields"]
        except (KeyError, TypeError):
            problems.append(_problem(None, "descriptor", None,
                                     f"{where} has a malformed foreign key"))
            continue
        if not all(isinstance(x, str) for x in (fields_, target_resource, target)):
            problems.append(_problem(None, "descriptor", None,
                                     f"{where}: only single-column foreign keys are supported"))
            continue
        if fields_ not in names:
            problems.append(_problem(fields_, "descriptor", fields_,
                                     f"{where} foreign key names an undeclared field"))
            continue
        foreign_keys.append(ForeignKey(fields_, target_resource, target))
    return ResourceSpec(
        name=name,
        path=path,
        title=str(item.get("title", name)),
        description=str(item.get("description", "")),
        fields=fields,
        primary_key=primary_key,
        foreign_keys=tuple(foreign_keys),
    )


def _field(where: str, raw: object, problems: list[Problem]) -> FieldSpec | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        problems.append(_problem(None, "descriptor", None, f"{where} has a field with no name"))
        return None
    name = raw["name"]
    _unknown_keys(raw, FIELD_KEYS, f"{where} field {name!r}", problems)
    field_type = raw.get("type", "string")
    if field_type not in FIELD_TYPES:
        problems.append(_problem(name, "descriptor", str(field_type),
                                 f"{where} field {name!r} has unsupported type {field_type!r}"))
        return None
    constraints = raw.get("constraints", {})
    _unknown_keys(constraints, CONSTRAINT_KEYS, f"{where} field {name!r} constraints", problems)
    references = None
    if "explorer:references" in raw:
        target = str(raw["explorer:references"])
        table, _, column = target.partition(".")
        if not table or not column:
            problems.append(_problem(name, "descriptor", target,
                                     "explorer:references must look like 'table.field'"))
        else:
            references = (table, column)
    enum = constraints.get("enum")
    return FieldSpec(
        name=name,
        type=field_type,
        title=str(raw.get("title", name)),
        description=str(raw.get("description", "")),
        required=bool(constraints.get("required", False)),
        unique=bool(constraints.get("unique", False)),
        enum=tuple(str(value) for value in enum) if enum is not None else None,
        pattern=constraints.get("pattern"),
        minimum=constraints.get("minimum"),
        maximum=constraints.get("maximum"),
        references=references,
    )


def _check_package_rules(resources: tuple[ResourceSpec, ...], problems: list[Problem]) -> None:
    """Provenance is part of the contract: a replacement package may not drop it."""
    names = {spec.name for spec in resources}
    if SOURCES_TABLE not in names:
        problems.append(_problem(None, "provenance", None,
                                 "the package needs a 'sources' table for citations to resolve"))
    for spec in resources:
        if spec.name == SOURCES_TABLE:
            continue
        declared = set(spec.field_names)
        for needed in (CITATION_FIELD, BASIS_FIELD):
            if needed not in declared:
                problems.append(_problem(needed, "provenance", spec.name,
                                         f"table {spec.name!r} must declare a {needed!r} field: "
                                         "every fact needs its sources and basis"))
        for fk in spec.foreign_keys:
            if fk.resource not in names:
                problems.append(_problem(fk.field, "descriptor", fk.resource,
                                         f"table {spec.name!r} refers to unknown table "
                                         f"{fk.resource!r}"))
        for field_spec in spec.fields:
            if field_spec.references and field_spec.references[0] not in names:
                problems.append(_problem(field_spec.name, "descriptor",
                                         field_spec.references[0],
                                         f"table {spec.name!r} refers to unknown table "
                                         f"{field_spec.references[0]!r}"))
