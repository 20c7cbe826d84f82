"""The command-line options every console command shares, so `roc web`, `roc archive` and
`roc history` spell them, default them and report them as the C++ `roc` does."""
from __future__ import annotations

import argparse
from .. import __version__
from ..endpoints import Endpoints

# runtime/apps/roc_output.hpp: the same numbers as the C++ command line.
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_TIMEOUT = 3
EXIT_NOT_FOUND = 4
EXIT_UNREACHABLE = 9
EXIT_INTERRUPTED = 130


def parser(command: str, description: str) -> argparse.ArgumentParser:
    """An argparse parser named `roc <command>`, with --version."""
    result = argparse.ArgumentParser(prog=f"roc {command}", description=description)
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


def endpoints(args: argparse.Namespace) -> Endpoints:
    """The endpoints the broker options name; ValueError (address) or roc.CertificateError (a
    certificate file) says what is wrong, before anything connects."""
    return Endpoints(args.broker, cert=args.cert, broker_cert=args.broker_cert)

