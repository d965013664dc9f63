"""Give an analyst's home the analysis notebooks and the dashboards, never overwriting theirs.

    python seed_home.py SOURCE HOME

SOURCE is a checkout of this repository or the container image's site (``/srv/explorer``,
laid out by ``deploy/container/install.sh``); HOME is the analyst's home. Copies

- ``SOURCE/analysis/`` (the notebooks, their jupytext ``.py`` pairs, ``jupytext.toml``) to
  ``HOME/analysis/``,
- ``SOURCE/notebooks/*.ipynb`` (the Voila dashboards) to ``HOME/dashboards/``,

but only the files HOME does not have: an analyst's edits are never replaced, and a file they
deleted comes back at their next start (rename a notebook to make it theirs). Run before each
start of an analyst's server: by the hub's ``pre_spawn_hook`` on one machine
(``jupyterhub_config.py``), by ``singleuser.lifecycleHooks.postStart`` on Kubernetes
(``deploy/kubernetes/values.yaml``).

An analysis notebook's copy records the language of the kernel it will run in (this
Python, which also runs the analyst's server): JupyterLab writes the kernel's
``language_info`` into a notebook that lacks it, and a notebook would open already marked as
changed. The repository's notebooks leave it out, as it names a Python patch release.
"""

from __future__ import annotations

import json
import platform
import shutil
import sys
from pathlib import Path

# (folder in SOURCE, file patterns, folder in HOME)
SEEDS = (
    ("analysis", ("*.ipynb", "*.py", "jupytext.toml"), "analysis"),
    ("notebooks", ("*.ipynb",), "dashboards"),
)


def language_info() -> dict[str, object]:
    """The ``language_info`` an IPython kernel of this Python reports."""
    return {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
            "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
            "pygments_lexer": "ipython3", "version": platform.python_version()}


def copy_notebook(path: Path, destination: Path) -> None:
    """Copy an analysis notebook, recording this Python's ``language_info`` in it."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    notebook.setdefault("metadata", {})["language_info"] = language_info()
    destination.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n",
                           encoding="utf-8")


def seed_home(source: Path, home: Path) -> list[Path]:
    """Copy what HOME lacks from SOURCE (see the module docstring); the files copied."""
    copied = []
    for folder, patterns, target in SEEDS:
        for pattern in patterns:
            for path in sorted((source / folder).glob(pattern)):
                destination = home / target / path.name
                if destination.exists() or destination.is_symlink():
                    continue
                destination.parent.mkdir(parents=True, exist_ok=True)
                if folder == "analysis" and path.suffix == ".ipynb":
                    copy_notebook(path, destination)
                else:
                    shutil.copyfile(path, destination)
                copied.append(destination)
    return copied


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python seed_home.py SOURCE HOME", file=sys.stderr)
        return 2
    source, home = Path(argv[0]), Path(argv[1])
    if not (source / "analysis").is_dir():
        print(f"seed_home.py: {source} has no analysis/ folder", file=sys.stderr)
        return 1
    copied = seed_home(source, home)
    print(f"seed_home.py: {len(copied)} file(s) copied into {home}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
