"""Fair use: one person (or one channel) cannot flood a channel or crowd out everyone else.

Each command is checked, before anything else runs for it, against two token buckets: the
asker's and the channel's. A bucket holds ``burst`` commands and refills at ``per_minute``; an
empty one gets a friendly "slow down" in the acknowledgement, and nothing runs.

The numbers (settings ``RESET_BOT_USER_COMMANDS_PER_MINUTE``, default 20, and
``RESET_BOT_CHANNEL_COMMANDS_PER_MINUTE``, default 60; 0 switches a limit off): a bucket holds
half a minute's worth, so a person may send 10 commands at once and then 20 a minute, and a
channel takes 30 at once and then 60 a minute from everyone together. A person reading through
topics by hand never meets either; a script or a stuck key does.

Limits are per replica (memory, not the database): a user spread over N replicas by the load
balancer gets at most N times the budget, which still bounds a flood. What must hold across
replicas — a replayed request running twice — is in the database (`bot.slack.front`).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    burst: int  # commands allowed at once
    per_minute: float  # refill rate


class Buckets:
    """Token buckets by key, bounded in number: the longest-idle keys are forgotten first (a
    forgotten bucket starts full again, so forgetting only ever errs towards letting through)."""

    def __init__(self, limit: Limit, *, clock: Callable[[], float] = time.monotonic, max_keys: int = 50_000) -> None:
        self.limit = limit
        self._clock = clock
        self._max = max_keys
        self._levels: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take one token: 0.0 if allowed, else the seconds until one is available."""
        now = self._clock()
        rate = self.limit.per_minute / 60.0
        with self._lock:
            tokens, at = self._levels.pop(key, (float(self.limit.burst), now))
            tokens = min(float(self.limit.burst), tokens + (now - at) * rate)
            if tokens >= 1.0:
                self._levels[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._levels[key] = (tokens, now)
                wait = (1.0 - tokens) / rate
            while len(self._levels) > self._max:
                self._levels.popitem(last=False)
        return wait


@dataclass(frozen=True)
class Refused:
    who: str  # "you" or "channel"
    retry_after_seconds: int


class FairUse:
    def __init__(self, per_user: Limit | None, per_channel: Limit | None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.users = Buckets(per_user, clock=clock) if per_user else None
        self.channels = Buckets(per_channel, clock=clock) if per_channel else None

    @classmethod
    def per_minute(cls, user: float, channel: float, clock: Callable[[], float] = time.monotonic) -> FairUse:
        """Buckets of half a minute's worth at these rates; a rate of 0 means no limit."""
        def limit(rate: float) -> Limit | None:
            return Limit(burst=max(1, int(rate / 2)), per_minute=rate) if rate > 0 else None
        return cls(limit(user), limit(channel), clock=clock)

    def check(self, team_id: str, user_id: str | None, channel_id: str) -> Refused | None:
        """None if the command may run. A refused user's command does not use the channel's budget."""
        if user_id and self.users is not None:
            wait = self.users.take(f"{team_id}:{user_id}")
            if wait > 0:
                return Refused("you", max(1, math.ceil(wait)))
        if self.channels is not None:
            wait = self.channels.take(f"{team_id}:{channel_id}")
            if wait > 0:
                return Refused("channel", max(1, math.ceil(wait)))
        return None
