"""`OwnerNotices` DMs a subscription's creator with the workspace's own client, and never raises."""

from __future__ import annotations

from datetime import datetime, timezone

from slack_sdk import WebClient

from bot.briefings.notices import OwnerNotices
from bot.storage.records import Subscription

SUB = Subscription(id=7, team_id="T0000FAKE1", channel_id="C0000GEN01", created_by="U0000USER1", weekday="fri",
                   at_time="16:30", timezone="UTC", state="paused", pause_reason="not_in_channel",
                   created_at=datetime(2026, 11, 1, tzinfo=timezone.utc))


def test_the_creator_gets_a_dm_in_the_apps_messages_tab(slack):
    slack.add_user("U0000USER1")
    notices = OwnerNotices(lambda workspace: WebClient(token=slack.token, base_url=slack.base_url))
    assert notices.tell(SUB, "paused", "not_in_channel") is True
    [dm] = slack.messages("D0000USER1")
    assert "<#C0000GEN01>" in dm["text"] and "/invite @Reset Bot" in dm["text"]


def test_a_dm_that_cannot_be_sent_is_logged_not_raised(slack):
    notices = OwnerNotices(lambda workspace: WebClient(token="xoxb-revoked", base_url=slack.base_url))
    assert notices.tell(SUB, "failed", "invalid_blocks") is False
    assert notices.sent == 0


def test_no_dm_without_a_user_to_send_it_to(slack):
    from dataclasses import replace

    calls = []
    notices = OwnerNotices(lambda workspace: calls.append(workspace))  # type: ignore[arg-type, return-value]
    assert notices.tell(replace(SUB, created_by=""), "paused", "is_archived") is False
    assert calls == []
