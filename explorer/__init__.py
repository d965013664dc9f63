"""Evidence explorer for the Health Foundation's *Closing the Gap through Changing Relationships*.

The data flows one way: ``data/`` → ``load`` → ``query`` → ``figures`` → ``app`` → notebook.

Analysts start here::

    import explorer
    ds = explorer.load()                      # typed DataFrames, validated
    explorer.query.matrix(ds, columns="project")

``figures`` and ``app`` import plotly and ipywidgets; they are imported only when used, so
``import explorer`` stays as cheap as importing pandas.
"""

from . import query
from .errors import DataError, ExplorerError, Problem, ProvenanceError, QueryError, StateError
from .load import Citation, Dataset, load
from .read import data_path
from .validate import validate

__all__ = [
    "Citation",
    "DataError",
    "Dataset",
    "ExplorerError",
    "Problem",
    "ProvenanceError",
    "QueryError",
    "StateError",
    "data_path",
    "load",
    "query",
    "validate",
]

__version__ = "0.1.0"
