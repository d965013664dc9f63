"""Releases of the evidence: a digest of the data files, and the data changelog that records it.

Any change to the files of a data package is a new release of the evidence: a new
``version`` (and ``created`` date) in ``datapackage.json``, and a new entry at the top of the
package's ``CHANGELOG.md`` saying what changed and why. The entry also records the SHA-256
digest of the files it describes (``data_digest``), so a change to the data that was not
released is caught: ``release_problems`` (``python -m explorer digest --check``, and the test
suite) compares the newest entry with the files as they are.

An entry in ``CHANGELOG.md`` looks like this (newest first)::

    ## 0.2.0 — 2026-11-27

    Digest: `sha256:3f1a…`

    What changed and why, in prose or bullets.

The digest covers every file in the package folder except ``CHANGELOG.md`` itself and
hidden files (names starting with ``.``), in the order of their relative paths. Line endings
are normalised (CRLF → LF) first, so a checkout on Windows gives the same digest.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .descriptor import read_descriptor
from .read import data_path

__all__ = ["CHANGELOG_NAME", "ChangelogEntry", "data_digest", "read_changelog",
           "release_problems"]

CHANGELOG_NAME = "CHANGELOG.md"
_HEADING = re.compile(r"^## (?P<version>\S+) [—-] (?P<date>\S+)\s*$")
_DIGEST = re.compile(r"^Digest: `(?P<digest>sha256:[0-9a-f]{64})`\s*$")
_VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class ChangelogEntry:
    """One release in the data changelog.

    Attributes:
        version: the dataset version, e.g. ``0.2.0``.
        date: the date of the data (``created`` in datapackage.json), YYYY-MM-DD.
        digest: ``sha256:<hex>`` of the files released, or None if the entry lacks one.
        body: what the entry says changed and why.
        line: the line of the entry's heading in the changelog.
    """

    version: str
    date: str
    digest: str | None
    body: str
    line: int


def _data_files(folder: Path) -> list[Path]:
    """The files the digest covers, in a stable order (relative POSIX paths, sorted)."""
    files = [path for path in folder.rglob("*") if path.is_file()
             and path.name != CHANGELOG_NAME
             and not any(part.startswith(".") for part in path.relative_to(folder).parts)]
    return sorted(files, key=lambda path: path.relative_to(folder).as_posix())


def data_digest(path: str | Path | None = None) -> str:
    """The SHA-256 digest of a data package's files, as ``sha256:<hex>``.

    Args:
        path: the package folder; default: ``explorer.data_path()``.

    Each file contributes its relative path and the SHA-256 of its bytes (CRLF normalised to
    LF); ``CHANGELOG.md`` and hidden files are left out.
    """
    folder = data_path(path)
    total = hashlib.sha256()
    for file in _data_files(folder):
        content = file.read_bytes().replace(b"\r\n", b"\n")
        name = file.relative_to(folder).as_posix()
        total.update(f"{name}\0{hashlib.sha256(content).hexdigest()}\n".encode())
    return f"sha256:{total.hexdigest()}"


def read_changelog(path: str | Path | None = None) -> list[ChangelogEntry]:
    """The entries of a package's ``CHANGELOG.md``, in file order (newest first).

    Returns an empty list when the package has no changelog.
    """
    file = data_path(path) / CHANGELOG_NAME
    if not file.is_file():
        return []
    entries: list[ChangelogEntry] = []
    current: dict | None = None
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        heading = _HEADING.match(line)
        if heading or line.startswith("## "):
            if current is not None:
                entries.append(_entry(current))
            current = {"version": heading["version"] if heading else line[3:].strip(),
                       "date": heading["date"] if heading else "", "digest": None,
                       "body": [], "line": number}
        elif current is not None:
            digest = _DIGEST.match(line)
            if digest and current["digest"] is None:
                current["digest"] = digest["digest"]
            else:
                current["body"].append(line)
    if current is not None:
        entries.append(_entry(current))
    return entries


def _entry(raw: dict) -> ChangelogEntry:
    return ChangelogEntry(raw["version"], raw["date"], raw["digest"],
                          "\n".join(raw["body"]).strip(), raw["line"])


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def release_problems(path: str | Path | None = None) -> list[str]:
    """Why the package's files and its changelog disagree; empty when they agree.

    The newest entry must name the version and date in datapackage.json and record the
    digest of the files as they are now; every entry needs a version (X.Y.Z, each used once,
    newest first), a date (YYYY-MM-DD), a digest and a description.
    """
    folder = data_path(path)
    entries = read_changelog(folder)
    if not entries:
        return [f"{CHANGELOG_NAME} is missing or has no '## <version> — <date>' entry"]
    problems: list[str] = []
    for entry in entries:
        where = f"{CHANGELOG_NAME}, line {entry.line}"
        if not _VERSION.fullmatch(entry.version):
            problems.append(f"{where}: write the heading as '## X.Y.Z — YYYY-MM-DD'")
            continue
        if not _DATE.fullmatch(entry.date):
            problems.append(f"{where}: the date {entry.date!r} is not YYYY-MM-DD")
        if entry.digest is None:
            problems.append(f"{where}: the entry for {entry.version} records no "
                            "'Digest: `sha256:…`' line")
        if not entry.body:
            problems.append(f"{where}: the entry for {entry.version} does not say what "
                            "changed")
    versions = [e.version for e in entries if _VERSION.fullmatch(e.version)]
    for version in sorted({v for v in versions if versions.count(v) > 1}):
        problems.append(f"{CHANGELOG_NAME}: version {version} has more than one entry")
    if versions != sorted(versions, key=_version_key, reverse=True):
        problems.append(f"{CHANGELOG_NAME}: entries must run newest version first")
    newest = entries[0]
    descriptor = read_descriptor(folder)
    if newest.version != descriptor.version:
        problems.append(f"the newest changelog entry is {newest.version} but datapackage.json "
                        f"says version {descriptor.version}")
    if newest.date != descriptor.created[:10]:
        problems.append(f"the newest changelog entry is dated {newest.date} but "
                        f"datapackage.json says created {descriptor.created[:10]}")
    current = data_digest(folder)
    if newest.digest is not None and newest.digest != current:
        problems.append(f"the data files changed since release {newest.version} (digest now "
                        f"{current}): give the data a new version and date in "
                        f"datapackage.json and a new {CHANGELOG_NAME} entry saying what "
                        "changed and why, with this digest")
    return problems
