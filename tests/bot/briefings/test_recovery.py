"""Retries, takeovers and the "was it posted?" check: no briefing lost, none posted twice."""

from __future__ import annotations

from datetime import timedelta

from bot.briefings.pacing import Pacer
from bot.briefings.recovery import (
    ASK_AGAIN_AT,
    CLOCK_MARGIN,
    HISTORY_INTERVAL,
    HISTORY_METHOD,
    METADATA_EVENT,
    UNCONFIRMED,
)
from bot.slack.delivery import Destination
from bot.storage.records import DeliveryStatus
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



def claimed_friday_slot(service, clock, *, owner: str, posting: bool = True):
    """A channel subscribed for Friday 16:30 London, and that slot claimed by ``owner`` at 16:30 —
    the state a process leaves behind when it dies (or stalls) holding a claim. ``posting``: the
    claim passed its last check before calling Slack (it may have posted); else it was still queued."""
    subscribe_friday(service)
    sub = service.storage.subscriptions.in_channel(WORKSPACE, CHANNEL)[0]
    clock.now = FRIDAY_1630_LONDON
    claim = service.storage.ledger.claim(subscription_id=sub.id, channel_id=CHANNEL, slot_utc=FRIDAY_1630_LONDON,
                                         kind="scheduled", owner=owner, claim_timeout=THIRTY_SECONDS)
    if posting:
        assert service.storage.ledger.still_mine(claim, renew=False)
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
        slack.fail_next("conversations.history", status=500)  # one check: one read (they are rationed)
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
        slack.wait_for(lambda: briefings(slack))  # it has reached Slack (the fake posts after its delay)
        clock.now += timedelta(minutes=1)
        service.scheduler.sync()
        assert len(briefings(slack)) == 1
        assert service.storage.ledger.rows()[0].status == "sent"

    def test_a_flat_briefing_found_without_its_chart_gets_the_chart_and_one_with_it_does_not(self, make_service,
                                                                                              slack, clock):
        # The dead process posted the message and died before uploading the chart: the taker
        # records the message and uploads the chart once. Had the chart gone out, nothing is added.
        # (A week later than the other tests' Friday: that week's topic, the claims, has no chart.)
        slot = FRIDAY_1630_LONDON + timedelta(days=7)
        dead = make_service("dead", claim_timeout=THIRTY_SECONDS)
        alive = make_service("alive", claim_timeout=THIRTY_SECONDS)
        for channel in ("C0000FLAT1", "C0000FLAT2"):
            slack.add_channel(channel, channel.lower())
            subscribe_friday(dead, channel)
        clock.now = slot
        for chart_went_out in (False, True):
            channel = "C0000FLAT1" if chart_went_out else "C0000FLAT2"
            sub = dead.storage.subscriptions.in_channel(WORKSPACE, channel)[0]
            claim = dead.storage.ledger.claim(subscription_id=sub.id, channel_id=channel,
                                              slot_utc=slot, kind="scheduled", owner="dead",
                                              claim_timeout=THIRTY_SECONDS)
            assert dead.storage.ledger.still_mine(claim, renew=False)
            posted_by(dead, claim, channel)
            chart = alive.fanout._flat_chart(sub, claim)
            assert chart is not None
            if chart_went_out:
                dead.fanout.delivery.upload_chart(chart, Destination(channel), dead.fanout.data.current().datasets)
            def uploads(channel=channel):
                return len([c for c in slack.calls("files.completeUploadExternal")
                            if c.params.get("channel_id") == channel])

            uploads_before = uploads()
            clock.now += timedelta(minutes=1)
            assert alive.fanout.deliver_slot(sub.id, slot) == "recovered"
            files = [f for m in slack.messages(channel) for f in m.get("files") or []]
            assert [f["name"] for f in files] == [chart.filename]  # exactly one chart, either way
            assert uploads() - uploads_before == (0 if chart_went_out else 1)
            assert len(briefings(slack, channel)) == 1
            clock.now += timedelta(minutes=5)  # the next history turn of the workspace

    def test_a_replica_that_loses_the_claim_during_the_read_leaves_the_missing_chart_to_the_new_owner(
            self, make_service, slack, clock):
        # The message is found without its chart, but by the time the finder records it the claim is
        # another replica's (taken over again while the history was read): the finder's write is
        # refused, and so it uploads nothing — the owner decides, so the chart cannot go out twice.
        slot = FRIDAY_1630_LONDON + timedelta(days=7)
        dead = make_service("dead", claim_timeout=THIRTY_SECONDS)
        alive = make_service("alive", claim_timeout=THIRTY_SECONDS)
        slack.add_channel("C0000FLAT3", "c0000flat3")
        subscribe_friday(dead, "C0000FLAT3")
        clock.now = slot
        sub = dead.storage.subscriptions.in_channel(WORKSPACE, "C0000FLAT3")[0]
        claim = dead.storage.ledger.claim(subscription_id=sub.id, channel_id="C0000FLAT3", slot_utc=slot,
                                          kind="scheduled", owner="dead", claim_timeout=THIRTY_SECONDS)
        assert dead.storage.ledger.still_mine(claim, renew=False)
        posted_by(dead, claim, "C0000FLAT3")
        refused = []

        def finish_after_losing_the_claim(delivery, status, **outcome):
            refused.append(status)
            return False  # what `Ledger.finish` answers once the claim has a newer owner

        alive.storage.ledger.finish = finish_after_losing_the_claim
        clock.now += timedelta(minutes=1)
        alive.fanout.deliver_slot(sub.id, slot)
        assert refused == ["sent"]  # the message was found in the history …
        assert not slack.calls("files.completeUploadExternal")  # … and no chart uploaded by a non-owner
        assert len(briefings(slack, "C0000FLAT3")) == 1

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
        survivor = make_service("survivor", claim_timeout=timedelta(seconds=30))
        for _ in THREE_CHANNELS:  # one history read a minute in the workspace: a channel a minute
            clock.now += timedelta(minutes=1)
            survivor.scheduler.sync()
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

    def test_a_claim_that_never_reached_slack_is_posted_by_the_taker_without_reading_history(self, make_service,
                                                                                              slack, clock):
        # The dead process had it queued behind the pacing: no attempt passed the last check
        # before calling Slack, so there is nothing to look for — and no rationed read is spent.
        dead = make_service("dead", claim_timeout=THIRTY_SECONDS)
        alive = make_service("alive", claim_timeout=THIRTY_SECONDS)
        claimed_friday_slot(dead, clock, owner="dead", posting=False)
        clock.now += timedelta(minutes=1)
        alive.scheduler.sync()
        assert len(briefings(slack)) == 1
        assert not slack.calls("conversations.history")
        [row] = alive.storage.ledger.rows()
        assert (row.status, row.owner, row.attempts, row.may_have_posted) == ("sent", "alive", 2, True)

    def test_a_live_fan_out_renews_its_queued_claims_so_no_replica_takes_them_over(self, make_service, slack, clock):
        # Claims time out after 0.4 s, so the fan-out's lease renews them every 0.1 s of real time.
        # Each paced wait moves our clock past the timeout, waits until the lease has renewed the
        # claims still queued, and lets a second replica sync: it must find them fresh, not stale.
        import threading

        renewed = threading.Event()
        timeout = timedelta(seconds=0.4)
        other = make_service("replica-b", claim_timeout=timeout)

        def pace(seconds):
            clock.now += timedelta(seconds=1)
            renewed.clear()
            assert renewed.wait(timeout=30), "the fan-out's lease never renewed its queued claims"
            other.scheduler.sync()

        # 30 posts a second: the three claims are one chunk (what the pacer lets out in 0.1 s)
        service = make_service("replica-a", claim_timeout=timeout, workers=1, paced_threads=1,
                               pacer=Pacer(per_second=30, clock=lambda: 0.0, sleep=pace))
        renew = service.storage.ledger.renew_many

        def renew_and_tell(claims):
            held = renew(claims)
            renewed.set()
            return held

        service.fanout.ledger.renew_many = renew_and_tell
        subscribe_all(service, slack)
        clock.now = FRIDAY_1630_LONDON
        outcomes = service.fanout.deliver_due(*LONDON_FRIDAY)
        assert sorted(outcomes.values()) == ["sent"] * 3
        assert all(len(briefings(slack, channel)) == 1 for channel in THREE_CHANNELS)
        rows = service.storage.ledger.rows()
        assert [(d.status, d.owner, d.attempts) for d in rows] == [("sent", "replica-a", 1)] * 3
        assert not slack.calls("conversations.history")  # nobody had to ask whether it was posted

    def test_a_dead_replicas_queued_claims_are_taken_over_side_by_side(self, make_service, slack, clock):
        # It died with three claims queued (none reached Slack). The survivor's sync takes them over
        # in its workers' lanes, not one after another: the two posts that wait for their turn wait
        # at the same time (the barrier passes only then), and no history read is needed.
        import threading

        dead = make_service("dead", claim_timeout=THIRTY_SECONDS)
        subscribe_all(dead, slack)
        clock.now = FRIDAY_1630_LONDON
        assert len(dead.storage.ledger.claim_slots(dead.storage.subscriptions.live(), FRIDAY_1630_LONDON,
                                                   owner="dead")) == 3
        both_waiting = threading.Barrier(2, timeout=10)
        alive = make_service("alive", claim_timeout=THIRTY_SECONDS,
                             pacer=Pacer(per_second=10, clock=lambda: 0.0, sleep=lambda s: both_waiting.wait()))
        clock.now += timedelta(minutes=1)
        alive.scheduler.sync()
        assert all(len(briefings(slack, channel)) == 1 for channel in THREE_CHANNELS)
        assert [(d.status, d.owner, d.attempts) for d in alive.storage.ledger.rows()] == [("sent", "alive", 2)] * 3
        assert not slack.calls("conversations.history")

    def test_a_fan_out_outlasting_the_claim_timeout_still_posts_each_channel_once(self, make_service, slack, clock):
        # 30 s claims, and pacing that takes 40 s per post, in one thread (the fan-out's lease on
        # its queued claims renews them in real time, which does not pass here): while a briefing waits for its turn,
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

        service = make_service("only-replica", claim_timeout=timedelta(seconds=30), workers=1, paced_threads=1,
                               pacer=Pacer(per_second=10, clock=lambda: 0.0, sleep=pace))
        subscribe_all(service, slack)
        clock.now = FRIDAY_1630_LONDON
        outcomes = service.fanout.deliver_due(*LONDON_FRIDAY)
        assert sorted(outcomes.values()) == ["lost", "lost", "sent"]  # the other two are the sync's now
        # The sync read the history once (the workspace's turn this minute) and found the first
        # channel's post; the other two had never reached Slack (still queued), so it posted them
        # at once, without spending history reads it does not have.
        assert all(len(briefings(slack, channel)) == 1 for channel in THREE_CHANNELS)
        assert len(slack.calls("conversations.history")) == 1
        rows = service.storage.ledger.rows()
        assert [(d.status, d.attempts) for d in rows] == [("sent", 2)] * 3
        assert rows[0].error == "recovered after a takeover" and len(slack.calls("chat.postMessage")) == 3


def posted_by(service, claim, channel=CHANNEL):
    """The dead owner's post of ``claim``: in Slack, never recorded in the ledger."""
    payload = {"event_type": METADATA_EVENT, "event_payload": {"delivery_id": claim.id}}
    service.fanout.delivery.client.chat_postMessage(channel=channel, text="briefing", metadata=payload)


def history_reads(slack):
    """The history reads that reached the stand-in, each checked against Slack's 15-message cap."""
    calls = slack.calls("conversations.history")
    assert all(int(c.params["limit"]) <= 15 for c in calls), [c.params.get("limit") for c in calls]
    return calls


def a_minute_later(clock, slack):
    """Our clock and the stand-in's move on together."""
    clock.now += HISTORY_INTERVAL
    slack.advance_clock(HISTORY_INTERVAL.total_seconds())


class TestWithinSlacksHistoryBudget:
    """A non-Marketplace app reads history once a minute per workspace, 15 messages a call: the
    check keeps to that across replicas, and a refusal is "unknown", never a reason to repost."""

    def test_replicas_on_one_database_share_one_budget(self, make_service, slack, clock):
        slack.non_marketplace()
        a = make_service("a", claim_timeout=THIRTY_SECONDS)
        b = make_service("b", claim_timeout=THIRTY_SECONDS)
        subscribe_all(a, slack)
        clock.now = FRIDAY_1630_LONDON
        claims = [a.storage.ledger.claim(subscription_id=sub.id, channel_id=sub.channel_id,
                                         slot_utc=FRIDAY_1630_LONDON, kind="scheduled", owner="dead",
                                         claim_timeout=THIRTY_SECONDS)
                  for channel in THREE_CHANNELS for sub in a.storage.subscriptions.in_channel(WORKSPACE, channel)]
        clock.now += timedelta(minutes=1)
        taken = [a.storage.ledger.claim(subscription_id=c.subscription_id, channel_id=c.channel_id,
                                        slot_utc=c.slot_utc, kind="scheduled", owner="a",
                                        claim_timeout=THIRTY_SECONDS) for c in claims]
        assert a.fanout.history.already_posted(taken[0]) is False
        assert b.fanout.history.already_posted(taken[1]) is None  # b's own count would have said yes
        assert b.fanout.history.unconfirmed(taken[1]).startswith(ASK_AGAIN_AT)
        assert [c.status for c in history_reads(slack)] == [200]  # one read reached Slack, no 429
        # Through the sync loops of both replicas, minute by minute: one read a minute, never a 429.
        for c in taken:
            a.storage.ledger.finish(c, DeliveryStatus.FAILED, error=UNCONFIRMED)
        for minute in range(1, 5):
            a_minute_later(clock, slack)
            a.scheduler.sync()
            b.scheduler.sync()
            assert len(history_reads(slack)) <= 1 + minute
        assert all(len(briefings(slack, channel)) == 1 for channel in THREE_CHANNELS)
        assert all(c.status == 200 for c in history_reads(slack))
        assert [d.status for d in a.storage.ledger.rows()] == ["sent"] * 3

    def test_a_takeover_refused_by_the_budget_waits_for_its_turn_and_does_not_repost(self, make_service, slack,
                                                                                    clock):
        slack.non_marketplace()
        dead = make_service("dead", claim_timeout=THIRTY_SECONDS)
        alive = make_service("alive", claim_timeout=THIRTY_SECONDS)
        sub, claim = claimed_friday_slot(dead, clock, owner="dead")
        posted_by(dead, claim)
        clock.now += timedelta(minutes=1)
        turn = alive.storage.budgets.take(HISTORY_METHOD, WORKSPACE, HISTORY_INTERVAL)  # another replica's read
        assert turn.taken
        alive.scheduler.sync()  # takes the claim over; no turn: unknown
        assert len(briefings(slack)) == 1 and history_reads(slack) == []
        [row] = alive.storage.ledger.rows()
        assert (row.status, row.error) == ("failed", ASK_AGAIN_AT + turn.next_at.isoformat())
        clock.now += timedelta(seconds=30)
        alive.scheduler.sync()  # the turn has not come: the sync loop does not ask, nor post
        assert history_reads(slack) == [] and len(briefings(slack)) == 1
        clock.now += timedelta(seconds=30)
        slack.advance_clock(60)
        alive.scheduler.sync()  # its turn: the message is found and recorded, not posted again
        [read] = history_reads(slack)
        assert float(read.params["oldest"]) == (FRIDAY_1630_LONDON - CLOCK_MARGIN).timestamp()
        assert len(briefings(slack)) == 1 and len(slack.calls("chat.postMessage")) == 1
        [row] = alive.storage.ledger.rows()
        assert (row.status, row.error) == ("sent", "recovered after a takeover")
        assert row.message_ts == briefings(slack)[0]["ts"]

    def test_a_429_is_unknown_not_no_and_its_retry_after_moves_the_shared_turn(self, make_service, slack, clock):
        dead = make_service("dead", claim_timeout=THIRTY_SECONDS)
        alive = make_service("alive", claim_timeout=THIRTY_SECONDS)
        other = make_service("other", claim_timeout=THIRTY_SECONDS)
        sub, claim = claimed_friday_slot(dead, clock, owner="dead")
        posted_by(dead, claim)
        slack.fail_next("conversations.history", status=429, retry_after=120)
        clock.now += timedelta(minutes=1)
        alive.scheduler.sync()
        assert [c.status for c in history_reads(slack)] == [429]  # not retried by the client, not taken for "no"
        assert len(briefings(slack)) == 1
        [row] = alive.storage.ledger.rows()
        assert row.status == "failed" and row.error == ASK_AGAIN_AT + (clock.now + timedelta(seconds=120)).isoformat()
        assert not other.storage.budgets.take(HISTORY_METHOD, WORKSPACE, HISTORY_INTERVAL).taken  # every replica
        clock.now += timedelta(minutes=1)
        other.scheduler.sync()
        assert len(history_reads(slack)) == 1  # a minute is not enough: Slack said two
        clock.now += timedelta(minutes=1)
        other.scheduler.sync()
        assert [c.status for c in history_reads(slack)] == [429, 200]
        assert len(briefings(slack)) == 1
        assert other.storage.ledger.rows()[0].status == "sent"

    def test_a_busy_channel_is_read_a_page_a_minute_until_the_post_is_found(self, make_service, slack, clock):
        slack.non_marketplace()
        dead = make_service("dead", claim_timeout=THIRTY_SECONDS)
        sub, claim = claimed_friday_slot(dead, clock, owner="dead")
        posted_by(dead, claim)
        for n in range(20):  # the channel talks on after the briefing: it is not on the first page
            slack_client = dead.fanout.delivery.client
            slack_client.chat_postMessage(channel=CHANNEL, text=f"chatter {n}")
        clock.now += timedelta(minutes=1)
        first = make_service("first", claim_timeout=THIRTY_SECONDS)
        first.scheduler.sync()
        [page] = history_reads(slack)
        assert "cursor" not in page.params and len(page.response["messages"]) == 15
        [row] = first.storage.ledger.rows()
        assert row.status == "failed" and row.error.startswith(ASK_AGAIN_AT)  # unknown while pages remain
        a_minute_later(clock, slack)
        second = make_service("second", claim_timeout=THIRTY_SECONDS)  # another replica reads the next page
        second.scheduler.sync()
        reads = history_reads(slack)
        assert len(reads) == 2 and reads[1].params["cursor"] == page.response["response_metadata"]["next_cursor"]
        assert len(briefings(slack)) == 1 and len(slack.calls("chat.postMessage")) == 21
        [row] = second.storage.ledger.rows()
        assert (row.status, row.error) == ("sent", "recovered after a takeover")
        assert second.storage.history_scans.get(row.id) is None  # the scan is over
