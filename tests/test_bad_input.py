"""The bad-input corpus: each case breaks a copy of the mini package in one way.

Every case states the exact report a curator sees — file, spreadsheet line, column, the
offending value and the rule — and that it is the *only* problem reported (no cascades).
Each is checked through ``explorer.validate``, ``explorer.load`` (which must raise one
``DataError``, never anything else) and the command line (exit 1, no traceback).

Every rule in ``explorer.errors.Rule`` has at least one case here, and no module reports a
rule that is not in the registry: both are checked below, from the code, so a new rule
without a case fails the suite.
"""

from __future__ import annotations

import ast
import json
import random
from pathlib import Path

import pytest

import explorer
from explorer.cli import main
from explorer.errors import Rule

PACKAGE_DIR = Path(explorer.__file__).parent


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


def _field(descriptor, table, name):
    return next(f for f in _resource(descriptor, table)["schema"]["fields"]
                if f["name"] == name)


def _constrain(table, name, **constraints):
    """Add constraints to one field of the descriptor."""
    return _descriptor_edit(
        lambda d: _field(d, table, name).setdefault("constraints", {}).update(constraints))


def _without_codings_of(evidence_id):
    """Drop a record's codings, so that renaming the record plants one problem, not three."""
    def mutate(pkg):
        rows = pkg.rows("mechanism_codings")
        pkg.write_rows("mechanism_codings", [r for r in rows if r[0] != evidence_id])
    return mutate


#: A copy of the mini package's one source, naming it as its origin (test data).
_COPY = ("copy-a,Copy,false,P,,2014,https://example.org/c,2026-11-26,funder_page,k,funder,i,"
         "hf-programme-page,a copy of the programme page,unknown,\n")


def _then(*mutations):
    def mutate(pkg):
        for mutation in mutations:
            mutation(pkg)
    return mutate


def _duplicate_column(pkg):
    rows = pkg.rows("follow_on")
    pkg.write_rows("follow_on", [[*row, value] for row, value in
                                 zip(rows, ["period"] + ["2015"] * (len(rows) - 1), strict=True)])


def _descriptor_bad_bytes(pkg):
    data = pkg.file("datapackage.json").read_bytes().lstrip().removeprefix(b"{")
    pkg.file("datapackage.json").write_bytes(b'{\n  "title": "Caf\xe9 evidence",' + data)


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
        _then(lambda pkg: pkg.set_cell("mechanism_evidence", 5, "evidence_id", "a-ev-1"),
              _without_codings_of("a-ev-3")),
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
    "confidence-override-without-reason": (
        lambda pkg: pkg.set_cell("mechanism_evidence", 2, "confidence_override", "high"),
        ['mechanism_evidence.csv, line 2, column "confidence_override_reason": a value is '
         "required when confidence_override is set (to 'high'): say why it replaces the "
         "computed value [override-reason]"],
    ),
    "origin-without-its-reason": (
        _then(lambda pkg: pkg.append_text("sources", _COPY),
              lambda pkg: pkg.set_cell("sources", 3, "origin_explanation", "")),
        ['sources.csv, line 3, column "origin_explanation": a value is required when '
         "origin_id is set (to 'hf-programme-page'): say why the source shares that origin "
         "[explanation]"],
    ),
    "origin-with-an-origin-of-its-own": (
        _then(lambda pkg: pkg.append_text("sources", _COPY),
              lambda pkg: pkg.append_text("sources", _COPY.replace("copy-a", "copy-b")
                                          .replace(",hf-programme-page,", ",copy-a,"))),
        ["sources.csv, line 4, column \"origin_id\": 'copy-a' has an origin of its own "
         "('hf-programme-page'); name that one, so every source of one origin names the "
         "same source [origin]"],
    ),
    "source-its-own-named-origin": (
        _then(lambda pkg: pkg.set_cell("sources", 2, "origin_id", "hf-programme-page"),
              lambda pkg: pkg.set_cell("sources", 2, "origin_explanation", "itself")),
        ["sources.csv, line 2, column \"origin_id\": 'hf-programme-page' is this source "
         "itself: a source is its own origin when origin_id is empty, so leave it empty "
         "[origin]"],
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
    "project-added": (
        lambda pkg: pkg.append_text(
            "projects", "delta,ctg,t,Delta,x,not found,r,acute_hospital,s,p,2011,not found,,"
                        "not found,s,confirmed,b,hf-programme-page[para 1],stated,\n"),
        ['projects.csv, column "programme_id": programme \'ctg\' funded 3 projects but '
         "projects.csv has 4; a project from elsewhere belongs to a programme of its own "
         "(a new row in programmes.csv) [plausibility]"],
    ),
    "nul-character": (
        lambda pkg: pkg.set_cell("findings", 2, "text", "activities\x00"),
        ['findings.csv, line 2, column "text": contains a NUL character [control-character]'],
    ),
    "duplicate-column": (
        _duplicate_column,
        ['follow_on.csv, line 1, column "period": this column appears more than once in the '
         "header [duplicate-column]"],
    ),
    "maximum": (
        lambda pkg: pkg.set_cell("programmes", 2, "end_year", "2200"),
        ['programmes.csv, line 2, column "end_year": \'2200\' is above the maximum 2100 '
         "[maximum]"],
    ),
    "integer-too-large": (
        lambda pkg: pkg.set_cell("programmes", 2, "project_count", "9" * 20),
        ['programmes.csv, line 2, column "project_count": \'99999999999999999999\' is too '
         "large; whole numbers must lie within ±9.2 × 10^18 [type]"],
    ),
    "min-length": (
        _then(_constrain("projects", "short_name", minLength=2),
              lambda pkg: pkg.set_cell("projects", 2, "short_name", "A")),
        ['projects.csv, line 2, column "short_name": \'A\' is shorter than the minimum '
         "length 2 [min-length]"],
    ),
    "max-length": (
        _constrain("findings", "text", maxLength=10),
        ['findings.csv, line 2, column "text": \'activities are not mechanisms\' is longer '
         "than the maximum length 10 (29 characters) [max-length]"],
    ),
    "format-uri": (
        _then(_descriptor_edit(lambda d: _field(d, "sources", "url").update(format="uri")),
              lambda pkg: pkg.set_cell("sources", 2, "url", "example dot org")),
        ['sources.csv, line 2, column "url": \'example dot org\' must be a URI, e.g. '
         "https://example.org/page [format]"],
    ),
    "pattern-of-an-id-list": (
        lambda pkg: pkg.set_cell("mechanism_evidence", 2, "context_ids", "a-ctx-1, a-ctx-2"),
        ['mechanism_evidence.csv, line 2, column "context_ids": \'a-ctx-1, a-ctx-2\' does not '
         "match the pattern [a-z0-9][a-z0-9_-]*(; ?[a-z0-9][a-z0-9_-]*)* [pattern]"],
    ),
    "citation-list-with-one-bad-item": (
        lambda pkg: pkg.set_cell("outcomes", 2, "source_ids", "hf-programme-page; HF page"),
        ['outcomes.csv, line 2, column "source_ids": \'HF page\' is not a citation; write '
         "source ids as 'id' or 'id[locator]' separated by ';' [citation-syntax]"],
    ),
    "citation-list-badly-separated": (
        lambda pkg: pkg.set_cell("outcomes", 2, "source_ids",
                                 "hf-programme-page;  hf-programme-page"),
        ['outcomes.csv, line 2, column "source_ids": \'hf-programme-page;  hf-programme-page\' '
         "is not a list of citations; write source ids as 'id' or 'id[locator]' separated "
         "by ';' [citation-syntax]"],
    ),
    "declared-missing-value-in-a-required-cell": (
        _then(_descriptor_edit(lambda d: _resource(d, "projects")["schema"].update(
                  missingValues=["", "n/a"])),
              lambda pkg: pkg.set_cell("projects", 2, "title", "n/a")),
        ['projects.csv, line 2, column "title": a value is required [required]'],
    ),
    "single-column-primary-key-not-declared-unique": (
        _then(_descriptor_edit(lambda d: _field(d, "mechanism_evidence", "evidence_id")[
                  "constraints"].pop("unique")),
              lambda pkg: pkg.set_cell("mechanism_evidence", 5, "evidence_id", "a-ev-1"),
              _without_codings_of("a-ev-3")),
        ['mechanism_evidence.csv, line 5, column "evidence_id": \'a-ev-1\' is already used on '
         "line 2 [primary-key]"],
    ),
    "programme-years-out-of-order": (
        lambda pkg: pkg.set_cell("programmes", 2, "launch_year", "2012"),
        ['programmes.csv, line 2, column "start_year": years must run launch ≤ start ≤ end '
         "[plausibility]"],
    ),
    "descriptor-missing": (
        lambda pkg: pkg.file("datapackage.json").unlink(),
        ["datapackage.json: no datapackage.json in {folder}; point EXPLORER_DATA at a folder "
         "that holds one (an absolute path, or one relative to the folder the server was "
         "started in, or to EXPLORER_DATA_BASE when that is set) [missing-file]"],
    ),
    "descriptor-not-utf8": (
        _descriptor_bad_bytes,
        ["datapackage.json, line 2: not UTF-8 text (byte e9); save the file as UTF-8 "
         "[encoding]"],
    ),
    "descriptor-unknown-encoding": (
        _descriptor_edit(lambda d: _resource(d, "projects").update(encoding="klingon")),
        ["datapackage.json: resource 'projects' declares encoding 'klingon', which is not a "
         "known text encoding; use e.g. 'utf-8' [descriptor]"],
    ),
    "descriptor-format-not-csv": (
        _descriptor_edit(lambda d: _resource(d, "projects").update(format="xlsx")),
        ["datapackage.json: resource 'projects' has format 'xlsx'; only 'csv' is supported "
         "[descriptor]"],
    ),
    "dialect-without-header": (
        _descriptor_edit(lambda d: _resource(d, "contexts").update(dialect={"header": False})),
        ["datapackage.json: resource 'contexts' dialect: only 'header': true is supported; the "
         "first line of each file must name its columns [descriptor]"],
    ),
    "dialect-unknown-key": (
        _descriptor_edit(lambda d: _resource(d, "contexts").update(
            dialect={"commentChar": "#"})),
        ["datapackage.json: unknown key 'commentChar' in resource 'contexts' dialect; allowed: "
         "delimiter, doubleQuote, header, lineTerminator, quoteChar, skipInitialSpace "
         "[descriptor-key]"],
    ),
    "field-format-unsupported": (
        _descriptor_edit(lambda d: _field(d, "programmes", "summary").update(
            format="markdown")),
        ['datapackage.json, column "summary": resource \'programmes\' field \'summary\' has '
         "unsupported format 'markdown'; string fields support: default, uri, email "
         "[descriptor]"],
    ),
    "constraint-for-another-type": (
        _constrain("programmes", "launch_year", pattern=r"\d{4}"),
        ['datapackage.json, column "launch_year": resource \'programmes\' field '
         "'launch_year': constraint 'pattern' does not apply to integer fields; they support: "
         "required, unique, enum, minimum, maximum [descriptor]"],
    ),
    "pattern-not-a-regular-expression": (
        _constrain("projects", "region", pattern="[a-"),
        ['datapackage.json, column "region": resource \'projects\' field \'region\' '
         "constraint 'pattern' must be a valid regular expression (unterminated character "
         "set at position 0) [descriptor]"],
    ),
    "foreign-key-to-an-undeclared-field": (
        _descriptor_edit(lambda d: _resource(d, "findings")["schema"]["foreignKeys"][0][
            "reference"].update(fields="programme")),
        ['datapackage.json, column "programme_id": table \'findings\' refers to '
         "programmes.programme, which is not a declared field [descriptor]"],
    ),
}


def expected_lines(case: str, package) -> list[str]:
    """A case's messages, with ``{folder}`` standing for the package's own folder."""
    return [line.replace("{folder}", str(package.path.resolve())) for line in CASES[case][1]]


@pytest.mark.parametrize("case", list(CASES))
def test_validate_reports_exactly_the_planted_problem(mini_copy, case):
    """Each broken package yields exactly the expected, located messages."""
    mutate, expected = CASES[case][0], expected_lines(case, mini_copy)
    mutate(mini_copy)
    assert [str(p) for p in explorer.validate(mini_copy.path)] == expected


@pytest.mark.parametrize("case", list(CASES))
def test_load_raises_one_data_error_listing_every_problem(mini_copy, case):
    """Loading a broken package raises DataError (an ExplorerError), never anything else."""
    mutate, expected = CASES[case][0], expected_lines(case, mini_copy)
    mutate(mini_copy)
    with pytest.raises(explorer.DataError) as raised:
        explorer.load(mini_copy.path)
    assert [str(p) for p in raised.value.problems] == expected
    assert all(line in str(raised.value) for line in expected)


@pytest.mark.parametrize("case", list(CASES))
def test_cli_exits_1_with_the_message_and_no_traceback(mini_copy, case, capsys):
    """`explorer validate` prints each located message and exits 1, without a traceback."""
    mutate, expected = CASES[case][0], expected_lines(case, mini_copy)
    mutate(mini_copy)
    assert main(["validate", str(mini_copy.path)]) == 1
    out = capsys.readouterr()
    assert all(line in out.out for line in expected)
    assert "Traceback" not in out.out + out.err


def _corpus_rules() -> set[str]:
    return {line.rsplit("[", 1)[1].rstrip("]") for _, lines in CASES.values() for line in lines}


def test_the_corpus_covers_every_rule_in_the_registry():
    """Every rule the validator can report has a case here (so each message is pinned)."""
    assert sorted(set(Rule) - _corpus_rules()) == []
    assert sorted(_corpus_rules() - set(Rule)) == []


def _rule_arguments(tree: ast.Module) -> list[ast.expr]:
    """The ``rule`` argument of every call to ``Problem`` or to a helper taking ``rule``."""
    positions = {"Problem": 3}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            names = [arg.arg for arg in node.args.args]
            if "rule" in names:
                positions[node.name] = names.index("rule")
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        callee = node.func.id if isinstance(node.func, ast.Name) else getattr(
            node.func, "attr", None)
        if callee not in positions:
            continue
        found += [kw.value for kw in node.keywords if kw.arg == "rule"]
        if len(node.args) > positions[callee]:
            found.append(node.args[positions[callee]])
    return found


@pytest.mark.parametrize("module", sorted(p.name for p in PACKAGE_DIR.rglob("*.py")))
def test_no_module_names_a_rule_outside_the_registry(module):
    """Problems name their rule as ``Rule.X``, never as a string the registry may not hold."""
    tree = ast.parse(next(PACKAGE_DIR.rglob(module)).read_text(encoding="utf-8"))
    literals = [ast.unparse(arg) for arg in _rule_arguments(tree)
                if isinstance(arg, ast.Constant)]
    assert literals == []


def test_the_rule_scan_sees_every_problem_the_data_layer_makes():
    """The scan above is not vacuous: it finds the rule of each Problem in the data layer."""
    for module in ("data/descriptor/package.py", "data/descriptor/dialect.py", "data/read.py",
                   "data/validate.py"):
        tree = ast.parse((PACKAGE_DIR / module).read_text(encoding="utf-8"))
        arguments = _rule_arguments(tree)
        assert arguments, module
        assert all(isinstance(arg, ast.Attribute | ast.Name) for arg in arguments), module


def test_a_problem_refuses_a_rule_outside_the_registry():
    """A rule name that is not in explorer.errors.Rule is a programming error, said plainly."""
    with pytest.raises(ValueError, match="unknown rule 'made-up'; rules are listed in"):
        explorer.Problem("x.csv", 2, "x", "made-up", None, "message")


def test_problems_in_several_files_are_all_reported_at_once(mini_copy):
    """Validation does not stop at the first problem."""
    mini_copy.set_cell("projects", 3, "membership", "maybe")
    mini_copy.set_cell("outcomes", 2, "unit", "")
    mini_copy.file("follow_on.csv").unlink()
    rules = [p.rule for p in explorer.validate(mini_copy.path)]
    assert sorted(rules) == ["enum", "missing-file", "quantitative-outcome"]


def test_provenance_only_problems_raise_provenance_error(mini_copy):
    """When every problem is about provenance, load raises the narrower ProvenanceError."""
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
