"""Command line.

- ``python -m explorer validate [PATH] [--format text|json]``: check a data package.
- ``python -m explorer export [--query Q] [--out FILE] [--data PATH]``: write a handout.

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
        description="Closing the Gap evidence explorer: check the data package.",
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
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    args = _parser().parse_args(argv)
    if args.command == "export":
        return _export(args)
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
