"""Specifications of coder agreement: any number of coders, and the same figures everywhere.

Agreement is computed from ``mechanism_codings`` (``explorer.query.coding_agreement`` for
unanimity and pairwise Cohen's kappas, ``explorer.evidence.query.agreement.reliability`` for
Krippendorff's alpha with its bootstrap interval); every place that shows it uses those
figures.
"""

from __future__ import annotations

import re

import krippendorff
import pytest

import explorer
from explorer.evidence import query
from explorer.evidence.programme import Programme
from explorer.evidence.query import agreement
from explorer.render import content, html

from conftest import DATA, ROOT


def _figures(ds):
    found = query.coding_agreement(ds)
    alpha = agreement.reliability(ds)
    return found, alpha


def test_two_coder_api_still_gives_first_second_and_cohens_kappa(mini):
    """The mini package's two codings: 3 of 4 agreed, kappa 0.636, a-ev-3 contested."""
    table = query.codings(mini)
    assert list(table.columns) == ["evidence_id", "first", "second", "reconciled", "contested"]
    found = query.coding_agreement(mini)
    assert (found.agreed, found.total, round(found.kappa, 3)) == (3, 4, 0.636)
    assert query.contested_evidence(mini) == {"a-ev-3"}


def test_a_record_is_contested_when_its_codings_are_not_unanimous(mini_copy):
    """A third coder who agrees with one reading still leaves the record contested; one who
    agrees with both unanimous readings leaves the others uncontested."""
    mini_copy.append_text("mechanism_codings",
                          "a-ev-1,coder-3,evident,hf-programme-page,coded,three\n"
                          "a-ev-2,coder-3,not_reported,hf-programme-page,coded,three\n"
                          "a-ev-3,coder-3,partial,hf-programme-page,coded,three\n"
                          "b-ev-1,coder-3,not_evident,hf-programme-page,coded,three\n")
    ds = explorer.load(mini_copy.path)
    table = query.codings(ds).set_index("evidence_id")
    assert list(table.columns) == ["first", "second", "third", "reconciled", "contested"]
    assert query.contested_evidence(ds) == {"a-ev-3", "b-ev-1"}
    found = query.coding_agreement(ds)
    assert (found.agreed, found.total, found.coders) == (2, 4, ("coder-1", "coder-2",
                                                                 "coder-3"))
    assert [(p.first, p.second) for p in found.pairs] == [
        ("coder-1", "coder-2"), ("coder-1", "coder-3"), ("coder-2", "coder-3")]


def test_alpha_is_krippendorffs_ordinal_alpha_of_the_codings(ds):
    """Recomputed here straight from the table: records × coders, strengths ordered."""
    order = {"not_reported": 0, "not_evident": 1, "partial": 2, "evident": 3}
    codings = ds.mechanism_codings
    coders = list(dict.fromkeys(codings.coder))
    records = list(dict.fromkeys(codings.evidence_id))
    value = {(e, c): order[str(s)] for e, c, s in zip(codings.evidence_id, codings.coder,
                                                      codings.strength, strict=True)}
    data = [[value[(e, c)] for e in records] for c in coders]
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="ordinal",
                                  value_domain=[0, 1, 2, 3])
    assert agreement.reliability(ds).alpha == pytest.approx(expected)


def test_the_bootstrap_interval_is_reproducible_and_holds_alpha(ds):
    """Same seed, same interval; the interval brackets alpha; no resample was undefined."""
    first = agreement.reliability(ds)
    again = agreement._reliability(
        tuple(tuple(agreement.ORDINAL[str(s)] for s in part.strength)
              for _, part in ds.mechanism_codings.groupby("evidence_id", sort=False,
                                                          observed=True)),
        3, first.resamples, first.seed)
    assert (again.low, again.high) == (first.low, first.high)
    assert first.low <= first.alpha <= first.high
    assert first.resamples >= 1000 and first.undefined == 0


def test_every_page_that_shows_agreement_shows_the_computed_figures(ds):
    """The matrix/handout sentence and the overview's uncertainties carry the unanimous
    count in plain words; alpha, its interval and every pairwise kappa, as computed, are in
    the analysts' fold beside them, and nowhere else on a reader's page."""
    found, alpha = _figures(ds)
    plain = f"{found.agreed} of {found.total}"
    statistics = [f"alpha {alpha.alpha:.2f}", f"{alpha.low:.2f} to {alpha.high:.2f}",
                  *(f"{p.kappa:.2f} ({p.first} and {p.second})" for p in found.pairs)]
    sentence = html.agreement_sentence(ds)
    overview = " ".join(content.uncertainties(ds))
    fold = str(html.analysts_fold(ds))
    assert plain in sentence and plain in overview
    assert fold.startswith('<details class="ctg-analysts">')
    for needle in statistics:
        assert needle not in sentence and needle not in overview, needle
        assert needle in fold, needle


def test_the_readers_guide_quotes_the_computed_figures(ds):
    """The readers' guide's account of the codings (docs/readers.md, once the README's) matches
    the data (unanimity, alpha, interval, kappas)."""
    found, alpha = _figures(ds)
    readme = " ".join((ROOT / "docs" / "readers.md").read_text(encoding="utf-8").split())
    assert f"same strength to {found.agreed} of {found.total} records" in readme
    assert (f"alpha (ordinal) {alpha.alpha:.2f}, 95% interval {alpha.low:.2f} to "
            f"{alpha.high:.2f}") in readme
    kappas = [f"{p.kappa:.2f}" for p in found.pairs]
    assert f"Cohen's kappa {kappas[0]}, {kappas[1]} and {kappas[2]}" in readme


def test_no_page_still_says_the_ratings_were_coded_twice(ds):
    """With three codings, no sentence shown to readers says two."""
    texts = [html.agreement_sentence(ds), *content.uncertainties(ds),
             " ".join(ds.texts.text)]
    for text in texts:
        assert not re.search(r"coded twice|Two coders|made twice", text), text
    assert "coded twice" not in (DATA / "CODEBOOK.md").read_text(encoding="utf-8")


#: Phrases that call the team's repeated coding independent (or its agreement inter-rater
#: reliability). A sentence may still say the codings are *not* independent.
INDEPENDENT_CODING = re.compile(
    r"independent(ly)? (coder|coding)|coded (three times, )?independently|"
    r"(coded|coding|coders?|codings)[^.]{0,40}\bindependently\b|"
    r"contested by the (independent )?coders|(?<!not )inter-rater reliability",
    re.IGNORECASE)


def _written_texts() -> dict[str, str]:
    """Every file a reader, an analyst or a curator reads: templates, views, scripts, data
    (the codings' own words excepted), codebook, changelog's newest entry, README, the
    documentation's pages, notebooks."""
    from explorer.data.release import read_changelog

    roots = [ROOT / "explorer", ROOT / "analysis", ROOT / "notebooks"]
    files = {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
             for root in roots for path in root.rglob("*")
             if path.suffix in (".py", ".j2", ".js", ".css", ".ipynb", ".md")}
    for name in ("README.md", "CONTRIBUTING.md", "CITATION.cff", "data/CODEBOOK.md",
                 "data/datapackage.json"):
        files[name] = (ROOT / name).read_text(encoding="utf-8")
    for path in (ROOT / "docs").glob("*.md"):
        files[f"docs/{path.name}"] = path.read_text(encoding="utf-8")
    for path in (DATA).glob("*.csv"):
        if path.name != "mechanism_codings.csv":
            files[f"data/{path.name}"] = path.read_text(encoding="utf-8")
    files["data/CHANGELOG.md (newest entry)"] = read_changelog(DATA)[0].body
    return files


def test_no_sentence_calls_one_teams_repeated_coding_independent():
    """The three codings were made by one team with one method: nothing written calls them
    independent, or their agreement inter-rater reliability."""
    found = {name: match.group(0) for name, text in _written_texts().items()
             if (match := INDEPENDENT_CODING.search(" ".join(text.split())))}
    assert found == {}


def test_the_check_for_independent_coding_catches_the_old_wording():
    """The phrases 0.3.0 used are caught, and the honest ones are not."""
    for old in ("Every rating was coded 3 times, independently: the 3 coders",
                "contested by the independent coders", "The independent codings, as each "
                "coder wrote them", "All three coders gave partial independently; kept."):
        assert INDEPENDENT_CODING.search(old), old
    for honest in ("coded three times by one team with one method",
                   "not inter-rater reliability", "the team's repeated codings differed",
                   "not independent raters", "not how far independent raters would agree"):
        assert not INDEPENDENT_CODING.search(honest), honest


def test_every_agreement_figure_is_shown_with_who_made_the_codings(ds):
    """Wherever the figures appear (the ratings key, briefings, the overview), the package's
    note on who coded and how comes with them."""
    note = Programme.of(ds).text("codings_note")
    assert "one curation team with one method" in note
    assert note in html.agreement_sentence(ds)
    assert any(note in item for item in content.uncertainties(ds))
