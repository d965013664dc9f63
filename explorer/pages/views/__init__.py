"""The explorer's pages, each defined once (``base.View``): its parameters and its content.

One module per page of ``explorer.pages.registry.PAGES``, named by the page's URL name, each
exposing ``VIEW``. The live dashboards, the static site and the briefings all render the
content a view builds; see ``explorer.pages.views.base``.
"""

from ...render.blocks import Chart, Choice, Content, Download, FacetFilter, Form, Grid, Html, Links
from .base import View

__all__ = ["Chart", "Choice", "Content", "Download", "FacetFilter", "Form", "Grid", "Html",
           "Links", "View"]
