"""The explorer's pages, each defined once, whatever output draws them.

``registry`` (the site map: one ``PageSpec`` a page), ``views/<name>.py`` (a page's
parameters and content, as blocks any output draws), ``parameters`` (the kinds of URL
parameter) and ``state`` (a page's address ⇄ its view, checked against the data's ids). A
new page is one module in ``views/`` and one line in ``registry``.
"""
