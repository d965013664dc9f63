"""Sphinx configuration: MyST pages, pydata-sphinx-theme, autodoc; built offline, strictly.

``make docs`` runs ``sphinx-build -W --keep-going -b html docs docs/_build/html``; the test
suite builds the same site (``tests/test_docs_site.py``). Nothing here fetches anything: no
intersphinx, no CDN, no analytics, the theme's fonts and icons served from the site itself.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(ROOT))

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

project = "Closing the Gap evidence explorer"
author = "The Closing the Gap evidence explorer's authors"
copyright = "2026, " + author
release = version = PYPROJECT["project"]["version"]

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",  # the package's docstrings are Google style
    "records",  # figures from bench/results/ (docs/_ext/records.py)
    "layers",  # the architecture picture from pyproject's layers contract (docs/_ext/layers.py)
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_generated/*.md", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []

# Broken cross-references are errors (with -W): a reference to something of the explorer's
# that the reference does not document fails the build; names from other libraries (pandas,
# plotly…) are not documented here and have no intersphinx to resolve them offline.
nitpicky = True
# Type hints that name a class inside an internal module (``explorer.errors.Rule``) are not
# references anyone typed: the API reference documents public names only, so they stay text.
nitpick_ignore_regex = [(r"py:.*", r"(?!explorer\b).*"), (r"py:.*", r"explorer\._.*"),
                        (r"py:class", r"explorer(\.[a-z_]+)+\.[A-Za-z_]\w*")]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
# Links to files outside the site (a path in the repository) must name a page that exists.
myst_all_links_external = False

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options: dict[str, object] = {}
napoleon_google_docstring = True
napoleon_numpy_docstring = False

html_theme = "pydata_sphinx_theme"
html_title = project
html_static_path: list[str] = []
html_show_sourcelink = False
html_copy_source = False
# No left sidebar: each page's own contents are on the right, and the guides are few.
html_sidebars: dict[str, list[str]] = {"**": []}
html_theme_options = {
    "header_links_before_dropdown": 3,
    "navbar_align": "left",
    # Nothing fetched from elsewhere: no icon links, no analytics, no version switcher.
    "icon_links": [],
    "navbar_end": ["navbar-icon-links"],
    # Search as a button (Ctrl+K opens the same box): the guides' links and a search field
    # together wrap the bar onto two lines at laptop widths (1300 px).
    "navbar_persistent": ["search-button"],
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": [],
}
