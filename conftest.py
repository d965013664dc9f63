"""Suite-wide setting: notebooks run strict, so a page that fails to build fails the run.

A dashboard shown to the public turns any error into a calm message; under test that would
hide a broken page from nbval. ``EXPLORER_STRICT=1`` makes ``explorer.dashboards.build``
raise instead, in every kernel nbval starts. The browser tests' Voila servers do not inherit
it (``tests/browser/browser_kit.start_voila``): they check what the public sees.
"""

import os

os.environ["EXPLORER_STRICT"] = "1"
