"""Browser tests: real Chromium against a real Voila server (``pytest -m browser``).

This folder is a package so that its ``conftest.py`` is imported as ``browser.conftest`` and
does not replace ``tests/conftest.py``, which other tests import as ``conftest``. Its own
helpers are imported as ``browser_kit``, so the folder goes on ``sys.path``.
"""

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
