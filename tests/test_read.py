"""Specifications of explorer.read: where the package is, and how its files are read."""

from __future__ import annotations

import csv
import io
import json

import pytest

import explorer
from explorer.data.read import BASE_ENV_VAR, ENV_VAR, data_path, read_package
from explorer.errors import Rule

from conftest import DATA

# --- where the package is -------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch):
    """No data-location variables from the caller's shell."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.delenv(BASE_ENV_VAR, raising=False)
    return monkeypatch


def test_explorer_data_path_is_the_read_step_function():
    """The public ``explorer.data_path`` is the one in the read step."""
    assert explorer.data_path is data_path


def test_default_path_is_the_embedded_data(clean_env):
    """With no path and no $EXPLORER_DATA, the embedded data is used."""
    assert data_path() == DATA


def test_an_empty_explorer_data_means_the_embedded_data(clean_env):
    """EXPLORER_DATA= (set but empty) is the same as unset."""
    clean_env.setenv(ENV_VAR, "")
    assert data_path() == DATA


def test_a_relative_explorer_data_is_resolved_against_the_current_directory(clean_env, tmp_path):
    """Without $EXPLORER_DATA_BASE, a relative path starts from the current directory."""
    clean_env.chdir(tmp_path)
    clean_env.setenv(ENV_VAR, "package")
    assert data_path() == tmp_path / "package"


def test_the_current_directory_is_read_when_the_path_is_asked_for(clean_env, tmp_path):
    """The directory is the one current at the call, not at import time."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    clean_env.setenv(ENV_VAR, "package")
    clean_env.chdir(tmp_path / "a")
    first = data_path()
    clean_env.chdir(tmp_path / "b")
    assert (first, data_path()) == (tmp_path / "a" / "package", tmp_path / "b" / "package")


def test_a_relative_explorer_data_is_resolved_against_explorer_data_base(clean_env, tmp_path):
    """A dashboard kernel runs in notebooks/, yet the path means where the user ran the command."""
    (tmp_path / "notebooks").mkdir()
    clean_env.chdir(tmp_path / "notebooks")
    clean_env.setenv(BASE_ENV_VAR, str(tmp_path))
    clean_env.setenv(ENV_VAR, "package")
    assert data_path() == tmp_path / "package"


def test_a_relative_path_argument_follows_the_same_rule(clean_env, tmp_path):
    """A relative ``path`` argument is resolved exactly as a relative $EXPLORER_DATA."""
    (tmp_path / "notebooks").mkdir()
    clean_env.chdir(tmp_path / "notebooks")
    assert data_path("package") == tmp_path / "notebooks" / "package"
    clean_env.setenv(BASE_ENV_VAR, str(tmp_path))
    assert data_path("package") == tmp_path / "package"


def test_an_absolute_path_ignores_explorer_data_base(clean_env, tmp_path):
    """$EXPLORER_DATA_BASE only anchors relative paths."""
    clean_env.setenv(BASE_ENV_VAR, str(tmp_path / "elsewhere"))
    assert data_path(tmp_path / "package") == tmp_path / "package"


def test_the_folder_is_absolute_and_resolved(clean_env, tmp_path):
    """``..`` and symbolic links are resolved, so every caller sees the same folder."""
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    clean_env.chdir(tmp_path)
    assert data_path("other/../link") == tmp_path / "real"
    assert data_path("link").is_absolute()


def test_a_path_to_the_descriptor_means_its_folder(clean_env, tmp_path):
    """``…/datapackage.json`` is accepted for the folder that holds it."""
    assert data_path(tmp_path / "package" / "datapackage.json") == tmp_path / "package"


def test_home_is_expanded(clean_env, tmp_path):
    """``~/package`` means the package in the user's home folder."""
    clean_env.setenv("HOME", str(tmp_path))
    assert data_path("~/package") == tmp_path / "package"


def test_a_relative_explorer_data_loads_from_a_kernel_directory(clean_env, mini_path):
    """End to end: a kernel in another directory loads the package the user pointed at."""
    clean_env.setenv(BASE_ENV_VAR, str(mini_path.parent))
    clean_env.setenv(ENV_VAR, mini_path.name)
    clean_env.chdir("/")
    assert explorer.load().path == mini_path


# --- reading files ----------------------------------------------------------------------


def _write(pkg, table, text, encoding="utf-8"):
    pkg.file(f"{table}.csv").write_bytes(text.encode(encoding))


def _declare(pkg, table, **keys):
    descriptor = json.loads(pkg.file("datapackage.json").read_text(encoding="utf-8"))
    resource = next(r for r in descriptor["resources"] if r["name"] == table)
    for key, value in keys.items():
        if key == "missingValues":
            resource["schema"][key] = value
        else:
            resource[key] = value
    pkg.file("datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")


def _csv(rows, **dialect):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n", **dialect).writerows(rows)
    return buffer.getvalue()


def _contexts(pkg):
    package = read_package(pkg.path)
    return package, package.tables["contexts"]


def test_raw_tables_hold_text_and_none_for_missing_cells(mini_path):
    """Cells are their text; an empty cell (the default missing value) is None."""
    alpha = read_package(mini_path).tables["projects"].rows[0]
    assert (alpha["title"], alpha["start_date"], alpha["grant_gbp"]) == ("t", "2011", None)


def test_reading_reports_file_problems_only(mini_copy):
    """A bad cell is the validator's business: reading reports nothing about it."""
    mini_copy.set_cell("projects", 3, "membership", "maybe")
    package = read_package(mini_copy.path)
    assert package.problems == []
    assert package.tables["projects"].rows[1]["membership"] == "maybe"


def test_blank_and_ragged_rows_are_left_out_and_lines_are_spreadsheet_lines(mini_copy):
    """Rows after a skipped line keep the line number a spreadsheet shows."""
    mini_copy.append_text("contexts", "\nc-9,alpha\nc-10,alpha,policy,d,hf-programme-page,"
                                      "stated,\n")
    package, contexts = _contexts(mini_copy)
    assert [(p.line, p.rule) for p in package.problems] == [(5, Rule.BLANK_ROW),
                                                            (6, Rule.ROW_SHAPE)]
    assert contexts.lines == [2, 3, 4, 7]
    assert contexts.rows[-1]["context_id"] == "c-10"


def test_a_header_that_differs_from_the_schema_leaves_no_table(mini_copy):
    """No cell of a table with a wrong header is trusted (so nothing cascades)."""
    rows = mini_copy.rows("follow_on")
    rows[0][0] = "id"
    mini_copy.write_rows("follow_on", rows)
    assert "follow_on" not in read_package(mini_copy.path).tables


def test_a_file_in_its_declared_encoding_is_decoded(mini_copy):
    """``encoding: latin-1`` reads bytes that are not UTF-8 as the declared characters."""
    rows = mini_copy.rows("contexts")
    rows[1][rows[0].index("description")] = "café budget"
    _write(mini_copy, "contexts", _csv(rows), encoding="latin-1")
    _declare(mini_copy, "contexts", encoding="latin-1")
    package, contexts = _contexts(mini_copy)
    assert package.problems == []
    assert contexts.rows[0]["description"] == "café budget"


def test_a_file_not_in_its_declared_encoding_names_that_encoding(mini_copy):
    """A byte the declared encoding cannot decode is reported with that encoding's name."""
    _write(mini_copy, "contexts", "context_id\n\u00e9\n", encoding="utf-8")
    _declare(mini_copy, "contexts", encoding="ascii")
    assert [str(p) for p in read_package(mini_copy.path).problems] == [
        "contexts.csv, line 2: not ascii text (byte c3); save the file as ascii or "
        "declare its encoding in datapackage.json [encoding]"]


def test_a_utf8_byte_order_mark_is_tolerated(mini_copy):
    """Spreadsheet programs often write a BOM; the first column name is still found."""
    data = mini_copy.file("contexts.csv").read_bytes()
    mini_copy.file("contexts.csv").write_bytes(b"\xef\xbb\xbf" + data)
    package, contexts = _contexts(mini_copy)
    assert package.problems == []
    assert contexts.rows[0]["context_id"] == "a-ctx-1"


def test_the_declared_delimiter_and_quote_char_are_applied(mini_copy):
    """A ``;``-separated file quoted with ``'`` reads the same cells as the comma file."""
    rows = mini_copy.rows("contexts")
    rows[1][rows[0].index("description")] = "money; tight"
    _write(mini_copy, "contexts", _csv(rows, delimiter=";", quotechar="'"))
    _declare(mini_copy, "contexts", dialect={"delimiter": ";", "quoteChar": "'"})
    package, contexts = _contexts(mini_copy)
    assert package.problems == []
    assert contexts.rows[0]["description"] == "money; tight"
    assert explorer.validate(mini_copy.path) == []


def test_skip_initial_space_is_applied(mini_copy):
    """``skipInitialSpace: true`` drops the spaces after each delimiter."""
    rows = mini_copy.rows("contexts")
    _write(mini_copy, "contexts", "\n".join(", ".join(row) for row in rows) + "\n")
    _declare(mini_copy, "contexts", dialect={"skipInitialSpace": True})
    package, contexts = _contexts(mini_copy)
    assert package.problems == []
    assert contexts.rows[0]["project_id"] == "alpha"


def test_double_quote_is_applied(mini_copy):
    """``""`` inside quotes is one quote by default, and not when doubleQuote is false."""
    rows = mini_copy.rows("contexts")
    rows[1][rows[0].index("description")] = 'say "hi"'
    _write(mini_copy, "contexts", _csv(rows))
    assert _contexts(mini_copy)[1].rows[0]["description"] == 'say "hi"'
    _declare(mini_copy, "contexts", dialect={"doubleQuote": False})
    assert _contexts(mini_copy)[1].rows[0]["description"] != 'say "hi"'


@pytest.mark.parametrize("terminator", ["\r\n", "\r", "\n"])
def test_every_accepted_line_terminator_reads_alike(mini_copy, terminator):
    """Files ending lines with CRLF, CR or LF give the same rows."""
    expected = _contexts(mini_copy)[1].rows
    text = mini_copy.file("contexts.csv").read_text(encoding="utf-8")
    _write(mini_copy, "contexts", text.replace("\n", terminator))
    _declare(mini_copy, "contexts", dialect={"lineTerminator": terminator})
    assert _contexts(mini_copy)[1].rows == expected


def test_declared_missing_values_replace_the_default(mini_copy):
    """With ``missingValues: ["NA"]``, "NA" is missing and an empty cell is empty text."""
    mini_copy.set_cell("contexts", 2, "description", "NA")
    _declare(mini_copy, "contexts", missingValues=["NA"])
    first = _contexts(mini_copy)[1].rows[0]
    assert (first["description"], first["explanation"]) == (None, "")


def test_reading_uses_the_descriptor_of_the_folder_it_was_given(mini_path):
    """The raw package carries the descriptor it was read with."""
    package = read_package(mini_path / "datapackage.json")
    assert package.descriptor.folder == mini_path
    assert set(package.tables) == {spec.name for spec in package.descriptor.resources}
