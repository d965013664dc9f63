"""The architecture page's one picture: the package's layers, drawn as SVG at build time.

The layers come from ``pyproject.toml``'s import-linter *layers* contract
(``[[tool.importlinter.contracts]]`` with ``type = "layers"``), which ``make test`` enforces,
so the picture cannot drift from the rule; without such a contract the build stops. Plain
SVG, written into
``docs/_generated/``: no Mermaid, no JavaScript, nothing fetched.
"""

from __future__ import annotations

import html
import tomllib
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
OUTPUT = DOCS / "_generated" / "layers.svg"
NOTE = DOCS / "_generated" / "layers-source.md"

WIDTH, ROW, GAP, PAD = 760, 46, 30, 16


def layers_contract(pyproject: Path = ROOT / "pyproject.toml") -> tuple[list[list[str]], str]:
    """The layers, highest first, each a list of sibling modules, and the contract's name;
    ``([], "")`` when pyproject has no layers contract."""
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    contracts = config.get("tool", {}).get("importlinter", {}).get("contracts", [])
    for contract in contracts:
        if contract.get("type") == "layers":
            container = (contract.get("containers") or [""])[0]
            layers = []
            for layer in contract["layers"]:
                names = [n.strip().strip("()") for n in layer.replace(":", "|").split("|")]
                layers.append([f"{container}.{n}" if container else n for n in names if n])
            return layers, contract.get("name", "layers")
    return [], ""


def layers_svg(layers: list[list[str]]) -> str:
    """Stacked rows of boxes, highest layer first, an arrow down between rows: a layer may
    import the layers below it, never those above."""
    height = PAD * 2 + len(layers) * ROW + (len(layers) - 1) * GAP
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
             f'width="{WIDTH}" height="{height}" role="img" '
             'aria-labelledby="layers-title" font-family="sans-serif" font-size="14">',
             '<title id="layers-title">The package\'s layers, highest first: each may import '
             'only those below it</title>',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
             'markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" '
             'fill="#555"/></marker></defs>']
    for index, names in enumerate(layers):
        top = PAD + index * (ROW + GAP)
        box = (WIDTH - 2 * PAD - (len(names) - 1) * 10) / len(names)
        for column, name in enumerate(names):
            left = PAD + column * (box + 10)
            parts.append(f'<rect x="{left:.0f}" y="{top}" width="{box:.0f}" height="{ROW}" '
                         'rx="6" fill="#eef3f8" stroke="#2b5d8a"/>')
            parts.append(f'<text x="{left + box / 2:.0f}" y="{top + ROW / 2 + 5:.0f}" '
                         f'text-anchor="middle" fill="#102a43">{html.escape(name)}</text>')
        if index < len(layers) - 1:
            x = WIDTH / 2
            parts.append(f'<line x1="{x}" y1="{top + ROW + 2}" x2="{x}" '
                         f'y2="{top + ROW + GAP - 4}" stroke="#555" stroke-width="2" '
                         'marker-end="url(#arrow)"/>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _write(app: Sphinx) -> None:
    layers, name = layers_contract()
    if not layers:
        raise ExtensionError("pyproject.toml has no import-linter layers contract to draw the "
                             "architecture's picture from")
    source = (f"Drawn at build time from the import-linter contract *{name}* in "
              "`pyproject.toml`, which the test suite enforces.")
    OUTPUT.parent.mkdir(exist_ok=True)
    svg = layers_svg(layers)
    if not OUTPUT.is_file() or OUTPUT.read_text(encoding="utf-8") != svg:
        OUTPUT.write_text(svg, encoding="utf-8")
    if not NOTE.is_file() or NOTE.read_text(encoding="utf-8") != source + "\n":
        NOTE.write_text(source + "\n", encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", _write)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
