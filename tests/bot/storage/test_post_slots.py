"""Posting slots reserved in the shared database: consecutive, an interval apart, never the same
one twice — however many threads and connections (replicas) reserve at once."""

from __future__ import annotations

import threading

import pytest

from bot.storage import connect
from bot.storage.post_slots import PostSlots, slot_key
from bot.storage.records import Workspace

T1, T2 = Workspace("T0000AAAA1"), Workspace("T0000BBBB2")


def test_slots_follow_each_other_an_interval_apart_and_never_before_now(storage):
    slots = PostSlots(storage.database)
    assert slots.reserve(T1, 0.5, now=100.0) == 100.0
    assert slots.reserve(T1, 0.5, now=100.0) == 100.5
    assert slots.reserve(T1, 0.5, now=100.2) == 101.0
    assert slots.reserve(T1, 0.5, now=200.0) == 200.0  # an idle workspace starts again from now


def test_each_workspace_has_its_own_row(storage):
    slots = PostSlots(storage.database)
    assert slots.reserve(T1, 1.0, now=10.0) == 10.0
    assert slots.reserve(T2, 1.0, now=10.0) == 10.0
    assert slots.reserve(Workspace("T0000AAAA1", "E0000ORG01"), 1.0, now=10.0) == 10.0
    assert slots.reserve(None, 1.0, now=10.0) == 10.0
    assert len({slot_key(T1), slot_key(T2), slot_key(Workspace("T0000AAAA1", "E0000ORG01")), slot_key(None)}) == 4


def test_concurrent_reservations_on_two_connections_get_distinct_slots_an_interval_apart(storage, db_url, clock):
    other = connect(db_url, now=clock)  # a second replica: its own engine and connection pool
    try:
        stores = [PostSlots(storage.database), PostSlots(other.database)]
        got: list[float] = []
        lock = threading.Lock()
        start = threading.Barrier(8)

        def reserve(n: int) -> None:
            start.wait()
            for _ in range(10):
                at = stores[n % 2].reserve(T1, 0.25, now=1000.0)
                with lock:
                    got.append(at)

        threads = [threading.Thread(target=reserve, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        other.dispose()
    assert sorted(got) == pytest.approx([1000.0 + 0.25 * n for n in range(80)])


def test_a_post_of_two_budgets_takes_a_turn_of_each_and_goes_at_the_later(storage):
    """A flat briefing is a message (10 a second) and a file (Tier 4: 0.6 s apart). Its message
    turn is pushed to when it really goes, so the next message cannot go before that."""
    slots = PostSlots(storage.database)
    both = {"message": 0.1, "file": 0.6}
    assert slots.reserve_many(T1, both, now=50.0) == {"file": 50.0, "message": 50.0}
    assert slots.reserve_many(T1, both, now=50.0) == pytest.approx({"file": 50.6, "message": 50.1})
    # the second briefing went at 50.6: the next message waits for 50.7, not 50.2
    assert slots.reserve_many(T1, {"message": 0.1}, now=50.0) == pytest.approx({"message": 50.7})
    assert slots.reserve_many(T2, {"file": 0.6}, now=50.0) == {"file": 50.0}  # another workspace's own rows
