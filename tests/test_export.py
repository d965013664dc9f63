"""Specifications of the handout: a self-contained page of exactly the view a link describes."""

from __future__ import annotations

import re
from datetime import date

from explorer import query
from explorer.cli import main
from explorer.export import handout_html
from explorer.query import Filters


def test_the_handout_holds_the_records_the_view_shows(mini):
    page = handout_html(mini, "strength=partial", today=date(2026, 11, 26))
    expected = list(query.reader_table(mini, Filters(strength=("partial",)))["Record"])
    assert re.findall(r"<td>([ab]-ev-\d)</td>", page) == expected == ["b-ev-1", "a-ev-3"]
    assert "The evidence records (2 records)" in page
    assert "handout made 2026-11-26" in page
    assert "matrix.ipynb?strength=partial" in page


def test_the_handout_shows_the_matrix_with_words_symbols_and_counts(mini):
    page = handout_html(mini, "columns=setting_type")
    assert "Mechanisms by settings" in page
    assert "◐ Partial</span> (1)" in page
    assert "– No evidence rows</span> (0)" in page


def test_the_handout_is_self_contained(mini):
    """No scripts, no external stylesheets, images or fonts: it works offline and on paper."""
    page = handout_html(mini)
    assert "<script" not in page
    assert not re.search(r"\bsrc=", page)
    assert not re.search(r"<link\b", page)
    assert "@import" not in page and "url(" not in page


def test_hostile_parameters_are_dropped_and_reported_inertly(mini):
    page = handout_html(mini, "project=%3Cscript%3Ealert(1)%3C/script%3E")
    assert "<script" not in page
    assert "Ignored &#39;&lt;script&gt;alert(1)&lt;/script&gt;&#39;" in page


def test_cli_export_writes_the_handout(mini_path, tmp_path, capsys):
    out = tmp_path / "handout.html"
    assert main(["export", "--data", str(mini_path), "--query", "strength=evident",
                 "--out", str(out)]) == 0
    assert "a-ev-1" in out.read_text()
    assert capsys.readouterr().out.strip() == f"wrote {out}"


def test_cli_export_on_broken_data_exits_1_with_the_problems(mini_copy, tmp_path, capsys):
    mini_copy.set_cell("projects", 3, "membership", "maybe")
    assert main(["export", "--data", str(mini_copy.path), "--out",
                 str(tmp_path / "x.html")]) == 1
    err = capsys.readouterr().err
    assert "projects.csv, line 3, column \"membership\"" in err
    assert "Traceback" not in err
    assert not (tmp_path / "x.html").exists()
