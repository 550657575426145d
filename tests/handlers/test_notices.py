"""The owner's DM says what happened, where, and what to do — for each way a briefing stops."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from handlers.notices import owner_notice

WHERE = dict(channel_id="C0000GEN01", weekday="mon", at_time="09:00", tz="Europe/London")


@pytest.mark.parametrize("code, advice", [
    ("not_in_channel", "/invite @Reset Bot"),
    ("channel_not_found", "/invite @Reset Bot"),
    ("is_archived", "Unarchive it"),
])
def test_a_pause_names_the_channel_the_schedule_the_cause_and_the_fix(code, advice):
    text = owner_notice("paused", reason=code, **WHERE).text
    assert "<#C0000GEN01>" in text and "every Monday at 09:00 Europe/London" in text
    assert "paused" in text and advice in text
    assert code not in text.split("\n")[0]  # the cause in words, not Slack's code


def test_a_failure_quotes_slacks_error_and_says_retrying_stopped():
    slot = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
    text = owner_notice("failed", reason="invalid_blocks", slot=slot, **WHERE).text
    assert "invalid_blocks" in text and "stopped retrying" in text and "for Mon 30 Nov 2026 09:00" in text


def test_a_missed_slot_says_why_and_how_to_get_one_now():
    text = owner_notice("missed", reason="down 3 h", **WHERE).text
    assert "not delivered" in text and "/reset briefing" in text


def test_a_removed_subscription_says_nothing_more_will_come():
    text = owner_notice("removed", reason="the app was uninstalled from this workspace", **WHERE).text
    assert "stopped" in text and "Nothing more will be posted" in text
