"""Posting briefings exactly once: one slot, and a whole schedule's fan-out, with an injected clock."""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta, timezone

import pytest

from bot.briefings.pacing import Pacer
from handlers.briefing import topic_of_week
from handlers.queries import SubscribeQuery, UnsubscribeQuery
from tests.bot.briefings.support import (
    FRIDAY_1630_LONDON,
    LONDON_FRIDAY,
    TEAM_B,
    THREE_CHANNELS,
    WORKSPACE,
    briefings,
    dumps,
    here,
    in_b,
    sizes_of_calls,
    subscribe_all,
    subscribe_friday,
    subscribe_many,
    two_workspaces,
)
from tests.conftest import CHANNEL


class TestOneSlot:
    """One subscription's slot: delivered once, with what changed, whatever else happens."""

    def test_a_slot_is_delivered_once_with_its_chart_and_recorded(self, service, slack, clock):
        subscribe_friday(service)
        sub_id = service.storage.subscriptions.in_channel(WORKSPACE, CHANNEL)[0].id
        clock.now = FRIDAY_1630_LONDON + timedelta(seconds=2)
        assert service.fanout.deliver_slot(sub_id) == "sent"
        assert service.fanout.deliver_slot(sub_id) == "already"  # a retry, a late run or a second replica
        [message] = briefings(slack)
        text = dumps(message["blocks"])
        assert "Reset Bot weekly briefing — 27 Nov 2026" in text
        assert "Topic of the week" in text and "days* left in 2026" in text
        assert "Europe/London" in text and "Sources:" in text
        topic = topic_of_week(date(2026, 11, 27))
        assert len(slack.files(CHANNEL)) == (0 if topic in ("claims",) else 1)
        [row] = service.storage.ledger.rows(sub_id)
        assert (row.status, row.message_ts) == ("sent", message["ts"])

    def test_two_replicas_on_one_database_deliver_once(self, make_service, slack, clock):
        a, b = make_service("replica-a"), make_service("replica-b")
        subscribe_friday(a)
        sub_id = a.storage.subscriptions.in_channel(WORKSPACE, CHANNEL)[0].id
        clock.now = FRIDAY_1630_LONDON + timedelta(seconds=1)
        results = []
        threads = [threading.Thread(target=lambda s=s: results.append(s.fanout.deliver_slot(sub_id))) for s in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == ["already", "sent"]
        assert len(briefings(slack)) == 1

    def test_an_unsubscribe_during_a_failing_delivery_stays_unsubscribed(self, service, slack, clock):
        subscribe_friday(service)
        sub_id = service.storage.subscriptions.in_channel(WORKSPACE, CHANNEL)[0].id
        slack.set_bot_member(CHANNEL, False)
        # the user unsubscribes meanwhile:
        service.storage.subscriptions.set_state(sub_id, "removed", reason="unsubscribed")
        clock.now = FRIDAY_1630_LONDON
        service.fanout.deliver_slot(sub_id, FRIDAY_1630_LONDON)
        assert service.storage.subscriptions.get(sub_id).state == "removed"

    def test_when_the_clocks_go_back_a_repeated_time_is_delivered_once(self, service, slack, clock):
        service.commands.handle(SubscribeQuery(day="sun", at=time(2, 30), timezone="Europe/Berlin"), here())
        sub_id = service.storage.subscriptions.in_channel(WORKSPACE, CHANNEL)[0].id
        first = datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc)
        second = datetime(2026, 10, 25, 1, 30, tzinfo=timezone.utc)
        clock.now = first
        assert service.fanout.deliver_slot(sub_id, first) == "sent"
        clock.now = second
        assert service.fanout.deliver_slot(sub_id, second) == "already"
        assert len(briefings(slack)) == 1
        assert [d.status for d in service.storage.ledger.rows()] == ["sent", "skipped"]

    def test_the_next_briefing_says_what_changed_since_the_last(self, service, slack, clock):
        subscribe_friday(service)
        clock.now = FRIDAY_1630_LONDON
        service.scheduler.sync()
        clock.now += timedelta(days=7)
        service.scheduler.sync()
        first, second = briefings(slack)
        assert "First briefing in this channel" in dumps(first["blocks"])
        assert "No new official data since the last briefing" in dumps(second["blocks"])

    def test_many_channels_due_at_once_are_each_delivered_once_and_paced(self, make_service, slack, clock,
                                                                         chart_cache):
        # The pacer's clock stands still, so each wait is how far past "now" it booked that post:
        # 0.1 s after the previous one, whichever worker asks first.
        waits = []
        service = make_service(pacer=Pacer(per_second=10, clock=lambda: 0.0, sleep=waits.append))
        channels = [f"C00000{n:04d}" for n in range(30)]
        for channel in channels:
            slack.add_channel(channel, channel.lower())
            subscribe_friday(service, channel)
        clock.now = FRIDAY_1630_LONDON
        renders_before = chart_cache.renders
        service.scheduler.sync()
        assert all(len(briefings(slack, c)) == 1 for c in channels)
        assert chart_cache.renders - renders_before <= 1  # the topic's chart is drawn once, not per channel
        assert sorted(waits) == pytest.approx([n / 10 for n in range(1, 30)])  # 30 posts at 10 a second


class TestScheduleJobs:
    """One scheduler job per weekly schedule delivers it to every channel on it."""

    def test_one_job_delivers_its_schedule_to_every_channel_once(self, service, slack, clock):
        subscribe_all(service, slack)
        slack.add_channel("C0000PARIS", "paris")
        service.commands.handle(SubscribeQuery(day="fri", at=time(16, 30), timezone="Europe/Paris"), here("C0000PARIS"))
        clock.now = FRIDAY_1630_LONDON + timedelta(seconds=1)
        assert sorted(service.fanout.deliver_due(*LONDON_FRIDAY).values()) == ["sent"] * 3
        assert all(len(briefings(slack, channel)) == 1 for channel in THREE_CHANNELS)
        assert briefings(slack, "C0000PARIS") == []  # another schedule, another job
        # a late second run posts nothing:
        assert set(service.fanout.deliver_due(*LONDON_FRIDAY).values()) == {"already"}
        assert [(d.status, d.attempts) for d in service.storage.ledger.rows()] == [("sent", 1)] * 3

    def test_two_replicas_firing_the_same_job_deliver_each_channel_once(self, make_service, slack, clock):
        a, b = make_service("replica-a"), make_service("replica-b")
        subscribe_all(a, slack)
        clock.now = FRIDAY_1630_LONDON + timedelta(seconds=1)
        results = []
        threads = [threading.Thread(target=lambda s=s: results.append(s.fanout.deliver_due(*LONDON_FRIDAY)))
                   for s in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for sub_id in results[0]:
            assert sorted(r[sub_id] for r in results) == ["already", "sent"]
        assert all(len(briefings(slack, channel)) == 1 for channel in THREE_CHANNELS)

    def test_a_channel_subscribed_after_the_slot_waits_for_next_week(self, service, slack, clock):
        clock.now = FRIDAY_1630_LONDON + timedelta(seconds=30)
        subscribe_friday(service)
        assert service.fanout.deliver_due(*LONDON_FRIDAY) == {}
        assert briefings(slack) == []

    def test_a_channel_that_fails_does_not_hold_up_the_others(self, service, slack, clock):
        subscribe_all(service, slack)
        slack.set_bot_member("C0000BBBB2", False)  # removed from one channel since subscribing
        clock.now = FRIDAY_1630_LONDON
        outcomes = service.fanout.deliver_due(*LONDON_FRIDAY)
        by_channel = {service.storage.subscriptions.get(sub_id).channel_id: outcome
                      for sub_id, outcome in outcomes.items()}
        assert by_channel == {"C0000AAAA1": "sent", "C0000BBBB2": "failed:not_in_channel", "C0000CCCC3": "sent"}
        [paused] = service.storage.subscriptions.in_channel(WORKSPACE, "C0000BBBB2")
        assert paused.state == "paused"

    def test_the_owner_of_a_paused_subscription_gets_one_dm_not_one_per_failure(self, service, slack, clock):
        """Nobody is left wondering (issue 15): the person who subscribed hears once, with the fix;
        the next week's failure in the same state does not DM again."""
        subscribe_all(service, slack)
        slack.set_bot_member("C0000BBBB2", False)
        [owner] = {sub.created_by for sub in service.storage.subscriptions.live()}
        dm = "D" + owner[1:]
        clock.now = FRIDAY_1630_LONDON
        service.fanout.deliver_due(*LONDON_FRIDAY)
        [notice] = slack.messages(dm)
        assert "<#C0000BBBB2>" in notice["text"] and "paused" in notice["text"] and "/invite" in notice["text"]
        clock.now = FRIDAY_1630_LONDON + timedelta(weeks=1)
        service.fanout.deliver_due(*LONDON_FRIDAY)  # still not a member: it stays paused, and quiet
        assert len(slack.messages(dm)) == 1

    def test_a_channel_unsubscribed_during_the_fan_out_is_skipped(self, make_service, slack, clock):
        gone = "C0000CCCC3"

        def pace(seconds):  # while the first briefings go out, someone in the last channel unsubscribes
            if service.storage.subscriptions.in_channel(WORKSPACE, gone):
                service.commands.handle(UnsubscribeQuery(), here(gone))

        service = make_service(workers=1, pacer=Pacer(per_second=10, clock=lambda: 0.0, sleep=pace))
        subscribe_all(service, slack)
        clock.now = FRIDAY_1630_LONDON
        outcomes = service.fanout.deliver_due(*LONDON_FRIDAY)
        assert briefings(slack, gone) == []
        assert sorted(outcomes.values()) == ["sent", "sent", "skipped"]
        [row] = service.storage.ledger.rows(channel_id=gone)
        assert (row.status, row.error) == ("skipped", "unsubscribed before it was posted")

    def test_sent_briefings_are_recorded_in_batches(self, service, slack, clock):
        subscribe_many(service, slack, 30)
        sizes = sizes_of_calls(service.storage.ledger, "finish_many")
        clock.now = FRIDAY_1630_LONDON
        assert set(service.fanout.deliver_due(*LONDON_FRIDAY).values()) == {"sent"}
        assert sorted(sizes) == [5, 25]  # one transaction per 25 posts (RECORD_BATCH), then the rest
        assert all(d.status == "sent" and d.message_ts for d in service.storage.ledger.rows())

    def test_claims_are_made_a_chunk_at_a_time_sized_to_the_pacing(self, make_service, slack, clock):
        # 8 s claims at 10 posts a second: a quarter of the timeout lets out 20 posts.
        service = make_service(claim_timeout=timedelta(seconds=8), workers=2)
        channels = subscribe_many(service, slack, 25)
        sizes = sizes_of_calls(service.storage.ledger, "claim_slots")
        clock.now = FRIDAY_1630_LONDON
        assert set(service.fanout.deliver_due(*LONDON_FRIDAY).values()) == {"sent"}
        assert sizes == [20, 5]
        assert all(len(briefings(slack, c)) == 1 for c in channels)


class TestWorkspaces:
    """Two workspaces on one schedule, each with a channel of the same id: each gets exactly its own
    briefing, through its own workspace's client, recorded with its workspace."""

    def test_each_workspace_gets_exactly_its_own_briefing(self, make_service, settings, slack, slack_b, clock):
        service = two_workspaces(make_service, settings, slack, slack_b)
        subscribe_friday(service)
        service.commands.handle(SubscribeQuery(day="fri", at=time(16, 30), timezone="Europe/London"), in_b())
        clock.now = FRIDAY_1630_LONDON + timedelta(seconds=1)
        outcomes = service.fanout.deliver_due(*LONDON_FRIDAY)
        assert sorted(outcomes.values()) == ["sent", "sent"]
        [in_a], [in_b_] = briefings(slack), briefings(slack_b)
        rows = {row.team_id: row for row in service.storage.ledger.rows()}
        assert set(rows) == {"T0000FAKE1", "T0000FAKE2"}
        assert rows["T0000FAKE1"].message_ts == in_a["ts"] and rows["T0000FAKE2"].message_ts == in_b_["ts"]
        assert rows["T0000FAKE2"].enterprise_id == TEAM_B.enterprise_id
        assert sorted(service.fanout.deliver_due(*LONDON_FRIDAY).values()) == ["already", "already"]
        assert len(briefings(slack)) == 1 and len(briefings(slack_b)) == 1

    def test_a_retry_asks_the_right_workspace_whether_it_was_posted(self, make_service, settings, slack, slack_b,
                                                                    clock):
        """B's post failed in B's Slack: the retry reads B's history (through B's client), not A's."""
        service = two_workspaces(make_service, settings, slack, slack_b)
        service.commands.handle(SubscribeQuery(day="fri", at=time(16, 30), timezone="Europe/London"), in_b())
        [sub] = service.storage.subscriptions.in_channel(TEAM_B, CHANNEL)
        clock.now = FRIDAY_1630_LONDON + timedelta(seconds=1)
        slack_b.fail_next("chat.postMessage", error="internal_error")
        assert service.fanout.deliver_slot(sub.id).startswith("failed")
        clock.now += timedelta(minutes=2)
        assert service.fanout.deliver_slot(sub.id) == "sent"
        assert len(slack_b.calls("conversations.history")) == 1 and slack.calls("conversations.history") == []
        assert len(briefings(slack_b)) == 1 and briefings(slack) == []

    def test_workspaces_take_turns_in_a_fan_out(self):
        from bot.briefings.fanout import by_turns_of_workspace
        from bot.storage.records import Subscription

        def sub(n, team):
            return Subscription(n, team, f"C{n}", "U", "fri", "16:30", "UTC", "active", None, FRIDAY_1630_LONDON)

        subs = [sub(1, "TA"), sub(2, "TA"), sub(3, "TA"), sub(4, "TB"), sub(5, "TC"), sub(6, "TB")]
        assert [s.id for s in by_turns_of_workspace(subs)] == [1, 4, 5, 2, 6, 3]
        assert by_turns_of_workspace(subs[:3]) == subs[:3]
