"""The two outputs a reader browses: the live dashboards and the static site.

Each is one ``explorer.render.blocks.Links``: the flags say what the output can do, ``href``
makes its addresses. The printed outputs (the briefing and the handout) are in
``explorer.app.briefings``, beside the documents they make.
"""

from __future__ import annotations

from ..data.load import Dataset
from ..pages.registry import notebook_href, static_href
from ..render.blocks import Download, Links
from .briefings import briefing_download

__all__ = ["LiveLinks", "StaticLinks"]


class LiveLinks(Links):
    """Links between live pages: relative notebook addresses (``matrix.ipynb?…``). The first
    view the server sends before the kernel starts (``explorer.serve.first_view``) is drawn
    for this output too, so that it shows what the live page will."""

    interactive = True

    def href(self, page: str, **parameters: str) -> str:
        """The live address of a view."""
        return notebook_href(page, **parameters)

    def briefing(self, ds: Dataset, project_id: str = "") -> Download:
        """The briefing, or one project's brief, made when the reader asks for it."""
        return briefing_download(ds, project_id)


class StaticLinks(Links):
    """Links between the static site's files, made from the registry."""

    linked_files = True

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds

    def href(self, page: str, **parameters: str) -> str:
        """The file (and anchor) of the static page that shows the view."""
        return static_href(self.ds, page, **parameters)

    def briefing(self, ds: Dataset, project_id: str = "") -> Download | None:
        """None: a static page offers no briefing to download (the site has its own files)."""
        return None
