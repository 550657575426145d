"""Pacing posts within Slack's limits: about one message per second per channel, and a budget
per workspace, so a thousand briefings due at 09:00 do not trip rate limits.

Slack's limits are per app per workspace, so each workspace has its own budget: one big
workspace's fan-out does not delay another's. A small token bucket per workspace; the clock and
the sleep are injectable so tests run instantly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable


class Pacer:
    def __init__(self, per_second: float = 10.0, per_channel_interval: float = 1.0,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / per_second  # within one workspace
        self.per_channel = per_channel_interval
        self._clock, self._sleep = clock, sleep
        self._next_any: dict[Hashable, float] = {}  # by workspace
        self._next_channel: dict[tuple[Hashable, str], float] = {}  # by (workspace, channel)
        self._lock = threading.Lock()

    def wait(self, channel_id: str, workspace: Hashable = None) -> float:
        """Block until a post to ``workspace``'s ``channel_id`` is within both of that workspace's
        limits; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            key = (workspace, channel_id)
            at = max(now, self._next_any.get(workspace, 0.0), self._next_channel.get(key, 0.0))
            self._next_any[workspace] = at + self.interval
            self._next_channel[key] = at + self.per_channel
            if len(self._next_channel) > 10_000:  # forget channels (and workspaces) whose window has passed
                self._next_channel = {k: t for k, t in self._next_channel.items() if t > now}
                self._next_any = {w: t for w, t in self._next_any.items() if t > now}
        delay = at - now
        if delay > 0:
            self._sleep(delay)
        return delay
