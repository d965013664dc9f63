"""Figures from recorded runs: tables and single figures made from ``bench/results/*.json``.

Every benchmark in ``bench/`` writes one JSON *result record* per run (``bench/common.py``,
``recorded``). This extension reads them all when the build starts and offers

- the directive ``records``: a table with one column per record of a benchmark (or per
  record named) and one row per figure, then the date, the machine's load and where the
  record came from::

      ```{records}
      :benchmark: room
      :figures: served_s=all served (s); errors=errors
      :label: what
      ```

- the role ``figure``: one figure of one record, inline: ``{figure}`room-2026-12-06:served_s```
  (a record is named by its file's stem; a figure inside a mapping by ``key.sub``).

An unknown record, benchmark or figure is a build warning, so ``-W`` fails the build: a page
cannot quote a figure no run recorded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective, SphinxRole

LOGGER = logging.getLogger(__name__)
RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results"


def load_records(folder: Path = RESULTS) -> dict[str, dict[str, Any]]:
    """Every record under ``folder``, by its file's stem."""
    return {path.stem: json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(folder.glob("*.json"))}


def figure_value(record: dict[str, Any], key: str) -> Any:
    """The figure ``key`` of ``record`` (``a.b`` looks inside a mapping); KeyError if none."""
    value: Any = record["figures"]
    for part in key.split("."):
        value = value[part]
    return value


def _number(value: float) -> str:
    """A number as recorded: thousands separated, no trailing zeros invented or dropped."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:,}"


def format_value(value: Any) -> str:
    """A figure as the docs print it: ``1.2``, ``0.07–0.10`` for a range, text as it is."""
    if value is None:
        return "—"
    if isinstance(value, list) and len(value) == 2 and all(
            isinstance(v, (int, float)) for v in value):
        low, high = (_number(v) for v in value)
        return low if low == high else f"{low}–{high}"
    if isinstance(value, (int, float)):
        return _number(value)
    if isinstance(value, dict):
        return "; ".join(f"{k} {format_value(v)}" for k, v in value.items())
    return str(value)


def load_text(record: dict[str, Any]) -> str:
    """The one-minute load average at start → end, as far as the record knows it."""
    load = record.get("load_average") or {}
    ends = [load.get("start"), load.get("end")]
    shown = [format_value(v[0] if isinstance(v, list) and len(v) == 3 else v) for v in ends]
    return " → ".join(shown) if any(v is not None for v in ends) else "—"


def source_text(record: dict[str, Any]) -> str:
    """Where a record came from: a run (its commit) or a transcription, and the machine."""
    machine = record.get("machine") or {}
    where = f"{machine.get('cpu_count') or '?'} cores"
    if machine.get("note"):
        where += f", {machine['note']}"
    origin = record.get("source") or f"run at {record.get('commit') or 'an unknown commit'}"
    return f"{origin}; {where}"


class RecordsTable(SphinxDirective):
    """A table of recorded figures: a column per record, a row per figure."""

    has_content = False
    option_spec = {  # noqa: RUF012 (docutils' interface)
        "benchmark": directives.unchanged,
        "records": directives.unchanged,
        "figures": directives.unchanged_required,
        "label": directives.unchanged,
        "caption": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        records: dict[str, dict[str, Any]] = self.env.app.config.bench_records
        self.env.note_dependency(str(RESULTS))
        chosen = self._chosen(records)
        figures = [part.split("=", 1) for part in _split(self.options["figures"], ";")]
        if not chosen:
            LOGGER.warning("records: no result record matches %s", self.options,
                           location=self.get_location())
            return []
        # One column per record, one row per figure: a few runs side by side, each figure
        # named in full, however many there are.
        header = [self.options.get("label", "run"),
                  *(record.get("label", name) for name, record in chosen)]
        rows = []
        for key, title in figures:
            cells = [title]
            for _name, record in chosen:
                try:
                    cells.append(format_value(figure_value(record, key)))
                except (KeyError, TypeError):
                    cells.append("—")
            rows.append(cells)
        rows.append(["date", *(record.get("date", "—") for _, record in chosen)])
        rows.append(["load average (1 min), start → end",
                     *(load_text(record) for _, record in chosen)])
        rows.append(["record", *(f"bench/results/{name}.json; {source_text(record)}"
                                 for name, record in chosen)])
        return [_table(header, rows, self.options.get("caption"))]

    def _chosen(self, records: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
        if "records" in self.options:
            chosen = []
            for name in _split(self.options["records"]):
                if name not in records:
                    LOGGER.warning("records: no result record %r in bench/results/", name,
                                   location=self.get_location())
                    continue
                chosen.append((name, records[name]))
            return chosen
        benchmark = self.options.get("benchmark")
        return [(name, record) for name, record in records.items()
                if record.get("benchmark") == benchmark]


class FigureRole(SphinxRole):
    """One recorded figure inline: ``{figure}`record:key```."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        records: dict[str, dict[str, Any]] = self.env.app.config.bench_records
        name, _, key = self.text.partition(":")
        try:
            value = figure_value(records[name], key)
        except (KeyError, TypeError):
            LOGGER.warning("figure: no figure %r in result record %r", key, name,
                           location=self.get_location())
            return [nodes.problematic(self.rawtext, self.rawtext)], []
        node = nodes.inline(self.rawtext, format_value(value), classes=["recorded-figure"])
        node["title"] = f"bench/results/{name}.json"
        return [node], []


def _split(text: str, separator: str = ",") -> list[str]:
    return [part.strip() for part in text.split(separator) if part.strip()]


def _table(header: list[str], rows: list[list[str]], caption: str | None) -> nodes.table:
    table = nodes.table(classes=["recorded-figures"])
    if caption:
        table += nodes.title(text=caption)
    group = nodes.tgroup(cols=len(header))
    table += group
    for _ in header:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    head += _row(header)
    body = nodes.tbody()
    group += body
    for row in rows:
        body += _row(row)
    return table


def _row(cells: list[str]) -> nodes.row:
    row = nodes.row()
    for text in cells:
        entry = nodes.entry()
        entry += nodes.paragraph(text=text)
        row += entry
    return row


def _read_records(app: Sphinx) -> None:
    app.config.bench_records = load_records()


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("bench_records", {}, "env")
    app.connect("builder-inited", _read_records)
    app.add_directive("records", RecordsTable)
    app.add_role("figure", FigureRole())
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
