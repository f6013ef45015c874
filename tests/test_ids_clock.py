"""UUIDv7 and the hybrid logical clock: the orderings sync relies on."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from ranger_app.domain.hlc import HybridClock, Timestamp
from ranger_app.domain.ids import new_id, uuid7, uuid7_time_ms


def test_uuid7_layout_and_time() -> None:
    u = uuid7(now_ms=1_700_000_000_123)
    assert u.version == 7
    assert u.variant == uuid.RFC_4122
    assert uuid7_time_ms(u) >= 1_700_000_000_123


def test_uuid7_sorts_in_mint_order_even_within_one_millisecond() -> None:
    ids = [uuid7(now_ms=1_800_000_000_000) for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    strings = [new_id() for _ in range(1000)]
    assert strings == sorted(strings)


def test_clock_never_goes_back_when_the_laptop_clock_does() -> None:
    wall = [10_000]
    clock = HybridClock("dev-a", wall_ms=lambda: wall[0])
    a = clock.now()
    wall[0] = 5_000  # someone set the clock back
    b = clock.now()
    assert b > a
    assert b.encode() > a.encode()


def test_clock_moves_past_what_it_observed() -> None:
    clock = HybridClock("dev-a", wall_ms=lambda: 1_000)
    remote = Timestamp(50_000, 7, "dev-b")
    after = clock.observe(remote)
    assert after > remote
    assert clock.now() > after


@given(st.lists(st.tuples(st.integers(0, 10**12), st.booleans()), min_size=1, max_size=60))
def test_clock_is_strictly_monotonic(steps: list[tuple[int, bool]]) -> None:
    wall = [0]
    clock = HybridClock("d", wall_ms=lambda: wall[0])
    last = clock.now()
    for value, observe in steps:
        wall[0] = value if not observe else wall[0]
        nxt = clock.observe(Timestamp(value, 3, "e")) if observe else clock.now()
        assert nxt > last
        assert nxt.encode() > last.encode()
        assert Timestamp.decode(nxt.encode()) == nxt
        last = nxt
