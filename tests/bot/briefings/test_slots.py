"""Weekly wall-clock slots in the subscriber's time zone, across daylight-saving changes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.briefings.slots import latest_slot, next_slot
from handlers.subscriptions import local_and_utc


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


@pytest.mark.parametrize("after, expected", [
    (utc(2026, 3, 20), utc(2026, 3, 23, 8, 0)),   # CET: 09:00 = 08:00 UTC
    (utc(2026, 3, 23, 8, 0), utc(2026, 3, 30, 7, 0)),  # clocks went forward on 29 March: CEST
    (utc(2026, 10, 20), utc(2026, 10, 26, 8, 0)),  # back on 25 October: CET again
])
def test_nine_in_berlin_stays_nine_across_dst(after, expected):
    slot = next_slot("mon", "09:00", "Europe/Berlin", after)
    assert slot == expected
    assert "09:00" in local_and_utc(slot, "Europe/Berlin")


def test_london_and_new_york_change_on_different_weekends():
    # 2026: US clocks change on 8 March, UK on 29 March.
    assert next_slot("fri", "16:30", "Europe/London", utc(2026, 3, 10)) == utc(2026, 3, 13, 16, 30)
    assert next_slot("fri", "16:30", "America/New_York", utc(2026, 3, 10)) == utc(2026, 3, 13, 20, 30)


def test_latest_slot_is_at_or_before_now():
    slot = utc(2026, 11, 27, 16, 30)
    assert latest_slot("fri", "16:30", "Europe/London", slot) == slot
    assert latest_slot("fri", "16:30", "Europe/London", utc(2026, 11, 27, 16, 29)) == utc(2026, 11, 20, 16, 30)


def test_every_instant_of_a_minute_has_the_same_latest_slot():
    # latest_slot is memoised per minute (a fan-out asks it once per channel); that is only right
    # because slots fall on whole minutes, in quarter-hour zones too.
    for tz, expected in (("Europe/London", utc(2026, 11, 27, 16, 30)), ("Asia/Kathmandu", utc(2026, 11, 27, 10, 45))):
        instants = [expected + timedelta(seconds=s, microseconds=999_999) for s in range(60)]
        assert {latest_slot("fri", "16:30", tz, now) for now in instants} == {expected}
        assert latest_slot("fri", "16:30", tz, expected - timedelta(microseconds=1)) == expected - timedelta(weeks=1)


def test_the_description_shows_local_and_utc():
    assert local_and_utc(utc(2026, 7, 3, 15, 30), "Europe/London") == "Fri 03 Jul 2026 16:30 BST (15:30 UTC)"
