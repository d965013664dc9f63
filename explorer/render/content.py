"""The content of the pages that read the same everywhere: overview and project story.

The live dashboards, the briefings (``explorer.app.briefings``) and the static site
(``explorer.app.site``) show the same overview and the same project stories; only where their
links point differs. So each builder here takes the data and an ``Href``: a function from a
page name and its URL parameters to an address (``explorer.pages.registry.notebook_href`` for the
dashboards, a file of the static site, an anchor inside a briefing). The result is trusted
markup rendered from the autoescaped templates.

This module is upstream of the dashboards: it imports no widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from markupsafe import Markup

from ..data.derived import derived
from ..data.descriptor.facets import MECHANISM, PROJECT, RELATIONSHIP_TYPE, SETTING_TYPE
from ..data.load import Dataset
from ..evidence import appraisal, query
from ..evidence.programme import Programme
from ..evidence.query import rows
from ..evidence.query.agreement import agreement_figures
from . import html, trail

__all__ = [
    "FINDING_GROUPS",
    "FINDING_KIND_TITLES",
    "FLOW_STAGES",
    "GLANCE_MAX_PROJECTS",
    "Href",
    "all_finding_groups",
    "cerqual_html",
    "cited",
    "details_html",
    "discrepancy_items",
    "finding_groups",
    "flow_tables",
    "glance_columns",
    "overview_context",
    "overview_html",
    "project_details_html",
    "same_activity_table",
    "source_rows",
    "stage_table",
    "summary_html",
    "uncertainties",
]

Href = Callable[..., str]
"""``href(page_name, **parameters) -> address`` (e.g. ``explorer.pages.registry.notebook_href``)."""

# Beyond this many projects the glance table groups projects by setting instead.
GLANCE_MAX_PROJECTS = 12
FINDING_GROUPS = (("finding", "Findings", "ul"), ("recommendation", "Recommendations", "ol"),
                  ("warning", "Warnings", "ul"), ("tension", "Tensions", "ul"))


CERQUAL_INTRO = (
    "GRADE-CERQual (Lewin and others, 2018) reports each finding in two ways: a Summary of "
    "Qualitative Findings table, one line per finding with its confidence, the reason and the "
    "sources behind it; and an Evidence Profile per finding, with each component's concern "
    "and explanation. Here a finding is a rated cell of the matrix; the confidence is the "
    "codebook's rule adapted from GRADE-CERQual.")


def cerqual_html(ds: Dataset, columns: str = PROJECT, cell: tuple[str, str] | None = None,
                 open_: bool = True) -> Markup:
    """The Summary of Qualitative Findings and the Evidence Profile of every rated cell
    (``explorer.profiles``), as printed in briefings; ``cell`` (mechanism id, column id):
    that cell's Evidence Profile alone, as in a handout of the cell. Markup from the
    autoescaped templates."""
    from ..evidence import profiles

    every = profiles.evidence_profiles(ds, columns)
    levels = appraisal.terms(ds, "confidence")
    summary = Markup("")
    if cell is None:
        frame = profiles.summary_of_findings(ds, columns)
        summary = html.table(pd.DataFrame({
            "#": frame.finding_number, "Summarised finding": frame.finding,
            "Confidence": [html.confidence_badge(ds, v) for v in frame.level],
            "Explanation": frame.level_explanation,
            "Sources contributing": frame.contributing_sources}),
            "Summary of Qualitative Findings")
    else:
        every = every[(every.mechanism_id == cell[0]) & (every.column_id == cell[1])]
    cards = []
    for _, part in every.groupby(["mechanism_id", "column_id"], sort=False):
        first = part.iloc[0]
        many = part.evidence_id.nunique() > 1
        records = []
        for number, (_, record) in enumerate(part.groupby("evidence_id", sort=False), 1):
            head = record.iloc[0]
            records.append({
                "heading": (f"Rating {number} of {part.evidence_id.nunique()} "
                            f"({head.project}, {query.strength_label(ds, head.strength).lower()})"
                            if many else ""),
                "explanation": head.rating_explanation,
                "table": html.table(pd.DataFrame({
                    "Component": record.component_label, "Concern": record.concern_label,
                    "Explanation": record.explanation}), ""),
                "level": levels[head.level][0], "why": head.level_explanation,
                "sources": f"{head.contributing_sources} ({head.citations})"})
        cards.append({"title": f"{first.mechanism} × {first.column}",
                      "finding": first.finding, "records": records})
    if cell is not None and not cards:
        return Markup("")
    heading = ("Evidence Profile" if cell is not None
               else "GRADE-CERQual's outputs: the Summary of Qualitative Findings and the "
                    "Evidence Profiles")
    return html.render("cerqual.html.j2", heading=heading, intro=CERQUAL_INTRO,
                       confidence_note=Programme.of(ds).text("confidence_note"),
                       summary=summary, profiles=cards, open=open_)


def source_rows(ds: Dataset, cited_ids: set[str],
                show_url: bool = False) -> list[dict[str, object]]:
    """The cited sources, in the order of ``sources.csv``, ready for ``sources_list``."""
    frame = ds.sources[ds.sources.source_id.isin(cited_ids)]
    supplied = (frame.title_supplied if "title_supplied" in frame.columns
                else pd.Series(False, index=frame.index))
    return [{"source_id": r.source_id, "title": r.title, "url": r.url,
             "publisher": r.publisher,
             "published": r.published if isinstance(r.published, str) else "",
             "title_supplied": bool(s) if not pd.isna(s) else False, "show_url": show_url}
            for r, s in zip(frame.itertuples(index=False), supplied, strict=True)]


def cited(ds: Dataset, frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows with ``text`` and ``source_ids`` as ``{text, sources}`` for the ``cited_list``
    fragment."""
    return [{"text": row.text, "sources": html.citations(ds, row.source_ids)}
            for row in rows(frame)]


def discrepancy_items(ds: Dataset, frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Discrepancy rows ready for the ``discrepancies`` fragment."""
    return [{"topic": r.topic, "description": r.description, "handling": r.handling,
             "sources": html.citations(ds, r.source_ids)} for r in rows(frame)]


def glance_columns(ds: Dataset) -> str:
    """What the glance table's columns are: projects, or settings when there are many."""
    return PROJECT if len(ds.projects) <= GLANCE_MAX_PROJECTS else SETTING_TYPE


def overview_context(ds: Dataset, href: Href, whole_programme: bool = False,
                     pages: tuple[dict[str, str], ...] = ()) -> dict[str, Any]:
    """Everything the overview shows, as template context (links made by ``href``).

    Args:
        whole_programme: the output holds the whole programme in sections (a briefing),
            with sections of its own for findings and disagreements.
        pages: the other pages to list (``href``, ``title``, ``purpose``), chosen by the
            page that shows the overview.
    """
    programme = Programme.of(ds)
    findings = ds.findings.sort_values("display_order")
    columns = glance_columns(ds)
    cells = query.matrix(ds, columns)
    glance = html.rating_table(
        ds, cells, "Strongest rating per mechanism and "
        + query.facet_title(ds, columns).lower(), "Mechanism",
        lambda m, c: href("matrix", columns=columns if columns != PROJECT else "",
                          cell=f"{m}:{c}"),
        query.contested_evidence(ds), definitions=html.mechanism_definitions(ds))
    relationships = query.facet_options(ds, RELATIONSHIP_TYPE)
    targeted = ds.project_relationships.groupby("project_id", observed=True)[
        "relationship_type_id"].agg(list)
    projects = []
    for p in ds.projects.itertuples(index=False):
        membership = str(p.membership)
        rels = ", ".join(relationships[r] for r in targeted.get(p.project_id, []))
        projects.append({
            "project_id": p.project_id, "short_name": p.short_name, "membership": membership,
            "membership_term": html.term(*query.term(ds, "projects", "membership",
                                                     membership)),
            "lead": p.lead_organisation, "setting": p.setting, "region": p.region,
            "relationships": rels or None, "membership_basis": p.membership_basis,
            "story": (href("story", project=p.project_id)
                      if membership != "unidentified" else ""),
        })
    counts = ds.projects.membership.astype(str).value_counts()
    return {
        "programme": programme, "version": ds.version, "data_as_of": ds.data_as_of,
        "headlines": cited(ds, findings[findings.kind == "headline"]),
        "glance": glance,
        "glance_help": ("Rows are the evaluation's enabling mechanisms; columns are the "
                        + query.column_kinds(ds)[columns].lower() + ". Each mark is the strongest "
                        "rating of the evidence records behind it (colour, symbol and word)."),
        "legend": html.legend(ds, programme.text("ratings_note")),
        "uncertain": uncertainties(ds),
        "statistics": html.analysts_fold(ds),
        "projects": projects,
        "membership_line": (f"{int(counts.get('confirmed', 0))} confirmed, "
                            f"{int(counts.get('probable', 0))} probable, "
                            f"{int(counts.get('unidentified', 0))} not identified. "
                            + programme.text("unidentified_note")),
        "foundations": list(ds.foundations.sort_values("display_order").itertuples()),
        "mechanisms": list(ds.mechanisms.sort_values("display_order").itertuples()),
        "relationships": list(ds.relationship_types.sort_values("display_order").itertuples()),
        "findings": finding_groups(ds) if not whole_programme else [],
        "discrepancies": (discrepancy_items(ds, ds.discrepancies) if not whole_programme
                          else []),
        "pages": list(pages),
    }


def finding_groups(ds: Dataset, groups: tuple[tuple[str, str, str], ...] = FINDING_GROUPS
                   ) -> list[dict[str, Any]]:
    """Findings by kind, in display order: ``{title, tag, items}`` per kind present."""
    findings = ds.findings.sort_values("display_order")
    return [{"title": title, "tag": tag, "items": cited(ds, findings[findings.kind == kind])}
            for kind, title, tag in groups if (findings.kind == kind).any()]


# Headings for every kind of finding the codebook knows; a kind not listed is humanised.
FINDING_KIND_TITLES = {
    "headline": "Headlines", "finding": "Findings", "recommendation": "Recommendations",
    "warning": "Warnings", "tension": "Tensions", "question": "The evaluation's questions",
    "context": "Context", "conclusion": "Conclusions", "further_reading": "Further reading",
}


def all_finding_groups(ds: Dataset, exclude: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Every kind of finding the data holds, in the vocabulary's order (ordered lists for
    recommendations), leaving out the kinds in ``exclude``."""
    column = ds.findings.kind
    kinds = ([str(k) for k in column.cat.categories]
             if isinstance(column.dtype, pd.CategoricalDtype)
             else list(dict.fromkeys(column.astype(str))))
    groups = tuple((kind, FINDING_KIND_TITLES.get(kind, query.humanise(kind)),
                    "ol" if kind == "recommendation" else "ul")
                   for kind in kinds if kind not in exclude)
    return finding_groups(ds, groups)


def overview_html(ds: Dataset, href: Href, whole_programme: bool = False,
                  pages: tuple[dict[str, str], ...] = ()) -> Markup:
    """The whole overview as trusted markup (links made by ``href``)."""
    return html.render("overview.html.j2", **overview_context(ds, href, whole_programme, pages))


def uncertainties(ds: Dataset) -> list[str]:
    """What a reader should not take as settled, in plain sentences, counted from the data."""
    programme = Programme.of(ds)
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
    agreement = query.coding_agreement(ds)
    if agreement is not None:
        items.append(
            f"Every mechanism rating was coded {len(agreement.coders)} times. "
            f"{programme.text('codings_note')} The consistency of that coding: "
            f"{agreement_figures(ds)}. "
            f"{html.count(agreement.contested, 'rating')} "
            f"{'was' if agreement.contested == 1 else 'were'} contested and reconciled; they are "
            "marked \"contested\".")
    counts = appraisal.confidence_counts(ds, glance_columns(ds))
    levels = appraisal.terms(ds, "confidence")
    rated = int(counts.records.sum())
    if rated:
        by_level = ", ".join(f"{int(counts.records[level])} {levels[level][0].lower()}"
                             for level in counts.index)
        cells = ", ".join(f"{int(counts.cells[level])} {levels[level][0].lower()}"
                          for level in counts.index)
        items.append(f"How far to trust each rating is computed by the codebook's rule, "
                     f"adapted from GRADE-CERQual (who wrote the accounts behind it and "
                     f"whether any states a method, how many separate accounts report the change, "
                     f"whether sources agree, whether the evidence belongs to the "
                     f"programme): of {html.count(rated, 'rating')} with a level, "
                     f"{by_level}. In the evidence at a glance: {cells}. "
                     + programme.text("confidence_note"))
    not_reported = int((ds.mechanism_evidence.strength.astype(str) == "not_reported").sum())
    if not_reported:
        items.append(f"{html.count(not_reported, 'rating')} "
                     f"{'is' if not_reported == 1 else 'are'} not reported: the sources we "
                     "read say nothing either way, which is a gap in the record, not evidence "
                     "that nothing changed; they have no confidence level.")
    if len(ds.discrepancies):
        items.append(f"Sources disagree in {html.count(len(ds.discrepancies), 'place')}; "
                     "see 'Where sources disagree' below.")
    return items


# -- across projects ------------------------------------------------------------------------

FLOW_STAGES = (
    (query.ACTIVITY_TO_MECHANISM, "Activity type", "Mechanism",
     "Left half of the diagram: activity types to the mechanisms they activated"),
    (query.MECHANISM_TO_OUTCOME, "Mechanism", "Outcome domain",
     "Right half of the diagram: mechanisms to the outcome domains that show them"),
)


def stage_table(links: pd.DataFrame, stage: str, source: str, target: str) -> pd.DataFrame:
    """One stage of the flows diagram as a reader table (one stage per table, never mixed)."""
    part = links[links.stage == stage].sort_values(["source", "target"], kind="stable")
    return pd.DataFrame({source: part.source, target: part.target,
                         "Strength": part.strength_label,
                         "Records": part["count"]})


def flow_tables(links: pd.DataFrame) -> Markup:
    """Both stages of the flows diagram as tables."""
    return Markup("").join(html.table(stage_table(links, stage, source, target), caption)
                           for stage, source, target, caption in FLOW_STAGES)


NO_LINKED_CONTEXT = query.NO_CONTEXT


def same_activity_table(same: pd.DataFrame) -> Markup:
    """``query.same_activity_different_mechanisms`` as a table; rows that differ marked."""
    if same.empty:
        return Markup("")
    table = pd.DataFrame({
        "Activity type": same.activity_type, "Project": same.project,
        "What they did": same.activities,
        "Context": [c or NO_LINKED_CONTEXT for c in same.contexts],
        "Mechanisms activated": [", ".join(m) or "none reported" for m in same.mechanisms]})
    return html.table(table, "Shared activity types",
                      ["differs" if d else "" for d in same.differs])


# -- one project's story -------------------------------------------------------------------

def _format_value(value: float, unit: object) -> str:
    unit = str(unit)
    if unit == "percent":
        return f"{value:g}%"
    if unit == "GBP":
        return f"£{value:,.0f}"
    return f"{value:g} {unit}"


def summary_html(ds: Dataset, story: query.ProjectStory, unidentified_note: str,
                 level: int = 2, anchor: str = "") -> Markup:
    """The project's identity: title, lead, partners, dates, grant, membership, sources.

    Args:
        level: the heading level of the project's name (its sections are one below).
        anchor: an ``id`` for the project's heading (briefings link to it).
    """
    p = story.project
    grant = None
    if not pd.isna(p["grant_gbp"]):
        grant = html.fragment("with_note", f"£{p['grant_gbp']:,.0f}", p["grant_note"])
    elif isinstance(p["grant_note"], str):
        grant = html.fragment("with_note", html.fragment("not_found"), p["grant_note"])
    start, end = p["start_date"], p["end_date"]
    dates = (None if str(start) == html.NOT_FOUND and str(end) == html.NOT_FOUND
             else f"{start} to {end}")
    facts = [
        ("Title", p["title"]), ("Lead organisation", p["lead_organisation"]),
        ("Partners", p["partners"]), ("Region", p["region"]), ("Setting", p["setting"]),
        ("Population", p["population"]), ("Dates", dates), ("Grant", grant),
        ("Membership", html.fragment(
            "with_reason", html.term(*query.term(ds, "projects", "membership",
                                                  p["membership"])), p["membership_basis"])),
        ("Relationships targeted", ", ".join(story.relationships) or None),
        ("Sources", html.citations(ds, p["source_ids"])),
    ]
    return html.render("story.html.j2", p=p, facts=facts, identified=story.is_identified,
                       unidentified_note=unidentified_note, level=level, anchor=anchor)


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


@derived(maxsize=16)
def project_details_html(ds: Dataset, project_id: str, ratings_note: str, level: int = 2,
                         trails: str = "folded") -> Markup:
    """``details_html`` of a project's story, once per dataset, project and form: it depends
    on nothing else, and a story page that changes project (or comes back to one) used to
    rebuild it, every rating's trail included, on each redraw."""
    return details_html(ds, query.project_story(ds, project_id), ratings_note, level, trails)


def details_html(ds: Dataset, story: query.ProjectStory, ratings_note: str,
                 level: int = 2, trails: str = "folded") -> Markup:
    """Everything below the chart: contexts, activities, ratings, outcomes, sources.

    Args:
        level: the heading level of its sections.
        trails: each rating's audit trail ``folded`` (on screen), ``open`` (a handout) or
            ``none`` (a briefing: the ratings table then says, beside each confidence, what
            lowers it most).
    """
    cite = lambda cited_ids: html.citations(ds, cited_ids)  # noqa: E731
    contexts = pd.DataFrame({
        "Dimension": [html.term(*query.term(ds, "contexts", "dimension", d))
                      for d in story.contexts.dimension],
        "Context": story.contexts.description,
        "Basis": [html.basis_term(ds, "contexts", b) for b in story.contexts.basis],
        "Sources": [cite(c) for c in story.contexts.source_ids]})
    activities = pd.DataFrame({
        "Type": [query.humanise(t) for t in story.activities.activity_type],
        "Activity": story.activities.description,
        "Sources": [cite(c) for c in story.activities.source_ids]})
    mechanisms = query.facet_options(ds, MECHANISM)
    definitions = html.mechanism_definitions(ds)
    contested = query.contested_evidence(ds)
    found = query.confidence.appraisals(ds)
    evidence = pd.DataFrame({
        "Mechanism": [html.term(mechanisms[m], definitions[m])
                      for m in story.evidence.mechanism_id],
        "Strength": [html.badge(ds, s) + (html.fragment("contested") if e in contested
                                          else "")
                     for s, e in zip(story.evidence.strength, story.evidence.evidence_id,
                                     strict=True)],
        "Confidence": [html.confidence_badge(ds, c.level)
                       + (html.fragment("weakest", trail.weakest(ds, c)) if trails == "none"
                          else "")
                       if (c := found[e]) is not None
                       else html.fragment("no_level") for e in story.evidence.evidence_id],
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
        "Concerns": [_concerns(ds, r) for r in be.itertuples(index=False)],
        "Sources": [cite(c) for c in be.source_ids]})
    follow = pd.DataFrame({"What happened": story.follow_on.description,
                           "When": story.follow_on.period,
                           "Sources": [cite(c) for c in story.follow_on.source_ids]})
    return html.render(
        "story_details.html.j2",
        level=level,
        contexts=html.table(contexts, "Context factors"),
        activities=html.table(activities, "What the project did"),
        legend=html.legend(ds, ratings_note),
        evidence=html.table(evidence, "Mechanism ratings") + html.confidence_note(ds)
        + (trail.record_trails(ds, story.evidence.evidence_id, open_=trails == "open")
           if trails != "none" else Markup("")),
        numbers=[outcome(r) for r in outcomes[outcomes.kind == "quantitative"].itertuples()],
        words=[outcome(r) for r in outcomes[outcomes.kind == "qualitative"].itertuples()],
        barriers=html.table(barriers, "Barriers and enablers"),
        follow_on=html.table(follow, "Follow-on"),
        discrepancies=discrepancy_items(ds, story.discrepancies),
        sources=source_rows(ds, set(story.sources.source_id)),
    )


def _concerns(ds: Dataset, row: Any) -> str:
    """What a barrier or enabler bears on, in words: a foundation's or mechanism's name, or
    the context factor it describes (its description, never its id)."""
    parts = []
    if isinstance(row.foundation_id, str):
        foundations = dict(zip(ds.foundations.foundation_id, ds.foundations.label, strict=True))
        parts.append(foundations.get(row.foundation_id, query.humanise(row.foundation_id)))
    if isinstance(row.mechanism_id, str):
        parts.append(query.facet_options(ds, MECHANISM)[row.mechanism_id])
    if isinstance(row.context_id, str):
        contexts = dict(zip(ds.contexts.context_id, ds.contexts.description, strict=True))
        parts.append(f"the context: {contexts[row.context_id]}")
    return "; ".join(parts) or query.humanise(str(row.category))
