"""Briefings in a real browser: they open from file:// with the network cut off, draw every
chart with their own plotly.js, show planted HTML as text, and print one project per page."""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path

import pytest
from browser_kit import ARTIFACTS, VIEWPORT, block_remote, screenshot
from playwright.sync_api import expect
from pypdf import PdfReader

from explorer.app.briefings import (
    briefing_html,
    handout_html,
    identified_projects,
    project_brief_html,
)
from explorer.data.load import load
from explorer.evidence import query

pytestmark = pytest.mark.browser

PLANTED = "<img src=x onerror=window.__planted=1>"


@pytest.fixture(scope="module")
def files(ds, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("briefings")
    paths = {"whole": folder / "briefing.html", "pathway": folder / "pathway.html"}
    paths["whole"].write_text(briefing_html(ds), encoding="utf-8")
    paths["pathway"].write_text(project_brief_html(ds, "pathway"), encoding="utf-8")
    paths["handout"] = folder / "handout.html"
    paths["handout"].write_text(handout_html(ds, ""), encoding="utf-8")
    return paths


@pytest.fixture
def offline(chromium):
    """A page whose every request other than file:// is aborted and recorded."""
    context = chromium.new_context(viewport=VIEWPORT)
    attempted = block_remote(context, lambda url: url.startswith("file://"))
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page, attempted, errors
    context.close()


def open_file(page, path: Path) -> None:
    page.goto(path.as_uri())
    expect(page.locator(".ctg-plot .main-svg").first).to_be_visible(timeout=30_000)


@pytest.mark.parametrize("which", ["whole", "pathway"])
def test_a_briefing_draws_every_chart_from_file_with_no_network(ds, files, offline, which):
    """Each chart box gets a plotly drawing; nothing is requested from anywhere; no error."""
    page, attempted, errors = offline
    open_file(page, files[which])
    boxes = page.locator("[data-ctg-figure]")
    expected = 1 + len(identified_projects(ds)) if which == "whole" else 1
    expect(boxes).to_have_count(expected)
    for index in range(expected):
        expect(boxes.nth(index).locator(".main-svg").first).to_be_visible()
    expect(page.locator(".ctg-plot", has_text="could not be drawn")).to_have_count(0)
    screenshot(page, f"briefing-{which}")
    assert attempted == [], attempted
    assert errors == [], errors


def test_html_planted_in_the_data_is_text_in_a_briefing(data_copy, tmp_path, offline):
    """A project summary and an activity holding markup show as text; no script runs."""
    page, attempted, errors = offline
    data_copy.set_cell("projects", 3, "summary", PLANTED)
    data_copy.set_cell("activities", 2, "description", PLANTED)
    path = tmp_path / "planted.html"
    path.write_text(briefing_html(load(data_copy.path)), encoding="utf-8")
    open_file(page, path)
    expect(page.get_by_text(PLANTED, exact=True).first).to_be_visible()
    assert page.locator("img").count() == 0
    assert page.evaluate("() => window.__planted") is None
    assert attempted == [] and errors == []


def test_the_printed_briefing_starts_each_project_on_a_new_page(ds, files, offline):
    """Printed to A4, each identified project's heading is the first line of a page, the
    matrix starts a page, and the charts are in the PDF (vector paths, not blank boxes)."""
    page, _, errors = offline
    open_file(page, files["whole"])
    expect(page.locator(".main-svg")).not_to_have_count(0)
    pdf = page.pdf(format="A4", print_background=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "briefing.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    # NFKC: the PDF's text may hold typographic ligatures ("ﬃ" for "ffi")
    first_lines = [next((unicodedata.normalize("NFKC", line.strip())
                         for line in (p.extract_text() or "").splitlines()
                         if line.strip()), "") for p in reader.pages]
    names = query.facet_options(ds, "project")
    matrix = next(i for i, line in enumerate(first_lines) if line.startswith("The matrix"))
    # (a project card of the overview may also happen to start a page before the matrix)
    starts = [next((i for i, line in enumerate(first_lines) if i > matrix and line == names[p]),
                   None) for p in identified_projects(ds)]
    assert None not in starts, list(zip(range(len(first_lines)), first_lines, strict=True))
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert len(reader.pages) >= len(starts) + 3
    text = "\n".join(p.extract_text() or "" for p in reader.pages)
    assert re.search(r"from context to activities, mechanisms\s+and outcomes", text)
    assert errors == []


def test_a_printed_project_brief_is_a_few_pages_with_its_chart(files, offline):
    """Printed to A4, a project's brief takes 2 to 8 pages, and its first page names the project."""
    page, _, _ = offline
    open_file(page, files["pathway"])
    reader = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
    assert 2 <= len(reader.pages) <= 8
    assert "Pathway homeless care (UCLH)" in (reader.pages[0].extract_text() or "")
    printed = " ".join(p.extract_text() or "" for p in reader.pages)
    assert "from context to activities, mechanisms and outcomes" in printed  # the chart


# A4 less the 12 mm margins, in CSS pixels: the width a printed briefing is laid out in.
PRINTED_WIDTH = 703
PRINT_FIT_JS = """() => {
  const meet = (a, b) => a.left < b.right - 1 && b.left < a.right - 1
    && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const cut = [...document.querySelectorAll('.ctg-table-wrap')]
    .filter((wrap) => wrap.scrollWidth > wrap.clientWidth + 1)
    .map((wrap) => (wrap.querySelector('caption') || wrap).textContent.slice(0, 60));
  const collisions = [];
  const outside = [];
  for (const plot of document.querySelectorAll('.js-plotly-plot')) {
    const edge = plot.querySelector('.main-svg').getBoundingClientRect();
    const labels = [...plot.querySelectorAll('.xtick text')].map((t) => t.getBoundingClientRect());
    labels.forEach((a, i) => labels.slice(i + 1).forEach((b) => {
      if (meet(a, b)) { collisions.push(plot.closest('[data-ctg-figure]').dataset.ctgFigure); }
    }));
    for (const text of plot.querySelectorAll('.legendtext, .xtick text')) {
      if (text.getBoundingClientRect().right > edge.right + 1) { outside.push(text.textContent); }
    }
  }
  return {cut, collisions, outside};
}"""


def test_a_printed_briefing_cuts_nothing_off_and_its_labels_stay_apart(files, offline):
    """Laid out for A4 paper (print media, the printed width): every table fits the page
    (paper cannot scroll: the context table's last columns were cut off), no two column
    labels of a chart overlap, and no legend entry runs past its chart's edge."""
    page, _, errors = offline
    page.set_viewport_size({"width": PRINTED_WIDTH, "height": 1000})
    page.emulate_media(media="print")
    open_file(page, files["whole"])
    # Laid out again at the printed width: wait until every chart has been drawn there.
    page.wait_for_function("""() => [...document.querySelectorAll('[data-ctg-figure]')]
        .every((holder) => holder.querySelector('.main-svg'))""")
    found = page.evaluate(PRINT_FIT_JS)
    assert found == {"cut": [], "collisions": [], "outside": []}
    assert errors == []


#: Widths a handout is read at on screen: a phone's and a laptop's.
SCREEN_WIDTHS = (375, 1366)


@pytest.mark.parametrize("width", SCREEN_WIDTHS)
def test_a_handout_on_screen_scrolls_nothing_sideways(files, offline, width):
    """A handout of the matrix read on a phone or a laptop: nothing runs past the screen's
    edge and no table scrolls sideways in its box (on a phone the matrix is a list of
    'column: rating' lines), and it promises no camera button it lacks."""
    page, _, _ = offline
    page.set_viewport_size({"width": width, "height": 812})
    page.goto(files["handout"].as_uri())
    expect(page.locator(".ctg-ratings").first).to_be_visible()
    overflowing = page.evaluate("""() => {
        const edge = document.documentElement.clientWidth;
        const scroller = [...document.querySelectorAll('*')].filter(
            e => e.scrollWidth > e.clientWidth + 1
                 && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX));
        const past = [...document.body.querySelectorAll('*')].filter(
            e => e.getBoundingClientRect().right > edge + 1);
        return {page: document.documentElement.scrollWidth > edge,
                scrollers: scroller.map(e => e.className), past: past.map(e => e.tagName)};
    }""")
    assert overflowing == {"page": False, "scrollers": [], "past": []}
    assert "camera" not in page.locator("body").inner_text()
    screenshot(page, f"handout-{width}")
