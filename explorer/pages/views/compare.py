"""Compare two or three projects: their ratings side by side, and where one kind of
activity met different contexts and activated different mechanisms."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ...data.descriptor.facets import PROJECT
from ...data.load import Dataset
from ...evidence import query
from ...evidence.programme import Programme
from ...evidence.query import Filters
from ...render import content, figures, html
from ...render.blocks import Block, Chart, Choice, Content, Download, Html, Links
from ...render.downloads import table_csv
from ..parameters import FacetIds, Parameter
from ..state import ViewState
from .base import View
from .story import identified_projects

__all__ = ["VIEW", "CompareView"]

INTRO = ("Choose two or three projects. Their ratings stand side by side on the same scale; "
         "rows where they differ are highlighted, and every rating links to its evidence.")
STATIC_INTRO = ("The ratings of {names} side by side; rows where they differ are "
                "highlighted, and every rating links to its evidence. The live explorer lets "
                "you choose any two or three projects.")
NONE = "— none —"
SLOTS = 3


class CompareView(View):
    """Two or three projects side by side."""

    name = "compare"

    def parameters(self, ds: Dataset) -> dict[str, Parameter]:
        return {"project": FacetIds(
            "project", facet=PROJECT, count=(2, SLOTS),
            count_note="Compare needs two or three projects; the default pair is shown.")}

    def chosen(self, ds: Dataset, state: ViewState) -> list[str]:
        """The chosen projects in pick order (the first two identified ones by default)."""
        return list(dict.fromkeys(state.many("project"))) or identified_projects(ds)[:2]

    def describe(self, ds: Dataset, state: ViewState) -> str:
        names = query.facet_options(ds, PROJECT)
        return " and ".join(names[p] for p in self.chosen(ds, state))

    def statement(self, ds: Dataset, state: ViewState) -> str:
        """On how many mechanisms the chosen projects' ratings differ."""
        chosen = self.chosen(ds, state)
        if len(chosen) < 2:
            return ""
        cells = query.matrix(ds, PROJECT, Filters(project=tuple(chosen)))
        differ = sum(part.strength.nunique() > 1
                     for _, part in cells.groupby("mechanism_id", sort=False))
        total = cells.mechanism_id.nunique()
        return (f"{self.describe(ds, state)}: their ratings differ on {differ} of "
                f"{total} mechanisms.")

    def shown_ratings(self, ds: Dataset, state: ViewState) -> Iterable[str]:
        """The ratings of the projects compared."""
        chosen = set(self.chosen(ds, state))
        evidence = ds.mechanism_evidence
        return evidence.evidence_id[evidence.project_id.isin(chosen)]

    def content(self, ds: Dataset, state: ViewState, links: Links) -> Content:
        chosen = self.chosen(ds, state)
        names = query.facet_options(ds, PROJECT)
        options = tuple(names.items())
        blocks: list[Block] = [Html("header", html.fragment(
            "header", self.title, INTRO if links.interactive else STATIC_INTRO.format(
                names=" and ".join(names[p] for p in chosen))))]
        blocks += [Choice(f"pick-{index + 1}", "project", f"Project {index + 1}", options,
                          chosen[index] if index < len(chosen) else "", slot=index,
                          blank=NONE if index >= 2 or index >= len(chosen) else None,
                          static_links=False)
                   for index in range(SLOTS)]
        if len(chosen) < 2:
            blocks.append(Html("message", html.render(
                "message.html.j2", text="Choose two or three different projects to compare.")))
            return Content(self.title, tuple(blocks), self.describe(ds, state))
        cells = query.matrix(ds, PROJECT, Filters(project=tuple(chosen)))
        cells = cells.sort_values("column_id", key=lambda ids: ids.map(chosen.index),
                                  kind="stable")
        same = query.same_activity_different_mechanisms(ds, chosen)
        side_by_side = html.rating_table(
            ds, cells, "Mechanism ratings side by side", "Mechanism",
            lambda m, p: links.href("matrix", cell=f"{m}:{p}"),
            query.contested_evidence(ds), mark_differences=True, css_class="ctg-compare",
            definitions=html.mechanism_definitions(ds))
        blocks += [
            Html("side-by-side", side_by_side + html.legend(
                ds, Programme.of(ds).text("ratings_note")), css="ctg-side-by-side"),
            Chart("compare", figures.matrix_figure(cells, "Projects", compact=True),
                  figures.describe_matrix(cells), "compare-projects"),
            Html("same", html.render("same_activity.html.j2",
                                     table=content.same_activity_table(same))),
            Download("csv", "Download these ratings side by side (CSV)",
                     "compare-" + "-".join(chosen) + ".csv", "text/csv",
                     lambda: table_csv(ds, _ratings_frame(cells, same)).encode("utf-8"),
                     help="One row per mechanism and project: the rating, how many records, "
                          "whether it was contested, and what each project did.",
                     static=True),
        ]
        return Content(f"{self.title}: {self.describe(ds, state)}", tuple(blocks),
                       self.describe(ds, state))


def _ratings_frame(cells: pd.DataFrame, same: pd.DataFrame) -> pd.DataFrame:
    """The compared ratings as a tidy table: one row per mechanism and project."""
    return pd.DataFrame({
        "Mechanism": cells.mechanism, "Project": cells.column,
        "Rating": cells.strength_label,
        "Records rated": cells["count"], "Records": cells["rows"],
        "Contested": ["yes" if c else "no" for c in cells.contested],
        "Record ids": ["; ".join(ids) for ids in cells.evidence_ids],
    })




VIEW = CompareView()
