"""Suite-wide settings.

Notebooks run strict, so a page that fails to build fails the run. A dashboard shown to the
public turns any error into a calm message; under test that would hide a broken page from
nbval. ``EXPLORER_STRICT=1`` makes ``explorer.dashboards.build`` raise instead, in every kernel
nbval starts. The browser tests' Voila servers do not inherit it
(``tests/browser/browser_kit.start_voila``): they check what the public sees.

The longest files run first. ``make test`` runs two workers, each taking whole files
(``--dist loadfile --no-loadscope-reorder``) in the order collected; a long file taken last
leaves the other worker idle until it ends, so the files measured longest are collected first.
The order changes when a test runs, never what it checks.
"""

import os

os.environ["EXPLORER_STRICT"] = "1"

# Files taking 40 s or more on two busy workers (pytest --durations=0, 2026-12-01), longest
# first. A file not named here keeps its place after them.
LONGEST_FIRST = (
    "tests/test_container_install.py",
    "tests/test_bench.py",
    "tests/browser/test_hub.py",
    "tests/browser/test_navigation.py",
    "tests/browser/test_kernels.py",
    "tests/browser/test_controls.py",
    "tests/browser/test_layouts.py",
    "tests/browser/test_pages.py",
    "tests/browser/test_other_programme.py",
    "tests/browser/test_relative_data.py",
)


def pytest_collection_modifyitems(items):
    """Put the files in ``LONGEST_FIRST`` first, in its order; within a file nothing moves."""
    rank = {path: place for place, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))
