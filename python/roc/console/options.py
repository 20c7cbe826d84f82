"""The command-line options every console command shares, so `roc web`, `roc archive` and
`roc history` spell them, default them and report them as the C++ `roc` does."""
from __future__ import annotations

import argparse
from typing import NoReturn, Optional

from .. import __version__
from ..archive import parse_duration
from ..endpoints import Endpoints

# runtime/apps/roc_output.hpp: the same numbers as the C++ command line.
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_TIMEOUT = 3
EXIT_NOT_FOUND = 4
EXIT_CERTIFICATE = 7
EXIT_UNREACHABLE = 9
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """Says a usage error in one line and exits 2, as every C++ roc tool does (roc/cli.hpp)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def parser(command: str, description: str) -> argparse.ArgumentParser:
    """An argparse parser named `roc <command>`, with --version."""
    result = _Parser(prog=f"roc {command}", description=description)
    result.add_argument("--version", action="version", version=f"roc {command} {__version__}")
    return result


def add_broker_options(parser: argparse.ArgumentParser) -> None:
    """`-b/--broker`, `--cert`, `--broker-cert`, each defaulting to its variable as in C++."""
    parser.add_argument("-b", "--broker", metavar="ADDR",
                        help="broker address: host, host:port, tcp://host:port or ipc://path "
                             "(default: $ROC_BROKER, else localhost:5555)")
    parser.add_argument("--cert", metavar="FILE",
                        help="this program's secret certificate, PATH.key_secret from `roc keygen PATH` "
                             "(default: $ROC_CERT)")
    parser.add_argument("--broker-cert", metavar="FILE",
                        help="the broker's public certificate; turns CURVE on "
                             "(default: $ROC_BROKER_CERT, else plaintext)")


KEEP_FOREVER = ("none", "forever")


def positive_duration(text: str) -> float:
    """An argparse type: 30s, 5m, 1h, 7d (roc.archive.parse_duration), more than zero."""
    try:
        seconds = parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a positive duration")
    return seconds


def retention(text: str) -> Optional[float]:
    """An argparse type for --retention: a positive duration, or `none` to keep everything."""
    if text.strip().lower() in KEEP_FOREVER:
        return None
    try:
        return positive_duration(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a retention: give a positive duration "
                                         "(30d, 12h), or 'none' to keep everything") from None


def add_archive_options(parser: argparse.ArgumentParser, default_path: str) -> None:
    """`--archive PATH` and `--retention DUR`, as `roc archive` and `roc web` share them."""
    parser.add_argument("--archive", metavar="PATH",
                        help=f"the archive file (default: $ROC_ARCHIVE, else {default_path})")
    parser.add_argument("--retention", metavar="DUR", type=retention, default="30d",
                        help="delete values older than this, at start and then periodically "
                             "(default: 30d; 'none' keeps everything)")


def endpoints(args: argparse.Namespace) -> Endpoints:
    """The endpoints the broker options name; ValueError (address) or roc.CertificateError (a
    certificate file) says what is wrong, before anything connects."""
    return Endpoints(args.broker, cert=args.cert, broker_cert=args.broker_cert)

