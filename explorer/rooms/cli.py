"""``python -m explorer room open|list|export|report|close``: live rooms from a shell.

(``room serve``, the join page alone, is started by ``explorer.cli`` from ``explorer.serve.server``:
nothing in ``explorer.rooms`` imports the server or the dashboards.)

Exit codes as the rest of the command line: 0 done, 1 the room or the store could not be
used (a sentence on stderr, never a traceback), 2 the command was used wrongly.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from ..data.load import load
from ..errors import ExplorerError, RoomError
from ..evidence.questions import deck
from .addresses import LOCAL_ONLY_BASE, join_address_from_base, reachable_from_phones
from .profile import export_csv
from .report import report_filename, room_report_html
from .store import RoomStore, normalise_code

__all__ = ["room_command"]


def _say(text: str) -> None:
    print(f"explorer room: {text}", file=sys.stderr)


def _write(target: str, text: str, what: str) -> bool:
    """Write ``text`` to ``target``; False (with a sentence) when it cannot be written."""
    try:
        with open(target, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    except OSError as error:
        _say(f"cannot write {target}: {error.strerror or error}; {what}")
        return False
    return True


def _report(store: RoomStore, code: str, args: argparse.Namespace) -> int:
    try:
        ds = load(args.data)
    except ExplorerError as error:
        print(error, file=sys.stderr)
        return 1
    target = args.out or report_filename(code)
    if not _write(target, room_report_html(ds, store.tally(code)), "no report was written"):
        return 1
    print(f"wrote {target}")
    return 0


def room_command(args: argparse.Namespace) -> int:
    """Run ``room <action>``; the exit code."""
    store = RoomStore()
    try:
        return _run(store, args)
    except RoomError as error:
        _say(str(error))
        return 1
    finally:
        store.close_store()


def _run(store: RoomStore, args: argparse.Namespace) -> int:
    if args.action == "open":
        if args.hours <= 0 or args.max < 1:
            _say("--hours and --max must be above 0")
            return 2
        try:
            ds = load(args.data)
        except ExplorerError as error:
            print(error, file=sys.stderr)
            return 1
        room = store.create_room(deck(ds), ttl_s=args.hours * 3600,
                                 max_participants=args.max)
        expires = datetime.fromtimestamp(room.expires_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
        join = join_address_from_base(args.base, room.code)
        print(f"room {room.code} open until {expires}, at most {room.max_participants} "
              f"people\njoin: {join}\nstore: {store!r}")
        if not reachable_from_phones(join):
            _say(LOCAL_ONLY_BASE)
        return 0
    if args.action == "list":
        open_rooms = store.open_rooms()
        if not open_rooms:
            print("No room is open.")
        for room in open_rooms:
            print(f"{room.code}  question {room.question + 1} of {len(room.deck)}"
                  f"{'  locked' if room.locked else ''}"
                  f"{'  revealed' if room.revealed else ''}")
        return 0
    code = normalise_code(args.code)
    if code is None:
        _say(f"{args.code!r} is not a room code")
        return 2
    if args.action == "report":
        return _report(store, code, args)
    out = args.out if args.action == "export" else args.export
    if args.action == "export" or out:
        target = out or f"room-{code}.csv"
        text = export_csv(store, code)
        if not _write(target, text, "nothing was deleted"):
            return 1
        print(f"wrote {target} ({max(0, text.count(chr(10)) - 1)} rows)")
    if args.action == "close":
        if not store.close(code):
            _say(f"there is no open room {code}")
            return 1
        print(f"room {code} closed: it and its answers are deleted")
    return 0
