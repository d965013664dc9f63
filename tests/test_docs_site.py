"""The documentation site: it builds offline and strictly, and its figures come from records.

``make docs`` builds ``docs/`` with Sphinx and MyST, warnings as errors; this module builds
it once (into a temporary folder) and checks what a newcomer and an offline room rely on: the
pages exist, nothing is fetched from another host, a broken link fails the build, and every
figure written on the measured pages (performance, costs, tests) matches a result record in
``bench/results/``. The README is a landing page that points into the site.
"""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import explorer
from explorer import query

from conftest import ROOT

DOCS = ROOT / "docs"
RESULTS = ROOT / "bench" / "results"
GUIDES = ("readers", "facilitators", "analysts", "operators")
PAGES = (*GUIDES, "index", "data", "architecture", "api", "performance", "costs", "tests",
         "known-issues", "changelog")
#: Pages whose figures are measurements: each must match a result record.
MEASURED_PAGES = ("performance", "costs", "tests")


def sphinx_build(source: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """``sphinx-build -W --keep-going`` as ``make docs`` runs it."""
    return subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b",
                           "html", str(source), str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The documentation, built by `make docs` into a temporary folder."""
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(["make", "-s", "-o", ".venv/.dev-stamp", "docs", f"DOCS_OUT={out}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_the_site_builds_every_page_with_warnings_as_errors(site):
    """`make docs` succeeds under -W and writes a page per guide and per reference page."""
    for page in PAGES:
        assert (site / f"{page}.html").is_file(), page


# -- a broken link fails the build --------------------------------------------------------

BROKEN = {
    "a link to a page that does not exist": "See [the missing page](missing.md).",
    "a reference to a label nobody defined": "See {ref}`no-such-section`.",
    "a reference to a name of the explorer the API does not document":
        "Call {py:func}`explorer.no_such_function`.",
    "a figure no result record holds": "It took {figure}`no-such-record:served_s` s.",
}


@pytest.fixture(scope="module")
def tiny_site(tmp_path_factory) -> Path:
    """A site with the real configuration (docs/conf.py) and one page, to break."""
    source = tmp_path_factory.mktemp("tiny")
    (source / "conf.py").write_text(textwrap.dedent(f"""
        import runpy
        globals().update({{k: v for k, v in runpy.run_path({str(DOCS / 'conf.py')!r}).items()
                          if not k.startswith('__')}})
    """), encoding="utf-8")
    return source


GOOD_PAGE = """# Home

(home)=
## Here

See {ref}`home`, [the other page](other.md), {py:func}`explorer.load` and
{figure}`site-2026-12-07:site_files` files.

```{eval-rst}
.. autofunction:: explorer.load
```

```{toctree}
:hidden:

other
"""


def test_the_tiny_site_builds_when_nothing_is_broken(tiny_site, tmp_path):
    """The control: the same site with good links, references and a recorded figure builds."""
    (tiny_site / "index.md").write_text(GOOD_PAGE + "```\n", encoding="utf-8")
    (tiny_site / "other.md").write_text("# Other\n\nBack [home](index.md).\n", encoding="utf-8")
    done = sphinx_build(tiny_site, tmp_path / "out")
    assert done.returncode == 0, done.stderr


def test_a_broken_link_or_reference_fails_the_build(tiny_site, tmp_path):
    """A page with a broken internal link, cross-reference or recorded figure fails `make
    docs` (and so `make test`), and the build names each broken page."""
    pages = {f"broken{i}": text for i, text in enumerate(BROKEN.values())}
    for name, text in pages.items():
        (tiny_site / f"{name}.md").write_text(f"# {name}\n\n{text}\n", encoding="utf-8")
    (tiny_site / "index.md").write_text(
        GOOD_PAGE + "".join(f"{name}\n" for name in pages) + "```\n", encoding="utf-8")
    done = sphinx_build(tiny_site, tmp_path / "out")
    assert done.returncode != 0
    for name in pages:
        assert f"{name}.md" in done.stderr, (name, done.stderr)


# -- offline ------------------------------------------------------------------------------

# What makes a browser fetch: a script, a stylesheet or preload, an image, a frame, a font
# (CSS url() and @import). Plain links (<a href>) are fetched only when followed.
FETCHES_HTML = re.compile(
    r"<(?:script|img|iframe|source|audio|video|embed)\b[^>]*\bsrc=[\"']([^\"']+)|"
    r"<link\b[^>]*\bhref=[\"']([^\"']+)", re.IGNORECASE)
FETCHES_CSS = re.compile(r"url\(\s*[\"']?([^\"')]+)|@import\s+[\"']([^\"']+)", re.IGNORECASE)


def external(address: str) -> bool:
    return bool(re.match(r"(?:[a-z][a-z0-9+.-]*:)?//", address, re.IGNORECASE)) and \
        not address.startswith("data:")


def requests_elsewhere(site: Path) -> dict[str, list[str]]:
    """Each built file's requests to another host."""
    found: dict[str, list[str]] = {}
    for path in site.rglob("*"):
        if path.suffix not in (".html", ".css", ".js") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        pattern = FETCHES_HTML if path.suffix == ".html" else FETCHES_CSS
        if path.suffix == ".js":
            # Scripts that fetch or load by address: a literal https:// URL they would load.
            hits = re.findall(r"(?:fetch|import|src\s*=|href\s*=)\s*\(?\s*[\"'](https?://[^\"']+)",
                              text)
        else:
            hits = [next(g for g in match if g) for match in pattern.findall(text)]
        if outside := [h for h in hits if external(h)]:
            found[str(path.relative_to(site))] = outside
    return found


def test_the_built_site_requests_nothing_from_another_host(site):
    """No page, stylesheet or script of the site loads anything from elsewhere: no CDN, no
    web fonts, no analytics; the theme's fonts and icons come from the site itself."""
    assert requests_elsewhere(site) == {}


def test_the_offline_check_catches_a_cdn_script_and_a_web_font(tmp_path):
    """The control: a CDN script, a remote stylesheet and a remote font are all found."""
    (tmp_path / "page.html").write_text(
        '<script src="https://cdn.example.org/x.js"></script>'
        '<link rel="stylesheet" href="//fonts.example.org/f.css"><a href="https://ok.org">ok</a>',
        encoding="utf-8")
    (tmp_path / "style.css").write_text("@font-face{src:url(https://fonts.example.org/f.woff2)}",
                                        encoding="utf-8")
    found = requests_elsewhere(tmp_path)
    assert found == {"page.html": ["https://cdn.example.org/x.js", "//fonts.example.org/f.css"],
                     "style.css": ["https://fonts.example.org/f.woff2"]}


# -- figures from recorded runs -----------------------------------------------------------

UNITS = {"ms": "ms", "s": "s", "MB": "mb", "GB": "gb", "KB": "kb", "%": "pct", "×": ""}
# A number, or a range of two, then its unit. A number after ≤ or ≥ is a target, not a
# measurement; a scale of the data is written before its number (×100).
FIGURE = re.compile(r"(?<![\w.,≤≥<>~×])(?<![≤≥] )(\d[\d,]*(?:\.\d+)?)"
                    r"(?:\s*[–-]\s*(\d[\d,]*(?:\.\d+)?))?\s*(ms|s|MB|GB|KB|%|×)(?![\w])")


def records() -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(RESULTS.glob("*.json"))}


def _numbers(value) -> list[float]:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return [n for v in value.values() for n in _numbers(v)]


def recorded_figures() -> dict[str, set[float]]:
    """Every number any record holds, by the unit its figure's name ends in ("" for counts
    and ratios)."""
    found: dict[str, set[float]] = {}
    for record in records().values():
        for name, value in record["figures"].items():
            unit = next((u for u in ("ms", "s", "mb", "gb", "kb", "pct")
                         if name.endswith(f"_{u}")), "")
            found.setdefault(unit, set()).update(_numbers(value))
    return found


def written_figures(text: str) -> list[tuple[str, float, str]]:
    """Numbers with a unit typed into a page's source, outside generated tables (``records``
    directives), recorded figures (the ``figure`` role) and code blocks."""
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    text = re.sub(r"\{figure\}`[^`]*`", "", text)
    text = re.sub(r"`[^`]*`", "", text)
    found = []
    for match in FIGURE.finditer(text):
        low, high, unit = match.groups()
        for number in (low, high):
            if number:
                found.append((match.group(0), float(number.replace(",", "")), UNITS[unit]))
    return found


def unrecorded(text: str) -> list[str]:
    figures = recorded_figures()
    return [shown for shown, number, unit in written_figures(text)
            if number not in figures.get(unit, set())]


@pytest.mark.parametrize("page", MEASURED_PAGES)
def test_every_figure_written_on_a_measured_page_matches_a_record(page):
    """A measurement typed on the performance, cost or tests page is a number some result
    record holds, with the same unit; the tables themselves are generated from the records."""
    assert unrecorded((DOCS / f"{page}.md").read_text(encoding="utf-8")) == []


def test_the_figure_check_catches_a_hand_typed_figure():
    """The control: a figure no record holds is caught, in any unit and in a range; a target
    (after ≤) and a recorded figure are not."""
    recorded = next(iter(sorted(recorded_figures()["s"])))
    text = (f"Served in 123456.7 s, {recorded} s and 98765–98766 MB, in 4321 ms, at 97531%, "
            "target ≤ 55555 s.")
    assert unrecorded(text) == ["123456.7 s", "98765–98766 MB", "98765–98766 MB", "4321 ms",
                                "97531%"]


def test_the_measured_pages_are_made_from_records():
    """Each measured page draws at least one table from the records."""
    for page in MEASURED_PAGES:
        assert "```{records}" in (DOCS / f"{page}.md").read_text(encoding="utf-8"), page


def test_every_record_says_when_where_and_how_it_was_measured():
    """Each record names its benchmark, date, machine, load average, arguments and figures,
    and either its commit or that it was transcribed."""
    assert records()
    for name, record in records().items():
        assert {"benchmark", "date", "machine", "load_average", "arguments", "figures"} <= \
            set(record), name
        assert record["machine"]["cpu_count"], name
        assert record["figures"], name
        assert "commit" in record or record.get("source"), name
        if record.get("source"):
            assert record["source"].startswith("transcribed from README "), name


# -- the API reference ---------------------------------------------------------------------

def _anchors(page: Path) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', page.read_text(encoding="utf-8")))


@pytest.mark.parametrize(("module", "prefix"), [(explorer, "explorer"),
                                                (query, "explorer.query")])
def test_the_api_reference_documents_every_exported_name(site, module, prefix):
    """Each name in ``__all__`` has its own entry in the API reference, under its public
    name (not the internal module that defines it)."""
    # Submodules the package hands on (query, figures, html, …) have pages of their own.
    names = {f"{prefix}.{name}" for name in module.__all__
             if not inspect.ismodule(getattr(module, name))}
    assert names - _anchors(site / "api.html") == set()


def test_the_api_reference_has_a_section_for_every_module_the_package_hands_on(site):
    """Each public module ``explorer`` hands on (``query``, ``figures``, ``profiles``,
    ``html``, ``dashboards``) has its section in the API reference, with at least one of
    its names documented under the public module's name."""
    anchors = _anchors(site / "api.html")
    for name in explorer.__all__:
        if inspect.ismodule(getattr(explorer, name)):
            assert any(anchor.startswith(f"explorer.{name}.") for anchor in anchors), name


def test_the_api_reference_documents_the_dashboards_and_the_rooms_entry_points(site):
    """``explorer.dashboards.build`` and ``App``, and the rooms' public names, are
    documented."""
    from explorer import rooms

    anchors = _anchors(site / "api.html")
    assert {"explorer.dashboards.build", "explorer.dashboards.App"} <= anchors
    assert {f"explorer.rooms.{name}" for name in rooms.__all__} - anchors == set()


def test_the_architecture_page_shows_the_layers_picture(site):
    """The layers picture is drawn at build time and shown on the architecture page."""
    page = (site / "architecture.html").read_text(encoding="utf-8")
    assert "layers.svg" in page
    (svg,) = site.rglob("layers.svg")
    assert "<svg" in svg.read_text(encoding="utf-8")


def test_the_included_codebook_and_changelog_are_the_data_folders_own(site):
    """The data page includes data/CODEBOOK.md and the changelog page data/CHANGELOG.md, not
    copies: a heading of each appears in the built page."""
    codebook = (ROOT / "data" / "CODEBOOK.md").read_text(encoding="utf-8")
    changelog = (ROOT / "data" / "CHANGELOG.md").read_text(encoding="utf-8")
    first_section = re.search(r"^## (.+)$", codebook, re.MULTILINE).group(1)
    newest = re.search(r"^## (.+)$", changelog, re.MULTILINE).group(1)
    assert _text(site / "data.html").count(_words(first_section)) >= 1
    assert _words(newest) in _text(site / "changelog.html")
    for page in ("data.md", "changelog.md"):
        assert "```{include}" in (DOCS / page).read_text(encoding="utf-8")


def _text(page: Path) -> str:
    return _words(re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8")))


def _words(text: str) -> str:
    return " ".join(re.sub(r"[`*]", "", text).split())


# -- the README, a landing page -----------------------------------------------------------

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_is_a_landing_page_of_at_most_150_lines():
    """What it is, the two commands (and the analysts' third), and where to go next."""
    assert len(README.splitlines()) <= 150
    for command in ("make serve", "make test", "make lab", "make docs"):
        assert command in README, command


def test_the_readme_links_every_guide_and_every_link_resolves():
    """Each user's guide is linked from the README, and every local link names a file."""
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README)
    for guide in GUIDES:
        assert f"docs/{guide}.md" in links, guide
    for link in links:
        if not re.match(r"[a-z]+:", link):
            assert (ROOT / link).exists(), link


def test_the_build_output_is_not_committed():
    """docs/_build/ and the generated picture are git-ignored build output."""
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert {"docs/_build/", "docs/_generated/"} <= set(ignored)


# -- no machine's own paths --------------------------------------------------------------

MACHINE_PATH = "/" + "work" + "/"  # spelt in parts so that this file does not match itself


def test_no_script_names_one_machines_paths():
    """CI, the scripts, the Makefile, the tests, the benchmarks and the deploy files name no
    folder of one particular machine: what they need is found relative to the checkout."""
    files = [ROOT / ".ci" / "run", ROOT / "Makefile", ROOT / "conftest.py",
             *(p for folder in ("scripts", "tests", "bench", "deploy", "docs")
               for p in (ROOT / folder).rglob("*")
               if p.is_file() and p.suffix in ("", ".py", ".sh", ".yaml", ".yml", ".cfg",
                                                ".in", ".md", ".json", ".toml")
               and "node_modules" not in p.parts and "_build" not in p.parts)]
    named = [str(p.relative_to(ROOT)) for p in files
             if MACHINE_PATH in p.read_text(encoding="utf-8", errors="replace")]
    assert named == []


# -- the layers picture -------------------------------------------------------------------

def test_the_layers_picture_follows_pyprojects_layers_contract(tmp_path):
    """With an import-linter layers contract in pyproject.toml, the picture draws its layers,
    highest first, siblings side by side (``|`` independent, ``:`` not)."""
    sys.path.insert(0, str(DOCS / "_ext"))
    from layers import layers_contract, layers_svg

    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(textwrap.dedent("""
        [[tool.importlinter.contracts]]
        name = "Data flows one way"
        type = "layers"
        containers = ["explorer"]
        layers = ["serve", "app | rooms", "render : evidence", "data"]
    """), encoding="utf-8")
    layers, name = layers_contract(pyproject)
    assert name == "Data flows one way"
    assert layers == [["explorer.serve"], ["explorer.app", "explorer.rooms"],
                      ["explorer.render", "explorer.evidence"], ["explorer.data"]]
    svg = layers_svg(layers)
    assert svg.index("explorer.serve") < svg.index("explorer.app") < svg.index("explorer.data")
    pyproject.write_text("[project]\nname = 'x'\n", encoding="utf-8")
    assert layers_contract(pyproject) == ([], "")
