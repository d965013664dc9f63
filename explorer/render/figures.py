"""Pure functions: a query result → a plotly figure, plus a text alternative for each chart.

A figure is plotly's own JSON form, a plain ``dict`` with ``data`` and ``layout``, built
without ``plotly.graph_objects``: validating a Figure object cost about 20 ms per redraw and
importing plotly's object tree several MB per kernel, and the browser's plotly.js reads the
dict directly. Analysts who want an object write ``plotly.graph_objects.Figure(fig)``;
``tests/test_figures.py`` checks every figure against plotly's validators.

Plotly renders a subset of HTML in labels, hover text and titles, so every string that
comes from the data passes through ``_text`` (its ``<``, ``>`` and ``&`` become entities,
which plotly shows as the original characters).

Strength is always shown twice — by colour (Okabe–Ito, safe for the common colour-vision
deficiencies) and by shape — so no reading depends on colour alone. Every figure has a
title, axis titles and a legend in plain language; ``describe_*`` functions give the same
content as text for screen readers and handouts.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..evidence.query import ACTIVITY_TO_MECHANISM, NO_ROWS, STRENGTH_ORDER, humanise, rows

Figure = dict[str, Any]

__all__ = [
    "MAX_CHART_COLUMNS",
    "PRINT_MAX_HEIGHT",
    "PRINT_ROW_LABEL_WIDTH",
    "PRINT_WIDTH",
    "RATING_SHAPES",
    "STRENGTH_STYLE",
    "Figure",
    "describe_flows",
    "describe_matrix",
    "describe_room_matrix",
    "describe_sankey",
    "flows_figure",
    "matrix_figure",
    "print_label_width",
    "room_matrix_figure",
    "story_figure",
]

# A chart's size in a briefing: A4 portrait less 12 mm margins is about 700 CSS pixels wide
# and 1,030 high; a chart stays within both so it never splits or runs off the page.
PRINT_WIDTH = 690
PRINT_MAX_HEIGHT = 500
# Of a printed chart's width, what the matrix's row labels (14 characters a line) and
# margins take, and the width of one character of a 9-pixel column label.
PRINT_ROW_LABELS = 150
PRINT_ROW_LABEL_WIDTH = 14
PRINT_CHARACTER = 5.5


def print_label_width(n_columns: int, width: int = PRINT_WIDTH) -> int:
    """Characters per line of a matrix column's label, so that neighbours do not overlap
    on a printed page (between 6 and the screen's 14)."""
    per_column = (width - PRINT_ROW_LABELS) / max(n_columns, 1)
    return max(6, min(14, int(per_column / PRINT_CHARACTER)))


# Past this many columns a matrix chart cannot be read: pages and the static site show the
# grid or table alone.
MAX_CHART_COLUMNS = 40
# One shape per rating, the same wherever a rating is shown: the grid, badges, keys and
# tables write the character, charts draw the plotly marker of the same shape.
RATING_SHAPES = {"evident": ("●", "circle"), "partial": ("◆", "diamond"),
                 "not_evident": ("✕", "x"), "not_reported": ("○", "circle-open"),
                 NO_ROWS: ("–", "line-ew")}
# colour, marker symbol, text symbol, text colour on that colour (shapes: RATING_SHAPES)
STRENGTH_STYLE = {strength: (colour, RATING_SHAPES[strength][1], RATING_SHAPES[strength][0], text)
                  for strength, colour, text in (
                      ("evident", "#0072B2", "#ffffff"), ("partial", "#56B4E9", "#000000"),
                      ("not_evident", "#E69F00", "#000000"),
                      ("not_reported", "#BBBBBB", "#000000"), (NO_ROWS, "#FFFFFF", "#000000"))}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


def _figure(data: list[dict[str, Any]], title: str, height: int, **layout: Any) -> Figure:
    """A figure dict with the explorer's common layout (title, font, white background)."""
    base: dict[str, Any] = {
        # Pinned to the top of the figure: plotly's default centres the title in the top
        # margin, where a matrix's top-side column labels would run into its subtitle.
        # automargin: the title and its note push the plot down instead of lying over
        # the top-side labels when a narrow screen stands the labels on end.
        "title": {"text": title, "x": 0, "xanchor": "left", "y": 1, "yref": "container",
                  "yanchor": "top", "pad": {"t": 12}, "automargin": True},
        "font": {"family": FONT, "size": 14},
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 60, "b": 10},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
    }
    return {"data": data, "layout": {**base, **layout}}


def _strength_labels(frame: pd.DataFrame,
                     labels: Mapping[str, str] | None = None) -> dict[str, str]:
    """``strength → plain label``: ``labels`` (``query.strength_labels``), else as the query
    result names the strengths it holds (its ``strength_label``), else the humanised id."""
    found = ({str(s): label for s, label in zip(frame.strength, frame.strength_label,
                                                 strict=True) if isinstance(label, str)}
             if "strength_label" in frame.columns else {})
    return {s: (labels or {}).get(s) or found.get(s) or humanise(s)
            for s in (*STRENGTH_ORDER, NO_ROWS)}


def _text(value: object) -> str:
    """Data text made safe for plotly's HTML-like labels."""
    return html.escape(str(value), quote=False)


def _wrap(text: str, width: int = 18) -> str:
    """Escaped text with line breaks every ``width`` characters or so (a longer word keeps
    its own line whole)."""
    lines = textwrap.wrap(str(text), width, break_long_words=False)
    return "<br>".join(_text(line) for line in lines) or _text(text)


def matrix_figure(cells: pd.DataFrame, column_title: str = "Projects",
                  title: str | None = None, compact: bool = False,
                  label_width: int = 14, row_label_width: int = 22,
                  labels: Mapping[str, str] | None = None,
                  levels: Mapping[str, str] | None = None) -> Figure:
    """The evidence gap map: mechanisms (rows) × columns, strength by colour and shape.

    Args:
        cells: ``query.matrix`` output.
        column_title: what the columns are, for the title and the note under the chart.
        title: the chart title; default "Which mechanisms were activated, by <columns>".
        compact: a fixed width of about 170 px per column (for two or three columns side
            by side), instead of the page's full width.
        label_width, row_label_width: characters per line of a column's and a row's label
            (narrower for a printed page).
        labels: each strength's name (``query.strength_labels``); default: as ``cells``
            names the strengths it holds.
        levels: each confidence level's name; when given and ``cells`` has a
            ``confidence`` column (``appraisal.cell_kinds``), each cell's hover says it.
    """
    columns = [_wrap(c, label_width) for c in dict.fromkeys(cells.column)]
    mechanisms = [_wrap(m, row_label_width) for m in dict.fromkeys(cells.mechanism)]
    labels = _strength_labels(cells, labels)
    traces = []
    for strength in (*STRENGTH_ORDER, NO_ROWS):
        part = cells[cells.strength == strength]
        colour, symbol, _, _ = STRENGTH_STYLE[strength]
        traces.append({
            "type": "scatter",
            "x": [_wrap(c, label_width) for c in part.column],
            "y": [_wrap(m, row_label_width) for m in part.mechanism],
            "mode": "markers+text",
            "name": labels.get(strength, strength),
            "marker": {"color": colour, "symbol": symbol, "size": 28,
                       "line": {"color": "#333333", "width": 1.5}},
            "text": [str(n) if n else "" for n in part["count"]],
            "textposition": "middle right",
            "textfont": {"size": 15},
            "hovertext": [f"{_text(m)} × {_text(c)}: {labels.get(strength, strength)}, "
                          f"{n} record(s){_level(levels, v)}"
                          for m, c, n, v in zip(part.mechanism, part.column, part["count"],
                                                _confidences(part), strict=True)],
            "hoverinfo": "text",
            "showlegend": not part.empty,
        })
    size = {"width": 330 + 170 * len(columns), "autosize": False} if compact else {}
    figure = _figure(
        traces,
        title or f"Which mechanisms were activated, by {column_title.lower()}",
        300 + 80 * max(len(mechanisms), 1),
        **size,
        margin={"l": 10, "r": 30, "t": 130, "b": 90},
        xaxis={"title": {"text": ""}, "type": "category", "categoryorder": "array",
               "categoryarray": columns, "side": "top", "showgrid": True,
               "gridcolor": "#eeeeee", "tickfont": {"size": 12}, "automargin": True},
        yaxis={"title": {"text": ""}, "type": "category", "categoryorder": "array",
               "categoryarray": list(reversed(mechanisms)), "showgrid": True,
               "gridcolor": "#eeeeee", "automargin": True},
        legend={"title": {"text": "Strength (colour and shape)"}, "orientation": "h",
                "y": -0.02, "yanchor": "top", "x": 0},
    )
    # The note travels with the chart (a downloaded PNG keeps it) and, unlike an annotation
    # under the legend, cannot collide with a legend that wraps on a narrow screen.
    figure["layout"]["title"]["subtitle"] = {
        "text": f"Columns: {_text(column_title)}. The number by each mark counts its "
                "records, leaving out those not reported.",
        "font": {"size": 12, "color": "#333333"}}
    return figure


def _confidences(cells: pd.DataFrame) -> list[object]:
    """Each cell's confidence level (None where ``cells`` has none)."""
    return (list(cells.confidence) if "confidence" in cells.columns
            else [None] * len(cells))


def _level(levels: Mapping[str, str] | None, level: object) -> str:
    """', low confidence' for a hover or a text alternative ('' without one)."""
    if not levels or not isinstance(level, str) or level not in levels:
        return ""
    return f", {levels[level].lower()}"


#: A live room's tie (``rooms.profile.ROOM_TIE``): its own colour, shape and words.
ROOM_TIE = "room_tie"
ROOM_TIE_STYLE = ("#CC79A7", "hourglass", "=", "#000000")
ROOM_TIE_LABEL = "Tie: the room is split"


def _room_labels(room_labels: str | Sequence[str]) -> list[str]:
    return [room_labels] if isinstance(room_labels, str) else list(room_labels)


def room_matrix_figure(cells: pd.DataFrame,
                       room_labels: str | Sequence[str] = "This room") -> Figure:
    """The evidence matrix with live rooms as the last columns, each marked by a shaded band;
    a tie in a room's column is drawn as a tie (its own mark, named in its hover).

    Args:
        cells: ``query.matrix`` rows with the rooms' columns (``rooms.profile.room_cells``)
            last, labelled as ``room_labels`` (one label, or several when an earlier room
            is compared), and a ``tie`` column naming each tie in words.
    """
    labels = _room_labels(room_labels)
    figure = matrix_figure(cells, "Projects and this room",
                           title="The room's answers beside the projects' evidence")
    figure["layout"]["margin"]["t"] = 160  # room for the two-line note above the labels
    shown = {_wrap(label, 14) for label in labels}
    for trace in figure["data"]:  # a room's cell counts participants, not records
        trace["hovertext"] = [
            text.replace(" record(s)", " participant(s), not counting don't know")
            if x in shown else text for x, text in zip(trace["x"], trace["hovertext"],
                                                       strict=True)]
    ties = cells[cells.strength == ROOM_TIE]
    colour, symbol, _, _ = ROOM_TIE_STYLE
    figure["data"].append({
        "type": "scatter", "x": [_wrap(c, 14) for c in ties.column],
        "y": [_wrap(m, 22) for m in ties.mechanism], "mode": "markers+text",
        "name": ROOM_TIE_LABEL,
        "marker": {"color": colour, "symbol": symbol, "size": 28,
                   "line": {"color": "#333333", "width": 1.5}},
        "text": [str(n) if n else "" for n in ties["count"]], "textposition": "middle right",
        "textfont": {"size": 15},
        "hovertext": [f"{_text(m)} × {_text(c)}: {_text(t)}" for m, c, t in
                      zip(ties.mechanism, ties.column, _ties(ties), strict=True)],
        "hoverinfo": "text", "showlegend": not ties.empty,
    })
    columns = list(dict.fromkeys(cells.column))
    figure["layout"]["shapes"] = [{
        "type": "rect", "xref": "x", "yref": "paper", "x0": where - 0.5, "x1": where + 0.5,
        "y0": 0, "y1": 1, "fillcolor": "#CC79A7", "opacity": 0.12, "layer": "below",
        "line": {"width": 0}} for where, column in enumerate(columns) if column in labels]
    last = "Last column" if len(labels) == 1 else f"Last {len(labels)} columns"
    figure["layout"]["title"]["subtitle"]["text"] = (
        f"{last}: {_text(', '.join(labels))}, the level most participants chose for their own "
        "setting<br>(clearly = evident, partly = partial, not yet = not evident, don't know = "
        "not reported; hourglass = a tie, never broken). The number by each mark counts "
        "participants or records, leaving out don't know and not reported.")
    return figure


def _ties(cells: pd.DataFrame) -> list[str]:
    """Each cell's tie in words ('' where the cells have no ``tie`` column)."""
    if "tie" not in cells.columns:
        return [ROOM_TIE_LABEL.lower()] * len(cells)
    return [t if isinstance(t, str) and t else ROOM_TIE_LABEL.lower() for t in cells.tie]


def describe_room_matrix(cells: pd.DataFrame,
                         room_labels: str | Sequence[str] = "This room") -> str:
    """A text alternative to ``room_matrix_figure``: how many projects and rooms, the rule
    for a room's column, then one sentence per mechanism, a tie named as a tie."""
    labels = _room_labels(room_labels)
    projects = cells[~cells.column.isin(labels)].column.nunique()
    names = _strength_labels(cells)
    sentences = []
    for mechanism, part in cells.groupby("mechanism", sort=False):
        by_strength = []
        for strength in (*STRENGTH_ORDER, NO_ROWS):
            chosen = list(part[part.strength == strength].column)
            if chosen:
                by_strength.append(f"{names[strength].lower()}: {', '.join(map(str, chosen))}")
        tied = part[part.strength == ROOM_TIE]
        by_strength += [f"{column}: {words}" for column, words in
                        zip(tied.column, _ties(tied), strict=True)]
        sentences.append(f"{mechanism} — " + "; ".join(by_strength) + ".")
    rooms = "this room" if labels == ["This room"] else (
        f"{len(labels)} rooms ({', '.join(labels)})" if len(labels) > 1 else labels[0])
    return (f"Matrix of {cells.mechanism.nunique()} mechanisms by {projects} "
            f"project{'s' if projects != 1 else ''} and {rooms}. A room's column shows the "
            "level most participants chose; a tie is named as a tie. " + " ".join(sentences))


def describe_matrix(cells: pd.DataFrame, column_title: str = "Projects",
                    labels: Mapping[str, str] | None = None,
                    levels: Mapping[str, str] | None = None) -> str:
    """A text alternative to ``matrix_figure``: one sentence per mechanism."""
    if cells.empty:
        return "No evidence records match the current filters."
    labels = _strength_labels(cells, labels)
    # One pass over the cells in plain Python: a filter per mechanism and strength cost
    # the matrix most of each redraw (every filter tick describes the whole matrix again).
    named: dict[str, dict[object, list[str]]] = {}
    for mechanism, strength, name, level in zip(cells.mechanism, cells.strength, cells.column,
                                                _confidences(cells), strict=True):
        trust = _level(levels, level)
        named.setdefault(str(mechanism), {}).setdefault(strength, []).append(
            f"{name}{trust}".replace(", ", " (", 1) + ")" if trust else str(name))
    sentences = [f"{mechanism} — " + "; ".join(
        f"{labels[strength].lower()}: {', '.join(by_strength[strength])}"
        for strength in (*STRENGTH_ORDER, NO_ROWS) if by_strength.get(strength)) + "."
        for mechanism, by_strength in named.items()]
    n_columns = cells.column.nunique()
    return (f"Matrix of {cells.mechanism.nunique()} mechanisms by {n_columns} "
            f"{column_title.lower()}. " + " ".join(sentences))


NODE_COLOURS = {"context": "#999999", "activity": "#009E73", "mechanism": "#0072B2",
                "outcome": "#CC79A7"}
NODE_TITLES = {"context": "Context", "activity": "Activity", "mechanism": "Mechanism",
               "outcome": "Outcome"}


NODE_COLUMNS = ("context", "activity", "mechanism", "outcome")


def _node_positions(nodes: list[tuple[str, str, str]]) -> tuple[list[float], list[float]]:
    """Each node's place: one column per kind (context, activity, mechanism, outcome) and
    evenly down its column in order of appearance. Left to plotly, a node goes as far right
    as its longest chain, so a mechanism reached through a context and an activity would sit
    beside the outcomes, its label over theirs."""
    kinds = [k for k in NODE_COLUMNS if any(kind == k for kind, _, _ in nodes)]
    kinds += sorted({kind for kind, _, _ in nodes} - set(kinds))
    column = {k: _column_x(i, len(kinds)) for i, k in enumerate(kinds)}
    placed: dict[str, int] = {}
    totals = {k: sum(kind == k for kind, _, _ in nodes) for k in kinds}
    xs, ys = [], []
    for kind, _, _ in nodes:
        placed[kind] = placed.get(kind, 0) + 1
        xs.append(column[kind])
        ys.append((placed[kind] - 0.5) / totals[kind])
    return xs, ys


def _column_x(i: int, columns: int) -> float:
    """Where column ``i`` of ``columns`` stands (0 to 1). The last column's labels sit to the
    left of its nodes and the others' to the right, so the last gap is made the widest: the
    other columns share the left 55%."""
    if columns < 2:
        return 0.001
    if i == columns - 1:
        return 0.999
    return 0.001 + 0.55 * i / max(columns - 2, 1)


def _sankey(nodes: list[tuple[str, str, str]], links: list[tuple[int, int, float, str]],
            labels: dict[str, str], title: str, height: int, note: str = "") -> Figure:
    """A Sankey diagram of ``nodes`` in columns by kind, links coloured by strength, with a
    legend of the strengths it shows (a Sankey has none of its own: one empty marker trace
    per strength makes it)."""
    xs, ys = _node_positions(nodes)
    sankey = {
        "type": "sankey",
        "arrangement": "snap",
        "textfont": {"size": 12, "color": "#1a1a1a"},
        "node": {
            "label": [_short(label) for _, _, label in nodes],
            "customdata": [f"{NODE_TITLES.get(kind, kind)}: {_text(label)}"
                           for kind, _, label in nodes],
            "hovertemplate": "%{customdata}<extra></extra>",
            "color": [NODE_COLOURS.get(kind, "#999999") for kind, _, _ in nodes],
            "x": xs,
            "y": ys,
            "pad": 18,
            "thickness": 14,
        },
        "link": {
            "source": [s for s, _, _, _ in links],
            "target": [t for _, t, _, _ in links],
            "value": [v for _, _, v, _ in links],
            "color": [_fade(STRENGTH_STYLE[strength][0]) for *_, strength in links],
            "customdata": [labels.get(strength, strength) for *_, strength in links],
            "hovertemplate": "%{source.customdata} → %{target.customdata}<br>"
                             "strength: %{customdata}<extra></extra>",
        },
    }
    shown = [s for s in (*STRENGTH_ORDER, NO_ROWS) if any(k == s for *_, k in links)]
    key = [{"type": "scatter", "x": [None], "y": [None], "mode": "markers",
            "name": labels.get(strength, strength), "hoverinfo": "skip", "showlegend": True,
            "marker": {"color": _fade(STRENGTH_STYLE[strength][0]), "symbol": "square",
                       "size": 14}} for strength in shown]
    hidden = {"visible": False, "fixedrange": True}
    figure = _figure([sankey, *key], title, height, xaxis=hidden, yaxis=hidden,
                     showlegend=bool(key),
                     legend={"title": {"text": "Link colour: the rating"}, "orientation": "h",
                             "y": -0.02, "yanchor": "top", "x": 0},
                     margin={"l": 10, "r": 10, "t": 80 if note else 60, "b": 50})
    if note:
        figure["layout"]["title"]["subtitle"] = {"text": _text(note),
                                                 "font": {"size": 12, "color": "#333333"}}
    return figure


NODE_LABEL_LINE = 18
NODE_LABEL_LINES = 3


def _short(label: str) -> str:
    """A node label of at most three short lines, so it does not run over its neighbours.

    Longer labels end in "…"; the full text is on hover and in the text alternative.
    """
    lines = textwrap.wrap(str(label), NODE_LABEL_LINE)
    if len(lines) > NODE_LABEL_LINES:
        lines = lines[:NODE_LABEL_LINES]
        lines[-1] = lines[-1][: NODE_LABEL_LINE - 1].rstrip() + "…"
    return "<br>".join(_text(line) for line in lines) or _text(label)


def _fade(colour: str) -> str:
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},0.55)"


def story_figure(chains: pd.DataFrame, project_name: str) -> Figure:
    """A project's context → activity → mechanism → outcome chain as a Sankey diagram.

    Link colour is the strength of the evidence row that makes the link.
    """
    index: dict[tuple[str, str], int] = {}
    nodes: list[tuple[str, str, str]] = []

    def node(kind: str, node_id: str, label: str) -> int:
        if (kind, node_id) not in index:
            index[(kind, node_id)] = len(nodes)
            nodes.append((kind, node_id, label))
        return index[(kind, node_id)]

    links = [
        (node(r.source_kind, r.source_id, r.source), node(r.target_kind, r.target_id, r.target),
         1.0, r.strength)
        for r in rows(chains)
    ]
    height = max(360, 56 * max(len(nodes), 1))
    return _sankey(nodes, links, _strength_labels(chains), _text(project_name),
                   min(height, 1100),
                   note="What it did, from context to activities, mechanisms and outcomes")


def describe_sankey(chains: pd.DataFrame) -> str:
    """A text alternative to ``story_figure``: each link in words."""
    if chains.empty:
        return "No chain: the sources do not link this project's activities to mechanisms."
    labels = _strength_labels(chains)
    parts = [f"{NODE_TITLES[r.source_kind]} '{r.source}' leads to "
             f"{NODE_TITLES[r.target_kind].lower()} '{r.target}' "
             f"({labels[r.strength].lower()})"
             for r in rows(chains)]
    return f"{len(parts)} links. " + "; ".join(parts) + "."


def flows_figure(links: pd.DataFrame) -> Figure:
    """Across projects: activity types → mechanisms → outcome domains (Sankey)."""
    index: dict[tuple[str, str], int] = {}
    nodes: list[tuple[str, str, str]] = []

    def node(kind: str, label: str) -> int:
        if (kind, label) not in index:
            index[(kind, label)] = len(nodes)
            nodes.append((kind, label, label))
        return index[(kind, label)]

    edges = []
    for row in rows(links):
        if row.stage == ACTIVITY_TO_MECHANISM:
            edges.append((node("activity", row.source), node("mechanism", row.target),
                          float(row.count), row.strength))
        else:
            edges.append((node("mechanism", row.source), node("outcome", row.target),
                          float(row.count), row.strength))
    return _sankey(nodes, edges, _strength_labels(links),
                   "Activity types → enabling mechanisms → outcome domains",
                   max(420, 30 * len(nodes)))


def describe_flows(links: pd.DataFrame) -> str:
    """A text alternative to ``flows_figure``."""
    if links.empty:
        return "No activity is linked to a mechanism with the current filters."
    labels = _strength_labels(links)
    parts = [f"{r.source} → {r.target}: {r.count} ({labels[r.strength].lower()})"
             for r in rows(links)]
    return "; ".join(parts) + "."
