"""The kinds of URL parameter a page can declare, each checking its own values.

A page declares its parameters (``explorer.pages.views.<page>``: ``View.parameters``) as instances
of these classes; ``explorer.pages.state`` reads a link with them and knows nothing about any
page. Each kind says which values it accepts, in plain words when it refuses one:

- ``Ids``: one or several of a set of ids the data (or the page) knows, e.g. a column kind;
- ``FacetIds``: ids of a declared facet (``explorer:facets``), e.g. projects;
- ``Cell``: a matrix cell, ``mechanism:column`` (either side may be empty);
- ``Text``: one short free text; ``TextFamily``: one free text per id of a facet, written
  ``<name>.<id>`` (e.g. ``how.patient_beliefs``).

Values are always untrusted: a page shows them escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ..data.load import Dataset
from ..evidence import query
from ..evidence.query.history import known_versions

__all__ = ["COMMON", "MAX_STEP", "Cell", "FacetIds", "Ids", "Parameter", "Text",
           "TextFamily", "facet_parameters"]

MAX_STEP = 20


@dataclass(frozen=True)
class Parameter:
    """A URL parameter. ``noun`` names it in notes ("Ignored 'x': it is not a known <noun>")."""

    noun: str

    @property
    def is_text(self) -> bool:
        """True for free text (kept only if short and printable; see ``state.clean_text``)."""
        return False

    @property
    def many(self) -> bool:
        """True when the parameter holds a comma-separated list."""
        return False

    def accepts(self, ds: Dataset, value: str) -> bool:
        """Whether ``value`` is one this parameter accepts."""
        raise NotImplementedError

    def noun_for(self, ds: Dataset) -> str:
        """How notes name this parameter for ``ds``."""
        return self.noun

    def settle(self, ds: Dataset, values: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
        """Check the accepted values together: ``(values to keep, a note or '')``."""
        return values, ""


@dataclass(frozen=True)
class Ids(Parameter):
    """Ids from ``options(ds)``; ``many`` for a list of them, ``count`` for how many may be
    chosen together (with ``count_note`` saying what happens otherwise)."""

    options: Callable[[Dataset], Mapping[str, str]] = field(default=lambda ds: {})
    is_many: bool = False
    count: tuple[int, int] | None = None
    count_note: str = ""

    @property
    def many(self) -> bool:
        return self.is_many

    def accepts(self, ds: Dataset, value: str) -> bool:
        return value in self.options(ds)

    def settle(self, ds: Dataset, values: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
        if self.count is not None and not self.count[0] <= len(values) <= self.count[1]:
            return (), self.count_note
        return values, ""


@dataclass(frozen=True)
class FacetIds(Ids):
    """Ids of the declared facet ``facet`` (named in notes by the facet's own title)."""

    facet: str = ""
    is_many: bool = True

    def accepts(self, ds: Dataset, value: str) -> bool:
        return value in query.facet_options(ds, self.facet)

    def noun_for(self, ds: Dataset) -> str:
        return query.facet_title(ds, self.facet).lower()


@dataclass(frozen=True)
class Cell(Parameter):
    """A matrix cell or heading: ``mechanism:column``, ``mechanism:`` or ``:column``."""

    def accepts(self, ds: Dataset, value: str) -> bool:
        mechanism, colon, column = value.partition(":")
        if not colon or not (mechanism or column):
            return False
        if mechanism and mechanism not in query.facet_options(ds, query.ROW_FACET):
            return False
        return not column or any(column in query.facet_options(ds, kind)
                                 for kind in query.column_kinds(ds))


@dataclass(frozen=True)
class Text(Parameter):
    """One short free text (a project's name in the lessons exercise)."""

    @property
    def is_text(self) -> bool:
        return True

    def accepts(self, ds: Dataset, value: str) -> bool:
        return True


@dataclass(frozen=True)
class TextFamily(Parameter):
    """One free text per id of ``facet``, each written ``<name>.<id>``."""

    facet: str = ""

    @property
    def is_text(self) -> bool:
        return True

    def keys(self, ds: Dataset) -> tuple[str, ...]:
        """The ids a member of the family may name."""
        return tuple(query.facet_options(ds, self.facet))

    def accepts(self, ds: Dataset, value: str) -> bool:
        return True


def facet_parameters(ds: Dataset) -> dict[str, Parameter]:
    """One ``FacetIds`` parameter per declared facet: a page that filters evidence reads
    every facet the package declares."""
    return {spec.name: FacetIds(spec.name.replace("_", " "), facet=spec.name)
            for spec in query.facets(ds)}


def _data_versions(ds: Dataset) -> dict[str, str]:
    """The data's releases (``rating_history``) and its current version."""
    return {version: version for version in known_versions(ds)}


#: Parameters every page understands: presentation mode, its guided step, and the data
#: version a reader last saw (the page then opens with what has changed since). A live
#: room's presenter key is never a parameter (``explorer.rooms``: it never enters an
#: address); an old address's ``room=`` is ignored like any unknown setting and grants nothing.
COMMON: Mapping[str, Parameter] = {
    "present": Ids("presentation setting", options=lambda ds: {"1": "on"}),
    "step": Ids("presentation step",
                options=lambda ds: {str(n): str(n) for n in range(1, MAX_STEP + 1)}),
    "version": Ids("data version", options=_data_versions),
}
