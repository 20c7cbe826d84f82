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

import roc
from roc.archive import Archive, DEFAULT_RETENTION, Recorder, default_archive_path, parse_duration

OK, FAILURE, USAGE = 0, 1, 2
KEEP_FOREVER = ("none", "forever")


def retention_argument(text: str) -> Optional[float]:
    """--retention: a duration, or `none` to keep everything."""
    if text.strip().lower() in KEEP_FOREVER:
        return None
    try:
        seconds = parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"a retention of '{text}' would keep nothing: give a positive "
                                         "duration, or 'none' to keep everything")
    return seconds


def positive_duration(text: str) -> float:
    try:
        seconds = parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a positive duration")
    return seconds


def describe_duration(seconds: Optional[float]) -> str:
    """30d, 12h, 90s: the largest unit that divides it; 'none' for None."""
    if seconds is None:
        return "none"
    for unit, size in (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="roc archive",
        description="Record the numeric status values the broker relays (every int or float leaf of "
                    "the status tree, with its publisher's time) into an SQLite archive, until "
                    "Ctrl-C or SIGTERM. The values in the broker's cache at start are recorded too. "
                    "`roc history` and `roc web` read the archive while this writes it.",
        epilog="Durations: 30s, 5m, 1h, 7d, 2w. See docs/archive.md.")
    p.add_argument("--broker", metavar="ADDR", default=None,
                   help="the broker (default: $ROC_BROKER, else localhost:5555)")
    p.add_argument("--archive", metavar="PATH", default=None,
                   help=f"the archive file (default: $ROC_ARCHIVE, else {default_archive_path()})")
    p.add_argument("--retention", metavar="DUR", type=retention_argument, default=DEFAULT_RETENTION,
                   help="delete values older than this, at start and then periodically "
                        "(default: 30d; 'none' keeps everything)")
    p.add_argument("--mask", metavar="PATH", action="append", default=[],
                   help="record only this status subtree (dotted path; repeat for several; "
                        "default: everything)")
    p.add_argument("--flush", metavar="DUR", type=positive_duration, default=0.5,
                   help="write what was received to the file this often (default: 0.5s); "
                        "SIGINT and SIGTERM write the rest before exiting")
    p.add_argument("--version", action="version", version=f"roc archive {roc.__version__}")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    path = default_archive_path() if args.archive is None else args.archive
    try:
        endpoints = roc.Endpoints(args.broker)
    except ValueError as error:
        print(f"roc archive: {error}", file=sys.stderr)
        return USAGE
    except roc.CertificateError as error:
        print(f"roc archive: {error}", file=sys.stderr)
        return FAILURE
    try:
        archive = Archive(path, retention=args.retention)
    except (OSError, sqlite3.Error) as error:
        print(f"roc archive: cannot open the archive {path}: {error}", file=sys.stderr)
        return FAILURE
    try:
        recorder = Recorder(archive, endpoints, masks=args.mask, flush_interval=args.flush)
    except ValueError as error:  # a malformed mask
        archive.close()
        print(f"roc archive: {error}", file=sys.stderr)
        return USAGE

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    recorder.start()
    masks = ", ".join(args.mask) if args.mask else "all status"
    print(f"roc archive: recording {masks} from {endpoints.address} into {archive.path} "
          f"(retention {describe_duration(args.retention)})", flush=True)
    while not stop.wait(1.0):
        pass
    recorder.stop()
    archive.close()
    print(f"roc archive: stopped; {recorder.recorded} values recorded", flush=True)
    return OK
