"""Every source for a reference manager: RIS (rispy) and BibTeX (bibtexparser).

A renderer of the package's ``sources`` table: each source becomes one reference with its
title, authors, publisher, date, address and the date the curators read it, typed by its
``kind`` (a journal study is an article, a project's report a report, a web page an
electronic source…), and a note with its appraisal (what kind of document, whose word) and
how it was read. The source's id is the reference's key, so a citation in the data
(``hf-pathway-page[para 2]``) finds its reference.

Text from the data is made safe for each format rather than trusted: in RIS a line break
would start a new tag, so runs of whitespace become one space; in BibTeX the characters
LaTeX treats as commands are escaped (``escape_bibtex``; ``unescape_bibtex`` reverses it),
so a title with braces, ``%`` or ``&`` cannot break the file. Both libraries are
maintained, and the suite parses each file back.
"""

from __future__ import annotations

import re
from typing import Any

import bibtexparser
import pandas as pd
import rispy
from bibtexparser.model import Entry, Field

from ..data.load import Dataset
from ..evidence import query
from ..evidence.programme import Programme
from . import html

__all__ = ["BIBTEX_MIMETYPE", "RIS_MIMETYPE", "escape_bibtex", "references_filename",
           "sources_bibtex", "sources_ris", "unescape_bibtex"]

RIS_MIMETYPE = "application/x-research-info-systems"
BIBTEX_MIMETYPE = "application/x-bibtex"

RIS_TYPES = {"journal_study": "JOUR", "journal_article": "JOUR",
             "evaluation_report": "RPRT", "funder_report": "RPRT", "project_report": "RPRT",
             "conference_abstract": "ABST", "press": "NEWS", "blog": "BLOG",
             "evaluation_article": "ELEC", "funder_page": "ELEC", "project_page": "ELEC",
             "organisation_news": "ELEC"}
BIBTEX_TYPES = {"journal_study": "article", "journal_article": "article",
                "evaluation_report": "techreport", "funder_report": "techreport",
                "project_report": "techreport", "conference_abstract": "inproceedings"}
#: Where each BibTeX entry type names the publisher.
PUBLISHER_FIELD = {"article": "journal", "techreport": "institution",
                   "inproceedings": "booktitle", "misc": "publisher"}

_SPACE = re.compile(r"[\s\x00-\x1f\x7f]+")
_LATEX = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
          "%": r"\%", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}",
          "^": r"\textasciicircum{}"}
_LATEX_PATTERN = re.compile("|".join(re.escape(k) for k in _LATEX))
_UNLATEX = {v: k for k, v in _LATEX.items()}
_UNLATEX_PATTERN = re.compile("|".join(re.escape(v) for v in sorted(_UNLATEX, key=len,
                                                                      reverse=True)))


def _plain(value: object) -> str:
    """A data value on one line: every run of whitespace or control characters is one
    space (a line break would end an RIS tag); a missing value is empty."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return _SPACE.sub(" ", str(value)).strip()


class _RisWriter(rispy.RisWriter):
    """rispy's writer without its numbered header line before each reference (not part of
    RIS; reference managers expect each reference to start at its ``TY`` tag)."""

    def set_header(self, count: int) -> str:
        return ""


def escape_bibtex(text: str) -> str:
    """``text`` with every character LaTeX reads as a command escaped."""
    return _LATEX_PATTERN.sub(lambda m: _LATEX[m.group(0)], text)


def unescape_bibtex(text: str) -> str:
    """The text ``escape_bibtex`` was given (for checking a file read back)."""
    return _UNLATEX_PATTERN.sub(lambda m: _UNLATEX[m.group(0)], text)


def _url(value: object) -> str:
    """An address as BibTeX's ``url`` field holds it verbatim: braces and backslashes, which
    would end the field, percent-encoded."""
    return _plain(value).replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")


def _sources(ds: Dataset) -> list[dict[str, Any]]:
    """Each source with what both formats need, in the sources table's order."""
    found = []
    for row in query.rows(ds.sources):
        kind = str(row.kind)
        published = _plain(row.published)
        authors = [_plain(a) for a in str(row.authors).split(";")] if isinstance(
            row.authors, str) else []
        kind_label = query.term(ds, "sources", "kind", kind)[0]
        who = query.term(ds, "sources", "independence", row.independence)[0]
        supplied = " Title supplied by the curators." if bool(row.title_supplied) else ""
        note = (f"{kind_label}; whose word: {who.lower()}.{supplied} How it was read: "
                f"{_plain(row.access_note) or 'not recorded'}.")
        found.append({
            "id": str(row.source_id), "kind": kind, "kind_label": kind_label,
            "title": _plain(row.title), "authors": [a for a in authors if a],
            "publisher": _plain(row.publisher), "published": published,
            "year": published[:4], "url": _plain(row.url) if html.is_web_address(row.url)
            else "", "accessed": _plain(str(row.accessed)[:10]), "note": _plain(note)})
    return found


def sources_ris(ds: Dataset) -> str:
    """Every source as an RIS file (one reference per source, ``ID`` its source id)."""
    entries = []
    for source in _sources(ds):
        entry: dict[str, object] = {
            "type_of_reference": RIS_TYPES.get(str(source["kind"]), "GEN"),
            "id": source["id"], "title": source["title"], "publisher": source["publisher"],
            "type_of_work": source["kind_label"], "access_date": source["accessed"],
            "notes": [source["note"]]}
        if source["authors"]:
            entry["authors"] = source["authors"]
        if source["year"]:
            entry["year"] = source["year"]
            entry["date"] = str(source["published"]).replace("-", "/")
        if source["url"]:
            entry["urls"] = [source["url"]]
        entries.append(entry)
    return str(rispy.dumps(entries, implementation=_RisWriter))


def sources_bibtex(ds: Dataset) -> str:
    """Every source as a BibTeX file (one entry per source, its key the source id)."""
    library = bibtexparser.Library()
    for source in _sources(ds):
        entry_type = BIBTEX_TYPES.get(str(source["kind"]), "misc")
        fields = [Field("title", escape_bibtex(str(source["title"])))]
        if source["authors"]:
            fields.append(Field("author", " and ".join(
                escape_bibtex(str(a)) for a in source["authors"])))
        fields.append(Field(PUBLISHER_FIELD[entry_type],
                            escape_bibtex(str(source["publisher"]))))
        if source["year"]:
            fields += [Field("year", str(source["year"])),
                       Field("date", str(source["published"]))]
        if source["url"]:
            fields.append(Field("url", _url(source["url"])))
        fields += [Field("urldate", str(source["accessed"])),
                   Field("howpublished", escape_bibtex(str(source["kind_label"]))),
                   Field("note", escape_bibtex(str(source["note"])))]
        library.add(Entry(entry_type, str(source["id"]), fields))
    return str(bibtexparser.write_string(library))


def references_filename(ds: Dataset, fmt: str) -> str:
    """``<programme>-sources.ris`` or ``<programme>-sources.bib``."""
    programme = html.slug(Programme.of(ds).programme_id) or "programme"
    return f"{programme}-sources.{'ris' if fmt == 'ris' else 'bib'}"
