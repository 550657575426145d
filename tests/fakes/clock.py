"""An injected clock: the time a test says it is, moved on by the test itself.

Components that ask "what time is it?" take a zero-argument callable (`connect(url, now=…)`,
`build_briefings(…, clock=…)`, `Buckets(clock=…)`); tests hand them one of these and advance it, so
nothing depends on how fast this machine runs and no test sleeps to let time pass.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Generic, TypeVar

T = TypeVar("T", datetime, float)


class Clock(Generic[T]):
    """Returns `now` when called; `advance` moves it on (a `timedelta` for datetimes, seconds for floats)."""

    def __init__(self, now: T) -> None:
        self.now = now

    def __call__(self) -> T:
        return self.now

    def advance(self, by: timedelta | float) -> T:
        self.now = self.now + by  # type: ignore[operator]  # datetime + timedelta, or float + float
        return self.now
