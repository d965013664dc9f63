"""The overview: what the evaluation found first, then the evidence at a glance, what is
uncertain, and the details (projects, framework, findings, disagreements).

The content itself is ``explorer.content.overview_html``, shared with the briefing and the
static site; this page adds the button that prepares the whole-programme briefing.
"""

from __future__ import annotations

from .. import content
from ..export import briefing_filename, briefing_html
from ..pages import notebook_href
from .frame import Page, guarded, html_widget
from .widgets import FileDownload

__all__ = ["OverviewPage"]


class OverviewPage(Page):
    """The programme on one screen, leading with the answer."""

    name = "overview"

    def build(self) -> None:
        self.download = FileDownload(
            self._briefing, label="Download the briefing (HTML, for printing)",
            filename=briefing_filename(self.ds), mimetype="text/html",
            help="One self-contained file: the overview, the matrix and every identified "
                 "project with its chart, ratings, outcomes and sources. It opens without a "
                 "server or internet and prints one project per page.")
        self.body.children = [html_widget(content.overview_html(self.ds, notebook_href)),
                              self.download]

    @guarded
    def _briefing(self) -> bytes:
        """The whole-programme briefing, built only when asked (it is several MB)."""
        return briefing_html(self.ds).encode("utf-8")
