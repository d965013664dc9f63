"""Facets and vocabularies: what the evidence can be filtered and grouped by, in plain words.

Every facet comes from the package's ``explorer:facets`` declaration
(``explorer.data.descriptor.facets``); every label and help text of a vocabulary value comes from
its field's ``explorer:values`` (or, for a value with a table of its own, such as a mechanism,
from that table's label and definition). Nothing here lists a facet or a label by hand.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ...data.derived import derived
from ...data.descriptor import FacetSpec
from ...data.descriptor.facets import MECHANISM
from ...data.load import Dataset
from ...errors import QueryError
from .base import (
    ACTIVATED,
    NO_ROWS,
    NO_ROWS_LABEL,
    RECORDS_TABLE,
    STRENGTH_ORDER,
    humanise,
    rows,
)
from .confidence import facet_vocabulary

__all__ = [
    "ACTIVATED",
    "NO_ROWS",
    "NO_ROWS_LABEL",
    "RECORDS_TABLE",
    "ROW_FACET",
    "STRENGTH_ORDER",
    "Filters",
    "check_columns",
    "check_filters",
    "check_ids",
    "column_kinds",
    "describe_filters",
    "facet_help",
    "facet_options",
    "facet_spec",
    "facet_title",
    "facets",
    "humanise",
    "rows",
    "strength_help",
    "strength_label",
    "strength_labels",
    "term",
]

#: The facet the matrix's rows show.
ROW_FACET = MECHANISM


class Filters:
    """Chosen values per facet: ``Filters(project=("pathway",), strength=("evident",))``.

    A facet with no choice is not filtered; ``filters.<facet>`` is its chosen tuple (empty
    when none). Facet names are checked against a dataset by ``check_filters``. Filters are
    immutable and hashable, so results keyed by them can be cached.
    """

    __slots__ = ("_chosen",)
    _chosen: tuple[tuple[str, tuple[str, ...]], ...]

    def __init__(self, **chosen: Iterable[str]) -> None:
        object.__setattr__(self, "_chosen", tuple(
            (facet, tuple(values)) for facet, values in chosen.items() if tuple(values)))

    def __getattr__(self, name: str) -> tuple[str, ...]:
        if name.startswith("_"):
            raise AttributeError(name)
        return dict(self._chosen).get(name, ())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Filters are immutable; use with_()")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Filters) and self.active() == other.active()

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._chosen)))

    def __repr__(self) -> str:
        inner = ", ".join(f"{facet}={values!r}" for facet, values in self._chosen)
        return f"Filters({inner})"

    def active(self) -> dict[str, tuple[str, ...]]:
        """The facets that have a choice, in the order they were given."""
        return dict(self._chosen)

    def with_(self, **changes: Iterable[str]) -> Filters:
        """A copy with some facets changed (an empty choice removes the facet)."""
        chosen = self.active()
        for facet, values in changes.items():
            chosen[facet] = tuple(values)
        return Filters(**chosen)

    def describe(self) -> str:
        """The filter in words with raw ids: 'project is a or b, and strength is evident'."""
        parts = [f"{humanise(name)} is " + " or ".join(values)
                 for name, values in self._chosen]
        return ", and ".join(parts) if parts else "No filters: all evidence records"


def facets(ds: Dataset) -> tuple[FacetSpec, ...]:
    """The package's facets, in the order pages list them."""
    return ds.descriptor.facets


def facet_spec(ds: Dataset, facet: str) -> FacetSpec:
    """The facet called ``facet``.

    Raises:
        QueryError: the package declares no such facet.
    """
    for spec in ds.descriptor.facets:
        if spec.name == facet:
            return spec
    raise QueryError(f"unknown facet {facet!r}; facets: "
                     f"{', '.join(f.name for f in ds.descriptor.facets)}")


def facet_title(ds: Dataset, facet: str) -> str:
    """The facet's plain-language name, e.g. 'Setting'."""
    return facet_spec(ds, facet).title


def column_kinds(ds: Dataset) -> dict[str, str]:
    """What the matrix's columns can show: ``facet → plural title`` (e.g. 'Settings')."""
    return {spec.name: spec.plural for spec in ds.descriptor.facets if spec.column}


def reference(ds: Dataset, table: str, column: str) -> tuple[str, str] | None:
    """``(table, field)`` that ``table.column`` refers to, or None."""
    for name, target, target_field, _ in ds.descriptor.resource(table).references:
        if name == column:
            return target, target_field
    return None


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("display_order", kind="stable") if (
        "display_order" in frame.columns) else frame


@derived()
def _vocabulary(ds: Dataset, facet: str) -> tuple[dict[str, str], dict[str, str]]:
    spec = facet_spec(ds, facet)
    if spec.computed:
        return facet_vocabulary(ds)
    table, column = spec.path[-1]
    target = reference(ds, table, column)
    if target is not None:
        frame = _ordered(ds[target[0]])
        keys = frame[target[1]].astype(str).tolist()
        labels = (frame[spec.labels].astype(str).tolist() if spec.labels in frame.columns
                  else keys)
        helps = next((frame[c].fillna("").astype(str).tolist()
                      for c in ("definition", "description") if c in frame.columns),
                     [""] * len(keys))
        return dict(zip(keys, labels, strict=True)), dict(zip(keys, helps, strict=True))
    field = ds.descriptor.field(table, column)
    values = list(field.enum) if field.enum is not None else list(
        dict.fromkeys(ds[table][column].dropna().astype(str)))
    return ({v: field.value_title(v) or humanise(v) for v in values},
            {v: field.value_help(v) for v in values})


def facet_options(ds: Dataset, facet: str) -> dict[str, str]:
    """The values a facet can take, in display order, as ``{id: plain-language label}``.

    Raises:
        QueryError: the package declares no such facet.
    """
    return _vocabulary(ds, facet)[0]


def facet_help(ds: Dataset, facet: str) -> dict[str, str]:
    """One plain sentence per value of ``facet`` ('' where the package gives none)."""
    return _vocabulary(ds, facet)[1]


def term(ds: Dataset, table: str, field: str, value: object) -> tuple[str, str]:
    """``(title, one-sentence help)`` of a vocabulary value as the package declares them.

    Falls back to the humanised value and no help when the field declares none.
    """
    spec = ds.descriptor.field(table, field)
    text = str(value)
    return spec.value_title(text) or humanise(text), spec.value_help(text)


def strength_label(ds: Dataset, strength: object) -> str:
    """The plain-language name of a strength (e.g. 'Sources silent')."""
    return term(ds, RECORDS_TABLE, "strength", strength)[0]


def strength_labels(ds: Dataset) -> dict[str, str]:
    """Every strength's plain-language name, strongest first, and ``no_rows``'s."""
    return {**{s: strength_label(ds, s) for s in STRENGTH_ORDER}, NO_ROWS: NO_ROWS_LABEL}


def strength_help(ds: Dataset, strength: object) -> str:
    """What a strength means, in one plain sentence."""
    return term(ds, RECORDS_TABLE, "strength", strength)[1]


def check_ids(ds: Dataset, facet: str, values: Iterable[str]) -> None:
    """Raise ``QueryError`` naming any value that is not an id of ``facet``."""
    known = facet_options(ds, facet)
    unknown = [v for v in values if v not in known]
    if unknown:
        raise QueryError(f"unknown {facet_title(ds, facet).lower()} "
                         f"{', '.join(map(repr, unknown))}; known: {', '.join(known)}")


def check_columns(ds: Dataset, columns: str) -> None:
    """Raise ``QueryError`` unless the matrix's columns can show ``columns``."""
    kinds = column_kinds(ds)
    if columns not in kinds:
        raise QueryError(f"unknown column kind {columns!r}; choose one of {', '.join(kinds)}")


def check_filters(ds: Dataset, filters: Filters) -> None:
    """Raise ``QueryError`` if a facet or a chosen value is unknown."""
    for facet, values in filters.active().items():
        check_ids(ds, facet, values)


def describe_filters(ds: Dataset, filters: Filters) -> str:
    """``filters`` in words with the data's labels, e.g. 'Project is Pathway homeless care'."""
    parts = []
    for facet, values in filters.active().items():
        options = facet_options(ds, facet)
        parts.append(f"{facet_title(ds, facet)} is "
                     + " or ".join(options.get(v, v) for v in values))
    return ", and ".join(parts) if parts else "No filters: all evidence records"
