"""Specifications of the guided presentation: its steps, its deep links, its bar and the
"Join this session" code, checked in Python (tests/browser/test_presentation.py drives them
in a browser)."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from test_dashboards import navigate, open_app

from explorer.app.dashboards.presentation import (
    MAX_ADDRESS_LENGTH,
    guided_steps,
    qr_data_uri,
)
from explorer.evidence import query
from explorer.pages.state import MAX_STEP


def send(app, content: dict) -> None:
    """What the step bar's JavaScript sends."""
    bar = app.presenter.widget
    bar._handle(bar, content, None)


def test_the_steps_walk_from_the_programme_to_the_lessons(ds):
    """Overview, the mechanisms, one mechanism, activities are not mechanisms, lessons."""
    steps = guided_steps(ds)
    assert [s.page for s in steps] == ["overview", "matrix", "matrix", "compare", "lessons"]
    assert len(steps) <= MAX_STEP
    assert steps[1].caption == "The four enabling mechanisms, project by project"


def test_step_three_is_the_mechanism_with_most_evidence_of_activation(ds):
    """Counted from the data: most records rated evident or partial, then the package order."""
    me = ds.mechanism_evidence
    activated = me[me.strength.astype(str).isin(query.ACTIVATED)].mechanism_id.astype(str)
    counts = activated.value_counts()
    order = list(query.facet_options(ds, "mechanism"))
    best = max(order, key=lambda m: (counts.get(m, 0),
                                     int(((me.mechanism_id == m) & (me.strength == "evident"))
                                         .sum()), -order.index(m)))
    step = guided_steps(ds)[2]
    assert step.query == (("mechanism", best),)
    assert query.facet_options(ds, "mechanism")[best] in step.caption


def test_step_four_compares_projects_whose_same_activity_differed(ds, mini):
    """The compared projects share an activity type whose mechanisms differ."""
    for data in (ds, mini):
        step = guided_steps(data)[3]
        projects = dict(step.query)["project"].split(",")
        same = query.same_activity_different_mechanisms(data, projects)
        assert 2 <= len(projects) <= 3 and same.differs.any()
    assert guided_steps(mini)[3].query == (("project", "alpha,beta"),)
    assert guided_steps(mini)[2].query == (("mechanism", "professional_beliefs"),)


def test_a_step_link_opens_that_step_from_any_page(mini):
    """?present=1&step=3 on any page opens step 3's view, in presentation mode."""
    app = open_app(mini, "index", "present=1&step=3")
    assert app.current.name == "matrix"
    assert app.navigation.query == "?mechanism=professional_beliefs&present=1&step=3"
    assert app.presenter.widget.step == 3
    assert "ctg-present" in app.widget._dom_classes


def test_a_changed_view_during_a_step_is_kept_on_reload(mini):
    """A link to step N's page with a view of its own opens as it is, still at step N."""
    app = open_app(mini, "matrix", "mechanism=patient_beliefs&present=1&step=3")
    assert app.navigation.query == "?mechanism=patient_beliefs&present=1&step=3"
    assert app.presenter.widget.step == 3


def test_step_needs_presentation_mode_and_a_real_step(mini):
    """Without present=1 the step is not followed; a step past the end is said plainly."""
    assert open_app(mini, "index", "step=3").current.name == "index"
    app = open_app(mini, "overview", "present=1&step=12")
    assert app.current.name == "overview" and app.presenter.widget.step == 0
    assert app.presenter.widget.notice == ("This presentation has 5 steps, so there is no "
                                           "step 12.")


def test_next_and_previous_move_through_the_steps_in_the_kernel(mini):
    """The bar's messages switch views inside the same app and push browser history."""
    app = open_app(mini, "overview", "present=1&step=1")
    root = app.widget
    send(app, {"type": "go", "step": 2})
    assert (app.current.name, app.navigation.query) == ("matrix", "?present=1&step=2")
    assert app.navigation.history == "push" and app.widget is root
    send(app, {"type": "go", "step": 5})
    assert app.current.name == "lessons" and app.presenter.widget.step == 5
    send(app, {"type": "go", "step": 4})
    assert app.navigation.query == "?project=alpha,beta&present=1&step=4"


@pytest.mark.parametrize("bad", [0, 6, -1, "2", True, None, 2.0, [2]])
def test_a_bad_step_message_changes_nothing(mini, bad):
    """Only a whole number naming a step moves the presentation."""
    app = open_app(mini, "overview", "present=1&step=1")
    send(app, {"type": "go", "step": bad})
    assert app.navigation.query == "?present=1&step=1"


def test_leaving_the_steps_keeps_the_last_step(mini):
    """Following a page link mid-presentation leaves the steps; the bar remembers where."""
    app = open_app(mini, "index", "present=1&step=2")
    navigate(app, "story", "?project=alpha")
    assert app.presenter.widget.step == 0 and app.presenter.widget.last == 2
    assert app.navigation.query == "?project=alpha&present=1"


def test_the_join_code_is_made_for_the_address_the_browser_sends(mini):
    """The kernel answers a QR code of exactly that address as an SVG image address."""
    app = open_app(mini, "overview", "present=1&step=1")
    href = "http://10.0.0.5:8866/voila/render/overview.ipynb?present=1&step=1"
    send(app, {"type": "qr", "href": href})
    qr = app.presenter.widget.qr
    assert qr["href"] == href
    assert qr["src"].startswith("data:image/svg+xml")
    svg = unquote(qr["src"])
    assert "<svg" in svg and "<script" not in svg and "href" not in svg


@pytest.mark.parametrize("bad", [
    "javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "ftp://host/x",
    "http://host/a b", "http://host/\x00", "http://host/é", "", None, 42,
    "http://host/" + "a" * MAX_ADDRESS_LENGTH,
])
def test_no_code_is_made_for_anything_but_a_web_address(bad):
    """A hostile or malformed address gets no code (the page says to type it instead)."""
    assert qr_data_uri(bad) is None
