"""The Voila notebooks, generated from the page registry so that they cannot drift from it.

Each page's notebook is four cells: a comment saying what the page is, the import, the
build, and the display (a thin notebook, as ``shared/style.md`` asks). Its metadata
carries the page's title, which Voila shows in the browser tab before the page has loaded.
``python -m explorer notebooks`` rewrites ``notebooks/``; a test fails if they differ.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..pages.registry import PageSpec, live_pages

__all__ = ["notebook_text", "write_notebooks"]

#: The explorer's kernelspec: its kernels are forked from the server's preloader where the
#: server keeps one (``explorer.serve.provisioner``); elsewhere they start as ``python3``'s do.
KERNELSPEC = {"display_name": "Python 3 (explorer)", "language": "python", "name": "explorer"}


def _cell(index: int, kind: str, source: str) -> dict[str, object]:
    cell: dict[str, object] = {"cell_type": kind, "id": f"ctg-{index}", "metadata": {},
                               "source": [source]}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def notebook_text(spec: PageSpec) -> str:
    """The notebook for ``spec`` as nbformat 4 JSON text."""
    notebook = {
        "cells": [
            _cell(1, "markdown", f"<!-- {spec.title}: {spec.purpose} The page is built by "
                                 f"{spec.module}; this notebook only displays it. -->"),
            _cell(2, "code", "from explorer.dashboards import build"),
            _cell(3, "code", f'app = build("{spec.name}")'),
            _cell(4, "code", "app"),
        ],
        "metadata": {"kernelspec": KERNELSPEC, "language_info": {"name": "python"},
                     "title": spec.title},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def write_notebooks(folder: Path) -> list[Path]:
    """Write one notebook per live page of the registry into ``folder``; return their
    paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in live_pages():
        path = folder / spec.notebook
        path.write_text(notebook_text(spec), encoding="utf-8")
        written.append(path)
    return written
