"""Pacing posts within Slack's limits: about one message per second per channel, and a
workspace-wide budget, so a thousand briefings due at 09:00 do not trip rate limits.

A small token bucket; the clock and the sleep are injectable so tests run instantly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Pacer:
    def __init__(self, per_second: float = 10.0, per_channel_interval: float = 1.0,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / per_second
        self.per_channel = per_channel_interval
        self._clock, self._sleep = clock, sleep
        self._next_any = 0.0
        self._next_channel: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, channel_id: str) -> float:
        """Block until a post to ``channel_id`` is within both limits; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            at = max(now, self._next_any, self._next_channel.get(channel_id, 0.0))
            self._next_any = at + self.interval
            self._next_channel[channel_id] = at + self.per_channel
            if len(self._next_channel) > 10_000:  # forget channels whose window has passed
                self._next_channel = {c: t for c, t in self._next_channel.items() if t > now}
        delay = at - now
        if delay > 0:
            self._sleep(delay)
        return delay
