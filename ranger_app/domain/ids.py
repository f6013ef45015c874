"""UUIDv7 (RFC 9562): time-ordered ids minted locally, never reused.

Python 3.11 has no `uuid.uuid7`; this is the RFC's layout with a monotonic counter in
`rand_a` so that ids minted in the same millisecond still sort in order.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7(now_ms: int | None = None) -> uuid.UUID:
    global _last_ms, _counter
    with _lock:
        ms = int(time.time() * 1000) if now_ms is None else now_ms
        if ms <= _last_ms:
            _counter += 1
            if _counter > 0xFFF:  # 4096 ids in one millisecond: borrow the next one
                _last_ms += 1
                _counter = 0
            ms = _last_ms
        else:
            _last_ms = ms
            _counter = int.from_bytes(os.urandom(2), "big") & 0x3FF  # leave room to count
        rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
        value = (ms & ((1 << 48) - 1)) << 80
        value |= 0x7 << 76
        value |= (_counter & 0xFFF) << 64
        value |= 0b10 << 62
        value |= rand_b
        return uuid.UUID(int=value)


def new_id() -> str:
    """A new UUIDv7 as the canonical 36-character string we store."""
    return str(uuid7())


def uuid7_time_ms(value: str | uuid.UUID) -> int:
    u = value if isinstance(value, uuid.UUID) else uuid.UUID(value)
    return u.int >> 80
