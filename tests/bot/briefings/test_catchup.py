"""The sync loop's pass: late slots, missed slots, paused and resumed subscriptions."""

from __future__ import annotations

from datetime import timedelta

from handlers.queries import SubscriptionsQuery
from tests.bot.briefings.support import (
    FRIDAY_1630_LONDON,
    WORKSPACE,
    briefings,
    dumps,
    here,
    subscribe_friday,
)
from tests.conftest import CHANNEL


class TestCatchingUp:
    """The sync loop delivers what a stopped bot missed, within the grace period, and records the rest as missed."""

    def test_a_bot_down_at_the_time_delivers_late_within_the_grace(self, service, slack, clock):
        subscribe_friday(service)
        clock.now = FRIDAY_1630_LONDON + timedelta(minutes=90)
        service.scheduler.sync()
        assert len(briefings(slack)) == 1

    def test_beyond_the_grace_the_slot_is_recorded_as_missed_and_never_sent(self, service, slack, clock):
        subscribe_friday(service)
        clock.now = FRIDAY_1630_LONDON + timedelta(hours=3)
        service.scheduler.sync()
        service.scheduler.sync()
        assert briefings(slack) == []
        [row] = service.storage.ledger.rows()
        assert row.status == "missed"

    def test_one_broken_subscription_does_not_stop_the_others(self, service, slack, clock):
        subscribe_friday(service)
        slack.add_channel("C0000OTHER", "other")
        broken = service.storage.subscriptions.add(team_id="T", channel_id="C0000OTHER", created_by="U",
                                                weekday="fri", at_time="16:30", timezone_name="Mars/Olympus")
        assert broken.id
        clock.now = FRIDAY_1630_LONDON
        service.scheduler.sync()
        assert len(briefings(slack)) == 1


class TestPausedSubscriptions:
    """A channel the bot cannot post in pauses its subscription; the sync loop resumes it."""

    def test_a_removed_bot_pauses_the_subscription_with_the_reason_and_resumes_when_invited(self, service, slack,
                                                                                             clock):
        subscribe_friday(service)
        slack.set_bot_member(CHANNEL, False)
        clock.now = FRIDAY_1630_LONDON
        service.scheduler.sync()
        [sub] = service.storage.subscriptions.in_channel(WORKSPACE, CHANNEL)
        assert sub.state == "paused" and "/invite @Reset Bot" in sub.pause_reason
        assert "paused" in dumps(service.commands.handle(SubscriptionsQuery(), here()).blocks)
        slack.set_bot_member(CHANNEL, True)  # someone ran /invite
        clock.now = FRIDAY_1630_LONDON + timedelta(minutes=10)
        service.scheduler.sync()
        assert service.storage.subscriptions.in_channel(WORKSPACE, CHANNEL)[0].state == "active"
        assert len(briefings(slack)) == 1  # the missed slot is still within the grace period
        assert [d.status for d in service.storage.ledger.rows()] == ["sent"]

    def test_paused_subscriptions_do_not_ask_slack_on_every_sync(self, service, slack, clock):
        subscribe_friday(service)
        slack.set_bot_member(CHANNEL, False)
        clock.now = FRIDAY_1630_LONDON
        service.scheduler.sync()
        before = len(slack.calls("conversations.info"))
        for _ in range(5):
            clock.now += timedelta(seconds=30)
            service.scheduler.sync()
        assert len(slack.calls("conversations.info")) - before == 1
