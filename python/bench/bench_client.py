#!/usr/bin/env python3
"""How fast the Python client calls, against the C++ broker and servers; prints a table.

    python3 python/bench/bench_client.py                 # starts rocbroker, the test Device, vnir-server
    python3 python/bench/bench_client.py --broker HOST:PORT  # objects 'device' and 'vnir' already there

Rows: a raw pyzmq DEALER doing the same round trip (the floor any Python client has), the sync
roc.Client sequentially and from 64 threads, roc.aio sequentially and with 64 calls in flight,
and a full 1024x768 uint16 camera frame (vnir.frame()) into numpy. Then, unless --no-cxx, the C++
client on the same broker and Device (tests/bench/bench_calls --broker), and the C++ frame figures
of bench_frames (its own broker and server, from the same build).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, List, Optional

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python"))

import zmq  # noqa: E402

import roc  # noqa: E402
import roc.aio  # noqa: E402

BUILD = Path(os.environ.get("ROC_BUILD_DIR") or REPO / "build")
MIB = 1024.0 * 1024.0


def start(args: List[str], ready: str = "") -> tuple:
    """A started program and its first output line matching `ready` (its output is drained after)."""
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    if not ready:
        threading.Thread(target=process.stdout.read, daemon=True).start()
        return process, ""
    for line in process.stdout:
        if re.search(ready, line):
            threading.Thread(target=process.stdout.read, daemon=True).start()
            return process, line
    raise SystemExit(f"{args[0]} exited before printing '{ready}'")


def wait_for(client: roc.Client, object_id: str) -> None:
    deadline = time.monotonic() + 10
    while object_id not in [o["id"] for o in client.objects()]:
        if time.monotonic() > deadline:
            raise SystemExit(f"no '{object_id}' registered within 10 s")
        time.sleep(0.05)


def latencies(call: Callable[[], object], count: int) -> List[float]:
    for _ in range(min(200, count)):
        call()
    times = []
    clock = time.perf_counter
    for _ in range(count):
        t = clock()
        call()
        times.append(clock() - t)
    return times


def row(name: str, times: Optional[List[float]] = None, rate: Optional[float] = None, unit: str = "calls/s") -> None:
    if times:
        times = sorted(times)
        median = statistics.median(times) * 1e6
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))] * 1e6
        rate = rate if rate is not None else len(times) / sum(times)
        print(f"{name:<44} {median:>10.1f} {p99:>10.1f} {rate:>12.0f} {unit}")
    else:
        print(f"{name:<44} {'':>10} {'':>10} {rate:>12.0f} {unit}")


def raw_floor(address: str, count: int, object_id: bytes = b"device",
              body: bytes = b'{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]}') -> List[float]:
    """The same round trip on a bare pyzmq socket: no thread hand-over, no JSON decoding."""
    socket = zmq.Context.instance().socket(zmq.DEALER)
    socket.linger = 0
    socket.connect(f"tcp://{address}")
    frames = [b"", b"MDPC01", object_id, roc.wire.call_header(2.0, True), body]

    def call() -> None:
        socket.send_multipart(frames)
        socket.recv_multipart(copy=False)

    try:
        return latencies(call, count)
    finally:
        socket.close()


def threads_rate(device, threads: int, count: int) -> float:
    per = max(1, count // threads)
    barrier = threading.Barrier(threads + 1)

    def run() -> None:
        barrier.wait()
        for i in range(per):
            device.add(i, 1)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    barrier.wait()
    t = time.perf_counter()
    for w in workers:
        w.join()
    return per * threads / (time.perf_counter() - t)


async def aio_figures(address: str, count: int, in_flight: int) -> tuple:
    async with roc.aio.Client(address, timeout=30.0) as c:
        device = c["device"]
        for _ in range(200):
            await device.add(1, 2)
        times = []
        for _ in range(count):
            t = time.perf_counter()
            await device.add(1, 2)
            times.append(time.perf_counter() - t)

        async def worker(n: int) -> None:
            for i in range(n):
                await device.add(i, 1)

        per = max(1, (count * 3) // in_flight)
        t = time.perf_counter()
        await asyncio.gather(*(worker(per) for _ in range(in_flight)))
        rate = per * in_flight / (time.perf_counter() - t)
        cam = c["vnir"]
        await cam.frame()
        frames = 50
        t = time.perf_counter()
        for _ in range(frames):
            frame = await cam.frame()
        frame_rate = frames * frame.nbytes / MIB / (time.perf_counter() - t)
        return times, rate, frame_rate


def cxx(program: str, args: List[str]) -> None:
    path = BUILD / "tests" / "bench" / program
    if not path.exists():
        print(f"({path} is not built: configure with -DROC_BUILD_BENCH=ON)")
        return
    result = subprocess.run([str(path)] + args, capture_output=True, text=True, timeout=600)
    print(result.stdout.rstrip() or result.stderr.rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--broker", help="use this broker, with 'device' and 'vnir' registered")
    parser.add_argument("-n", "--count", type=int, default=5000, help="calls per latency figure")
    parser.add_argument("--in-flight", type=int, default=64)
    parser.add_argument("--no-cxx", action="store_true", help="skip the C++ reference figures")
    options = parser.parse_args()

    processes: List[subprocess.Popen] = []
    address = options.broker
    try:
        if address is None:
            broker, line = start([str(BUILD / "runtime/apps/rocbroker"), "--bind", "127.0.0.1:0"],
                                 r"rocbroker: calls tcp://127\.0\.0\.1:\d+")
            processes.append(broker)
            address = "127.0.0.1:" + re.search(r"127\.0\.0\.1:(\d+)", line).group(1)
            processes.append(start([str(BUILD / "tests/roc_test_object_server"), address, "device"])[0])
            processes.append(start([str(BUILD / "samples/vnir/vnir-server"), "--broker", address])[0])
        with roc.Client(address, timeout=30.0) as client:
            wait_for(client, "device")
            wait_for(client, "vnir")
            device, cam = client["device"], client["vnir"]
            print(f"Python {sys.version.split()[0]}, pyzmq {zmq.__version__}, libzmq {zmq.zmq_version()}; "
                  f"broker {address}; {options.count} calls per figure")
            print(f"{'':<44} {'median us':>10} {'p99 us':>10} {'rate':>12}")
            row("raw pyzmq DEALER, add(1,2) (floor)", raw_floor(address, options.count))
            row("roc.Client rpc.ping (untyped call)", latencies(lambda: client.call("device", "rpc.ping"), options.count))
            row("roc.Client device.add(1, 2) (typed proxy)", latencies(lambda: device.add(1, 2), options.count))
            row(f"roc.Client add, {options.in_flight} threads", rate=threads_rate(device, options.in_flight, options.count * 2))
            times, rate, aio_frames = asyncio.run(aio_figures(address, options.count, options.in_flight))
            row("roc.aio await device.add(1, 2)", times)
            row(f"roc.aio add, {options.in_flight} in flight", rate=rate)
            floor = statistics.median(raw_floor(address, 50, b"vnir", b'{"jsonrpc":"2.0","id":1,"method":"frame"}'))
            print(f"{'raw pyzmq DEALER, vnir frame (floor)':<44} {floor * 1e6:>10.0f} {'':>10} {1.5 / floor:>12.0f} MiB/s")
            cam.frame()
            frame_times = latencies(lambda: cam.frame(), 50)
            print(f"{'roc.Client vnir.frame() 1024x768 uint16':<44} {statistics.median(frame_times) * 1e6:>10.0f} "
                  f"{'':>10} {1.5 / statistics.median(frame_times):>12.0f} MiB/s")
            row("roc.aio vnir.frame()", rate=aio_frames, unit="MiB/s")
            if not options.no_cxx:
                print()
                cxx("bench_calls", ["--broker", address, "--object", "device", "-n", str(options.count), "--no-pin"])
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(5)
    if not options.no_cxx:
        print("\nC++ frames (bench_frames: its own broker and server from the same build, not pinned):")
        cxx("bench_frames", ["-n", "100", "--no-pin"])


if __name__ == "__main__":
    main()
