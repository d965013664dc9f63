"""Specifications of plain words: the texts a policy reader sees name things in words.

The explorer's pages show the data's free-text cells as they are written. A record id
(``shd-out-6``), a codebook section mark (``§8``), a file (``sources.csv``) or a column
(``projects.partners``, ``setting_type``) means nothing to a policy reader, so every text
shown to readers says in words what it refers to ("the outcome where patients said they felt
more in control", "the codebook's rule on uneven change"). The links between records are data
(``activity_ids``, ``outcome_ids``, ``context_ids``…), so prose need not repeat them.
"""

from __future__ import annotations

import re

import pytest

#: Every free-text column a reader can see, by table. Exempt, and so not listed:
#: ``mechanism_codings.explanation``, which is what each coding's author wrote, kept as
#: written (codebook section 9: the codings are the coders' record, and rewording them
#: would change the evidence the agreement figures are computed from), and the sources'
#: ``title``, ``publisher`` and ``authors``, which are the sources' own words.
READER_TEXT: dict[str, tuple[str, ...]] = {
    "sources": ("kind_explanation", "independence_explanation", "origin_explanation",
                "access_note"),
    "programmes": ("title", "funder", "evaluator", "summary", "explanation"),
    "projects": ("title", "short_name", "lead_organisation", "partners", "region", "setting",
                 "population", "grant_note", "summary", "membership_basis", "explanation"),
    "relationship_types": ("label", "definition", "explanation"),
    "mechanisms": ("label", "definition", "explanation"),
    "foundations": ("label", "definition", "explanation"),
    "project_relationships": ("explanation",),
    "contexts": ("description", "explanation"),
    "activities": ("description", "explanation"),
    "mechanism_evidence": ("explanation", "reconciliation", "confidence_override_reason"),
    "outcomes": ("description", "unit", "period", "explanation"),
    "barriers_enablers": ("description", "explanation"),
    "follow_on": ("description", "period", "explanation"),
    "later_evidence": ("description", "bearing", "explanation"),
    "findings": ("text", "explanation"),
    "texts": ("text", "explanation"),
    "appraisal_terms": ("label", "definition", "explanation"),
    "discrepancies": ("topic", "description", "handling", "explanation"),
    "rating_history": ("explanation",),
}
EXEMPT = {("mechanism_codings", "explanation"), ("sources", "title"),
          ("sources", "publisher"), ("sources", "authors"), ("sources", "licence")}

#: The shapes of this package's record ids, so that an id that does not (or no longer)
#: exist is caught too: shd-out-6, pw-ev-culture_environment, disc-mp-sites, ctg-h-1.
ID_SHAPES = (r"\b[a-z]{2,3}-(?:ctx|act|out|ev|be|fo|le)-[0-9a-z_-]+",
             r"\bdisc-[a-z]", r"\bctg-[a-z]{1,2}-[0-9]")
SECTION_MARK = r"§"
FILE_NAME = r"\b[\w-]+\.(?:csv|json|md|txt)\b"
SNAKE_CASE = r"\b[a-z]+_[a-z0-9_]+\b"  # a column, table or vocabulary name: setting_type


def _free_text_columns(ds) -> set[tuple[str, str]]:
    """Every string column a curator writes freely: no vocabulary and no pattern."""
    return {(resource.name, spec.name) for resource in ds.descriptor.resources
            for spec in resource.fields
            if spec.type == "string" and spec.enum is None and spec.pattern is None}


def _row_ids(ds) -> set[str]:
    """The package's ids that cannot be read as a plain word (they hold - _ or a digit)."""
    ids = set()
    for resource in ds.descriptor.resources:
        frame = ds.tables[resource.name]
        for spec in resource.fields:
            if spec.name == "version":
                continue  # a release number (0.3.0) is what a reader cites, not an id
            if spec.name in resource.primary_key or spec.unique:
                ids |= {str(v) for v in frame[spec.name].dropna()}
    return {i for i in ids if re.search(r"[-_0-9]", i)}


def _jargon_pattern(ds) -> re.Pattern[str]:
    ids = sorted(_row_ids(ds), key=len, reverse=True)
    tables = "|".join(re.escape(r.name) for r in ds.descriptor.resources)
    parts = [*ID_SHAPES, SECTION_MARK, FILE_NAME, SNAKE_CASE,
             rf"\b(?:{tables})\.[a-z_]+",  # table.column, e.g. projects.partners
             r"(?<![\w-])(?:" + "|".join(map(re.escape, ids)) + r")(?![\w-])"]
    return re.compile("|".join(f"(?:{p})" for p in parts))


def _jargon(ds) -> list[tuple[str, str, str, str]]:
    """(table, row, column, what was found) for every reader-visible cell with jargon."""
    pattern = _jargon_pattern(ds)
    found = []
    for table, columns in READER_TEXT.items():
        frame = ds.tables[table]
        keys = ds.descriptor.resource(table).primary_key or (frame.columns[0],)
        for _, row in frame.iterrows():
            for column in columns:
                value = row[column]
                if isinstance(value, str):
                    found += [(table, "/".join(str(row[k]) for k in keys), column, m.group(0))
                              for m in pattern.finditer(value)]
    return found


def test_no_reader_visible_text_speaks_in_ids_sections_files_or_columns(ds):
    """No text a reader sees holds a record id, a § mark, a file name or a column name."""
    assert _jargon(ds) == []


def test_every_free_text_column_is_checked_or_exempt_for_a_reason(ds):
    """A new free-text column is checked for plain words unless it is knowingly exempt."""
    listed = {(table, column) for table, columns in READER_TEXT.items() for column in columns}
    assert listed <= _free_text_columns(ds)
    assert _free_text_columns(ds) - listed == EXEMPT


@pytest.mark.parametrize("planted", [
    "as the funder's page says (shd-out-6)", "rests on pw-ev-culture_environment",
    "see disc-pathway-figures", "the doubt rule (§8)", "sources.csv dates it",
    "projects.partners uses the fuller list", "setting_type is coded",
    "see the landing page (hf-evaluation-page)", "an id of another release, ra-out-9",
])
def test_the_check_catches_jargon(ds, planted):
    """Each kind of jargon the check looks for is found in a sentence."""
    assert _jargon_pattern(ds).search(planted)


@pytest.mark.parametrize("plain", [
    "the end-of-programme event", "mothers-to-be", "Pathway's 2010 slides",
    "the codebook's rule on uneven change", "no engagement, low confidence",
])
def test_the_check_leaves_plain_words_alone(ds, plain):
    """Hyphenated words, figures and ids that are ordinary words are not jargon."""
    assert not _jargon_pattern(ds).search(plain)
