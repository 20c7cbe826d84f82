#!/usr/bin/env python3
"""How many status updates a Python StatusSubscription applies per second, by the size of the tree.

    python3 python/bench/bench_status.py              # starts its own rocbroker from the build
    python3 python/bench/bench_status.py --paths 10 1000 10000

A publisher process (the C++ roc_test_status_publisher would emit one path; this is a Python
StatusUpdater in a child process) first emits every leaf once, then updates them round-robin, one
leaf per update, as a device loop does. The subscriber, in this process, reads and applies (merged
tree and sources) for a fixed time. Each row is one tree size: updates/s applied, and what the
publisher emitted in the same time (the subscriber keeps up when the two agree).
"""
from __future__ import annotations

import argparse
import multiprocessing
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python"))

import roc  # noqa: E402
from roc.status import StatusSubscription, StatusUpdater  # noqa: E402

from bench_client import BUILD, start  # noqa: E402  (this folder: the broker started the same way)


def publish(address: str, paths: int, seconds: float, emitted) -> None:
    with StatusUpdater(address, program="bench-publisher") as updater:
        for i in range(paths):
            updater.emit(f"bench.s{i}", 0)
        updater.flush(10)
        count, deadline = 0, time.monotonic() + seconds
        while time.monotonic() < deadline:
            for _ in range(100):
                updater.emit(f"bench.s{count % paths}", count)
                count += 1
            time.sleep(0)  # let the sending thread run
        emitted.value = count
        updater.flush(5)


def run(address: str, paths: int, seconds: float) -> tuple:
    with StatusSubscription("bench", address, timeout=0.5) as sub:
        while not sub.synced:
            sub.next(0.1)
        emitted = multiprocessing.Value("q", 0)
        child = multiprocessing.Process(target=publish, args=(address, paths, seconds, emitted))
        child.start()
        applied, started = 0, None
        while child.is_alive() or sub.next(0.0):
            update = sub.next(0.2)
            if update and update.path.startswith("bench.s"):
                if started is None and len(sub.tree.get("bench", {})) >= paths:
                    started, applied = time.monotonic(), 0   # every leaf is there: time from now
                applied += 1
        child.join()
        elapsed = time.monotonic() - started if started else float("nan")
        return applied / elapsed, emitted.value / seconds, len(sub.sources)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--paths", type=int, nargs="+", default=[10, 1000, 10000])
    parser.add_argument("--seconds", type=float, default=3.0, help="how long each publisher updates")
    args = parser.parse_args()
    broker, line = start([str(BUILD / "runtime/apps/rocbroker"), "--bind", "127.0.0.1:0"],
                         r"rocbroker: calls tcp://127\.0\.0\.1:\d+")
    try:
        address = "127.0.0.1:" + re.search(r"127\.0\.0\.1:(\d+)", line).group(1)
        print(f"roc {roc.__version__}, Python {sys.version.split()[0]}; broker {address}")
        print(f"{'leaves':>8} {'applied/s':>12} {'emitted/s':>12} {'sources':>8}")
        for paths in args.paths:
            applied, emitted, sources = run(address, paths, args.seconds)
            print(f"{paths:>8} {applied:>12,.0f} {emitted:>12,.0f} {sources:>8}")
    finally:
        broker.terminate()
        broker.wait(5)


if __name__ == "__main__":
    main()
