"""One project's story: context → activities → mechanisms → outcomes, with its sources."""

from __future__ import annotations

import ipywidgets as w

from .. import figures, html, query
from ..content import details_html, summary_html
from ..export import briefing_filename, project_brief_html
from .frame import Page, guarded, html_widget
from .widgets import FileDownload

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
        self.download = FileDownload(
            self._brief, label="Download this project's brief (HTML, for printing)",
            mimetype="text/html",
            help="One self-contained file: this project's chart, ratings, outcomes, "
                 "disagreements and sources. It opens without a server or internet.")
        self.project.observe(self._on_change, "value")
        self.body.children = [
            html_widget(html.fragment("header", self.spec.title,
                                      "Pick a project to follow its story from context to "
                                      "outcomes. " + html.BASIS_HELP)),
            self.project, self.summary, chart, self.download, self.details,
        ]
        self.render()

    def describe_view(self) -> str:
        return query.facet_options(self.ds, "project")[self.project.value]

    @guarded
    def _on_change(self, change: object = None) -> None:
        self.state = self.state.with_values(project=self.project.value)
        self.render()

    @guarded
    def _brief(self) -> bytes:
        """The chosen project's brief, built only when asked (it carries plotly.js)."""
        return project_brief_html(self.ds, self.project.value).encode("utf-8")

    def render(self) -> None:
        story = query.project_story(self.ds, self.project.value)
        self.draw("story",
                  figures.story_figure(story.chains, str(story.project["short_name"]))
                  if story.is_identified and not story.chains.empty else None,
                  figures.describe_sankey(story.chains))
        with self.widget.hold_sync():
            self.download.filename = briefing_filename(self.ds, self.project.value)
            self.download.layout.display = None if story.is_identified else "none"
            self.summary.value = str(summary_html(self.ds, story, self.programme.text(
                "unidentified_note")))
            self.details.value = (str(details_html(self.ds, story,
                                                   self.programme.text("ratings_note")))
                                  if story.is_identified else "")
        self.sync()
