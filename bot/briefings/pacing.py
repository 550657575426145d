"""Pacing posts within Slack's limits, and sharing the fan-out's workers fairly between workspaces.

Slack's limits are per app, per method, per workspace (docs.slack.dev/apis/web-api/rate-limits):
chat.postMessage about one message per second per channel plus a workspace-wide limit Slack does
not put a number on; files.getUploadURLExternal and files.completeUploadExternal are Tier 4
("100+ per minute"), and every briefing uploads its chart with one of each. So a workspace's
briefings may go at most ``per_second`` a second and, when ``uploads_per_minute`` is given, at most
that many a minute — whichever is slower.

`Pacer` books each briefing its turns of the workspace's two budgets: messages (chat.postMessage)
and files (the two Tier 4 upload calls of a chart). A flat briefing is a message and a file; a
threaded one takes its parent's, replies' and chart's turns at once, before its parent, and then
only keeps the channel's gap between its parts — one shared reservation per briefing.
Alone (one process) it keeps the workspace's next slots in memory.
With ``shared`` (`bot.storage.post_slots.PostSlots`, the runtime's choice) the workspace's slot is
reserved in the database, so several replicas together stay within one workspace's budget instead
of each spending all of it. The one-second-per-channel gap stays in memory: a fan-out posts once
per channel, and a channel's one slot is claimed by one replica.

`Lanes` is the fan-out's pool of workers. With one first-in-first-out queue a big workspace's
fan-out (paced at its budget) would hold every worker and a small workspace's few briefings, due at
the same minute in another schedule, would wait behind all of it. Lanes keeps a queue per workspace
and gives a free thread to the workspace with the fewest briefings in flight (turns among equals):
one workspace may still use every worker when no other has work, and another's briefing waits at
most for one post to finish.

Waiting for a turn is not work. A briefing that sleeps until its workspace's slot *steps aside*
(`stepped_aside`, which `Pacer.wait` uses): it gives its place among the ``workers`` that may run
at once to another briefing and takes a place again when its slot comes. So ``workers`` bounds the
Slack calls and database writes in flight, while up to ``threads`` briefings may be waiting for
their turns — enough to keep every workspace's budget busy. (With ten threads that both waited and
worked, fifty workspaces each paced to one briefing per 0.6 s could not all be served at once: the
multi-workspace benchmark ran at 1.98× its rate-limit floor.)
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
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
        # Seconds between two messages, and between two file uploads, within one workspace.
        self.message_interval = 1.0 / per_second
        self.file_interval = 60.0 / uploads_per_minute if uploads_per_minute else 0.0
        # … and between two briefings (each has one of each): the slower of the two budgets.
        self.interval = max(self.message_interval, self.file_interval)
        self.per_channel = per_channel_interval
        self.shared = shared
        # Shared slots are compared across hosts, so they need the wall clock; alone, the monotonic one.
        self._clock = clock or (time.time if shared is not None else time.monotonic)
        self._sleep = sleep
        self._next_any: dict[tuple[Hashable, str], float] = {}  # by (workspace, budget): alone, or no database
        self._next_channel: dict[tuple[Hashable, str], float] = {}  # by (workspace, channel)
        self._lock = threading.Lock()

    def budgets(self, messages: int, files: int) -> dict[str, float]:
        """The workspace turns ``messages`` messages and ``files`` files take: budget → seconds."""
        wanted = {"message": self.message_interval * messages, "file": self.file_interval * files}
        return {name: seconds for name, seconds in wanted.items() if seconds > 0}

    def wait(self, channel_id: str, workspace: Hashable = None, *, messages: int = 1, files: int = 1) -> float:
        """Block until the next post to ``workspace``'s ``channel_id`` keeps the channel's gap and,
        for what it is about to send — ``messages`` messages and ``files`` files, by default a flat
        briefing's one of each — the workspace's budgets; returns the seconds waited. A threaded
        briefing takes its whole unit's turns before its parent and only the channel's gap before
        each later part (``messages=0, files=0``): one shared reservation per briefing, not four.
        Inside a `Lanes` worker the waits step aside (`stepped_aside`).

        First the channel's gap, then the workspace's turns, taken only once the channel is ready:
        a turn booked for a post that must wait for its channel anyway would hold up every other
        channel of the workspace behind it."""
        key = (workspace, channel_id)
        with self._lock:
            start = self._clock()
            channel_at = max(start, self._next_channel.get(key, 0.0))
            self._next_channel[key] = channel_at + self.per_channel
            if len(self._next_channel) > 10_000:  # forget channels (and workspaces) whose window has passed
                self._next_channel = {k: t for k, t in self._next_channel.items() if t > start}
                self._next_any = {w: t for w, t in self._next_any.items() if t > start}
        if channel_at > start:
            with stepped_aside():
                self._sleep(channel_at - start)
        ready = max(self._clock(), channel_at)
        budgets = self.budgets(messages, files)
        at = None
        if budgets and self.shared is not None and (workspace is None or isinstance(workspace, Workspace)):
            try:
                at = max(self.shared.reserve_many(workspace, budgets, ready).values(), default=ready)
            except StoreError as exc:  # the claims will fail too; until then pace this process alone
                logger.warning("shared pacing unavailable, pacing this process alone: %s", exc)
        if at is None:
            with self._lock:
                at = max([ready] + [self._next_any.get((workspace, name), 0.0) for name in budgets])
                for name, interval in budgets.items():
                    self._next_any[(workspace, name)] = at + interval
        if at > ready:
            with stepped_aside():
                self._sleep(at - ready)
        with self._lock:  # the channel's next post keeps its gap after this one's real time (a busy
            # machine can let it go later than its turn: waiting for a place, for the CPU)
            self._next_channel[key] = max(self._next_channel.get(key, 0.0), at + self.per_channel,
                                          self._clock() + self.per_channel)
        return max(at - start, 0.0)


_worker = threading.local()  # .lanes: the `Lanes` whose worker this thread is (else unset)


@contextmanager
def stepped_aside() -> Iterator[None]:
    """While a `Lanes` worker waits (for its workspace's turn), its place among the pool's running
    workers goes to another; it takes a place again before going on. Elsewhere: nothing."""
    lanes: Lanes | None = getattr(_worker, "lanes", None)
    if lanes is None:
        yield
        return
    lanes._aside(+1)
    lanes._places.release()
    try:
        yield
    finally:
        lanes._places.acquire()
        lanes._aside(-1)


class Lanes:
    """A pool with one queue per workspace: a free thread takes the next task of the workspace with
    the fewest tasks in flight (among equals, the one that waited longest). At most ``workers`` tasks
    run at once; up to ``threads`` (made as needed) may be in flight, the rest of them waiting in
    `stepped_aside`."""

    def __init__(self, workers: int, name: str = "briefing", *, threads: int | None = None) -> None:
        self._queues: dict[Hashable, deque[tuple[Future[Any], Callable[[], Any]]]] = {}
        self._running: dict[Hashable, int] = {}
        self._cond = threading.Condition()
        self._closed = False
        self._places = threading.Semaphore(workers)
        self._places_total = workers
        self._name = name
        self._max_threads = max(workers, threads or workers)
        self._threads: list[threading.Thread] = []
        self._idle = 0  # threads waiting for a task
        self._queued = 0  # tasks waiting for a thread
        self._waiting = 0  # threads stepped aside (waiting for a turn)

    def in_worker(self) -> bool:
        """Is the calling thread one of this pool's? (Then it must not wait on tasks it submits: with
        every thread busy, nothing would run them.)"""
        return getattr(_worker, "lanes", None) is self

    def submit(self, lane: Hashable, fn: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        with self._cond:
            if self._closed:
                raise RuntimeError("the lanes are shut down")
            queue = self._queues.get(lane)
            if queue is None:  # a new lane goes to the back of the turns (dicts keep insertion order)
                queue = self._queues[lane] = deque()
            queue.append((future, fn))
            self._queued += 1
            self._grow()
            self._cond.notify()
        return future

    def _grow(self) -> None:
        """A new thread when a task waits for one and fewer than ``workers`` threads are doing
        anything but waiting for a turn (so a fan-out without waits runs on ``workers`` threads,
        and one whose briefings wait gets more, up to ``threads``). Under ``_cond``."""
        not_waiting = len(self._threads) - self._waiting
        if self._queued > self._idle and len(self._threads) < self._max_threads and not_waiting < self._places_total:
            thread = threading.Thread(target=self._work, name=f"{self._name}_{len(self._threads)}", daemon=True)
            self._threads.append(thread)
            self._idle += 1  # counted idle until it takes its first task
            thread.start()

    def _aside(self, change: int) -> None:
        with self._cond:
            self._waiting += change
            if change > 0:
                self._grow()

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
                    self._queued -= 1
                    self._idle -= 1
                    return lane, future, fn
                if self._closed:
                    return None
                self._cond.wait()

    def _work(self) -> None:
        _worker.lanes = self
        while (task := self._next()) is not None:
            lane, future, fn = task
            self._places.acquire()  # a task first, then a place: a thread holding a place never idles
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(fn())
                    except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on the future
                        future.set_exception(exc)
            finally:
                self._places.release()
                with self._cond:
                    self._idle += 1
                    self._running[lane] -= 1
                    if not self._running[lane]:
                        del self._running[lane]

    def shutdown(self, wait: bool = True) -> None:
        """No new tasks; the queued ones still run. ``wait``: until every worker is done."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            threads = list(self._threads)
        if wait:
            for thread in threads:
                thread.join()
