"""Suite-wide settings: notebooks run strict, and tests that share state run on one worker.

A dashboard shown to the public turns any error into a calm message; under test that would
hide a broken page from nbval. ``EXPLORER_STRICT=1`` makes ``explorer.dashboards.build``
raise instead, in every kernel nbval starts. The browser tests' Voila servers do not inherit
it (``tests/browser/browser_kit.start_voila``): they check what the public sees.

``make test`` runs the suite on several workers (pytest-xdist, ``--dist loadgroup``): each
test goes wherever a worker is free, except that the cells of one notebook (nbval runs
them in order, in one kernel) and the tests of a module that share a module-scoped fixture
(a hub, a pair of replicas, a built site) stay together on one worker, so nothing expensive
is built twice and no notebook is split.
"""

import os
import re

import pytest

os.environ["EXPLORER_STRICT"] = "1"


def _shares_module_state(item: pytest.Item) -> bool:
    fixtures = getattr(item, "_fixtureinfo", None)
    if fixtures is None:
        return False
    return any(definition.scope == "module"
               for definitions in fixtures.name2fixturedefs.values()
               for definition in definitions)


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Group a notebook's cells, and the tests sharing a module's fixture, for xdist."""
    for item in items:
        if item.path.suffix == ".ipynb" or _shares_module_state(item):
            # a plain name: xdist reads the group back out of the test's id
            group = re.sub(r"[^A-Za-z0-9]+", "_", str(item.path.relative_to(config.rootpath)))
            item.add_marker(pytest.mark.xdist_group(group))
