"""`roc web`, `roc archive` and `roc history` through the C++ `roc`: it hands them, unparsed, to the
Python console (runtime/apps/roc_console.cpp), which owns their options, help and exit codes."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import roc
from conftest import REPO, program

COMMANDS = ["web", "archive", "history"]


def run_roc(*args: str, env: dict | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([program("roc"), *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("command", COMMANDS)
def test_each_console_command_has_its_own_help_and_version(command):
    shown = run_roc(command, "--help")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"usage: roc {command}")

    version = run_roc(command, "--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.split() == ["roc", command, roc.__version__]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_misspelled_console_option_is_a_usage_error_in_one_line(command):
    wrong = run_roc(command, *(["vnir.temperature"] if command == "history" else []), "--no-such-option")
    assert wrong.returncode == 2
    assert wrong.stderr.splitlines() == [
        f"roc {command}: unrecognized arguments: --no-such-option (see roc {command} --help)"]


def test_roc_lists_the_console_commands():
    usage = run_roc("--help").stdout
    for command in COMMANDS:
        assert f"\n  {command} " in usage


def test_the_rest_of_the_line_and_the_options_before_the_command_reach_the_console(tmp_path):
    handed = run_roc("-b", "lab-pc:5600", "--cert", "me.key_secret", "history", "vnir.temperature",
                     "--json", "--since", "1h", "-t", "3", env={"ROC_PYTHON": recorder_of_the_hand_over(tmp_path)})
    assert handed.returncode == 0, handed.stderr
    seen = json.loads(handed.stdout)
    assert seen["argv"] == ["-m", "roc.console", "history", "vnir.temperature", "--json", "--since", "1h",
                            "-t", "3"]
    assert seen["env"]["ROC_BROKER"] == "lab-pc:5600"
    assert seen["env"]["ROC_CERT"] == "me.key_secret"
    assert seen["env"]["PYTHONPATH"].split(":")[0] == str(REPO / "python")


def recorder_of_the_hand_over(tmp_path) -> str:
    """A stand-in interpreter that prints what roc hands over: the command line, and roc's own
    options as the variables every roc program reads."""
    recorder = tmp_path / "python"
    recorder.write_text(f"#!{sys.executable}\n"
                        "import json, os, sys\n"
                        "print(json.dumps({'argv': sys.argv[1:], 'env': {k: os.environ.get(k) for k in "
                        "('ROC_BROKER', 'ROC_CERT', 'ROC_BROKER_CERT', 'PYTHONPATH')}}))\n")
    recorder.chmod(0o755)
    return str(recorder)


def test_rocs_json_option_is_historys_and_refused_by_the_commands_that_print_no_data(tmp_path):
    recorder = recorder_of_the_hand_over(tmp_path)
    handed = run_roc("--json", "history", "vnir.temperature", "--since", "1h", env={"ROC_PYTHON": recorder})
    assert handed.returncode == 0, handed.stderr
    assert json.loads(handed.stdout)["argv"] == ["-m", "roc.console", "history", "--json", "vnir.temperature",
                                                 "--since", "1h"]
    for command in ("web", "archive"):
        refused = run_roc("--json", command, env={"ROC_PYTHON": recorder})
        assert refused.returncode == 2 and refused.stdout == ""
        assert refused.stderr.splitlines() == [
            f"roc: --json does not apply to `roc {command}`; it serves or records, printing no data"]


def test_a_missing_interpreter_is_said_in_one_line():
    missing = run_roc("web", env={"ROC_PYTHON": "/nonexistent/python3"})
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [
        "roc: cannot start /nonexistent/python3 for `roc web`: No such file or directory "
        "(scripts/setup.sh installs python3, python3-zmq and python3-numpy)"]


def test_an_unknown_console_command_prints_the_usage():
    unknown = subprocess.run([sys.executable, "-m", "roc.console", "nonsense"], capture_output=True, text=True,
                             timeout=30, env={**os.environ, "PYTHONPATH": str(REPO / "python")})
    assert unknown.returncode == 2
    assert "unknown console command 'nonsense'" in unknown.stderr
    assert "usage: roc <command>" in unknown.stderr

