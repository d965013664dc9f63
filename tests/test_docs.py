"""The project's documentation agrees with the code and the data it describes.

CITATION.cff names the software and dataset versions; the README, CONTRIBUTING.md and the
documentation's pages (docs/) give the commands that exist. The documentation site itself is
specified in ``test_docs_site.py``.
"""

from __future__ import annotations

import json
import re
import tomllib

import pytest
import yaml

import explorer

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


# -- the prose documents ----------------------------------------------------------------

PROSE = ("README.md", "CONTRIBUTING.md",
         *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md")))


def _make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.MULTILINE))


@pytest.mark.parametrize("document", PROSE)
def test_every_make_command_the_documents_name_exists(document):
    """`make x` in README, CONTRIBUTING or a documentation page names a target of the
    Makefile."""
    text = (ROOT / document).read_text(encoding="utf-8")
    named = set(re.findall(r"`make ([a-z][a-z-]*)", text))
    assert named <= _make_targets()


@pytest.mark.parametrize("document", PROSE)
def test_every_explorer_command_the_documents_name_exists(document):
    """`python -m explorer x` in README, CONTRIBUTING or a documentation page is a command
    of the CLI."""
    from explorer.cli import main

    text = (ROOT / document).read_text(encoding="utf-8")
    for command in set(re.findall(r"python -m explorer ([a-z]+)", text)):
        with pytest.raises(SystemExit) as done:
            main([command, "--help"])
        assert done.value.code == 0, command


def test_the_quick_start_gives_the_analysts_third_command():
    """README's quick start lists make serve, make test and make lab."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Quick start")
    quick = readme[start:readme.index("\n## ", start + 1)]
    assert all(f"make {target}" in quick for target in ("serve", "test", "lab"))


def test_the_analysts_guide_says_what_a_relative_explorer_data_means():
    """Using your own evidence: a relative path, EXPLORER_DATA_BASE, and make serve."""
    guide = (ROOT / "docs" / "analysts.md").read_text(encoding="utf-8")
    section = guide[guide.index("## Using your own evidence"):]
    for words in ("EXPLORER_DATA=my-evidence make serve", "EXPLORER_DATA_BASE",
                  "relative", "repository root"):
        assert words in section


def test_contributing_says_how_to_add_a_fact_check_it_and_release_it():
    """CONTRIBUTING covers sources and locators, stated vs coded, paraphrase, the checks
    and every step of a data release."""
    text = " ".join((ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8").split())
    for words in ("sources.csv", "source_ids", "[para 6]", "`stated`", "`coded`",
                  "explanation", "eight or more words", "not found", "discrepancies.csv",
                  "make test-fast", "make test", "python -m explorer validate",
                  "`version` and `created`", "python -m explorer digest", "CHANGELOG.md",
                  "CITATION.cff", "explorer/pages/registry.py", "explorer/render/templates/",
                  "Tests are specifications"):
        assert words in text, words
