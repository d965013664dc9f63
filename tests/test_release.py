"""Releases of the evidence: the data changelog records the version, date and digest of the
data files, so changing the data without releasing a new version fails the suite."""

from __future__ import annotations

import json
import shutil
from itertools import pairwise

import pytest

from explorer.cli import main
from explorer.data.release import CHANGELOG_NAME, data_digest, read_changelog, release_problems

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


# -- the rating history ------------------------------------------------------------------------

def test_the_0_4_0_entry_names_the_changed_rating_and_says_what_breaks():
    """The 0.4.0 entry gives the re-settled rating old → new, and is marked breaking (a
    component renamed, a kind narrowed)."""
    (entry,) = [e for e in read_changelog(DATA) if e.version == "0.4.0"]
    assert "| `ps-ev-systems_processes` | partial | not_reported |" in entry.body
    assert "**Breaking**" in entry.body and "`methodological_limitations`" in entry.body


def test_every_change_the_history_records_is_named_in_its_release_entry(ds):
    """Each rating whose strength changed in a release, or whose confidence changed once
    levels existed (0.4.0 on), is named in that release's changelog entry."""
    from explorer.evidence.query.history import rating_history

    entries = {e.version: e.body for e in read_changelog(DATA)}
    history = rating_history(ds)
    for evidence_id, part in history.groupby("evidence_id"):
        rows = list(part.itertuples())
        for before, after in pairwise(rows):
            strength = before.strength != after.strength
            level = (isinstance(before.confidence, str)
                     and before.confidence != after.confidence)
            if strength or level:
                assert f"`{evidence_id}`" in entries[after.version], (after.version,
                                                                      evidence_id)


def test_the_history_records_every_release_and_matches_the_data(ds):
    """0.1.0 to the current version are recorded, the current rows are what the data
    computes, and the check finds nothing."""
    from explorer.evidence.query.history import current_rows, history_problems, known_versions

    assert known_versions(ds)[0] == "0.1.0" and known_versions(ds)[-1] == ds.version
    recorded = ds.rating_history[ds.rating_history.version == ds.version]
    assert len(recorded) == len(ds.mechanism_evidence) == len(current_rows(ds))
    assert history_problems(ds) == []


def _rerate(package, evidence_id: str, strength: str) -> None:
    """Change one rating's strength in a copy of the data (its codings untouched)."""
    import csv
    import io

    path = package / "mechanism_evidence.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    for row in rows:
        if row["evidence_id"] == evidence_id:
            row["strength"] = strength
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def test_a_rating_changed_without_recording_its_history_is_caught(package):
    """Re-rating a record leaves the history behind the data: the check names the rating
    and says what to run."""
    import explorer
    from explorer.evidence.query.history import history_problems

    _rerate(package, "su-ev-systems_processes", "evident")
    problems = history_problems(explorer.load(package))
    assert problems and all("su-ev-systems_processes" in p for p in problems)
    assert "python -m explorer history --write" in problems[0]


def test_writing_the_history_records_the_change_and_asks_why(package, capsys):
    """`explorer history --write` records what changed; until the curators add why, the
    command and `digest --check` say so."""
    import explorer

    _rerate(package, "su-ev-systems_processes", "evident")
    assert main(["history", str(package), "--write"]) == 1
    out = capsys.readouterr().out
    assert "su-ev-systems_processes" in out and "but not why" in out
    row = explorer.load(package).rating_history.set_index(["version", "evidence_id"]).loc[
        ("0.4.0", "su-ev-systems_processes")]
    assert row.explanation.startswith("Changed since 0.3.0: rating partial → evident")
