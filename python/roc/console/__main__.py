"""`python3 -m roc.console <web|archive|history> [options]`: the entry point `roc web`, `roc archive`
and `roc history` forward to. Each command is a module with `main(argv) -> exit code`; it is imported
only when asked for, so `roc history` does not pay for the web server's imports."""
from __future__ import annotations

import importlib
import sys
from typing import List, Optional

from ..errors import BrokerUnreachable, CertificateError
from .options import EXIT_CERTIFICATE, EXIT_INTERRUPTED, EXIT_UNREACHABLE, EXIT_USAGE

COMMANDS = {
    "web": ("roc.console.web", "serve the live web console"),
    "archive": ("roc.console.archive_command", "record numeric status values into the archive"),
    "history": ("roc.console.history_command", "print a status value's history from the archive"),
}

def usage() -> str:
    lines = ["usage: roc <command> [options]", "", "console commands:"]
    lines += [f"  {name:<9} {summary}" for name, (_, summary) in COMMANDS.items()]
    lines += ["", "`roc <command> --help` describes each."]
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in COMMANDS:
        if args and args[0] in ("-h", "--help"):
            print(usage())
            return 0
        print(f"roc: unknown console command {args[0]!r}\n" if args else "", end="", file=sys.stderr)
        print(usage(), file=sys.stderr)
        return EXIT_USAGE
    name = args[0]
    module = importlib.import_module(COMMANDS[name][0])
    # The errors every command can meet, said once as the C++ roc says them (roc_command.cpp).
    try:
        return module.main(args[1:])
    except BrokerUnreachable as error:
        print(f"roc {name}: {error}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except CertificateError as error:
        print(f"roc {name}: {error}", file=sys.stderr)
        return EXIT_CERTIFICATE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
