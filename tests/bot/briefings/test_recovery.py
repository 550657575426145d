"""Retries, takeovers and the "was it posted?" check: no briefing lost, none posted twice."""

from __future__ import annotations

from datetime import timedelta

from bot.briefings.pacing import Pacer
from bot.briefings.recovery import METADATA_EVENT, UNCONFIRMED
from tests.bot.briefings.support import (
    FRIDAY_1630_LONDON,
    LONDON_FRIDAY,
    THREE_CHANNELS,
    WORKSPACE,
    briefings,
    here,
    subscribe_all,
    subscribe_friday,
)
from tests.conftest import CHANNEL

THIRTY_SECONDS = timedelta(seconds=30)



def claimed_friday_slot(service, clock, *, owner: str):
    """A channel subscribed for Friday 16:30 London, and that slot claimed by ``owner`` at 16:30 —
    the state a process leaves behind when it dies (or stalls) holding a claim."""
    subscribe_friday(service)
    sub = service.storage.subscriptions.in_channel(WORKSPACE, CHANNEL)[0]
    clock.now = FRIDAY_1630_LONDON
    claim = service.storage.ledger.claim(subscription_id=sub.id, channel_id=CHANNEL, slot_utc=FRIDAY_1630_LONDON,
                                         kind="scheduled", owner=owner, claim_timeout=THIRTY_SECONDS)
    return sub, claim

class TestRetries:
    """Failed posts are retried with backoff: Slack's refusals a few times, outages through the grace period."""

    def test_rate_limits_wait_and_server_errors_are_retried_after_checking_slack(self, service, slack, clock):
        subscribe_friday(service)
        slack.fail_next("chat.postMessage", status=429, retry_after=1)
        slack.fail_next("chat.postMessage", status=500)
        clock.now = FRIDAY_1630_LONDON
        service.scheduler.sync()  # the 429 is waited out; the 500 may have posted, so it is not retried blindly
        assert service.storage.ledger.rows()[0].status == "failed"
        clock.now += timedelta(minutes=1)
        service.scheduler.sync()
        assert len(briefings(slack)) == 1
        assert [c.status for c in slack.calls("chat.postMessage")] == [429, 500, 200]
        assert slack.calls("conversations.history")  # it looked before posting again

    def test_slacks_refusals_are_retried_a_bounded_number_of_times(self, service, slack, clock):
        subscribe_friday(service)
        slack.fail_next("chat.postMessage", error="invalid_blocks", times=5)
        clock.now = FRIDAY_1630_LONDON
        for _ in range(30):
            service.scheduler.sync()
            clock.now += timedelta(minutes=1)
        [row] = service.storage.ledger.rows()
        assert (row.status, row.attempts, row.error) == ("failed", 3, "invalid_blocks")
        assert briefings(slack) == []

    def test_a_short_outage_around_the_slot_does_not_lose_the_briefing(self, service, slack, clock):
        """Every Slack call fails for 75 s: retries back off (1, 2, 4 … minutes) instead of using up
        three attempts 30 s apart, and the briefing goes out once Slack is back."""
        subscribe_friday(service)
        clock.now = FRIDAY_1630_LONDON
        outage_ends = clock.now + timedelta(seconds=75)
        slack.fail_next("chat.postMessage", status=503, times=1000)
        slack.fail_next("conversations.history", status=503, times=1000)
        while clock.now < FRIDAY_1630_LONDON + timedelta(minutes=10):
            if clock.now >= outage_ends:
                slack.clear_faults()
            service.scheduler.sync()
            clock.now += timedelta(seconds=30)
        assert len(briefings(slack)) == 1
        [row] = service.storage.ledger.rows()
        assert row.status == "sent"
        attempts = [c for c in slack.calls("chat.postMessage")]
        assert 2 <= len(attempts) <= 4  # backed off: not one attempt per 30-second sync

    def test_server_errors_are_retried_through_the_grace_period(self, service, slack, clock):
        subscribe_friday(service)
        slack.fail_next("chat.postMessage", status=500, times=8)
        clock.now = FRIDAY_1630_LONDON
        while clock.now < FRIDAY_1630_LONDON + timedelta(hours=2):
            service.scheduler.sync()
            clock.now += timedelta(minutes=1)
        assert len(briefings(slack)) == 1
        assert service.storage.ledger.rows()[0].attempts == 9


class TestWasItPosted:
    """Before posting again, Slack's history is asked whether an earlier attempt got through."""

    def test_a_failed_history_check_does_not_repost(self, service, slack, clock):
        """After a timeout the post may have reached Slack; if Slack cannot be asked, the bot
        neither reposts nor gives up: it records the doubt and asks again on the next retry."""
        subscribe_friday(service)
        service.fanout.delivery.client.timeout = 1
        slack.fail_next("chat.postMessage", delay=2)  # posted, but the answer comes too late
        clock.now = FRIDAY_1630_LONDON
        service.scheduler.sync()
        slack.wait_for(lambda: briefings(slack))  # the fake finishes the slow post
        slack.fail_next("conversations.history", status=500, times=3)  # one check, all its tries
        clock.now += timedelta(minutes=1)
        service.scheduler.sync()
        assert len(briefings(slack)) == 1
        [row] = service.storage.ledger.rows()
        assert (row.status, row.error) == ("failed", UNCONFIRMED)
        clock.now += timedelta(minutes=5)
        service.scheduler.sync()  # Slack answers now: the message is found and recorded, not posted again
        assert len(briefings(slack)) == 1
        assert service.storage.ledger.rows()[0].status == "sent"

    def test_a_post_that_reached_slack_before_timing_out_is_not_posted_again(self, service, slack, clock):
        subscribe_friday(service)
        service.fanout.delivery.client.timeout = 1
        slack.fail_next("chat.postMessage", delay=2)  # Slack posts it, but the answer comes too late
        clock.now = FRIDAY_1630_LONDON
        service.scheduler.sync()
        assert service.storage.ledger.rows()[0].status == "failed"
        clock.now += timedelta(minutes=1)
        service.scheduler.sync()
        assert len(briefings(slack)) == 1
        assert service.storage.ledger.rows()[0].status == "sent"

    def test_a_claim_left_by_a_crash_after_posting_is_recovered_not_reposted(self, make_service, slack, clock):
        dead = make_service("dead", claim_timeout=THIRTY_SECONDS)
        alive = make_service("alive", claim_timeout=THIRTY_SECONDS)
        sub, claim = claimed_friday_slot(dead, clock, owner="dead")
        # The dead process posted, then died before recording the ts:
        payload = {"event_type": METADATA_EVENT, "event_payload": {"delivery_id": claim.id}}
        dead.fanout.delivery.client.chat_postMessage(channel=CHANNEL, text="briefing", metadata=payload)
        clock.now += timedelta(seconds=10)
        alive.scheduler.sync()
        assert len(briefings(slack)) == 1  # too early to take over
        clock.now += timedelta(minutes=1)
        alive.scheduler.sync()
        assert len(briefings(slack)) == 1
        [row] = alive.storage.ledger.rows()
        assert row.status == "sent" and row.error == "recovered after a takeover"

    def test_posts_whose_outcomes_were_never_written_are_recovered_not_reposted(self, make_service, slack, clock):
        crashing = make_service("crashing", claim_timeout=timedelta(seconds=30))
        subscribe_all(crashing, slack)

        def database_gone(outcomes):  # the process dies (or its database goes) before the batch is written
            raise OSError("database went away")

        crashing.storage.ledger.finish_many = database_gone
        clock.now = FRIDAY_1630_LONDON
        assert set(crashing.fanout.deliver_due(*LONDON_FRIDAY).values()) == {"sent"}  # posted, not recorded
        clock.now += timedelta(minutes=1)
        make_service("survivor", claim_timeout=timedelta(seconds=30)).scheduler.sync()
        assert all(len(briefings(slack, channel)) == 1 for channel in THREE_CHANNELS)
        rows = make_service("reader").storage.ledger.rows()
        assert [(d.status, d.error) for d in rows] == [("sent", "recovered after a takeover")] * 3


class TestTakeovers:
    """A claim whose owner died or stalled is taken over, and the stale owner does not post."""

    def test_a_slow_owner_whose_claim_was_taken_over_does_not_post(self, make_service, slack, clock):
        slow = make_service("slow", claim_timeout=THIRTY_SECONDS)
        other = make_service("other", claim_timeout=THIRTY_SECONDS)
        sub, claim = claimed_friday_slot(slow, clock, owner="slow")
        clock.now += timedelta(minutes=1)
        assert other.fanout.deliver_slot(sub.id, FRIDAY_1630_LONDON) == "sent"  # took the stale claim over
        # the slow one wakes up:
        assert slow.fanout.post(claim, "Europe/London", "weekly", here(), previous=None) == "lost"
        assert len(briefings(slack)) == 1

    def test_a_claim_left_open_past_the_grace_is_closed_as_missed_after_checking_slack(self, make_service, slack,
                                                                                        clock):
        dead = make_service("dead", claim_timeout=THIRTY_SECONDS)
        alive = make_service("alive", claim_timeout=THIRTY_SECONDS)
        # … and died before posting:
        sub, _claim = claimed_friday_slot(dead, clock, owner="dead")
        clock.now += timedelta(hours=3)  # no replica ran for longer than the grace period
        alive.scheduler.sync()
        assert briefings(slack) == []
        assert slack.calls("conversations.history")  # it asked Slack whether the dead process had posted
        [row] = alive.storage.ledger.rows()
        assert (row.status, row.owner) == ("missed", "alive")
        alive.scheduler.sync()
        assert len(slack.calls("conversations.history")) == 1  # closed: not looked at again

    def test_a_claim_left_by_a_crash_before_posting_is_delivered_by_another_replica(self, make_service, slack, clock):
        dead = make_service("dead", claim_timeout=THIRTY_SECONDS)
        alive = make_service("alive", claim_timeout=THIRTY_SECONDS)
        sub, _claim = claimed_friday_slot(dead, clock, owner="dead")
        clock.now += timedelta(minutes=1)
        alive.scheduler.sync()
        assert len(briefings(slack)) == 1

    def test_a_fan_out_outlasting_the_claim_timeout_still_posts_each_channel_once(self, make_service, slack, clock):
        # 30 s claims, and pacing that takes 40 s per post: while a briefing waits for its turn,
        # this process's own sync finds its claim stale and takes it over. The waiting worker must
        # then see that the claim is no longer its own attempt, and not post. (The first channel's
        # post is done but not yet recorded — outcomes are written in batches — so the sync takes
        # that claim over too, finds the message in Slack and records it.)
        synced = []

        def pace(seconds):
            clock.now += timedelta(seconds=40)
            if not synced:
                synced.append(True)
                service.scheduler.sync()

        service = make_service("only-replica", claim_timeout=timedelta(seconds=30), workers=1,
                               pacer=Pacer(per_second=10, clock=lambda: 0.0, sleep=pace))
        subscribe_all(service, slack)
        clock.now = FRIDAY_1630_LONDON
        outcomes = service.fanout.deliver_due(*LONDON_FRIDAY)
        assert all(len(briefings(slack, channel)) == 1 for channel in THREE_CHANNELS)
        assert sorted(outcomes.values()) == ["lost", "lost", "sent"]  # the other two went out through the sync
        rows = service.storage.ledger.rows()
        assert [(d.status, d.attempts) for d in rows] == [("sent", 2)] * 3
        assert rows[0].error == "recovered after a takeover" and len(slack.calls("chat.postMessage")) == 3
