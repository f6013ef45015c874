"""Hybrid logical clock: orders changes across devices whose wall clocks disagree.

A timestamp is (wall milliseconds, counter, device). It never goes backwards on one device,
even when the laptop's clock is set back, and it moves past any timestamp received in a
bundle, so a change made after an import sorts after what was imported. Encoded as a
fixed-width string so that string order is time order.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Timestamp:
    wall_ms: int
    counter: int
    device: str

    def encode(self) -> str:
        return f"{self.wall_ms:013d}-{self.counter:05d}-{self.device}"

    @classmethod
    def decode(cls, text: str) -> Timestamp:
        wall, counter, device = text.split("-", 2)
        return cls(int(wall), int(counter), device)


class HybridClock:
    """One per installation; thread-safe."""

    MAX_COUNTER = 99_999

    def __init__(self, device: str, wall_ms: Callable[[], int] | None = None,
                 last: Timestamp | None = None) -> None:
        self.device = device
        self._wall_ms = wall_ms or (lambda: int(time.time() * 1000))
        self._last = last or Timestamp(0, 0, device)
        self._lock = threading.Lock()

    def now(self) -> Timestamp:
        with self._lock:
            wall = self._wall_ms()
            if wall > self._last.wall_ms:
                self._last = Timestamp(wall, 0, self.device)
            else:
                self._last = self._advance(self._last.wall_ms, self._last.counter + 1)
            return self._last

    def observe(self, remote: Timestamp) -> Timestamp:
        """Move past a timestamp received from another device."""
        with self._lock:
            wall = self._wall_ms()
            top = max(wall, self._last.wall_ms, remote.wall_ms)
            if top == self._last.wall_ms == remote.wall_ms:
                counter = max(self._last.counter, remote.counter) + 1
            elif top == self._last.wall_ms:
                counter = self._last.counter + 1
            elif top == remote.wall_ms:
                counter = remote.counter + 1
            else:
                counter = 0
            self._last = self._advance(top, counter)
            return self._last

    def _advance(self, wall: int, counter: int) -> Timestamp:
        if counter > self.MAX_COUNTER:
            return Timestamp(wall + 1, 0, self.device)
        return Timestamp(wall, counter, self.device)
