"""The bad-input corpus: each case breaks a copy of the mini package in one way.

Every case states the exact report a curator sees — file, spreadsheet line, column, the
offending value and the rule — and that it is the *only* problem reported (no cascades).
Each is checked through ``explorer.validate``, ``explorer.load`` (which must raise one
``DataError``, never anything else) and the command line (exit 1, no traceback).
"""

from __future__ import annotations

import json
import random

import pytest

import explorer
from explorer.cli import main


def _bad_bytes(pkg):
    data = pkg.file("projects.csv").read_bytes().replace(b"region,acute", b"r\xe9gion,acute", 1)
    data = data.replace(b",r,acute", b",r\xe9,acute", 1)
    pkg.file("projects.csv").write_bytes(data)


def _remove_line(table, line):
    def mutate(pkg):
        rows = pkg.rows(table)
        del rows[line - 1]
        pkg.write_rows(table, rows)
    return mutate


def _descriptor_edit(edit):
    def mutate(pkg):
        descriptor = json.loads(pkg.file("datapackage.json").read_text())
        edit(descriptor)
        pkg.file("datapackage.json").write_text(json.dumps(descriptor, indent=2))
    return mutate


def _resource(descriptor, name):
    return next(r for r in descriptor["resources"] if r["name"] == name)


CASES = {
    "not-utf8": (
        _bad_bytes,
        ["projects.csv, line 2: not UTF-8 text (byte e9); save the file as UTF-8 [encoding]"],
    ),
    "ragged-row": (
        lambda pkg: pkg.append_text("contexts", "c-9,alpha,policy\n"),
        ['contexts.csv, line 5: the line has 3 cells but the header has 7 [row-shape]'],
    ),
    "blank-row": (
        lambda pkg: pkg.append_text("follow_on", "\n,,,,,,\n"),
        ["follow_on.csv, line 3: the line is blank; delete it [blank-row]",
         "follow_on.csv, line 4: the line is blank; delete it [blank-row]"],
    ),
    "empty-file": (
        lambda pkg: pkg.file("outcomes.csv").write_text(""),
        ["outcomes.csv: the file is empty; it needs at least a header line [empty-file]",
         # The evidence row that cites the outcome cannot be checked against a table that
         # is not there, so nothing cascades; only the empty file is reported.
         ],
    ),
    "missing-file": (
        lambda pkg: pkg.file("follow_on.csv").unlink(),
        ["follow_on.csv: the file is missing; datapackage.json declares table 'follow_on' "
         "here [missing-file]"],
    ),
    "bad-quotes": (
        lambda pkg: pkg.append_text("findings", 'f2,ctg,finding,"unclosed"quote,2,x,stated,\n'),
        ["findings.csv, line 3: the CSV cannot be read here: ',' expected after '\"'; "
         "check the quotes [csv-syntax]"],
    ),
    "missing-and-extra-column": (
        lambda pkg: pkg.write_rows("follow_on", [
            ["follow_on_id", "project_id", "descripton", "period", "source_ids", "basis",
             "explanation"], *pkg.rows("follow_on")[1:]]),
        ['follow_on.csv, line 1, column "description": the header lacks this declared column '
         "[missing-column]",
         'follow_on.csv, line 1, column "descripton": the header has a column the schema does '
         "not declare; declared: follow_on_id, project_id, description, period, source_ids, "
         "basis, explanation [extra-column]"],
    ),
    "descriptor-not-json": (
        lambda pkg: pkg.file("datapackage.json").write_text('{\n  "name": "x",\n  oops\n}'),
        ["datapackage.json, line 3: not valid JSON: Expecting property name enclosed in double "
         "quotes (column 3) [json]"],
    ),
    "descriptor-misspelt-key": (
        _descriptor_edit(lambda d: _resource(d, "projects")["schema"].update(
            primaryKeys=["project_id"])),
        ["datapackage.json: unknown key 'primaryKeys' in resource 'projects' schema; allowed: "
         "fields, foreignKeys, missingValues, primaryKey [descriptor-key]"],
    ),
    "descriptor-drops-provenance": (
        _descriptor_edit(lambda d: _resource(d, "follow_on")["schema"].update(
            fields=[f for f in _resource(d, "follow_on")["schema"]["fields"]
                    if f["name"] != "source_ids"])),
        ['datapackage.json, column "source_ids": table \'follow_on\' must declare a '
         "'source_ids' field: every fact needs its sources and basis [provenance]"],
    ),
    "type-integer": (
        lambda pkg: pkg.set_cell("programmes", 2, "launch_year", "twenty ten"),
        ['programmes.csv, line 2, column "launch_year": \'twenty ten\' must be a whole number '
         "[type]"],
    ),
    "type-number": (
        lambda pkg: pkg.set_cell("outcomes", 2, "value", "30%"),
        ['outcomes.csv, line 2, column "value": \'30%\' must be a number (use . for decimals, '
         "no units or commas) [type]"],
    ),
    "type-date": (
        lambda pkg: pkg.set_cell("sources", 2, "accessed", "26/11/2026"),
        ['sources.csv, line 2, column "accessed": \'26/11/2026\' must be a date written '
         "YYYY-MM-DD [type]"],
    ),
    "enum": (
        lambda pkg: pkg.set_cell("projects", 3, "membership", "maybe"),
        ['projects.csv, line 3, column "membership": \'maybe\' must be one of confirmed, '
         "probable, unidentified [enum]"],
    ),
    "required": (
        lambda pkg: pkg.set_cell("projects", 2, "title", ""),
        ['projects.csv, line 2, column "title": a value is required [required]'],
    ),
    "pattern": (
        lambda pkg: pkg.set_cell("sources", 2, "url", "www.example.org/no-scheme"),
        ['sources.csv, line 2, column "url": \'www.example.org/no-scheme\' does not match the '
         "pattern https?://\\S+ [pattern]"],
    ),
    "minimum": (
        lambda pkg: pkg.set_cell("programmes", 2, "grant_per_project_gbp", "-5"),
        ['programmes.csv, line 2, column "grant_per_project_gbp": \'-5\' is below the minimum 0 '
         "[minimum]"],
    ),
    "unique-id": (
        lambda pkg: pkg.set_cell("mechanism_evidence", 5, "evidence_id", "a-ev-1"),
        ['mechanism_evidence.csv, line 5, column "evidence_id": \'a-ev-1\' is already used on '
         "line 2 [unique]"],
    ),
    "composite-primary-key": (
        lambda pkg: pkg.set_cell("project_relationships", 3, "relationship_type_id",
                                 "individual_professional"),
        ['project_relationships.csv, line 3, column "project_id, relationship_type_id": this '
         "combination is already used on line 2 [primary-key]"],
    ),
    "foreign-key": (
        lambda pkg: pkg.set_cell("contexts", 3, "project_id", "betta"),
        ["contexts.csv, line 3, column \"project_id\": 'betta' is not found in "
         "projects.csv (column project_id) [foreign-key]"],
    ),
    "id-list-reference": (
        lambda pkg: pkg.set_cell("mechanism_evidence", 2, "outcome_ids", "a-out-1; a-out-9"),
        ["mechanism_evidence.csv, line 2, column \"outcome_ids\": 'a-out-9' is not found "
         "in outcomes.csv (column outcome_id) [foreign-key]"],
    ),
    "citation-syntax": (
        lambda pkg: pkg.set_cell("contexts", 4, "source_ids", "hf-programme-page[para 2"),
        ['contexts.csv, line 4, column "source_ids": \'hf-programme-page[para 2\' is not a '
         "citation; write source ids as 'id' or 'id[locator]' separated by ';' "
         "[citation-syntax]"],
    ),
    "unresolved-source": (
        lambda pkg: pkg.set_cell("outcomes", 2, "source_ids", "hf-programme-page; hf-made-up"),
        ["outcomes.csv, line 2, column \"source_ids\": 'hf-made-up' is not found in "
         "sources.csv (column source_id) [source-reference]"],
    ),
    "activity-of-another-project": (
        lambda pkg: pkg.set_cell("mechanism_evidence", 4, "activity_ids", "a-act-1"),
        ["mechanism_evidence.csv, line 4, column \"activity_ids\": 'a-act-1' belongs to "
         "project 'alpha', not to this row's project 'beta' [same-project]"],
    ),
    "coded-without-explanation": (
        lambda pkg: pkg.set_cell("mechanism_evidence", 4, "explanation", " "),
        ['mechanism_evidence.csv, line 4, column "explanation": a value is required when basis '
         "is 'coded' [explanation]"],
    ),
    "quantitative-without-unit": (
        lambda pkg: pkg.set_cell("outcomes", 2, "unit", ""),
        ['outcomes.csv, line 2, column "unit": a value is required when kind is '
         "'quantitative' [quantitative-outcome]"],
    ),
    "implausible-percentage": (
        lambda pkg: pkg.set_cell("outcomes", 2, "value", "130"),
        ['outcomes.csv, line 2, column "value": a percentage must lie between 0 and 100 '
         "[plausibility]"],
    ),
    "project-left-out": (
        _remove_line("projects", 4),
        ['projects.csv, column "programme_id": programme \'ctg\' funded 3 projects but '
         "projects.csv has 2; record unidentified projects as rows with membership "
         "'unidentified' rather than leaving them out [plausibility]"],
    ),
    "nul-character": (
        lambda pkg: pkg.set_cell("findings", 2, "text", "activities\x00"),
        ['findings.csv, line 2, column "text": contains a NUL character [control-character]'],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_validate_reports_exactly_the_planted_problem(mini_copy, case):
    """Each broken package yields exactly the expected, located messages."""
    mutate, expected = CASES[case]
    mutate(mini_copy)
    assert [str(p) for p in explorer.validate(mini_copy.path)] == expected


@pytest.mark.parametrize("case", list(CASES))
def test_load_raises_one_data_error_listing_every_problem(mini_copy, case):
    """Loading a broken package raises DataError (an ExplorerError), never anything else."""
    mutate, expected = CASES[case]
    mutate(mini_copy)
    with pytest.raises(explorer.DataError) as raised:
        explorer.load(mini_copy.path)
    assert [str(p) for p in raised.value.problems] == expected
    assert all(line in str(raised.value) for line in expected)


@pytest.mark.parametrize("case", list(CASES))
def test_cli_exits_1_with_the_message_and_no_traceback(mini_copy, case, capsys):
    mutate, expected = CASES[case]
    mutate(mini_copy)
    assert main(["validate", str(mini_copy.path)]) == 1
    out = capsys.readouterr()
    assert all(line in out.out for line in expected)
    assert "Traceback" not in out.out + out.err


def test_the_corpus_covers_every_problem_class():
    """Every rule the validator can report has a case here (so each message is tested)."""
    rules = {line.rsplit("[", 1)[1].rstrip("]") for _, lines in CASES.values() for line in lines}
    assert rules >= {
        "encoding", "row-shape", "blank-row", "empty-file", "missing-file", "csv-syntax",
        "missing-column", "extra-column", "json", "descriptor-key", "provenance", "type",
        "enum", "required", "pattern", "minimum", "unique", "primary-key", "foreign-key",
        "citation-syntax", "source-reference", "same-project", "explanation",
        "quantitative-outcome", "plausibility", "control-character",
    }


def test_problems_in_several_files_are_all_reported_at_once(mini_copy):
    """Validation does not stop at the first problem."""
    mini_copy.set_cell("projects", 3, "membership", "maybe")
    mini_copy.set_cell("outcomes", 2, "unit", "")
    mini_copy.file("follow_on.csv").unlink()
    rules = [p.rule for p in explorer.validate(mini_copy.path)]
    assert sorted(rules) == ["enum", "missing-file", "quantitative-outcome"]


def test_provenance_only_problems_raise_provenance_error(mini_copy):
    mini_copy.set_cell("outcomes", 2, "source_ids", "hf-made-up")
    with pytest.raises(explorer.ProvenanceError):
        explorer.load(mini_copy.path)


def test_a_long_hostile_value_is_shortened_in_the_message(mini_copy):
    """A 4 kB cell does not flood the report; the full value stays on the problem."""
    value = "<script>alert(1)</script>" + "x" * 4096
    mini_copy.set_cell("projects", 3, "membership", value)
    (problem,) = explorer.validate(mini_copy.path)
    assert problem.value == value
    assert len(str(problem)) < 300


def test_random_corruption_never_escapes_as_a_traceback(data_copy):
    """Problems not in the corpus still come back as Problems, never as exceptions.

    200 seeded corruptions of the real data: bytes flipped, deleted or duplicated in a
    random file (CSV or descriptor). Each must validate to a list (possibly empty).
    """
    rng = random.Random(20261126)
    files = sorted(data_copy.path.iterdir())
    originals = {f: f.read_bytes() for f in files}
    for _ in range(200):
        target = rng.choice(files)
        data = bytearray(originals[target])
        for _ in range(rng.randint(1, 5)):
            position = rng.randrange(len(data))
            action = rng.choice(("flip", "delete", "duplicate", "quote", "newline"))
            if action == "flip":
                data[position] = rng.randrange(256)
            elif action == "delete":
                del data[position]
            elif action == "duplicate":
                data[position:position] = data[position:position + 40]
            elif action == "quote":
                data[position:position] = b'"'
            else:
                data[position:position] = b"\n"
        target.write_bytes(bytes(data))
        problems = explorer.validate(data_copy.path)
        assert isinstance(problems, list)
        target.write_bytes(originals[target])
