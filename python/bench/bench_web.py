"""How the web console's page holds up (issue 14, "Speed"); a benchmark, not a test: it prints numbers.

1. Frames per second of the status page while a publisher updates 1,000 status leaves at 10 Hz,
   counted with requestAnimationFrame over a few seconds in headless Chromium, and how many leaves
   per second the page applied.
2. The time to plot 24 h of a 1 Hz value: an archive filled with 86,400 points (roc.archive.Archive),
   the console started on it with --no-record, the history page opened on that range; measured in
   the page from the request to the drawn canvas, and from the route change to the drawn canvas.

    ROC_BUILD_DIR=build /usr/bin/python3 python/bench/bench_web.py [--leaves 1000] [--rate 10] [--seconds 5]

Needs the built rocbroker and Debian's chromium, chromium-driver and python3-selenium.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python"))

import roc  # noqa: E402
from roc.archive import Archive  # noqa: E402

BUILD = Path(os.environ.get("ROC_BUILD_DIR") or REPO / "build")


def started(args, pattern: str, env=None, timeout: float = 15.0):
    """A child process and the first match of `pattern` in its output."""
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                               stdin=subprocess.DEVNULL)
    regex = re.compile(pattern)
    found = []

    def read():
        for line in process.stdout:
            if not found:
                match = regex.search(line)
                if match:
                    found.append(match)
    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + timeout
    while not found:
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            sys.exit(f"bench_web: {Path(args[0]).name} {' '.join(args[1:3])} did not start (no {pattern!r})")
        time.sleep(0.02)
    return process, found[0]


def stop(process) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_broker():
    path = BUILD / "runtime/apps/rocbroker"
    if not path.exists():
        sys.exit(f"bench_web: {path} is not built (set ROC_BUILD_DIR)")
    process, match = started([str(path), "--bind", "127.0.0.1:0"], r"calls tcp://127\.0\.0\.1:(\d+)")
    return process, f"127.0.0.1:{match.group(1)}"


def start_console(broker: str, archive: Path, *extra: str):
    env = dict(os.environ, PYTHONPATH=str(REPO / "python"))
    process, match = started([sys.executable, "-m", "roc.console", "web", "--listen", "127.0.0.1:0",
                              "--broker", broker, "--archive", str(archive), *extra],
                             r"serving (http://127\.0\.0\.1:\d+/)", env=env)
    return process, match.group(1)


def start_browser(scratch: Path):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        sys.exit("bench_web: selenium is missing: apt-get install chromium chromium-driver python3-selenium")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,900", f"--user-data-dir={scratch / 'profile'}"):
        options.add_argument(argument)
    service = Service("/usr/bin/chromedriver", env=dict(os.environ, TMPDIR=str(scratch)))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_script_timeout(120)
    return driver


def wait(condition, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            sys.exit(f"bench_web: waited {timeout} s for {what}")
        time.sleep(0.05)


class Publisher(threading.Thread):
    """Updates `leaves` status leaves (bench.g<i>.l<j>, 100 per group) `rate` times a second, every
    leaf changing every time."""

    def __init__(self, broker: str, leaves: int, rate: float) -> None:
        super().__init__(daemon=True)
        self.updater = roc.StatusUpdater(broker)
        self.leaves, self.rate = leaves, rate
        self.stopping = threading.Event()
        self.ticks = 0

    def run(self) -> None:
        period = 1.0 / self.rate
        next_tick = time.monotonic()
        while not self.stopping.is_set():
            groups = {}
            for i in range(self.leaves):
                groups.setdefault(f"g{i // 100}", {})[f"l{i % 100}"] = self.ticks + i * 0.001
            self.updater.emit("bench", groups)
            self.ticks += 1
            next_tick += period
            self.stopping.wait(max(0.0, next_tick - time.monotonic()))

    def stop(self) -> None:
        self.stopping.set()
        self.join(5)
        self.updater.close()


def bench_status_fps(driver, broker: str, scratch: Path, leaves: int, rate: float, seconds: float) -> None:
    console, url = start_console(broker, scratch / "fps.sqlite")
    publisher = Publisher(broker, leaves, rate)
    try:
        publisher.start()
        driver.get(url + "#/status")
        wait(lambda: driver.execute_script("return document.querySelectorAll('#status-tree [data-path^=\"bench.g\"] [data-value]').length") >= leaves,
             f"{leaves} leaves on the status page")
        idle = None
        result = driver.execute_async_script(
            "window.rocConsole.measureFrames(arguments[0]).then(arguments[arguments.length - 1])", seconds * 1000)
        publisher.stop()
        time.sleep(1.0)
        idle = driver.execute_async_script(
            "window.rocConsole.measureFrames(arguments[0]).then(arguments[arguments.length - 1])", 2000)
        print(f"status page, {leaves} leaves at {rate:g} Hz ({leaves * rate:,.0f} leaf updates/s published), "
              f"{result['seconds']:.1f} s:")
        print(f"  {result['fps']:.1f} frames/s (idle page: {idle['fps']:.1f}), longest frame {result['longestFrameMs']:.0f} ms")
        print(f"  {result['leavesPerSecond']:,.0f} leaves/s applied, {result['statusEventsPerSecond']:.1f} status events/s, "
              f"{result['msPerFlush']:.1f} ms of script per applied batch")
    finally:
        if publisher.is_alive():
            publisher.stop()
        stop(console)


def bench_plot_24h(driver, broker: str, scratch: Path, repeats: int = 3) -> None:
    path = scratch / "day.sqlite"
    now = time.time()
    began = time.perf_counter()
    archive = Archive(path)
    for i in range(86400):
        archive.add("bench.day", now - 86400 + i, 20.0 + 5.0 * ((i % 3600) / 3600.0) + (i % 7) * 0.1)
    archive.flush()
    archive.close()
    print(f"24 h of a 1 Hz value: 86,400 points archived in {time.perf_counter() - began:.2f} s")
    console, url = start_console(broker, path, "--no-record")
    try:
        driver.get(url + "#/objects")
        wait(lambda: driver.execute_script("return window.rocConsole && window.rocConsole.connected"), "the page")
        for attempt in range(repeats):
            driver.execute_script("window.rocConsole.lastPlot = null; window.__routeAt = performance.now();"
                                  "location.hash = '#/history?path=bench.day&range=86400&n=' + arguments[0]", attempt)
            plot = wait(lambda: driver.execute_script(
                "const p = window.rocConsole.lastPlot;"
                "return p && p.path === 'bench.day' && p.requestToDrawMs !== null"
                " ? Object.assign({sinceRoute: performance.now() - window.__routeAt}, p) : null"),
                "the 24 h plot")
            print(f"  run {attempt + 1}: request → canvas drawn {plot['requestToDrawMs']:.0f} ms "
                  f"(route change → drawn ≤ {plot['sinceRoute']:.0f} ms); {plot['points']} points returned "
                  f"for 86,400 stored, drawing took {plot['ms']:.1f} ms")
            driver.execute_script("location.hash = '#/objects'")
    finally:
        stop(console)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench_web.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--leaves", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=10.0, help="updates per second of every leaf")
    parser.add_argument("--seconds", type=float, default=5.0, help="how long to count frames")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="roc-bench-web-"))
    broker, address = start_broker()
    driver = None
    try:
        driver = start_browser(scratch)
        bench_status_fps(driver, address, scratch, args.leaves, args.rate, args.seconds)
        bench_plot_24h(driver, address, scratch)
    finally:
        if driver:
            driver.quit()
        stop(broker)
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
