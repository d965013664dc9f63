"""Evidence explorer for the Health Foundation's *Closing the Gap through Changing Relationships*.

The package is grouped by concern, one layer a folder; each imports only the layers below it
(the rule is ``[tool.importlinter]`` in ``pyproject.toml``, checked by ``make lint``):

- ``explorer.cli``: the command line (``python -m explorer validate|export|site|serve|…``);
- ``explorer.serve``: the server, its kernel manager, provisioner and preloader;
- ``explorer.app``: the outputs a reader opens: the live dashboards, the static site, the
  briefings and handouts, the Voila notebooks;
- ``explorer.rooms``: live rooms (a room's store, join page, tally and report), beside
  ``explorer.pages``: the page registry, each page's view, its URL parameters and state;
- ``explorer.render``: markup, charts and files drawn from the evidence (templates, figures,
  the blocks a page's content is made of, documents, downloads);
- ``explorer.evidence``: pure functions of the data: queries, the confidence rule,
  agreement, Evidence Profiles, the framework's questions and the lessons exercise;
- ``explorer.data``: the data package, from its descriptor through reading and validation to
  typed tables (``load``), with its releases;
- ``explorer.errors``: what is raised.

The public API is ``__all__`` below: ``load``, ``validate``, ``data_path``, the errors,
``query`` (``from explorer.query import Filters``), and the modules ``figures`` (plotly
figure dicts), ``profiles`` (GRADE-CERQual tables), ``html`` (``explorer.html.csv_text``)
and ``dashboards`` (``from explorer.dashboards import build``).

Analysts start here::

    import explorer
    ds = explorer.load()                      # typed DataFrames, validated
    explorer.query.matrix(ds, columns="project")

``figures``, ``profiles``, ``html`` and ``dashboards`` are imported on first use (the
dashboards bring ipywidgets and anywidget), so ``import explorer`` stays as cheap as
importing pandas.
"""

import importlib
import types
import typing

from . import query
from .data.load import Citation, Dataset, load
from .data.read import data_path
from .data.validate import validate
from .errors import DataError, ExplorerError, Problem, ProvenanceError, QueryError, StateError

if typing.TYPE_CHECKING:
    from .evidence import profiles
    from .render import figures

#: Public modules imported on first use (PEP 562), so ``import explorer`` stays cheap.
_ON_USE = {"dashboards": "explorer.dashboards", "figures": "explorer.render.figures",
           "html": "explorer.render.html", "profiles": "explorer.evidence.profiles"}


def __getattr__(name: str) -> types.ModuleType:
    """The public modules of ``_ON_USE``, imported when first asked for."""
    if name in _ON_USE:
        module = importlib.import_module(_ON_USE[name])
        globals()[name] = module
        return module
    raise AttributeError(f"module 'explorer' has no attribute {name!r}")


__all__ = [
    "Citation",
    "DataError",
    "Dataset",
    "ExplorerError",
    "Problem",
    "ProvenanceError",
    "QueryError",
    "StateError",
    "dashboards",
    "data_path",
    "figures",
    "html",
    "load",
    "profiles",
    "query",
    "validate",
]

__version__ = "0.1.0"
