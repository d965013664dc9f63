"""The dashboards: a shared frame and one module per page, named by the page's URL name.

``explorer/dashboards/<name>.py`` builds the page at ``notebooks/<name>.ipynb``; the list of
pages is ``explorer.pages.PAGES``. A notebook makes one call::

    from explorer.dashboards import build
    build("matrix")            # the whole explorer, opened on the matrix page

``build`` returns an ``App``: display it, or read its ``ds``, ``page``, ``state`` and
``figures``. Page modules are imported when a reader first opens them.
"""

from ..pages import PAGES, PageSpec
from .frame import App, ErrorPage, Page, build

__all__ = ["PAGES", "App", "ErrorPage", "Page", "PageSpec", "build"]
