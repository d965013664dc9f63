"""Command line.

- ``python -m explorer validate [PATH] [--format text|json]``: check a data package.
- ``python -m explorer export [--query Q] [--out FILE] [--data PATH]``: write a handout.
- ``python -m explorer notebooks [--out DIR]``: write the Voila notebooks from the registry.
- ``python -m explorer digest [PATH] [--check]``: the SHA-256 digest of a package's data
  files, for its ``CHANGELOG.md`` entry; ``--check`` compares the newest entry with the
  files (see ``explorer.release``).

Exit codes: 0 success (the package is valid), 1 the data has problems, 2 the command was
used wrongly. A data problem is a report, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys

from .read import data_path
from .validate import validate

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="explorer",
        description="Evidence explorer: check a data package, write handouts, notebooks "
        "and release digests.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "validate",
        help="check a data package and report every problem",
        description="Check a data package (default: $EXPLORER_DATA, else the embedded data) "
        "and report every problem with its file, line, column, rule and value.",
    )
    check.add_argument("path", nargs="?", help="package folder or its datapackage.json")
    check.add_argument("--format", choices=("text", "json"), default="text",
                       help="report format (default: text)")
    export = commands.add_parser(
        "export",
        help="write a self-contained HTML handout of a matrix view",
        description="Write the matrix view described by a dashboard link's query string "
        "(e.g. 'columns=setting_type&strength=evident') as one HTML file with no scripts "
        "and no outside requests, for printing or emailing.",
    )
    export.add_argument("--query", default="", help="the view, as in a dashboard link")
    export.add_argument("--out", default="closing-the-gap-handout.html",
                        help="file to write (default: closing-the-gap-handout.html)")
    export.add_argument("--data", help="data package folder (default: $EXPLORER_DATA, "
                        "else the embedded data)")
    digest = commands.add_parser(
        "digest",
        help="print the SHA-256 digest of a data package's files, for its CHANGELOG.md",
        description="Print the digest of every file in a data package (default: "
        "$EXPLORER_DATA, else the embedded data) except CHANGELOG.md. A release of the data "
        "records it in the newest CHANGELOG.md entry.",
    )
    digest.add_argument("path", nargs="?", help="package folder")
    digest.add_argument("--check", action="store_true",
                        help="check that the newest CHANGELOG.md entry records the version "
                        "and date in datapackage.json and this digest; exit 1 if not")
    notebooks = commands.add_parser(
        "notebooks",
        help="write the Voila notebooks, one per page of the registry",
        description="Write notebooks/<page>.ipynb for every page in explorer.pages.PAGES "
        "(thin: import, build, display). The suite fails when the committed notebooks "
        "differ from what this writes.",
    )
    notebooks.add_argument("--out", default="notebooks",
                           help="folder to write into (default: notebooks)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    args = _parser().parse_args(argv)
    if args.command == "export":
        return _export(args)
    if args.command == "digest":
        return _digest(args)
    if args.command == "notebooks":
        return _notebooks(args)
    folder = data_path(args.path)
    problems = validate(folder)
    if args.format == "json":
        report = {"path": str(folder), "valid": not problems,
                  "problems": [problem.as_dict() for problem in problems]}
        print(json.dumps(report, indent=2, ensure_ascii=False))
    elif problems:
        noun = "problem" if len(problems) == 1 else "problems"
        print(f"{folder}: {len(problems)} {noun}")
        for problem in problems:
            print(f"  - {problem}")
    else:
        print(f"{folder}: valid")
    return 1 if problems else 0


def _export(args: argparse.Namespace) -> int:
    from .errors import ExplorerError
    from .export import handout_html
    from .load import load

    try:
        ds = load(args.data)
    except ExplorerError as error:
        print(error, file=sys.stderr)
        return 1
    with open(args.out, "w", encoding="utf-8") as handle:
        handle.write(handout_html(ds, args.query))
    print(f"wrote {args.out}")
    return 0


def _digest(args: argparse.Namespace) -> int:
    from .errors import ExplorerError
    from .release import data_digest, release_problems

    folder = data_path(args.path)
    if not folder.is_dir():
        print(f"{folder}: no such folder", file=sys.stderr)
        return 1
    if not args.check:
        print(data_digest(folder))
        return 0
    try:
        problems = release_problems(folder)
    except ExplorerError as error:
        print(error, file=sys.stderr)
        return 1
    for problem in problems:
        print(f"  - {problem}")
    if problems:
        return 1
    print(f"{folder}: the newest CHANGELOG.md entry matches the data files")
    return 0


def _notebooks(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .notebooks import write_notebooks

    for path in write_notebooks(Path(args.out)):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
