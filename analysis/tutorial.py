# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Tutorial: the evidence as tidy tables
#
# This notebook walks through the `explorer` package the way an analyst uses it: load the
# data package, look at its tables and where each fact comes from, ask the questions the
# dashboards ask (with filters), then go further than the dashboards do — a chart of your
# own, a grouping of your own, and a CSV to take away.
#
# Every cell runs top to bottom on the data in this repository (`make test` runs it). Open
# it in JupyterLab with `make lab`.

# %% [markdown]
# ## Load the data
#
# `explorer.load()` reads the data package (`data/` in this repository, or the folder
# `$EXPLORER_DATA` names), checks every table against `data/datapackage.json`, and returns
# a `Dataset`: one typed pandas DataFrame per table. If anything in the package is wrong,
# it raises one `explorer.DataError` that lists every problem instead.

# %%
import explorer

ds = explorer.load()

# %% [markdown]
# The dataset knows where it was loaded from, its version and the date the evidence was
# curated up to. Quote the version and date when you report a number from it.

# %%
ds.path, ds.version, ds.data_as_of

# %% [markdown]
# ## The tables
#
# `ds.describe()` lists every table with its row count and what one row is. The
# descriptions come from `datapackage.json`, the same declaration the validator enforces.

# %%
ds.describe()

# %% [markdown]
# Tables are attributes of the dataset. The projects table has one row per funded project;
# `membership` says how sure we are that a project belongs to the programme.

# %%
ds.projects[["project_id", "short_name", "setting_type", "membership"]]

# %% [markdown]
# Vocabularies are ordered categoricals, so sorting and grouping follow the declared order
# (for strength: evident, partial, not evident, not reported), not the alphabet.

# %%
ds.mechanism_evidence.strength.cat.categories.tolist()

# %% [markdown]
# The mechanism ratings are the heart of the data: one row per project and mechanism, with
# the activities and contexts it links, its strength, and why it was rated so. Id lists
# such as `activity_ids` are tuples.

# %%
ds.mechanism_evidence[["evidence_id", "project_id", "mechanism_id", "activity_ids",
                       "strength", "basis"]].head()

# %% [markdown]
# ## Where every fact comes from
#
# Every fact row cites its sources in `source_ids`: a tuple of `Citation(source_id,
# locator)`. `ds.citations()` flattens them into one tidy table — table, row key, source,
# locator — which joins onto `ds.sources` for titles, publishers and addresses.

# %%
citations = ds.citations()
citations.head()

# %% [markdown]
# Which sources carry the most facts? Join the citations onto the sources table.

# %%
(citations.merge(ds.sources[["source_id", "title", "publisher"]], on="source_id")
 .groupby(["source_id", "title", "publisher"]).size().rename("facts")
 .sort_values(ascending=False).head(8).reset_index())

# %% [markdown]
# `basis` says whether a source states the fact (`stated`) or the curators coded it from
# the cited text (`coded`, always with an `explanation`). The codebook,
# `data/CODEBOOK.md`, gives the rules. Every mechanism rating is coded; most other facts
# are stated.

# %%
import pandas as pd

pd.DataFrame({name: frame.basis.value_counts() for name, frame in ds.tables.items()
              if "basis" in frame.columns}).T

# %% [markdown]
# ## Asking questions with `explorer.query`
#
# The dashboards show nothing that a function in `explorer.query` does not compute, so
# you can ask the same questions here. `query.matrix` is the mechanisms × columns grid of
# the matrix page, one row per cell (tidy). Columns can be projects, context dimensions,
# relationship types or settings.

# %%
from explorer import query
from explorer.query import Filters

cells = query.matrix(ds, columns="project")
cells[["mechanism", "column", "strength", "count", "evidence_ids"]].head(8)

# %% [markdown]
# A cell's `strength` is the strongest of its evidence rows and its `count` leaves out
# rows rated `not_reported` (the sources are silent: a gap, not evidence of absence).
#
# `Filters` narrows the evidence the same way the dashboard's check boxes do: **OR within
# a facet, AND across facets**. Here: only evidence rated evident or partial.

# %%
activated = Filters(strength=("evident", "partial"))
query.matrix(ds, columns="setting_type", filters=activated)[
    ["mechanism", "column", "strength", "count"]].head(8)

# %% [markdown]
# `Filters` is a frozen dataclass: `with_` makes a changed copy, and `describe_filters`
# says it in words, with the data's labels, as the pages do.

# %%
narrower = activated.with_(mechanism=("culture_environment",))
query.describe_filters(ds, narrower)

# %% [markdown]
# `reader_table` gives the evidence records behind a view, with plain-language column
# names: exactly the table the matrix page lists and its CSV download holds.

# %%
records = query.reader_table(ds, narrower)
records[["Record", "Project", "Strength", "Why this rating", "Sources"]]

# %% [markdown]
# ## One project's story
#
# `project_story` gathers everything about one project: contexts, activities, evidence,
# outcomes, barriers and enablers, follow-on, disagreements between sources, and the
# sources themselves. Here we take the identified project with the most outcomes.

# %%
identified = ds.projects[ds.projects.membership != "unidentified"].project_id
project_id = ds.outcomes[ds.outcomes.project_id.isin(identified)].project_id.value_counts().index[0]
story = query.project_story(ds, project_id)
story.project["short_name"], story.relationships

# %% [markdown]
# Its outcomes, with values and units where a source gives a figure:

# %%
story.outcomes[["outcome_id", "description", "value", "unit", "direction", "source_ids"]]

# %% [markdown]
# And the chain the story page draws as a Sankey diagram: context → activity → mechanism
# → outcome, one row per link, each from an evidence row.

# %%
story.chains[["source_kind", "source", "target_kind", "target", "strength"]].head()

# %% [markdown]
# ## A chart of your own
#
# `explorer.figures` builds the dashboards' charts as plain plotly figure dicts. Wrap one
# in `plotly.graph_objects.Figure` to show it, restyle it or save it.

# %%
import plotly.graph_objects as go

from explorer import figures

go.Figure(figures.matrix_figure(query.matrix(ds, columns="context_dimension"),
                                column_title="Context dimensions"))

# %% [markdown]
# Or build your own from a query result. How are the ratings spread across mechanisms?
# A stacked bar, one colour per strength, in the codebook's order and the explorer's
# colours (`figures.STRENGTH_STYLE`: colour-blind safe).

# %%
spread = (ds.mechanism_evidence
          .merge(ds.mechanisms[["mechanism_id", "label"]], on="mechanism_id")
          .groupby(["label", "strength"], observed=False).size().rename("rows").reset_index())
go.Figure(
    data=[go.Bar(name=strength.replace("_", " "), x=part.label, y=part.rows,
                 marker_color=figures.STRENGTH_STYLE[strength][0])
          for strength, part in spread.groupby("strength", observed=False)],
    layout={"barmode": "stack", "title": "Mechanism ratings by strength",
            "yaxis": {"title": "evidence rows"}, "xaxis": {"title": "mechanism"}},
)

# %% [markdown]
# ## Your own grouping of the matrix
#
# The matrix page offers four kinds of columns. Because `query.matrix` is a tidy table,
# any other grouping is a pandas pivot away. For example, mechanism × setting, counting
# the evidence rows that are not `not_reported`:

# %%
by_setting = query.matrix(ds, columns="setting_type")
by_setting.pivot_table(index="mechanism", columns="column", values="count", aggfunc="sum",
                       sort=False)

# %% [markdown]
# Or your own columns: here each project's relationship types are joined on and the cells
# regrouped by how many relationships a project targeted.

# %%
targets = ds.project_relationships.groupby("project_id", observed=True).size().rename(
    "relationships_targeted")
per_project = query.matrix(ds, columns="project").merge(
    targets, left_on="column_id", right_index=True)
per_project.pivot_table(index="mechanism", columns="relationships_targeted", values="count",
                        aggfunc="sum", sort=False)

# %% [markdown]
# ## Take a table away as CSV
#
# Any DataFrame writes to CSV with pandas. For a file that others will open in a
# spreadsheet, `explorer.html.csv_text` is what the dashboards' downloads use: it
# neutralises cells that a spreadsheet would run as formulas. We write to a temporary
# folder here so that running the tutorial leaves nothing behind; use a path of your own.

# %%
import tempfile
from pathlib import Path

out = Path(tempfile.mkdtemp()) / "activated-culture-evidence.csv"
out.write_text(explorer.html.csv_text(records), encoding="utf-8")
out.read_text(encoding="utf-8").splitlines()[0]

# %% [markdown]
# ## The dashboards, from a notebook
#
# `explorer.dashboards.build(name, query_string)` opens the explorer on a page, exactly as
# the Voila site does, and returns an `App`. Display it to use the page here, or read its
# parts: `app.ds` (the data), `app.state` (the view, as the page's address would say it)
# and `app.figures` (the page's charts, as figure dicts).

# %%
from explorer.dashboards import build

app = build("matrix", "columns=setting_type&strength=evident,partial")
app.ds.version, app.state

# %%
go.Figure(app.figures["matrix"])

# %% [markdown]
# `app.open(name, query_string)` moves to another page in the same kernel, as a link in the
# navigation bar does.

# %%
app.open("story", f"project={project_id}")
app.state, sorted(app.figures)

# %% [markdown]
# ## Where next
#
# - `analysis/questions.ipynb` answers questions the evaluation raises, with sources.
# - `analysis/bring-your-own-evidence.ipynb` adds a project to a copy of the data package
#   and points the dashboards at it.
# - `help(query)` or the API reference (`make docs`) documents every function used here.
