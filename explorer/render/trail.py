"""The audit trail from a rating to its sources, as a reader follows it.

For each mechanism rating: its strength and confidence; *why this confidence* (each
component of the codebook's rule with its concern and its one-line reason, how they add up,
any curator's override and its reason); the sources it cites, each with its locator and its
appraisal (what kind of document, whose word, which origin it shares, and why); the team's
repeated codings with what each noted; how the rating was settled; and its history across
the releases of the data (what changed, when and why, from ``rating_history``). Built from
the data and ``explorer.query`` alone; rendered by ``templates/trail.html.j2`` wherever a
rating is listed (the matrix's chosen cell, a project's story, the static site, handouts).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from markupsafe import Markup

from ..data.derived import derived
from ..data.descriptor.facets import PROJECT
from ..data.load import Dataset
from ..evidence import query
from ..evidence.programme import Programme
from ..evidence.query import confidence, history
from . import html

__all__ = ["record_trails", "trail", "weakest"]


@derived()
def _sources(ds: Dataset) -> dict[str, dict[str, Any]]:
    """Each source as a trail shows it: title and address, and its appraisal in words."""
    frame = ds.sources
    found = {}
    for row in query.rows(frame):
        found[str(row.source_id)] = {
            "title": row.title, "url": row.url,
            "kind": query.term(ds, "sources", "kind", row.kind)[0],
            "independence": query.term(ds, "sources", "independence", row.independence)[0],
            "why_kind": getattr(row, "kind_explanation", ""),
            "why_independence": getattr(row, "independence_explanation", ""),
            "origin": (origin if isinstance(origin := getattr(row, "origin_explanation", None),
                                            str) else ""),
        }
    return found


@derived()
def _codings(ds: Dataset) -> dict[str, list[dict[str, Any]]]:
    """Every coding of each record, in the table's order."""
    found: dict[str, list[dict[str, Any]]] = {}
    if query.CODINGS_TABLE not in ds.tables:
        return found
    for row in query.rows(ds[query.CODINGS_TABLE]):
        found.setdefault(str(row.evidence_id), []).append({
            "coder": str(row.coder).replace("-", " ").capitalize(),
            "strength": html.badge(ds, row.strength), "note": row.explanation})
    return found


@derived()
def trail(ds: Dataset, evidence_id: str) -> dict[str, Any]:
    """Everything the trail of one rating shows, as template context; it depends on the
    dataset alone, so it is built once per record and shared (read-only) by every redraw
    that shows the record (a story's change of project used to rebuild every trail).

    Raises:
        QueryError: ``evidence_id`` is not a mechanism record.
    """
    found = confidence.appraise(ds, evidence_id)
    record: Any = ds.mechanism_evidence.set_index("evidence_id").loc[evidence_id]
    components = confidence.terms(ds, "component")
    concerns = confidence.terms(ds, "concern")
    sources = _sources(ds)
    cited = [{**sources[c.source_id], "locator": c.locator} for c in record.source_ids]
    project = query.facet_options(ds, PROJECT)[record.project_id]
    mechanism = query.facet_options(ds, query.ROW_FACET)[record.mechanism_id]
    return {
        "title": f"{mechanism} × {project}",
        "strength": html.badge(ds, record.strength),
        "confidence": html.confidence_badge(ds, found.level) if found else Markup(""),
        "contested": evidence_id in query.contested_evidence(ds),
        "silent": found is None,
        "components": [{"label": components[c.component][0], "concern":
                        concerns[str(c.concern)][0], "reason": c.reason}
                       for c in (found.components if found else ())],
        "why": found.why if found else "",
        "override": found.override_reason if found else None,
        "computed": (confidence.terms(ds, "confidence")[found.computed][0]
                     if found and found.overridden else ""),
        "sources": cited,
        "codings": _codings(ds).get(evidence_id, []),
        "reconciliation": record.get("reconciliation"),
        "history": _history(ds, evidence_id),
    }


def _history(ds: Dataset, evidence_id: str) -> list[dict[str, Any]]:
    """The releases in which the rating changed (its first release included), newest
    first, as the trail lists them."""
    frame = history.rating_history(ds, evidence_id)
    levels = confidence.terms(ds, "confidence")
    return [{"version": r.version, "date": r.date, "strength": html.badge(ds, r.strength),
             "confidence": levels[r.confidence][0] if isinstance(r.confidence, str) else "",
             "explanation": r.explanation, "current": r.version == ds.version}
            for r in reversed(list(frame.itertuples())) if r.changed]


def weakest(ds: Dataset, found: confidence.Confidence) -> str:
    """What lowers a rating's confidence most, in one line (e.g. 'How the sources know: no
    cited source states a method (…)'); '' when nothing does."""
    order = {name: index for index, name in enumerate(confidence.terms(ds, "concern"))}
    worst = max(found.components, key=lambda c: order.get(str(c.concern), 0))
    if str(worst.concern) == "no":
        return ""
    return f"{confidence.terms(ds, 'component')[worst.component][0]}: {worst.reason}"


def record_trails(ds: Dataset, evidence_ids: Iterable[str], open_: bool = False) -> Markup:
    """The trails of several ratings, each folded (``open_`` unfolds them, for print)."""
    programme = Programme.of(ds)
    return html.render("trail.html.j2", trails=[trail(ds, e) for e in evidence_ids],
                       open=open_, confidence_note=programme.text("confidence_note"),
                       codings_note=programme.text("codings_note"))
