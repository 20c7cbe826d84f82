"""Docs as tests: every shell command, Python example and JSON example in the READMEs, docs/,
python/docs/ and idl/ runs against a live rocbroker and the sample vnir-server, so a doc that goes
wrong fails the suite. The rules for doc writers are in docs/testing.md ("Docs as tests"); the
parsing is in doc_blocks.py.

One broker and one vnir-server serve the whole module; blocks run in document order, each in a
fresh temporary working directory, with ROC_BROKER pointing at that broker. The Python servers a
page starts (`serve: ID`) run beside them for that page's later blocks.
"""
from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import shlex
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

from conftest import BUILD, PROGRAMS, Broker, Process, program, wait_for_object
import doc_blocks
import roc
from doc_blocks import Block, DocError

COMMAND_TIMEOUT = 20.0   # each command of a block, or a Python script
SERVE_TIMEOUT = 10.0     # a `serve` script to register its object, and to leave after Ctrl-C
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]")

try:
    BLOCKS = doc_blocks.all_blocks()
    PARSE_ERROR: Optional[str] = None
except DocError as error:  # reported by test_every_block_is_tested_or_says_why
    BLOCKS, PARSE_ERROR = [], str(error)

# Command and Python blocks, in document order: a page runs top to bottom, as its reader goes.
RUN_BLOCKS = [b for b in BLOCKS if b.kind in ("command", "python") and not {"skip", "project"} & set(b.directives)]
COMMAND_BLOCKS = [b for b in RUN_BLOCKS if b.kind == "command"]
PYTHON_BLOCKS = [b for b in RUN_BLOCKS if b.kind == "python"]
SERVE_BLOCKS = [b for b in PYTHON_BLOCKS if "serve" in b.directives]
JSON_BLOCKS = [b for b in BLOCKS if b.kind == "json" and "skip" not in b.directives]


# --- the rules every block must follow, checked without running anything --------------------------

def test_every_block_is_tested_or_says_why():
    assert PARSE_ERROR is None, PARSE_ERROR
    problems = []
    for block in BLOCKS:
        d = block.directives
        if block.kind == "transcript-without-language":
            problems.append(f"{block.where}: a block with '$ ' commands needs the language 'console' "
                            "(or 'sh'), so that it is run")
        if "skip" in d and len(d["skip"]) < 8:
            problems.append(f"{block.where}: 'skip' needs a reason a reader understands, got {d['skip']!r}")
        if ("follow" in d or "meanwhile" in d or "exit" in d) and block.kind not in ("command", "python"):
            problems.append(f"{block.where}: follow/meanwhile/exit apply to command and python blocks only")
        if "meanwhile" in d and "follow" not in d:
            problems.append(f"{block.where}: 'meanwhile' needs 'follow'")
        if ("parse-only" in d or "object" in d) and block.kind != "json":
            problems.append(f"{block.where}: parse-only/object apply to JSON blocks only")
        if ("file" in d or "project" in d) and block.path != doc_blocks.OWN_PROJECT_PAGE:
            problems.append(f"{block.where}: file/project blocks are built only from "
                            f"{doc_blocks.OWN_PROJECT_PAGE.relative_to(doc_blocks.REPO)}")
        if "project" in d and block.kind != "command":
            problems.append(f"{block.where}: 'project' applies to command blocks only")
        if "serve" in d:
            if block.kind != "python":
                problems.append(f"{block.where}: 'serve' applies to python blocks only")
            if not re.fullmatch(r"[^\s;]+", d["serve"]):
                problems.append(f"{block.where}: 'serve' takes the one object id the block serves, got {d['serve']!r}")
            if {"follow", "exit", "skip"} & set(d):
                problems.append(f"{block.where}: a 'serve' block runs until the harness stops it: "
                                "no follow, exit or skip")
        if "broker" in d:
            if block.kind not in ("command", "python"):
                problems.append(f"{block.where}: 'broker' applies to command and python blocks only")
            elif d["broker"] not in block.text:
                problems.append(f"{block.where}: 'broker: {d['broker']}' names an address the block does not have")
        if "follow" in d:
            try:
                float(d["follow"])
            except ValueError:
                problems.append(f"{block.where}: 'follow' takes seconds, got {d['follow']!r}")
        if "exit" in d and not d["exit"].isdigit():
            problems.append(f"{block.where}: 'exit' takes a status number, got {d['exit']!r}")
        if block.kind == "command" and not {"skip", "follow", "project"} & set(d):
            long_running = re.search(r"(^|\s)(-f|--follow|--watch)(\s|$)|^\s*(rocbroker|vnir-server)\b",
                                     block.text, re.M)
            if long_running:
                problems.append(f"{block.where}: {long_running.group(0).strip()!r} runs until stopped: "
                                "mark the block 'follow: SECONDS' or 'skip: why'")
        if block.kind == "python" and not {"skip", "follow", "serve"} & set(d):
            # A server's run(), an endless loop, or a loop over a subscription (which never ends by itself).
            long_running = re.search(r"\.run\(\)|\bwhile True\b", block.text) or (
                re.search(r"Subscription\(", block.text) and re.search(r"^\s*for\b.*\bin\b.*:", block.text, re.M))
            if long_running:
                problems.append(f"{block.where}: {long_running.group(0).strip()!r} runs until stopped: "
                                "mark the block 'serve: ID', 'follow: SECONDS' or 'skip: why'")
    assert not problems, "\n".join(problems)


def test_the_harness_finds_the_blocks_it_should():
    # A parser that silently found nothing would pass everything.
    counts = len(COMMAND_BLOCKS), len(PYTHON_BLOCKS), len(SERVE_BLOCKS), len(JSON_BLOCKS)
    assert counts[0] >= 5 and counts[1] >= 5 and counts[2] >= 1 and counts[3] >= 5, counts


def test_no_file_cites_a_design_document_the_repository_does_not_have():
    git = subprocess.run(["git", "ls-files"], cwd=doc_blocks.REPO, capture_output=True, text=True)
    if git.returncode == 0:
        listed = git.stdout.split()
    else:  # a tree without git: everything but build trees
        listed = [str(path.relative_to(doc_blocks.REPO)) for path in doc_blocks.REPO.rglob("*")
                  if path.is_file() and not path.relative_to(doc_blocks.REPO).parts[0].startswith((".git", "build"))]
    citing = []
    for name in listed:
        path = doc_blocks.REPO / name
        if name == "python/tests/test_docs.py" or not path.is_file() or path.suffix in {".npy", ".bin"}:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if re.search(r"\bDESIGN(\.md| §)|\.\./shared/", line):
                citing.append(f"{name}:{number}: {line.strip()}")
    assert not citing, "cites a document outside the repository:\n" + "\n".join(citing)


def test_the_version_is_the_same_everywhere():
    header = (doc_blocks.REPO / "runtime/include/roc/version.hpp").read_text()
    version = ".".join(re.search(rf"#define ROC_VERSION_{part} (\d+)", header).group(1)
                       for part in ("MAJOR", "MINOR", "PATCH"))
    import roc
    assert roc.__version__ == version
    pyproject = (doc_blocks.REPO / "python/pyproject.toml").read_text()
    assert f'version = "{version}"' in pyproject
    assert f"## [{version}]" in (doc_blocks.REPO / "CHANGELOG.md").read_text()


# --- JSON examples ---------------------------------------------------------------------------------

def json_values(block: Block) -> List[Any]:
    """The JSON values of a block, one after another (a request and its reply, a record over two
    lines); fails naming the line that does not parse."""
    decoder = json.JSONDecoder()
    text, position, values = block.text, 0, []
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text):
            return values
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            line = block.line + text.count("\n", 0, error.pos) + 1
            pytest.fail(f"{block.path.relative_to(doc_blocks.REPO)}:{line}: not JSON: {error.msg}")
        values.append(value)


def is_request(value: Any) -> bool:
    return isinstance(value, dict) and value.get("jsonrpc") == "2.0" and "method" in value


@pytest.mark.parametrize("block", JSON_BLOCKS, ids=lambda b: getattr(b, "where", "none"))
def test_json_example_parses(block: Block):
    assert json_values(block), f"{block.where}: an empty JSON block"


# --- the live lab: one broker and the sample camera for the module ---------------------------------

@pytest.fixture(scope="module")
def lab():
    broker = Broker()
    server = Process([program("vnir-server"), "--broker", broker.address])
    try:
        wait_for_object(broker, "vnir")
        with tempfile.TemporaryDirectory(prefix="roc-docs-test-") as workdir:
            lab = Lab(broker, Path(workdir))
            try:
                yield lab
            finally:
                lab.close()  # before the directory goes: the Python servers run in it
    finally:
        server.stop()
        broker.stop()


@dataclass
class Served:
    """A running `serve` block: the script's process and the block, to name it in a failure."""
    block: Block
    process: Process


class Lab:
    def __init__(self, broker: Broker, workdir: Path) -> None:
        self.broker = broker
        self.workdir = workdir
        program_dirs = sorted({str((BUILD / path).parent) for path in PROGRAMS.values()})
        self.env = dict(os.environ, ROC_BROKER=broker.address, NO_COLOR="1",
                        PATH=os.pathsep.join(program_dirs + [os.environ.get("PATH", "")]))
        for name in ("ROC_CERT", "ROC_BROKER_CERT"):
            self.env.pop(name, None)
        # Python blocks run with this checkout's package and the harness's own Python, which is
        # also the `python3` a `meanwhile` command finds. No bytecode is written into the checkout.
        self.python_env = dict(self.env, PYTHONPATH=str(doc_blocks.REPO / "python"), PYTHONDONTWRITEBYTECODE="1",
                               PYTHONUNBUFFERED="1",
                               PATH=os.pathsep.join(program_dirs + [str(Path(sys.executable).parent),
                                                                    os.environ.get("PATH", "")]))
        self.client = roc.Client(broker.address, timeout=2.0)
        self.servers: Dict[str, Served] = {}

    def close(self) -> None:
        """Stops every Python server (all of them, even when one does not end cleanly), then fails
        naming those that did not."""
        problems = []
        for object_id in list(self.servers):
            try:
                self.stop_server(object_id)
            except pytest.fail.Exception as error:
                problems.append(str(error))
        self.client.close()
        assert not problems, "\n".join(problems)

    def fresh_directory(self) -> Path:
        """A new, empty working directory, as in a new terminal."""
        return Path(tempfile.mkdtemp(dir=self.workdir))

    def text_to_run(self, block: Block) -> str:
        """The block's text with the `broker` address it names (for its reader) made the test broker's."""
        if "broker" in block.directives:
            return block.text.replace(block.directives["broker"], self.broker.address)
        return block.text

    def script_of(self, block: Block) -> Path:
        """The Python block as a script file of its own, beside (not in) its working directory; blank
        lines in front make the line numbers of a traceback the document's."""
        script = Path(tempfile.mkdtemp(dir=self.workdir, prefix="script-")) / "doc_block.py"
        script.write_text("\n" * block.line + self.text_to_run(block) + "\n", encoding="utf-8")
        return script

    # --- the Python servers of `serve` blocks ---------------------------------------------------

    def serve_for(self, block: Block) -> None:
        """Makes the running Python servers exactly those that `block`'s page has started by then:
        for each object id, the page's last `serve` block at or above `block`. A later block that
        serves the same id replaces the server; other pages' servers are stopped. So each block
        finds what its reader has, whichever blocks ran before it."""
        wanted: Dict[str, Block] = {}
        for serving in SERVE_BLOCKS:
            if serving.path == block.path and serving.line <= block.line:
                wanted[serving.directives["serve"]] = serving
        for object_id, served in list(self.servers.items()):
            if wanted.get(object_id) is not served.block:
                self.stop_server(object_id)
        for object_id, serving in wanted.items():
            if object_id not in self.servers:
                self.start_server(serving)

    def registered(self, object_id: str) -> bool:
        try:
            return any(entry["id"] == object_id and entry.get("workers") for entry in self.client.objects())
        except roc.RocError:  # a busy broker's slow answer: asked again
            return False

    def start_server(self, block: Block) -> None:
        object_id = block.directives["serve"]
        cwd, script = self.fresh_directory(), self.script_of(block)
        process = Process(["bash", "-c", 'cd "$1" && exec "$2" "$3"', "serve", str(cwd), sys.executable, str(script)],
                          env=self.python_env)
        deadline = time.monotonic() + SERVE_TIMEOUT
        while not self.registered(object_id):
            if process.popen.poll() is not None:
                pytest.fail(f"{block.where}: the server ended with {process.popen.returncode} before the broker "
                            f"listed '{object_id}'; its output:\n{process.output}")
            if time.monotonic() > deadline:
                process.stop(signal.SIGKILL)
                pytest.fail(f"{block.where}: the broker did not list '{object_id}' within {SERVE_TIMEOUT} s of "
                            f"starting its server; the server's output:\n{process.output}")
            time.sleep(0.05)
        self.servers[object_id] = Served(block, process)

    def stop_server(self, object_id: str) -> None:
        """Ctrl-C (SIGINT) for the server of `object_id`: it must end with 0 or 130 and leave the
        broker, so that a server started next for the same id is the only one."""
        served = self.servers.pop(object_id)
        status = served.process.stop(signal.SIGINT, timeout=SERVE_TIMEOUT)  # then SIGKILL
        if status not in (0, 130):
            ended = (f"was still running {SERVE_TIMEOUT} s after Ctrl-C (SIGINT), and was killed"
                     if status == -signal.SIGKILL else f"ended with {status} after Ctrl-C (SIGINT), not 0 or 130")
            pytest.fail(f"{served.block.where}: the server of '{object_id}' {ended}; its output:\n"
                        f"{served.process.output}")
        deadline = time.monotonic() + SERVE_TIMEOUT
        while self.registered(object_id):
            if time.monotonic() > deadline:
                pytest.fail(f"{served.block.where}: the broker still lists '{object_id}' {SERVE_TIMEOUT} s after "
                            "its server ended")
            time.sleep(0.05)

    def request(self, object_id: str, body: Any, timeout: float = 5.0) -> Any:
        """One JSON-RPC body sent as a plain 7/MDP client would (idl/PROTOCOL.md §2), its reply."""
        import zmq
        socket = zmq.Context.instance().socket(zmq.DEALER)
        socket.linger = 0
        try:
            socket.connect(f"tcp://{self.broker.address}")
            socket.send_multipart([b"", b"MDPC01", object_id.encode(), json.dumps(body).encode()])
            if not socket.poll(int(timeout * 1000)):
                pytest.fail(f"no reply from '{object_id}' within {timeout} s")
            return json.loads(socket.recv_multipart()[-1])
        finally:
            socket.close()

    def run(self, command: str, cwd: Path, timeout: float = COMMAND_TIMEOUT, follow: Optional[float] = None,
            meanwhile: Optional[str] = None, env: Optional[Dict[str, str]] = None,
            shown: Optional[str] = None) -> Tuple[int, str]:
        """Runs `command` in bash as a user would at a terminal (stdout and stderr on a pseudo
        terminal, so the CLI prints what the docs show); its exit status and output. A `follow`
        command is interrupted (SIGINT, as Ctrl-C) once it has printed a line after `meanwhile`
        ran, or after `follow` seconds. `env` (default: the shell's) is also `meanwhile`'s;
        `shown` names the command in a failure (default: the command itself)."""
        env = env or self.env
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
        script = "set -eo pipefail\n" + command
        process = subprocess.Popen(["bash", "-c", script], cwd=cwd, env=env,
                                   stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
                                   start_new_session=True)
        os.close(slave)
        chunks: List[bytes] = []

        def read() -> None:
            while True:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: the terminal's last writer has gone
                    return
                if not data:
                    return
                chunks.append(data)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            if follow is not None:
                # The broker sends a follower only what comes after its subscription, which takes a
                # moment to arrive (longer under a sanitizer): `meanwhile` runs again each second
                # until the follower shows something.
                deadline = time.monotonic() + follow
                next_meanwhile = time.monotonic() + 0.5
                while time.monotonic() < deadline and process.poll() is None:
                    if b"\n" in b"".join(chunks):
                        time.sleep(0.2)  # let the rest of a burst arrive
                        break
                    if meanwhile and time.monotonic() >= next_meanwhile:
                        status, output = self.run(meanwhile, cwd, env=env)
                        assert status == 0, f"the 'meanwhile' command {meanwhile!r} failed ({status}):\n{output}"
                        next_meanwhile = time.monotonic() + 1.0
                    time.sleep(0.05)
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGINT)
            try:
                status = process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                pytest.fail(f"{shown or repr(command)} did not end within {timeout} s (mark a block that runs "
                            "until stopped 'follow: SECONDS'); output so far:\n" + text_of(chunks))
        finally:
            reader.join(5)
            os.close(master)
        return status, text_of(chunks)


def text_of(chunks: List[bytes]) -> str:
    text = _ANSI.sub("", b"".join(chunks).decode("utf-8", "replace"))
    # A line redrawn in place (\r) counts as what it shows last.
    return "\n".join(line.split("\r")[-1] for line in text.replace("\r\n", "\n").split("\n"))


# --- shell commands and Python scripts, in document order ---------------------------------------------

@pytest.mark.parametrize("block", RUN_BLOCKS, ids=lambda b: getattr(b, "where", "none"))
def test_block_does_what_it_says(lab: Lab, block: Block):
    lab.serve_for(block)  # a `serve` block is run by this, and is its own test
    if block.kind == "python":
        if "serve" not in block.directives:
            run_python_block(lab, block)
    else:
        run_command_block(lab, block)


def seconds_to_follow(block: Block) -> Optional[float]:
    return float(block.directives["follow"]) if "follow" in block.directives else None


def run_command_block(lab: Lab, block: Block) -> None:
    cwd = lab.fresh_directory()
    as_run = Block(block.path, block.line, block.language, lab.text_to_run(block), block.directives)
    for command, documented in doc_blocks.commands_of(as_run):
        status, output = lab.run(command, cwd, follow=seconds_to_follow(block),
                                 meanwhile=block.directives.get("meanwhile"))
        shown = f"{block.where}: `{command.strip()}`"
        check_status(shown, block, status, output)
        missing = doc_blocks.missing_output(documented, output)
        assert missing is None, f"{shown} did not print the documented line\n  {missing}\nit printed:\n{output}"


def run_python_block(lab: Lab, block: Block) -> None:
    """The block as its own script, run by this Python on a terminal, in a fresh directory."""
    script = lab.script_of(block)
    shown = f"{block.where}: the python block"
    status, output = lab.run(f"exec {shlex.quote(sys.executable)} {shlex.quote(str(script))}", lab.fresh_directory(),
                             follow=seconds_to_follow(block), meanwhile=block.directives.get("meanwhile"),
                             env=lab.python_env, shown=shown)
    check_status(shown, block, status, output)


def check_status(shown: str, block: Block, status: int, output: str) -> None:
    """A block's status as its directives expect: `exit: N` (default 0), or for `follow` what
    Ctrl-C ends a follower with."""
    if "follow" in block.directives:
        meanwhile = block.directives.get("meanwhile")
        assert output.strip(), f"{shown} printed nothing in {block.directives['follow']} s" + (
            f" after `{meanwhile}`" if meanwhile else "")
        # Ctrl-C ends a follower: it exits 0 or 130, or dies of the signal (-2; Python re-raises it).
        assert status in (0, 130, -signal.SIGINT), f"{shown} ended with {status} after Ctrl-C:\n{output}"
    else:
        expected_status = int(block.directives.get("exit", "0"))
        assert status == expected_status, f"{shown} exited {status}, the doc expects {expected_status}:\n{output}"


# After every command block: a request may change the camera (set_roi) that commands show.
@pytest.mark.parametrize("block", [b for b in JSON_BLOCKS if "parse-only" not in b.directives],
                         ids=lambda b: getattr(b, "where", "none"))
def test_json_request_gets_the_documented_reply(lab: Lab, block: Block):
    lab.serve_for(block)
    values = json_values(block)
    object_id = block.directives.get("object", "vnir")
    for index, value in enumerate(values):
        if not is_request(value):
            continue
        reply = lab.request(object_id, value)
        documented = values[index + 1] if index + 1 < len(values) else None
        if isinstance(documented, dict) and "id" in documented and not is_request(documented):
            if "error" in documented:
                assert "error" in reply, f"{block.where}: documented error {documented['error']}, got {reply}"
                assert reply["error"]["code"] == documented["error"]["code"], \
                    f"{block.where}: documented {documented['error']}, got {reply['error']}"
            else:
                assert "error" not in reply and "result" in reply, \
                    f"{block.where}: documented the result {documented.get('result')}, got {reply}"
                assert reply["result"] == documented.get("result"), \
                    f"{block.where}: documented {documented}, got {reply}"
        else:
            assert "error" not in reply, f"{block.where}: the request {value} failed: {reply['error']}"
