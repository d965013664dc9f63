"""The analysts' notebooks in ``analysis/``: paired, clean, run by the suite, and able to fail.

Each notebook is a pair, ``<name>.ipynb`` for JupyterLab and ``<name>.py`` (jupytext
py:percent) for reading and diffing; both are committed without outputs. ``make test`` runs
them under nbval with ``EXPLORER_STRICT=1`` (the root conftest.py). The last tests here test
that arrangement itself: a broken cell, and a dashboard page that raises while it is built,
must make nbval fail.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import jupytext
import nbformat
import pytest

from explorer.app.dashboards.frame import STRICT_ENV, strict_default
from explorer.pages.registry import PAGES

from conftest import ROOT

ANALYSIS = ROOT / "analysis"
NOTEBOOKS = ("tutorial", "bring-your-own-evidence", "questions")


def _cells(notebook) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source.strip()) for cell in notebook.cells]


def test_the_analysis_folder_holds_exactly_the_three_pairs():
    """Every notebook has its .py twin and every .py its notebook; no stray notebooks."""
    assert sorted(p.stem for p in ANALYSIS.glob("*.ipynb")) == sorted(NOTEBOOKS)
    assert sorted(p.stem for p in ANALYSIS.glob("*.py")) == sorted(NOTEBOOKS)


def test_jupytext_pairs_the_folder_as_ipynb_and_py_percent():
    """Saving in JupyterLab (with jupytext) rewrites both files of a pair."""
    config = tomllib.loads((ANALYSIS / "jupytext.toml").read_text(encoding="utf-8"))
    assert config["formats"] == "ipynb,py:percent"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_each_pair_is_in_sync(name):
    """The .py and the .ipynb hold the same cells, in the same order, with the same text."""
    text = jupytext.read(ANALYSIS / f"{name}.py")
    notebook = nbformat.read(ANALYSIS / f"{name}.ipynb", as_version=4)
    assert _cells(notebook) == _cells(text), (
        f"analysis/{name}.py and .ipynb differ: run `.venv/bin/jupytext --sync "
        f"analysis/{name}.py` (or save the notebook in JupyterLab)")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebooks_are_committed_without_outputs(name):
    """No outputs or execution counts are committed, and the kernel is named for nbval."""
    notebook = nbformat.read(ANALYSIS / f"{name}.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
    assert notebook.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebooks_read_as_prose_and_code(name):
    """A tutorial opens with a title and puts a sentence of prose before its code."""
    notebook = nbformat.read(ANALYSIS / f"{name}.ipynb", as_version=4)
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    kinds = [cell.cell_type for cell in notebook.cells]
    assert kinds.count("markdown") * 2 >= kinds.count("code")


@pytest.mark.parametrize("target", ["test", "test-fast"])
def test_make_runs_the_analysis_notebooks_under_nbval(target):
    """`make test` and `make test-fast` pass analysis/ to pytest --nbval-lax."""
    dry = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    (command,) = [line for line in dry.splitlines() if "pytest" in line]
    assert "--nbval-lax" in command and command.split()[-1] == "analysis"


def test_the_suite_runs_notebooks_strict():
    """The root conftest.py sets EXPLORER_STRICT=1, and nbval's kernels inherit it."""
    assert os.environ.get(STRICT_ENV) == "1" and strict_default()


# -- testing the test: nbval must fail when a notebook breaks --------------------------------

def _nbval(notebook: Path, strict: bool) -> subprocess.CompletedProcess[str]:
    """Run pytest --nbval-lax on one notebook in a fresh process, as `make test` would."""
    env = {k: v for k, v in os.environ.items() if k != STRICT_ENV}
    if strict:
        env[STRICT_ENV] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-p", "no:cacheprovider", "-q",
         "--color=no", notebook.name],
        cwd=notebook.parent, env=env, capture_output=True, text=True, timeout=300,
        check=False)


def _summary(run: subprocess.CompletedProcess[str]) -> dict[str, int]:
    found = re.findall(r"(\d+) (passed|failed|error)", run.stdout.splitlines()[-1])
    return {word: int(count) for count, word in found}


def test_a_broken_analysis_cell_fails_the_suite(tmp_path):
    """Copy the tutorial, break its loading cell: nbval fails, on that cell's real error."""
    notebook = nbformat.read(ANALYSIS / "tutorial.ipynb", as_version=4)
    (cell,) = [c for c in notebook.cells if c.source.strip().endswith("ds = explorer.load()")]
    cell.source = cell.source.replace("explorer.load()", 'explorer.load("no-such-package")')
    copy = tmp_path / "tutorial.ipynb"
    nbformat.write(notebook, copy)

    run = _nbval(copy, strict=True)

    assert run.returncode == 1, run.stdout[-2000:]
    assert "DataError" in run.stdout and "no-such-package" in run.stdout
    assert _summary(run).get("failed", 0) >= 1


def test_a_dashboard_page_that_raises_while_building_fails_under_strict(tmp_path):
    """A dashboard notebook whose page raises while building its content fails nbval when
    strict; without strict the page shows a calm message instead, which nbval cannot see."""
    spec = PAGES["overview"]
    notebook = nbformat.read(ROOT / "notebooks" / spec.notebook, as_version=4)
    breaker = nbformat.v4.new_code_cell(
        f"import {spec.module} as page_module\n\n"
        "def broken_content(self, ds, state, links):\n"
        "    raise RuntimeError('this page failed to build')\n\n"
        "type(page_module.VIEW).content = broken_content")
    notebook.cells.insert(1, breaker)
    copy = tmp_path / spec.notebook
    nbformat.write(notebook, copy)

    strict = _nbval(copy, strict=True)
    public = _nbval(copy, strict=False)

    assert strict.returncode == 1, strict.stdout[-2000:]
    assert "this page failed to build" in strict.stdout
    assert public.returncode == 0, public.stdout[-2000:]
    assert _summary(public) == {"passed": sum(c.cell_type == "code" for c in notebook.cells)}
