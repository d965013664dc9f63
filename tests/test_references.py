"""Specifications of the sources for reference managers: RIS and BibTeX (``explorer.references``).

Each file is parsed back with the maintained library that reads it (rispy, bibtexparser):
every source comes back with its key, title, authors, address and the date it was read, and
text that would break either format (line breaks, braces, HTML, LaTeX's specials) stays
text.
"""

from __future__ import annotations

import bibtexparser
import pytest
import rispy

import explorer
from explorer.cli import main
from explorer.render import references

#: Planted in a source's title: HTML, LaTeX specials, braces, a line break and an RIS end tag.
HOSTILE = ('<b>Bold</b> & {braced} close} open{ 100% #1 $x_1$ ~a^b \\cmd "quoted" '
           "\nER  - \nTY  - JOUR")


def _plain(text: str) -> str:
    return " ".join(str(text).split())


def test_every_source_comes_back_from_ris_with_its_fields(ds):
    """rispy reads one reference per source: id, title, publisher, authors, address and
    access date as the data gives them."""
    entries = rispy.loads(references.sources_ris(ds))
    by_id = {e["id"]: e for e in entries}
    assert list(by_id) == list(ds.sources.source_id)
    for row in ds.sources.itertuples():
        entry = by_id[row.source_id]
        assert entry["title"] == _plain(row.title)
        assert entry["publisher"] == _plain(row.publisher)
        assert entry["access_date"] == str(row.accessed)[:10]
        if isinstance(row.url, str):
            assert entry["urls"] == [row.url]
        if isinstance(row.authors, str):
            assert entry["authors"] == [a.strip() for a in row.authors.split(";")]


def test_every_source_comes_back_from_bibtex_with_its_fields(ds):
    """bibtexparser reads one entry per source, nothing it cannot parse; title, authors and
    address come back as the data gives them once unescaped."""
    library = bibtexparser.parse_string(references.sources_bibtex(ds))
    assert library.failed_blocks == []
    by_key = {e.key: e for e in library.entries}
    assert list(by_key) == list(ds.sources.source_id)
    for row in ds.sources.itertuples():
        fields = by_key[row.source_id].fields_dict
        assert references.unescape_bibtex(fields["title"].value) == _plain(row.title)
        assert fields["urldate"].value == str(row.accessed)[:10]
        if isinstance(row.url, str):
            assert fields["url"].value == row.url
        if isinstance(row.authors, str):
            assert [references.unescape_bibtex(a) for a in
                    fields["author"].value.split(" and ")] == [
                        a.strip() for a in row.authors.split(";")]


@pytest.mark.parametrize(("source_id", "ris", "bibtex"), [
    ("hewett-2016-pathway-rct", "JOUR", "article"),
    ("opm-2014-evaluation-report", "RPRT", "techreport"),
    ("hf-pathway-page", "ELEC", "misc"),
    ("bpost-mid-staffs-grant", "NEWS", "misc"),
    ("shd-sustainability-paper", "ABST", "inproceedings"),
])
def test_each_kind_of_document_has_its_reference_type(ds, source_id, ris, bibtex):
    """A journal study is an article, a report a report, a web page an electronic source…"""
    by_id = {e["id"]: e for e in rispy.loads(references.sources_ris(ds))}
    assert by_id[source_id]["type_of_reference"] == ris
    by_key = {e.key: e for e in bibtexparser.parse_string(
        references.sources_bibtex(ds)).entries}
    assert by_key[source_id].entry_type == bibtex


def test_hostile_text_in_a_source_stays_one_reference_in_both_formats(data_copy):
    """HTML, braces, LaTeX specials and an embedded 'ER  -' line in a title: each format
    still holds exactly one reference per source, and the title comes back as text."""
    data_copy.set_cell("sources", 2, "title", HOSTILE)
    ds = explorer.load(data_copy.path)
    entries = rispy.loads(references.sources_ris(ds))
    assert len(entries) == len(ds.sources)
    assert entries[0]["title"] == _plain(HOSTILE)
    library = bibtexparser.parse_string(references.sources_bibtex(ds))
    assert library.failed_blocks == [] and len(library.entries) == len(ds.sources)
    assert references.unescape_bibtex(library.entries[0].fields_dict["title"].value) == (
        _plain(HOSTILE))


def test_the_escape_is_reversible_for_every_special_character():
    """escape_bibtex then unescape_bibtex gives the text back, and the escaped text has no
    unescaped brace or backslash command of its own."""
    text = "\\ { } $ & % # _ ~ ^ plain"
    escaped = references.escape_bibtex(text)
    assert references.unescape_bibtex(escaped) == text
    assert "{ }" not in escaped


def test_the_command_line_writes_either_format(tmp_path):
    """`explorer references` writes RIS by default and BibTeX on request."""
    ris = tmp_path / "s.ris"
    bib = tmp_path / "s.bib"
    assert main(["references", "--out", str(ris)]) == 0
    assert main(["references", "--format", "bibtex", "--out", str(bib)]) == 0
    assert ris.read_text(encoding="utf-8").startswith("TY  - ")
    assert bib.read_text(encoding="utf-8").lstrip().startswith("@")
