"""Facet names said once: the code names a facet only through the constants of
``explorer.data.descriptor.facets``, each of which the descriptor must declare."""

from __future__ import annotations

import ast
import json

import pytest

import explorer
from explorer.data.descriptor import facets

from conftest import ROOT

NAMED = frozenset(facets.REQUIRED_FACETS)
CONSTANTS = ROOT / "explorer" / "data" / "descriptor" / "facets.py"
#: Calls whose facet argument names a facet (``facet_options(ds, "project")``).
FACET_CALLS = frozenset({"facet_options", "facet_title", "facet_help", "facet_spec",
                         "facet_column", "check_ids", "matrix", "cell_records"})


def _facet(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value in NAMED


def _stray_names(source: str) -> list[int]:
    """The lines where ``source`` writes a facet's name where the code means the facet: as
    the facet argument of a facet lookup, as ``facet=``/``default=``, as the default (or the
    compared value) of a ``columns`` choice, or in a ``…_FACET(S)`` constant."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        hits: list[ast.AST] = []
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in FACET_CALLS:
                hits += node.args
            if name == "get" and node.args and isinstance(node.args[0], ast.Constant) and (
                    node.args[0].value == "columns"):
                hits += node.args[1:]
            hits += [k.value for k in node.keywords if k.arg in ("facet", "default")]
        elif isinstance(node, ast.arguments):
            named = [*node.posonlyargs, *node.args]
            hits += [default for arg, default in zip(named[len(named) - len(node.defaults):],
                                                     node.defaults, strict=True)
                     if arg.arg == "columns"]
        elif isinstance(node, ast.Compare) and any(
                isinstance(o, ast.Name) and o.id == "columns"
                for o in (node.left, *node.comparators)):
            hits += [node.left, *node.comparators]
        elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id.endswith(("_FACET", "_FACETS"))
                for t in node.targets):
            hits += list(ast.walk(node.value))
        lines += [hit.lineno for hit in hits if _facet(hit)]
    return sorted(set(lines))


def test_the_code_names_a_facet_only_through_the_constants():
    """No module but the constants' own writes a facet's name where it means the facet, so
    renaming a facet is one edit of the descriptor and one of the constants."""
    found = [f"{path.relative_to(ROOT)}:{line}"
             for path in sorted((ROOT / "explorer").rglob("*.py")) if path != CONSTANTS
             for line in _stray_names(path.read_text(encoding="utf-8"))]
    assert not found, found


def test_the_scan_finds_a_facet_named_by_its_string():
    """The scan is not blind: each way of naming a facet by its string is reported."""
    source = ('a = facet_options(ds, "project")\n'
              'def f(ds, columns="setting_type"): ...\n'
              'b = columns != "project"\n'
              'c = state.get("columns", "project")\n'
              'ROW_FACET = "mechanism"\n'
              'd = FacetIds("x", facet="activity_type")\n'
              'e = facet_options(ds, PROJECT)\n'
              'f = row["project"]\n')
    assert _stray_names(source) == [1, 2, 3, 4, 5, 6]


def test_every_constant_is_a_facet_the_descriptor_declares():
    """Each facet the code names is declared in data/datapackage.json, and each constant
    is one of the facets validation requires."""
    declared = {f["name"] for f in json.loads(
        (ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))["explorer:facets"]}
    constants = {value for name, value in vars(facets).items()
                 if name.isupper() and isinstance(value, str) and value in declared}
    assert constants == NAMED <= declared


@pytest.mark.parametrize("name", sorted(NAMED))
def test_renaming_any_facet_the_code_names_fails_validation(mini_copy, name):
    """Renaming any facet the code names in the descriptor fails ``validate`` with a
    message naming the facet, instead of a page failing at run time."""
    path = mini_copy.file("datapackage.json")
    raw = json.loads(path.read_text(encoding="utf-8"))
    facet = next(f for f in raw["explorer:facets"] if f["name"] == name)
    facet["name"] = f"{name}_renamed"
    path.write_text(json.dumps(raw), encoding="utf-8")
    messages = [p.message for p in explorer.validate(mini_copy.path)]
    assert any(f"explorer:facets must declare {name!r}" in m for m in messages), messages

