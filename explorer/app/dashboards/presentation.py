"""The guided presentation: a facilitator's walk through the evidence, one step at a time.

In presentation mode a bar above the page says "Step N of M: <caption>" and moves between
steps with its buttons or the keyboard (PageDown/PageUp, as presentation clickers send, and
the right/left arrow keys when focus is not in a form field). The steps are chosen from the
data (``guided_steps``), so any programme's package gets a sensible walk:

1. the programme at a glance (overview);
2. the enabling mechanisms, project by project (matrix);
3. one mechanism across the projects: the one with most evidence of activation;
4. activities are not mechanisms: two or three projects whose same kind of activity led to
   different mechanisms (compare), or the flows page when no such pair exists;
5. lessons for the room's own project.

While a live room is open (``dashboards.room``), a step before the lessons shows the room's
answers beside the projects' evidence.

A step is an ordinary view plus ``present=1&step=N``; moving between steps is the in-kernel
navigation (``App.open``), so the browser's back button works and any step's address can be
shared. ``?present=1&step=N`` on its own, or on another page than step N's, opens step N.

"Join this session" shows the room the page's address as large text and as a QR code made
on the server (``segno``): the browser sends its ``location.href``, the kernel checks it and
answers with an SVG data address the page shows as an image whose alt text is the address.
Nothing is fetched from anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import anywidget
import traitlets

from ...data.descriptor.facets import MECHANISM, PROJECT
from ...data.load import Dataset
from ...evidence import query
from ...evidence.programme import Programme
from ...pages.registry import PAGES
from ...pages.state import MAX_STEP, ViewState, parse_query
from .qr import MAX_ADDRESS_LENGTH, qr_data_uri
from .widgets import _esm

if TYPE_CHECKING:
    from .live import LivePage

__all__ = ["MAX_ADDRESS_LENGTH", "Presenter", "Step", "StepBar", "guided_steps", "qr_data_uri",
           "resolve_step"]

NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                "ten")
STEP_PARAMETERS = frozenset({"present", "step"})


@dataclass(frozen=True)
class Step:
    """One step of the guided presentation: a page, its view and a caption for the room."""

    page: str
    query: tuple[tuple[str, str], ...]
    caption: str

    def query_string(self, number: int) -> str:
        """The step's query string (with ``?``) in presentation mode, as step ``number``."""
        return "?" + urlencode([*self.query, ("present", "1"), ("step", str(number))],
                               safe=",:")


def _in_words(n: int) -> str:
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


def _busiest_mechanism(ds: Dataset) -> str:
    """The mechanism with most records rated evident or partial (then most evident, then
    the package's order)."""
    mechanisms = list(query.facet_options(ds, MECHANISM))
    strengths = ds.mechanism_evidence.strength.astype(str)
    ids = ds.mechanism_evidence.mechanism_id.astype(str)

    def weight(mechanism: str) -> tuple[int, int, int]:
        mine = strengths[ids == mechanism]
        return (int(mine.isin(query.ACTIVATED).sum()), int((mine == "evident").sum()),
                -mechanisms.index(mechanism))

    return max(mechanisms, key=weight)


def _activity_contrast(ds: Dataset) -> tuple[str, tuple[str, ...]] | None:
    """An activity type that two or three projects used with different mechanisms, and
    those projects: the type with fewest projects (a clean pair first), then data order."""
    same = query.same_activity_different_mechanisms(ds)
    if same.empty:
        return None
    same = same[same.differs]
    choices = [(str(activity), tuple(group.project_id)[:3])
               for activity, group in same.groupby("activity_type", sort=False)]
    choices = [c for c in choices if len(c[1]) >= 2]
    if not choices:
        return None
    return min(choices, key=lambda c: len(c[1]))


ROOM_STEP = "This room's answers beside the projects' evidence"


def guided_steps(ds: Dataset, room: bool = False) -> tuple[Step, ...]:
    """The steps of the guided presentation for this package (at most ``MAX_STEP``); with
    ``room`` (a live room is open), the room beside the evidence comes before the lessons."""
    programme = Programme.of(ds)
    mechanisms = query.facet_options(ds, MECHANISM)
    busiest = _busiest_mechanism(ds)
    steps = [
        Step("overview", (), f"{programme.title}: what the evaluation found"),
        Step("matrix", (), f"The {_in_words(len(mechanisms))} "
                           f"{programme.text('mechanisms_heading').lower()}, project by project"),
        Step("matrix", (("mechanism", busiest),),
             f"One mechanism across the projects: {mechanisms[busiest]}"),
    ]
    contrast = _activity_contrast(ds)
    if contrast is not None:
        activity, projects = contrast
        names = query.facet_options(ds, PROJECT)
        steps.append(Step("compare", (("project", ",".join(projects)),),
                          f"Activities are not mechanisms: {activity.lower()} in "
                          + " and ".join(names[p] for p in projects)))
    else:
        steps.append(Step("flows", (), "Activities are not mechanisms: the same kind of "
                                       "activity, different mechanisms"))
    if room:
        steps.append(Step("matrix", (("columns", PROJECT),), ROOM_STEP))
    steps.append(Step("lessons", (), PAGES["lessons"].title))
    return tuple(steps[:MAX_STEP])


def resolve_step(steps: tuple[Step, ...], name: str, state: ViewState
                 ) -> tuple[str, str] | None:
    """Where a link that names a step should open: ``(page, query string)``, or None to
    open it as it is.

    In presentation mode, ``step=N`` opens step N's view when the link names nothing else
    (``?present=1&step=3``) or names another page than step N's; a link to step N's page
    with a view of its own (a filter changed during the step) opens as it is.
    """
    if not state.presenting:
        return None
    raw = state.get("step")
    number = int(raw) if raw and raw.isdigit() else 0
    if not 1 <= number <= len(steps):
        return None
    step = steps[number - 1]
    if name == step.page and set(state.values) - STEP_PARAMETERS:
        return None
    return step.page, step.query_string(number)


class StepBar(anywidget.AnyWidget):
    """The presentation's step bar and its "Join this session" panel.

    Python sets ``captions`` (one per step), ``step`` (1-based; 0 when the view is not a
    step), ``last`` (the last step shown), ``notice`` (a plain sentence or empty), ``view``
    (changes whenever the page or its view does) and ``qr`` (``{href, src}``). The browser
    sends ``{type: "go", step}`` and ``{type: "qr", href}``.
    """

    _esm = _esm("dom.js", "presentation.js")
    captions = traitlets.List(traitlets.Unicode()).tag(sync=True)
    step = traitlets.Int(0).tag(sync=True)
    last = traitlets.Int(0).tag(sync=True)
    notice = traitlets.Unicode("").tag(sync=True)
    view = traitlets.Unicode("").tag(sync=True)
    qr = traitlets.Dict().tag(sync=True)

    def __init__(self, on_go: Callable[[int], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_go = on_go
        self.on_msg(self._handle)

    def _handle(self, _widget: object, content: dict[str, Any], _buffers: object) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "go":
            step = content.get("step")
            if isinstance(step, int) and not isinstance(step, bool):
                self._on_go(step)
        elif kind == "qr":
            href = content.get("href")
            src = qr_data_uri(href)
            self.qr = {"href": href if src else "", "src": src or ""}


class Presenter:
    """The guided presentation of one ``App``: its steps, its bar and its deep links."""

    def __init__(self, ds: Dataset, navigate: Callable[[str, str, str], None]) -> None:
        self.ds = ds
        self.steps = guided_steps(ds)
        self._navigate = navigate
        self.widget = StepBar(self.go, captions=[s.caption for s in self.steps])
        self.widget.add_class("ctg-presenter")

    def set_room(self, room: bool) -> None:
        """Add (or take away) the live room's step."""
        steps = guided_steps(self.ds, room=room)
        if steps != self.steps:
            self.steps = steps
            self.widget.captions = [s.caption for s in steps]

    def follow(self, state: ViewState) -> ViewState:
        """The view a link opens: step N's view when it names step N (see
        ``resolve_step``), otherwise ``state`` itself."""
        target = resolve_step(self.steps, state.view, state)
        return state if target is None else parse_query(self.ds, *target)

    def go(self, number: int) -> None:
        """Open step ``number`` (1-based); other numbers are ignored."""
        if 1 <= number <= len(self.steps):
            step = self.steps[number - 1]
            self._navigate(step.page, step.query_string(number), "push")

    def sync(self, page: LivePage, query_string: str) -> Step | None:
        """Show where the page on show stands in the steps; the step on show, if any."""
        raw = page.state.get("step")
        number = int(raw) if raw and raw.isdigit() else 0
        notice = ""
        if number > len(self.steps):
            notice = (f"This presentation has {len(self.steps)} steps, so there is no step "
                      f"{number}.")
            number = 0
        with self.widget.hold_sync():
            self.widget.step = number
            if number:
                self.widget.last = number
            self.widget.notice = notice
            self.widget.view = f"{page.name}{query_string}"
        return self.steps[number - 1] if number else None
