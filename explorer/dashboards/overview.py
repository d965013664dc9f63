"""The overview: what the evaluation found first, then the evidence at a glance, what is
uncertain, and the details (projects, framework, findings, disagreements)."""

from __future__ import annotations

import pandas as pd

from .. import html, query
from ..load import Dataset
from ..pages import PAGES, notebook_href
from ..query import rows
from .frame import Page, html_widget

__all__ = ["GLANCE_MAX_PROJECTS", "OverviewPage"]

# Beyond this many projects the glance table groups projects by setting instead.
GLANCE_MAX_PROJECTS = 12
FINDING_GROUPS = (("finding", "Findings", "ul"), ("recommendation", "Recommendations", "ol"),
                  ("warning", "Warnings", "ul"), ("tension", "Tensions", "ul"))


class OverviewPage(Page):
    """The programme on one screen, leading with the answer."""

    name = "overview"

    def build(self) -> None:
        self.body.children = [html_widget(overview_html(self))]


def _cited(ds: Dataset, frame: pd.DataFrame) -> list[dict[str, object]]:
    return [{"text": row.text, "sources": html.citations(ds, row.source_ids)}
            for row in rows(frame)]


def overview_html(page: Page) -> str:
    """The whole overview as trusted markup (the page has no controls)."""
    ds, programme = page.ds, page.programme
    findings = ds.findings.sort_values("display_order")
    columns = "project" if len(ds.projects) <= GLANCE_MAX_PROJECTS else "setting_type"
    cells = query.matrix(ds, columns)
    contested = query.contested_evidence(ds)
    glance = html.rating_table(
        cells, "Strongest rating per mechanism and "
        + query.COLUMN_KINDS[columns].lower()[:-1], "Mechanism",
        lambda m, c: notebook_href("matrix", columns=columns if columns != "project" else "",
                                   cell=f"{m}:{c}"),
        contested)
    relationships = query.facet_options(ds, "relationship_type")
    targeted = ds.project_relationships.groupby("project_id", observed=True)[
        "relationship_type_id"].agg(list)
    projects = []
    for p in rows(ds.projects):
        membership = str(p.membership)
        rels = ", ".join(relationships[r] for r in targeted.get(p.project_id, []))
        projects.append({
            "project_id": p.project_id, "short_name": p.short_name, "membership": membership,
            "membership_term": html.term(membership.capitalize(),
                                         query.MEMBERSHIP_HELP.get(membership, "")),
            "lead": p.lead_organisation, "setting": p.setting, "region": p.region,
            "relationships": rels or None, "membership_basis": p.membership_basis,
            "story": (notebook_href("story", project=p.project_id)
                      if membership != "unidentified" else ""),
        })
    counts = ds.projects.membership.astype(str).value_counts()
    return str(html.render(
        "overview.html.j2",
        programme=programme, version=ds.version, data_as_of=ds.data_as_of,
        headlines=_cited(ds, findings[findings.kind == "headline"]),
        glance=glance,
        glance_help=("Rows are the evaluation's enabling mechanisms; columns are the "
                     + query.COLUMN_KINDS[columns].lower() + ". Each mark is the strongest "
                     "rating of the evidence records behind it (colour, symbol and word)."),
        legend=html.fragment("legend", programme.text("ratings_note")),
        uncertain=uncertainties(page),
        projects=projects,
        membership_line=(f"{int(counts.get('confirmed', 0))} confirmed, "
                         f"{int(counts.get('probable', 0))} probable, "
                         f"{int(counts.get('unidentified', 0))} not identified. "
                         + programme.text("unidentified_note")),
        foundations=list(rows(ds.foundations.sort_values("display_order"))),
        mechanisms=list(rows(ds.mechanisms.sort_values("display_order"))),
        relationships=list(rows(ds.relationship_types.sort_values("display_order"))),
        findings=[{"title": title, "tag": tag, "items": _cited(ds, findings[findings.kind == kind])}
                  for kind, title, tag in FINDING_GROUPS if (findings.kind == kind).any()],
        discrepancies=discrepancy_items(ds, ds.discrepancies),
        pages=[spec for spec in PAGES.values() if spec.name not in ("index", "overview")],
    ))


def discrepancy_items(ds: Dataset, frame: pd.DataFrame) -> list[dict[str, object]]:
    """Discrepancy rows ready for the ``discrepancies`` fragment."""
    return [{"topic": r.topic, "description": r.description, "handling": r.handling,
             "sources": html.citations(ds, r.source_ids)} for r in rows(frame)]


def uncertainties(page: Page) -> list[str]:
    """What a reader should not take as settled, in plain sentences, counted from the data."""
    ds, programme = page.ds, page.programme
    membership = ds.projects.membership.astype(str)
    items = []
    unidentified = int((membership == "unidentified").sum())
    if unidentified:
        items.append(f"{html.count(unidentified, 'project')} of {len(ds.projects)} could not "
                     "be identified from any readable source. "
                     + programme.text("unidentified_note"))
    probable = ds.projects[membership == "probable"]
    if len(probable):
        names = ", ".join(probable.short_name)
        items.append(f"Programme membership is probable, not confirmed, for: {names}.")
    coded = int((ds.mechanism_evidence.basis.astype(str) == "coded").sum())
    items.append(f"{coded} of {len(ds.mechanism_evidence)} mechanism ratings are the curators' "
                 "coding, not a source's own words. " + programme.text("ratings_note"))
    contested = query.contested_evidence(ds)
    agreement = query.coding_agreement(ds)
    if agreement is not None:
        items.append(
            f"Two coders rated every mechanism independently; they agreed on "
            f"{agreement.agreed} of {agreement.total} ({agreement.percent:.0f}%, Cohen's kappa "
            f"{agreement.kappa:.2f}). {html.count(len(contested), 'rating')} "
            f"{'was' if len(contested) == 1 else 'were'} contested and reconciled; they are "
            "marked \"contested\".")
    not_reported = int((ds.mechanism_evidence.strength.astype(str) == "not_reported").sum())
    if not_reported:
        items.append(f"{not_reported} ratings are 'not reported': the readable sources are "
                     "silent, which is a gap in the record, not evidence that nothing changed.")
    if len(ds.discrepancies):
        items.append(f"Sources disagree in {html.count(len(ds.discrepancies), 'place')}; "
                     "see 'Where sources disagree' below.")
    return items
