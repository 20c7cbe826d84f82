"""The operator's console: `roc web` (a live web console), `roc archive` (status history into SQLite)
and `roc history` (that history in the terminal). Run as `python3 -m roc.console <command> ...`; the
C++ `roc` command line forwards these three commands here."""
