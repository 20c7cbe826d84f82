#!/usr/bin/env python3
"""Long calls from Python (idl/PROTOCOL.md §2.6), through the C++ broker of the build: how many
progress events a Python caller receives per second from a Python method, how long a cancel
takes to reach the method and to answer the caller, and what a context costs a call that
reports nothing.

    python3 python/bench/bench_long_calls.py                    # starts its own rocbroker
    python3 python/bench/bench_long_calls.py --broker HOST:PORT
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python"))

import roc  # noqa: E402

BUILD = Path(os.environ.get("ROC_BUILD_DIR") or REPO / "build")


class Device:
    def __init__(self) -> None:
        self.started = threading.Event()
        self.saw_cancel = 0.0

    def report(self, events: int, pause_every: int, ctx: roc.CallContext) -> int:
        for i in range(events):
            ctx.progress(i / events, "step")
            if i % pause_every == pause_every - 1:
                time.sleep(0.0002)   # lets the server's I/O thread send what waits
        return events

    def wait(self, ctx: roc.CallContext) -> None:
        self.started.set()
        if ctx.wait_cancelled(30.0):
            self.saw_cancel = time.monotonic()
            raise roc.Cancelled()

    def plain(self, x: int) -> int:
        return x

    def with_context(self, x: int, ctx: roc.CallContext) -> int:
        return x


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broker", help="a running broker (default: start one from the build)")
    args = parser.parse_args()
    broker = None
    address = args.broker
    if address is None:
        broker = subprocess.Popen([str(BUILD / "runtime/apps/rocbroker"), "--bind", "127.0.0.1:0"],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in broker.stdout:
            match = re.search(r"calls tcp://127\.0\.0\.1:(\d+)", line)
            if match:
                address = f"127.0.0.1:{match.group(1)}"
                break
        threading.Thread(target=broker.stdout.read, daemon=True).start()
    device = Device()
    server = roc.Server(address).publish("bench-long", device).start()
    try:
        server.wait_registered()
        with roc.Client(address, timeout=60) as client:
            proxy = client["bench-long"]
            proxy.plain(1)
            events = 20_000
            for pause_every in (1_000_000, 64, 16):
                rates, received = [], []
                for _ in range(3):
                    started = time.perf_counter()
                    call = proxy.report.start(events, pause_every)
                    count = sum(1 for _ in call.progress())
                    call.result()
                    rates.append(count / (time.perf_counter() - started))
                    received.append(count)
                paced = "unpaced" if pause_every > events else f"a 0.2 ms pause every {pause_every}"
                print(f"progress events a Python caller receives ({paced}): {max(rates):,.0f}/s, "
                      f"{min(received):,}-{max(received):,} of {events:,} arrived")

            to_method, to_caller = [], []
            for _ in range(20):
                device.started.clear()
                call = proxy.wait.start()
                device.started.wait(5)
                time.sleep(0.01)
                sent = time.monotonic()
                call.cancel()
                try:
                    call.result(5)
                except roc.Cancelled:
                    to_caller.append(time.monotonic() - sent)
                deadline = time.monotonic() + 5
                while device.saw_cancel < sent and time.monotonic() < deadline:
                    time.sleep(0.0005)
                to_method.append(device.saw_cancel - sent)
            print(f"cancel → method sees it: median {statistics.median(to_method) * 1e3:.2f} ms, "
                  f"max {max(to_method) * 1e3:.2f} ms; → caller gets -32008: median "
                  f"{statistics.median(to_caller) * 1e3:.2f} ms")

            for name in ("plain", "with_context", "plain", "with_context"):
                method = getattr(proxy, name)
                best = []
                for _ in range(5):
                    started = time.perf_counter()
                    for i in range(2000):
                        method(i)
                    best.append((time.perf_counter() - started) / 2000)
                print(f"a call to a method {'without' if name == 'plain' else 'taking'} a context: "
                      f"{min(best) * 1e6:.0f} µs")
    finally:
        server.stop()
        if broker is not None:
            broker.terminate()
            broker.wait(5)


if __name__ == "__main__":
    main()
