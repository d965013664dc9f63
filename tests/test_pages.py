"""Specifications of the page registry: one list of pages that everything reads, and a page
defined once (its parameters and content) for the live page, the static site and the print."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from explorer.app.notebooks import notebook_text
from explorer.cli import main
from explorer.pages.parameters import COMMON
from explorer.pages.registry import (
    PAGES,
    live_pages,
    notebook_href,
    page_parameters,
    page_spec,
    page_view,
    static_href,
)
from explorer.pages.state import parse_query
from explorer.pages.views.base import View
from explorer.render import html

from conftest import ROOT


@pytest.mark.parametrize("name", list(PAGES))
def test_each_page_is_defined_by_the_module_named_after_it(name):
    """A newcomer finds a page's code by its URL name: explorer/pages/views/<name>.py, whose
    VIEW
    is the page's one definition."""
    view = page_view(name)
    assert isinstance(view, View) and view.name == name
    assert (ROOT / "explorer" / "pages" / "views" / f"{name}.py").is_file()


@pytest.mark.parametrize("spec", live_pages(), ids=lambda spec: spec.name)
def test_each_live_page_has_its_generated_notebook(spec):
    """notebooks/<name>.ipynb is exactly what the registry generates."""
    notebook = ROOT / "notebooks" / f"{spec.name}.ipynb"
    assert notebook.read_text(encoding="utf-8") == notebook_text(spec)


def test_the_site_serves_no_notebook_the_registry_does_not_know():
    """Every notebook in notebooks/ is a live page (no stray, scratch or static-only one)."""
    served = {path.stem for path in (ROOT / "notebooks").glob("*.ipynb")}
    assert served == {spec.name for spec in live_pages()}


def test_the_cli_writes_the_notebooks_from_the_registry(tmp_path, capsys):
    """python -m explorer notebooks writes one notebook per live page."""
    assert main(["notebooks", "--out", str(tmp_path)]) == 0
    assert {p.stem for p in tmp_path.glob("*.ipynb")} == {s.name for s in live_pages()}
    assert capsys.readouterr().out.count("wrote ") == len(live_pages())


def test_every_page_understands_presentation_mode_and_its_steps(ds):
    """The common parameters are on every page, after the page's own."""
    for name in PAGES:
        assert list(page_parameters(ds, name))[-len(COMMON):] == list(COMMON)


def test_pages_that_filter_evidence_read_every_declared_facet(ds):
    """A facet declared in datapackage.json is a URL parameter of the matrix and flows pages
    with no other change: the facets come from the package, not from a list in code."""
    facets = [spec.name for spec in ds.descriptor.facets]
    for name in ("matrix", "flows"):
        parameters = page_parameters(ds, name)
        assert all(facet in parameters for facet in facets)


def test_links_to_pages_carry_only_parameters_with_values():
    """notebook_href drops empty parameters and keeps ids readable."""
    assert notebook_href("matrix", columns="", cell="patient_beliefs:pathway") == (
        "matrix.ipynb?cell=patient_beliefs:pathway")
    assert notebook_href("overview") == "overview.ipynb"


def test_a_static_only_page_links_live_to_the_page_that_shows_it():
    """Findings, disagreements and sources are their own pages on the static site; live,
    the overview shows them."""
    for name in ("findings", "discrepancies", "sources"):
        assert not PAGES[name].live
        assert notebook_href(name) == "overview.ipynb"


def test_static_addresses_come_from_each_page_definition(ds):
    """A view's static page is named by its own page's definition: the matrix by its
    columns (cell anchors only where the cell has evidence), a story by its project, a
    filter falls back to its page's default view."""
    assert static_href(ds, "matrix") == "matrix.html"
    assert static_href(ds, "matrix", columns="setting_type") == "matrix-setting_type.html"
    assert static_href(ds, "matrix", cell="patient_beliefs:pathway") == (
        "matrix.html#cell-patient_beliefs--pathway")
    assert static_href(ds, "matrix", cell="patient_beliefs:unidentified-7") == "matrix.html"
    assert static_href(ds, "story", project="pathway") == "story-pathway.html"
    assert static_href(ds, "story") == f"story-{ds.projects.project_id.iloc[0]}.html"
    assert static_href(ds, "flows", strength="evident") == "flows.html"


def test_an_unknown_page_is_a_clear_error():
    """Asking for a page that does not exist names the pages that do."""
    with pytest.raises(KeyError, match="no page 'lesson'; pages: index, overview"):
        page_spec("lesson")


GLOSSARY = '''
"""A small page added by a test: the mechanisms and what they mean."""

from explorer.render import html
from explorer.evidence import query
from explorer.pages.parameters import FacetIds
from explorer.render.blocks import Content, Html
from explorer.pages.views.base import View


class GlossaryView(View):
    name = "glossary"

    def parameters(self, ds):
        return {"mechanism": FacetIds("mechanism", facet="mechanism", is_many=False)}

    def briefing_states(self, ds):
        return ({},)

    def content(self, ds, state, links):
        chosen = state.get("mechanism")
        items = [(label, query.facet_help(ds, "mechanism")[key],
                  links.href("matrix", mechanism=key))
                 for key, label in query.facet_options(ds, "mechanism").items()
                 if not chosen or key == chosen]
        body = html.fragment("header", self.title, "What each mechanism means.")
        for label, meaning, href in items:
            body += html.fragment("link", href, label) + html.text(": " + meaning)
        return Content(self.title, (Html("glossary", body),), chosen or "")


VIEW = GlossaryView()
'''

CHECK = '''
import json, sys
from pathlib import Path
import explorer
from explorer.app.dashboards import build
from explorer.app.briefings import briefing_html
from explorer.app.site import build_site

ds = explorer.load()
app = build("glossary", "mechanism=patient_beliefs", ds, strict=True)
shown = app.current.widgets["glossary"].value
build_site(ds, Path(sys.argv[1]))
briefing = briefing_html(ds)
print(json.dumps({
    "title": app.navigation.title, "live": shown,
    "nav": [link[0] for link in app.navigation.links],
    "briefing": 'id="glossary"' in briefing and "What each mechanism means." in briefing,
}))
'''


def test_a_new_page_is_one_module_and_one_registry_entry(tmp_path):
    """In a copy of the package, one new module in explorer/pages/views/ and one line in the
    registry give a live page, a static page with working links, a briefing section and a
    notebook: nothing else lists pages."""
    copy = tmp_path / "explorer"
    shutil.copytree(ROOT / "explorer", copy, ignore=shutil.ignore_patterns("__pycache__"))
    glossary = copy / "pages" / "views" / "glossary.py"
    glossary.write_text(textwrap.dedent(GLOSSARY), encoding="utf-8")
    registry = (copy / "pages" / "registry.py").read_text(encoding="utf-8")
    entry = 'PageSpec("lessons", "Lessons for your project",'
    assert entry in registry
    registry = registry.replace(
        entry, 'PageSpec("glossary", "Glossary", "What each mechanism means."),\n    ' + entry)
    (copy / "pages" / "registry.py").write_text(registry, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "EXPLORER_DATA": str(ROOT / "data")}
    site = tmp_path / "site"
    result = subprocess.run([sys.executable, "-c", CHECK, str(site)], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["title"].startswith("Glossary · ")
    assert "glossary" in seen["nav"]
    assert "Patient beliefs" in seen["live"] and "matrix.ipynb?mechanism=patient_beliefs" in (
        seen["live"])
    assert seen["briefing"]
    page = (site / "glossary.html").read_text(encoding="utf-8")
    assert 'href="matrix.html"' in page  # the static link to the matrix resolves
    for other in site.glob("*.html"):
        assert 'href="glossary.html"' in other.read_text(encoding="utf-8"), other.name
    notebooks = tmp_path / "notebooks"
    result = subprocess.run([sys.executable, "-m", "explorer", "notebooks", "--out",
                             str(notebooks)], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert (notebooks / "glossary.ipynb").is_file()


BASIS_FACET = {"name": "basis", "title": "Basis", "plural": "Bases", "column": True,
               "description": "Whether a source states the rating or the curators coded it.",
               "path": ["mechanism_evidence.basis"]}


def test_a_new_facet_is_one_entry_in_the_descriptor(mini_copy):
    """Declaring one more facet in datapackage.json (here: each rating's basis) makes it a
    filter of the evidence, a URL parameter of the pages that filter, a choice of the
    matrix's columns and a filter box on the live page, with no change to the code."""
    from explorer.app.dashboards import build
    from explorer.data.load import load
    from explorer.evidence import query

    descriptor_file = mini_copy.file("datapackage.json")
    descriptor = json.loads(descriptor_file.read_text(encoding="utf-8"))
    descriptor["explorer:facets"].append(BASIS_FACET)
    descriptor_file.write_text(json.dumps(descriptor), encoding="utf-8")
    ds = load(mini_copy.path)

    bases = set(ds.mechanism_evidence.basis.astype(str))
    assert bases <= set(query.facet_options(ds, "basis"))
    coded = query.reader_table(ds, query.Filters(basis=("coded",)))
    assert 0 < len(coded) == (ds.mechanism_evidence.basis == "coded").sum()
    assert query.column_kinds(ds)["basis"] == "Bases"
    assert set(query.matrix(ds, "basis").column_id) == set(query.facet_options(ds, "basis"))
    for name in ("matrix", "flows"):
        assert "basis" in page_parameters(ds, name)
    assert parse_query(ds, "matrix", "basis=coded").values["basis"] == ("coded",)
    app = build("matrix", "basis=coded", ds, strict=True)
    facets = [facet["name"] for facet in app.current.widgets["filters"].facets]
    assert "basis" in facets


def test_every_page_that_shows_a_confidence_level_says_what_the_levels_rank(ds):
    """Wherever a level is shown (the matrix, a story, a comparison, the overview, the
    lessons, every static page), the package's one-sentence note is shown with it."""
    from explorer.app.site import StaticLinks, static_views
    from explorer.evidence.programme import Programme
    from explorer.evidence.query import confidence
    from explorer.render.document import blocks_html

    note = str(html.escape(Programme.of(ds).text("confidence_note")))
    labels = [label for label, _ in confidence.terms(ds, "confidence").values()]
    links = StaticLinks(ds)
    shown = []
    for static in static_views(ds, links):
        body = str(blocks_html(ds, static.content, links, static.name).body)
        if any(label in body for label in labels):
            shown.append(static.name)
            assert note in body, (static.name, static.parameters)
    assert {"matrix", "story", "compare", "overview"} <= set(shown)
