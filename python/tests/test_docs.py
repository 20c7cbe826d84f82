"""Docs as tests: every shell command and JSON example in the README, docs/ and idl/ runs against a
live rocbroker and the sample vnir-server, so a doc that goes wrong fails the suite. The rules for
doc writers are in docs/testing.md ("Docs as tests"); the parsing is in doc_blocks.py.

One broker and one vnir-server serve the whole module; blocks run in document order, each in a
fresh temporary working directory, with ROC_BROKER pointing at that broker.
"""
from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import signal
import struct
import subprocess
import tempfile
import termios
import threading
import time
from pathlib import Path
from typing import Any, List, Optional, Tuple

import pytest

from conftest import BUILD, PROGRAMS, Broker, Process, program, wait_for_object
import doc_blocks
from doc_blocks import Block, DocError

COMMAND_TIMEOUT = 20.0
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]")

try:
    BLOCKS = doc_blocks.all_blocks()
    PARSE_ERROR: Optional[str] = None
except DocError as error:  # reported by test_every_block_is_tested_or_says_why
    BLOCKS, PARSE_ERROR = [], str(error)

COMMAND_BLOCKS = [b for b in BLOCKS if b.kind == "command" and not {"skip", "project"} & set(b.directives)]
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
        if ("follow" in d or "meanwhile" in d or "exit" in d) and block.kind != "command":
            problems.append(f"{block.where}: follow/meanwhile/exit apply to command blocks only")
        if "meanwhile" in d and "follow" not in d:
            problems.append(f"{block.where}: 'meanwhile' needs 'follow'")
        if ("parse-only" in d or "object" in d) and block.kind != "json":
            problems.append(f"{block.where}: parse-only/object apply to JSON blocks only")
        if ("file" in d or "project" in d) and block.path != doc_blocks.OWN_PROJECT_PAGE:
            problems.append(f"{block.where}: file/project blocks are built only from "
                            f"{doc_blocks.OWN_PROJECT_PAGE.relative_to(doc_blocks.REPO)}")
        if "project" in d and block.kind != "command":
            problems.append(f"{block.where}: 'project' applies to command blocks only")
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
    assert not problems, "\n".join(problems)


def test_the_harness_finds_the_blocks_it_should():
    # A parser that silently found nothing would pass everything.
    assert len(COMMAND_BLOCKS) >= 5 and len(JSON_BLOCKS) >= 5, (len(COMMAND_BLOCKS), len(JSON_BLOCKS))


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
            yield Lab(broker, Path(workdir))
    finally:
        server.stop()
        broker.stop()


class Lab:
    def __init__(self, broker: Broker, workdir: Path) -> None:
        self.broker = broker
        self.workdir = workdir
        program_dirs = sorted({str((BUILD / path).parent) for path in PROGRAMS.values()})
        self.env = dict(os.environ, ROC_BROKER=broker.address, NO_COLOR="1",
                        PATH=os.pathsep.join(program_dirs + [os.environ.get("PATH", "")]))
        for name in ("ROC_CERT", "ROC_BROKER_CERT"):
            self.env.pop(name, None)

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
            meanwhile: Optional[str] = None) -> Tuple[int, str]:
        """Runs `command` in bash as a user would at a terminal (stdout and stderr on a pseudo
        terminal, so the CLI prints what the docs show); its exit status and output. A `follow`
        command is interrupted (SIGINT, as Ctrl-C) once it has printed a line after `meanwhile`
        ran, or after `follow` seconds."""
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
        script = "set -eo pipefail\n" + command
        process = subprocess.Popen(["bash", "-c", script], cwd=cwd, env=self.env,
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
                        status, output = self.run(meanwhile, cwd)
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
                pytest.fail(f"{command!r} did not end within {timeout} s (mark a command that runs "
                            "until stopped 'follow: SECONDS'); output so far:\n" + text_of(chunks))
        finally:
            reader.join(5)
            os.close(master)
        return status, text_of(chunks)


def text_of(chunks: List[bytes]) -> str:
    text = _ANSI.sub("", b"".join(chunks).decode("utf-8", "replace"))
    # A line redrawn in place (\r) counts as what it shows last.
    return "\n".join(line.split("\r")[-1] for line in text.replace("\r\n", "\n").split("\n"))


# --- shell commands ----------------------------------------------------------------------------------

@pytest.mark.parametrize("block", COMMAND_BLOCKS, ids=lambda b: getattr(b, "where", "none"))
def test_command_block_does_what_it_says(lab: Lab, block: Block):
    expected_status = int(block.directives.get("exit", "0"))
    follow = float(block.directives["follow"]) if "follow" in block.directives else None
    cwd = Path(tempfile.mkdtemp(dir=lab.workdir))  # each block starts afresh, as in a new terminal
    for command, documented in doc_blocks.commands_of(block):
        status, output = lab.run(command, cwd, follow=follow, meanwhile=block.directives.get("meanwhile"))
        shown = f"{block.where}: `{command.strip()}`"
        if follow is not None:
            assert output.strip(), f"{shown} printed nothing in {follow} s" + (
                f" after `{block.directives['meanwhile']}`" if "meanwhile" in block.directives else "")
            # Ctrl-C ends a follower: it exits 0 or 130, or bash reports the signal (-2).
            assert status in (0, 130, -signal.SIGINT), f"{shown} ended with {status} after Ctrl-C:\n{output}"
        else:
            assert status == expected_status, f"{shown} exited {status}, the doc expects {expected_status}:\n{output}"
        missing = doc_blocks.missing_output(documented, output)
        assert missing is None, f"{shown} did not print the documented line\n  {missing}\nit printed:\n{output}"


# After every command block: a request may change the camera (set_roi) that commands show.
@pytest.mark.parametrize("block", [b for b in JSON_BLOCKS if "parse-only" not in b.directives],
                         ids=lambda b: getattr(b, "where", "none"))
def test_json_request_gets_the_documented_reply(lab: Lab, block: Block):
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
