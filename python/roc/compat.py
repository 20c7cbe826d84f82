"""Placeholder until the original ROC's names land (issue 11, lead)."""
RocClient = RocLogger = RocServer = RocStatusUpdater = None
initRocLogging = run_simple_server = statusUpdateIterator = None
