"""A view's state ⇄ the URL query string, checked against the data's own ids.

Links are shared by email and may be tampered with, so parsing never fails: anything that
is not understood is dropped, and a short plain-language note says so. A value is accepted
only if it is one of the data's ids for that parameter; everything else (scripts, quotes,
path traversal, NUL bytes, 4 kB strings) falls back to the default.

Multiple values are comma-separated: ``?project=pathway,speaking-up&columns=setting_type``.

Free text (a page's ``text`` parameters, e.g. the lessons page's answers) is the one thing a
link holds that is not an id. It is kept only if it is at most ``MAX_TEXT_LENGTH``
characters of printable text once runs of whitespace are made single spaces; anything else
(NUL or other control characters, direction overrides, 4 kB) is dropped with a note. Kept
text is still untrusted: every page and download shows it escaped. A ``text:<facet>``
parameter is a family, one text per id of the facet: ``how.patient_beliefs=...``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import overload
from urllib.parse import parse_qsl, urlencode

from .lessons import foundation_choices, recommendation_options
from .load import Dataset
from .pages import PAGES
from .query import COLUMN_KINDS, FACETS, Filters, facet_options

__all__ = ["MAX_STEP", "MAX_TEXT_LENGTH", "ViewState", "clean_text", "parse_query", "to_query"]

MAX_QUERY_LENGTH = 2000
MAX_VALUE_LENGTH = 64
MAX_NOTE_VALUE = 40
MAX_STEP = 20
MAX_FIELDS = 50
MAX_TEXT_LENGTH = 300
# A character can take 12 characters of a link once percent-encoded (4 UTF-8 bytes as %XX),
# so each free text a page reads widens its longest acceptable link by that much.
ENCODED_CHARACTER = 12
TEXT = "text"
KEY = "key"
_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
_WHITESPACE = re.compile(r"\s+")
_NOUNS = {"columns": "column choice", "cell": "matrix cell", "present": "presentation setting",
          "step": "presentation step", "room": "room key", "foundation": "foundation answer",
          "recommendation": "recommendation", "name": "project name", "how": "answer",
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


def _is_text(kind: str) -> bool:
    return kind == TEXT or kind.startswith(TEXT + ":")


def _kind(ds: Dataset, parameters: dict[str, str], name: str) -> str | None:
    """The kind of parameter ``name`` (``how.<id>`` belongs to a ``text:<facet>`` family)."""
    if name in parameters:
        return None if parameters[name].startswith(TEXT + ":") else parameters[name]
    family, dot, key = name.partition(".")
    kind = parameters.get(family, "")
    if dot and kind.startswith(TEXT + ":") and key in facet_options(ds, kind[len(TEXT) + 1:]):
        return TEXT
    return None


def _text_slots(ds: Dataset, parameters: dict[str, str]) -> int:
    """How many free texts a view can hold."""
    return sum(1 if kind == TEXT else len(facet_options(ds, kind[len(TEXT) + 1:]))
               for kind in parameters.values() if _is_text(kind))


def clean_text(value: str) -> tuple[str, str]:
    """Free text as a link may keep it: ``(text, "")``, or ``("", reason)`` when it is refused.

    Runs of whitespace (including line breaks and tabs) become one space and the ends are
    trimmed. The text is refused when it is longer than ``MAX_TEXT_LENGTH`` characters or
    holds a character that cannot be shown (NUL, control or formatting characters such as
    direction overrides). The reason is a plain phrase, e.g. ``"it is 4096 characters long;
    answers are kept to 300"``. Never raises.
    """
    text = _WHITESPACE.sub(" ", str(value)).strip()
    if len(text) > MAX_TEXT_LENGTH:
        return "", (f"it is {len(text)} characters long; answers are kept to "
                    f"{MAX_TEXT_LENGTH}")
    if not text.isprintable():
        return "", "it holds characters that cannot be shown, such as control characters"
    return text, ""


def _allowed_values(ds: Dataset, name: str) -> dict[str, str]:
    if name == "columns":
        return dict(COLUMN_KINDS)
    if name == "present":
        return {"1": "on"}
    if name == "step":
        return {str(n): str(n) for n in range(1, MAX_STEP + 1)}
    if name == "cell":
        return {}  # checked separately: mechanism_id:column_id
    if name == "foundation":
        return foundation_choices(ds)
    if name == "recommendation":
        return recommendation_options(ds)
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
    texts = _text_slots(ds, parameters)
    if len(query_string) > MAX_QUERY_LENGTH + texts * MAX_TEXT_LENGTH * ENCODED_CHARACTER:
        return ViewState(view, {}, ("The link's address was too long to read, so the default "
                                    "view is shown.",))
    values: dict[str, tuple[str, ...]] = {}
    try:
        pairs = parse_qsl(query_string, keep_blank_values=True,
                          max_num_fields=MAX_FIELDS + texts)
    except ValueError:  # more fields than any view has
        return ViewState(view, {}, ("The link had too many settings to read, so the default "
                                    "view is shown.",))
    for name, raw in pairs:
        kind = _kind(ds, parameters, name)
        if kind is None:
            notes.append(f"Ignored the unknown setting {_shown(name)}.")
            continue
        if name in values:
            notes.append(f"Ignored a repeated {_shown(name)}; the first one is used.")
            continue
        if kind == KEY:
            if _KEY.fullmatch(raw):
                values[name] = (raw,)
            else:
                notes.append(f"Ignored {_shown(raw)}: it is not a {_NOUNS.get(name, name)}.")
            continue
        if kind == TEXT:
            text, problem = clean_text(raw)
            if problem:
                notes.append(f"Ignored the {_NOUNS.get(name.partition('.')[0], 'answer')} in "
                             f"the link: {problem}.")
            elif text:
                values[name] = (text,)
            continue
        items = [v.strip() for v in raw.split(",")] if kind == "many" else [raw]
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
    pairs = []
    for name, kind in _parameters(state.view).items():
        if kind.startswith(TEXT + ":"):
            pairs += [(key, chosen[0]) for key, chosen in state.values.items()
                      if key.startswith(name + ".") and chosen]
        elif state.values.get(name):
            pairs.append((name, ",".join(state.values[name])))
    return "?" + urlencode(pairs, safe=",:") if pairs else ""
