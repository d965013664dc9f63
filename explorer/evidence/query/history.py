"""Living evidence: each rating across the releases of the data, and what changed since one.

Part of ``query``. The record is the package's own table ``rating_history``: one row per
release and rating (strength, confidence as that release's rule computed it, the sources
cited, and why it changed since the release before). Release dates come from the package's
``CHANGELOG.md`` headings. Nothing here is typed in: the rows of the current version are
what the data computes now (``current_rows``, which ``python -m explorer history --write``
records and ``history_problems`` checks), and a change is found by comparing releases.

Why a table and not the changelog's prose: a history must be compared row by row (what a
rating was in 0.3.0 against what it is now), and prose cannot be compared reliably; the
changelog says the same changes at more length, for people.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from ...data.derived import derived
from ...data.load import Dataset
from ...data.release import read_changelog
from ...errors import QueryError
from .confidence import appraisals, terms
from .facets import RECORDS_TABLE, strength_label
from .records import citation_text

__all__ = ["HISTORY_TABLE", "changes_since", "current_rows", "history_problems",
           "known_versions", "rating_history", "release_dates"]

HISTORY_TABLE = "rating_history"
#: The generated lead of a changed row's note ('Changed since 0.3.0: rating a → b.'), which
#: a 'changed since' list already shows as then → now.
_CHANGED = re.compile(r"^Changed since [0-9.]+: [^.]*\.\s*")
COLUMNS = ["version", "evidence_id", "strength", "confidence", "source_ids", "basis",
           "explanation"]


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _table(ds: Dataset) -> pd.DataFrame:
    if HISTORY_TABLE not in ds.tables:
        return pd.DataFrame(columns=COLUMNS)
    frame = ds[HISTORY_TABLE]
    return frame.assign(source_ids=[citation_text(c) if isinstance(c, tuple) else str(c)
                                    for c in frame.source_ids])


@derived()
def release_dates(ds: Dataset) -> dict[str, str]:
    """``version → YYYY-MM-DD`` of every release the package's changelog records, and the
    current version's date (``created``)."""
    dates = {entry.version: entry.date for entry in read_changelog(ds.path)}
    return {**dates, ds.version: ds.data_as_of}


@derived()
def known_versions(ds: Dataset) -> tuple[str, ...]:
    """Every release the history records, and the current version, oldest first."""
    recorded = {str(v) for v in _table(ds).version}
    return tuple(sorted(recorded | {ds.version}, key=_version_key))


def _level_label(ds: Dataset, level: object) -> str:
    """A level as the history's notes name it: 'very low', or 'no level'."""
    if not isinstance(level, str) or not level:
        return "no level"
    label = terms(ds, "confidence")[level][0].lower()
    return label.removesuffix(" confidence")


def _what_changed(ds: Dataset, before: Mapping[str, object],
                  after: Mapping[str, object]) -> str:
    parts = []
    if before["strength"] != after["strength"]:
        parts.append(f"rating {strength_label(ds, before['strength']).lower()} → "
                     f"{strength_label(ds, after['strength']).lower()}")
    if (before["confidence"] or None) != (after["confidence"] or None):
        parts.append(f"confidence {_level_label(ds, before['confidence'])} → "
                     f"{_level_label(ds, after['confidence'])}")
    return "; ".join(parts)


def _generated(ds: Dataset, previous: str | None, before: Mapping[str, object] | None,
               after: Mapping[str, object]) -> str:
    """The note the history writer gives a row: new, unchanged, or what changed (the
    curators add why to the last)."""
    if previous is None:
        return "First release of this rating."
    if before is None:
        return f"New since {previous}."
    what = _what_changed(ds, before, after)
    return f"Unchanged since {previous}." if not what else f"Changed since {previous}: {what}."


def _expected(ds: Dataset) -> list[tuple[dict[str, Any], str]]:
    """Each rating's row for the current version, with the note the writer would generate."""
    found = appraisals(ds)
    table = _table(ds)
    versions = [v for v in known_versions(ds) if _version_key(v) < _version_key(ds.version)]
    previous = versions[-1] if versions else None
    before = {str(r.evidence_id): {"strength": str(r.strength), "confidence":
                                   r.confidence if isinstance(r.confidence, str) else None}
              for r in table[table.version == previous].itertuples()} if previous else {}
    recorded = {str(r.evidence_id): str(r.explanation)
                for r in table[table.version == ds.version].itertuples()
                if isinstance(r.explanation, str)}
    rows = []
    evidence = ds[RECORDS_TABLE]
    for evidence_id, strength, cited in zip(evidence.evidence_id.astype(str),
                                            evidence.strength.astype(str),
                                            evidence.source_ids, strict=True):
        level = c.level if (c := found[evidence_id]) is not None else None
        now = {"strength": strength, "confidence": level}
        earlier = before.get(evidence_id)
        generated = _generated(ds, previous, earlier, now)
        changed = earlier is not None and bool(_what_changed(ds, earlier, now))
        # A reason recorded for this release is kept only while it describes the same
        # change (it begins with the note of what changed); otherwise it is stale.
        kept = recorded.get(evidence_id, "")
        explanation = kept if changed and kept.startswith(generated) else generated
        rows.append(({"version": ds.version, "evidence_id": evidence_id,
                      "strength": strength, "confidence": level,
                      "source_ids": citation_text(cited), "basis": "coded",
                      "explanation": explanation}, generated if changed else ""))
    return rows


def current_rows(ds: Dataset) -> pd.DataFrame:
    """The rows the history must hold for the current version: every rating's strength,
    confidence level and sources as the data gives them now. A rating that changed since
    the release before keeps the explanation already recorded for it, as long as that still
    begins with the note of what changed (else it gets the note alone, to which the curators
    add why); any other gets the generated note that it is new or unchanged."""
    return pd.DataFrame([row for row, _ in _expected(ds)], columns=COLUMNS)


def history_problems(ds: Dataset) -> list[str]:
    """Why the recorded history and the data disagree; empty when they agree.

    The current version must have one row per rating, holding what the data computes now;
    a rating whose strength or confidence changed since the release before must say why
    (more than the generated note of what changed).
    """
    if HISTORY_TABLE not in ds.tables:
        return []
    table = _table(ds)
    recorded = table[table.version == ds.version].set_index("evidence_id")
    if recorded.empty:
        return [f"the rating history has no rows for version {ds.version}: run "
                "'python -m explorer history --write', then say why each changed rating "
                "changed"]
    expected = {str(row["evidence_id"]): (row, placeholder) for row, placeholder
                in _expected(ds)}
    problems = []
    for evidence_id in sorted(set(expected) - set(recorded.index)):
        problems.append(f"the rating history has no row for {evidence_id} in {ds.version}: "
                        "run 'python -m explorer history --write'")
    for evidence_id in sorted(set(recorded.index) - set(expected)):
        problems.append(f"the rating history records {evidence_id} in {ds.version}, which "
                        "the data does not have")
    for evidence_id, (want, placeholder) in expected.items():
        if evidence_id not in recorded.index:
            continue
        have = recorded.loc[evidence_id]
        for column in ("strength", "confidence", "source_ids"):
            a = str(want[column]) if isinstance(want[column], str) else ""
            b = str(have[column]) if isinstance(have[column], str) else ""
            if a != b:
                problems.append(f"the rating history gives {evidence_id} {column} {b!r} in "
                                f"{ds.version}, but the data gives {a!r}: run 'python -m "
                                "explorer history --write'")
        if placeholder and str(have.explanation) == placeholder:
            problems.append(f"the rating history says what changed for {evidence_id} in "
                            f"{ds.version} but not why: add the reason to its explanation")
    return problems


def _previous_row(table: pd.DataFrame, evidence_id: str) -> dict[str, dict[str, object]]:
    part = table[table.evidence_id == evidence_id]
    return {str(r.version): {"strength": str(r.strength),
                             "confidence": r.confidence if isinstance(r.confidence, str)
                             else None, "explanation": str(r.explanation),
                             "source_ids": str(r.source_ids)}
            for r in part.itertuples()}


def rating_history(ds: Dataset, evidence_id: str | None = None) -> pd.DataFrame:
    """Each rating as every release gave it, oldest release first.

    Args:
        evidence_id: one rating; default every rating.

    Returns:
        Columns ``evidence_id, version, date, strength, confidence, source_ids, changed,
        explanation``: ``date`` from the changelog (empty when it has none), ``changed``
        True where the strength or confidence differs from the release before (or the
        rating is new). The current version's row is what the data computes now, so the
        history is never behind the data.

    Raises:
        QueryError: ``evidence_id`` is not a mechanism record.
    """
    ids = [str(e) for e in ds[RECORDS_TABLE].evidence_id]
    if evidence_id is not None and evidence_id not in ids:
        raise QueryError(f"unknown evidence record {evidence_id!r}")
    every = _history(ds)
    if evidence_id is None:
        return every
    return every[every.evidence_id == evidence_id].reset_index(drop=True)


@derived()
def _history(ds: Dataset) -> pd.DataFrame:
    """Every rating's history, computed once per dataset (``rating_history`` reads it)."""
    ids = [str(e) for e in ds[RECORDS_TABLE].evidence_id]
    table = _table(ds)
    table = pd.concat([table[table.version != ds.version], current_rows(ds)],
                      ignore_index=True)
    dates = release_dates(ds)
    rows = []
    for rating in ids:
        by_version = _previous_row(table, rating)
        before: dict[str, object] | None = None
        for version in sorted(by_version, key=_version_key):
            row = by_version[version]
            changed = before is None or (before["strength"], before["confidence"]) != (
                row["strength"], row["confidence"])
            rows.append({"evidence_id": rating, "version": version,
                         "date": dates.get(version, ""), "strength": row["strength"],
                         "confidence": row["confidence"], "source_ids": row["source_ids"],
                         "changed": changed, "explanation": row["explanation"]})
            before = row
    return pd.DataFrame(rows, columns=["evidence_id", "version", "date", "strength",
                                       "confidence", "source_ids", "changed",
                                       "explanation"])


def changes_since(ds: Dataset, version: str,
                  evidence_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """The ratings (of ``evidence_ids``, default all) whose strength or confidence differs
    now from what release ``version`` gave them, with why.

    Returns:
        Columns ``evidence_id, then_strength, now_strength, then_confidence,
        now_confidence, why`` (the explanations of each release after ``version`` in which
        the rating changed, each led by its version); a rating new since ``version`` has no
        ``then_`` values. Empty when ``version`` is the current one.

    Raises:
        QueryError: ``version`` is not a release the history records.
    """
    if version not in known_versions(ds):
        raise QueryError(f"the data has no release {version!r}; releases: "
                         f"{', '.join(known_versions(ds))}")
    history = rating_history(ds)
    wanted = set(evidence_ids) if evidence_ids is not None else None
    rows = []
    for evidence_id, part in history.groupby("evidence_id", sort=False):
        if wanted is not None and evidence_id not in wanted:
            continue
        then = part[part.version == version]
        now = part[part.version == ds.version].iloc[0]
        later = part[part.version.map(_version_key) > _version_key(version)]
        if then.empty:
            then_strength = then_level = None
        else:
            then_strength, then_level = then.iloc[0].strength, then.iloc[0].confidence
        if (then_strength, then_level) == (now.strength, now.confidence):
            continue
        why = " ".join(f"In {r.version}: {_CHANGED.sub('', str(r.explanation))}"
                       for r in later.itertuples() if r.changed)
        rows.append({"evidence_id": evidence_id, "then_strength": then_strength,
                     "now_strength": now.strength, "then_confidence": then_level,
                     "now_confidence": now.confidence, "why": why})
    return pd.DataFrame(rows, columns=["evidence_id", "then_strength", "now_strength",
                                       "then_confidence", "now_confidence", "why"])
