"""Helpers shared by the descriptor's readers: where a problem is, and strict keys."""

from __future__ import annotations

from ...errors import Problem, Rule

JSONObject = dict[str, object]


DESCRIPTOR_NAME = "datapackage.json"


def _problem(column: str | None, rule: Rule, value: str | None, message: str) -> Problem:
    return Problem(DESCRIPTOR_NAME, None, column, rule, value, message)


def _unknown_keys(obj: JSONObject, allowed: frozenset[str], where: str,
                  problems: list[Problem]) -> None:
    for key in sorted(set(obj) - allowed):
        problems.append(_problem(None, Rule.DESCRIPTOR_KEY, key,
                                 f"unknown key {key!r} in {where}; allowed: "
                                 f"{', '.join(sorted(allowed))}"))


def _object(value: object) -> JSONObject | None:
    """``value`` as a JSON object with text keys, or None when it is not one."""
    return value if isinstance(value, dict) else None
