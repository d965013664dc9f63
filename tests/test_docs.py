"""The project's documentation agrees with the code and the data it describes.

CITATION.cff names the software and dataset versions; the API reference is built from the
docstrings by ``make docs``; README and CONTRIBUTING.md give the commands that exist.
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib

import pytest
import yaml

import explorer
from explorer import query

from conftest import DATA, ROOT

DESCRIPTOR = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def citation() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def test_citation_file_has_what_cff_1_2_requires(citation):
    """cff-version, message, title and authors (each with a name) are present."""
    assert citation["cff-version"] == "1.2.0"
    assert citation["message"] and citation["title"]
    assert all(author.get("name") for author in citation["authors"])


def test_citation_cites_the_software_at_its_version(citation):
    """The software's version and licence are pyproject's and the package's."""
    assert citation["type"] == "software"
    assert citation["version"] == PYPROJECT["project"]["version"] == explorer.__version__
    assert citation["license"] == PYPROJECT["project"]["license"]


def test_citation_cites_the_dataset_as_datapackage_json_describes_it(citation):
    """The dataset reference has datapackage.json's title, version, date and licence."""
    (data,) = [ref for ref in citation["references"] if ref["type"] == "data"]
    assert data["title"] == DESCRIPTOR["title"]
    assert data["version"] == DESCRIPTOR["version"]
    assert str(data["date-released"]) == DESCRIPTOR["created"][:10]
    assert data["license"] == DESCRIPTOR["licenses"][0]["name"]
    assert [a["name"] for a in data["authors"]] == [c["title"] for c in
                                                     DESCRIPTOR["contributors"]]


# -- the API reference -------------------------------------------------------------------

@pytest.fixture(scope="module")
def api_docs(tmp_path_factory):
    """The API reference, built by `make docs` into a temporary folder."""
    out = tmp_path_factory.mktemp("api")
    subprocess.run(["make", "-s", "-o", ".venv/.dev-stamp", "docs", f"DOCS_OUT={out}"],
                   cwd=ROOT, check=True, capture_output=True, timeout=300)
    return out


def _anchors(page) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', page.read_text(encoding="utf-8")))


@pytest.mark.parametrize(("page", "module"), [("explorer.html", explorer),
                                              ("explorer/query.html", query)])
def test_api_reference_documents_every_exported_name(api_docs, page, module):
    """Each name in ``__all__`` has its own entry in the module's page."""
    missing = set(module.__all__) - {"query"} - _anchors(api_docs / page)
    assert not missing


def test_api_reference_covers_the_modules_of_the_data_flow(api_docs):
    """One page per module of descriptor → read → validate → load → query → figures →
    dashboards, and for release; the dashboards page documents build and App."""
    for name in ("descriptor", "read", "validate", "load", "query", "figures", "dashboards",
                 "release", "errors", "pages"):
        assert (api_docs / "explorer" / f"{name}.html").is_file(), name
    assert {"build", "App"} <= _anchors(api_docs / "explorer" / "dashboards.html")
    assert {"data_digest", "release_problems"} <= _anchors(
        api_docs / "explorer" / "release.html")


def test_the_api_reference_build_output_is_not_committed():
    """docs/api/ is git-ignored build output."""
    assert "docs/api/" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()
