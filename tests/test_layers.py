"""The package's layers: the import rule in pyproject.toml names every part, and it can fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from conftest import ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PUBLIC_FACES = {"query", "dashboards"}  # thin re-exports of documented old paths


def _contract(contract_id: str) -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    return next(c for c in contracts if c["id"] == contract_id)


def test_the_layers_name_every_part_of_the_package():
    """Each subpackage and module under explorer/ is in exactly one layer, except the
    package's face (__init__, __main__) and the public re-exports of old paths."""
    named = [part.strip() for layer in _contract("layers")["layers"] for part in layer.split("|")]
    parts = {path.stem if path.is_file() else path.name
             for path in (ROOT / "explorer").iterdir()
             if (path.suffix == ".py" or (path / "__init__.py").is_file())}
    assert len(named) == len(set(named))
    assert set(named) == parts - {"__init__", "__main__"} - PUBLIC_FACES


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports on the package under ``root`` (found first on the path)."""
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config",
                           str(root / "pyproject.toml")], cwd=root, capture_output=True,
                          text=True, timeout=300, check=False,
                          env={**os.environ, "PYTHONPATH": str(root)})


def test_an_upward_import_breaks_the_rule(tmp_path):
    """In a copy of the package, one import from the data layer up to the live dashboards
    fails lint-imports and names the import; the copy as it stands passes."""
    shutil.copytree(ROOT / "explorer", tmp_path / "explorer",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    kept = _lint(tmp_path)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    derived = tmp_path / "explorer" / "data" / "derived.py"
    derived.write_text(derived.read_text(encoding="utf-8")
                       + "\nfrom ..app.dashboards import live  # noqa: E402, F401\n",
                       encoding="utf-8")
    broken = _lint(tmp_path)
    assert broken.returncode == 1
    assert "explorer.data.derived -> explorer.app.dashboards.live" in broken.stdout


def test_the_architecture_page_names_every_part_of_the_package():
    """docs/architecture.md's folder tree names each subpackage and module of explorer/, so
    the map a newcomer reads follows the package when a part is added or moved."""
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    tree = page[page.index("## The folders"):page.index("notebooks/     thin Voila pages")]
    parts = {path.name + "/" if path.is_dir() else path.name
             for path in (ROOT / "explorer").iterdir()
             if path.suffix == ".py" or (path / "__init__.py").is_file()}
    missing = {part for part in parts - {"__init__.py", "__main__.py"} if part not in tree}
    assert not missing, f"docs/architecture.md's folder tree does not name {sorted(missing)}"


def test_every_module_path_the_docs_name_exists():
    """A path to one of the package's files in the docs, the README or a deploy file's comments
    names a file that exists: a module moved without its mentions is a map that lies."""
    import re

    mention = re.compile(r"(?<![\w/.])explorer/[\w/]+\.py\b")
    texts = [*ROOT.glob("docs/*.md"), ROOT / "README.md", *ROOT.glob("deploy/**/*.yaml"),
             *ROOT.glob("deploy/**/*.py"), ROOT / "voila.json"]
    missing = sorted({(text.relative_to(ROOT).as_posix(), path)
                      for text in texts
                      for path in mention.findall(text.read_text(encoding="utf-8"))
                      if not (ROOT / path).is_file()})
    assert not missing, missing


#: Dotted words that are not the package's names: a host name and a socket's file name.
NOT_NAMES = {"explorer.example.org", "explorer.sock"}
#: A dotted word ending in one of these is a file's name (``explorer.css``), not a module's.
FILE_ENDINGS = {"css", "js", "json", "py", "ipynb", "md", "csv", "html", "j2", "toml", "yaml"}


def _resolves(name: str) -> bool:
    """Whether ``explorer.a.b.c`` names a module, or an attribute reached from one."""
    import importlib

    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:end]))
        except ImportError:
            continue
        for part in parts[end:]:
            if not hasattr(found, part):
                return False
            found = getattr(found, part)
        return True
    return False


def test_every_dotted_name_the_docs_and_docstrings_give_resolves():
    """A dotted name of the package (``explorer.evidence.appraisal.cell_kinds``) or an import
    of it (``from explorer import query``) in the docs, the README, CONTRIBUTING, the
    package's own docstrings and comments or the benchmarks names something that exists: a
    newcomer who follows one finds it."""
    import re

    dotted = re.compile(r"(?<![\w/.-])explorer(?:\.[A-Za-z_]\w*)+")
    imports = re.compile(r"^\s*from (explorer[\w.]*) import ([\w, ]+)$", re.MULTILINE)
    files = ("docs/*.md", "README.md", "CONTRIBUTING.md", "explorer/**/*.py", "explorer/**/*.j2",
             "bench/*.py", "deploy/**/*.py", "deploy/**/*.yaml")
    wrong: set[tuple[str, str]] = set()
    for pattern in files:
        for path in ROOT.glob(pattern):
            text = path.read_text(encoding="utf-8")
            names = {name.rstrip(".") for name in dotted.findall(text)}
            names |= {f"{module}.{name.strip()}" for module, listed in imports.findall(text)
                      for name in listed.split(",") if name.strip()}
            wrong |= {(path.relative_to(ROOT).as_posix(), name) for name in names
                      if name not in NOT_NAMES and name.rsplit(".", 1)[1] not in FILE_ENDINGS
                      and not _resolves(name)}
    assert not wrong, sorted(wrong)
