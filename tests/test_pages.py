"""Specifications of the page registry: one list of pages that everything reads."""

from __future__ import annotations

import importlib

import pytest

from explorer.cli import main
from explorer.dashboards.frame import Page
from explorer.notebooks import notebook_text
from explorer.pages import COMMON_PARAMETERS, PAGES, notebook_href, page_spec

from conftest import ROOT


@pytest.mark.parametrize("name", list(PAGES))
def test_each_page_is_built_by_the_module_named_after_it(name):
    """A newcomer finds a page's code by its URL name: explorer/dashboards/<name>.py."""
    spec = PAGES[name]
    module = importlib.import_module(spec.module)
    cls = getattr(module, spec.class_name)
    assert issubclass(cls, Page) and cls.name == name
    assert (ROOT / "explorer" / "dashboards" / f"{name}.py").is_file()


@pytest.mark.parametrize("name", list(PAGES))
def test_each_page_has_its_generated_notebook_and_nothing_else_is_served(name):
    """notebooks/<name>.ipynb is exactly what the registry generates."""
    notebook = ROOT / "notebooks" / f"{name}.ipynb"
    assert notebook.read_text(encoding="utf-8") == notebook_text(PAGES[name])


def test_the_site_serves_no_notebook_the_registry_does_not_know():
    """Every notebook in notebooks/ is a registered page (no stray or scratch notebooks)."""
    served = {path.stem for path in (ROOT / "notebooks").glob("*.ipynb")}
    assert served == set(PAGES)


def test_the_cli_writes_the_notebooks_from_the_registry(tmp_path, capsys):
    """python -m explorer notebooks writes one notebook per page."""
    assert main(["notebooks", "--out", str(tmp_path)]) == 0
    assert {p.stem for p in tmp_path.glob("*.ipynb")} == set(PAGES)
    assert capsys.readouterr().out.count("wrote ") == len(PAGES)


def test_every_page_understands_presentation_mode_and_its_steps():
    """The common parameters are on every page, after the page's own."""
    for spec in PAGES.values():
        assert list(spec.all_parameters())[-len(COMMON_PARAMETERS):] == list(COMMON_PARAMETERS)


def test_links_to_pages_carry_only_parameters_with_values():
    """notebook_href drops empty parameters and keeps ids readable."""
    assert notebook_href("matrix", columns="", cell="patient_beliefs:pathway") == (
        "matrix.ipynb?cell=patient_beliefs:pathway")
    assert notebook_href("overview") == "overview.ipynb"


def test_an_unknown_page_is_a_clear_error():
    """Asking for a page that does not exist names the pages that do."""
    with pytest.raises(KeyError, match="no page 'lesson'; pages: index, overview"):
        page_spec("lesson")


def test_the_registry_lets_a_page_filter_by_every_facet_the_queries_know():
    """A facet added to ``query.FACETS`` but not to the registry's URL parameters would be
    dropped from every link without a word: the two lists name the same facets."""
    from explorer import query
    from explorer.pages import FACET_PARAMETERS

    assert list(FACET_PARAMETERS) == list(query.FACETS)
