# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Questions the evaluation raises
#
# OPM's evaluation says relationships changed only where projects activated *enabling
# mechanisms*, and warns that an activity is not a mechanism. This notebook asks five
# questions of the curated evidence that follow from that, and answers each from the data
# with the sources behind the answer:
#
# 1. Which mechanisms were activated together in the same project?
# 2. Where did the same kind of activity lead to different mechanisms?
# 3. Where are the sources silent (`not_reported`, `not found`)?
# 4. How consistent were the team's repeated codings of each rating?
# 5. How far can each rated cell be trusted, and why?
#
# The numbers are computed when the notebook runs, so they follow the data. Quote the
# dataset version and date with them.

# %%
import pandas as pd

import explorer
from explorer import query

ds = explorer.load()
citations = ds.citations()
ds.version, ds.data_as_of

# %% [markdown]
# Every answer below ends with the sources it rests on. This small helper collects the
# citations of some rows of one table (by their keys) and joins the source titles.

# %%
def sources_of(table: str, keys) -> pd.DataFrame:
    """The sources cited by rows ``keys`` of ``table``, with how often each is cited."""
    cited = citations[(citations.table == table) & citations.row_key.isin(set(keys))]
    return (cited.merge(ds.sources[["source_id", "title", "publisher"]], on="source_id")
            .groupby(["source_id", "title", "publisher"]).size().rename("citations")
            .sort_values(ascending=False).reset_index())


# %% [markdown]
# ## 1. Which mechanisms were activated together?
#
# A mechanism counts as activated in a project when at least one of its evidence rows is
# rated evident or partial (the codebook's rule for a matrix cell). One row per project,
# one column per mechanism:

# %%
evidence = query.evidence_records(ds)
activated = evidence[evidence.strength.astype(str).isin(["evident", "partial"])]
labels = query.facet_options(ds, "mechanism")
grid = (pd.crosstab(activated.project, activated.mechanism_id).clip(upper=1)
        .reindex(columns=list(labels), fill_value=0).rename(columns=labels))
grid

# %% [markdown]
# Multiplying the grid by itself counts, for each pair of mechanisms, the projects in
# which both were activated; the diagonal is how many projects activated each one.

# %%
together = grid.T @ grid
together

# %% [markdown]
# The same as a list of pairs, with the projects named, most frequent first:

# %%
names = list(grid.columns)
pairs = pd.DataFrame(
    [(a, b, int(together.loc[a, b]),
      ", ".join(grid.index[(grid[a] == 1) & (grid[b] == 1)]))
     for i, a in enumerate(names) for b in names[i + 1:]],
    columns=["mechanism", "with", "projects", "which"],
).sort_values("projects", ascending=False, kind="stable")
pairs

# %% [markdown]
# Sources of the activated ratings behind these counts:

# %%
sources_of("mechanism_evidence", activated.evidence_id)

# %% [markdown]
# ## 2. Same activity, different mechanisms
#
# `query.same_activity_different_mechanisms` takes each kind of activity used by two or
# more projects and lists, per project, the mechanisms its activities of that kind
# activated. `differs` marks the activity types whose projects did not activate the same
# mechanisms: the evaluation's warning, visible in the data.

# %%
same = query.same_activity_different_mechanisms(ds)
differs = same[same.differs]
differs[["activity_type", "project", "mechanisms"]]

# %% [markdown]
# How many activity types shared by several projects led to different mechanisms?

# %%
same.groupby("activity_type").differs.first().value_counts().rename(
    {True: "different mechanisms", False: "same mechanisms"})

# %% [markdown]
# The evidence rows behind each line cite the activities; their sources are these:

# %%
kind_of = dict(zip(ds.activities.activity_id,
                   ds.activities.activity_type.astype(str).map(query.humanise), strict=True))
behind = evidence[[
    any(kind_of[a] in set(differs.activity_type) for a in ids) for ids in evidence.activity_ids]]
sources_of("mechanism_evidence", behind.evidence_id)

# %% [markdown]
# ## 3. Where the sources are silent
#
# `not_reported` means the sources we could read do not say whether a mechanism changed:
# a gap in the public record, not evidence that nothing changed. Which ratings are gaps?

# %%
gaps = ds.mechanism_evidence[ds.mechanism_evidence.strength == "not_reported"]
gaps.assign(mechanism=gaps.mechanism_id.map(labels))[
    ["evidence_id", "project_id", "mechanism", "explanation", "source_ids"]]

# %% [markdown]
# Gaps per project and mechanism (identified projects only: an unidentified project has no
# ratings at all, which is a different kind of gap):

# %%
pd.crosstab(gaps.project_id, gaps.mechanism_id.map(labels))

# %% [markdown]
# Elsewhere, a field that no readable source fills says `not found`. Counting them per
# table and column shows where the record is thinnest:

# %%
not_found = pd.DataFrame(
    [(name, column, int((frame[column].astype("string") == "not found").sum()))
     for name, frame in ds.tables.items() for column in frame.columns],
    columns=["table", "column", "not_found"])
not_found[not_found.not_found > 0].sort_values("not_found", ascending=False)

# %% [markdown]
# Sources of the gap ratings (what was read and found silent):

# %%
sources_of("mechanism_evidence", gaps.evidence_id)

# %% [markdown]
# ## 4. How the team's repeated codings compare
#
# Every rating was coded three times by one curation team with one method (codebook section
# 9), then settled. The figures below are that team's consistency, not the agreement of
# independent raters. `query.codings` puts the codings and the settled rating side by side;
# `query.coding_agreement` gives the share all codings agreed on and Cohen's kappa for each
# pair of codings (agreement beyond chance).

# %%
agreement = query.coding_agreement(ds)
agreement

# %%
pairs_coded = query.codings(ds)
order = list(query.STRENGTH_ORDER)
pd.crosstab(pd.Categorical(pairs_coded["first"], order),
            pd.Categorical(pairs_coded["second"], order),
            rownames=["first coding"], colnames=["second coding"], dropna=False)

# %% [markdown]
# The contested ratings, with how each was reconciled:

# %%
contested = pairs_coded[pairs_coded.contested].merge(
    ds.mechanism_evidence[["evidence_id", "reconciliation"]], on="evidence_id")
contested

# %% [markdown]
# Each coding cited its own sources. For the contested ratings:

# %%
codings = ds.mechanism_codings
disputed = codings[codings.evidence_id.isin(contested.evidence_id)]
disputed.assign(sources=disputed.source_ids.map(query.citation_text))[
    ["evidence_id", "coder", "strength", "sources"]]

# %% [markdown]
# ## 5. How far each rated cell can be trusted, and why
#
# GRADE-CERQual reports each finding in a *Summary of Qualitative Findings* table and an
# *Evidence Profile* (codebook section 14.7). `explorer.profiles` gives both as tidy tables,
# computed by the codebook's rule: one line per rated cell of the matrix, with its level and
# how the level was reached.

# %%
from explorer import profiles

summary = profiles.summary_of_findings(ds)
summary[["finding_number", "mechanism", "column", "level", "level_explanation"]]

# %% [markdown]
# The Evidence Profile of one cell: each component's concern and its explanation, for every
# record that gives the cell its rating. (The matrix page offers the same as CSV and Word;
# so does `python -m explorer profiles --cell professional_beliefs:shared-haemodialysis`.)

# %%
profile = profiles.evidence_profile(ds, "professional_beliefs", "shared-haemodialysis")
profile[["evidence_id", "component_label", "concern", "explanation"]]

# %% [markdown]
# ## Sources used in this notebook
#
# Every source cited by the rows behind the answers above, with its publisher and address:

# %%
used = set(sources_of("mechanism_evidence", ds.mechanism_evidence.evidence_id).source_id)
ds.sources[ds.sources.source_id.isin(used)][["source_id", "title", "publisher", "url"]]
