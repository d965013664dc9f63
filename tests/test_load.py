"""Specifications of explorer.load: typed tables read from the one declared schema."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import explorer
from explorer import Citation

DATA_LAYER = ("errors", "descriptor", "read", "validate", "load")  # upstream first
PACKAGE_DIR = Path(explorer.__file__).parent


def test_each_declared_table_is_a_dataframe_with_declared_columns(mini):
    """Every declared table loads, with its declared columns in order."""
    for spec in mini.descriptor.resources:
        assert list(mini[spec.name].columns) == list(spec.field_names)
        assert getattr(mini, spec.name) is mini[spec.name]


def test_enum_fields_are_ordered_categoricals_in_declared_order(mini):
    """A vocabulary keeps the order the descriptor gives it."""
    strength = mini.mechanism_evidence.strength
    assert isinstance(strength.dtype, pd.CategoricalDtype)
    assert list(strength.cat.categories) == list(
        mini.descriptor.resource("mechanism_evidence").field("strength").enum)
    assert strength.cat.ordered


def test_numbers_are_nullable_and_empty_means_missing(mini):
    """Numbers are nullable: an empty cell loads as NA, not as 0."""
    assert str(mini.projects.grant_gbp.dtype) == "Float64"
    assert mini.projects.grant_gbp.isna().all()
    assert str(mini.programmes.launch_year.dtype) == "Int64"


def test_dates_are_datetimes_and_text_is_string(mini):
    """Dates load as datetimes; free text as pandas strings."""
    assert pd.api.types.is_datetime64_any_dtype(mini.sources.accessed)
    assert str(mini.projects.title.dtype).startswith("string")


def test_source_ids_are_parsed_into_citations_with_locators(mini):
    """A citation list loads as Citation tuples that print back as written."""
    first = mini.projects.source_ids.iloc[0]
    assert first == (Citation("hf-programme-page", "para 1"),)
    assert str(first[0]) == "hf-programme-page[para 1]"


def test_id_lists_become_tuples(mini):
    """An id list loads as a tuple of ids; an empty one as ()."""
    row = mini.mechanism_evidence.set_index("evidence_id").loc["a-ev-3"]
    assert row.context_ids == ("a-ctx-1", "a-ctx-2")
    assert row.outcome_ids == ()


def test_citations_is_a_tidy_table_of_every_citation(mini):
    """Dataset.citations() has one row per citation, keyed by table and row key."""
    table = mini.citations()
    assert list(table.columns) == ["table", "row_key", "source_id", "locator"]
    assert ("contexts", "a-ctx-2", "hf-programme-page", "para 2") in set(
        table.itertuples(index=False, name=None))


def test_version_and_data_as_of_come_from_the_descriptor(mini):
    """The dataset version and date are the descriptor's."""
    assert mini.version == mini.descriptor.version
    assert len(mini.data_as_of) == 10


def test_unknown_table_attribute_names_the_tables(mini):
    """A misspelt table name is answered with the list of tables."""
    with pytest.raises(AttributeError, match="no table 'project'; tables: sources"):
        _ = mini.project


def test_explorer_data_points_the_package_elsewhere(monkeypatch, mini_path):
    """$EXPLORER_DATA replaces the embedded data for load()."""
    monkeypatch.setenv("EXPLORER_DATA", str(mini_path))
    assert explorer.load().path == mini_path
    assert len(explorer.load().projects) == 3


def test_a_path_to_the_descriptor_file_is_accepted(mini_path):
    """load() takes the package folder or its datapackage.json."""
    assert explorer.load(mini_path / "datapackage.json").path == mini_path


def test_a_folder_without_a_package_gives_a_plain_message(tmp_path):
    """Pointing at a folder with no package says what to do, in plain words."""
    with pytest.raises(explorer.DataError, match=r"no datapackage\.json in .*; point "
                       "EXPLORER_DATA at a folder that holds one") as raised:
        explorer.load(tmp_path)
    assert str(tmp_path.resolve()) in str(raised.value)  # says which folder it looked in


def test_a_dashboard_kernel_reads_a_relative_path_from_the_servers_folder(tmp_path,
                                                                          monkeypatch):
    """Inside a kernel (``$JPY_PARENT_PID``), a relative EXPLORER_DATA is read from the folder
    the server was started in, as the shell that started it meant, not from notebooks/."""
    from explorer.data.read import data_path, start_folder

    server = tmp_path / "server-folder"
    server.mkdir()
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"],
                               cwd=server)
    try:
        monkeypatch.setenv("JPY_PARENT_PID", str(process.pid))
        monkeypatch.delenv("EXPLORER_DATA_BASE", raising=False)
        monkeypatch.chdir(tmp_path)
        assert start_folder() == str(server)
        assert data_path("my-evidence") == (server / "my-evidence").resolve()
    finally:
        process.kill()
        process.wait()


def test_importing_explorer_does_not_import_plotly_or_widgets():
    """Analysts and the CLI pay only for pandas; figures and widgets load on use."""
    code = ("import sys, explorer; "
            "print(sorted(m for m in ('plotly', 'ipywidgets') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _module_files(module: str) -> list[Path]:
    """A module's source: its file, or every file of its package."""
    folder = PACKAGE_DIR if module == "errors" else PACKAGE_DIR / "data"
    single = folder / f"{module}.py"
    return [single] if single.is_file() else sorted((folder / module).glob("*.py"))


@pytest.mark.parametrize("module", DATA_LAYER)
def test_the_data_layer_imports_only_upstream_modules(module):
    """descriptor → read → validate → load: no import downstream, none inside a function.
    Inside a package (``descriptor/``), its own submodules may import each other."""
    files = _module_files(module)
    assert files, module
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        in_package = path.parent not in (PACKAGE_DIR, PACKAGE_DIR / "data")
        top_level = [node for node in tree.body if isinstance(node, ast.ImportFrom)
                     and node.level and not (in_package and node.level == 1)]
        imported = {(node.module or alias.name).split(".")[0]
                    for node in top_level for alias in node.names}
        assert imported <= set(DATA_LAYER[:DATA_LAYER.index(module)]), path.name
        nested = [ast.unparse(node) for node in ast.walk(tree)
                  if isinstance(node, ast.Import | ast.ImportFrom) and node not in tree.body]
        assert nested == [], path.name


def test_a_declared_missing_value_loads_as_missing(mini_copy):
    """A cell whose text is a declared missing value loads as NA, like an empty one."""
    path = mini_copy.file("datapackage.json")
    raw = json.loads(path.read_text(encoding="utf-8"))
    contexts = next(r for r in raw["resources"] if r["name"] == "contexts")
    contexts["schema"]["missingValues"] = ["", "NA"]
    path.write_text(json.dumps(raw), encoding="utf-8")
    mini_copy.set_cell("contexts", 2, "explanation", "NA")
    loaded = explorer.load(mini_copy.path).contexts
    assert loaded.explanation.isna().all()
    assert loaded.description.iloc[0] == "money tight"
