"""Specifications of explorer.load: typed tables read from the one declared schema."""

from __future__ import annotations

import pandas as pd
import pytest

import explorer
from explorer import Citation
from explorer.read import data_path

from conftest import DATA


def test_each_declared_table_is_a_dataframe_with_declared_columns(mini):
    for spec in mini.descriptor.resources:
        assert list(mini[spec.name].columns) == list(spec.field_names)
        assert getattr(mini, spec.name) is mini[spec.name]


def test_enum_fields_are_ordered_categoricals_in_declared_order(mini):
    strength = mini.mechanism_evidence.strength
    assert isinstance(strength.dtype, pd.CategoricalDtype)
    assert list(strength.cat.categories) == list(
        mini.descriptor.resource("mechanism_evidence").field("strength").enum)
    assert strength.cat.ordered


def test_numbers_are_nullable_and_empty_means_missing(mini):
    assert str(mini.projects.grant_gbp.dtype) == "Float64"
    assert mini.projects.grant_gbp.isna().all()
    assert str(mini.programmes.launch_year.dtype) == "Int64"


def test_dates_are_datetimes_and_text_is_string(mini):
    assert pd.api.types.is_datetime64_any_dtype(mini.sources.accessed)
    assert str(mini.projects.title.dtype).startswith("string")


def test_source_ids_are_parsed_into_citations_with_locators(mini):
    first = mini.projects.source_ids.iloc[0]
    assert first == (Citation("hf-programme-page", "para 1"),)
    assert str(first[0]) == "hf-programme-page[para 1]"


def test_id_lists_become_tuples(mini):
    row = mini.mechanism_evidence.set_index("evidence_id").loc["a-ev-3"]
    assert row.context_ids == ("a-ctx-1", "a-ctx-2")
    assert row.outcome_ids == ()


def test_citations_is_a_tidy_table_of_every_citation(mini):
    table = mini.citations()
    assert list(table.columns) == ["table", "row_key", "source_id", "locator"]
    assert ("contexts", "a-ctx-2", "hf-programme-page", "para 2") in set(
        table.itertuples(index=False, name=None))


def test_version_and_data_as_of_come_from_the_descriptor(mini):
    assert mini.version == mini.descriptor.version
    assert len(mini.data_as_of) == 10


def test_unknown_table_attribute_names_the_tables(mini):
    with pytest.raises(AttributeError, match="no table 'project'; tables: sources"):
        _ = mini.project


def test_default_path_is_the_embedded_data(monkeypatch):
    monkeypatch.delenv("EXPLORER_DATA", raising=False)
    assert data_path() == DATA


def test_explorer_data_points_the_package_elsewhere(monkeypatch, mini_path):
    monkeypatch.setenv("EXPLORER_DATA", str(mini_path))
    assert explorer.load().path == mini_path
    assert len(explorer.load().projects) == 3


def test_a_path_to_the_descriptor_file_is_accepted(mini_path):
    assert explorer.load(mini_path / "datapackage.json").path == mini_path


def test_a_folder_without_a_package_gives_a_plain_message(tmp_path):
    with pytest.raises(explorer.DataError, match=r"no datapackage\.json here; point EXPLORER_DATA"):
        explorer.load(tmp_path)


def test_importing_explorer_does_not_import_plotly_or_widgets():
    """Analysts and the CLI pay only for pandas; figures and widgets load on use."""
    import subprocess
    import sys

    code = ("import sys, explorer; "
            "print(sorted(m for m in ('plotly', 'ipywidgets') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
