"""The public API is what ``__all__`` says, and ``__all__`` says what the package offers.

Modelled on httpx's ``tests/test_exported_members.py``. The lists below are the
specification: adding or removing a public name is a decision, made here as well as in
``__all__``, and the API reference (``make docs``) documents exactly these names.
"""

from __future__ import annotations

import inspect
import types

import pytest

import explorer
from explorer.evidence import query

EXPLORER_API = [
    "Citation", "DataError", "Dataset", "ExplorerError", "Problem", "ProvenanceError",
    "QueryError", "StateError", "data_path", "load", "query", "validate",
    # public modules: the charts, the GRADE-CERQual tables, csv_text and build
    "dashboards", "figures", "html", "profiles",
]
PUBLIC_MODULES = {"dashboards", "figures", "html", "profiles", "query"}
QUERY_API = [
    "STRENGTH_ORDER", "Agreement", "Filters", "PairAgreement", "ProjectStory",
    "activity_mechanism_links",
    "cell_records", "citation_text", "coding_agreement", "codings", "column_kinds",
    "compare_projects", "contested_evidence", "describe_filters", "evidence_records",
    "facet_counts", "facet_help", "facet_options", "facet_title", "facets", "humanise",
    "matrix", "project_chains", "project_story", "reader_table", "rows",
    "same_activity_different_mechanisms", "strength_help", "strength_label",
    "strength_labels", "strongest", "term",
]


@pytest.mark.parametrize(("module", "expected"), [(explorer, EXPLORER_API),
                                                   (query, QUERY_API)])
def test_all_is_the_intended_public_api(module, expected):
    """``__all__`` lists exactly the names the module means to offer, each once."""
    assert sorted(module.__all__) == sorted(expected)
    assert len(module.__all__) == len(set(module.__all__))


@pytest.mark.parametrize("module", [explorer, query])
def test_every_exported_name_exists(module):
    """``from module import *`` works: every name in ``__all__`` is defined."""
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert not missing


def test_the_package_exports_every_public_name_it_defines():
    """Apart from its submodules, every public name in ``explorer`` is in ``__all__``."""
    public = {name for name, value in vars(explorer).items()
              if not name.startswith("_") and not isinstance(value, types.ModuleType)}
    assert public == set(explorer.__all__) - PUBLIC_MODULES
    assert all(isinstance(getattr(explorer, name), types.ModuleType) for name in PUBLIC_MODULES)


@pytest.mark.parametrize(("module", "name"), [(explorer, n) for n in EXPLORER_API]
                         + [(query, n) for n in QUERY_API])
def test_every_exported_function_and_class_is_documented(module, name):
    """The API reference is built from docstrings, so each callable has one."""
    value = getattr(module, name)
    if callable(value) or isinstance(value, types.ModuleType):
        assert inspect.getdoc(value), f"{module.__name__}.{name} has no docstring"
