"""The data layer: a data package, from its declaration to typed tables.

``descriptor`` (``datapackage.json``: every table, field, vocabulary and facet, declared once)
→ ``read`` (find the package, read each CSV file as text) → ``validate`` (cells, references,
the evidence rules: every ``Problem`` at once) → ``load`` (typed pandas tables, a
``Dataset``). Beside them: ``release`` (the data's versions, digest and changelog) and
``derived`` (tables computed once per dataset and shared). Nothing here imports anything
above it: only ``explorer.errors``.
"""
