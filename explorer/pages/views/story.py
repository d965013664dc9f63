"""One project's story: context → activities → mechanisms → outcomes, with its sources."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from markupsafe import Markup

from ...data.descriptor.facets import PROJECT
from ...data.load import Dataset
from ...evidence import query
from ...evidence.programme import Programme
from ...render import content, figures, html
from ...render.blocks import Block, Chart, Choice, Content, Html, Links
from ..parameters import FacetIds, Parameter
from ..state import ViewState
from .base import View, rating_summary

__all__ = ["VIEW", "StoryView", "identified_projects"]

INTRO = "Pick a project to follow its story from context to outcomes. "


def identified_projects(ds: Dataset) -> list[str]:
    """The ids of the projects a source identifies, in the data's order."""
    return [str(p) for p, m in zip(ds.projects.project_id, ds.projects.membership,
                                   strict=True) if str(m) != "unidentified"]


class StoryView(View):
    """Pick a project; follow its story from context to outcomes."""

    name = "story"
    static_parameters = ("project",)

    def parameters(self, ds: Dataset) -> dict[str, Parameter]:
        return {"project": FacetIds("project", facet=PROJECT, is_many=False)}

    def default(self, ds: Dataset, parameter: str) -> str:
        return str(ds.projects.project_id.iloc[0]) if parameter == "project" else ""

    def static_states(self, ds: Dataset) -> Iterable[dict[str, str]]:
        return ({"project": str(p)} for p in ds.projects.project_id)

    def static_file(self, ds: Dataset, parameters: Mapping[str, str]) -> str:
        return f"story-{parameters.get('project') or self.default(ds, 'project')}.html"

    def briefing_states(self, ds: Dataset) -> Iterable[dict[str, str]]:
        return ({"project": p} for p in identified_projects(ds))

    def project(self, ds: Dataset, state: ViewState) -> str:
        """The chosen project (the first one when none is chosen)."""
        return state.get("project") or self.default(ds, "project")

    def describe(self, ds: Dataset, state: ViewState) -> str:
        return query.facet_options(ds, PROJECT)[self.project(ds, state)]

    def statement(self, ds: Dataset, state: ViewState) -> str:
        """How the project's mechanisms are rated, or that it is not identified."""
        story = query.project_story(ds, self.project(ds, state))
        name = story.project["short_name"]
        if not story.is_identified:
            return f"{name} could not be identified from any readable source."
        return (f"{name}: {html.count(len(story.evidence), 'mechanism rating')} "
                f"({rating_summary(ds, story.evidence.strength)}).")

    def shown_ratings(self, ds: Dataset, state: ViewState) -> Iterable[str]:
        """The chosen project's ratings."""
        return query.project_story(ds, self.project(ds, state)).evidence.evidence_id

    def content(self, ds: Dataset, state: ViewState, links: Links) -> Content:
        programme = Programme.of(ds)
        project_id = self.project(ds, state)
        story = query.project_story(ds, project_id)
        name = str(story.project["short_name"])
        briefing = links.whole_programme
        chart = None
        if story.is_identified and not story.chains.empty:
            chart = figures.story_figure(story.chains, name)
        blocks: list[Block] = []
        if not briefing:
            blocks += [
                Html("header", html.fragment("header", self.title, INTRO + html.BASIS_HELP)),
                Choice("project", "project", "Project",
                       tuple(query.facet_options(ds, PROJECT).items()), project_id),
            ]
        blocks += [
            Html("summary", content.summary_html(
                ds, story, programme.text("unidentified_note"),
                anchor=f"project-{project_id}-h" if briefing else "")),
            Chart("story", chart, figures.describe_sankey(story.chains) if chart else "",
                  f"story-{project_id}" if briefing else "project-story"),
        ]
        offer = links.briefing(ds, project_id) if story.is_identified else None
        if offer is not None:
            blocks.append(offer)
        blocks.append(Html("details", content.project_details_html(
            ds, project_id, programme.text("ratings_note"), level=3 if briefing else 2,
            trails=links.trails)
            if story.is_identified else Markup("")))
        return Content(f"{self.title}: {name}", tuple(blocks), name)


VIEW = StoryView()
