"""Pure computations are memoised per data version, and only per data version."""

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from handlers.memo import VersionMemo


def test_a_value_is_computed_once_per_version_and_key(datasets):
    calls = []
    memo = VersionMemo()
    for _ in range(3):
        assert memo.get(datasets, "k", lambda: calls.append(1) or 42) == 42
    assert len(calls) == 1


def test_another_datasets_object_never_sees_the_first_ones_values(datasets):
    memo = VersionMemo()
    memo.get(datasets, "k", lambda: "old")
    refreshed = dataclasses.replace(datasets)  # same version string, a different object
    assert memo.get(refreshed, "k", lambda: "new") == "new"


def test_entries_per_version_are_bounded(datasets):
    memo = VersionMemo(max_entries=2)
    for n in range(5):
        memo.get(datasets, n, lambda n=n: n)
    assert 1 <= memo.entries(datasets.version) <= 2


def test_concurrent_first_calls_compute_once_and_all_get_the_value(datasets):
    memo = VersionMemo()
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow():
        calls.append(1)
        started.set()
        release.wait(timeout=10)
        return "tables"

    with ThreadPoolExecutor(max_workers=10) as pool:
        first = pool.submit(memo.get, datasets, "k", slow)
        started.wait(timeout=10)  # the first caller is computing …
        others = [pool.submit(memo.get, datasets, "k", slow) for _ in range(9)]  # … when nine more ask
        while not all(f.running() or f.done() for f in others):  # each on a thread of its own, asking
            release.wait(timeout=0.001)
        release.set()
        assert first.result(timeout=10) == "tables"
        assert [f.result(timeout=10) for f in others] == ["tables"] * 9
    assert len(calls) == 1


def test_a_failed_computation_reaches_its_waiters_and_is_not_kept(datasets):
    memo = VersionMemo()
    started, release = threading.Event(), threading.Event()

    def failing():
        started.set()
        release.wait(timeout=10)
        raise ValueError("no such series")

    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(memo.get, datasets, "k", failing)
        started.wait(timeout=10)
        waiter = pool.submit(memo.get, datasets, "k", lambda: "never used")
        release.set()
        for future in (first, waiter):
            with pytest.raises(ValueError, match="no such series"):
                future.result(timeout=10)
    assert memo.get(datasets, "k", lambda: "computed again") == "computed again"


def test_a_computation_that_needs_its_own_value_fails_instead_of_waiting_for_itself(datasets):
    memo = VersionMemo()

    def circular():
        return memo.get(datasets, "k", circular)

    with pytest.raises(RecursionError, match="needed to compute itself"):
        memo.get(datasets, "k", circular)
    assert memo.get(datasets, "k", lambda: "fine") == "fine"  # nothing left half-computed
