"""One project's story: context → activities → mechanisms → outcomes, with its sources."""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import pandas as pd
from markupsafe import Markup

from .. import figures, html, query
from ..export import source_rows
from ..load import Dataset
from ..query import rows
from .frame import Page, guarded, html_widget
from .overview import discrepancy_items

__all__ = ["StoryPage", "details_html", "summary_html"]


class StoryPage(Page):
    """Pick a project; follow its story from context to outcomes."""

    name = "story"

    def build(self) -> None:
        options = query.facet_options(self.ds, "project")
        self.project = w.Dropdown(options=[(label, key) for key, label in options.items()],
                                  value=self.state.get("project", next(iter(options))),
                                  description="Project", style={"description_width": "initial"},
                                  layout=w.Layout(width="auto", max_width="100%"))
        self.project.add_class("ctg-project")
        self.summary = html_widget()
        chart = self.chart("story", "project-story")
        self.details = html_widget()
        self.project.observe(self._on_change, "value")
        self.body.children = [
            html_widget(html.fragment("header", self.spec.title,
                                      "Pick a project to follow its story from context to "
                                      "outcomes. " + html.BASIS_HELP)),
            self.project, self.summary, chart, self.details,
        ]
        self.render()

    def describe_view(self) -> str:
        return query.facet_options(self.ds, "project")[self.project.value]

    @guarded
    def _on_change(self, change: object = None) -> None:
        self.state = self.state.with_values(project=self.project.value)
        self.render()

    def render(self) -> None:
        story = query.project_story(self.ds, self.project.value)
        self.draw("story",
                  figures.story_figure(story.chains, str(story.project["short_name"]))
                  if story.is_identified and not story.chains.empty else None,
                  figures.describe_sankey(story.chains))
        with self.widget.hold_sync():
            self.summary.value = str(summary_html(self.ds, story, self.programme.text(
                "unidentified_note")))
            self.details.value = (str(details_html(self.ds, story,
                                                   self.programme.text("ratings_note")))
                                  if story.is_identified else "")
        self.sync()


def _format_value(value: float, unit: object) -> str:
    unit = str(unit)
    if unit == "percent":
        return f"{value:g}%"
    if unit == "GBP":
        return f"£{value:,.0f}"
    return f"{value:g} {unit}"


def summary_html(ds: Dataset, story: query.ProjectStory, unidentified_note: str) -> Markup:
    """The project's identity: title, lead, partners, dates, grant, membership, sources."""
    p = story.project
    grant = None
    if not pd.isna(p["grant_gbp"]):
        grant = Markup("{} <span class='ctg-help'>({})</span>").format(
            f"£{p['grant_gbp']:,.0f}", p["grant_note"])
    elif isinstance(p["grant_note"], str):
        grant = Markup("{} <span class='ctg-help'>({})</span>").format(
            html.fragment("not_found"), p["grant_note"])
    start, end = p["start_date"], p["end_date"]
    dates = (None if str(start) == html.NOT_FOUND and str(end) == html.NOT_FOUND
             else f"{start} to {end}")
    facts = [
        ("Title", p["title"]), ("Lead organisation", p["lead_organisation"]),
        ("Partners", p["partners"]), ("Region", p["region"]), ("Setting", p["setting"]),
        ("Population", p["population"]), ("Dates", dates), ("Grant", grant),
        ("Membership", html.term(str(p["membership"]).capitalize(),
                                 query.MEMBERSHIP_HELP.get(str(p["membership"]), ""))
         + Markup(" — ") + p["membership_basis"]),
        ("Relationships targeted", ", ".join(story.relationships) or None),
        ("Sources", html.citations(ds, p["source_ids"])),
    ]
    return html.render("story.html.j2", p=p, facts=facts, identified=story.is_identified,
                       unidentified_note=unidentified_note)


def _later(ds: Dataset) -> dict[str, list[dict[str, Any]]]:
    """Later evidence (after the programme) by the programme-era outcome it bears on."""
    if "later_evidence" not in ds.tables:
        return {}
    by_outcome: dict[str, list[dict[str, Any]]] = {}
    for row in rows(ds.later_evidence):
        item = {"description": row.description, "bearing": row.bearing,
                "published": row.published, "design": query.humanise(row.design),
                "sources": html.citations(ds, row.source_ids)}
        for outcome_id in row.outcome_ids:
            by_outcome.setdefault(outcome_id, []).append(item)
    return by_outcome


def details_html(ds: Dataset, story: query.ProjectStory, ratings_note: str) -> Markup:
    """Everything below the chart: contexts, activities, ratings, outcomes, sources."""
    cite = lambda cited: html.citations(ds, cited)  # noqa: E731
    contexts = pd.DataFrame({
        "Dimension": [html.term(query.humanise(d), query.CONTEXT_HELP.get(str(d), ""))
                      for d in story.contexts.dimension],
        "Context": story.contexts.description,
        "Basis": [html.term(str(b), query.BASIS_TERMS[str(b)]) for b in story.contexts.basis],
        "Sources": [cite(c) for c in story.contexts.source_ids]})
    activities = pd.DataFrame({
        "Type": [query.humanise(t) for t in story.activities.activity_type],
        "Activity": story.activities.description,
        "Sources": [cite(c) for c in story.activities.source_ids]})
    mechanisms = query.facet_options(ds, "mechanism")
    definitions = dict(zip(ds.mechanisms.mechanism_id, ds.mechanisms.definition, strict=True))
    contested = query.contested_evidence(ds)
    evidence = pd.DataFrame({
        "Mechanism": [html.term(mechanisms[m], definitions[m])
                      for m in story.evidence.mechanism_id],
        "Strength": [html.fragment("badge", str(s))
                     + (Markup(' <span class="ctg-contested">contested</span>')
                        if e in contested else "")
                     for s, e in zip(story.evidence.strength, story.evidence.evidence_id,
                                     strict=True)],
        "Why this rating": story.evidence.explanation.fillna(""),
        "Sources": [cite(c) for c in story.evidence.source_ids]})
    later = _later(ds)

    def outcome(row: Any) -> dict[str, Any]:
        return {"value": _format_value(row.value, row.unit) if not pd.isna(row.value) else "",
                "description": row.description, "actor": query.humanise(row.actor),
                "direction": query.humanise(str(row.direction)), "period": row.period,
                "sources": cite(row.source_ids), "later": later.get(row.outcome_id, [])}

    outcomes = story.outcomes
    be = story.barriers_enablers
    barriers = pd.DataFrame({
        "Kind": [str(k).capitalize() for k in be.kind],
        "Description": be.description,
        "Concerns": [_concerns(ds, r) for r in rows(be)],
        "Sources": [cite(c) for c in be.source_ids]})
    follow = pd.DataFrame({"What happened": story.follow_on.description,
                           "When": story.follow_on.period,
                           "Sources": [cite(c) for c in story.follow_on.source_ids]})
    return html.render(
        "story_details.html.j2",
        contexts=html.table(contexts, "Context factors"),
        activities=html.table(activities, "What the project did"),
        legend=html.fragment("legend", ratings_note),
        evidence=html.table(evidence, "Mechanism ratings"),
        numbers=[outcome(r) for r in rows(outcomes[outcomes.kind == "quantitative"])],
        words=[outcome(r) for r in rows(outcomes[outcomes.kind == "qualitative"])],
        barriers=html.table(barriers, "Barriers and enablers"),
        follow_on=html.table(follow, "Follow-on"),
        discrepancies=discrepancy_items(ds, story.discrepancies),
        sources=source_rows(ds, set(story.sources.source_id)),
    )


def _concerns(ds: Dataset, row: Any) -> str:
    parts = []
    if isinstance(row.foundation_id, str):
        parts.append(query.humanise(row.foundation_id))
    if isinstance(row.mechanism_id, str):
        parts.append(query.facet_options(ds, "mechanism")[row.mechanism_id])
    if isinstance(row.context_id, str):
        parts.append(f"context {row.context_id}")
    return ", ".join(parts) or str(row.category)
