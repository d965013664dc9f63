"""Benchmark: what the read-only static site and the programme's briefing weigh, as built.

Builds the static site (``python -m explorer site``) and the whole-programme briefing
(``python -m explorer export``) into a temporary folder and measures them: files, bytes in
all, and how much of that is plotly.js (written once in the site, into the briefing's one
file). The baseline is plotly.js itself, so the ratio says what the explorer's own pages add.
Nothing is served; this is what a static host or an e-mail carries.

    python bench/site.py
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from common import ROOT, load_line, recorded

MB = 1_000_000


def build(out: Path) -> tuple[Path, Path]:
    """The static site and the briefing, built by the explorer's own commands."""
    site, briefing = out / "site", out / "briefing.html"
    for command in (["site", "--out", str(site)], ["export", "--out", str(briefing)]):
        subprocess.run([sys.executable, "-m", "explorer", *command], cwd=ROOT, check=True,
                       capture_output=True)
    return site, briefing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args = parser.parse_args()
    print(load_line("before"), flush=True)
    with recorded("site", args) as figures, tempfile.TemporaryDirectory() as tmp:
        site, briefing = build(Path(tmp))
        files = [p for p in site.rglob("*") if p.is_file()]
        total = sum(p.stat().st_size for p in files)
        plotly = sum(p.stat().st_size for p in files if p.name.startswith("plotly"))
        figures.update({
            "site_files": len(files),
            "site_mb": round(total / MB, 1),
            "site_plotly_mb": round(plotly / MB, 1),
            "site_pages_mb": round((total - plotly) / MB, 1),
            "briefing_mb": round(briefing.stat().st_size / MB, 1),
        })
        print(f"static site: {len(files)} files, {total / MB:.1f} MB, of which plotly.js "
              f"{plotly / MB:.1f} MB ({(total - plotly) / max(plotly, 1):.2f}x plotly.js "
              "for the explorer's own pages)")
        print(f"briefing:    {briefing.stat().st_size / MB:.1f} MB in one file")
    print(load_line("after"))


if __name__ == "__main__":
    main()
