"""Outputs by type, not by string: a view asks the output it is drawn for what it can do
(``explorer.render.blocks.Links``), and never tests which output that is."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from explorer.app.briefings import BriefingLinks, HandoutLinks
from explorer.app.outputs import LiveLinks, StaticLinks
from explorer.render.blocks import Links

from conftest import ROOT

VIEWS = ROOT / "explorer" / "pages" / "views"
OUTPUT_NAMES = {"live", "static", "briefing", "handout", "print"}


def _output_tests(path: Path) -> list[str]:
    """Where the module reads an output's kind (``….kind``) or compares a value with an
    output's name ('live', 'static', 'briefing', 'handout', 'print'): ``line: code``."""
    source = path.read_text(encoding="utf-8")
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "kind" and (
                isinstance(node.value, ast.Name) and node.value.id == "links"):
            found.append(node)
        elif isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            named = [c for o in operands for c in ast.walk(o)
                     if isinstance(c, ast.Constant) and c.value in OUTPUT_NAMES]
            if named:
                found.append(node)
        elif isinstance(node, ast.Dict) and {
                k.value for k in node.keys if isinstance(k, ast.Constant)} & OUTPUT_NAMES:
            found.append(node)
    return [f"{path.name}:{n.lineno}: {ast.get_source_segment(source, n)}" for n in found]


def test_no_view_tests_which_output_it_is_drawn_for():
    """No page module reads ``links.kind`` or compares anything with an output's name: it asks
    the output what it can do, so a new output is one new class, not an edit of every view."""
    found = [hit for path in sorted(VIEWS.glob("*.py")) for hit in _output_tests(path)]
    assert not found, "\n".join(found)


def test_the_scan_finds_a_view_that_tests_its_output(tmp_path):
    """The scan is not blind: each way of testing the output by name is reported."""
    view = tmp_path / "view.py"
    view.write_text("a = links.kind\nb = x if output == 'briefing' else y\n"
                    "c = {'handout': 'open'}.get(k)\nd = k in ('live', 'static')\n",
                    encoding="utf-8")
    assert sorted(hit.split(":")[1] for hit in _output_tests(view)) == ["1", "2", "3", "4"]


OUTPUTS = {"live": LiveLinks(), "static": StaticLinks(None),  # type: ignore[arg-type]
           "briefing": BriefingLinks({}, set()), "print": HandoutLinks()}


@pytest.mark.parametrize("name", OUTPUTS)
def test_each_output_is_one_class_of_the_one_protocol(name):
    """Each output (live, static site, briefing, printed handout) is a ``Links`` and says
    what it can do with plain flags; no output names itself with a string."""
    output = OUTPUTS[name]
    assert isinstance(output, Links)
    assert not hasattr(output, "kind")
    assert output.trails in ("folded", "open", "none")


def test_the_outputs_differ_in_what_they_can_do():
    """The four outputs are told apart by what they do: only the live one is interactive,
    only the static site links its own files, the two printed ones are printed, and only
    the briefing holds the whole programme."""
    flags = {name: (o.interactive, o.linked_files, o.printed, o.whole_programme)
             for name, o in OUTPUTS.items()}
    assert flags == {"live": (True, False, False, False), "static": (False, True, False, False),
                     "briefing": (False, False, True, True),
                     "print": (False, False, True, False)}
    assert len(set(flags.values())) == len(flags)
