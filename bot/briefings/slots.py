"""When a subscription's briefings are due: weekly wall-clock slots in its own time zone.

APScheduler's `CronTrigger` is the single source of truth: the same trigger fires the job and
computes slots here, so "09:00 Europe/Berlin" stays 09:00 local across daylight-saving changes
(08:00 UTC in summer, 07:00 UTC in winter). How a schedule or a slot is *said* is
`handlers.subscriptions.describe` and `local_and_utc`.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_DAY = "mon"
DEFAULT_TIME = time(9, 0)


@lru_cache(maxsize=1024)
def trigger(weekday: str, at_time: str, tz: str) -> CronTrigger:
    """The weekly cron for a schedule. Cached: triggers are immutable, many subscriptions share a
    schedule, and the scheduler's sync pass asks for every subscription's trigger every 30 s."""
    hour, minute = (int(part) for part in at_time.split(":"))
    return CronTrigger(day_of_week=weekday, hour=hour, minute=minute, second=0, timezone=ZoneInfo(tz))


def next_slot(weekday: str, at_time: str, tz: str, after: datetime) -> datetime:
    """The first slot strictly after ``after``, in UTC."""
    return _fire_after(trigger(weekday, at_time, tz), after)


def latest_slot(weekday: str, at_time: str, tz: str, now: datetime) -> datetime:
    """The most recent slot at or before ``now``, in UTC (at most a week back)."""
    # Slots fall on whole minutes, so every instant of a minute has the same latest slot: the
    # cron maths runs once per schedule and minute, not once per subscription (a fan-out of a
    # thousand channels on one schedule asks the same question a thousand times).
    return _latest_slot(weekday, at_time, tz, now.astimezone(timezone.utc).replace(second=0, microsecond=0))


@lru_cache(maxsize=4096)
def _latest_slot(weekday: str, at_time: str, tz: str, now: datetime) -> datetime:
    cron = trigger(weekday, at_time, tz)  # built once: the scheduler's sync asks this for every subscription
    slot = _fire_after(cron, now - timedelta(days=7, minutes=1))
    while True:
        following = _fire_after(cron, slot)
        if following > now:
            return slot
        slot = following


def _fire_after(cron: CronTrigger, after: datetime) -> datetime:
    fire = cron.get_next_fire_time(None, after + timedelta(seconds=1))
    assert fire is not None  # a weekly cron always has a next time
    utc_fire: datetime = fire.astimezone(timezone.utc)
    return utc_fire
