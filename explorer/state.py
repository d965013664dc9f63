"""A view's state ⇄ the URL query string, checked against the data's own ids.

Links are shared by email and may be tampered with, so parsing never fails: anything that
is not understood is dropped, and a short plain-language note says so. A value is accepted
only if it is one of the data's ids for that parameter; everything else (scripts, quotes,
path traversal, NUL bytes, 4 kB strings) falls back to the default.

Multiple values are comma-separated: ``?project=pathway,speaking-up&columns=setting_type``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import overload
from urllib.parse import parse_qsl, urlencode

from .load import Dataset
from .pages import PAGES
from .query import COLUMN_KINDS, FACETS, Filters, facet_options

__all__ = ["MAX_STEP", "ViewState", "parse_query", "to_query"]

MAX_QUERY_LENGTH = 2000
MAX_VALUE_LENGTH = 64
MAX_NOTE_VALUE = 40
MAX_STEP = 20
_NOUNS = {"columns": "column choice", "cell": "matrix cell", "present": "presentation setting",
          "step": "presentation step",
          **{facet: label.lower() for facet, label in FACETS.items()}}


@dataclass(frozen=True)
class ViewState:
    """What a view shows: parameter → chosen values (tuples), plus notes on what was dropped."""

    view: str
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @overload
    def get(self, name: str) -> str | None: ...

    @overload
    def get(self, name: str, default: str) -> str: ...

    def get(self, name: str, default: str | None = None) -> str | None:
        """The single value of ``name`` or ``default``."""
        chosen = self.values.get(name, ())
        return chosen[0] if chosen else default

    def many(self, name: str) -> tuple[str, ...]:
        """All values of ``name`` (empty tuple when none)."""
        return self.values.get(name, ())

    @property
    def presenting(self) -> bool:
        """True when the page should use presentation mode (``?present=1``)."""
        return self.get("present") == "1"

    def filters(self) -> Filters:
        """The facet filters this state holds."""
        return Filters(**{facet: self.many(facet) for facet in FACETS})

    def with_values(self, **changes: tuple[str, ...] | str | None) -> ViewState:
        """A copy with some parameters changed (None or empty removes one); notes cleared."""
        values = dict(self.values)
        for name, value in changes.items():
            if value is None or value == () or value == "":
                values.pop(name, None)
            else:
                values[name] = (value,) if isinstance(value, str) else tuple(value)
        return ViewState(self.view, values, ())


def _parameters(view: str) -> dict[str, str]:
    """The parameters ``view`` reads (its own plus the common ones); none for unknown views."""
    spec = PAGES.get(view)
    return spec.all_parameters() if spec is not None else {}


def _allowed_values(ds: Dataset, name: str) -> dict[str, str]:
    if name == "columns":
        return dict(COLUMN_KINDS)
    if name == "present":
        return {"1": "on"}
    if name == "step":
        return {str(n): str(n) for n in range(1, MAX_STEP + 1)}
    if name == "cell":
        return {}  # checked separately: mechanism_id:column_id
    return facet_options(ds, name)


def _shown(value: str) -> str:
    printable = "".join(ch if ch.isprintable() else "?" for ch in value)
    if len(printable) > MAX_NOTE_VALUE:
        printable = printable[:MAX_NOTE_VALUE] + "…"
    return repr(printable)


def parse_query(ds: Dataset, view: str, query_string: str) -> ViewState:
    """Turn a URL query string into a ``ViewState`` for ``view``; never raises on input.

    Args:
        query_string: the part after ``?`` (a leading ``?`` is ignored).

    Returns:
        A state holding only values the data knows; ``notes`` says, in plain words, what was
        ignored and why. Notes are plain text that may quote the hostile input (made
        printable and shortened): whoever shows them must escape them.
    """
    parameters = _parameters(view)
    notes: list[str] = []
    query_string = (query_string or "").lstrip("?")
    if len(query_string) > MAX_QUERY_LENGTH:
        return ViewState(view, {}, ("The link's address was too long to read, so the default "
                                    "view is shown.",))
    values: dict[str, tuple[str, ...]] = {}
    pairs = parse_qsl(query_string, keep_blank_values=True, max_num_fields=50)
    for name, raw in pairs:
        if name not in parameters:
            notes.append(f"Ignored the unknown setting {_shown(name)}.")
            continue
        if name in values:
            notes.append(f"Ignored a repeated {_shown(name)}; the first one is used.")
            continue
        items = [v.strip() for v in raw.split(",")] if parameters[name] == "many" else [raw]
        items = [v for v in items if v]
        kept = []
        allowed = _allowed_values(ds, name)
        for item in items:
            if len(item) <= MAX_VALUE_LENGTH and (item in allowed or (
                    name == "cell" and _valid_cell(ds, item))):
                if item not in kept:
                    kept.append(item)
            else:
                notes.append(f"Ignored {_shown(item)}: it is not a known {_NOUNS.get(name, name)}.")
        if kept:
            values[name] = tuple(kept)
    if view == "compare" and "project" in values and not 2 <= len(values["project"]) <= 3:
        notes.append("Compare needs two or three projects; the default pair is shown.")
        values.pop("project")
    return ViewState(view, values, tuple(notes))


def _valid_cell(ds: Dataset, item: str) -> bool:
    mechanism, _, column = item.partition(":")
    if mechanism not in facet_options(ds, "mechanism"):
        return False
    return any(column in facet_options(ds, kind) for kind in COLUMN_KINDS)


def to_query(state: ViewState) -> str:
    """The query string (with ``?``, or empty) that reopens ``state``."""
    parameters = _parameters(state.view)
    pairs = [(name, ",".join(state.values[name])) for name in parameters
             if state.values.get(name)]
    return "?" + urlencode(pairs, safe=",:") if pairs else ""
