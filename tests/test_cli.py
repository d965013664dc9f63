"""The command line: `python -m explorer validate` and the `explorer` console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from conftest import DATA


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "explorer", *args], capture_output=True,
                          text=True, check=False, env=env)


def test_validate_exits_0_on_the_embedded_data():
    """validate on the shipped data exits 0 and prints "<path>: valid"."""
    result = run("validate", str(DATA))
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip() == f"{DATA}: valid"


def test_validate_exits_1_and_lists_problems_without_a_traceback(mini_copy):
    """validate on bad data exits 1, lists each problem with file, line and column, no traceback."""
    mini_copy.set_cell("projects", 3, "membership", "maybe")
    result = run("validate", str(mini_copy.path))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{mini_copy.path}: 1 problem",
        '  - projects.csv, line 3, column "membership": \'maybe\' must be one of confirmed, '
        "probable, unidentified [enum]",
    ]
    assert "Traceback" not in result.stderr


def test_json_format_is_machine_readable(mini_copy):
    """--format json prints valid false and each problem as fields: file, line, column, rule."""
    mini_copy.set_cell("projects", 3, "membership", "maybe")
    result = run("validate", str(mini_copy.path), "--format", "json")
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert report["valid"] is False
    assert report["problems"] == [{
        "file": "projects.csv", "line": 3, "column": "membership", "rule": "enum",
        "value": "maybe",
        "message": "'maybe' must be one of confirmed, probable, unidentified"}]


def test_validate_without_a_path_uses_explorer_data(mini_copy):
    """validate without a path checks the package that EXPLORER_DATA names."""
    mini_copy.file("outcomes.csv").unlink()
    env = {"EXPLORER_DATA": str(mini_copy.path), "PATH": ""}
    result = run("validate", env=env)
    assert result.returncode == 1
    assert "outcomes.csv: the file is missing" in result.stdout


def test_wrong_usage_exits_2_with_usage():
    """An unknown command exits 2 and prints the usage on stderr."""
    result = run("check")
    assert result.returncode == 2
    assert "usage: explorer" in result.stderr


@pytest.mark.skipif(shutil.which("explorer", path=str(DATA.parent / ".venv" / "bin")) is None,
                    reason="console script not installed in .venv")
def test_console_script_does_the_same():
    """The installed `explorer` console script validates the shipped data too, exiting 0."""
    script = shutil.which("explorer", path=str(DATA.parent / ".venv" / "bin"))
    result = subprocess.run([script, "validate", str(DATA)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0
