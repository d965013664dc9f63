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

from ..data.load import Dataset
from ..evidence.query import Filters, facets
from .parameters import MAX_STEP, Parameter, TextFamily
from .registry import page_parameters

__all__ = ["MAX_STEP", "MAX_TEXT_LENGTH", "ViewState", "clean_text", "parse_query", "to_query"]

MAX_QUERY_LENGTH = 2000
MAX_VALUE_LENGTH = 64
MAX_NOTE_VALUE = 40
MAX_FIELDS = 50
MAX_TEXT_LENGTH = 300
# A character can take 12 characters of a link once percent-encoded (4 UTF-8 bytes as %XX),
# so each free text a page reads widens its longest acceptable link by that much.
ENCODED_CHARACTER = 12
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class ViewState:
    """What a view shows: parameter → chosen values (tuples), plus notes on what was dropped."""

    view: str
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    order: tuple[str, ...] = field(default=(), compare=False)

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

    def filters(self, ds: Dataset) -> Filters:
        """The facet filters this state holds (every facet ``ds`` declares)."""
        return Filters(**{spec.name: self.many(spec.name) for spec in facets(ds)})

    def with_values(self, **changes: tuple[str, ...] | str | None) -> ViewState:
        """A copy with some parameters changed (None or empty removes one); notes cleared."""
        values = dict(self.values)
        for name, value in changes.items():
            if value is None or value == () or value == "":
                values.pop(name, None)
            else:
                values[name] = (value,) if isinstance(value, str) else tuple(value)
        return ViewState(self.view, values, (), self.order)


def _family(parameters: dict[str, Parameter], ds: Dataset,
            name: str) -> tuple[str, Parameter] | None:
    """The parameter ``name`` belongs to: itself, or a ``TextFamily`` (``how.<id>``)."""
    if name in parameters and not isinstance(parameters[name], TextFamily):
        return name, parameters[name]
    family, dot, key = name.partition(".")
    member = parameters.get(family)
    if dot and isinstance(member, TextFamily) and key in member.keys(ds):
        return family, member
    return None


def _text_slots(ds: Dataset, parameters: dict[str, Parameter]) -> int:
    """How many free texts a view can hold."""
    return sum(len(p.keys(ds)) if isinstance(p, TextFamily) else 1
               for p in parameters.values() if p.is_text)


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


def _shown(value: str) -> str:
    printable = "".join(ch if ch.isprintable() else "?" for ch in value)
    if len(printable) > MAX_NOTE_VALUE:
        printable = printable[:MAX_NOTE_VALUE] + "…"
    return repr(printable)


def parse_query(ds: Dataset, view: str, query_string: str) -> ViewState:
    """Turn a URL query string into a ``ViewState`` for ``view``; never raises on input.

    Each parameter is read by the kind its page declares (``explorer.pages.parameters``): this
    function knows no page.

    Args:
        query_string: the part after ``?`` (a leading ``?`` is ignored).

    Returns:
        A state holding only values the data knows; ``notes`` says, in plain words, what was
        ignored and why. Notes are plain text that may quote the hostile input (made
        printable and shortened): whoever shows them must escape them.
    """
    parameters = page_parameters(ds, view)
    order = tuple(parameters)
    notes: list[str] = []
    query_string = (query_string or "").lstrip("?")
    texts = _text_slots(ds, parameters)
    if len(query_string) > MAX_QUERY_LENGTH + texts * MAX_TEXT_LENGTH * ENCODED_CHARACTER:
        return ViewState(view, {}, ("The link's address was too long to read, so the default "
                                    "view is shown.",), order)
    values: dict[str, tuple[str, ...]] = {}
    try:
        pairs = parse_qsl(query_string, keep_blank_values=True,
                          max_num_fields=MAX_FIELDS + texts)
    except ValueError:  # more fields than any view has
        return ViewState(view, {}, ("The link had too many settings to read, so the default "
                                    "view is shown.",), order)
    for name, raw in pairs:
        found = _family(parameters, ds, name)
        if found is None:
            notes.append(f"Ignored the unknown setting {_shown(name)}.")
            continue
        _, parameter = found
        if name in values:
            notes.append(f"Ignored a repeated {_shown(name)}; the first one is used.")
            continue
        if parameter.is_text:
            text, problem = clean_text(raw)
            if problem:
                notes.append(f"Ignored the {parameter.noun_for(ds)} in the link: {problem}.")
            elif text:
                values[name] = (text,)
            continue
        items = [v.strip() for v in raw.split(",")] if parameter.many else [raw]
        kept: list[str] = []
        for item in (v for v in items if v):
            if len(item) <= MAX_VALUE_LENGTH and parameter.accepts(ds, item):
                if item not in kept:
                    kept.append(item)
            else:
                notes.append(f"Ignored {_shown(item)}: it is not a known "
                             f"{parameter.noun_for(ds)}.")
        settled, note = parameter.settle(ds, tuple(kept))
        if note:
            notes.append(note)
        if settled:
            values[name] = settled
    return ViewState(view, values, tuple(notes), order)


def to_query(state: ViewState) -> str:
    """The query string (with ``?``, or empty) that reopens ``state``.

    Parameters come in the page's declared order (a family's members, ``how.<id>``, in the
    order they were set), then any others in the order they were set.
    """
    rank = {name: index for index, name in enumerate(state.order)}
    names = sorted(state.values, key=lambda name: (rank.get(name.partition(".")[0], len(rank)),))
    pairs = [(name, ",".join(state.values[name])) for name in names if state.values[name]]
    return "?" + urlencode(pairs, safe=",:") if pairs else ""
