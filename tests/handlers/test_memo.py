"""Pure computations are memoised per data version, and only per data version."""

import dataclasses

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
