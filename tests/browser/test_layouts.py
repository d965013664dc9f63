"""Layouts that hold: laptop, projector (presentation mode), tablet, phone and 200% zoom.

Every page is opened at each size; nothing runs off the side of the page (wide tables, the
grid and charts scroll inside their own boxes), no chart's labels run into each other or into
its title, no control's label is cut off in presentation mode, and a screenshot of each page
at each size is saved in test-artifacts/ for a person to look at. 200% browser zoom is a
viewport of half the width at twice the pixel density, which is what the browser lays out
when a reader zooms in; a phone is 375 px wide (charts fold behind "Show the chart" there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from browser_kit import CHART_PAGES, PAGES, Session, follow, screenshot, wait_ready
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Layout:
    name: str
    width: int
    height: int
    scale: float = 1
    present: bool = False


LAYOUTS = (
    Layout("laptop", 1366, 768),
    Layout("projector", 1920, 1080, present=True),
    Layout("tablet", 768, 1024),
    Layout("phone", 375, 812, scale=2),
    Layout("zoom200", 683, 384, scale=2),
)
# Boxes allowed to scroll sideways on their own: the evidence grid, wide tables, charts.
OWN_SCROLL = ".ctg-grid-scroll, .ctg-table-wrap, .ctg-figure, .js-plotly-plot"
# At this width or less a wide table of records reads as "Column: value" blocks, never
# sideways (a cross-table of ratings, like the grid, still scrolls in its own box).
NARROW = 600
TABLES_SCROLLING_JS = """() => [...document.querySelectorAll('.ctg-table-wrap')]
  .filter((wrap) => wrap.querySelector(':scope > .ctg-wide') && wrap.offsetParent !== null
                    && wrap.scrollWidth > wrap.clientWidth + 1)
  .map((wrap) => (wrap.querySelector('caption') || wrap).textContent.trim().slice(0, 60))"""

OVERFLOW_JS = """(allowed) => {
  const width = document.documentElement.clientWidth;
  const boxes = [...document.querySelectorAll(allowed)];
  const inside = (el) => boxes.some((box) => box !== el && box.contains(el));
  const wide = [...document.querySelectorAll('.ctg-root *')].filter((el) => {
    if (inside(el) || el.closest('.ctg-tip') || el.closest('.ctg-srOnly')) { return false; }
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.right > width + 1;
  });
  const page = document.scrollingElement;
  return {pageScroll: page.scrollWidth > page.clientWidth + 1,
          wide: wide.slice(0, 5).map((el) => `${el.tagName}.${el.className}`.slice(0, 80))};
}"""

CLIPPED_JS = """() => [...document.querySelectorAll(
    '.ctg-root button, .ctg-root label, .ctg-root select, .ctg-root .widget-label, '
    + '.ctg-root summary, .ctg-root a')]
  .filter((el) => el.offsetParent !== null && !el.closest('.ctg-grid-scroll, .ctg-srOnly'))
  .filter((el) => el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0)
  .map((el) => (el.textContent || el.value || '').trim().slice(0, 60))"""

# Texts of a chart that must not run into each other: its title and note (plotly centres a
# title in the top margin by default, where the matrix's top-side column labels also go), the
# labels along one axis, and a Sankey's node labels.
CHART_COLLISIONS_JS = """() => {
  const box = (el) => el.getBoundingClientRect();
  const meet = (a, b) => a.left < b.right - 1 && b.left < a.right - 1
    && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const shown = (el) => { const b = box(el); return b.width > 0 && b.height > 0; };
  const name = (el) => el.textContent.slice(0, 30);
  const found = [];
  const apart = (group, others) => group.forEach((a, i) => {
    for (const b of (others || group.slice(i + 1))) {
      if (a !== b && meet(box(a), box(b))) { found.push(`${name(a)} / ${name(b)}`); }
    }
  });
  for (const plot of document.querySelectorAll('.js-plotly-plot')) {
    const all = (selector) => [...plot.querySelectorAll(selector)].filter(shown);
    const titles = all('text.gtitle, text.gtitle-subtitle');
    apart(titles);
    apart(titles, all('.xtick text, .ytick text, .sankey .node-label'));
    apart(all('.xtick text'));
    apart(all('.ytick text'));
    apart(all('.sankey .node-label'));
  }
  return found;
}"""


@pytest.fixture
def sized(chromium, voila, request):
    """A browser session at one layout."""
    layout: Layout = request.param
    context = chromium.new_context(viewport={"width": layout.width, "height": layout.height},
                                   device_scale_factor=layout.scale, accept_downloads=True)
    session = Session(context, voila)
    try:
        yield session, layout
    finally:
        session.close()
    session.assert_clean()


@pytest.mark.parametrize("sized", LAYOUTS, ids=[layout.name for layout in LAYOUTS],
                         indirect=True)
def test_every_page_fits_its_screen(sized):
    """At each size no page runs off the side (only grids, wide tables and charts scroll in
    their own boxes, and on a phone not even tables), no chart's title, note or labels run
    into each other, and in presentation mode no label is cut off."""
    session, layout = sized
    first, *others = PAGES
    page = session.open(first, "present=1" if layout.present else "")
    problems = []
    for name in (first, *others):
        if name != first:
            follow(page, name)  # in the reader's kernel, as a reader moves (no new kernel)
        if layout.present:
            expect(page.locator(".ctg-root")).to_have_class(re.compile(r"\bctg-present\b"))
        wait_ready(page, name in CHART_PAGES)
        overflow = page.evaluate(OVERFLOW_JS, OWN_SCROLL)
        if overflow["pageScroll"] or overflow["wide"]:
            problems.append(f"{name}: runs off the side: {overflow['wide']}")
        if layout.width <= NARROW:
            scrolling = page.evaluate(TABLES_SCROLLING_JS)
            if scrolling:
                problems.append(f"{name}: tables scroll sideways on a phone: {scrolling}")
        collisions = page.evaluate(CHART_COLLISIONS_JS)
        if collisions:
            problems.append(f"{name}: chart texts run into each other: {collisions}")
        if layout.present:
            clipped = page.evaluate(CLIPPED_JS)
            if clipped:
                problems.append(f"{name}: labels cut off in presentation mode: {clipped}")
        screenshot(page, f"layout-{layout.name}-{name}")
    assert problems == []
