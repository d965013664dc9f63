"""What the evidence says, as pure functions of a loaded ``Dataset``: tables, never markup.

``query`` (facets, records, the matrix, a project's story, comparisons, the repeated
codings, the confidence rule and each rating's history: the analysts' API,
``explorer.query``), ``appraisal`` (each rating's confidence level and each matrix cell's
kind), ``profiles`` (GRADE-CERQual's Evidence Profiles and Summary of Qualitative Findings),
``programme`` (the programme the package describes, in its own words), ``questions`` (the
framework's questions, for the lessons exercise and the live rooms) and ``lessons`` (a
room's answers beside the evidence). Imports the data layer only.
"""
