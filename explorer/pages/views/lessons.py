"""Lessons and self-assessment: a room sets its own project beside the evaluation's lessons.

The exercise (``explorer.evidence.lessons``) asks four questions built from the package: which
relationships the project targets, which mechanisms it intends to activate and how, which
foundations are in place, and which recommendations it follows. The answers are compared
with the identified projects (``lessons.nearest_projects``) and the nearest project's
evidence is shown beside them, rating by rating, with links to its story and its matrix
cells.

Nothing is stored on the server. The form sends its value to the kernel, which turns it into
a query string (``form_query``) and reads it back with the page's parameters: the answers
are checked exactly as a shared link is, live in the page address, and leave only as
downloads (one HTML page, or CSV) built when the reader asks for them. The static site
prints the questions as a worksheet.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

import pandas as pd
from markupsafe import Markup

from ...data.descriptor.facets import MECHANISM, RELATIONSHIP_TYPE
from ...data.load import Dataset
from ...evidence import lessons, query
from ...evidence.lessons import FOUNDATION_LEVELS, Answers
from ...evidence.programme import Programme
from ...evidence.query import facet_options, rows
from ...render import html
from ...render.blocks import Block, Content, Download, Form, Html, Links
from ..parameters import FacetIds, Ids, Parameter, Text, TextFamily
from ..state import ViewState, to_query
from .base import View

__all__ = ["VIEW", "LessonsView", "download_csv", "download_html", "form_query", "form_value",
           "results_html"]

Href = Callable[..., str]
MAX_NEAREST_SHOWN = 3
INTRO = ("A short exercise for a workshop. Answer four questions about your own project; "
         "the page then sets your answers beside the projects the evaluation looked at, and "
         "shows the nearest one and what its evidence says.")
PRIVACY = ("Nothing you type is stored on the server: your answers live only in this page's "
           "address (copy it to share them) and in the downloads below.")
NEAREST_HELP = ("Tick at least one relationship or mechanism in the questions below: the "
                "nearest project and its evidence then appear here.")
CLOSENESS_HELP = ("Projects are ranked by how much of what you name they share: the "
                  "relationships you both target, and the mechanisms you intend that their "
                  "evidence shows activated (rated evident or partial), each against "
                  "everything either of you names.")


def no_links(page: str, **parameters: str) -> str:
    """An ``Href`` that makes no links (for files read away from any server)."""
    return ""


def _strings(value: object) -> list[str]:
    """The strings in a list the browser sent (anything else is left out)."""
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _pairs(value: object) -> dict[str, str]:
    """The string pairs in a mapping the browser sent."""
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


def form_query(value: object) -> str:
    """The query string a form value stands for; ``state.parse_query`` then checks it.

    The browser's value is untrusted: wrong types are left out here, and unknown ids and
    unacceptable texts are dropped (with a note) by ``parse_query``, as for a link.
    """
    value = value if isinstance(value, dict) else {}
    pairs: list[tuple[str, str]] = []
    if isinstance(value.get("name"), str) and value["name"].strip():
        pairs.append(("name", value["name"]))
    for name in ("relationship_type", "mechanism", "recommendation"):
        chosen = [v for v in _strings(value.get(name)) if v and "," not in v]
        if chosen:
            pairs.append((name, ",".join(chosen)))
    foundations = [f"{k}:{v}" for k, v in _pairs(value.get("foundation")).items()
                   if v and "," not in k + v]
    if foundations:
        pairs.append(("foundation", ",".join(foundations)))
    pairs += [(f"how.{k}", v) for k, v in _pairs(value.get("how")).items() if v.strip()]
    return urlencode(pairs)


def form_value(answers: Answers) -> dict[str, Any]:
    """The form's value for ``answers`` (to restore them from a link)."""
    return {"name": answers.name, "relationship_type": list(answers.relationships),
            "mechanism": list(answers.mechanisms), "how": dict(answers.how),
            "foundation": dict(answers.foundations),
            "recommendation": list(answers.recommendations)}


# -- the results, as the page shows them and the download holds them -------------------------

def _names(labels: dict[str, str], ids: tuple[str, ...]) -> str:
    return " and ".join(labels[i] for i in ids) if ids else "none"


def _rating(ds: Dataset, strength: str, rated: int, records: int, href: str,
            title: str) -> Markup:
    return html.fragment("rating_link", {"style": html.strength_styles(ds)[strength],
                                         "count": html.count_text(rated, records),
                                         "href": href, "title": title, "contested": False})


def _nearest_block(ds: Dataset, answers: Answers, row: Any, href: Href) -> dict[str, Any]:
    relationship_labels = facet_options(ds, RELATIONSHIP_TYPE)
    ratings = lessons.project_ratings(ds, row.project_id)
    table = pd.DataFrame({
        "Mechanism": ratings.mechanism,
        "You intend it": ["Yes" if m in answers.mechanisms else lessons.NOT_ANSWERED
                          for m in ratings.mechanism_id],
        "How you plan it": [answers.how.get(m, "") for m in ratings.mechanism_id],
        "Their rating": [
            _rating(ds, r.strength, int(r.count), int(r.rows),
                    href("matrix", cell=f"{r.mechanism_id}:{row.project_id}"),
                    f"{r.mechanism} × {row.project}: {query.strength_label(ds, r.strength)}. "
                    "Choose to read the evidence.")
            for r in rows(ratings)],
        "What their evidence says": [" ".join(e) for e in ratings.explanations],
    })
    why = (f"Relationships you both target: {_names(relationship_labels, row.shared_relationships)}"
           f" (they target {_names(relationship_labels, row.relationships)}). Mechanisms you "
           f"intend that their evidence shows activated: "
           f"{_names(facet_options(ds, MECHANISM), row.shared_mechanisms)}.")
    return {"name": row.project, "story": href("story", project=row.project_id),
            "why": why,
            "ratings": html.table(table, f"{row.project}: its evidence beside your plan")}


def _closeness_table(ds: Dataset, ranked: pd.DataFrame, href: Href) -> Markup:
    relationship_labels = facet_options(ds, RELATIONSHIP_TYPE)
    mechanism_labels = facet_options(ds, MECHANISM)

    def project(row: Any) -> object:
        return html.fragment("link", href("story", project=row.project_id), row.project)

    table = pd.DataFrame({
        "Project": [project(r) for r in rows(ranked)],
        "Relationships in common": [
            f"{len(r.shared_relationships)}: {_names(relationship_labels, r.shared_relationships)}"
            for r in rows(ranked)],
        "Mechanisms in common": [
            f"{len(r.shared_mechanisms)}: {_names(mechanism_labels, r.shared_mechanisms)}"
            for r in rows(ranked)],
    })
    return html.table(table, "Every identified project, the closest first",
                      ["differs" if n else "" for n in ranked.nearest])


def _foundation_items(ds: Dataset, answers: Answers) -> list[dict[str, Any]]:
    """Each answered foundation, and for those not fully in place what projects met."""
    names = dict(zip(ds.projects.project_id, ds.projects.short_name, strict=True))
    be = ds.barriers_enablers
    items = []
    for option in lessons.exercise(ds).foundations:
        level = answers.foundations.get(option.id)
        if level is None:
            continue
        evidence = []
        if level != "in_place":
            for r in rows(be[be.foundation_id.astype("string") == option.id]):
                evidence.append({"kind": str(r.kind).capitalize(), "project": names[r.project_id],
                                 "description": r.description,
                                 "sources": html.citations(ds, r.source_ids)})
        items.append({"label": option.label, "answer": FOUNDATION_LEVELS[level],
                      "definition": option.definition, "evidence": evidence})
    return items


def results_html(ds: Dataset, answers: Answers, href: Href = no_links) -> Markup:
    """The answers, the nearest project(s) and the checklist, as trusted markup.

    ``href`` makes the links to projects and ratings; the default makes none (for the
    download, which has no server to link to).
    """
    programme = Programme.of(ds)
    ranked = lessons.nearest_projects(ds, answers.relationships, answers.mechanisms)
    nearest = ranked[ranked.nearest]
    shown, rest = nearest.iloc[:MAX_NEAREST_SHOWN], nearest.iloc[MAX_NEAREST_SHOWN:]
    recommendations = ds.findings[ds.findings.kind.astype(str) == lessons.RECOMMENDATION]
    recommendations = recommendations.sort_values("display_order")
    done = sum(f in answers.recommendations for f in recommendations.finding_id)
    return html.render(
        "lessons.html.j2", links=href is not no_links, name=answers.name,
        empty=answers.is_empty,
        answers=html.table(lessons.answers_table(ds, answers), "What you answered"),
        nearest=[_nearest_block(ds, answers, r, href) for r in rows(shown)],
        more=", ".join(rest.project), nearest_help=NEAREST_HELP, closeness_help=CLOSENESS_HELP,
        legend=html.legend(ds, programme.text("ratings_note")),
        closeness=_closeness_table(ds, ranked, href),
        foundations_heading=programme.text("foundations_heading"),
        foundations_note=programme.text("foundations_note"),
        foundations=_foundation_items(ds, answers),
        foundations_empty="Say above which foundations are in place to see them here.",
        recommendations=[{"text": r.text, "done": r.finding_id in answers.recommendations,
                          "sources": html.citations(ds, r.source_ids)}
                         for r in rows(recommendations)],
        recommendations_line=(f"You say you do {done} of {len(recommendations)}."),
    )


def download_html(ds: Dataset, answers: Answers, link: str, today: date | None = None) -> str:
    """The exercise as one self-contained HTML page: no scripts, nothing fetched.

    Args:
        link: the page address that reopens these answers (shown as text).
    """
    programme = Programme.of(ds)
    title = f"Lessons for {answers.name}" if answers.name else "Lessons for your project"
    return str(html.render(
        "lessons_download.html.j2", title=title, css=html.inline_stylesheet(),
        programme_title=programme.title, site_title=programme.text("site_title"),
        generated=(today or date.today()).isoformat(), version=ds.version,
        data_as_of=ds.data_as_of, link=link, results=results_html(ds, answers),
    )) + "\n"


def download_csv(ds: Dataset, answers: Answers) -> str:
    """The answers table as CSV, safe to open in a spreadsheet (formulas made inert)."""
    return html.csv_text(lessons.answers_table(ds, answers))


class LessonsView(View):
    """The exercise: answer four questions, see the nearest project's evidence."""

    name = "lessons"

    def parameters(self, ds: Dataset) -> dict[str, Parameter]:
        return {
            "name": Text("project name"),
            "relationship_type": FacetIds("relationship type", facet=RELATIONSHIP_TYPE),
            "mechanism": FacetIds("mechanism", facet=MECHANISM),
            "how": TextFamily("answer", facet=MECHANISM),
            "foundation": Ids("foundation answer", options=lessons.foundation_choices,
                              is_many=True),
            "recommendation": Ids("recommendation", options=lessons.recommendation_options,
                                  is_many=True),
        }

    def describe(self, ds: Dataset, state: ViewState) -> str:
        answers = lessons.answers_from_values(state.values)
        return f"answers for {answers.name}" if answers.name else ""

    def content(self, ds: Dataset, state: ViewState, links: Links) -> Content:
        programme = Programme.of(ds)
        answers = lessons.answers_from_values(state.values)
        questions = lessons.questions(ds)
        worksheet = html.render(
            "static_lessons.html.j2", questions=questions,
            live=links.href("lessons") if links.linked_files else "",
            live_page=links.interactive,
            mechanisms_heading=programme.text("mechanisms_heading"),
            foundations_heading=programme.text("foundations_heading"),
            # Each note beside the question it explains (the live form's questions are the
            # widget's; the page's intro, before any question, carries neither).
            mechanisms_note=programme.text("mechanisms_note"),
            foundations_note=programme.text("foundations_note"))
        blocks: list[Block] = [
            Html("header", html.render("lessons_intro.html.j2", title=self.title, intro=INTRO,
                                       privacy=PRIVACY if links.interactive else "")),
        ]
        form = Form("form", questions, form_value(answers), form_query, worksheet)
        if not links.interactive:
            blocks.append(form)
        else:
            link = "lessons.ipynb" + to_query(state.with_values(present=None, step=None))
            slug = html.slug(answers.name)[:40].strip("-") or "your-project"
            blocks += [
                # The result comes first (a phone reader sees it without scrolling past
                # the questions); the questions follow, then a link back up to it.
                Html("results", results_html(ds, answers, links.href), css="ctg-lessons"),
                Download("html", "Download your answers and the comparison (HTML)",
                         f"lessons-{slug}.html", "text/html",
                         lambda: download_html(ds, answers, link).encode("utf-8")),
                Download("csv", "Download your answers (CSV)", f"lessons-{slug}.csv",
                         "text/csv", lambda: download_csv(ds, answers).encode("utf-8")),
                form,
                Html("to_result", html.fragment("link", "#ctg-nearest-title",
                                                "Back up to your result"), css="ctg-help"),
            ]
        return Content(self.title, tuple(blocks), self.describe(ds, state))


VIEW = LessonsView()
