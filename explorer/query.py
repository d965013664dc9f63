"""The analysts' query API under its public name; the code is ``explorer.evidence.query``.

``from explorer.query import Filters`` and ``explorer.query.matrix(ds, columns="project")``
keep working: this module hands on the names ``explorer.evidence.query`` promises.
"""

from .evidence.query import *  # noqa: F403
from .evidence.query import __all__ as __all__
