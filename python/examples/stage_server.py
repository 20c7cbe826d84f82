"""A simulated motorised stage, published as a roc object — the Python counterpart of vnir-server.

    python3 stage_server.py [--broker HOST:PORT] [--id stage] [--heartbeat SECONDS]

Then, from anywhere: `roc call stage move '[1.5]'`, `roc get stage position`,
`roc describe stage --json > stage.idl.json && roc-gen stage.idl.json -o stage.roc.hpp`.
"""
from __future__ import annotations

import argparse
import enum
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Dict, List, Optional, Tuple

import numpy as np
import numpy.typing as npt

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import roc  # noqa: E402


class Axis(enum.Enum):
    """Which axis a move applies to."""
    __roc_name__ = "lab::Axis"   # the C++ name a generated proxy gives it
    x = 0
    y = 1


@dataclass
class Limits:
    """Travel range of an axis, in millimetres."""
    __roc_name__ = "lab::Limits"
    low: float
    high: float


class StageError(RuntimeError):
    """The stage refused a command."""


class Stage:
    """A simulated two-axis stage with a line scan camera attached."""

    __roc_name__ = "lab::Stage"

    def __init__(self) -> None:
        self.speed = 10.0                      # mm/s: a writable property
        self.label = "stage-1"                 # a writable property
        self._position = {Axis.x: 0.0, Axis.y: 0.0}
        self._limits = Limits(-50.0, 50.0)
        self._lock = threading.Lock()
        self._running = 0                      # calls running now (to show serialization)
        self.overlaps = 0                      # how often two calls ran at once (should stay 0)

    @property
    def position(self) -> float:
        """The x position, in millimetres."""
        return self._position[Axis.x]

    @property
    def limits(self) -> Limits:
        """Travel range; writable."""
        return self._limits

    @limits.setter
    def limits(self, value: Limits) -> None:
        if value.low >= value.high:
            raise StageError(f"empty range {value.low}..{value.high}")
        self._limits = value

    def move(self, x: float, axis: Axis = Axis.x) -> float:
        """Moves `axis` to `x` mm and returns where it ended."""
        if not self._limits.low <= x <= self._limits.high:
            raise StageError(f"{x} mm is outside the limits {self._limits.low}..{self._limits.high}")
        self._position[axis] = x
        return x

    def where(self) -> Tuple[float, float]:
        """Both positions (x, y)."""
        return self._position[Axis.x], self._position[Axis.y]

    def home(self) -> None:
        """Moves both axes to 0."""
        self._position = {Axis.x: 0.0, Axis.y: 0.0}

    def settle(self, seconds: float = 2.0) -> str:
        """Waits `seconds` (a slow call: heartbeats go on meanwhile)."""
        self._enter()
        try:
            time.sleep(seconds)
        finally:
            self._running -= 1
        return "settled"

    def scan(self, count: int, offset: int = 0) -> npt.NDArray[np.uint16]:
        """A line scan of `count` 16-bit pixels, starting at `offset`."""
        self._enter()
        try:
            time.sleep(0.01)
            return (np.arange(count, dtype=np.uint64) + offset).astype(np.uint16)
        finally:
            self._running -= 1

    def integrate(self, samples: List[float]) -> float:
        """The sum of `samples` (an array<double>, a numpy array in here)."""
        assert isinstance(samples, np.ndarray)
        return float(np.sum(samples))

    def scale(self, image: np.ndarray, factor: float = 2.0) -> np.ndarray:
        """`image` times `factor` (ndarray<double> in and out)."""
        return image * factor

    def echo_bytes(self, data: bytes) -> bytes:
        """Returns `data` reversed."""
        return bytes(data[::-1])

    def wait_for(self, timeout: timedelta) -> float:
        """Returns the timeout in seconds (a duration<double,s>)."""
        return timeout.total_seconds()

    def tags(self, names: Dict[str, int], note: Optional[str] = None) -> List[str]:
        """The keys of `names`, sorted, then `note` if given."""
        return sorted(names) + ([note] if note is not None else [])

    def fail(self, message: str) -> None:
        """Raises StageError(message)."""
        raise StageError(message)

    def _enter(self) -> None:
        with self._lock:
            self._running += 1
            if self._running > 1:
                self.overlaps += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broker", default=None, help="broker address (default $ROC_BROKER, else localhost)")
    parser.add_argument("--id", default="stage", help="object id (default stage)")
    parser.add_argument("--heartbeat", type=float, default=2.5, help="heartbeat interval in seconds")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = roc.Server(args.broker, heartbeat=args.heartbeat).publish(args.id, Stage())
    print(f"stage_server: serving '{args.id}'", flush=True)
    server.run()
    print("stage_server: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
