"""Memoising pure computations per data version.

Replies, headlines and look-ups are pure functions of the datasets, which change a few times a
week while the same questions arrive all day. Entries are keyed by ``datasets.version`` *and*
the datasets object itself, so two objects that share a version string never see each other's
values; only the newest few versions are kept.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Generic, TypeVar

from handlers.datasets import Datasets

T = TypeVar("T")


class VersionMemo(Generic[T]):
    def __init__(self, max_versions: int = 4, max_entries: int | None = None) -> None:
        self._max_versions = max_versions
        self._max_entries = max_entries
        self._by_version: dict[str, tuple[Datasets, dict[Hashable, T]]] = {}
        # First computations under way, by (the version's values, key): their result, and the thread
        # computing it. Later callers wait for the result.
        self._computing: dict[tuple[int, Hashable], tuple[Future[T], int]] = {}
        self._lock = threading.Lock()

    def entries(self, version: str) -> int:
        """How many results are kept for one data version (the bound is ``max_entries``)."""
        with self._lock:
            entry = self._by_version.get(version)
            return len(entry[1]) if entry else 0

    def get(self, datasets: Datasets, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` once per (data version, key). Concurrent first calls compute it once: the
        others wait for that result (a fan-out's ten workers asking for the same briefing topic at
        the same moment draw its tables once, not ten times), or get its exception."""
        with self._lock:
            entry = self._by_version.get(datasets.version)
            if entry is None or entry[0] is not datasets:
                if len(self._by_version) >= self._max_versions:
                    self._by_version.clear()
                entry = self._by_version[datasets.version] = (datasets, {})
            values = entry[1]
            if key in values:
                return values[key]
            flight = (id(values), key)  # `values` stays referenced by the computing caller
            running = self._computing.get(flight)
            if running is None:
                mine: Future[T] = Future()
                self._computing[flight] = (mine, threading.get_ident())
            elif running[1] == threading.get_ident():
                # compute() asked for its own key: waiting for itself would hang this thread for good
                raise RecursionError(f"the value for {key!r} is needed to compute itself")
        if running is not None:
            return running[0].result()
        try:
            value = compute()  # outside the lock: a slow computation must not block other keys
        except BaseException as exc:
            with self._lock:
                del self._computing[flight]
            mine.set_exception(exc)
            raise
        with self._lock:
            if self._max_entries is not None and len(values) >= self._max_entries:
                values.clear()
            values[key] = value
            del self._computing[flight]
        mine.set_result(value)
        return value
