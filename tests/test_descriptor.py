"""Specifications of explorer.descriptor: every key is applied, kept as metadata, or refused."""

from __future__ import annotations

import json
import re

import pytest

import explorer
from explorer.data import descriptor as module
from explorer.data.descriptor import (
    DEFAULT_CITATION_PATTERN,
    Dialect,
    ForeignKey,
    read_descriptor,
)
from explorer.errors import DataError, Rule

from conftest import DATA

ALL_KEYS = sorted(module.PACKAGE_KEYS | module.RESOURCE_KEYS | module.DIALECT_KEYS
                  | module.SCHEMA_KEYS | module.FIELD_KEYS | module.CONSTRAINT_KEYS)


def _edited(pkg, edit):
    """Apply ``edit(package, resources_by_name)`` to the copy's descriptor and read it."""
    raw = json.loads(pkg.file("datapackage.json").read_text(encoding="utf-8"))
    edit(raw, {r["name"]: r for r in raw["resources"]})
    pkg.file("datapackage.json").write_text(json.dumps(raw), encoding="utf-8")
    return read_descriptor(pkg.path)


def _messages(pkg, edit):
    with pytest.raises(DataError) as raised:
        _edited(pkg, edit)
    return [problem.message for problem in raised.value.problems]


def _field(resources, table, name):
    return next(f for f in resources[table]["schema"]["fields"] if f["name"] == name)


@pytest.mark.parametrize("key", ALL_KEYS)
def test_the_module_docstring_says_what_happens_to_every_accepted_key(key):
    """Each key the reader accepts is listed as applied or metadata in the docstring table."""
    assert re.search(rf"(?<![\w:]){re.escape(key)}(?![\w:])", module.__doc__ or "")


def test_metadata_keys_are_accepted_and_change_nothing(mini_copy):
    """Package and resource metadata may be declared; the tables read the same."""
    before = explorer.load(mini_copy.path)

    def add_metadata(package, resources):
        package.update(keywords=["realist evaluation"], id="urn:x", homepage="https://x.org",
                       contributors=[{"title": "A"}], sources=[{"title": "B"}])
        resources["projects"].update(profile="tabular-data-resource", mediatype="text/csv",
                                     licenses=[{"name": "CC0-1.0"}], sources=[],
                                     title="P", description="D")

    _edited(mini_copy, add_metadata)
    after = explorer.load(mini_copy.path)
    assert after.projects.equals(before.projects)


def test_the_standard_defaults_apply_when_nothing_is_declared(mini_copy):
    """No encoding, dialect or missingValues: UTF-8, comma/double-quote CSV, empty = missing."""

    def strip(package, resources):
        for key in ("encoding", "dialect", "format"):
            resources["contexts"].pop(key, None)
        resources["contexts"]["schema"].pop("missingValues", None)

    contexts = _edited(mini_copy, strip).resource("contexts")
    assert (contexts.encoding, contexts.dialect, contexts.missing_values) == (
        "utf-8", Dialect(",", '"', True, False, "\r\n"), ("",))


def test_a_declared_dialect_encoding_and_missing_values_are_recorded(mini_copy):
    """What the descriptor declares about a file is what the read step will apply."""

    def declare(package, resources):
        resources["contexts"].update(encoding="latin-1", dialect={
            "delimiter": ";", "quoteChar": "'", "doubleQuote": False,
            "skipInitialSpace": True, "header": True, "lineTerminator": "\n"})
        resources["contexts"]["schema"]["missingValues"] = ["", "NA"]

    contexts = _edited(mini_copy, declare).resource("contexts")
    assert (contexts.encoding, contexts.dialect, contexts.missing_values) == (
        "latin-1", Dialect(";", "'", False, True, "\n"), ("", "NA"))


@pytest.mark.parametrize("encoding", ["utf-8", "UTF8", "utf-8-sig", "latin-1", "cp1252"])
def test_text_encodings_python_knows_are_accepted(mini_copy, encoding):
    """Any spelling Python knows for a text encoding is accepted."""
    descriptor = _edited(mini_copy, lambda p, r: r["contexts"].update(encoding=encoding))
    assert descriptor.resource("contexts").encoding == encoding


@pytest.mark.parametrize("encoding", ["klingon", "hex", "zlib", "rot13", 8])
def test_unknown_and_non_text_encodings_are_refused(mini_copy, encoding):
    """An encoding that cannot turn bytes into text is a descriptor problem."""
    assert _messages(mini_copy, lambda p, r: r["contexts"].update(encoding=encoding)) == [
        f"resource 'contexts' declares encoding {encoding!r}, which is not a known text "
        "encoding; use e.g. 'utf-8'"]


@pytest.mark.parametrize(("dialect", "message"), [
    ({"delimiter": ";;"}, "'delimiter' must be one character (not a line break)"),
    ({"quoteChar": "\n"}, "'quoteChar' must be one character (not a line break)"),
    ({"delimiter": "'", "quoteChar": "'"}, "'delimiter' and 'quoteChar' must differ"),
    ({"doubleQuote": "yes"}, "'doubleQuote' must be true or false"),
    ({"skipInitialSpace": 1}, "'skipInitialSpace' must be true or false"),
    ({"lineTerminator": ";"}, "'lineTerminator' must be \"\\r\\n\", \"\\n\" or \"\\r\""),
])
def test_dialect_values_the_reader_cannot_honour_are_refused(mini_copy, dialect, message):
    """Each dialect value is checked where it is declared, not when a file fails to read."""
    assert _messages(mini_copy, lambda p, r: r["contexts"].update(dialect=dialect)) == [
        f"resource 'contexts' dialect: {message}"]


@pytest.mark.parametrize(("constraints", "message"), [
    ({"required": "yes"}, "constraint 'required' must be true or false"),
    ({"enum": []}, "constraint 'enum' must be a non-empty list of values"),
    ({"minLength": -1}, "constraint 'minLength' must be a whole number, 0 or more"),
    ({"maxLength": 2.5}, "constraint 'maxLength' must be a whole number, 0 or more"),
    ({"pattern": 5}, "constraint 'pattern' must be text"),
])
def test_malformed_constraint_values_are_refused(mini_copy, constraints, message):
    """A constraint the validator could not apply as written is a descriptor problem."""
    assert _messages(mini_copy, lambda p, r: _field(r, "projects", "region")[
        "constraints"].update(constraints)) == [
        f"resource 'projects' field 'region' {message}"]


@pytest.mark.parametrize(("field", "constraint"), [
    ("launch_year", {"minLength": 1}), ("title", {"minimum": 0}), ("title", {"maximum": 9}),
])
def test_constraints_on_types_they_do_not_fit_are_refused(mini_copy, field, constraint):
    """minimum/maximum fit numbers, pattern and lengths fit strings; nothing is ignored."""
    messages = _messages(mini_copy, lambda p, r: _field(r, "programmes", field)[
        "constraints"].update(constraint))
    assert len(messages) == 1
    assert f"constraint {next(iter(constraint))!r} does not apply to" in messages[0]


@pytest.mark.parametrize(("field_type", "field_format"), [
    ("date", "default"), ("date", "%Y-%m-%d"), ("string", "uri"), ("string", "email"),
])
def test_supported_field_formats_are_recorded(mini_copy, field_type, field_format):
    """The formats the validator applies are accepted and kept on the field."""
    name = "accessed" if field_type == "date" else "url"
    descriptor = _edited(mini_copy, lambda p, r: _field(r, "sources", name).update(
        format=field_format))
    assert descriptor.resource("sources").field(name).format == field_format


@pytest.mark.parametrize(("name", "field_format"), [("accessed", "%d/%m/%Y"),
                                                   ("accessed", "any"), ("title", "binary")])
def test_other_field_formats_are_refused(mini_copy, name, field_format):
    """A format the validator would not apply is refused rather than ignored."""
    messages = _messages(mini_copy, lambda p, r: _field(r, "sources", name).update(
        format=field_format))
    assert len(messages) == 1
    assert f"has unsupported format {field_format!r}" in messages[0]


def test_primary_key_fields_are_required(mini_copy):
    """Every part of a primary key is required, declared or not."""
    descriptor = _edited(mini_copy, lambda p, r: _field(r, "project_relationships",
                                                        "project_id")["constraints"].pop(
        "required"))
    assert descriptor.resource("project_relationships").field("project_id").required


def test_a_citation_field_without_a_pattern_gets_the_default_grammar(mini_copy):
    """The default citation grammar fills in only where no pattern is declared."""
    descriptor = _edited(mini_copy, lambda p, r: _field(r, "contexts", "source_ids")[
        "constraints"].pop("pattern"))
    assert descriptor.resource("contexts").field("source_ids").pattern == (
        DEFAULT_CITATION_PATTERN)


def test_the_data_declares_the_default_citation_grammar():
    """The embedded data's citation fields declare exactly the grammar the code defaults to."""
    raw = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    patterns = {
        (resource["name"], field["name"]): field.get("constraints", {}).get("pattern")
        for resource in raw["resources"] for field in resource["schema"]["fields"]
        if field.get("explorer:references") == "sources.source_id"
    }
    assert patterns
    assert set(patterns.values()) == {DEFAULT_CITATION_PATTERN}


def test_an_empty_foreign_key_resource_names_the_table_itself(mini_copy):
    """``"reference": {"resource": ""}`` is read as the declaring table."""
    descriptor = _edited(mini_copy, lambda p, r: r["findings"]["schema"]["foreignKeys"].append(
        {"fields": "programme_id", "reference": {"resource": "", "fields": "finding_id"}}))
    assert ForeignKey("programme_id", "findings", "finding_id") in (
        descriptor.resource("findings").foreign_keys)


def test_metadata_of_the_wrong_shape_is_refused(mini_copy):
    """Metadata is not applied, but a reader must not trip over it: its shape is checked."""
    assert _messages(mini_copy, lambda p, r: p.update(licenses="CC-BY-4.0", version=1)) == [
        "the package: 'version' must be text", "the package: 'licenses' must be a list"]


def test_malformed_keys_are_reported_not_raised(mini_copy):
    """Wrongly shaped schema keys give problems, never a TypeError."""

    def break_keys(package, resources):
        resources["contexts"]["schema"].update(primaryKey=3, foreignKeys={"a": 1})
        resources["outcomes"]["schema"]["fields"][0]["constraints"] = ["required"]

    assert _messages(mini_copy, break_keys) == [
        "resource 'contexts' schema: 'primaryKey' must be a field name or a list of field "
        "names",
        "resource 'contexts' schema: 'foreignKeys' must be a list",
        "resource 'outcomes' field 'outcome_id': 'constraints' must be an object",
    ]


def test_a_field_declared_twice_is_refused(mini_copy):
    """Two fields with one name would make a column ambiguous."""
    messages = _messages(mini_copy, lambda p, r: r["findings"]["schema"]["fields"].append(
        {"name": "text", "type": "string"}))
    assert messages == ["resource 'findings' declares the field 'text' more than once"]


def test_a_descriptor_with_a_byte_order_mark_is_read(mini_copy):
    """A UTF-8 byte-order mark before the JSON is tolerated."""
    path = mini_copy.file("datapackage.json")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert read_descriptor(mini_copy.path).name == json.loads(
        (DATA / "datapackage.json").read_text(encoding="utf-8"))["name"]


def test_descriptor_problems_carry_descriptor_rules(mini_copy):
    """Unknown keys are descriptor-key problems; unusable values are descriptor problems."""
    with pytest.raises(DataError) as raised:
        _edited(mini_copy, lambda p, r: r["contexts"].update(
            dialect={"header": False, "nullSequence": "NA"}))
    assert [p.rule for p in raised.value.problems] == [Rule.DESCRIPTOR_KEY, Rule.DESCRIPTOR]
