"""One column as declared: type, format, constraints, references and value labels."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from ...errors import Problem, Rule
from .common import JSONObject, _object, _problem, _unknown_keys

SOURCES_TABLE = "sources"
SOURCES_KEY = "source_id"

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


FIELD_KEYS = frozenset({
    "name", "type", "title", "description", "constraints", "format", "explorer:references",
    "explorer:values",
})


CONSTRAINT_KEYS = frozenset(key for keys in TYPE_CONSTRAINTS.values() for key in keys)


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
    values: Mapping[str, tuple[str, str]] = field(default_factory=lambda: MappingProxyType({}))
    regex: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        regex = re.compile(self.pattern) if self.pattern is not None else None
        object.__setattr__(self, "regex", regex)

    def value_title(self, value: str) -> str | None:
        """The plain-language title ``explorer:values`` gives ``value``, or None."""
        declared = self.values.get(value)
        return declared[0] if declared else None

    def value_help(self, value: str) -> str:
        """The one-sentence explanation ``explorer:values`` gives ``value`` ('' if none)."""
        declared = self.values.get(value)
        return declared[1] if declared else ""

    @property
    def is_citation(self) -> bool:
        """True for the ``source_ids`` column: a list of ``id[locator]`` citations."""
        return self.references == (SOURCES_TABLE, SOURCES_KEY)


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
                     format=str(field_format), references=references,
                     values=_values(name, where, item.get("explorer:values", {}), problems))
    spec = _constrained(spec, where, constraints, problems)
    unknown = sorted(set(spec.values) - set(spec.enum or ()))
    if unknown:
        problems.append(_problem(name, Rule.DESCRIPTOR, ", ".join(unknown),
                                 f"{where}: explorer:values names values its enum does not "
                                 "declare"))
    return spec


VALUE_KEYS = frozenset({"title", "description"})


def _values(name: str, where: str, raw: object,
            problems: list[Problem]) -> Mapping[str, tuple[str, str]]:
    """``explorer:values``: a title and a one-sentence description per enum value, so that
    labels and help texts for a vocabulary live in the declaration, not in code."""
    declared = _object(raw)
    if declared is None:
        problems.append(_problem(name, Rule.DESCRIPTOR, None,
                                 f"{where}: explorer:values must map values to "
                                 "{title, description}"))
        return MappingProxyType({})
    values = {}
    for value, entry in declared.items():
        item = _object(entry)
        if item is None or not isinstance(item.get("title"), str) or not isinstance(
                item.get("description", ""), str):
            problems.append(_problem(name, Rule.DESCRIPTOR, str(value),
                                     f"{where}: explorer:values[{value!r}] needs a text "
                                     "'title' and may have a text 'description'"))
            continue
        _unknown_keys(item, VALUE_KEYS, f"{where} explorer:values[{value!r}]", problems)
        values[str(value)] = (str(item["title"]), str(item.get("description", "")))
    return MappingProxyType(values)


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
