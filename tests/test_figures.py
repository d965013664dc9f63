"""Specifications of explorer.figures: what each chart says, in words and encodings.

Figures are plotly's JSON form (plain dicts); ``valid`` also runs them through plotly's own
validators, so a figure the browser's plotly.js would reject fails here.
"""

from __future__ import annotations

import plotly.graph_objects as go

from explorer.evidence import query
from explorer.evidence.query import Filters
from explorer.render import figures


def valid(fig: dict) -> dict:
    """``fig`` after plotly has validated it (raises on any property plotly rejects)."""
    go.Figure(fig)
    return fig


def test_matrix_figure_has_a_title_a_legend_and_one_trace_per_strength(mini):
    """The matrix chart has a title, a legend saying colour and shape, and a trace per strength."""
    fig = valid(figures.matrix_figure(query.matrix(mini, "project"), "Projects",
                                      labels=query.strength_labels(mini)))
    assert fig["layout"]["title"]["text"] == "Which mechanisms were activated, by projects"
    assert [t["name"] for t in fig["data"]] == ["Evident", "Partial", "Not evident",
                                                "Not reported", "No records"]
    assert fig["layout"]["legend"]["title"]["text"] == "Strength (colour and shape)"


def test_matrix_figure_encodes_strength_by_colour_and_shape(mini):
    """Each strength has its own colour and its own marker shape, so colour is not needed alone."""
    fig = figures.matrix_figure(query.matrix(mini, "project"), "Projects")
    symbols = {t["name"]: t["marker"]["symbol"] for t in fig["data"]}
    colours = {t["name"]: t["marker"]["color"] for t in fig["data"]}
    assert len(set(symbols.values())) == 5
    assert len(set(colours.values())) == 5


def test_matrix_figure_shows_counts_beside_markers(mini):
    """Each marker has its cell's count of rated records written beside it."""
    fig = figures.matrix_figure(query.matrix(mini, "project"), "Projects")
    partial = next(t for t in fig["data"] if t["name"] == "Partial")
    assert list(partial["text"]) == ["1", "1"]
    assert "Alpha" in partial["x"]


def test_only_strengths_present_appear_in_the_legend(mini):
    """The legend lists only the strengths that occur in the filtered matrix."""
    cells = query.matrix(mini, "project", Filters(strength=("evident",)))
    fig = figures.matrix_figure(cells, "Projects")
    shown = [t["name"] for t in fig["data"] if t["showlegend"]]
    assert shown == ["Evident", "No records"]


def test_describe_matrix_is_a_text_alternative(mini):
    """The matrix has a text alternative: its size, then each mechanism's columns by strength."""
    text = figures.describe_matrix(query.matrix(mini, "project"), "Projects")
    assert text.startswith("Matrix of 2 mechanisms by 3 projects.")
    assert "patient beliefs — evident: Alpha; no records: Beta, Project 3 (not " \
           "identified)." in text


def test_story_figure_is_a_sankey_with_one_node_per_step(mini):
    """A project's story chart is a Sankey with one node per step and one link per chain,
    its nodes in one column per kind (context, activity, mechanism, outcome) and a legend of
    the strengths its links show."""
    chains = query.project_chains(mini, "alpha")
    fig = valid(figures.story_figure(chains, "Alpha"))
    sankey, *key = fig["data"]
    assert sankey["type"] == "sankey"
    labels = [label.replace("<br>", " ") for label in sankey["node"]["label"]]
    assert labels == ["money tight", "course", "patient beliefs", "more", "staff stretched",
                      "professional beliefs"]
    assert len(sankey["link"]["source"]) == len(chains)
    columns = dict(zip(labels, sankey["node"]["x"], strict=True))
    assert (columns["money tight"] < columns["course"] < columns["patient beliefs"]
            == columns["professional beliefs"] < columns["more"])
    assert [t["name"] for t in key] == [query.strength_label(mini, s)
                                        for s in dict.fromkeys(chains.strength)
                                        if s != "not_reported"]
    assert fig["layout"]["showlegend"] is True
    assert fig["layout"]["title"]["text"] == "Alpha"
    assert fig["layout"]["title"]["subtitle"]["text"].endswith(
        "from context to activities, mechanisms and outcomes")


def test_long_node_labels_are_shortened_but_kept_on_hover():
    """Long Sankey labels are wrapped and cut short with "…"; the full text shows on hover."""
    import pandas as pd

    long = ("A very long description of a context factor that would run over the others "
            "and hide the bands between them")
    chains = pd.DataFrame([("context", "c1", long, "mechanism", "m", "Mech", "evident", "e1")],
                          columns=["source_kind", "source_id", "source", "target_kind",
                                   "target_id", "target", "strength", "evidence_id"])
    sankey, *_ = figures.story_figure(chains, "X")["data"]
    lines = sankey["node"]["label"][0].split("<br>")
    assert len(lines) <= figures.NODE_LABEL_LINES and lines[-1].endswith("…")
    assert all(len(line) <= figures.NODE_LABEL_LINE for line in lines)
    assert sankey["node"]["customdata"][0] == f"Context: {long}"


def test_describe_sankey_lists_every_link_in_words(mini):
    """The story chart's text alternative counts the links and says each one in words."""
    text = figures.describe_sankey(query.project_chains(mini, "alpha"))
    assert text.startswith("6 links.")
    assert "Activity 'course' leads to mechanism 'patient beliefs' (evident)" in text


def test_flows_figure_joins_activities_mechanisms_and_outcome_domains(mini):
    """The flows chart joins activity types, mechanisms and outcome domains, counting every link."""
    links = query.activity_mechanism_links(mini)
    sankey, *_ = valid(figures.flows_figure(links))["data"]
    labels = {label.replace("<br>", " ") for label in sankey["node"]["label"]}
    assert labels == {"Staff training", "patient beliefs", "professional beliefs",
                      "Confidence and control"}
    assert sum(sankey["link"]["value"]) == 4


def test_empty_results_are_described_plainly(mini):
    """With nothing to show, the flows and story descriptions say so in a plain sentence."""
    empty = query.activity_mechanism_links(mini, Filters(project=("gamma",)))
    assert figures.describe_flows(empty) == ("No activity is linked to a mechanism with the "
                                             "current filters.")
    assert figures.describe_sankey(query.project_chains(mini, "gamma")).startswith("No chain")


def test_data_text_in_charts_is_escaped_for_plotlys_html_labels(mini):
    """Plotly renders some HTML in labels; planted markup must arrive as entities."""
    import pandas as pd

    planted = '<img src=x onerror="alert(1)">'
    chains = pd.DataFrame([("context", "c1", planted, "mechanism", "m", "Mech", "evident",
                            "e1")],
                          columns=["source_kind", "source_id", "source", "target_kind",
                                   "target_id", "target", "strength", "evidence_id"])
    fig = figures.story_figure(chains, planted)
    sankey, *_ = fig["data"]
    assert "<img" not in sankey["node"]["label"][0] and "&lt;img" in sankey["node"]["label"][0]
    assert "<img" not in sankey["node"]["customdata"][0]
    assert fig["layout"]["title"]["text"].startswith("&lt;img")
    cells = query.matrix(mini, "project").assign(column=planted)
    matrix = figures.matrix_figure(cells, planted)
    assert all("<img" not in x for trace in matrix["data"] for x in trace["x"])
    assert all("<img" not in h for trace in matrix["data"] for h in trace["hovertext"])
    assert "<img" not in matrix["layout"]["title"]["subtitle"]["text"]


def test_a_compact_matrix_has_a_fixed_width_for_its_columns(mini):
    """Two projects side by side sit in a narrow chart, not at the edges of a wide one."""
    cells = query.matrix(mini, "project", Filters(project=("alpha", "beta")))
    layout = valid(figures.matrix_figure(cells, "Projects", compact=True))["layout"]
    assert layout["width"] == 330 + 170 * 2 and layout["autosize"] is False


def test_matrix_labels_wrap_at_the_width_asked_and_keep_words_whole(mini):
    """Column labels break between words at the width asked for; a word longer than the
    width keeps its own line instead of being cut in two."""
    cells = query.matrix(mini, "project")
    long_name = "Staffordshire-haemodialysis services"
    cells = cells.assign(column=cells.column.where(cells.column != cells.column.iloc[0],
                                                   long_name))
    figure = figures.matrix_figure(cells, label_width=8)
    labels = figure["layout"]["xaxis"]["categoryarray"]
    assert "Staffordshire-<br>haemodialysis<br>services" in labels
    assert all(len(line) <= 14 for label in labels for line in label.split("<br>"))


#: What each plotly marker looks like, as the one character a page writes for it.
MARKER_GLYPHS = {"circle": "●", "diamond": "◆", "x": "✕", "circle-open": "○", "line-ew": "–"}


def test_grid_and_chart_draw_each_rating_with_the_same_shape(mini):
    """One mapping, rating → shape, serves both: the grid (and every badge) writes the
    character of the very shape the chart beside it draws as its marker."""
    from explorer.pages.views.matrix import _grid_styles as grid_styles
    from explorer.render.html import strength_styles

    fig = figures.matrix_figure(query.matrix(mini, "project"), "Projects",
                                labels=query.strength_labels(mini))
    marker = {t["name"]: t["marker"]["symbol"] for t in fig["data"]}
    grid = grid_styles(mini)
    badges = strength_styles(mini)
    for strength, (glyph, symbol) in figures.RATING_SHAPES.items():
        label = grid[strength][0]
        assert marker[label] == symbol and MARKER_GLYPHS[symbol] == glyph
        assert grid[strength][1] == glyph == badges[strength]["symbol"]
