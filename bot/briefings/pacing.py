"""Pacing posts within Slack's limits, and sharing the fan-out's workers fairly between workspaces.

Slack's limits are per app, per method, per workspace (docs.slack.dev/apis/web-api/rate-limits):
chat.postMessage about one message per second per channel plus a workspace-wide limit Slack does
not put a number on; files.getUploadURLExternal and files.completeUploadExternal are Tier 4
("100+ per minute"), and every briefing uploads its chart with one of each. So a workspace's
briefings may go at most ``per_second`` a second and, when ``uploads_per_minute`` is given, at most
that many a minute — whichever is slower.

`Pacer` books each post a slot. Alone (one process) it keeps the workspace's next slot in memory.
With ``shared`` (`bot.storage.post_slots.PostSlots`, the runtime's choice) the workspace's slot is
reserved in the database, so several replicas together stay within one workspace's budget instead
of each spending all of it. The one-second-per-channel gap stays in memory: a fan-out posts once
per channel, and a channel's one slot is claimed by one replica.

`Lanes` is the fan-out's pool of workers. A worker that waits for its workspace's slot is a worker
taken, so with one first-in-first-out queue a big workspace's fan-out (paced at its budget) would
hold every worker and a small workspace's few briefings, due at the same minute in another
schedule, would wait behind all of it. Lanes keeps a queue per workspace and gives a free worker to
the workspace with the fewest briefings in flight (turns among equals): one workspace may still use
every worker when no other has work, and another's briefing waits at most for one post to finish.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any, TypeVar

from bot.storage.post_slots import PostSlots
from bot.storage.records import StoreError, Workspace

logger = logging.getLogger("reset_bot.briefings")

T = TypeVar("T")

# files.getUploadURLExternal / files.completeUploadExternal: Tier 4, "100+ per minute" per workspace
# (docs.slack.dev/reference/methods/files.completeUploadExternal; docs.slack.dev/apis/web-api/rate-limits).
TIER_4_PER_MINUTE = 100.0


class Pacer:
    def __init__(self, per_second: float = 10.0, per_channel_interval: float = 1.0,
                 clock: Callable[[], float] | None = None, sleep: Callable[[float], None] = time.sleep, *,
                 uploads_per_minute: float | None = None, shared: PostSlots | None = None) -> None:
        # Seconds between two posts within one workspace: the slower of the two budgets.
        self.interval = max(1.0 / per_second, 60.0 / uploads_per_minute if uploads_per_minute else 0.0)
        self.per_channel = per_channel_interval
        self.shared = shared
        # Shared slots are compared across hosts, so they need the wall clock; alone, the monotonic one.
        self._clock = clock or (time.time if shared is not None else time.monotonic)
        self._sleep = sleep
        self._next_any: dict[Hashable, float] = {}  # by workspace (alone, or when the database fails)
        self._next_channel: dict[tuple[Hashable, str], float] = {}  # by (workspace, channel)
        self._lock = threading.Lock()

    def wait(self, channel_id: str, workspace: Hashable = None) -> float:
        """Block until a post to ``workspace``'s ``channel_id`` is within both of that workspace's
        limits; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            key = (workspace, channel_id)
            channel_at = max(now, self._next_channel.get(key, 0.0))
            self._next_channel[key] = channel_at + self.per_channel
            if len(self._next_channel) > 10_000:  # forget channels (and workspaces) whose window has passed
                self._next_channel = {k: t for k, t in self._next_channel.items() if t > now}
                self._next_any = {w: t for w, t in self._next_any.items() if t > now}
        at = None
        if self.shared is not None and (workspace is None or isinstance(workspace, Workspace)):
            try:
                at = self.shared.reserve(workspace, self.interval, channel_at)
            except StoreError as exc:  # the claims will fail too; until then pace this process alone
                logger.warning("shared pacing unavailable, pacing this process alone: %s", exc)
        if at is None:
            with self._lock:
                at = max(channel_at, self._next_any.get(workspace, 0.0))
                self._next_any[workspace] = at + self.interval
        delay = at - now
        if delay > 0:
            self._sleep(delay)
        return max(delay, 0.0)


class Lanes:
    """A pool of ``workers`` threads with one queue per workspace: a free worker takes the next task
    of the workspace with the fewest tasks running (among equals, the one that waited longest)."""

    def __init__(self, workers: int, name: str = "briefing") -> None:
        self._queues: dict[Hashable, deque[tuple[Future[Any], Callable[[], Any]]]] = {}
        self._running: dict[Hashable, int] = {}
        self._cond = threading.Condition()
        self._closed = False
        self._threads = [threading.Thread(target=self._work, name=f"{name}_{n}", daemon=True) for n in range(workers)]
        for thread in self._threads:
            thread.start()

    def submit(self, lane: Hashable, fn: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        with self._cond:
            if self._closed:
                raise RuntimeError("the lanes are shut down")
            queue = self._queues.get(lane)
            if queue is None:  # a new lane goes to the back of the turns (dicts keep insertion order)
                queue = self._queues[lane] = deque()
            queue.append((future, fn))
            self._cond.notify()
        return future

    def _next(self) -> tuple[Hashable, Future[Any], Callable[[], Any]] | None:
        with self._cond:
            while True:
                if self._queues:
                    lane = min(self._queues, key=lambda name: self._running.get(name, 0))  # first of the least busy
                    queue = self._queues.pop(lane)
                    future, fn = queue.popleft()
                    if queue:
                        self._queues[lane] = queue  # to the back of the turns
                    self._running[lane] = self._running.get(lane, 0) + 1
                    return lane, future, fn
                if self._closed:
                    return None
                self._cond.wait()

    def _work(self) -> None:
        while (task := self._next()) is not None:
            lane, future, fn = task
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(fn())
                    except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on the future
                        future.set_exception(exc)
            finally:
                with self._cond:
                    self._running[lane] -= 1
                    if not self._running[lane]:
                        del self._running[lane]

    def shutdown(self, wait: bool = True) -> None:
        """No new tasks; the queued ones still run. ``wait``: until every worker is done."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if wait:
            for thread in self._threads:
                thread.join()
