"""Bad or hostile data never reaches the browser as a traceback or as live HTML.

Each test starts its own Voila server with ``EXPLORER_DATA`` pointing at a modified copy of
``data/``.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from browser_kit import assert_no_voila_error, copy_data, screenshot
from playwright.sync_api import expect

import explorer
from explorer.errors import DataError
from explorer.evidence import query

pytestmark = pytest.mark.browser

PAYLOAD = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'


def edit_cell(folder: Path, table: str, key_column: str, key: str, column: str,
              change) -> None:
    """Rewrite one cell of ``table`` (the row whose ``key_column`` is ``key``)."""
    path = folder / f"{table}.csv"
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    hits = [row for row in rows[1:] if row[header.index(key_column)] == key]
    assert len(hits) == 1, f"{table}.csv has no single row {key_column}={key}"
    index = header.index(column)
    hits[0][index] = change(hits[0][index])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


# -- a broken data package -----------------------------------------------------------------

@pytest.fixture(scope="module")
def broken(tmp_path_factory, voila_factory):
    """A server whose data has one invalid enum value (a setting type nobody declared)."""
    folder = copy_data(tmp_path_factory.mktemp("broken") / "data")
    edit_cell(folder, "projects", "project_id", "record-access", "setting_type",
              lambda _old: "spaceship")
    with pytest.raises(DataError) as raised:
        explorer.load(folder)
    return voila_factory(folder), raised.value.problems


def test_broken_data_shows_a_plain_message(web, broken):
    """With an invalid value in a CSV, the page says the data could not be loaded and names
    the file, line and column of the problem, with no traceback."""
    server, problems = broken
    (problem,) = problems
    page = web.open("matrix", server=server, chart=False)

    root = page.locator(".ctg-root")
    expect(root).to_contain_text("could not be loaded")
    message = page.locator(".ctg-error")
    expect(message).to_have_attribute("role", "alert")
    expect(message).to_contain_text(problem.file)
    expect(message).to_contain_text(f"line {problem.line}")
    expect(message).to_contain_text(f'column "{problem.column}"')
    expect(message).to_contain_text("spaceship")
    expect(page.locator(".ctg-grid")).to_have_count(0)
    assert_no_voila_error(page)
    for word in ("Traceback", "DataError", "File \"", ".py", str(server.data)):
        assert word not in root.inner_text(), f"{word!r} shown to the user"
    screenshot(page, "broken-data")
    web.assert_clean()


# -- HTML planted in free-text fields ------------------------------------------------------

PLANTED = (  # table, key column, key, free-text column
    ("projects", "project_id", "pathway", "summary"),
    ("mechanism_evidence", "evidence_id", "pw-ev-culture_environment", "explanation"),
    ("findings", "finding_id", "ctg-f-1", "text"),
    ("outcomes", "outcome_id", "pw-out-1", "description"),
    ("sources", "source_id", "hf-pathway-page", "title"),
    ("mechanisms", "mechanism_id", "culture_environment", "label"),
)


@pytest.fixture(scope="module")
def planted(tmp_path_factory, voila_factory):
    """A server whose data carries HTML and script in free-text cells (still valid data)."""
    folder = copy_data(tmp_path_factory.mktemp("planted") / "data")
    for table, key_column, key, column in PLANTED:
        edit_cell(folder, table, key_column, key, column, lambda old: f"{old} {PAYLOAD}")
    ds = explorer.load(folder)  # the planted package must still validate
    return voila_factory(folder), ds


def assert_inert(page) -> None:
    """The planted markup is on the page as text, and nothing of it became an element."""
    expect(page.locator(".ctg-root")).to_contain_text("<img src=x")
    expect(page.locator(".ctg-root")).to_contain_text("<script>window.__pwned=1</script>")
    expect(page.locator('img[src="x"]')).to_have_count(0)
    assert page.locator("script").evaluate_all(
        "scripts => scripts.filter(s => s.textContent.includes('__pwned')).length") == 0
    assert page.evaluate("() => window.__pwned") is None


def test_planted_html_is_text_on_the_overview(web, planted):
    """HTML in a finding and a source title shows as text on the overview and never runs."""
    server, _ = planted
    page = web.open("overview", server=server)
    expect(page.locator(".ctg-root li", has_text="Changing relationships means")).to_contain_text(
        PAYLOAD)
    assert_inert(page)
    web.assert_clean()


def test_planted_html_is_text_in_the_matrix(web, planted):
    """HTML in an evidence explanation and a mechanism name shows as text in the matrix (grid,
    chart, records) and never runs, also after choosing the cell of that evidence."""
    server, ds = planted
    page = web.open("matrix", server=server)
    mechanisms = list(query.facet_options(ds, "mechanism"))
    projects = list(query.facet_options(ds, "project"))
    index = mechanisms.index("culture_environment") * len(projects) + projects.index("pathway")

    page.locator(".ctg-grid .ctg-cell").nth(index).click()

    expect(page).to_have_url(re.compile(r"cell=culture_environment:pathway"))
    records = page.locator(".ctg-records")
    expect(records).to_contain_text("pw-ev-culture_environment")
    expect(records).to_contain_text(PAYLOAD)
    assert_inert(page)
    screenshot(page, "planted-matrix")
    web.assert_clean()


def test_planted_html_is_text_in_the_story(web, planted):
    """HTML in a project summary, outcome and source title shows as text in that project's
    story and never runs."""
    server, _ = planted
    page = web.open("story", "project=pathway", server=server)
    expect(page.locator(".ctg-root h2").first).to_contain_text("Pathway")
    expect(page.locator(".ctg-root")).to_contain_text("Sources")
    assert_inert(page)
    screenshot(page, "planted-story")
    web.assert_clean()


def test_planted_html_is_text_in_the_flows(web, planted):
    """HTML in a mechanism name shows as text in the flows diagram's table and never runs."""
    server, _ = planted
    page = web.open("flows", server=server)
    expect(page.locator(".ctg-root table").first).to_contain_text(PAYLOAD)
    assert_inert(page)
    web.assert_clean()
