#!/usr/bin/python3
"""ctest: the project of docs/your-own-project.md, built as the page says against a freshly
installed roc, once with CMake (find_package, CMAKE_PREFIX_PATH) and once with pkg-config; both
programs run against the installed rocbroker and their log records must reach `roc logs -f`.
Then the same program compiled without roc.pc's spdlog definition must fail to link, where it
used to lose its records without a word.

usage: own_project_test.py BUILD_DIR
Everything lives in one temporary HOME (roc installed in $HOME/roc, as the page has it), removed
at the end.
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import List

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python" / "tests"))
import doc_blocks  # noqa: E402  (the docs harness's reader of the page's blocks)

RECORD = "the thermometer reads 21.5 degrees C"


def fail(message: str) -> None:
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def run(args: List[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, timeout=600, **kwargs)
    if done.returncode != 0:
        fail(f"{shlex.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return done


class Lines:
    """A child's stdout, collected line by line by a thread, with a bounded wait for a line."""

    def __init__(self, args: List[str], env: dict) -> None:
        self.lines: List[str] = []
        self.process = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, count: int = 1, timeout: float = 10.0) -> List[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in list(self.lines) if re.search(pattern, line)]
            if len(found) >= count:
                return found
            time.sleep(0.05)
        fail(f"waited {timeout} s for {count} line(s) matching {pattern!r}; got:\n" + "\n".join(self.lines))
        return []

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def main() -> None:
    build = Path(sys.argv[1]).resolve()
    files, commands = doc_blocks.project_of()
    if {"main.cpp", "CMakeLists.txt"} - set(files) or len(commands) < 3:
        fail(f"{doc_blocks.OWN_PROJECT_PAGE} lost its main.cpp, CMakeLists.txt or project commands")

    with tempfile.TemporaryDirectory(prefix="roc-own-project-") as home_dir:
        home = Path(home_dir)
        prefix = home / "roc"
        run(["cmake", "--install", str(build), "--prefix", str(prefix)])
        project = home / "my_app"
        project.mkdir()
        for name, text in files.items():
            (project / name).write_text(text)

        env = dict(os.environ, HOME=str(home), NO_COLOR="1",
                   PATH=f"{prefix / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
        for name in ("PKG_CONFIG_PATH", "ROC_CERT", "ROC_BROKER_CERT", "CMAKE_PREFIX_PATH"):
            env.pop(name, None)

        broker = Lines([str(prefix / "bin/rocbroker"), "--bind", "127.0.0.1:0"], env)
        follower = None
        try:
            port = re.search(r"calls tcp://127\.0\.0\.1:(\d+)", broker.wait_for(r"rocbroker: calls")[0]).group(1)
            env["ROC_BROKER"] = f"127.0.0.1:{port}"
            follower = Lines([str(prefix / "bin/roc"), "logs", "-f", "--node", "my-app"], env)
            time.sleep(1.0)  # the follower's subscription reaches the broker before any record

            started = time.monotonic()
            for block in commands:
                print(f"--- {block.where}\n{block.text}", flush=True)
                run(["bash", "-c", "set -eo pipefail\n" + block.text], cwd=project, env=env)
            print(f"built and ran both programs in {time.monotonic() - started:.1f} s")
            runs = sum(1 for block in commands for line in block.text.splitlines() if line.startswith("./"))
            follower.wait_for(re.escape(RECORD), count=runs)
            print(f"roc logs -f showed the record of each of the {runs} runs")

            # roc.pc carries CMake's definitions; without the spdlog one, the program must not link.
            pkg_env = dict(env, PKG_CONFIG_PATH=str(prefix / "lib/pkgconfig"))
            flags = shlex.split(run(["pkg-config", "--cflags", "--libs", "roc"], env=pkg_env).stdout)
            for definition in ("-DSPDLOG_COMPILED_LIB", "-DRAPIDJSON_HAS_STDSTRING=1"):
                if definition not in flags:
                    fail(f"pkg-config --cflags roc lacks {definition}: {flags}")
            without = [flag for flag in flags if flag != "-DSPDLOG_COMPILED_LIB"]
            mismatch = subprocess.run(["g++", "main.cpp", *without, "-o", "mismatch"], cwd=project, env=env,
                                      capture_output=True, text=True, timeout=600)
            if mismatch.returncode == 0:
                fail("a build without -DSPDLOG_COMPILED_LIB linked: its log records would be lost")
            if "install_log_sink_into_header_only_spdlog" not in mismatch.stderr:
                fail(f"a build without -DSPDLOG_COMPILED_LIB failed, but not by naming the mismatch:\n"
                     f"{mismatch.stderr}")
            print("without -DSPDLOG_COMPILED_LIB the program does not link, naming the mismatch")
        finally:
            if follower:
                follower.stop()
            broker.stop()
    print("ok")


if __name__ == "__main__":
    main()
