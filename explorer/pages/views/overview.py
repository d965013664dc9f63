"""The overview: what the evaluation found first, then the evidence at a glance, what is
uncertain, and the details (projects, framework, findings, disagreements)."""

from __future__ import annotations

from collections.abc import Iterable

from ...data.load import Dataset
from ...evidence.programme import Programme
from ...render import content, html
from ...render.blocks import Block, Content, Html, Links
from ..registry import PAGES
from ..state import ViewState
from .base import View, rating_summary

__all__ = ["VIEW", "OverviewView"]

class OverviewView(View):
    """The programme on one screen, leading with the answer."""

    name = "overview"

    def statement(self, ds: Dataset, state: ViewState) -> str:
        """The programme's evidence in one sentence: projects identified, ratings held."""
        identified = int((ds.projects.membership.astype(str) != "unidentified").sum())
        return (f"{Programme.of(ds).title}: {identified} of {len(ds.projects)} projects "
                f"identified; {html.count(len(ds.mechanism_evidence), 'mechanism rating')} "
                f"({rating_summary(ds, ds.mechanism_evidence.strength)}).")

    def shown_ratings(self, ds: Dataset, state: ViewState) -> Iterable[str]:
        """Every rating (the evidence at a glance)."""
        return ds.mechanism_evidence.evidence_id

    def content(self, ds: Dataset, state: ViewState, links: Links) -> Content:
        pages = tuple({"href": links.href(spec.name), "title": spec.title,
                       "purpose": spec.purpose} for spec in PAGES.values()
                      if spec.name not in ("index", "overview")
                      and links.holds_page(spec.live)
                      ) if not links.printed else ()
        blocks: list[Block] = [Html("overview", content.overview_html(
            ds, links.href, links.whole_programme, pages))]
        offer = links.briefing(ds)
        if offer is not None:
            blocks.append(offer)
        return Content(self.title, tuple(blocks))

    def briefing_states(self, ds: Dataset) -> Iterable[dict[str, str]]:
        return ({},)


VIEW = OverviewView()
