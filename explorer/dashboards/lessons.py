"""Lessons and self-assessment: a room sets its own project beside the evaluation's lessons.

The exercise (``explorer.lessons``) asks four questions built from the package: which
relationships the project targets, which mechanisms it intends to activate and how, which
foundations are in place, and which recommendations it follows. The answers are compared
with the identified projects (``lessons.nearest_projects``) and the nearest project's
evidence is shown beside them, rating by rating, with links to its story and its matrix
cells.

Nothing is stored on the server. The form (``LessonsForm``, real labelled form controls)
sends its value to the kernel, which turns it into a query string and reads it back with
``state.parse_query``: the answers are checked exactly as a shared link is, live in the
page address, and leave only as downloads (one HTML page, or CSV) that the kernel builds
on demand and the browser saves.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

import anywidget
import pandas as pd
import traitlets
from markupsafe import Markup

from .. import html, lessons
from ..lessons import FOUNDATION_LEVELS, Answers
from ..load import Dataset
from ..pages import notebook_href
from ..programme import Programme
from ..query import STRENGTHS, facet_options, rows
from ..state import MAX_TEXT_LENGTH, parse_query, to_query
from .frame import Page, guarded, html_widget
from .widgets import _esm

__all__ = ["LessonsForm", "LessonsPage", "download_csv", "download_html", "form_query",
           "form_value", "results_html"]

MAX_NEAREST_SHOWN = 3
INTRO = ("A short exercise for a workshop. Answer four questions about your own project; "
         "the page then sets your answers beside the projects the evaluation looked at, and "
         "shows the nearest one and what its evidence says.")
PRIVACY = ("Nothing you type is stored on the server: your answers live only in this page's "
           "address (copy it to share them) and in the downloads below.")
NEAREST_HELP = ("Tick at least one relationship or mechanism above to find the nearest "
                "project.")
CLOSENESS_HELP = ("Closeness counts what you and a project both name, out of everything "
                  "either of you names: once for relationships, once for mechanisms (a "
                  "project's mechanisms are those its evidence rates evident or partial). It "
                  "runs from 0 (nothing in common) to 2 (the same on both).")


class LessonsForm(anywidget.AnyWidget):
    """The exercise as an HTML form; ``value`` is what the room answered.

    ``questions`` holds ``relationships``, ``mechanisms``, ``foundations`` and
    ``recommendations`` (lists of ``{id, label, definition}``) and ``levels`` (the
    foundation answers, ``[id, label]`` pairs). ``value`` is ``{name, relationship_type,
    mechanism, how, foundation, recommendation}``; the kernel sets it only to restore
    answers, never while the room types.
    """

    _esm = _esm("lessons.js")
    questions = traitlets.Dict().tag(sync=True)
    value = traitlets.Dict().tag(sync=True)
    max_text = traitlets.Int(MAX_TEXT_LENGTH).tag(sync=True)


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


def _rating(strength: str, count: int, href: str, title: str, links: bool) -> Markup:
    if links:
        return html.fragment("rating_link", {"strength": strength, "count": count, "href": href,
                                             "title": title, "contested": False})
    return html.fragment("badge", strength) + (Markup(" ({})").format(count) if count else "")


def _nearest_block(ds: Dataset, answers: Answers, row: Any, links: bool) -> dict[str, Any]:
    relationship_labels = facet_options(ds, "relationship_type")
    ratings = lessons.project_ratings(ds, row.project_id)
    table = pd.DataFrame({
        "Mechanism": ratings.mechanism,
        "You intend it": ["Yes" if m in answers.mechanisms else "No"
                          for m in ratings.mechanism_id],
        "How you plan it": [answers.how.get(m, "") for m in ratings.mechanism_id],
        "Their rating": [
            _rating(r.strength, int(r.count), notebook_href("matrix",
                                                            cell=f"{r.mechanism_id}:"
                                                                 f"{row.project_id}"),
                    f"{r.mechanism} × {row.project}: {STRENGTHS[r.strength][0]}. Choose to "
                    "read the evidence.", links)
            for r in rows(ratings)],
        "What their evidence says": [" ".join(e) for e in ratings.explanations],
    })
    why = (f"Relationships you both target: {_names(relationship_labels, row.shared_relationships)}"
           f" (they target {_names(relationship_labels, row.relationships)}). Mechanisms you "
           f"intend that their evidence shows activated: "
           f"{_names(facet_options(ds, 'mechanism'), row.shared_mechanisms)}. Closeness "
           f"{row.closeness:.2f} of 2.")
    return {"name": row.project, "story": notebook_href("story", project=row.project_id),
            "why": why,
            "ratings": html.table(table, f"{row.project}: its evidence beside your plan")}


def _closeness_table(ds: Dataset, ranked: pd.DataFrame, links: bool) -> Markup:
    relationship_labels = facet_options(ds, "relationship_type")
    mechanism_labels = facet_options(ds, "mechanism")

    def project(row: Any) -> object:
        if not links:
            return row.project
        return Markup('<a href="{}">{}</a>').format(
            notebook_href("story", project=row.project_id), row.project)

    table = pd.DataFrame({
        "Project": [project(r) for r in rows(ranked)],
        "Relationships in common": [
            f"{len(r.shared_relationships)}: {_names(relationship_labels, r.shared_relationships)}"
            for r in rows(ranked)],
        "Mechanisms in common": [
            f"{len(r.shared_mechanisms)}: {_names(mechanism_labels, r.shared_mechanisms)}"
            for r in rows(ranked)],
        "Closeness (0 to 2)": [f"{c:.2f}" for c in ranked.closeness],
    })
    return html.table(table, "Every identified project, closest first",
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


def results_html(ds: Dataset, answers: Answers, links: bool = True) -> Markup:
    """The answers, the nearest project(s) and the checklist, as trusted markup.

    ``links`` off gives the same text without links (for the download, which has no
    server to link to).
    """
    programme = Programme.of(ds)
    ranked = lessons.nearest_projects(ds, answers.relationships, answers.mechanisms)
    nearest = ranked[ranked.nearest]
    shown, rest = nearest.iloc[:MAX_NEAREST_SHOWN], nearest.iloc[MAX_NEAREST_SHOWN:]
    recommendations = ds.findings[ds.findings.kind.astype(str) == lessons.RECOMMENDATION]
    recommendations = recommendations.sort_values("display_order")
    done = sum(f in answers.recommendations for f in recommendations.finding_id)
    return html.render(
        "lessons.html.j2", links=links, name=answers.name,
        answers=html.table(lessons.answers_table(ds, answers), "What you answered"),
        nearest=[_nearest_block(ds, answers, r, links) for r in rows(shown)],
        more=", ".join(rest.project), nearest_help=NEAREST_HELP, closeness_help=CLOSENESS_HELP,
        legend=html.fragment("legend", programme.text("ratings_note")),
        closeness=_closeness_table(ds, ranked, links),
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
        data_as_of=ds.data_as_of, link=link, results=results_html(ds, answers, links=False),
    )) + "\n"


def download_csv(ds: Dataset, answers: Answers) -> str:
    """The answers table as CSV, safe to open in a spreadsheet (formulas made inert)."""
    return html.csv_text(lessons.answers_table(ds, answers))


class LessonsPage(Page):
    """The exercise: answer four questions, see the nearest project's evidence."""

    name = "lessons"

    def build(self) -> None:
        programme = self.programme
        self.answers = lessons.answers_from_values(self.state.values)
        self.form = LessonsForm(questions=lessons.questions(self.ds),
                                value=form_value(self.answers))
        self.form.observe(self._on_change, "value")
        self.results = html_widget("", "ctg-lessons")
        self.downloads = html_widget("", "ctg-download-box")
        lead = [text for text in (programme.text("foundations_note"),
                                  programme.text("mechanisms_note")) if text]
        self.body.children = [
            html_widget(html.fragment("header", self.spec.title, INTRO)
                        + Markup('<p class="ctg-privacy"><b>{}</b></p>').format(PRIVACY)
                        + (Markup('<p class="ctg-framework-note">{}</p>').format(" ".join(lead))
                           if lead else "")),
            self.form, self.downloads, self.results,
        ]
        self.render()

    def describe_view(self) -> str:
        return f"answers for {self.answers.name}" if self.answers.name else ""

    @guarded
    def _on_change(self, change: object = None) -> None:
        checked = parse_query(self.ds, self.name, form_query(self.form.value))
        self.answers = lessons.answers_from_values(checked.values)
        self.state = self.state.with_values(**lessons.answer_values(self.ds, self.answers))
        self.show_message(" ".join(checked.notes))
        self.render()

    def render(self) -> None:
        answers = self.answers
        link = "lessons.ipynb" + to_query(self.state.with_values(present=None, step=None))
        slug = html.slug(answers.name)[:40].strip("-") or "your-project"
        with self.widget.hold_sync():
            self.results.value = str(results_html(self.ds, answers))
            self.downloads.value = str(
                Markup('<p class="ctg-downloads">{} {}</p>').format(
                    html.data_link(download_html(self.ds, answers, link), "text/html",
                                   f"lessons-{slug}.html",
                                   "Download your answers and the comparison (HTML)"),
                    html.data_link(download_csv(self.ds, answers), "text/csv",
                                   f"lessons-{slug}.csv", "Download your answers (CSV)")))
        self.sync()
