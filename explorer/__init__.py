"""Evidence explorer for the Health Foundation's *Closing the Gap through Changing Relationships*.

The data flows one way, and nothing upstream imports anything downstream:

``descriptor`` → ``read`` → ``validate`` → ``load`` → ``query`` → ``figures`` → ``dashboards``

- ``explorer.descriptor`` reads ``datapackage.json``: every table, field, vocabulary and key,
  declared once;
- ``explorer.read`` finds the package (``data_path``: a path, ``$EXPLORER_DATA``, or the
  embedded data) and reads each CSV file as text;
- ``explorer.validate`` checks the cells, references and evidence rules and returns every
  ``Problem`` at once;
- ``explorer.load`` types the checked tables into pandas: ``load()`` returns a ``Dataset``;
- ``explorer.query`` answers the dashboards' questions as pure functions over a ``Dataset``
  (``matrix``, ``Filters``, ``reader_table``, ``project_story``, ``coding_agreement``…);
- ``explorer.figures`` turns query results into plotly figure dicts, each with a text
  alternative;
- ``explorer.dashboards`` builds the pages (``build(name)`` returns an ``App``).

After ``query``, pure modules say how far to trust the ratings: ``explorer.appraisal``
(each rating's confidence level by the codebook's rule, and the kind of every matrix cell),
``explorer.profiles`` (GRADE-CERQual's Evidence Profile of every rated cell and the Summary
of Qualitative Findings, as tidy tables) and ``explorer.agreement`` (Krippendorff's alpha
across the repeated codings: their consistency, not independent raters' reliability).
``explorer.query.history`` gives each rating across the data's releases.

Beside the flow: ``explorer.errors`` (what is raised), ``explorer.pages`` (the one registry
of pages), ``explorer.state`` (a page's address ⇄ its view), ``explorer.html`` (escaped
templates), ``explorer.export`` (handouts), ``explorer.profile_files`` (Evidence Profiles as
CSV and Word), ``explorer.references`` (sources as RIS and BibTeX), ``explorer.release`` (the
data's versions and digest) and ``explorer.cli`` (``python -m explorer
validate|export|digest|history|profiles|references``).

Analysts start here::

    import explorer
    ds = explorer.load()                      # typed DataFrames, validated
    explorer.query.matrix(ds, columns="project")

``dashboards`` imports ipywidgets and anywidget, and ``figures`` and ``dashboards`` are
imported only when used, so ``import explorer`` stays as cheap as importing pandas.
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
