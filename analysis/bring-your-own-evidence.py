# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Bring your own evidence
#
# The explorer reads whatever data package you point it at. This notebook makes a copy of
# the package in this repository, adds a project of its own to it, checks it with the
# validator (and reads what the validator says about a deliberate mistake), then opens the
# dashboards on the copy.
#
# The project added here is **fictional**, made up to show the steps. Everything happens
# in a temporary folder; the repository's `data/` is not touched.

# %%
import csv
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import explorer

# %% [markdown]
# ## Copy the package
#
# A data package is a folder: `datapackage.json` (the declaration of every table, field,
# vocabulary and key), one CSV per table, and the codebook. `explorer.data_path()` says
# where the package in use lives; copy the whole folder.

# %%
workspace = Path(tempfile.mkdtemp())
package = workspace / "my-evidence"
shutil.copytree(explorer.data_path(), package)
sorted(path.name for path in package.iterdir())[:6]

# %% [markdown]
# ## Add rows
#
# Each fact is a row in one of the CSV files. A spreadsheet works, as long as it saves
# UTF-8 CSV; here a small helper appends a row, taking the column names from the file's
# header (a misspelt column name is an error, a column left out stays empty).

# %%
def add_row(table: str, **cells: str) -> None:
    """Append one row to ``table``.csv in the copied package."""
    path = package / f"{table}.csv"
    with open(path, newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    with open(path, "a", newline="", encoding="utf-8") as handle:
        csv.DictWriter(handle, fieldnames=header, lineterminator="\n").writerow(cells)


# %% [markdown]
# Every fact cites a source, so the source comes first: one row in `sources.csv`. A real
# source needs enough for a reader to find it (title, publisher, date, address), its
# licence, and what kind of document it is and whose word it is, each with a reason (how far
# the ratings resting on it can be trusted depends on these: codebook section 14).

# %%
add_row("sources", source_id="example-report", title="Example clinic: final project report",
        title_supplied="false", publisher="Example clinic (fictional)", published="2014-03",
        accessed="2026-11-27", kind="project_report",
        kind_explanation="The clinic's own report of its project.",
        independence="project_team",
        independence_explanation="Written by the clinic that ran the project: its own account.",
        licence="CC-BY-4.0",
        access_note="A fictional source, made up for the bring-your-own-evidence notebook.")

# %% [markdown]
# Now the project. `source_ids` cites the source with a locator (`id[locator]`), and
# `basis` says the source states these facts. One mistake is made on purpose:
# `setting_type` is a controlled vocabulary, and `gp_surgery` is not in it.

# %%
add_row("projects", project_id="example-clinic", programme_id="closing-the-gap",
        title="Example clinic: patients plan their own reviews",
        short_name="Example clinic (fictional)", lead_organisation="Example clinic",
        partners="not found", region="Example region", setting_type="gp_surgery",
        setting="One general practice", population="Adults with long-term conditions",
        start_date="2012", end_date="2013", grant_note="No grant: a fictional example.",
        summary="Patients set the agenda of their annual review with a nurse.",
        membership="confirmed",
        membership_basis="The (fictional) report names the project as part of the programme.",
        source_ids="example-report[p. 1]", basis="stated")

# %% [markdown]
# What the project did, which relationship it targeted, and one mechanism rating. A
# rating is always `coded`, so it explains itself; in a real package every rating is
# coded more than once (here, three times by one team), and `reconciliation` says how the
# codings were settled (`data/CODEBOOK.md`, section 9).

# %%
add_row("activities", activity_id="ec-act-1", project_id="example-clinic",
        activity_type="patient_education",
        description="Patients were helped to write down what they wanted from their review.",
        source_ids="example-report[p. 3]", basis="stated")
add_row("project_relationships", project_id="example-clinic",
        relationship_type_id="individual_professional",
        source_ids="example-report[p. 2]", basis="stated")
add_row("mechanism_evidence", evidence_id="ec-ev-patient_beliefs", project_id="example-clinic",
        mechanism_id="patient_beliefs", activity_ids="ec-act-1", strength="partial",
        source_ids="example-report[p. 5]", basis="coded",
        explanation="Partial: the report says some patients came to reviews with their own "
                    "questions; it gives no figure.",
        reconciliation="Coded once: this is an example, not a double-coded rating.")

# %% [markdown]
# ## Validate, and read the message
#
# `python -m explorer validate PATH` checks the package against its declaration and the
# evidence rules, and lists **every** problem with its file, spreadsheet line, column,
# rule and value. Exit code 0 means valid, 1 means problems.

# %%
check = subprocess.run([sys.executable, "-m", "explorer", "validate", str(package)],
                       capture_output=True, text=True, check=False)
print(check.stdout.replace(str(package), "my-evidence"))
assert check.returncode == 1

# %% [markdown]
# Two problems. The first is the deliberate one: the message names the file, the line a
# spreadsheet shows, the column, the value found and the values allowed.
#
# The second was not planned, and it is the validator doing its job: the programme's row
# in `programmes.csv` says how many projects the funder funded, and the projects table no
# longer agrees. The example clinic is not one of the programme's projects, so, as the
# message says, the honest fix is not to change that count but to give the clinic a
# programme of its own.
#
# The same check runs inside Python: `explorer.validate` returns the problems as records
# (file, line, column, rule, value, message), and `explorer.load` raises one `DataError`
# that carries them all.

# %%
problems = explorer.validate(package)
[(problem.file, problem.line, problem.column, str(problem.rule), problem.value)
 for problem in problems]

# %%
try:
    explorer.load(package)
except explorer.DataError as error:
    print(f"{type(error).__name__} with {len(error.problems)} problems")

# %% [markdown]
# ## Fix it
#
# A second helper changes one cell of one row (found by its key), as you would in a
# spreadsheet.

# %%
def set_cell(table: str, key_column: str, key: str, column: str, value: str) -> None:
    """Set ``column`` of the row of ``table``.csv whose ``key_column`` is ``key``."""
    path = package / f"{table}.csv"
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    header = list(rows[0])
    (row,) = [row for row in rows if row[key_column] == key]
    row[column] = value
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


set_cell("projects", "project_id", "example-clinic", "setting_type", "general_practice")
add_row("programmes", programme_id="example-programme", title="Example improvement work",
        funder="Example clinic (fictional)", evaluator="not found", launch_year="2012",
        start_year="2012", end_year="2013", project_count="1",
        summary="A fictional programme holding the example clinic.",
        source_ids="example-report[p. 1]", basis="stated")
set_cell("projects", "project_id", "example-clinic", "programme_id", "example-programme")

# %%
assert explorer.validate(package) == []

# %% [markdown]
# No problems. The copy loads, and the new project sits beside the others.

# %%
mine = explorer.load(package)
mine.projects[["project_id", "short_name", "programme_id", "setting_type"]].tail(3)

# %%
from explorer import query

query.matrix(mine, columns="project", filters=query.Filters(project=("example-clinic",)))[
    ["mechanism", "column", "strength", "count"]]

# %% [markdown]
# ## Point the dashboards at it
#
# Every command and every dashboard reads the package named by the `EXPLORER_DATA`
# environment variable (else the repository's `data/`). From a shell, in the repository:
#
# ```sh
# .venv/bin/python -m explorer validate path/to/my-evidence
# EXPLORER_DATA=path/to/my-evidence make serve
# ```
#
# Inside Python, set the variable before building a page. `build` returns the same `App`
# the Voila site shows, now on your copy:

# %%
from explorer.dashboards import build

os.environ["EXPLORER_DATA"] = str(package)
app = build("overview")
assert app.ds.path == package.resolve()
app.ds.projects.short_name.tolist()

# %% [markdown]
# ### Relative paths
#
# A relative `EXPLORER_DATA` means the same to every command and every page: it is
# resolved against `$EXPLORER_DATA_BASE` when that is set, else against the current
# directory. The dashboards' kernels run inside `notebooks/`, so `make` exports
# `EXPLORER_DATA_BASE` as the repository root: `EXPLORER_DATA=my-evidence make serve`
# means `my-evidence/` beside the Makefile, for the validator and for every page alike.
#
# Here the base is the temporary workspace, and a relative name finds the copy:

# %%
os.environ["EXPLORER_DATA_BASE"] = str(workspace)
os.environ["EXPLORER_DATA"] = "my-evidence"
assert explorer.data_path() == package.resolve()
explorer.data_path().name

# %% [markdown]
# Tidy up: forget the variables and delete the copy.

# %%
for name in ("EXPLORER_DATA", "EXPLORER_DATA_BASE"):
    os.environ.pop(name, None)
shutil.rmtree(workspace)
explorer.data_path()
