"""``explorer:facets``: which fields the evidence can be filtered and grouped by, declared once.

A facet is a question a reader can ask of every evidence record ("which project?", "which
kind of context?"). The package declares each one, in the order pages list them::

    "explorer:facets": [
      {"name": "project", "title": "Project", "plural": "Projects", "column": true,
       "labels": "short_name", "description": "...",
       "path": ["mechanism_evidence.project_id"]},
      {"name": "context_dimension", "title": "Context dimension", "column": true,
       "path": ["mechanism_evidence.context_ids", "contexts.dimension"]}
    ]

``path`` starts at a field of the records table (the same table for every facet) and follows
the package's own references: a step ``table.field`` either reads ``field`` of the rows the
previous field refers to (``context_ids`` → ``contexts``), or of the rows of ``table`` that
refer to the same thing as the previous field (``project_id`` → ``project_relationships``,
whose ``project_id`` refers to ``projects`` too). The facet's values are its last field's:
the rows of the table it refers to (labelled by that table's ``labels`` field, default
``label``), or its enum (labelled by the field's ``explorer:values`` titles).

``column`` facets can be the matrix's columns; ``plural`` names them there (default: the
title with an ``s``). A facet whose values are computed from the data by a rule of the
codebook (each rating's confidence) declares ``"computed": "confidence"`` instead of a path.
Nothing else in the explorer lists facets; the few the code asks for by name are
``REQUIRED_FACETS``, and a package that lacks one fails validation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ...errors import Problem, Rule
from .common import _object, _problem, _unknown_keys

FACET_KEYS = frozenset({"name", "title", "plural", "description", "path", "labels", "column",
                        "computed"})
#: Facets whose values the explorer computes from the data by a rule the codebook writes
#: down, instead of reading them along a path: a facet declares ``"computed": <name>``.
COMPUTED_FACETS = ("confidence",)
# The facets the explorer's own code asks for by name: the one place the code writes their
# names. Code elsewhere uses these constants, never the strings (tests/test_facet_names.py).
PROJECT = "project"
MECHANISM = "mechanism"
STRENGTH = "strength"
RELATIONSHIP_TYPE = "relationship_type"
CONTEXT_DIMENSION = "context_dimension"
SETTING_TYPE = "setting_type"
ACTIVITY_TYPE = "activity_type"
#: Each facet the code asks for by name, and what for. A package must declare each
#: (``check_facets`` says which is missing), so renaming one in ``datapackage.json`` fails
#: validation instead of a page at run time.
REQUIRED_FACETS: Mapping[str, str] = MappingProxyType({
    PROJECT: "a project's story, comparisons, the audit trail and the rooms' report",
    MECHANISM: "the matrix's rows, the presentation and the lessons exercise",
    STRENGTH: "the flows' filters",
    RELATIONSHIP_TYPE: "the overview's projects, a project's story and the lessons",
    CONTEXT_DIMENSION: "the reader's CSV of evidence records",
    SETTING_TYPE: "the overview's glance table and the reader's CSV",
    ACTIVITY_TYPE: "the activities-vs-mechanisms flows and comparisons",
})
FACET_NAME = re.compile(r"[a-z][a-z0-9_]*")
DEFAULT_LABELS = "label"


@dataclass(frozen=True)
class FacetSpec:
    """One facet as declared (see the module docstring)."""

    name: str
    title: str
    plural: str
    description: str
    path: tuple[tuple[str, str], ...]
    labels: str = DEFAULT_LABELS
    column: bool = False
    computed: str = ""

    @property
    def table(self) -> str:
        """The records table the path starts from ('' for a computed facet)."""
        return self.path[0][0] if self.path else ""


def read_facets(raw: object, problems: list[Problem]) -> tuple[FacetSpec, ...]:
    """Parse ``explorer:facets`` (each malformed entry is a problem, and is left out)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(_problem(None, Rule.DESCRIPTOR, None,
                                 "explorer:facets must be a list of facets"))
        return ()
    facets: list[FacetSpec] = []
    for index, entry in enumerate(raw):
        where = f"explorer:facets #{index + 1}"
        item = _object(entry)
        if item is None:
            problems.append(_problem(None, Rule.DESCRIPTOR, None, f"{where} must be an object"))
            continue
        _unknown_keys(item, FACET_KEYS, where, problems)
        name, title = item.get("name"), item.get("title")
        path = item.get("path")
        steps = [step.partition(".") for step in path if isinstance(step, str)] if isinstance(
            path, list) else []
        if not (isinstance(name, str) and FACET_NAME.fullmatch(name)):
            problems.append(_problem(None, Rule.DESCRIPTOR, str(name),
                                     f"{where} needs a 'name' in lower case (a URL parameter)"))
            continue
        if not isinstance(title, str) or not title:
            problems.append(_problem(None, Rule.DESCRIPTOR, name, f"{where} needs a 'title'"))
            continue
        computed = item.get("computed", "")
        if computed:
            if computed not in COMPUTED_FACETS or "path" in item:
                problems.append(_problem(None, Rule.DESCRIPTOR, str(computed),
                                         f"{where}: 'computed' must be one of "
                                         f"{', '.join(COMPUTED_FACETS)}, without a 'path'"))
                continue
            steps = []
        elif not steps or not isinstance(path, list) or len(steps) != len(path) or any(
                not table or not dot or not column for table, dot, column in steps):
            problems.append(_problem(None, Rule.DESCRIPTOR, name,
                                     f"{where} needs a 'path': a list of 'table.field' steps"))
            continue
        texts = {key: item.get(key, default) for key, default in (
            ("plural", title + "s"), ("description", ""), ("labels", DEFAULT_LABELS))}
        if not all(isinstance(value, str) for value in texts.values()) or not isinstance(
                item.get("column", False), bool):
            problems.append(_problem(None, Rule.DESCRIPTOR, name,
                                     f"{where}: plural, description and labels must be text "
                                     "and column true or false"))
            continue
        facets.append(FacetSpec(name, title, str(texts["plural"]), str(texts["description"]),
                                tuple((table, column) for table, _, column in steps),
                                str(texts["labels"]), bool(item.get("column", False)),
                                str(computed)))
    return tuple(facets)


def check_facets(facets: tuple[FacetSpec, ...], fields: Mapping[str, Mapping[str, object]],
                 references: Mapping[tuple[str, str], str], problems: list[Problem]) -> None:
    """Every facet's path must resolve in the declared tables and references.

    Args:
        fields: ``table → field name → field spec`` of every declared table.
        references: ``(table, field) → the table it refers to``.
    """
    names = [facet.name for facet in facets]
    for missing in (name for name in REQUIRED_FACETS if name not in names):
        problems.append(_problem(
            None, Rule.DESCRIPTOR, missing,
            f"explorer:facets must declare {missing!r}: the explorer's pages ask for it by "
            f"name ({REQUIRED_FACETS[missing]}); declare it, or rename it back"))
    for duplicate in sorted({n for n in names if names.count(n) > 1}):
        problems.append(_problem(None, Rule.DESCRIPTOR, duplicate,
                                 f"explorer:facets declares {duplicate!r} more than once"))
    tables = {facet.table for facet in facets if facet.path}
    if len(tables) > 1:
        problems.append(_problem(None, Rule.DESCRIPTOR, ", ".join(sorted(tables)),
                                 "every facet's path must start at the same records table"))
    for facet in facets:
        where = f"facet {facet.name!r}"
        previous: tuple[str, str] | None = None
        for table, column in facet.path:
            if column not in fields.get(table, {}):
                problems.append(_problem(None, Rule.DESCRIPTOR, f"{table}.{column}",
                                         f"{where}: {table}.{column} is not a declared field"))
                break
            if previous is not None and not _joins(previous, (table, column), references):
                problems.append(_problem(
                    None, Rule.DESCRIPTOR, f"{table}.{column}",
                    f"{where}: nothing declared links {previous[0]}.{previous[1]} to "
                    f"{table}.{column}"))
                break
            previous = (table, column)


def _joins(previous: tuple[str, str], step: tuple[str, str],
           references: Mapping[tuple[str, str], str]) -> bool:
    """True when a path can go from field ``previous`` to field ``step`` (see module doc)."""
    target = references.get(previous)
    if target == step[0]:
        return True  # previous refers to the step's table
    return target is not None and any(
        table == step[0] and referred == target for (table, _), referred in references.items())
