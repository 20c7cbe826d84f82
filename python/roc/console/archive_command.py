"""`roc archive`: records the broker's numeric status values into the archive until SIGINT/SIGTERM.

The recording itself is roc.archive.Recorder (the console's `roc web` runs the same one); this
module is only its command line: options, the start line, signals, exit codes.
"""
from __future__ import annotations

import argparse
import signal
import sqlite3
import sys
import threading
from typing import List, Optional

from ..archive import Archive, Recorder, default_archive_path
from . import options

WAIT_NOTICE = 3.0  # seconds without the broker's snapshot before saying that it is awaited


def describe_duration(seconds: Optional[float]) -> str:
    """30d, 12h, 90s (14d, not 2w): the largest unit that divides it; 'none' for None."""
    if seconds is None:
        return "none"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def parser() -> argparse.ArgumentParser:
    p = options.parser(
        "archive",
        "Record the numeric status values the broker relays (every int or float leaf of the status "
        "tree, with its publisher's time) into an SQLite archive, until Ctrl-C or SIGTERM. The values "
        "in the broker's cache at start are recorded too. `roc history` and `roc web` read the "
        "archive while this writes it.")
    p.epilog = "Durations: 30s, 5m, 1h, 7d, 2w. See docs/archive.md."
    options.add_broker_options(p)
    options.add_archive_options(p, str(default_archive_path()))
    p.add_argument("--mask", metavar="PATH", action="append", default=[],
                   help="record only this status subtree (dotted path; repeat for several; "
                        "default: everything)")
    p.add_argument("--flush", metavar="DUR", type=options.positive_duration, default=0.5,
                   help="write what was received to the file this often (default: 0.5s); "
                        "SIGINT and SIGTERM write the rest before exiting")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    path = default_archive_path() if args.archive is None else args.archive
    try:
        endpoints = options.endpoints(args)
    except ValueError as error:
        print(f"roc archive: {error}", file=sys.stderr)
        return options.EXIT_USAGE
    try:
        archive = Archive(path, retention=args.retention)
    except (OSError, sqlite3.Error) as error:
        print(f"roc archive: cannot open the archive {path}: {error}", file=sys.stderr)
        return options.EXIT_FAILURE
    try:
        recorder = Recorder(archive, endpoints, masks=args.mask, flush_interval=args.flush)
    except ValueError as error:  # a malformed mask
        archive.close()
        print(f"roc archive: {error}", file=sys.stderr)
        return options.EXIT_USAGE

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    recorder.start()
    # The start line comes once the broker's snapshot is recorded: from then on every update is,
    # so a script that waits for the line knows that what it publishes next is archived.
    waited = 0.0
    while not stop.is_set() and not recorder.synced.wait(0.1):
        waited += 0.1
        if abs(waited - WAIT_NOTICE) < 0.05:
            print(f"roc archive: waiting for the broker at {endpoints.address} ...", file=sys.stderr, flush=True)
    if not stop.is_set():
        masks = ", ".join(args.mask) if args.mask else "all status"
        print(f"roc archive: recording {masks} from {endpoints.address} into {archive.path} "
              f"(retention {describe_duration(args.retention)})", flush=True)
    while not stop.wait(1.0):
        pass
    recorder.stop()
    archive.close()
    print(f"roc archive: stopped; {recorder.recorded} values recorded", flush=True)
    return options.EXIT_OK
