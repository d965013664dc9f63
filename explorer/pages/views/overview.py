"""The overview: what the evaluation found first, then the evidence at a glance, what is
uncertain, and the details (projects, framework, findings, disagreements)."""

from __future__ import annotations

from collections.abc import Iterable

from ...data.load import Dataset
from ...render import content
from ..state import ViewState
from .base import Block, Content, Download, Html, Links, View, rating_summary

__all__ = ["VIEW", "OverviewView"]

BRIEFING_HELP = ("One self-contained file: the overview, the matrix and every identified "
                 "project with its chart, ratings, outcomes and sources. It opens without a "
                 "server or internet and prints one project per page.")


class OverviewView(View):
    """The programme on one screen, leading with the answer."""

    name = "overview"

    def statement(self, ds: Dataset, state: ViewState) -> str:
        """The programme's evidence in one sentence: projects identified, ratings held."""
        from ...evidence.programme import Programme
        from ...render import html

        identified = int((ds.projects.membership.astype(str) != "unidentified").sum())
        return (f"{Programme.of(ds).title}: {identified} of {len(ds.projects)} projects "
                f"identified; {html.count(len(ds.mechanism_evidence), 'mechanism rating')} "
                f"({rating_summary(ds, ds.mechanism_evidence.strength)}).")

    def shown_ratings(self, ds: Dataset, state: ViewState) -> Iterable[str]:
        """Every rating (the evidence at a glance)."""
        return ds.mechanism_evidence.evidence_id

    def content(self, ds: Dataset, state: ViewState, links: Links) -> Content:
        from ...app.briefings import briefing_filename, briefing_html

        blocks: list[Block] = [Html("overview", content.overview_html(ds, links.href,
                                                                      links.kind))]
        if links.kind == "live":
            blocks.append(Download("briefing", "Download the briefing (HTML, for printing)",
                                   briefing_filename(ds), "text/html",
                                   lambda: briefing_html(ds).encode("utf-8"),
                                   help=BRIEFING_HELP))
        return Content(self.title, tuple(blocks))

    def briefing_states(self, ds: Dataset) -> Iterable[dict[str, str]]:
        return ({},)


VIEW = OverviewView()
