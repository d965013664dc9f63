"""The dashboards: a shared frame and one module per page, named by the page's URL name.

Every page is defined once, in ``explorer/views/<name>.py``; ``live.LivePage`` draws any of
them as widgets. The list of pages is ``explorer.pages.PAGES``. A notebook makes one call::

    from . import build
    build("matrix")            # the whole explorer, opened on the matrix page

``build`` returns an ``App``: display it, or read its ``ds``, ``page``, ``state`` and
``figures``. A page's definition is imported when a reader first opens it.
"""

from ...pages.registry import PAGES, PageSpec
from .frame import App, ErrorPage, build
from .live import LivePage

__all__ = ["PAGES", "App", "ErrorPage", "LivePage", "PageSpec", "build"]
