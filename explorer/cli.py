"""Command line.

- ``python -m explorer validate [PATH] [--format text|json]``: check a data package.
- ``python -m explorer export [--out FILE] [--data PATH]``: the whole programme's briefing;
  ``--project ID``: one project's brief; ``--matrix [--query Q]`` (or ``--query Q`` alone):
  the handout of the matrix view a dashboard link's query string describes.
- ``python -m explorer site --out DIR [--live URL] [--data PATH]``: the static read-only site.
- ``python -m explorer notebooks [--out DIR]``: write the Voila notebooks from the registry.
- ``python -m explorer room open|close|export|list``: live rooms from a shell (see
  ``explorer.rooms``): open one and print its code and join address; ``export CODE`` writes
  its answers as CSV (formulas inert); ``close CODE [--export FILE]`` writes the CSV first,
  if asked, then deletes the room and its answers.
- ``python -m explorer serve [VOILA ARGS]``: the dashboards and the rooms' join page (Voila
  plus ``explorer.serve.server``'s handlers), as ``make serve`` runs it.
- ``python -m explorer digest [PATH] [--check]``: the SHA-256 digest of a package's data
  files, for its ``CHANGELOG.md`` entry; ``--check`` compares the newest entry with the
  files (see ``explorer.data.release``) and the rating history with the data.
- ``python -m explorer history [PATH] [--write]``: the rating history's rows for the
  current version, computed from the data (``explorer.evidence.query.history``); ``--write`` records
  them in ``rating_history.csv`` (keeping what the curators wrote about why a rating
  changed) and lists what still needs a reason.
- ``python -m explorer references [--format ris|bibtex] [--out FILE] [--data PATH]``: every
  source for a reference manager (``explorer.render.references``).
- ``python -m explorer profiles [--cell M:C] [--columns KIND] [--format csv|docx] [--out
  FILE] [--data PATH]``: GRADE-CERQual's Summary of Qualitative Findings and the Evidence
  Profile of every rated cell (or of one cell), as CSV or a Word document.

Exit codes: 0 success (the package is valid), 1 the data has problems, 2 the command was
used wrongly. A data problem is a report, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys

from .data.descriptor.facets import PROJECT
from .data.load import Dataset, load
from .data.read import data_path
from .data.validate import validate
from .errors import ExplorerError, StateError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="explorer",
        description="Evidence explorer: check a data package, write briefings, the static "
        "site, the notebooks and release digests.",
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
        help="write a self-contained HTML briefing or handout",
        description="Write one self-contained HTML file that opens without a server or "
        "internet and prints cleanly. By default: the whole programme's briefing (overview, "
        "matrix, one section per identified project with its chart, findings, "
        "disagreements, sources). --project ID: one project's brief. --matrix or --query Q: "
        "the handout of the view a dashboard link's query string describes (e.g. "
        "'columns=setting_type&strength=evident'), on --page (default: matrix), exactly as "
        "the page shows it.",
    )
    what = export.add_mutually_exclusive_group()
    what.add_argument("--project", metavar="ID", help="one identified project's brief")
    what.add_argument("--matrix", action="store_true", help="the matrix handout")
    export.add_argument("--query", help="the view, as in a dashboard link (a handout; "
                        "implies --matrix for the matrix page)")
    export.add_argument("--page", default="matrix", help="the page of --query's view "
                        "(default: matrix)")
    export.add_argument("--out", help="file to write (default: <programme>-briefing.html, "
                        "<programme>-<project>.html or <programme>-matrix.html)")
    export.add_argument("--data", help="data package folder (default: $EXPLORER_DATA, "
                        "else the embedded data)")
    export.add_argument("--since", metavar="VERSION", help="open with what has changed "
                        "since this data version (for a reader who last saw that release)")
    site = commands.add_parser(
        "site",
        help="write the static read-only site",
        description="Write every page's default view, every project's story, the matrix for "
        "each column choice, findings, disagreements and sources as plain HTML files with "
        "their charts, for any static web host. No kernel or server code is needed.",
    )
    site.add_argument("--out", required=True, help="folder to write (new, empty, or a site "
                      "this command wrote before, which is replaced)")
    site.add_argument("--live", help="base address of the live explorer (e.g. "
                      "https://explorer.example.org); each page links to its live view")
    site.add_argument("--data", help="data package folder (default: $EXPLORER_DATA, "
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
    history = commands.add_parser(
        "history",
        help="the rating history's rows for the current data version",
        description="Print every rating's strength, confidence level and sources as the "
        "data (default: $EXPLORER_DATA, else the embedded data) gives them now, as rows of "
        "rating_history.csv for the current version. --write records them in the file, "
        "keeping the reasons already written for ratings that changed, and lists the "
        "ratings whose change still needs its reason.",
    )
    history.add_argument("path", nargs="?", help="package folder")
    history.add_argument("--write", action="store_true",
                         help="record the rows in the package's rating_history.csv")
    references = commands.add_parser(
        "references",
        help="write every source for a reference manager (RIS or BibTeX)",
        description="Write the package's sources as RIS or BibTeX, each with its title, "
        "authors, publisher, date, address and the date it was read.",
    )
    references.add_argument("--format", choices=("ris", "bibtex"), default="ris",
                            help="file format (default: ris)")
    references.add_argument("--out", help="file to write (default: <programme>-sources.ris "
                            "or .bib)")
    references.add_argument("--data", help="data package folder (default: $EXPLORER_DATA, "
                            "else the embedded data)")
    profiles = commands.add_parser(
        "profiles",
        help="write GRADE-CERQual's Summary of Qualitative Findings and Evidence Profiles",
        description="Write, for the matrix (default columns: projects), the Summary of "
        "Qualitative Findings and the Evidence Profile of every rated cell; --cell M:C "
        "writes one cell's Evidence Profile (mechanism id and column id, as in a matrix "
        "link). CSV holds the tidy tables; docx is a Word document.",
    )
    profiles.add_argument("--cell", metavar="MECHANISM:COLUMN",
                          help="one cell, e.g. patient_beliefs:pathway")
    profiles.add_argument("--columns", default=PROJECT, help="the matrix's columns "
                          f"(default: {PROJECT})")
    profiles.add_argument("--format", choices=("csv", "docx"), default="docx",
                          help="file format (default: docx)")
    profiles.add_argument("--out", help="file to write")
    profiles.add_argument("--data", help="data package folder (default: $EXPLORER_DATA, "
                          "else the embedded data)")
    room = commands.add_parser(
        "room",
        help="open, list, export, report or close a live room",
        description="Live rooms from a shell, in the store the server uses ($EXPLORER_ROOM_DB, "
        "else rooms.sqlite in $EXPLORER_STATE, default .explorer-state/).",
    )
    actions = room.add_subparsers(dest="action", required=True)
    opening = actions.add_parser("open", help="open a room; print its code and join address")
    opening.add_argument("--data", help="data package the questions come from (default: "
                         "$EXPLORER_DATA, else the embedded data)")
    opening.add_argument("--base", default="http://127.0.0.1:8866/",
                         help="the server's address as participants reach it (default: "
                         "http://127.0.0.1:8866/)")
    opening.add_argument("--hours", type=float, default=24.0,
                         help="hours until the room expires and is deleted (default 24)")
    opening.add_argument("--max", type=int, default=200,
                         help="most participants (default 200)")
    actions.add_parser("list", help="list the open rooms")
    serving = actions.add_parser("serve", help="serve only the join page (no Voila, no "
                                 "kernels), e.g. as a JupyterHub service")
    serving.add_argument("--ip", default="127.0.0.1", help="address to listen on")
    serving.add_argument("--port", type=int, default=8867, help="port (default 8867)")
    serving.add_argument("--base-url", default=None, help="address prefix, ending in / "
                         "(default: $JUPYTERHUB_SERVICE_PREFIX, else /)")
    for name, text in (("export", "write a room's answers as CSV"),
                       ("close", "delete a room and its answers now")):
        action = actions.add_parser(name, help=text)
        action.add_argument("code", help="the room's code")
        action.add_argument("--out" if name == "export" else "--export", metavar="FILE",
                            help="CSV file to write" + (" first" if name == "close" else
                                                        " (default: room-<CODE>.csv)"))
    reporting = actions.add_parser(
        "report", help="write a room's report: one printable HTML page of its answers beside "
        "the projects' evidence")
    reporting.add_argument("code", help="the room's code")
    reporting.add_argument("--out", metavar="FILE",
                           help="HTML file to write (default: room-<CODE>-report.html)")
    reporting.add_argument("--data", help="data package the projects' evidence comes from "
                           "(default: $EXPLORER_DATA, else the embedded data)")
    notebooks = commands.add_parser(
        "notebooks",
        help="write the Voila notebooks, one per page of the registry",
        description="Write notebooks/<page>.ipynb for every page in explorer.pages.registry.PAGES "
        "(thin: import, build, display). The suite fails when the committed notebooks "
        "differ from what this writes.",
    )
    notebooks.add_argument("--out", default="notebooks",
                           help="folder to write into (default: notebooks)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        # Everything after ``serve`` is Voila's own command line (see explorer.serve.server).
        from .serve.server import main as serve

        serve(argv[1:])
        return 0
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "export":
        if args.query is not None and args.project is not None:
            parser.error("--query describes a matrix view; it cannot be used with --project")
        return _export(args)
    if args.command == "site":
        return _site(args)
    if args.command == "digest":
        return _digest(args)
    if args.command == "history":
        return _history(args)
    if args.command == "references":
        return _references(args)
    if args.command == "profiles":
        return _profiles(args)
    if args.command == "notebooks":
        return _notebooks(args)
    if args.command == "room" and args.action == "serve":
        import os

        from .serve.server import serve_join_page

        base = args.base_url or os.environ.get("JUPYTERHUB_SERVICE_PREFIX") or "/"
        serve_join_page(args.port, args.ip, base if base.endswith("/") else base + "/")
        return 0
    if args.command == "room":
        from .rooms.cli import room_command

        return room_command(args)
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


def _load(path: str | None) -> Dataset | None:
    """The dataset, or None after printing its problems to stderr."""
    try:
        return load(path)
    except ExplorerError as error:
        print(error, file=sys.stderr)
        return None


def _export(args: argparse.Namespace) -> int:
    from .app.briefings import briefing_filename, briefing_html, handout_html, project_brief_html

    ds = _load(args.data)
    if ds is None:
        return 1
    try:
        if args.matrix or args.query is not None:
            query = args.query or ""
            if args.since:
                query = "&".join(part for part in (query, f"version={args.since}") if part)
            document = handout_html(ds, query, page=args.page)
            out = args.out or briefing_filename(ds, args.page)
        elif args.project is not None:
            document = project_brief_html(ds, args.project, since=args.since)
            out = args.out or briefing_filename(ds, args.project)
        else:
            document = briefing_html(ds, since=args.since)
            out = args.out or briefing_filename(ds)
    except StateError as error:
        print(f"explorer export: {error}", file=sys.stderr)
        return 2
    try:
        with open(out, "w", encoding="utf-8") as handle:
            handle.write(document)
    except OSError as error:
        print(f"explorer export: cannot write {out}: {error.strerror or error}",
              file=sys.stderr)
        return 1
    print(f"wrote {out} ({len(document.encode('utf-8')) / 1e6:.1f} MB)")
    return 0


def _site(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .app.site import SiteError, build_site, check_live

    try:
        live = check_live(args.live)
    except SiteError as error:
        print(f"explorer site: {error}", file=sys.stderr)
        return 2
    ds = _load(args.data)
    if ds is None:
        return 1
    try:
        report = build_site(ds, Path(args.out), live=live)
    except SiteError as error:
        print(f"explorer site: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"explorer site: cannot write {args.out}: {error.strerror or error}",
              file=sys.stderr)
        return 1
    print(f"wrote {report.pages} pages to {args.out}: {report.files} files, "
          f"{report.bytes / 1e6:.1f} MB")
    return 0


def _digest(args: argparse.Namespace) -> int:
    from .data.release import data_digest, release_problems

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
    if not problems:
        from .evidence.query.history import history_problems

        ds = _load(str(folder))
        if ds is None:
            return 1
        problems = history_problems(ds)
    for problem in problems:
        print(f"  - {problem}")
    if problems:
        return 1
    print(f"{folder}: the newest CHANGELOG.md entry matches the data files, and the rating "
          "history matches the ratings")
    return 0


def _write_table(path: object, frame: object) -> None:
    """Write a DataFrame as the package writes CSV (UTF-8, LF, empty for missing)."""
    import csv
    import io

    import pandas as pd

    assert isinstance(frame, pd.DataFrame)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(frame.columns)
    for row in frame.itertuples(index=False):
        writer.writerow(["" if value is None or (isinstance(value, float) and value != value)
                         else value for value in row])
    from pathlib import Path

    Path(str(path)).write_text(buffer.getvalue(), encoding="utf-8")


def _history(args: argparse.Namespace) -> int:
    import pandas as pd

    from .evidence.query.history import HISTORY_TABLE, current_rows, history_problems

    ds = _load(args.path)
    if ds is None:
        return 1
    if HISTORY_TABLE not in ds.tables:
        print(f"{ds.path}: the package has no {HISTORY_TABLE} table", file=sys.stderr)
        return 1
    rows = current_rows(ds)
    if not args.write:
        print(rows.to_csv(index=False, lineterminator="\n"), end="")
        return 0
    spec = ds.descriptor.resource(HISTORY_TABLE)
    kept = ds[HISTORY_TABLE]
    kept = kept[kept.version != ds.version].assign(source_ids=[
        "; ".join(str(c) for c in cs) for cs in kept[kept.version != ds.version].source_ids])
    table = pd.concat([kept.astype(object), rows.astype(object)], ignore_index=True)
    _write_table(ds.path / spec.path, table[list(spec.field_names)])
    print(f"wrote {len(rows)} rows for {ds.version} to {spec.path}")
    problems = history_problems(load(ds.path))
    for problem in problems:
        print(f"  - {problem}")
    return 1 if problems else 0


def _references(args: argparse.Namespace) -> int:
    from .render.references import references_filename, sources_bibtex, sources_ris

    ds = _load(args.data)
    if ds is None:
        return 1
    text = sources_ris(ds) if args.format == "ris" else sources_bibtex(ds)
    out = args.out or references_filename(ds, args.format)
    return _write_text(out, text, "references")


def _profiles(args: argparse.Namespace) -> int:
    from .render.profile_files import (
        profile_csv,
        profile_docx,
        profiles_filename,
        summary_csv,
        summary_docx,
    )

    ds = _load(args.data)
    if ds is None:
        return 1
    try:
        if args.cell:
            mechanism_id, _, column_id = args.cell.partition(":")
            data: str | bytes = (profile_csv(ds, mechanism_id, column_id, args.columns)
                                 if args.format == "csv" else
                                 profile_docx(ds, mechanism_id, column_id, args.columns))
        else:
            data = (summary_csv(ds, args.columns) if args.format == "csv"
                    else summary_docx(ds, args.columns))
    except ExplorerError as error:
        print(f"explorer profiles: {error}", file=sys.stderr)
        return 2
    out = args.out or profiles_filename(ds, args.format, args.cell, args.columns)
    return _write_text(out, data, "profiles")


def _write_text(out: str, data: str | bytes, command: str) -> int:
    try:
        if isinstance(data, bytes):
            with open(out, "wb") as handle:
                handle.write(data)
        else:
            with open(out, "w", encoding="utf-8", newline="") as handle:
                handle.write(data)
    except OSError as error:
        print(f"explorer {command}: cannot write {out}: {error.strerror or error}",
              file=sys.stderr)
        return 1
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8"))
    print(f"wrote {out} ({size / 1e3:.1f} kB)")
    return 0


def _notebooks(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .app.notebooks import write_notebooks

    for path in write_notebooks(Path(args.out)):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
