"""Pure query functions over a loaded ``Dataset``: what every page shows, as tables.

Filter semantics (the same everywhere, and stated on the pages): a ``Filters`` holds, for each
facet, a set of chosen values. A record matches when, **for every facet with a choice (AND
across facets), at least one of the record's values is chosen (OR within a facet)**. A record
can have several values for one facet: an evidence row whose contexts span two dimensions
matches either dimension; a project targets one or more relationship types. The facets
themselves are declared once, in ``datapackage.json`` (``explorer:facets``).

Matrix cells combine evidence rows as ``data/CODEBOOK.md`` says: the cell's strength is the
strongest of its rows (evident > partial > not evident > not reported) and its count is the
number of rows that are not ``not_reported``. A cell with no rows is ``no_rows``, which is
different from ``not_reported``.

One module per concept: ``facets`` (facets, vocabularies, ``Filters``), ``records`` (the
evidence records and their reader table), ``matrix``, ``story`` (one project), ``across``
(comparisons and flows), ``agreement`` (the repeated codings), ``confidence`` (the
codebook's rule) and ``history`` (each rating across the data's releases). Tables that depend on
the dataset alone are computed once per dataset (``explorer.data.derived``) and shared: treat
them as read-only.
"""

from .across import (
    ACTIVITY_TO_MECHANISM,
    MECHANISM_TO_OUTCOME,
    activity_mechanism_links,
    compare_projects,
    same_activity_different_mechanisms,
)
from .agreement import (
    CODINGS_TABLE,
    Agreement,
    PairAgreement,
    coding_agreement,
    codings,
    contested_evidence,
)
from .facets import (
    ACTIVATED,
    NO_ROWS,
    NO_ROWS_LABEL,
    RECORDS_TABLE,
    ROW_FACET,
    STRENGTH_ORDER,
    Filters,
    check_columns,
    check_filters,
    check_ids,
    column_kinds,
    describe_filters,
    facet_help,
    facet_options,
    facet_spec,
    facet_title,
    facets,
    humanise,
    rows,
    strength_help,
    strength_label,
    strength_labels,
    term,
)
from .matrix import matrix, strongest
from .records import (
    NO_CONTEXT,
    READER_COLUMNS,
    apply_filters,
    cell_records,
    citation_text,
    evidence_records,
    facet_column,
    facet_counts,
    projects_by_value,
    reader_table,
)
from .story import ProjectStory, project_chains, project_story

__all__ = [
    "STRENGTH_ORDER",
    "Agreement",
    "Filters",
    "PairAgreement",
    "ProjectStory",
    "activity_mechanism_links",
    "cell_records",
    "citation_text",
    "coding_agreement",
    "codings",
    "column_kinds",
    "compare_projects",
    "contested_evidence",
    "describe_filters",
    "evidence_records",
    "facet_counts",
    "facet_help",
    "facet_options",
    "facet_title",
    "facets",
    "humanise",
    "matrix",
    "project_chains",
    "project_story",
    "reader_table",
    "rows",
    "same_activity_different_mechanisms",
    "strength_help",
    "strength_label",
    "strength_labels",
    "strongest",
    "term",
]

# Names the explorer's own modules use, not promised to analysts.
_INTERNAL = (ACTIVATED, ACTIVITY_TO_MECHANISM, CODINGS_TABLE, MECHANISM_TO_OUTCOME,
             NO_CONTEXT, NO_ROWS, NO_ROWS_LABEL, READER_COLUMNS, RECORDS_TABLE, ROW_FACET,
             apply_filters, check_columns, check_filters, check_ids, facet_column,
             facet_spec, projects_by_value)
