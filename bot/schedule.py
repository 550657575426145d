"""When a subscription's briefings are due: weekly wall-clock slots in its own time zone.

APScheduler's `CronTrigger` is the single source of truth: the same trigger fires the job and
computes slots here, so "09:00 Europe/Berlin" stays 09:00 local across daylight-saving changes
(08:00 UTC in summer, 07:00 UTC in winter).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
             "sat": "Saturday", "sun": "Sunday"}
DEFAULT_DAY = "mon"
DEFAULT_TIME = time(9, 0)


def trigger(weekday: str, at_time: str, tz: str) -> CronTrigger:
    hour, minute = (int(part) for part in at_time.split(":"))
    return CronTrigger(day_of_week=weekday, hour=hour, minute=minute, second=0, timezone=ZoneInfo(tz))


def next_slot(weekday: str, at_time: str, tz: str, after: datetime) -> datetime:
    """The first slot strictly after ``after``, in UTC."""
    fire = trigger(weekday, at_time, tz).get_next_fire_time(None, after + timedelta(seconds=1))
    assert fire is not None  # a weekly cron always has a next time
    return fire.astimezone(timezone.utc)


def latest_slot(weekday: str, at_time: str, tz: str, now: datetime) -> datetime:
    """The most recent slot at or before ``now``, in UTC (at most a week back)."""
    week_ago = now - timedelta(days=7, minutes=1)
    slot = next_slot(weekday, at_time, tz, week_ago)
    while True:
        following = next_slot(weekday, at_time, tz, slot)
        if following > now:
            return slot
        slot = following


def describe(weekday: str, at_time: str, tz: str) -> str:
    """'every Friday at 16:30 Europe/London'."""
    return f"every {DAY_NAMES[weekday]} at {at_time} {tz}"


def local_and_utc(instant: datetime, tz: str) -> str:
    """'Fri 27 Nov 2026 16:30 GMT (16:30 UTC)'."""
    local = instant.astimezone(ZoneInfo(tz))
    return f"{local:%a %d %b %Y %H:%M} {local.tzname()} ({instant.astimezone(timezone.utc):%H:%M} UTC)"
