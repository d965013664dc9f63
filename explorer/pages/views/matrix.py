"""Mechanisms × contexts: the evidence gap map, with the records behind every cell.

Rows are the evaluation's mechanisms; columns are what the reader chooses (any facet the
package declares as a column: projects, context dimensions, relationship types, settings).
The grid is one ``EvidenceGrid`` at any size; the chart is drawn only while it stays
readable (``figures.MAX_CHART_COLUMNS``). A chosen cell lists its records; the CSV download
holds exactly what is chosen (the cell's records, or every record the filters keep).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import pandas as pd
from markupsafe import Markup

from ...data.derived import derived
from ...data.descriptor.facets import PROJECT
from ...data.load import Dataset
from ...errors import QueryError
from ...evidence import appraisal, profiles, query
from ...evidence.programme import Programme
from ...evidence.query import Filters
from ...render import content, figures, html, profile_files, trail
from ...render.blocks import Block, Chart, Choice, Content, Download, FacetFilter, Grid, Html, Links
from ...render.downloads import records_csv
from ..parameters import Cell, Ids, Parameter, facet_parameters
from ..state import ViewState
from .base import View, rating_summary
from .sources import reference_downloads

__all__ = ["FILTER_HELP", "MAX_READER_ROWS", "VIEW", "MatrixView", "facet_choices",
           "reader_caption"]

# The reader table on the page lists at most this many records; the CSV always has them all.
# (At 100× the embedded data, 2,500 rows were 2 MB of HTML and most of the page's first
# paint; 200 rows, each with its sources, confidence and ids, were 430 KB sent again with
# every filter tick, 50 rows 115 KB. Twenty-five is every record of the embedded data, and
# about 55 KB a tick at 100×; past it, readers narrow the choices or download the CSV.)
MAX_READER_ROWS = 25
FILTER_HELP = ("Tick any values to narrow the records. Within one group a record is kept if it "
               "matches any ticked value (OR); across groups it must match every group that "
               "has a tick (AND). The number beside a value is how many records ticking it "
               "would show.")
BRIEFING_TITLE = "The matrix: which mechanisms were activated, and where"
PRINT_INTRO = ("Rows are the evaluation's enabling mechanisms. Strength is shown by colour, "
               "symbol and word, with what the number counts and how far to trust the rating.")
INTRO = ("Rows are the evaluation's enabling mechanisms; columns are what you choose. Each "
         "cell shows the strongest rating by colour, symbol and word, with the number of "
         "records. Choose a cell or a heading to read the evidence behind it.")


def facet_choices(ds: Dataset, filters: Filters,
                  facets: Iterable[str]) -> tuple[dict[str, object], ...]:
    """The ``FacetFilters`` widget's facets: every value with its label and count."""
    names = tuple(facets)
    counts = query.facet_counts(ds, filters, names)
    return tuple({"name": facet, "label": query.facet_title(ds, facet),
                  "options": [{"id": key, "label": label, "count": counts[facet][key]}
                              for key, label in query.facet_options(ds, facet).items()]}
                 for facet in names)


#: The CSV of every evidence record (the static site's too).
ALL_RECORDS_CSV = "evidence-all-records.csv"


def _slug(text: str) -> str:
    """A file-name part from words: 'Systems and processes × Acute hospital' →
    'systems-and-processes-acute-hospital'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "chosen"


def records_filename(ds: Dataset, filters: query.Filters) -> str:
    """The CSV of the records some filters keep, named after them: 'evidence-all-records.csv'
    with none, else e.g. 'evidence-setting-type-is-acute-hospital.csv' (at most 80 letters
    of the filters' words)."""
    if not filters.active():
        return ALL_RECORDS_CSV
    return f"evidence-{_slug(query.describe_filters(ds, filters))[:80].strip('-')}.csv"


def reader_caption(records: int) -> str:
    """The reader table's caption: how many records match, and how many the page lists."""
    matching = html.count(records, "matching evidence record")
    if records <= MAX_READER_ROWS:
        return matching
    return (f"{matching}; the first {MAX_READER_ROWS} are listed here (narrow the choices to "
            f"see others), and the CSV download has all {records}")


@derived(maxsize=32)
def _reader_html(ds: Dataset, filters: Filters) -> Markup:
    """The reader table of the records ``filters`` keep (rendered once per choice)."""
    table = query.reader_table(ds, filters)
    return html.evidence_table(ds, table.head(MAX_READER_ROWS), reader_caption(len(table)))


def cell_anchor(mechanism_id: str, column_id: str) -> str:
    """The static page's anchor of a cell's evidence."""
    return f"cell-{mechanism_id}--{column_id}"


class MatrixView(View):
    """The evidence gap map: choose columns and filters; choose a cell to read its evidence."""

    name = "matrix"
    static_parameters = ("columns",)

    def parameters(self, ds: Dataset) -> dict[str, Parameter]:
        return {"columns": Ids("column choice", options=query.column_kinds),
                "cell": Cell("matrix cell"), **facet_parameters(ds)}

    def default(self, ds: Dataset, parameter: str) -> str:
        return PROJECT if parameter == "columns" else ""

    def static_states(self, ds: Dataset) -> Iterable[dict[str, str]]:
        return ({"columns": kind} for kind in query.column_kinds(ds))

    def static_anchor(self, ds: Dataset, parameters: Mapping[str, str]) -> str:
        mechanism_id, _, column_id = parameters.get("cell", "").partition(":")
        if not (mechanism_id and column_id):
            return ""
        cells = query.matrix(ds, parameters.get("columns") or PROJECT)
        hit = cells[(cells.mechanism_id == mechanism_id) & (cells.column_id == column_id)]
        return cell_anchor(mechanism_id, column_id) if len(hit) and hit.rows.iloc[0] else ""

    def briefing_states(self, ds: Dataset) -> Iterable[dict[str, str]]:
        return ({},)

    # -- the view ------------------------------------------------------------------------
    def selected(self, ds: Dataset, state: ViewState) -> tuple[str | None, str | None]:
        """The chosen cell or heading as ``(mechanism_id, column_id)``; a column that the
        current column choice does not show is dropped."""
        cell = state.get("cell")
        if not cell:
            return None, None
        mechanism_id, _, column_id = cell.partition(":")
        columns = state.get("columns", PROJECT)
        if column_id and column_id not in query.facet_options(ds, columns):
            column_id = ""
        return mechanism_id or None, column_id or None

    def cell_label(self, ds: Dataset, state: ViewState, mechanism_id: str | None,
                   column_id: str | None) -> str:
        """'Mechanism × column' (or one of them) in words."""
        columns = state.get("columns", PROJECT)
        parts = []
        if mechanism_id:
            parts.append(query.facet_options(ds, query.ROW_FACET)[mechanism_id])
        if column_id:
            parts.append(query.facet_options(ds, columns)[column_id])
        return " × ".join(parts)

    def describe(self, ds: Dataset, state: ViewState) -> str:
        """What the view shows, in words (for a citation and the page's title), e.g. 'by
        setting, all evidence records; evidence for Systems and processes × Acute
        hospital'."""
        columns = query.column_kinds(ds)[state.get("columns", PROJECT)]
        filters = state.filters(ds)
        parts = [f"by {columns.lower()}, "
                 + (query.describe_filters(ds, filters) if filters.active()
                    else "all evidence records")]
        mechanism_id, column_id = self.selected(ds, state)
        if mechanism_id or column_id:
            parts.append("evidence for " + self.cell_label(ds, state, mechanism_id, column_id))
        return "; ".join(parts)

    def statement(self, ds: Dataset, state: ViewState) -> str:
        """The chosen cell's rating, its records and how far to trust it, in a sentence; for a
        chosen heading, each cell under it the same way; otherwise how the records the view
        keeps are rated."""
        mechanism_id, column_id = self.selected(ds, state)
        columns = state.get("columns", PROJECT)
        if mechanism_id or column_id:
            cells = appraisal.cell_kinds(ds, query.matrix(ds, columns, state.filters(ds)),
                                         columns)
            hit = cells[((cells.mechanism_id == mechanism_id) | (mechanism_id is None))
                        & ((cells.column_id == column_id) | (column_id is None))
                        & (cells["rows"] > 0)]
            levels = html.confidence_styles(ds)

            def rated(cell: pd.Series) -> str:
                counted = html.count_text(int(cell["count"]), int(cell["rows"]))
                contested = (", contested: the team's repeated codings differed"
                             if cell.contested else "")
                level = levels.get(cell.confidence) if isinstance(cell.confidence, str) else None
                return (f"rated {cell.strength_label.lower()}"
                        + (f" ({counted}{contested})" if counted else "")
                        + (f", {level['label'].lower()}" if level else ""))

            if mechanism_id and column_id and len(hit):
                return (f"{self.cell_label(ds, state, mechanism_id, column_id)}: "
                        f"{rated(hit.iloc[0])}.")
            if len(hit):
                return (f"{self.cell_label(ds, state, mechanism_id, column_id)}: "
                        + "; ".join(f"{cell.column if mechanism_id else cell.mechanism} "
                                    f"{rated(cell)}" for _, cell in hit.iterrows()) + ".")
        records = self.chosen_records(ds, state)
        strengths = dict(zip(ds.mechanism_evidence.evidence_id,
                             ds.mechanism_evidence.strength.astype(str), strict=True))
        what = (self.cell_label(ds, state, mechanism_id, column_id)
                if mechanism_id or column_id
                else "Evidence shown (" + query.describe_filters(ds, state.filters(ds)).lower()
                + ")")
        return (f"{what}: {html.count(len(records), 'record')} "
                f"({rating_summary(ds, (strengths[r] for r in records['Record']))}).")

    def chosen_records(self, ds: Dataset, state: ViewState) -> pd.DataFrame:
        """Exactly what the view has chosen: the selected cell's records, or every record
        the filters keep."""
        filters = state.filters(ds)
        mechanism_id, column_id = self.selected(ds, state)
        if mechanism_id or column_id:
            return query.cell_records(ds, state.get("columns", PROJECT), mechanism_id,
                                      column_id, filters)
        return query.reader_table(ds, filters)

    def shown_ratings(self, ds: Dataset, state: ViewState) -> Iterable[str]:
        """The chosen cell's ratings, or every rating the filters keep."""
        return self.chosen_records(ds, state)["Record"]

    def content(self, ds: Dataset, state: ViewState, links: Links) -> Content:
        programme = Programme.of(ds)
        filters = state.filters(ds)
        columns = state.get("columns", PROJECT)
        kinds = query.column_kinds(ds)
        column_title = kinds[columns]
        cells = appraisal.cell_kinds(ds, query.matrix(ds, columns, filters), columns)
        contested = query.contested_evidence(ds)
        n_columns = cells.column_id.nunique()
        readable = n_columns <= figures.MAX_CHART_COLUMNS
        mechanism_id, column_id = self.selected(ds, state)
        live = links.interactive
        blocks: list[Block] = [
            Html("header", html.fragment(
                "header", BRIEFING_TITLE if links.whole_programme else self.title,
                PRINT_INTRO if links.printed else INTRO)),
            Choice("columns", "columns", "Columns show", tuple(kinds.items()), columns,
                   default=PROJECT, resets=("cell",)),
            FacetFilter("filters", facet_choices(ds, filters, (f.name for f in query.facets(ds))),
                        dict(filters.active()), FILTER_HELP,
                        # A projected view shows results, not the controls that chose them.
                        expanded=bool(filters.active()) and not state.presenting,
                        resets=("cell",)),
            Html("key", html.render("ratings_key.html.j2",
                                    legend=html.legend(ds, programme.text("ratings_note")),
                                    agreement=html.agreement_sentence(ds),
                                    statistics=html.analysts_fold(ds))),
            Grid("grid", self._grid(ds, cells, column_title), _grid_styles(ds),
                 state.get("cell") or "",
                 Markup("") if live else self._static_table(ds, state, cells, column_title,
                                                            links, contested)),
        ]
        if live:
            blocks.append(Html("records", self._records(ds, state, mechanism_id, column_id),
                               css="ctg-records"))
            if mechanism_id or column_id:  # the chosen evidence's own file, beside it
                blocks.append(self._download(ds, state))
            blocks += self._profile_downloads(ds, columns, mechanism_id, column_id)
        elif links.linked_files:
            blocks.append(Html("sections", self._sections(ds, cells, contested)))
        labels = query.strength_labels(ds)
        levels = {level: style["label"] for level, style in
                  html.confidence_styles(ds).items()}
        on_paper = links.printed
        widths = ((figures.print_label_width(n_columns), figures.PRINT_ROW_LABEL_WIDTH)
                  if on_paper else (14, 22))
        blocks += [
            # Only a page that draws the chart has its camera button (a handout has words).
            Html("chart-heading", html.render("chart_heading.html.j2", chart=readable,
                                              camera=not links.printed)),
            Chart("matrix", figures.matrix_figure(cells, column_title, labels=labels,
                                                  label_width=widths[0],
                                                  row_label_width=widths[1], levels=levels)
                  if readable else None,
                  figures.describe_matrix(cells, column_title, labels, levels)
                  if readable else "",
                  "evidence-matrix"),
            Html("chart-note", html.render("chart_note.html.j2", columns=n_columns,
                                           shown=readable)),
        ]
        if links.printed and not links.whole_programme:  # one view on paper: what is chosen
            blocks.append(Html("chosen", self._chosen_html(ds, state)))
        elif not links.printed:
            blocks += [
                Html("records-heading", html.render("heading.html.j2",
                                                    text="All matching records")),
                self._download(ds, state, chosen=not live),
                Html("reader", _reader_html(ds, filters), css="ctg-reader"),
            ]
        if links.whole_programme:
            blocks.append(Html("cerqual", content.cerqual_html(ds, columns)))
        elif not links.printed:
            blocks += [Html("cerqual-heading", html.render(
                "heading.html.j2", text="GRADE-CERQual's outputs and the sources")),
                       *self._cerqual_downloads(ds, columns)]
        return Content(f"{self.title}: {column_title.lower()}", tuple(blocks),
                       self.describe(ds, state))

    def _download(self, ds: Dataset, state: ViewState, chosen: bool = True) -> Download:
        """The CSV of exactly what is chosen (``chosen``: the chosen cell's or heading's
        records, named after it, ``chosen-csv``), or of every record the filters keep
        (``csv``, named after the filters: ``evidence-all-records.csv`` with none)."""
        mechanism_id, column_id = self.selected(ds, state) if chosen else (None, None)
        picked = bool(mechanism_id or column_id)
        records = (self.chosen_records(ds, state) if picked
                   else query.reader_table(ds, state.filters(ds)))
        label = self.cell_label(ds, state, mechanism_id, column_id) if picked else ""
        what = (f"the {html.count(len(records), 'record')} behind {label}" if picked
                else html.count(len(records), "record"))
        filename = (f"evidence-{_slug(label)}.csv" if picked
                    else records_filename(ds, state.filters(ds)))
        return Download("chosen-csv" if picked else "csv", f"Download {what} (CSV)", filename,
                        "text/csv", lambda: records_csv(ds, records).encode("utf-8"),
                        help="A spreadsheet of exactly these records, with each record's "
                             "project, setting, context, rating, sources and the dataset "
                             "version.", static=True)

    def _profile_downloads(self, ds: Dataset, columns: str, mechanism_id: str | None,
                           column_id: str | None) -> list[Block]:
        """The chosen cell's Evidence Profile as Word and CSV, when the cell has a
        confidence level (a silent or empty cell has no profile)."""
        if not (mechanism_id and column_id):
            return []
        try:
            profile = profiles.evidence_profile(ds, mechanism_id, column_id, columns)
        except QueryError:
            return []
        where = f"{profile.mechanism.iloc[0]} × {profile.column.iloc[0]}"
        cell = f"{mechanism_id}:{column_id}"
        help_ = ("GRADE-CERQual's Evidence Profile of this cell: the finding, the sources "
                 "behind it, each component's concern and why, and the overall confidence "
                 "and how it was reached.")
        return [
            Download("profile-docx", f"Download the Evidence Profile of {where} (Word)",
                     profile_files.profiles_filename(ds, "docx", cell, columns),
                     profile_files.DOCX_MIMETYPE,
                     lambda: profile_files.profile_docx(ds, mechanism_id, column_id,
                                                        columns), help=help_),
            Download("profile-csv", f"Download the Evidence Profile of {where} (CSV)",
                     profile_files.profiles_filename(ds, "csv", cell, columns), "text/csv",
                     lambda: profile_files.profile_csv(ds, mechanism_id, column_id,
                                                       columns).encode("utf-8"),
                     help="The same Evidence Profile as a spreadsheet: one row per "
                          "component of each rating, with the dataset's version."),
        ]

    def _cerqual_downloads(self, ds: Dataset, columns: str) -> list[Block]:
        """The whole matrix's Summary of Qualitative Findings with every Evidence Profile
        (Word, CSV), and every source for a reference manager (RIS, BibTeX)."""
        summary = ("GRADE-CERQual's Summary of Qualitative Findings: every rated cell in one "
                   "line, with its confidence, the reason and the sources behind it")
        return [
            Download("summary-docx", "Download the Summary of Qualitative Findings and every "
                     "Evidence Profile (Word)",
                     profile_files.profiles_filename(ds, "docx", None, columns),
                     profile_files.DOCX_MIMETYPE,
                     lambda: profile_files.summary_docx(ds, columns),
                     help=summary + ", then each cell's Evidence Profile.", static=True),
            Download("summary-csv", "Download the Summary of Qualitative Findings (CSV)",
                     profile_files.profiles_filename(ds, "csv", None, columns), "text/csv",
                     lambda: profile_files.summary_csv(ds, columns).encode("utf-8"),
                     help=summary + ".", static=True),
            # The static site writes the sources beside its sources page, not here.
            *reference_downloads(ds, static=False),
        ]

    def _chosen_html(self, ds: Dataset, state: ViewState) -> Markup:
        """A handout's records: exactly what the view chose, with the sources they cite."""
        records = self.chosen_records(ds, state)
        every = query.evidence_records(ds)
        citations = dict(zip(every.evidence_id, every.source_ids, strict=True))
        cited = {c.source_id for r in records["Record"] for c in citations[r]}
        mechanism_id, column_id = self.selected(ds, state)
        profile = (content.cerqual_html(ds, state.get("columns", PROJECT),
                                        (mechanism_id, column_id))
                   if mechanism_id and column_id else Markup(""))
        return html.render("chosen_records.html.j2",
                           count=html.count(len(records), "record"),
                           table=html.evidence_table(ds, records, "Evidence records")
                           + trail.record_trails(ds, records["Record"], open_=True)
                           + profile,
                           sources=content.source_rows(ds, cited, show_url=True))

    def _grid(self, ds: Dataset, cells: pd.DataFrame, column_title: str) -> dict[str, object]:
        columns = list(dict.fromkeys(zip(cells.column_id, cells.column, strict=True)))
        rows = list(dict.fromkeys(zip(cells.mechanism_id, cells.mechanism, strict=True)))
        definitions = html.mechanism_definitions(ds)
        return {
            "columns": [list(c) for c in columns],
            "rows": [[key, label, definitions.get(key, "")] for key, label in rows],
            "cells": [[s, int(n), int(r), int(c), k, v if isinstance(v, str) else ""]
                      for s, n, r, c, k, v in zip(
                          cells.strength, cells["count"], cells["rows"], cells["contested"],
                          cells.kind, cells.confidence, strict=True)],
            "levels": {level: [style["label"], style["marks"]]
                       for level, style in html.confidence_styles(ds).items()},
            "kinds": {kind: label for kind, (label, _) in
                      appraisal.CELL_KIND_TERMS.items()},
            "corner": "Mechanism",
            "caption": f"Evidence matrix: mechanisms by {column_title.lower()}",
        }

    def _records(self, ds: Dataset, state: ViewState, mechanism_id: str | None,
                 column_id: str | None) -> Markup:
        if not (mechanism_id or column_id):
            return html.render("records.html.j2", title="", table="", key="")
        table = self.chosen_records(ds, state)
        return html.render(
            "records.html.j2", title=self.cell_label(ds, state, mechanism_id, column_id),
            key=f"{mechanism_id or ''}:{column_id or ''}",
            table=html.evidence_table(ds, table, html.count(len(table), "record"))
            + trail.record_trails(ds, table["Record"]))

    def _static_table(self, ds: Dataset, state: ViewState, cells: pd.DataFrame,
                      column_title: str, links: Links, contested: frozenset[str]) -> Markup:
        columns = state.get("columns", PROJECT)
        with_rows = {(m, c) for m, c, n in zip(cells.mechanism_id, cells.column_id,
                                               cells["rows"], strict=True) if n}

        def href(mechanism_id: str, column_id: str) -> str:
            if (mechanism_id, column_id) not in with_rows:
                return ""
            return links.href("matrix", columns=columns if columns != PROJECT else "",
                              cell=f"{mechanism_id}:{column_id}")

        return html.rating_table(ds, cells, f"Evidence matrix: mechanisms by "
                                 f"{column_title.lower()}", "Mechanism", href, contested,
                                 definitions=html.mechanism_definitions(ds))

    def _sections(self, ds: Dataset, cells: pd.DataFrame, contested: frozenset[str]) -> Markup:
        everything = query.reader_table(ds)
        sections = []
        for r in query.rows(cells):
            if not r.rows:
                continue
            records = everything[everything["Record"].isin(r.evidence_ids)]
            sections.append({
                "anchor": cell_anchor(r.mechanism_id, r.column_id),
                "title": f"{r.mechanism} × {r.column}",
                "badge": html.badge(ds, r.strength),
                "table": html.evidence_table(ds, records, html.count(len(records), "record"),
                                             contested)
                + trail.record_trails(ds, records["Record"]),
            })
        return html.render("cell_sections.html.j2", sections=sections)


def _grid_styles(ds: Dataset) -> dict[str, list[str]]:
    """``strength → [label, symbol]`` for the grid's cells."""
    return {strength: [style["label"], style["symbol"]]
            for strength, style in html.strength_styles(ds).items()}


VIEW = MatrixView()
