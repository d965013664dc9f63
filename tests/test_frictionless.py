"""An independent validator agrees: `frictionless validate data/datapackage.json` passes.

Frictionless checks the package against the Data Package standard (types, enums, patterns,
primary and foreign keys) with its own code, so a bug in our validator cannot hide a bad
package. It also rejects a broken copy, so this test can fail.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import DATA

FRICTIONLESS = Path(sys.executable).with_name("frictionless")


def frictionless(descriptor: Path) -> subprocess.CompletedProcess:
    command = [str(FRICTIONLESS) if FRICTIONLESS.exists() else "frictionless",
               "validate", "--json", descriptor.name]
    return subprocess.run(command, capture_output=True, text=True, cwd=descriptor.parent,
                          check=False)


def test_frictionless_validates_the_embedded_package():
    """Frictionless's own validator finds no error in the shipped package, and exits 0."""
    result = frictionless(DATA / "datapackage.json")
    report = json.loads(result.stdout)
    errors = [e["message"] for task in report["tasks"] for e in task["errors"]]
    assert report["valid"], errors
    assert result.returncode == 0


def test_frictionless_rejects_a_broken_foreign_key(data_copy):
    """Frictionless rejects a copy whose context names no real project, with foreign-key errors."""
    rows = data_copy.rows("contexts")
    rows[1][rows[0].index("project_id")] = "no-such-project"
    data_copy.write_rows("contexts", rows)
    result = frictionless(data_copy.file("datapackage.json"))
    report = json.loads(result.stdout)
    assert not report["valid"]
    assert {e["type"] for task in report["tasks"] for e in task["errors"]} == {"foreign-key"}
    assert result.returncode == 1


def test_frictionless_sees_the_same_tables_we_declare():
    """The descriptor declares exactly the CSV files in data/, and frictionless is installed."""
    descriptor = json.loads((DATA / "datapackage.json").read_text())
    on_disk = {p.name for p in DATA.glob("*.csv")}
    assert {r["path"] for r in descriptor["resources"]} == on_disk
    assert shutil.which("frictionless") or FRICTIONLESS.exists()
