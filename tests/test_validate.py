"""Specifications of explorer.validate: raw tables checked against their own declaration."""

from __future__ import annotations

import json

import pytest

import explorer
from explorer import Citation
from explorer.data.read import read_package
from explorer.data.validate import check, parse_citations, split_ids
from explorer.errors import Rule


def _edit_descriptor(pkg, edit):
    descriptor = json.loads(pkg.file("datapackage.json").read_text(encoding="utf-8"))
    edit({r["name"]: r for r in descriptor["resources"]})
    pkg.file("datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")


def _field(resources, table, name):
    return next(f for f in resources[table]["schema"]["fields"] if f["name"] == name)


def _rules(pkg):
    return [(p.file, p.line, p.column, p.rule) for p in explorer.validate(pkg.path)]


# --- the steps ----------------------------------------------------------------------------


def test_validate_reports_file_problems_then_cell_problems(mini_copy):
    """``validate`` = the read step's file problems + ``check`` on the tables it read."""
    mini_copy.append_text("contexts", "\n")
    mini_copy.set_cell("projects", 3, "membership", "maybe")
    package = read_package(mini_copy.path)
    assert [p.rule for p in package.problems] == [Rule.BLANK_ROW]
    assert [p.rule for p in check(package.descriptor, package.tables)] == [Rule.ENUM]
    assert explorer.validate(mini_copy.path) == (
        package.problems + check(package.descriptor, package.tables))


def test_check_skips_tables_that_could_not_be_read(mini_path):
    """A table the read step could not read is not checked again, nor referred into."""
    package = read_package(mini_path)
    assert check(package.descriptor, {}) == []
    del package.tables["projects"]
    assert check(package.descriptor, package.tables) == []


def test_the_embedded_data_is_valid():
    """The curated data passes its own declaration."""
    assert explorer.validate() == []


# --- missing values -------------------------------------------------------------------------


def test_a_declared_missing_value_is_not_typed_and_loads_as_missing(mini_copy):
    """"n/a" declared missing in a number column is not a type problem; it loads as NA."""
    _edit_descriptor(mini_copy, lambda r: r["programmes"]["schema"].update(
        missingValues=["", "n/a"]))
    mini_copy.set_cell("programmes", 2, "grant_per_project_gbp", "n/a")
    assert explorer.validate(mini_copy.path) == []
    assert explorer.load(mini_copy.path).programmes.grant_per_project_gbp.isna().all()


def test_empty_text_is_a_value_when_not_declared_missing(mini_copy):
    """With ``missingValues: ["n/a"]`` an empty number cell is a type problem, not missing."""
    _edit_descriptor(mini_copy, lambda r: r["programmes"]["schema"].update(
        missingValues=["n/a"]))
    mini_copy.set_cell("programmes", 2, "grant_per_project_gbp", "")
    assert [str(p) for p in explorer.validate(mini_copy.path)] == [
        'programmes.csv, line 2, column "grant_per_project_gbp": \'\' must be a number (use . '
        "for decimals, no units or commas) [type]"]


def test_primary_key_fields_are_required_even_when_not_declared_so(mini_copy):
    """An empty primary-key cell is a ``required`` problem (Table Schema)."""
    _edit_descriptor(mini_copy, lambda r: _field(r, "findings", "finding_id")[
        "constraints"].pop("required"))
    mini_copy.set_cell("findings", 2, "finding_id", "")
    assert _rules(mini_copy) == [("findings.csv", 2, "finding_id", Rule.REQUIRED)]


# --- the citation grammar ------------------------------------------------------------------


def test_the_declared_pattern_is_the_citation_grammar(mini_copy):
    """A package that requires locators gets citation-syntax for a citation without one."""
    with_locator = r"[a-z0-9-]+\[[^\[\]]+\](; ?[a-z0-9-]+\[[^\[\]]+\])*"
    _edit_descriptor(mini_copy, lambda r: _field(r, "projects", "source_ids")[
        "constraints"].update(pattern=with_locator))
    assert _rules(mini_copy) == [("projects.csv", 4, "source_ids", Rule.CITATION_SYNTAX)]


def test_a_citation_field_without_a_pattern_uses_the_default_grammar(mini_copy):
    """Dropping every declared citation pattern changes nothing: the default is the same."""

    def drop_patterns(resources):
        for resource in resources.values():
            for field in resource["schema"]["fields"]:
                if field["name"] == "source_ids":
                    field["constraints"].pop("pattern")

    _edit_descriptor(mini_copy, drop_patterns)
    assert explorer.validate(mini_copy.path) == []
    mini_copy.set_cell("contexts", 4, "source_ids", "hf-programme-page[para 2")
    assert _rules(mini_copy) == [("contexts.csv", 4, "source_ids", Rule.CITATION_SYNTAX)]


def test_a_locator_may_hold_a_semicolon(mini_copy):
    """``id[p. 3; p. 5]`` is one citation: the grammar allows it and parsing keeps it whole."""
    mini_copy.set_cell("outcomes", 2, "source_ids", "hf-programme-page[p. 3; p. 5]")
    assert explorer.validate(mini_copy.path) == []
    assert explorer.load(mini_copy.path).outcomes.source_ids.iloc[0] == (
        Citation("hf-programme-page", "p. 3; p. 5"),)


@pytest.mark.parametrize(("text", "expected"), [
    ("a", [("a", None)]),
    ("a[p. 3]; b", [("a", "p. 3"), ("b", None)]),
    ("a;b[para 2]", [("a", None), ("b", "para 2")]),
    ("a[p. 3; p. 5]; b", [("a", "p. 3; p. 5"), ("b", None)]),
])
def test_parse_citations_splits_ids_from_locators(text, expected):
    """Items split at ``;`` outside brackets; each into its id and its locator."""
    assert parse_citations(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("", []), ("  ", []), ("a", ["a"]), ("a; b;c", ["a", "b", "c"]),
])
def test_split_ids_ignores_spaces_around_items(text, expected):
    """An id list splits at ``;``; an empty list has no ids."""
    assert split_ids(text) == expected


# --- constraints and formats ---------------------------------------------------------------


def test_length_limits_are_inclusive(mini_copy):
    """A value exactly as long as minLength or maxLength is valid."""
    _edit_descriptor(mini_copy, lambda r: _field(r, "findings", "text")["constraints"].update(
        minLength=29, maxLength=29))
    assert explorer.validate(mini_copy.path) == []


@pytest.mark.parametrize(("value", "valid"), [
    ("curators@example.org", True), ("curators at example.org", False), ("a@b", False),
])
def test_the_email_format_is_applied(mini_copy, value, valid):
    """A string field with ``format: email`` accepts addresses only."""
    _edit_descriptor(mini_copy, lambda r: _field(r, "sources", "access_note").update(
        format="email"))
    mini_copy.set_cell("sources", 2, "access_note", value)
    expected = [] if valid else [("sources.csv", 2, "access_note", Rule.FORMAT)]
    assert _rules(mini_copy) == expected


@pytest.mark.parametrize(("column", "value"), [
    ("launch_year", "\u0662\u0660\u0661\u0660"), ("grant_per_project_gbp", "1_000"),
    ("grant_per_project_gbp", "nan"), ("grant_per_project_gbp", " 5"),
])
def test_numbers_are_written_with_ascii_digits_only(mini_copy, column, value):
    """Other digits, _, nan or spaces, which int() and float() accept, are not numbers."""
    mini_copy.set_cell("programmes", 2, column, value)
    assert _rules(mini_copy) == [("programmes.csv", 2, column, Rule.TYPE)]


def test_an_empty_foreign_key_resource_means_the_same_table(mini_copy):
    """``"resource": ""`` refers to the table itself, as in Table Schema."""
    _edit_descriptor(mini_copy, lambda r: r["findings"]["schema"]["foreignKeys"].append(
        {"fields": "programme_id", "reference": {"resource": "", "fields": "finding_id"}}))
    assert [str(p) for p in explorer.validate(mini_copy.path)] == [
        "findings.csv, line 2, column \"programme_id\": 'ctg' is not found in findings.csv "
        "(column finding_id) [foreign-key]"]


def test_a_bad_cell_is_not_followed_into_other_tables(mini_copy):
    """A malformed id gives its own problem and no foreign-key problem after it."""
    mini_copy.set_cell("contexts", 3, "project_id", "Beta")
    assert _rules(mini_copy) == [("contexts.csv", 3, "project_id", Rule.PATTERN)]


def test_a_facet_the_pages_name_cannot_be_renamed_silently(mini_copy):
    """Renaming a facet the explorer asks for by name (``REQUIRED_FACETS``) fails validation
    with a message that names it and says why, instead of breaking a page at run time."""
    path = mini_copy.file("datapackage.json")
    raw = json.loads(path.read_text(encoding="utf-8"))
    facet = next(f for f in raw["explorer:facets"] if f["name"] == "setting_type")
    facet["name"] = "setting_kind"
    path.write_text(json.dumps(raw), encoding="utf-8")
    messages = [p.message for p in explorer.validate(mini_copy.path)]
    assert any("explorer:facets must declare 'setting_type'" in m
               and "the overview's glance table" in m for m in messages), messages
