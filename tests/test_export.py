"""Specifications of the handouts: the matrix view a link describes, the whole programme's
briefing and one project's brief, each one self-contained file."""

from __future__ import annotations

import re
from datetime import date

from explorer.app.briefings import handout_html
from explorer.cli import main
from explorer.evidence import query
from explorer.evidence.query import Filters


def test_the_handout_holds_the_records_the_view_shows(mini):
    """The handout lists exactly the view's records, their count, the date and the view's link."""
    page = handout_html(mini, "strength=partial", today=date(2026, 11, 26))
    expected = list(query.reader_table(mini, Filters(strength=("partial",)))["Record"])
    assert re.findall(r"<code>([ab]-ev-\d)</code>", page) == expected == ["b-ev-1", "a-ev-3"]
    assert "The evidence records (2 records)" in page
    assert "handout made 2026-11-26" in page
    assert "matrix.ipynb?strength=partial" in page


def test_the_handout_of_a_chosen_cell_holds_only_its_records(mini):
    """A handout follows the reader's choice: a chosen cell prints that cell's records."""
    page = handout_html(mini, "cell=professional_beliefs:alpha")
    assert re.findall(r"<code>([ab]-ev-\d)</code>", page) == ["a-ev-2", "a-ev-3"]
    assert "evidence for professional beliefs × Alpha" in page


def test_any_page_has_a_handout_of_its_view(mini):
    """The handout is not only the matrix's: a story or a comparison prints as shown."""
    story = handout_html(mini, "project=beta", page="story")
    assert "Project story: Beta" in story and "<script" not in story
    compare = handout_html(mini, "project=beta,alpha", page="compare")
    assert ('<th scope="col" role="columnheader">Beta</th>'
            '<th scope="col" role="columnheader">Alpha</th>') in compare


def test_the_handout_shows_the_matrix_with_words_symbols_and_counts(mini):
    """Each handout matrix cell reads as symbol, word and count, under the chosen columns."""
    page = handout_html(mini, "columns=setting_type")
    assert "mechanisms by settings" in page
    assert '◆ Partial</span> <span class="ctg-count">(1 record)</span>' in page
    assert "– No records</span></span>" in page


def test_the_handout_promises_no_camera_button_it_lacks(ds):
    """A handout draws its chart in words, with no buttons: it does not tell the reader to
    press a camera button; the live page, which has one, does."""
    from explorer.dashboards import build

    assert "camera button" not in handout_html(ds, "", page="matrix")
    live = build("matrix", "", ds=ds, strict=True).current.widgets["chart-heading"].value
    assert "the camera button downloads it as a PNG" in live


def test_the_handout_is_self_contained(mini):
    """No scripts, no external stylesheets, images or fonts: it works offline and on paper."""
    page = handout_html(mini)
    assert "<script" not in page
    assert not re.search(r"\bsrc=", page)
    assert not re.search(r"<link\b", page)
    assert "@import" not in page and "url(" not in page


def test_hostile_parameters_are_dropped_and_reported_inertly(mini):
    """Markup in a handout's link is dropped, and the note about it shows the markup as text."""
    page = handout_html(mini, "project=%3Cscript%3Ealert(1)%3C/script%3E")
    assert "<script" not in page
    assert "Ignored &#39;&lt;script&gt;alert(1)&lt;/script&gt;&#39;" in page


def test_cli_export_writes_the_handout(mini_path, tmp_path, capsys):
    """export --query writes the handout for that view and says where it wrote it."""
    out = tmp_path / "handout.html"
    assert main(["export", "--data", str(mini_path), "--query", "strength=evident",
                 "--out", str(out)]) == 0
    assert "a-ev-1" in out.read_text()
    assert capsys.readouterr().out.startswith(f"wrote {out} (")


def test_cli_export_on_broken_data_exits_1_with_the_problems(mini_copy, tmp_path, capsys):
    """export on broken data exits 1 and lists the problems on stderr, without a traceback."""
    mini_copy.set_cell("projects", 3, "membership", "maybe")
    assert main(["export", "--data", str(mini_copy.path), "--out",
                 str(tmp_path / "x.html")]) == 1
    err = capsys.readouterr().err
    assert "projects.csv, line 3, column \"membership\"" in err
    assert "Traceback" not in err
    assert not (tmp_path / "x.html").exists()


# -- briefings -------------------------------------------------------------------------------

import json  # noqa: E402

import pytest  # noqa: E402

from explorer.app.briefings import (  # noqa: E402
    PRINT_WIDTH,
    briefing_filename,
    briefing_html,
    identified_projects,
    plotly_js,
    project_brief_html,
)
from explorer.data.load import load  # noqa: E402
from explorer.errors import StateError  # noqa: E402

PLANTED = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def briefing(ds):
    return briefing_html(ds, today=date(2026, 11, 27))


def _figures(page: str) -> list[dict]:
    return [json.loads(m) for m in re.findall(
        r'<script type="application/json" id="[^"]+">(.*?)</script>', page, re.S)]


def test_the_briefing_has_every_section_in_order(ds, briefing):
    """Overview (headlines, glance, uncertainty), matrix, each identified project in the data's
    order, then findings, disagreements and sources."""
    anchors = ["overview", "matrix", *[f"project-{p}" for p in identified_projects(ds)],
               "findings", "discrepancies", "sources"]
    positions = [briefing.index(f'id="{a}"') for a in anchors]
    assert positions == sorted(positions)
    overview = briefing[positions[0]:positions[1]]
    assert overview.index("What the evaluation found") < overview.index(
        "The evidence at a glance") < overview.index("What is uncertain")
    assert f"Dataset version {ds.version}, data as of {ds.data_as_of}" in briefing
    assert "made 2026-11-27" in briefing


def test_the_briefing_has_one_section_per_identified_project_only(ds, briefing):
    """An unidentified project gets no section (nothing is invented), but the overview names it."""
    sections = re.findall(r'<section class="ctg-brief-project ctg-page-break" id="project-([^"]+)"',
                          briefing)
    assert sections == identified_projects(ds)
    unidentified = ds.projects[ds.projects.membership.astype(str) == "unidentified"]
    assert len(unidentified) == 1
    assert f'id="project-{unidentified.project_id.iloc[0]}"' not in briefing
    assert str(unidentified.short_name.iloc[0]) in briefing


def test_each_project_section_holds_its_story_ratings_outcomes_and_sources(ds, briefing):
    """Chart, mechanism ratings, outcomes (with later evidence where the data has it), and
    the project's own sources."""
    later = set(ds.later_evidence.outcome_ids.explode())
    for project_id in identified_projects(ds):
        start = briefing.index(f'id="project-{project_id}"')
        end = briefing.find('<section class="ctg-brief', start + 10)
        section = briefing[start:end]
        story = query.project_story(ds, project_id)
        assert f'data-ctg-figure="chart-project-{project_id}-story-data"' in section
        assert "<caption>Mechanism ratings</caption>" in section
        assert section.count("<tr>") >= len(story.evidence)
        for source_id in set(story.sources.source_id):
            assert f'id="src-{source_id}"' in section
        has_later = bool(later & set(story.outcomes.outcome_id))
        assert ("Later evidence (" in section) == has_later


def test_the_briefing_writes_plotly_once_and_draws_every_chart_from_a_figure(ds, briefing):
    """plotly.js once; one matrix chart plus one Sankey per identified project, each sized
    to fit an A4 page."""
    assert briefing.count(plotly_js()) == 1
    assert len(briefing) < len(plotly_js()) + 600_000
    charts = _figures(briefing)
    assert len(charts) == 1 + len(identified_projects(ds))
    assert [c["data"][0]["type"] for c in charts] == ["scatter"] + ["sankey"] * (len(charts) - 1)
    assert all(c["layout"]["width"] == PRINT_WIDTH for c in charts)
    assert re.findall(r"<script(?![^>]*application/json)[^>]*>", briefing) == ["<script>"] * 2
    own = briefing.replace(plotly_js(), "")
    assert not re.search(r'\bsrc=|<link\b|@import|url\(', own)


def test_the_briefing_lists_every_cited_source_with_its_address(ds, briefing):
    """The sources section holds every source the data cites, and shows its web address."""
    sources = briefing[briefing.index('id="sources"'):]
    listed = set(re.findall(r'<li id="src-([^"]+)"', sources))
    assert listed == set(ds.citations().source_id)
    url = ds.sources.dropna(subset=["url"]).url.iloc[0]
    assert url in sources


def test_every_finding_and_disagreement_is_in_the_briefing(ds, briefing):
    """Each finding's text and each disagreement's topic appear (escaped as the page shows)."""
    from markupsafe import escape

    for text in ds.findings.text:
        assert str(escape(text)) in briefing
    for topic in ds.discrepancies.topic:
        assert str(escape(topic)) in briefing


def test_a_project_brief_holds_that_project_only(ds):
    """One project's section, its chart, its sources; no other project and no matrix."""
    page = project_brief_html(ds, "pathway", today=date(2026, 11, 27))
    assert re.findall(r'id="project-([^"]+)"', page) == ["pathway", "pathway-h"]
    assert 'id="matrix"' not in page and 'id="overview"' not in page
    assert len(_figures(page)) == 1
    assert page.count(plotly_js()) == 1
    assert "Pathway homeless care (UCLH): project brief" in page


def test_a_brief_for_an_unknown_or_unidentified_project_is_refused(ds):
    """A clear message naming the projects that have briefs; nothing is made up."""
    with pytest.raises(StateError, match=r"no project 'nope'.*pathway"):
        project_brief_html(ds, "nope")
    with pytest.raises(StateError, match="not identified"):
        project_brief_html(ds, "unidentified-7")


def test_briefing_file_names_come_from_the_programme_id(ds):
    """No programme name is typed into the code."""
    assert briefing_filename(ds) == "closing-the-gap-briefing.html"
    assert briefing_filename(ds, "pathway") == "closing-the-gap-pathway.html"


def test_html_planted_in_the_data_is_text_in_the_briefing(data_copy):
    """A summary, an activity (Sankey label) and a finding carrying markup stay inert."""
    data_copy.set_cell("projects", 3, "summary", PLANTED)
    data_copy.set_cell("activities", 2, "description", PLANTED + " activity")
    data_copy.set_cell("findings", 2, "text", PLANTED + " finding")
    page = briefing_html(load(data_copy.path))
    assert "<img" not in page.replace(plotly_js(), "")
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" not in page  # escaped for plotly first
    assert "&amp;lt;img" not in page.split('type="application/json"')[0]


# -- the command line ------------------------------------------------------------------------

def test_cli_export_without_options_writes_the_whole_briefing(tmp_path, capsys, monkeypatch):
    """`explorer export` = the whole programme, named after the programme."""
    monkeypatch.chdir(tmp_path)
    assert main(["export"]) == 0
    out = tmp_path / "closing-the-gap-briefing.html"
    assert 'id="matrix"' in out.read_text(encoding="utf-8")
    assert capsys.readouterr().out.startswith(f"wrote {out.name} (5.")


def test_cli_export_project_writes_one_brief(tmp_path):
    """export --project writes that project's brief."""
    out = tmp_path / "p.html"
    assert main(["export", "--project", "peer-support", "--out", str(out)]) == 0
    assert 'id="project-peer-support"' in out.read_text(encoding="utf-8")


def test_cli_export_matrix_keeps_the_handout(mini_path, tmp_path):
    """--matrix alone is the default matrix view; it has no scripts."""
    out = tmp_path / "m.html"
    assert main(["export", "--data", str(mini_path), "--matrix", "--out", str(out)]) == 0
    assert "<script" not in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(("args", "message"), [
    (["--project", "nope"], "explorer export: There is no project 'nope'"),
    (["--project", "unidentified-7"], "is not identified"),
])
def test_cli_export_refuses_unknown_projects_with_exit_2_and_no_file(tmp_path, capsys, args,
                                                                     message):
    """export of an unknown or unidentified project exits 2 with a message and writes no file."""
    out = tmp_path / "x.html"
    assert main(["export", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()


def test_cli_export_project_and_query_together_is_a_usage_error(tmp_path, capsys):
    """export with both --project and --query is a usage error (exit 2) that says why."""
    with pytest.raises(SystemExit) as exit_:
        main(["export", "--project", "pathway", "--query", "columns=project"])
    assert exit_.value.code == 2
    assert "cannot be used with --project" in capsys.readouterr().err


def test_cli_export_to_a_missing_folder_exits_1_with_a_message(tmp_path, capsys):
    """export into a folder that does not exist exits 1 with "cannot write", no traceback."""
    assert main(["export", "--project", "pathway", "--out",
                 str(tmp_path / "no" / "such" / "x.html")]) == 1
    err = capsys.readouterr().err
    assert "cannot write" in err and "Traceback" not in err


def test_a_printed_matrix_narrows_its_column_labels_as_columns_grow():
    """On A4 a column's label gets fewer characters a line the more columns share the
    width: the screen's 14 for a few columns, never fewer than 6."""
    from explorer.render.figures import print_label_width

    widths = [print_label_width(n) for n in (1, 3, 7, 10, 20, 500)]
    assert widths[:3] == [14, 14, 14]
    assert widths == sorted(widths, reverse=True)
    assert 6 < widths[3] < 14 and widths[-1] == 6


def test_a_standalone_file_carries_the_stylesheet_unescaped(mini):
    """Briefings, handouts and the lessons download hold the explorer's CSS as written:
    escaped, a child selector's '>' became '&gt;' and the browser dropped those rules
    (the framework boxes, wide tables, a measured outcome's later evidence)."""
    from explorer.app.briefings import briefing_html
    from explorer.evidence.lessons import Answers
    from explorer.pages.views.lessons import download_html
    from explorer.render import html

    expected = html.stylesheet()
    for page in (briefing_html(mini), handout_html(mini, ""),
                 download_html(mini, Answers(), "lessons.ipynb")):
        style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
        assert expected in style
        assert "&gt;" not in style and "&#39;" not in style


def test_css_that_would_end_its_style_element_is_refused():
    """Text that closes the <style> element early cannot be written into a page."""
    import pytest

    from explorer.render import html

    with pytest.raises(ValueError, match="cannot contain '</style'"):
        html.inline_stylesheet("</STYLE><script>")
