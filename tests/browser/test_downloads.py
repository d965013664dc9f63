"""The overview and story pages hand out the same briefings as `explorer export`, built on
request and sent as one binary widget message (no multi-MB data: address in the page); the
matrix hands out GRADE-CERQual's Evidence Profiles and Summary of Qualitative Findings (Word,
CSV) and the sources for reference managers (RIS, BibTeX), each read back by its library."""

from __future__ import annotations

import io
import re
from pathlib import Path

import bibtexparser
import docx
import pytest
import rispy
from browser_kit import screenshot
from playwright.sync_api import expect

from explorer.app.briefings import briefing_filename, identified_projects
from explorer.evidence import profiles, query
from explorer.render.profile_files import profiles_filename
from explorer.render.references import references_filename

pytestmark = pytest.mark.browser


BRIEFING = "Download the briefing (HTML, for printing)"
BRIEF = "Download this project's brief (HTML, for printing)"


def _download(page, label: str) -> tuple[str, str]:
    button = page.get_by_role("button", name=label)
    expect(button).to_be_visible()
    with page.expect_download(timeout=60_000) as info:
        button.click()
    download = info.value
    path = download.path()
    assert path is not None
    return download.suggested_filename, path.read_text(encoding="utf-8")


def test_the_overview_downloads_the_whole_briefing(web, ds):
    """Same file as `explorer export`: every identified project's section and plotly.js."""
    page = web.open("overview", chart=False)
    assert page.locator("a[href^='data:text/html']").count() == 0
    name, text = _download(page, BRIEFING)
    assert name == briefing_filename(ds)
    assert len(text) > 4_000_000
    assert re.findall(r'<section class="ctg-brief-project[^"]*" id="project-([^"]+)"',
                      text) == identified_projects(ds)
    expect(page.locator(".ctg-download-status").first).to_contain_text("Saved")
    screenshot(page, "overview-download")


def test_the_story_page_downloads_the_chosen_projects_brief(web, ds):
    """The story page downloads the chosen project's brief, named for it and about it alone."""
    page = web.open("story", "project=peer-support")
    name, text = _download(page, BRIEF)
    assert name == briefing_filename(ds, "peer-support")
    assert re.findall(r'id="project-([^"]+)"', text) == ["peer-support", "peer-support-h"]


def test_an_unidentified_project_offers_no_brief(web, ds):
    """The story of an unidentified project shows no download button: there is no brief to give."""
    page = web.open("story", "project=pathway")
    button = page.get_by_role("button", name=BRIEF)
    expect(button).to_be_visible()  # an identified project offers its brief ...
    name = query.facet_options(ds, "project")["unidentified-7"]
    page.locator(".ctg-project select").select_option(label=name)
    expect(page).to_have_url(re.compile(r"project=unidentified-7"))
    expect(button).to_be_hidden()  # ... and the same page, on an unidentified one, does not


def _saved(page, label: str) -> tuple[str, bytes]:
    button = page.get_by_role("button", name=label)
    expect(button).to_be_visible()
    with page.expect_download(timeout=60_000) as info:
        button.click()
    path = info.value.path()
    assert path is not None
    return info.value.suggested_filename, Path(path).read_bytes()


def test_a_chosen_cells_evidence_profile_downloads_as_word(web, ds):
    """Choosing a rated cell offers its Evidence Profile: the .docx Chromium saves opens in
    python-docx and holds the cell's finding and each component; the CSV holds the same."""
    cell = "professional_beliefs:shared-haemodialysis"
    page = web.open("matrix", f"cell={cell}")
    where = "Professional beliefs and behaviour × Shared haemodialysis care (Sheffield)"
    name, data = _saved(page, f"Download the Evidence Profile of {where} (Word)")
    assert name == profiles_filename(ds, "docx", cell)
    document = docx.Document(io.BytesIO(data))
    text = "\n".join([p.text for p in document.paragraphs]
                     + [c.text for t in document.tables for r in t.rows for c in r.cells])
    profile = profiles.evidence_profile(ds, "professional_beliefs", "shared-haemodialysis")
    assert profile.finding.iloc[0] in text
    assert all(label in text for label in profile.component_label.unique())
    name, data = _saved(page, f"Download the Evidence Profile of {where} (CSV)")
    assert name.endswith(".csv") and profile.finding.iloc[0] in data.decode("utf-8")
    screenshot(page, "matrix-evidence-profile-downloads")


def test_a_silent_cell_offers_no_evidence_profile(web):
    """A cell whose sources are silent has no level, so no profile to download."""
    page = web.open("matrix", "cell=culture_environment:speaking-up")
    expect(page.locator(".ctg-records")).to_contain_text("Not reported")
    expect(page.get_by_role("button", name=re.compile("Evidence Profile of"))).to_have_count(0)


def test_the_matrix_downloads_the_summary_of_findings_and_the_sources(web, ds):
    """The whole matrix's Summary of Qualitative Findings comes as Word, and every source as
    RIS and BibTeX that reference-manager libraries read back."""
    page = web.open("matrix")
    name, data = _saved(page, "Download the Summary of Qualitative Findings and every "
                              "Evidence Profile (Word)")
    assert name == profiles_filename(ds, "docx")
    text = "\n".join(c.text for t in docx.Document(io.BytesIO(data)).tables
                     for r in t.rows for c in r.cells)
    assert all(f in text for f in profiles.summary_of_findings(ds).finding)
    name, data = _saved(page, "Download every source for a reference manager (RIS)")
    assert name == references_filename(ds, "ris")
    assert [e["id"] for e in rispy.loads(data.decode("utf-8"))] == list(ds.sources.source_id)
    name, data = _saved(page, "Download every source for a reference manager (BibTeX)")
    assert [e.key for e in bibtexparser.parse_string(data.decode("utf-8")).entries] == list(
        ds.sources.source_id)
    screenshot(page, "matrix-cerqual-downloads")
