"""``explorer.dashboards.build``, the public path of the dashboards' one entry.

Every Voila notebook and analysis notebook calls ``build(name, query_string)``; the code lives
in ``explorer.app.dashboards``.
"""

from .app.dashboards import build

__all__ = ["build"]
