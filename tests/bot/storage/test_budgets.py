"""Rationed Slack calls: one turn per interval across every process on the database, Retry-After
moves the next turn, and a paged read's cursor is kept for whoever reads the next page."""

from __future__ import annotations

import threading
from datetime import timedelta

from bot.storage import connect
from bot.storage.budgets import Scan
from bot.storage.records import Workspace

HISTORY = "conversations.history"
A, B = Workspace("T0000AAAA1"), Workspace("T0000BBBB2", "E0000GRID2")
MINUTE = timedelta(minutes=1)


def test_one_turn_a_minute_per_method_and_workspace(storage, clock):
    first = storage.budgets.take(HISTORY, A, MINUTE)
    assert first.taken and first.next_at == clock.now + MINUTE
    again = storage.budgets.take(HISTORY, A, MINUTE)
    assert not again.taken and again.next_at == clock.now + MINUTE  # refused: when to come back
    assert storage.budgets.take(HISTORY, B, MINUTE).taken  # another workspace has its own budget
    assert storage.budgets.take("conversations.replies", A, MINUTE).taken  # and another method
    clock.now += timedelta(seconds=59)
    assert not storage.budgets.take(HISTORY, A, MINUTE).taken
    clock.now += timedelta(seconds=1)
    assert storage.budgets.take(HISTORY, A, MINUTE).taken
    assert storage.budgets.next_at(HISTORY, A) == clock.now + MINUTE


def test_processes_on_one_database_share_the_budget(db_url, storage, clock):
    """Several processes (connections) racing for the same turn: exactly one gets it."""
    others = [connect(db_url, now=clock) for _ in range(3)]
    try:
        won: list[bool] = []
        start = threading.Barrier(len(others) * 2)

        def race(budgets):
            start.wait()
            won.append(budgets.take(HISTORY, A, MINUTE).taken)

        threads = [threading.Thread(target=race, args=(s.budgets,)) for s in others for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(won) == [False] * 5 + [True]
        assert not storage.budgets.take(HISTORY, A, MINUTE).taken
    finally:
        for s in others:
            s.dispose()


def test_retry_after_moves_the_next_turn_later_never_earlier(storage, clock):
    assert storage.budgets.next_at(HISTORY, A) is None
    storage.budgets.defer(HISTORY, A, clock.now + timedelta(seconds=90))  # a 429 before any turn was taken
    assert not storage.budgets.take(HISTORY, A, MINUTE).taken
    storage.budgets.defer(HISTORY, A, clock.now + timedelta(seconds=30))  # an earlier time changes nothing
    assert storage.budgets.next_at(HISTORY, A) == clock.now + timedelta(seconds=90)
    clock.now += timedelta(seconds=90)
    assert storage.budgets.take(HISTORY, A, MINUTE).taken


def test_a_paged_reads_cursor_is_kept_moved_on_and_forgotten(storage, clock):
    scan = Scan(7, "1764260400.000000", "bmV4dF90czox", 1, clock.now)
    assert storage.history_scans.get(7) is None
    storage.history_scans.save(scan)
    assert storage.history_scans.get(7) == scan
    storage.history_scans.save(Scan(7, scan.oldest, "bmV4dF90czoy", 2, scan.started_at))
    assert (storage.history_scans.get(7).cursor, storage.history_scans.get(7).pages) == ("bmV4dF90czoy", 2)
    storage.history_scans.drop(7)
    assert storage.history_scans.get(7) is None
    storage.history_scans.save(scan)
    assert storage.history_scans.prune(clock.now) == 0 and storage.history_scans.prune(clock.now + MINUTE) == 1
