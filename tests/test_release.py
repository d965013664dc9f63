"""Releases of the evidence: the data changelog records the version, date and digest of the
data files, so changing the data without releasing a new version fails the suite."""

from __future__ import annotations

import json
import shutil

import pytest

from explorer.cli import main
from explorer.release import CHANGELOG_NAME, data_digest, read_changelog, release_problems

from conftest import DATA


@pytest.fixture
def package(tmp_path):
    """A copy of the whole data folder, changelog included."""
    return shutil.copytree(DATA, tmp_path / "data")


def _bump(folder, version: str, created: str) -> None:
    """Release the folder's current files as ``version``: datapackage.json and changelog."""
    descriptor_path = folder / "datapackage.json"
    descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    descriptor.update(version=version, created=f"{created}T00:00:00Z")
    descriptor_path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    changelog = folder / CHANGELOG_NAME
    text = changelog.read_text(encoding="utf-8")
    first = text.index("\n## ")
    entry = (f"\n## {version} — {created}\n\nDigest: `{data_digest(folder)}`\n\n"
             "Corrected one row.\n")
    changelog.write_text(text[:first] + entry + text[first:], encoding="utf-8")


def _next_patch(folder) -> str:
    major, minor, patch = map(int, read_changelog(folder)[0].version.split("."))
    return f"{major}.{minor}.{patch + 1}"


# -- the data as committed -------------------------------------------------------------------

def test_the_newest_changelog_entry_records_the_data_as_it_is():
    """Newest entry: datapackage.json's version and date, and the digest of today's files.

    If this fails after editing data/, release it: new version and created date in
    datapackage.json, a new data/CHANGELOG.md entry with `python -m explorer digest`.
    """
    assert release_problems(DATA) == []
    newest = read_changelog(DATA)[0]
    descriptor = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    assert (newest.version, newest.date) == (descriptor["version"], descriptor["created"][:10])
    assert newest.digest == data_digest(DATA)


def test_every_release_is_listed_once_newest_first_and_says_what_changed():
    """Versions are unique and descending; each entry has a date, a digest and prose."""
    entries = read_changelog(DATA)
    versions = [entry.version for entry in entries]
    assert len(versions) == len(set(versions))
    assert versions == sorted(versions, key=lambda v: tuple(map(int, v.split("."))),
                              reverse=True)
    assert versions[-1] == "0.1.0"
    for entry in entries:
        assert entry.digest and entry.digest.startswith("sha256:")
        assert len(entry.body) > 100, entry.version


def test_the_changelog_lists_every_rating_that_changed_in_0_2_0():
    """The 0.2.0 entry names each re-coded rating with its old and new strength."""
    (entry,) = [e for e in read_changelog(DATA) if e.version == "0.2.0"]
    for evidence_id, old, new in [
            ("shd-ev-patient_beliefs", "evident", "partial"),
            ("shd-ev-culture_environment", "partial", "not_reported"),
            ("pw-ev-systems_processes", "evident", "partial"),
            ("ps-ev-patient_beliefs", "evident", "partial"),
            ("ps-ev-professional_beliefs", "evident", "partial"),
            ("ps-ev-systems_processes", "partial", "not_reported"),
            ("ps-ev-culture_environment", "evident", "partial")]:
        assert f"| `{evidence_id}` | {old} | {new} |" in entry.body


def test_the_changelog_lists_every_rating_that_changed_in_0_3_0():
    """The 0.3.0 entry names each re-coded rating with its old and new strength, and says
    the source kind vocabulary change is breaking."""
    (entry,) = [e for e in read_changelog(DATA) if e.version == "0.3.0"]
    for evidence_id, old, new in [
            ("shd-ev-professional_beliefs", "evident", "partial"),
            ("pw-ev-culture_environment", "evident", "partial"),
            ("ps-ev-systems_processes", "not_reported", "partial")]:
        assert f"| `{evidence_id}` | {old} | {new} |" in entry.body
    assert "**Breaking**" in entry.body


# -- what the check catches ------------------------------------------------------------------

def test_changing_a_data_file_without_a_release_is_caught(package):
    """One changed cell, no new version: the check names the new digest and what to do."""
    path = package / "projects.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Sheffield", "Sheffeld", 1),
                    encoding="utf-8")
    (problem,) = release_problems(package)
    assert "the data files changed since release" in problem
    assert data_digest(package) in problem and "new version" in problem


def test_a_new_version_with_its_entry_passes(package):
    """Changing the data, then bumping the version and adding an entry, is a release."""
    path = package / "projects.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Sheffield", "Sheffeld", 1),
                    encoding="utf-8")
    _bump(package, _next_patch(package), "2099-12-01")
    assert release_problems(package) == []


def test_a_version_bump_without_a_changelog_entry_is_caught(package):
    """datapackage.json says a version the changelog does not record."""
    descriptor_path = package / "datapackage.json"
    descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    descriptor["version"] = _next_patch(package)
    descriptor_path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    problems = release_problems(package)
    assert any(f"datapackage.json says version {descriptor['version']}" in p for p in problems)


def test_a_repeated_version_is_caught(package):
    """Two entries for the same version are an error."""
    changelog = package / CHANGELOG_NAME
    changelog.write_text(changelog.read_text(encoding="utf-8").replace(
        "## 0.1.0 — 2026-11-26", "## 0.2.0 — 2026-11-26"), encoding="utf-8")
    assert "CHANGELOG.md: version 0.2.0 has more than one entry" in release_problems(package)


def test_an_entry_without_a_digest_is_caught(package):
    """Every entry records the digest of the files it released."""
    changelog = package / CHANGELOG_NAME
    text = changelog.read_text(encoding="utf-8")
    changelog.write_text(text.replace("Digest: `sha256:05331f", "Digest: sha256:05331f"),
                         encoding="utf-8")
    assert any("records no 'Digest" in p for p in release_problems(package))


# -- the digest ------------------------------------------------------------------------------

def test_the_digest_ignores_the_changelog_hidden_files_and_line_endings(package):
    """Editing CHANGELOG.md, a stray .DS_Store or CRLF line endings leave the digest alone."""
    before = data_digest(package)
    (package / CHANGELOG_NAME).write_text("# rewritten\n", encoding="utf-8")
    (package / ".DS_Store").write_bytes(b"\x00\x01")
    sources = package / "sources.csv"
    sources.write_bytes(sources.read_bytes().replace(b"\n", b"\r\n"))
    assert data_digest(package) == before


def test_the_digest_covers_every_other_file(package):
    """A change to the codebook, the descriptor or any CSV changes the digest; so does a
    new file."""
    before = data_digest(package)
    for name in ("CODEBOOK.md", "datapackage.json", "texts.csv"):
        original = (package / name).read_bytes()
        (package / name).write_bytes(original + b" ")
        assert data_digest(package) != before, name
        (package / name).write_bytes(original)
    assert data_digest(package) == before
    (package / "notes.txt").write_text("x", encoding="utf-8")
    assert data_digest(package) != before


def test_the_command_line_prints_and_checks_the_digest(package, capsys):
    """`explorer digest` prints it; `--check` exits 0 when released, 1 when not."""
    assert main(["digest", str(package)]) == 0
    assert capsys.readouterr().out.strip() == data_digest(package)
    assert main(["digest", str(package), "--check"]) == 0
    (package / "texts.csv").write_text("changed", encoding="utf-8")
    assert main(["digest", str(package), "--check"]) == 1
    newest = read_changelog(package)[0].version
    assert f"the data files changed since release {newest}" in capsys.readouterr().out
