"""Specifications of the static read-only site: every page as plain HTML, assets once,
links that resolve, the dataset's version everywhere, and links to and from the live explorer."""

from __future__ import annotations

import json
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from explorer.app.briefings import plotly_js
from explorer.app.site import SiteError, build_site, check_live
from explorer.cli import main
from explorer.data.load import load
from explorer.evidence import query
from explorer.pages.registry import PAGES, static_url

LIVE = "https://explorer.example.org"


class Links(HTMLParser):
    """Every ``href`` and ``src`` and every ``id`` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "href" in attrs:
            self.hrefs.append(attrs["href"])
        if "src" in attrs:
            self.srcs.append(attrs["src"])
        if "id" in attrs:
            self.ids.add(attrs["id"])


def parse(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text(encoding="utf-8"))
    return links


@pytest.fixture(scope="module")
def site(ds, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("site") / "site"
    build_site(ds, folder, live=LIVE, today=date(2026, 11, 27))
    return folder


def expected_pages(ds) -> set[str]:
    return ({f"{name}.html" for name in PAGES if name not in ("matrix", "story")}
            | {"matrix.html"}
            | {f"matrix-{c}.html" for c in query.column_kinds(ds) if c != "project"}
            | {f"story-{p}.html" for p in ds.projects.project_id})


def test_the_site_has_every_page_story_and_matrix_choice(ds, site):
    """Each registry page's default view, a story per project (unidentified included, as a
    note), the matrix per column choice, findings, disagreements and sources."""
    pages = {p.name for p in site.glob("*.html")}
    assert pages == expected_pages(ds)
    manifest = json.loads((site / "site.json").read_text())
    assert {p["path"] for p in manifest["pages"]} == pages
    assert manifest["dataset_version"] == ds.version


def test_assets_are_written_once_and_pages_only_link_to_them(site):
    """plotly.js and the CSS are files of the site; no page carries either inline."""
    assets = sorted(p.name for p in (site / "assets").iterdir())
    assert assets == ["charts.js", "explorer.css", "plotly.min.js"]
    assert (site / "assets" / "plotly.min.js").read_text() == plotly_js()
    for page in site.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert len(text) < 1_000_000, page.name  # plotly.min.js alone is over 3 MB
        assert "<style>" not in text
        assert re.findall(r"<script(?![^>]*application/json)[^>]*>", text) in (
            [], ['<script src="assets/plotly.min.js">', '<script src="assets/charts.js">'])


def test_every_page_carries_the_dataset_version_and_date(ds, site):
    """Every static page states the dataset's version and the date of its data."""
    for page in site.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert f"Dataset version {ds.version}, data as of {ds.data_as_of}." in text, page.name


def test_every_internal_link_resolves_to_a_page_and_anchor(site):
    """Relative links go to files of the site, and their #anchors exist there."""
    ids = {page.name: parse(page).ids for page in site.glob("*.html")}
    checked = 0
    for page in site.glob("*.html"):
        links = parse(page)
        for href in links.hrefs + links.srcs:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc:
                assert parts.scheme in ("http", "https"), (page.name, href)
                continue
            target = unquote(parts.path) or page.name
            assert (site / target).is_file(), (page.name, href)
            if parts.fragment:
                assert parts.fragment in ids[target], (page.name, href)
            checked += 1
    assert checked > 200


def test_charts_are_drawn_where_the_dashboards_draw_them(ds, site):
    """Matrix (each choice), story (identified projects), compare and flows hold figures."""
    def figures(name: str) -> list[dict]:
        return [json.loads(m) for m in re.findall(
            r'<script type="application/json" id="[^"]+">(.*?)</script>',
            (site / name).read_text(encoding="utf-8"), re.S)]

    for name in ("matrix.html", "matrix-setting_type.html", "compare.html", "flows.html",
                 "story-pathway.html"):
        assert len(figures(name)) == 1, name
    assert figures("story-unidentified-7.html") == []
    assert figures("overview.html") == []


def test_matrix_cells_link_to_the_evidence_behind_them(ds, site):
    """A cell with records links to a section listing exactly those records."""
    text = (site / "matrix-setting_type.html").read_text(encoding="utf-8")
    cells = query.matrix(ds, "setting_type")
    with_records = 0
    for r in cells.itertuples(index=False):
        records = query.cell_records(ds, "setting_type", r.mechanism_id, r.column_id)
        anchor = f"cell-{r.mechanism_id}--{r.column_id}"
        if records.empty:
            assert f'href="#{anchor}"' not in text
            continue
        with_records += 1
        start = text.index(f'id="{anchor}"')
        section = text[start:text.index("</section>", start)]
        shown = re.findall(r"<code>([a-z0-9_-]+-ev-[a-z0-9_-]+)</code>", section)
        assert shown == list(records["Record"])
    assert with_records > 3


def test_static_pages_link_to_their_live_counterparts(site):
    """With --live, each page links to the same view of the running explorer."""
    assert (f'href="{LIVE}/voila/render/matrix.ipynb?columns=setting_type"'
            in (site / "matrix-setting_type.html").read_text(encoding="utf-8"))
    assert (f'href="{LIVE}/voila/render/story.ipynb?project=pathway"'
            in (site / "story-pathway.html").read_text(encoding="utf-8"))
    assert (f'href="{LIVE}/voila/render/overview.ipynb"'  # the live page that shows it
            in (site / "sources.html").read_text(encoding="utf-8"))


def test_without_live_there_is_no_live_link(ds, tmp_path):
    """A site built without --live has no link to a live explorer."""
    build_site(ds, tmp_path / "s")
    assert "/voila/render/" not in (tmp_path / "s" / "index.html").read_text(encoding="utf-8")


def test_html_planted_in_the_data_is_text_on_every_page(data_copy, tmp_path):
    """Markup planted in the data shows as text on every static page and runs nowhere."""
    data_copy.set_cell("projects", 3, "summary", "<img src=x onerror=alert(1)>")
    data_copy.set_cell("discrepancies", 2, "topic", "<script>alert(2)</script>")
    folder = tmp_path / "site"
    build_site(load(data_copy.path), folder)
    for page in folder.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "<img" not in text and "<script>alert" not in text, page.name
    assert "&lt;img src=x onerror=alert(1)&gt;" in (folder / "story-pathway.html").read_text()
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in (folder / "discrepancies.html").read_text()


def test_a_folder_that_is_not_a_site_is_never_overwritten(ds, tmp_path):
    """A non-empty folder without the site's manifest is refused and left alone."""
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    with pytest.raises(SiteError, match="not a site written by this command"):
        build_site(ds, folder)
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_rebuilding_replaces_the_previous_site(ds, tmp_path):
    """A site written before is replaced whole: no stale page survives."""
    folder = tmp_path / "site"
    build_site(ds, folder)
    (folder / "story-gone.html").write_text("stale")
    build_site(ds, folder)
    assert not (folder / "story-gone.html").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["site"]  # no staging folder left


@pytest.mark.parametrize("live", ["javascript:alert(1)", "ftp://x", "example.org",
                                  'https://x.org/"><script>'])
def test_live_must_be_an_http_address(live):
    """--live must be an http(s) address; javascript:, ftp:, bare names and markup are refused."""
    with pytest.raises(SiteError, match="--live must be an http"):
        check_live(live)


def test_live_pages_link_to_the_read_only_version_when_configured(ds, monkeypatch):
    """$EXPLORER_STATIC_URL turns on the link; the view picks the static page."""
    from explorer.app.dashboards import build

    monkeypatch.delenv("EXPLORER_STATIC_URL", raising=False)
    app = build("matrix", "columns=setting_type&strength=partial", ds, strict=True)
    assert app.readonly.value == ""
    monkeypatch.setenv("EXPLORER_STATIC_URL", "https://static.example.org/ctg")
    app.open("matrix", "columns=setting_type&strength=partial")
    assert 'href="https://static.example.org/ctg/matrix-setting_type.html"' in (
        app.readonly.value)
    app.open("story", "project=peer-support")
    assert "story-peer-support.html" in app.readonly.value


@pytest.mark.parametrize("value", ["javascript:alert(1)", "//evil.org/", 'https://x"y'])
def test_a_bad_static_url_is_ignored(monkeypatch, value, caplog):
    """An unsafe EXPLORER_STATIC_URL is ignored with a logged warning, so no link is shown."""
    monkeypatch.setenv("EXPLORER_STATIC_URL", value)
    assert static_url() == ""
    assert "ignoring EXPLORER_STATIC_URL" in caplog.text


def test_the_app_shows_the_read_only_link_for_the_page_on_show(ds, monkeypatch):
    """The live frame follows the reader: the link changes with the page and view."""
    from explorer.app.dashboards import build

    monkeypatch.setenv("EXPLORER_STATIC_URL", "/static/")
    app = build("matrix", "columns=setting_type", ds, strict=True)
    assert 'href="/static/matrix-setting_type.html"' in app.readonly.value
    app.open("story", "project=pathway")
    assert 'href="/static/story-pathway.html"' in app.readonly.value
    monkeypatch.delenv("EXPLORER_STATIC_URL")
    app.open("overview")
    assert app.readonly.value == "" and app.readonly.layout.display == "none"


def test_cli_site_writes_the_site_and_reports_its_size(tmp_path, capsys):
    """site --out writes the site and reports its pages, files and size."""
    assert main(["site", "--out", str(tmp_path / "s"), "--live", LIVE]) == 0
    out = capsys.readouterr().out
    assert re.match(r"wrote 19 pages to .*: 40 files, \d\.\d MB", out)


def test_cli_site_with_a_bad_live_address_exits_2_and_writes_nothing(tmp_path, capsys):
    """site with an unsafe --live exits 2 with the reason and writes nothing."""
    assert main(["site", "--out", str(tmp_path / "s"), "--live", "javascript:x"]) == 2
    assert "explorer site: --live must be an http" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


def test_cli_site_into_a_foreign_folder_exits_2(tmp_path, capsys):
    """site --out into a folder holding other files exits 2: it is not a site this wrote."""
    (tmp_path / "keep.txt").write_text("x")
    assert main(["site", "--out", str(tmp_path)]) == 2
    assert "not a site written by this command" in capsys.readouterr().err


def test_the_lessons_page_is_a_printable_worksheet_that_links_to_the_live_exercise(site):
    """A static site cannot keep answers: its lessons page lists the questions to fill in
    on paper and sends the room to the live page."""
    page = (site / "lessons.html").read_text(encoding="utf-8")
    assert page.count("☐") >= 7
    assert f'href="{LIVE}/voila/render/lessons.ipynb"' in page


#: Words the explorer once used for a gap, a count or a cap, each replaced by the one
#: vocabulary (a gap is "not reported"): none may reach a reader's page, chart or legend.
OLD_GAP_WORDS = ("Sources silent", "No level: the sources are silent", "'sources silent'",
                 "the sources we read are silent", "Number = ",
                 "rated other than", "Not found in any source", "Held down")
#: Statistics' names, for the analysts' fold only.
STATISTICS = re.compile(r"Krippendorff|\bkappa\b|\balpha\b|bootstrap", re.IGNORECASE)
#: Folds written for analysts, where ids and statistics belong.
ANALYSTS_FOLDS = ("ctg-analysts", "ctg-ids")


class ReaderText(HTMLParser):
    """A page's text as a reader sees it, outside the analysts' folds, and its scripts' text
    (the charts' titles, captions and legends) apart."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._open: list[tuple[str, bool]] = []  # (tag, folded away for analysts)

    def _hidden(self) -> bool:
        return any(folded for _, folded in self._open)

    def handle_starttag(self, tag, attrs):
        if tag in ("details", "script", "style"):
            classes = (dict(attrs).get("class") or "").split()
            self._open.append((tag, tag == "details" and bool(set(classes) & set(ANALYSTS_FOLDS))))

    def handle_endtag(self, tag):
        if self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_data(self, data):
        inside = self._open[-1][0] if self._open else ""
        if inside in ("script", "style"):
            self.scripts.append(data)
        elif not self._hidden():
            self.text.append(data)


def test_reader_pages_use_one_vocabulary_for_gaps_and_keep_statistics_in_the_fold(site):
    """No page, chart or legend of the site says a gap in the old words, and no statistic's
    name is shown outside the analysts' fold."""
    pages = sorted(site.glob("*.html"))
    assert pages
    for path in pages:
        reader = ReaderText()
        reader.feed(path.read_text(encoding="utf-8"))
        text, scripts = " ".join(reader.text), " ".join(reader.scripts)
        for words in OLD_GAP_WORDS:
            assert words not in text and words not in scripts, (path.name, words)
        assert not STATISTICS.search(text), (path.name, STATISTICS.search(text))


def test_every_download_names_what_it_holds_and_its_id_columns_as_ids(site):
    """Every CSV of the site is named after what it holds (none is a bare
    'evidence-records.csv'), and its columns of ids say that they are ids."""
    downloads = sorted(site.glob("*.csv"))
    assert len({path.name for path in downloads}) == len(downloads) > 1
    assert not any(path.name.endswith("evidence-records.csv") for path in downloads)
    for path in downloads:
        header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
        assert not {"Record", "Citations", "Records (ids)"} & set(header), path.name
        assert "Record ids" in header or "Record id" in header or "flows" in path.name, path.name
