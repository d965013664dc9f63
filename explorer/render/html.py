"""HTML for pages, handouts and the static site: Jinja2 templates with autoescaping.

Every fragment of markup the explorer writes is a template in ``explorer/render/templates/``
rendered by one Jinja2 environment with ``autoescape=True``: a value from the data or a URL
is escaped wherever it lands, unless it is ``markupsafe.Markup`` — and ``Markup`` is made
only here and in the templates, for fragments the explorer itself built (a strength badge,
a citation link, a rendered macro). An unescaped string is therefore a visible decision.

``fragments.html.j2`` is the one home of the pieces several outputs share (tables, records,
sources, discrepancies, badges, the ratings key); pages and handouts import it.

Missing values and the data's ``not found`` become a visible "Not found in any source"
note (``text``). Only http(s) addresses become links. Every CSV the explorer writes goes
through ``csv_text``, which keeps spreadsheet formulas inert.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from importlib.resources import files
from typing import Any, cast

import pandas as pd
from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader, StrictUndefined
from jinja2.bccache import Bucket
from markupsafe import Markup, escape

from ..data.derived import derived
from ..data.descriptor.facets import PROJECT
from ..data.load import Citation, Dataset
from ..evidence.appraisal import cell_kinds
from ..evidence.programme import Programme
from ..evidence.query import (
    NO_ROWS,
    NO_ROWS_LABEL,
    RECORDS_TABLE,
    STRENGTH_ORDER,
    coding_agreement,
    confidence,
    contested_evidence,
    facet_options,
    humanise,
    rows,
    strength_help,
    strength_label,
)
from ..evidence.query import column_kinds as query_column_kinds
from ..evidence.query import term as declared_term
from ..evidence.query.agreement import agreement_figures, agreement_statistics
from .figures import STRENGTH_STYLE

__all__ = [
    "BASIS_HELP",
    "NOT_FOUND",
    "analysts_fold",
    "count",
    "csv_text",
    "data_link",
    "fragment",
    "inline_stylesheet",
    "is_web_address",
    "render",
    "stylesheet",
    "text",
]

NOT_FOUND = "not found"
BASIS_HELP = ("Stated means a cited source says it. Coded means a curator's judgement from "
              "the cited text, explained in the row and governed by the codebook.")
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP: CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def _is_missing(value: object) -> bool:
    if value is None or isinstance(value, (tuple, list, dict)):
        return value is None
    try:
        return bool(pd.isna(cast(Any, value)))
    except (TypeError, ValueError):
        return False


def text(value: object) -> Markup:
    """Escaped text; a missing value or the data's ``not found`` becomes a visible note."""
    if isinstance(value, Markup):
        return value
    if _is_missing(value) or str(value).strip().lower() == NOT_FOUND:
        return fragment("not_found")
    return escape(str(value))


def count(n: int, noun: str) -> str:
    """'1 record', '2 records'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def is_web_address(url: object) -> bool:
    """Only http(s) addresses become links (never ``javascript:`` or ``data:``)."""
    return isinstance(url, str) and url.lower().startswith(("http://", "https://"))


def neutralise_formula(value: object) -> object:
    """A cell a spreadsheet would run as a formula, made inert by a leading apostrophe.

    OWASP's advice for CSV injection: prefix cells that start with ``=``, ``+``, ``-``,
    ``@``, tab or carriage return with ``'``; the text stays readable. A plain number such
    as ``-3`` is left alone: a spreadsheet reads it as the number it is.
    """
    if (isinstance(value, str) and value.startswith(FORMULA_START)
            and not PLAIN_NUMBER.fullmatch(value)):
        return "'" + value
    return value


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text, every cell safe to open in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([neutralise_formula(str(c)) for c in frame.columns])
    for row in rows(frame):
        writer.writerow(["" if _is_missing(v) else neutralise_formula(str(v)) for v in row])
    return buffer.getvalue()


def data_link(content: str, mimetype: str, filename: str, label: str,
              css_class: str = "ctg-download") -> Markup:
    """A download link carrying ``content`` inside the page (no server round trip)."""
    payload = base64.b64encode(content.encode("utf-8")).decode("ascii")
    return fragment("download_link", f"data:{mimetype};charset=utf-8;base64,{payload}",
                    filename, label, css_class)


def csv_link(frame: pd.DataFrame, filename: str, label: str) -> Markup:
    """A download link carrying ``frame`` as (formula-safe) CSV: exactly the table shown."""
    return data_link(csv_text(frame), "text/csv", filename, label)


# -- strengths -------------------------------------------------------------------------------

NO_ROWS_HELP = "No evidence record matches this cell with the current filters."


@derived()
def strength_styles(ds: Dataset) -> dict[str, dict[str, str]]:
    """Each strength (and ``no_rows``) as a badge draws it: ``{strength, label, help,
    colour, symbol, text_colour}``; labels and help from the package's declaration."""
    styles = {}
    for strength in (*STRENGTH_ORDER, NO_ROWS):
        colour, _, symbol, text_colour = STRENGTH_STYLE[strength]
        label, help_text = ((NO_ROWS_LABEL, NO_ROWS_HELP) if strength == NO_ROWS
                            else (strength_label(ds, strength), strength_help(ds, strength)))
        styles[strength] = {"strength": strength, "label": label, "help": help_text,
                            "colour": colour, "symbol": symbol, "text_colour": text_colour}
    return styles


def badge(ds: Dataset, strength: object) -> Markup:
    """A strength as a badge: colour, symbol and word, with its meaning on hover."""
    return fragment("badge", strength_styles(ds)[str(strength)])


def legend(ds: Dataset, ratings_note: str) -> Markup:
    """The key: each strength, each confidence level and each kind of gap in one plain
    sentence, and whose ratings they are."""
    styles = strength_styles(ds)
    gaps = [confidence.CELL_KIND_TERMS[kind] for kind in confidence.CELL_KINDS
            if kind != "rated"]
    return fragment("legend", [styles[s] for s in STRENGTH_ORDER], ratings_note,
                    list(confidence_styles(ds).values()), gaps,
                    Programme.of(ds).text("confidence_note"))


def confidence_note(ds: Dataset) -> Markup:
    """What the confidence levels rank, in one plain sentence (the package's
    ``confidence_note``), for every place a level is shown."""
    return fragment("confidence_note", Programme.of(ds).text("confidence_note"))


#: Confidence drawn as a shape as well as a word: filled marks out of four (like the EEF
#: Toolkit's padlocks), so the level never rests on colour alone.
CONFIDENCE_MARKS = {"high": "●●●●", "moderate": "●●●○", "low": "●●○○", "very_low": "●○○○"}


@derived()
def confidence_styles(ds: Dataset) -> dict[str, dict[str, str]]:
    """Each confidence level as the pages draw it: ``{level, label, help, marks}``; label
    and plain meaning from the data (``appraisal_terms``)."""
    return {level: {"level": level, "label": label, "help": meaning,
                    "marks": CONFIDENCE_MARKS[level]}
            for level, (label, meaning) in confidence.terms(ds, "confidence").items()}


def confidence_badge(ds: Dataset, level: object) -> Markup:
    """A confidence level as marks and words, its meaning on hover and focus; '' for none."""
    if not isinstance(level, str) or level not in CONFIDENCE_MARKS:
        return Markup("")
    return fragment("confidence", confidence_styles(ds)[level])


def basis_term(ds: Dataset, table: str, basis: object) -> Markup:
    """'Stated' or 'Coded', explained where it appears."""
    return term(*declared_term(ds, table, "basis", basis))


# -- sources and citations -----------------------------------------------------------------

@derived()
def _sources(ds: Dataset) -> dict[str, tuple[str, object]]:
    """``source_id → (title, url)``, built once per dataset."""
    frame = ds.sources
    return {str(s): (str(t), u) for s, t, u in zip(frame.source_id, frame.title, frame.url,
                                                     strict=True)}


def citations(ds: Dataset, cited: Iterable[Citation]) -> Markup:
    """Citations as links to their sources, each with its locator."""
    index = _sources(ds)
    return fragment("citations", [(index[c.source_id], c.locator) for c in cited])


# -- templates -----------------------------------------------------------------------------

class SharedBytecode(FileSystemBytecodeCache):
    """Compiled templates kept on disk for every process of this user on this machine.

    Each reader's kernel is a new process: without this, every kernel compiles the same
    templates again on its first pages (~0.1 s of CPU per kernel on the machine that
    ``bench/tour.py`` measures, a fifth of a first tour's work). Jinja keys an entry by the
    template's name and file and checks it against the template's source, so a changed
    template is compiled afresh. The folder is Jinja's own per-user one (mode 0700, checked).
    Writing is best effort: a folder that cannot be written means compiling, never failing.
    """

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def bytecode_cache(directory: str | None = None) -> SharedBytecode | None:
    """The compiled-template cache in ``directory`` (default: Jinja's per-user folder), or
    None where there is no safe folder to keep it in."""
    try:
        return SharedBytecode(directory)
    except (OSError, RuntimeError):
        return None


@cache
def environment() -> Environment:
    """The one Jinja2 environment: package templates, autoescaping, undefined is an error.

    Templates are package files that do not change while a process runs, so they are not
    checked for changes on every use (``auto_reload``); compiled ones are shared between
    processes (``SharedBytecode``).
    """
    env = Environment(loader=PackageLoader("explorer.render", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=False, auto_reload=False,
                      bytecode_cache=bytecode_cache())
    env.filters.update(text=text, humanise=humanise)
    env.globals.update(
        BASIS_HELP=BASIS_HELP,
        count=count, is_web_address=is_web_address, text=text, humanise=humanise,
    )
    return env


def render(template: str, **context: Any) -> Markup:
    """Render ``explorer/render/templates/<template>`` with ``context``; the result is trusted."""
    return Markup(environment().get_template(template).render(**context))


def fragment(name: str, *args: Any, **kwargs: Any) -> Markup:
    """Call the macro ``name`` of ``fragments.html.j2``; the result is trusted markup."""
    macro = getattr(environment().get_template("fragments.html.j2").module, name)
    return Markup(macro(*args, **kwargs))


@cache
def stylesheet() -> str:
    """The explorer's CSS (``templates/explorer.css``) plus one class per strength colour."""
    css = files("explorer.render").joinpath("templates", "explorer.css").read_text(encoding="utf-8")
    colours = "".join(
        f".ctg-strength-{strength} {{ background-color: {colour} !important; "
        f"color: {text_colour} !important; }}\n"
        for strength, (colour, _, _, text_colour) in STRENGTH_STYLE.items())
    return css + "\n" + colours


def inline_stylesheet(extra: str = "") -> Markup:
    """``stylesheet()`` (and ``extra``, the caller's own CSS) for a ``<style>`` element.

    CSS is trusted package text, not data, and must reach the page unescaped: escaped, a
    child selector's ``>`` becomes ``&gt;`` and the browser drops the rule.

    Raises:
        ValueError: the CSS would end the ``<style>`` element early.
    """
    css = stylesheet() + extra
    if "</style" in css.lower():
        raise ValueError("CSS for a <style> element cannot contain '</style'")
    return Markup(css)


def table_rows(frame: pd.DataFrame) -> list[list[object]]:
    """A DataFrame's cells as lists, ready for the ``table`` fragment."""
    return [list(row) for row in rows(frame)]


def table(frame: pd.DataFrame, caption: str = "", row_classes: list[str] | None = None,
          empty: str = "nothing to show") -> Markup:
    """An accessible HTML table of ``frame``; cells are escaped unless they are ``Markup``.

    A table of five or more columns is *wide*: on a laptop it keeps readable columns and
    scrolls sideways inside its own box rather than squeeze its text to a word per line; on
    paper and on a phone each row becomes a block of "Column: value" lines (explorer.css),
    with its table roles written out so that it stays a table to a screen reader.
    """
    return fragment("table", [str(c) for c in frame.columns], table_rows(frame), caption,
                    row_classes or [], empty, len(frame.columns) >= 5)


def records_table(frame: pd.DataFrame, caption: str = "") -> Markup:
    """A table of evidence records for readers: the ``Record`` ids (for analysts) are folded
    away under it instead of filling a column."""
    if "Record" not in frame.columns:
        return table(frame, caption)
    return table(frame.drop(columns="Record"), caption) + fragment(
        "record_ids", list(frame["Record"]))


def slug(value: str) -> str:
    """A safe fragment for ids and class names: lowercase letters, digits and hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")


def term(label: str, explanation: str) -> Markup:
    """A term explained where it appears: a hover and keyboard-focus note."""
    return fragment("term", label, explanation)



def count_text(rated: int, records: int) -> str:
    """What a cell's count counts, in words: '2 records', '1 rated of 2 records' (the
    other is silent), '' for a cell with no records."""
    if not records:
        return ""
    if rated in (0, records):
        return count(records, "record")
    return f"{rated} rated of {count(records, 'record')}"


def rating_table(ds: Dataset, cells: pd.DataFrame, caption: str, corner: str,
                 href: Callable[[str, str], str], contested: frozenset[str] = frozenset(),
                 mark_differences: bool = False, css_class: str = "",
                 definitions: Mapping[str, str] | None = None) -> Markup:
    """``query.matrix`` cells as a compact table of rating badges, each a link to evidence.

    Args:
        cells: ``query.matrix`` output (rows = mechanisms, columns in display order).
        href: the address of the evidence behind a cell, from ``(mechanism_id, column_id)``.
        contested: evidence ids whose two codings disagreed; a cell holding one says so.
        mark_differences: highlight rows whose cells are not all the same strength.
        definitions: ``mechanism_id → plain definition``; each row's mechanism is then
            explained where it appears (a hover and keyboard-focus note).
    """
    columns = list(dict.fromkeys(cells.column))
    styles = strength_styles(ds)
    levels = confidence_styles(ds)
    if "kind" not in cells.columns:
        cells = cell_kinds(ds, cells, _column_kind(ds, cells))
    table_body = []
    for mechanism, part in cells.groupby("mechanism", sort=False):
        row_cells = [{
            "strength": r.strength, "count": count_text(int(r.count), int(r.rows)),
            "style": (dict(styles[r.strength], label=confidence.CELL_KIND_TERMS[r.kind][0],
                           help=confidence.CELL_KIND_TERMS[r.kind][1])
                      if r.kind == "project_not_identified" else styles[r.strength]),
            "href": href(r.mechanism_id, r.column_id),
            "contested": bool(contested.intersection(r.evidence_ids)),
            "confidence": levels.get(r.confidence) if isinstance(r.confidence, str) else None,
            "title": f"{mechanism} × {r.column}: {styles[r.strength]['label']}"
                     + (f", {levels[r.confidence]['label'].lower()}"
                        if isinstance(r.confidence, str) else "")
                     + ". Choose to read the evidence.",
        } for r in rows(part)]
        differs = mark_differences and len({c["strength"] for c in row_cells}) > 1
        mechanism_id = str(part.mechanism_id.iloc[0])
        label: object = (term(str(mechanism), definitions[mechanism_id])
                         if definitions and mechanism_id in definitions else mechanism)
        table_body.append({"label": label, "cells": row_cells, "differs": differs})
    return fragment("rating_table", caption, corner, columns, table_body, css_class)


def _column_kind(ds: Dataset, cells: pd.DataFrame) -> str:
    """Which facet a matrix's columns show, read from the cells' own column ids."""
    ids = set(cells.column_id)
    return next((kind for kind in query_column_kinds(ds)
                 if ids <= set(facet_options(ds, kind))), PROJECT)


def evidence_table(ds: Dataset, records: pd.DataFrame, caption: str,
                   contested: frozenset[str] | None = None) -> Markup:
    """``query.reader_table`` rows with strength badges, linked citations and a note on
    ratings whose repeated codings disagreed (``contested``: computed when not given)."""
    evidence = _evidence_index(ds)
    if contested is None:
        contested = contested_evidence(ds)
    shown = records.copy()
    ids = list(records["Record"])
    shown["Strength"] = [
        badge(ds, evidence[r][0])
        + (fragment("contested") if r in contested else "")
        for r in ids]
    shown["Sources"] = [citations(ds, evidence[r][1]) for r in ids]
    if "Basis" in shown.columns:
        shown["Basis"] = [basis_term(ds, RECORDS_TABLE, b) for b in shown["Basis"]]
    found = confidence.appraisals(ds)
    shown.insert(list(shown.columns).index("Strength") + 1, "Confidence", [
        confidence_badge(ds, c.level) if (c := found[r]) is not None
        else fragment("no_level") for r in ids])
    return (table(shown.drop(columns="Record"), caption) + confidence_note(ds)
            + fragment("record_ids", ids))


@derived()
def _evidence_index(ds: Dataset) -> dict[str, tuple[str, Any]]:
    """``evidence_id → (strength, citations)``, built once per dataset."""
    frame = ds[RECORDS_TABLE]
    return {str(e): (str(s), c) for e, s, c in zip(frame.evidence_id, frame.strength,
                                                     frame.source_ids, strict=True)}


def agreement_sentence(ds: Dataset) -> str:
    """How consistent the repeated codings of the mechanism ratings were, in a few
    sentences: who made them and how (the package's ``codings_note``), then the figures,
    computed from the codings, never typed in (``explorer.evidence.query.agreement``); empty when
    the package has no codings."""
    agreement = coding_agreement(ds)
    if agreement is None:
        return ""
    contested = agreement.contested
    note = Programme.of(ds).text("codings_note")
    return (f"Every rating was coded {len(agreement.coders)} times. {note} The consistency "
            f"of that coding: {agreement_figures(ds)}. {count(contested, 'rating')} where "
            f"the codings differed {'is' if contested == 1 else 'are'} marked "
            "\"contested\" and show the rating settled from the sources.")


def analysts_fold(ds: Dataset) -> Markup:
    """The agreement statistics (alpha, kappas), folded away under 'For analysts' so that a
    reader's page speaks plain words; empty when the package has no codings."""
    figures = agreement_statistics(ds)
    return fragment("analysts_fold", figures) if figures else Markup("")


@derived()
def mechanism_definitions(ds: Dataset) -> dict[str, str]:
    """``mechanism_id → definition``, for explaining mechanisms where they appear."""
    return {str(k): str(v) for k, v in zip(ds.mechanisms.mechanism_id, ds.mechanisms.definition,
                                           strict=True)}
