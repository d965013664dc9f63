"""Command line: ``python -m explorer validate [PATH] [--format text|json]``.

Exit codes: 0 the package is valid, 1 it has problems, 2 the command was used wrongly.
A data problem is a report, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys

from .load import data_path
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
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    args = _parser().parse_args(argv)
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
