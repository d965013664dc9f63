"""Render primitives: evidence → markup, charts and files, the same for every output.

``html`` (Jinja2 templates with autoescaping, in ``templates/``), ``figures`` (plotly figure
dicts, each with a text alternative), ``content`` (the text of the pages that read the same
everywhere), ``document`` (standalone HTML documents), ``trail`` (a rating's audit trail),
``downloads`` (spreadsheets of what a reader chose), ``references`` (RIS and BibTeX) and
``profile_files`` (Evidence Profiles as CSV and Word). Imports evidence and data, never a
page or an output.
"""
