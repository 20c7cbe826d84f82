"""`roc history PATH`: a status value's archived history in the terminal (a table, JSON or CSV).

It only reads the archive file (read-only, while `roc archive` or `roc web` may be writing it);
it never talks to the broker.
"""
from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import sys
import time
from datetime import datetime
from typing import List, Optional, Tuple

from ..archive import Archive, default_archive_path, parse_time
from . import options
#: Names the rest of a `roc history` table elides when the path is a subtree's.
LISTED_PATHS = 20


def time_argument(text: str) -> float:
    try:
        return parse_time(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def points_argument(text: str) -> int:
    try:
        points = int(text)
    except ValueError:
        points = 0
    if points < 2:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of points: give at least 2")
    return points


def local_time(t: float) -> str:
    """An ISO 8601 local time with milliseconds and the offset: 2026-11-30T09:17:25.123+01:00."""
    return datetime.fromtimestamp(t).astimezone().isoformat(timespec="milliseconds")


def shown_number(value: float) -> str:
    """21.5 as 21.5, 3.0 as 3: a counter reads as the integer it was."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def parser() -> argparse.ArgumentParser:
    p = options.parser(
        "history",
        "Print the archived values of one numeric status leaf (e.g. vnir.temperature) over a time "
        "range: a table of local time and value by default. The archive is recorded by "
        "`roc archive` or `roc web`. Exit status 4 when the archive does not exist or has no "
        "values of PATH in the range.")
    p.epilog = ("Times (--since, --until): a duration back from now (30s, 5m, 1h, 7d), 'now', a UNIX "
                "time (1764490000) or an ISO date/time (2026-11-30T08:00, local unless it has an "
                "offset). --json prints [{\"t\": UNIX seconds, \"value\": number}, ...]; --csv "
                "prints the header time,value then one ISO local time and value per line. "
                "See docs/archive.md.")
    p.add_argument("path", metavar="PATH", help="the dotted status path of a numeric leaf")
    p.add_argument("--since", metavar="TIME", type=time_argument, default=None,
                   help="from this time (default: 1h, an hour ago)")
    p.add_argument("--until", metavar="TIME", type=time_argument, default=None,
                   help="up to this time (default: now)")
    form = p.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print a JSON array of {\"t\", \"value\"}")
    form.add_argument("--csv", action="store_true", help="print CSV with the header time,value")
    p.add_argument("--archive", metavar="FILE", default=None,
                   help=f"the archive file (default: $ROC_ARCHIVE, else {default_archive_path()})")
    p.add_argument("--points", metavar="N", type=points_argument, default=None,
                   help="at most N points: the range cut into N/2 buckets, each giving its minimum "
                        "and maximum (default: every value)")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    now = time.time()
    since = now - 3600.0 if args.since is None else args.since
    until = now if args.until is None else args.until
    path = default_archive_path() if args.archive is None else args.archive
    try:
        archive = Archive(path, readonly=True)
    except FileNotFoundError:
        print(f"roc history: no archive at {path} (`roc archive` or `roc web` records one)", file=sys.stderr)
        return options.EXIT_NOT_FOUND
    except (OSError, sqlite3.Error) as error:
        print(f"roc history: cannot read the archive {path}: {error}", file=sys.stderr)
        return options.EXIT_FAILURE
    try:
        points = archive.query(args.path, since, until, args.points)
        below = [] if points else archive.paths(args.path + ".")
    except sqlite3.Error as error:
        print(f"roc history: cannot read the archive {path}: {error}", file=sys.stderr)
        return options.EXIT_FAILURE
    finally:
        archive.close()
    if not points:
        print(f"roc history: no values of '{args.path}' from {local_time(since)} to {local_time(until)} "
              f"in {path}{paths_hint(below)}", file=sys.stderr)
        return options.EXIT_NOT_FOUND
    try:
        write(points, "json" if args.json else "csv" if args.csv else "table")
    except BrokenPipeError:  # `roc history ... | head`: the reader has seen enough
        sys.stdout = None  # nothing more to flush at exit
    return options.EXIT_OK


def paths_hint(below: List[str]) -> str:
    """'; the archive has vnir.frames, vnir.temperature under it' for a subtree's path."""
    if not below:
        return ""
    names = ", ".join(below[:LISTED_PATHS]) + (", ..." if len(below) > LISTED_PATHS else "")
    return f"; its archived leaves are {names}"


def write(points: List[Tuple[float, float]], form: str) -> None:
    out = sys.stdout
    if form == "json":
        json.dump([{"t": round(t, 6), "value": value} for t, value in points], out)
        out.write("\n")
    elif form == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["time", "value"])
        writer.writerows((local_time(t), shown_number(value)) for t, value in points)
    else:
        out.write(f"{'TIME':<29} VALUE\n")
        out.writelines(f"{local_time(t):<29} {shown_number(value)}\n" for t, value in points)
    out.flush()
