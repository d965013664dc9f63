"""``explorer.dashboards``, the public path of the dashboards' entry and their app.

Every Voila notebook and analysis notebook calls ``build(name, query_string)``, which returns
an ``App`` (an analyst reads its ``current`` page and ``state``); the code lives in
``explorer.app.dashboards``.
"""

from .app.dashboards import App, build

__all__ = ["App", "build"]
