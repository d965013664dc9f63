"""The programme a data package describes, and the sentences it supplies about itself.

Nothing in the explorer's code names a programme or counts its projects: titles, the
introduction, the framework's wording and the notes on how to read the ratings come from
the package (``programmes.csv`` and ``texts.csv``), so another programme's package drives
every page in its own words. A text the package leaves out falls back to neutral wording
built from ``programmes.csv``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ..data.derived import derived
from ..data.load import Dataset

__all__ = ["FALLBACK_TEXTS", "Programme"]

# Neutral wording for texts a package does not supply; ``{title}`` is the programme's title.
FALLBACK_TEXTS: Mapping[str, str] = MappingProxyType({
    "site_title": "{title}: evidence explorer",
    "introduction": "{summary}",
    "foundations_heading": "Foundations",
    "foundations_note": "",
    "mechanisms_heading": "Enabling mechanisms",
    "mechanisms_note": "",
    "relationships_heading": "Relationship change",
    "ratings_note": "Each rating is the curators' coding of the cited sources, following the "
                    "package's codebook.",
    "unidentified_note": "An unidentified project is one the funder counts but no source "
                         "names. It is shown so that the gap stays visible.",
    "codings_note": "The package does not say who made its codings, so how far they agree "
                    "says nothing about independent raters.",
    "confidence_note": "These levels rank the evidence behind each rating against each other, "
                       "by the rule in the package's codebook; they are not a grade on any "
                       "outside scale.",
})


@dataclass(frozen=True)
class Programme:
    """The programme of a loaded package (its first row in ``programmes.csv``).

    Attributes:
        programme_id, title, funder, evaluator, summary: as in ``programmes.csv``.
        project_count: how many projects the funder says it funded.
        years: ``(launch, start, end)``.
        texts: ``text_id → text`` from ``texts.csv`` for this programme.
    """

    programme_id: str
    title: str
    funder: str
    evaluator: str
    summary: str
    project_count: int
    years: tuple[int, int, int]
    texts: Mapping[str, str]

    @classmethod
    def of(cls, ds: Dataset) -> Programme:
        """The package's programme; a package describes one (its first row is used)."""
        return _programme(ds)

    @classmethod
    def _read(cls, ds: Dataset) -> Programme:
        row = ds.programmes.iloc[0]
        programme_id = str(row["programme_id"])
        texts: dict[str, str] = {}
        if "texts" in ds.tables:
            frame = ds.texts[ds.texts.programme_id == programme_id]
            texts = {str(k): str(v) for k, v in zip(frame.text_id, frame.text, strict=True)}
        return cls(
            programme_id=programme_id,
            title=str(row["title"]),
            funder=str(row["funder"]),
            evaluator=str(row["evaluator"]),
            summary=str(row["summary"]),
            project_count=int(row["project_count"]),
            years=(int(row["launch_year"]), int(row["start_year"]), int(row["end_year"])),
            texts=MappingProxyType(texts),
        )

    def text(self, text_id: str) -> str:
        """The package's text for ``text_id``, or neutral wording when it has none.

        Raises:
            KeyError: ``text_id`` is not a text the explorer knows.
        """
        if text_id not in FALLBACK_TEXTS:
            raise KeyError(f"unknown text {text_id!r}; known: {', '.join(FALLBACK_TEXTS)}")
        supplied = self.texts.get(text_id)
        if supplied:
            return supplied
        return FALLBACK_TEXTS[text_id].format(title=self.title, summary=self.summary)


@derived()
def _programme(ds: Dataset) -> Programme:
    return Programme._read(ds)
