"""Read ``datapackage.json``: the one declaration of every table, field, vocabulary and key.

The first step of the data layer: **descriptor** → read → validate → load. Nothing else in
the package restates the schema: ``read`` takes each file's encoding, dialect and missing
values from the ``Descriptor`` built here, ``validate`` its types, constraints and keys, and
``load`` its types and vocabularies.

Metadata is strict. Every key is applied, accepted as metadata, or reported — never
silently ignored: an unknown or misspelt key is a ``descriptor-key`` problem; a known key
whose value the explorer cannot honour is a ``descriptor`` problem.

==================  ======================================================================
where               keys
==================  ======================================================================
package             metadata: profile, name, title, description, version, created,
                    homepage, licenses, contributors, sources, keywords, id;
                    applied: resources
resource            metadata: profile, mediatype, title, description, licenses, sources;
                    applied: name, path (a plain file name), schema, format (only
                    ``csv``), encoding (any Python text codec, default ``utf-8``; a UTF-8
                    byte-order mark is tolerated), dialect
dialect             applied: delimiter, quoteChar, doubleQuote, skipInitialSpace, header
                    (only ``true``), lineTerminator (``\\r\\n``, ``\\n`` or ``\\r``: the
                    reader accepts all three)
schema              applied: fields, primaryKey (its fields are also required),
                    foreignKeys (single column; ``"resource": ""`` is the table itself),
                    missingValues (default ``[""]``: cells with these texts are missing)
field               metadata: title, description; applied: name, type (string, integer,
                    number, date, boolean), format, constraints, explorer:references
field format        ``default`` for every type, ``%Y-%m-%d`` for dates (the same);
                    ``uri`` and ``email`` for strings; any other format is a problem
constraints         required, unique, enum (every type); pattern, minLength, maxLength
                    (string); minimum, maximum (integer, number). A pattern is a Python
                    regular expression matched against the whole cell.
==================  ======================================================================

Two conventions go beyond the Frictionless standard, both declared in the descriptor:

- a field with ``"explorer:references": "table.field"`` holds a ``;``-separated list of ids
  that must each exist in that table (standard foreign keys cannot express lists);
- when that target is ``sources.source_id``, the field is a citation list,
  ``id[locator]; id``. Its grammar is the field's declared ``pattern``; a citation field
  that declares none gets ``DEFAULT_CITATION_PATTERN``, the one default in the code.
"""

from __future__ import annotations

import codecs
import json
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import DataError, Problem, Rule

__all__ = [
    "DEFAULT_CITATION_PATTERN",
    "Descriptor",
    "Dialect",
    "FieldSpec",
    "ForeignKey",
    "ResourceSpec",
    "decode_text",
    "read_descriptor",
]

DESCRIPTOR_NAME = "datapackage.json"
SOURCES_TABLE = "sources"
SOURCES_KEY = "source_id"
CITATION_FIELD = "source_ids"
UTF8_BOM = b"\xef\xbb\xbf"
BASIS_FIELD = "basis"

#: The grammar of a citation list when a citation field declares no pattern:
#: ``id`` or ``id[locator]`` items separated by ``;`` (one optional space after it).
DEFAULT_CITATION_PATTERN = (
    r"[a-z0-9][a-z0-9-]*(\[[^\[\]]+\])?(; ?[a-z0-9][a-z0-9-]*(\[[^\[\]]+\])?)*"
)

FIELD_TYPES = ("string", "integer", "number", "date", "boolean")
FIELD_FORMATS = {
    "string": ("default", "uri", "email"),
    "integer": ("default",),
    "number": ("default",),
    "date": ("default", "%Y-%m-%d"),
    "boolean": ("default",),
}
# Which constraints each type supports (as in the Table Schema standard).
TYPE_CONSTRAINTS = {
    "string": ("required", "unique", "enum", "pattern", "minLength", "maxLength"),
    "integer": ("required", "unique", "enum", "minimum", "maximum"),
    "number": ("required", "unique", "enum", "minimum", "maximum"),
    "date": ("required", "unique", "enum"),
    "boolean": ("required", "unique", "enum"),
}
PACKAGE_KEYS = frozenset({
    "profile", "name", "title", "description", "version", "created", "homepage",
    "licenses", "contributors", "resources", "sources", "keywords", "id",
})
RESOURCE_KEYS = frozenset({
    "name", "path", "profile", "format", "encoding", "mediatype", "title", "description",
    "schema", "licenses", "sources", "dialect",
})
DIALECT_KEYS = frozenset({
    "delimiter", "quoteChar", "doubleQuote", "skipInitialSpace", "header", "lineTerminator",
})
SCHEMA_KEYS = frozenset({"fields", "primaryKey", "foreignKeys", "missingValues"})
FIELD_KEYS = frozenset({
    "name", "type", "title", "description", "constraints", "format", "explorer:references",
})
CONSTRAINT_KEYS = frozenset(key for keys in TYPE_CONSTRAINTS.values() for key in keys)
REQUIRED_PACKAGE_KEYS = ("name", "version", "created", "licenses", "resources")
TEXT_METADATA = ("name", "title", "description", "version", "created", "homepage", "id",
                 "profile", "mediatype")
LIST_METADATA = ("licenses", "contributors", "sources", "keywords")
LINE_TERMINATORS = ("\r\n", "\n", "\r")

JSONObject = dict[str, object]


@dataclass(frozen=True)
class FieldSpec:
    """One column as declared: type, format, constraints and what it references."""

    name: str
    type: str
    title: str
    description: str
    format: str = "default"
    required: bool = False
    unique: bool = False
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    references: tuple[str, str] | None = None
    regex: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        regex = re.compile(self.pattern) if self.pattern is not None else None
        object.__setattr__(self, "regex", regex)

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
class Dialect:
    """How a CSV file is written (Frictionless CSV Dialect; defaults as in the standard)."""

    delimiter: str = ","
    quote_char: str = '"'
    double_quote: bool = True
    skip_initial_space: bool = False
    line_terminator: str = "\r\n"


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
    dialect: Dialect = Dialect()
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

    def resource(self, name: str) -> ResourceSpec:
        """Return the declared resource called ``name``."""
        for spec in self.resources:
            if spec.name == name:
                return spec
        raise KeyError(name)


def decode_text(data: bytes, path: str, encoding: str, problems: list[Problem]) -> str | None:
    """A file's text in its declared encoding (a UTF-8 byte-order mark is tolerated); None,
    with the problem added to ``problems``, when the bytes are not in that encoding."""
    utf8 = codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")
    if utf8:
        data = data.removeprefix(UTF8_BOM)
    try:
        return data.decode("utf-8" if utf8 else encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        bad = data[error.start : error.end]
        advice = ("save the file as UTF-8" if utf8 else
                  f"save the file as {encoding} or declare its encoding in datapackage.json")
        name = "UTF-8" if utf8 else encoding
        problems.append(Problem(path, line, None, Rule.ENCODING, repr(bad),
                                f"not {name} text (byte {bad.hex(' ')}); {advice}"))
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
                                  "no datapackage.json here; point EXPLORER_DATA at a "
                                  "folder that holds one")], str(folder))
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


def _problem(column: str | None, rule: Rule, value: str | None, message: str) -> Problem:
    return Problem(DESCRIPTOR_NAME, None, column, rule, value, message)


def _unknown_keys(obj: JSONObject, allowed: frozenset[str], where: str,
                  problems: list[Problem]) -> None:
    for key in sorted(set(obj) - allowed):
        problems.append(_problem(None, Rule.DESCRIPTOR_KEY, key,
                                 f"unknown key {key!r} in {where}; allowed: "
                                 f"{', '.join(sorted(allowed))}"))


def _object(value: object) -> JSONObject | None:
    """``value`` as a JSON object with text keys, or None when it is not one."""
    return value if isinstance(value, dict) else None


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


def _encoding(where: str, encoding: object, problems: list[Problem]) -> str:
    if isinstance(encoding, str) and _is_text_encoding(encoding):
        return encoding
    problems.append(_problem(None, Rule.DESCRIPTOR, str(encoding),
                             f"{where} declares encoding {encoding!r}, which is not a known "
                             "text encoding; use e.g. 'utf-8'"))
    return "utf-8"


def _is_text_encoding(name: str) -> bool:
    """True when Python can decode bytes to text with ``name`` (not e.g. 'hex' or 'zlib')."""
    try:
        info = codecs.lookup(name)
        if not getattr(info, "_is_text_encoding", True):
            return False
        return isinstance(info.decode(b"")[0], str)
    except (LookupError, ValueError, TypeError):  # unknown, or unusable ('undefined')
        return False


def _dialect(where: str, raw: object, problems: list[Problem]) -> Dialect:
    where = f"{where} dialect"
    dialect = _object(raw)
    if dialect is None:
        problems.append(_problem(None, Rule.DESCRIPTOR, None, f"{where} must be an object"))
        return Dialect()
    _unknown_keys(dialect, DIALECT_KEYS, where, problems)
    if dialect.get("header", True) is not True:
        problems.append(_problem(None, Rule.DESCRIPTOR, str(dialect["header"]),
                                 f"{where}: only 'header': true is supported; the first line "
                                 "of each file must name its columns"))
    default = Dialect()
    chars = {}
    for key, fallback in (("delimiter", default.delimiter), ("quoteChar", default.quote_char)):
        value = dialect.get(key, fallback)
        if not isinstance(value, str) or len(value) != 1 or value in "\r\n":
            problems.append(_problem(None, Rule.DESCRIPTOR, str(value),
                                     f"{where}: {key!r} must be one character (not a line "
                                     "break)"))
            value = fallback
        chars[key] = value
    if chars["delimiter"] == chars["quoteChar"]:
        problems.append(_problem(None, Rule.DESCRIPTOR, chars["delimiter"],
                                 f"{where}: 'delimiter' and 'quoteChar' must differ"))
        chars = {"delimiter": default.delimiter, "quoteChar": default.quote_char}
    flags = {}
    for key, flag in (("doubleQuote", default.double_quote),
                      ("skipInitialSpace", default.skip_initial_space)):
        value = dialect.get(key, flag)
        if not isinstance(value, bool):
            problems.append(_problem(None, Rule.DESCRIPTOR, str(value),
                                     f"{where}: {key!r} must be true or false"))
            value = flag
        flags[key] = value
    terminator = dialect.get("lineTerminator", default.line_terminator)
    if terminator not in LINE_TERMINATORS:
        problems.append(_problem(None, Rule.DESCRIPTOR, repr(terminator),
                                 f"{where}: 'lineTerminator' must be \"\\r\\n\", \"\\n\" or "
                                 "\"\\r\""))
        terminator = default.line_terminator
    assert isinstance(terminator, str)  # one of LINE_TERMINATORS; narrows the type
    return Dialect(delimiter=chars["delimiter"], quote_char=chars["quoteChar"],
                   double_quote=flags["doubleQuote"],
                   skip_initial_space=flags["skipInitialSpace"], line_terminator=terminator)


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


def _field(where: str, raw: object, problems: list[Problem]) -> FieldSpec | None:
    item = _object(raw)
    if item is None or not isinstance(item.get("name"), str):
        problems.append(_problem(None, Rule.DESCRIPTOR, None,
                                 f"{where} has a field with no name"))
        return None
    name = str(item["name"])
    where = f"{where} field {name!r}"
    _unknown_keys(item, FIELD_KEYS, where, problems)
    field_type = item.get("type", "string")
    if not isinstance(field_type, str) or field_type not in FIELD_TYPES:
        problems.append(_problem(name, Rule.DESCRIPTOR, str(field_type),
                                 f"{where} has unsupported type {field_type!r}; supported: "
                                 f"{', '.join(FIELD_TYPES)}"))
        return None
    field_format = item.get("format", "default")
    if field_format not in FIELD_FORMATS[field_type]:
        problems.append(_problem(name, Rule.DESCRIPTOR, str(field_format),
                                 f"{where} has unsupported format {field_format!r}; "
                                 f"{field_type} fields support: "
                                 f"{', '.join(FIELD_FORMATS[field_type])}"))
        field_format = "default"
    constraints = _object(item.get("constraints", {}))
    if constraints is None:
        problems.append(_problem(name, Rule.DESCRIPTOR, None,
                                 f"{where}: 'constraints' must be an object"))
        constraints = {}
    _unknown_keys(constraints, CONSTRAINT_KEYS, f"{where} constraints", problems)
    references = None
    if "explorer:references" in item:
        target = str(item["explorer:references"])
        table, _, column = target.partition(".")
        if not table or not column:
            problems.append(_problem(name, Rule.DESCRIPTOR, target,
                                     "explorer:references must look like 'table.field'"))
        else:
            references = (table, column)
    spec = FieldSpec(name=name, type=field_type, title=str(item.get("title", name)),
                     description=str(item.get("description", "")),
                     format=str(field_format), references=references)
    return _constrained(spec, where, constraints, problems)


def _constrained(spec: FieldSpec, where: str, constraints: JSONObject,
                 problems: list[Problem]) -> FieldSpec:
    """``spec`` with its constraints applied; each unusable constraint is a problem."""

    def bad(key: str, expected: str) -> None:
        problems.append(_problem(spec.name, Rule.DESCRIPTOR, str(constraints[key]),
                                 f"{where} constraint {key!r} must be {expected}"))

    required = unique = False
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    lengths: dict[str, int] = {}
    bounds: dict[str, float] = {}
    supported = TYPE_CONSTRAINTS[spec.type]
    for key in sorted(CONSTRAINT_KEYS.intersection(constraints)):
        value = constraints[key]
        if key not in supported:
            problems.append(_problem(spec.name, Rule.DESCRIPTOR, key,
                                     f"{where}: constraint {key!r} does not apply to "
                                     f"{spec.type} fields; they support: "
                                     f"{', '.join(supported)}"))
        elif key in ("required", "unique"):
            if not isinstance(value, bool):
                bad(key, "true or false")
            elif key == "required":
                required = value
            else:
                unique = value
        elif key == "enum":
            if isinstance(value, list) and value and not any(
                    isinstance(item, (dict, list)) for item in value):
                enum = tuple(str(item) for item in value)
            else:
                bad(key, "a non-empty list of values")
        elif key == "pattern":
            if not isinstance(value, str):
                bad(key, "text")
                continue
            try:
                re.compile(value)
            except re.error as error:
                bad(key, f"a valid regular expression ({error})")
                continue
            pattern = value
        elif key in ("minLength", "maxLength"):
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                lengths[key] = value
            else:
                bad(key, "a whole number, 0 or more")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            bounds[key] = value  # minimum, maximum
        else:
            bad(key, "a number")
    if pattern is None and spec.is_citation:
        pattern = DEFAULT_CITATION_PATTERN
    return replace(
        spec, required=required, unique=unique, enum=enum, pattern=pattern,
        min_length=lengths.get("minLength"), max_length=lengths.get("maxLength"),
        minimum=bounds.get("minimum"), maximum=bounds.get("maximum"),
    )


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
