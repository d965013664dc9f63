"""Every live page prints whole: all of its content, at the paper's width, charts included.

A reader who prints a page (Ctrl+P, or "Save as PDF") should get what the screen said. Two
checks per page: laid out for paper (print media at the width of A4 less its margins),
nothing runs past the right edge, because paper cannot scroll; and printed to an A4 PDF,
the document has as many pages as its content is tall and holds the page's first heading
and its last words, so nothing was clipped by the page's own scrolling panel (which once
printed one page of a long page, the lower half grey).
"""

from __future__ import annotations

import contextlib
import io
import math
import re
import unicodedata

import pytest
from browser_kit import ARTIFACTS, CHART_PAGES, PAGES, VIEWPORT
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from pypdf import PdfReader

pytestmark = pytest.mark.browser

# A4 less the 12 mm margins, in CSS pixels: the size a printed page is laid out in.
PRINTED_WIDTH = 703
PRINTED_HEIGHT = 1032

# Everything the reader would see on paper that ends past the paper's right edge.
PAST_THE_EDGE_JS = """(width) => [...document.querySelectorAll('.ctg-root *')]
  .filter((el) => !el.closest('.ctg-srOnly, .ctg-tip') && el.getClientRects().length > 0)
  .filter((el) => { const box = el.getBoundingClientRect();
                    return box.width > 0 && box.right > width + 1; })
  .slice(0, 5).map((el) => `${el.tagName}.${el.getAttribute('class')}`.slice(0, 80))"""

# The page's text as printed (print media hides the controls): its first heading and the
# last words it shows.
PRINTED_TEXT_JS = """(name) => {
  const root = document.querySelector('.ctg-root');
  const lines = root.innerText.split('\\n').map((line) => line.trim()).filter(Boolean);
  const heading = root.querySelector(`.ctg-page-${name} h1`).innerText.trim();
  return {heading, last: lines[lines.length - 1],
          height: root.getBoundingClientRect().height};
}"""


# Every chart drawn, and nothing past the width given: a chart drawn for the screen stays,
# wider, until its redraw for paper replaces it.
CHARTS_FIT_JS = f"""(width) => [...document.querySelectorAll('.ctg-figure')]
  .every((figure) => figure.querySelector('.main-svg'))
  && ({PAST_THE_EDGE_JS})(width).length === 0"""
CHART_REDRAW_MS = 20_000


def squeezed(text: str) -> str:
    """Text compared as letters only: a PDF's text breaks lines and may use ligatures."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@pytest.mark.parametrize("name", PAGES)
def test_every_page_prints_whole_and_within_the_paper(reader, name):
    """Printed to A4, a page takes as many sheets as its content needs and holds its heading
    and its last words; laid out for paper, nothing runs past the right edge."""
    page = reader.visit(name)
    page.set_viewport_size(VIEWPORT)
    page.emulate_media(media="print")
    page.set_viewport_size({"width": PRINTED_WIDTH, "height": PRINTED_HEIGHT})
    if name in CHART_PAGES:  # charts redraw at the new width: wait until they have
        # If one never fits, the assertion below names what still runs past the edge.
        with contextlib.suppress(PlaywrightTimeoutError):
            page.wait_for_function(CHARTS_FIT_JS, arg=PRINTED_WIDTH, timeout=CHART_REDRAW_MS)
    assert page.evaluate(PAST_THE_EDGE_JS, PRINTED_WIDTH) == []
    printed = page.evaluate(PRINTED_TEXT_JS, name)
    pdf = page.pdf(format="A4", print_background=True,
                   margin={"top": "12mm", "bottom": "12mm", "left": "12mm", "right": "12mm"})
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"print-{name}.pdf").write_bytes(pdf)
    printed_pdf = PdfReader(io.BytesIO(pdf))
    text = squeezed("".join(p.extract_text() or "" for p in printed_pdf.pages))
    # Whole pages break between blocks, so paper may take a sheet or two more than the
    # content's height, never fewer.
    assert len(printed_pdf.pages) >= math.ceil(printed["height"] / PRINTED_HEIGHT)
    assert squeezed(printed["heading"]) in text
    assert squeezed(printed["last"])[-40:] in text, printed["last"]


# Every word of the grid that the browser broke across lines (as laid out for paper).
BROKEN_WORDS_JS = """() => {
  const broken = [];
  const walker = document.createTreeWalker(document.querySelector('.ctg-root .ctg-grid-table'),
                                           NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest('.ctg-srOnly')) { continue; }  // read aloud, not seen
    for (const match of node.textContent.matchAll(/[^\\s]+/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
      if (lines.size > 1) { broken.push(match[0]); }
    }
  }
  return broken;
}"""

# Grid buttons whose words run past their own edge (into the next cell).
OVERFLOWING_JS = """() => [...document.querySelectorAll('.ctg-root .ctg-grid-table button')]
  .filter((b) => b.scrollWidth > b.clientWidth + 1).map((b) => b.textContent)"""


# The counts print shows ("(1 rated of 2 records)"), each as laid out for paper.
PRINTED_COUNTS_JS = """() => [...document.querySelectorAll('.ctg-root .ctg-count')]
  .filter((el) => el.getClientRects().length > 0 && !el.closest('.ctg-srOnly'))
  .map((el) => el.innerText.trim()).filter(Boolean)"""

#: Every live page that explains its ratings, at an address that shows explanations: the
#: matrix by setting with a cell chosen (its two records), and a project's story.
EXPLAINED = {
    "matrix": "columns=setting_type&cell=systems_processes:acute_hospital",
    "story": "project=pathway",
}


@pytest.mark.parametrize("name", sorted(EXPLAINED))
def test_a_printed_page_opens_every_explanation_and_says_whose_coding_it_is(reader, ds, name):
    """Printed, a page that explains its ratings holds every 'why this confidence' it has,
    open, with each reason; the data version and date, where it was printed from and the
    caveat that the ratings are the curators' coding; and every count whole (on the matrix
    the grid breaks no word and no count runs past its cell)."""
    page = reader.visit(name, EXPLAINED[name])
    page.emulate_media(media="print")
    page.set_viewport_size({"width": PRINTED_WIDTH, "height": PRINTED_HEIGHT})
    if name == "matrix":
        assert page.evaluate(BROKEN_WORDS_JS) == []
        assert page.evaluate(OVERFLOWING_JS) == []
    whys = page.locator(".ctg-root .ctg-trail .ctg-components")
    assert whys.count() >= (2 if name == "matrix" else 1)
    pdf = page.pdf(format="A4", print_background=True,
                   margin={"top": "12mm", "bottom": "12mm", "left": "12mm", "right": "12mm"})
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"print-{name}-explained.pdf").write_bytes(pdf)
    text = squeezed("".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages))
    assert text.count(squeezed("Why this confidence")) >= whys.count()
    for reason in page.locator(".ctg-root .ctg-trail .ctg-components li").all_text_contents():
        assert squeezed(reason) in text
    assert squeezed(f"Dataset version {ds.version}, data as of {ds.data_as_of}.") in text
    assert squeezed("The ratings are the coding of the Closing the Gap evidence explorer "
                    "curators, not findings of OPM") in text
    assert squeezed("Printed from " + page.url) in text
    for count in set(page.evaluate(PRINTED_COUNTS_JS)):
        assert squeezed(count) in text, count
