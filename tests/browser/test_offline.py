"""The explorer works with no internet: nothing is fetched from another host.

Every request the browser makes is routed through the test: requests to this machine go
through, anything else is aborted and recorded. A walk through every page, with some use of
the controls, must record nothing and still draw everything (charts included).
"""

from __future__ import annotations

import re

import pytest
from browser_kit import (
    CHART_PAGES,
    PAGES,
    assert_no_voila_error,
    block_remote,
    query_of,
    shown_ids,
    tick,
    wait_ready,
)
from playwright.sync_api import expect

from explorer.evidence import query
from explorer.pages.registry import PAGES as REGISTRY

pytestmark = pytest.mark.browser


def test_walk_through_every_page_offline(web, ds):
    """With the internet cut off, every page still renders fully, the controls still work, and
    the pages never try to reach another host (no CDN, fonts or trackers)."""
    blocked = block_remote(web.context)
    names = query.facet_options(ds, "project")

    page = web.open("index", chart=False)
    # Move between pages with the navigation, as a user would (the same kernel serves all).
    for name in (*[n for n in PAGES if n != "index"], "index"):
        page.locator(".ctg-nav a", has_text=REGISTRY[name].title).click()
        expect(page).to_have_url(re.compile(rf"/{name}\.ipynb"))
        wait_ready(page, name in CHART_PAGES)
        assert_no_voila_error(page)
        expect(page.locator(".ctg-error")).to_have_count(0)

        if name == "matrix":
            page.locator(".ctg-columns select").select_option(
                label=query.column_kinds(ds)["relationship_type"])
            expect(page).to_have_url(re.compile(r"columns=relationship_type"))
            page.locator(".ctg-grid .ctg-cell").first.click()
            expect(page).to_have_url(re.compile(r"cell="))
            mechanism_id, _, column_id = query_of(page)["cell"].partition(":")
            expected = query.cell_records(ds, "relationship_type", mechanism_id, column_id)
            expect(page.locator(".ctg-records caption")).to_be_visible()
            assert shown_ids(page, ".ctg-records") == list(expected["Record"])
        elif name == "story":
            page.locator(".ctg-project select").select_option(label=names["peer-support"])
            expect(page).to_have_url(re.compile(r"project=peer-support"))
            expect(page.locator(".ctg-figure .gtitle")).to_contain_text(names["peer-support"])
        elif name == "compare":
            page.locator(".ctg-pick-3 select").select_option(label=names["speaking-up"])
            expect(page).to_have_url(re.compile(r"project=[^&]*,speaking-up"))
            expect(page.locator(".ctg-root table").first.locator("thead th")).to_have_count(4)
        elif name == "flows":
            tick(page, "strength", "partial")
            expect(page).to_have_url(re.compile(r"strength=partial"))
        # Plotly's fonts and icons come from the page itself.
        if name in CHART_PAGES:
            expect(page.locator(".ctg-figure .modebar")).to_have_count(1)

    assert blocked == [], "the pages tried to reach other hosts:\n" + "\n".join(blocked)
    web.assert_only_local()
    web.assert_clean()
