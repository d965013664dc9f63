"""The live dashboards: one frame (``frame.App``) that draws every page as widgets.

There is no module per page here: every page is defined once, in
``explorer/pages/views/<name>.py``, and listed in ``explorer.pages.registry.PAGES``;
``live.LivePage`` draws any of them. Beside it: ``widgets`` (the explorer's own anywidgets,
their JavaScript in ``js/``), ``presentation`` (the guided walk) and ``room`` (the
presenter's room panel). A notebook makes one call::

    from explorer.dashboards import build
    build("matrix")            # the whole explorer, opened on the matrix page

``build`` returns an ``App``: display it, or read its ``ds``, ``page``, ``state`` and
``figures``. A page's definition is imported when a reader first opens it.
"""

from ...pages.registry import PAGES, PageSpec
from .frame import App, ErrorPage, build
from .live import LivePage

__all__ = ["PAGES", "App", "ErrorPage", "LivePage", "PageSpec", "build"]
