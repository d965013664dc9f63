"""Tampered or broken links fall back to the default view with a visible, inert note.

Links are shared by email and can be edited. Whatever a parameter holds, the page must not
run it, must not fail, must say (in a ``.ctg-note``) what it ignored, and must show the
default view; hostile text may appear in the note only as plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from browser_kit import assert_no_voila_error
from playwright.sync_api import expect

from explorer.evidence import query

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Case:
    page: str
    query: str  # as typed into the address bar (the browser percent-encodes what it must)
    shown: str | None  # the hostile text the note shows as plain text, if it shows it
    note: str  # what the note says


CASES = {
    "script-in-story-project": Case(
        "story", "project=<script>alert(1)</script>", "<script>alert(1)</script>",
        "not a known project"),
    "path-traversal-in-columns": Case(
        "matrix", "columns=../../etc/passwd", "../../etc/passwd", "not a known column choice"),
    "nul-byte-in-mechanism": Case(
        "matrix", "mechanism=patient_beliefs%00", "patient_beliefs?", "not a known mechanism"),
    "quotes-in-flows-strength": Case(
        "flows", "strength=" + quote("\"'><img src=x onerror=alert(1)>", safe=""),
        "><img src=x onerror=alert(1)>", "not a known strength"),
    "quotes-in-compare-project": Case(
        "compare", "project=pathway,%22%3E%3Csvg%20onload%3Dalert(1)%3E",
        '"><svg onload=alert(1)>', "not a known project"),
    "4kB-value": Case("matrix", "project=" + "A" * 4096, None, "too long"),
    "unknown-key": Case("overview", "colour=%3Cb%3Ered%3C%2Fb%3E", "colour",
                        "unknown setting"),
    "javascript-cell": Case("matrix", "cell=javascript:alert(1)", "javascript:alert(1)",
                            "not a known matrix cell"),
}


def check_default_view(page, case: Case, ds) -> None:
    """The page shows what it shows with no parameters at all."""
    names = list(query.facet_options(ds, "project").values())
    if case.page == "matrix":
        expect(page.locator(".ctg-columns select")).to_have_value("Projects")
        expect(page.locator(".ctg-colhead")).to_have_text(names)
        expect(page.locator(".ctg-rowhead")).to_have_count(len(query.facet_options(ds,
                                                                                "mechanism")))
        expect(page.get_by_text("No filters: all evidence records")).to_be_visible()
        expect(page.get_by_text("Choose a cell or a heading in the grid above")).to_be_visible()
    elif case.page == "story":
        expect(page.locator(".ctg-project select")).to_have_value(names[0])
        expect(page.locator(".ctg-root h2").first).to_have_text(names[0])
    elif case.page == "compare":
        pair = [name for name, membership in zip(ds.projects.short_name, ds.projects.membership,
                                                 strict=True)
                if str(membership) != "unidentified"][:2]
        expect(page.locator(".ctg-pick-1 select")).to_have_value(pair[0])
        expect(page.locator(".ctg-pick-2 select")).to_have_value(pair[1])
        expect(page.locator(".ctg-root table").first.locator("thead th")).to_have_text(
            ["Mechanism", *pair])
    elif case.page == "flows":
        expect(page.locator(".ctg-facet input:checked")).to_have_count(0)
        links = query.activity_mechanism_links(ds)
        expect(page.locator(".ctg-root table tbody tr")).to_have_count(len(links))
    elif case.page == "overview":
        expect(page.locator(".ctg-card")).to_have_count(len(names))


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_url_falls_back_to_default_with_inert_note(web, ds, case):
    """A tampered link shows the default view with a note saying what was ignored; nothing in
    the link runs (no dialog, no page error) and its text is shown, if at all, as text."""
    page = web.open(case.page, case.query)

    note = page.locator(".ctg-note")
    expect(note).to_be_visible()
    expect(note).to_have_attribute("role", "status")
    expect(note).to_contain_text(case.note)
    expect(note).to_contain_text("The default is shown instead.")
    if case.shown is not None:
        expect(note).to_contain_text(case.shown)
    # The note is text only: no element was made from the link's content.
    expect(note.locator("*")).to_have_count(0)
    # (plotly's renderer keeps one hidden img.plot-img of its own)
    expect(page.locator(".ctg-root img:not(.plot-img), .ctg-root script, .ctg-root iframe")
           ).to_have_count(0)
    expect(page.locator(".ctg-error")).to_have_count(0)
    assert_no_voila_error(page)
    check_default_view(page, case, ds)
    # The address bar no longer carries what was ignored: it is the default view's link.
    expect(page).not_to_have_url(re.compile(r"\?"))
    assert page.evaluate("() => window.__pwned") is None
    web.assert_clean()
