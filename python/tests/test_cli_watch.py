"""`roc status --watch` on a real terminal: tmux runs it in a pane of a known size, and its screen,
scrollback and alternate-screen state are read back with capture-pane and display-message."""
from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import List

import pytest

import roc
from conftest import program, wait_until

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is not installed (scripts/setup.sh installs it)")

SENSORS = 40  # more lines than the pane has rows


class Tmux:
    """A tmux server of its own (its socket in `directory`), one session of `rows` × `columns`."""

    def __init__(self, directory: Path, command: List[str], rows: int = 20, columns: int = 100) -> None:
        self.socket = str(directory / "tmux.sock")
        self.run("-f", "/dev/null", "new-session", "-d", "-s", "watch", "-x", str(columns), "-y", str(rows),
                 " ".join(command))
        self.run("set-option", "-t", "watch", "remain-on-exit", "on")

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-S", self.socket, *args], check=True, capture_output=True, text=True,
                              timeout=10).stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "watch")

    def pane(self, variable: str) -> str:
        return self.run("display-message", "-p", "-t", "watch", "#{" + variable + "}").strip()

    def close(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True, timeout=10)


@pytest.fixture
def tmux(tmp_path):
    sessions: List[Tmux] = []

    def start(command: List[str], **size) -> Tmux:
        sessions.append(Tmux(tmp_path, command, **size))
        return sessions[-1]

    yield start
    for session in sessions:
        session.close()


def test_status_watch_redraws_in_place_keeps_the_top_visible_and_restores_the_screen(broker, tmux):
    updater = roc.StatusUpdater(broker.endpoints)
    try:
        updater.emit("rig.counter", 0)  # first: near the top, in view
        for i in range(SENSORS):
            updater.emit(f"rig.sensor{i:02d}", {"level": i})
        pane = tmux([program("roc"), "--broker", broker.address, "status", "--watch"], rows=20)
        wait_until(lambda: "sensor00" in pane.screen(), "the tree on the screen")
        screen = pane.screen().rstrip("\n").split("\n")
        assert screen[0].startswith("roc status"), screen
        assert len(screen) == 20
        # The top stays in view; the last row says how much did not fit.
        assert screen[-1].startswith("… ") and screen[-1].endswith(" more lines"), screen
        assert pane.pane("alternate_on") == "1"
        history = pane.pane("history_size")

        for value in range(1, 11):
            updater.emit("rig.counter", value)
            time.sleep(0.15)  # apart, so each is drawn rather than merged into the next
        wait_until(lambda: 'counter: 10' in pane.screen(), "the last counter value on the screen")
        assert pane.pane("history_size") == history == "0"

        # A taller window: redrawn at once (SIGWINCH) with more of the tree.
        hidden = int(screen[-1].split()[1])
        pane.run("resize-window", "-t", "watch", "-y", "30")
        wait_until(lambda: f"… {hidden - 10} more lines" in pane.screen(), "the redraw at 30 rows")
        assert pane.pane("history_size") == "0"

        pane.run("send-keys", "-t", "watch", "C-c")
        wait_until(lambda: pane.pane("pane_dead") == "1", "roc to end on Ctrl-C")
        # Ended by SIGINT itself (re-raised once the screen was restored), as a shell expects; tmux
        # fills this in only once it has reaped the process, which may come after the pane is dead.
        assert pane.pane("pane_dead_signal") in ("", "2", "SIGINT")
        assert pane.pane("alternate_on") == "0"
        assert "sensor00" not in pane.screen()  # the normal screen, as it was
    finally:
        updater.close()
