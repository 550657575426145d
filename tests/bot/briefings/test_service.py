"""Briefings against the local Slack stand-in, with an injected clock, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from datetime import date, datetime, time, timedelta, timezone
from time import monotonic, sleep

import pytest

from bot.briefings.pacing import Pacer
from bot.briefings.service import METADATA_EVENT, RELEASED, UNCONFIRMED, BriefingService, BriefingSettings
from bot.serving.live_data import LiveData
from bot.slack.app import briefing_client
from bot.slack.delivery import Destination, SlackDelivery
from bot.storage.store import Store
from handlers.briefing import topic_of_week
from handlers.errors import UserFacingError
from handlers.queries import BriefingQuery, SubscribeQuery, SubscriptionsQuery, UnsubscribeQuery
from tests.conftest import CHANNEL, USER
from tests.fakes.clock import Clock


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


FRIDAY_1630_LONDON = datetime(2026, 11, 27, 16, 30, tzinfo=timezone.utc)  # GMT in November



@pytest.fixture
def clock():
    return Clock(datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc))  # a Thursday


@pytest.fixture
def make_service(db_url, settings, datasets, chart_cache, clock):
    stores = []

    def factory(owner="replica-a", **config):
        store = Store.connect(db_url, now=clock)
        stores.append(store)
        client = briefing_client(settings)
        return BriefingService(store, LiveData(datasets), SlackDelivery(client, chart_cache), client,
                               config=BriefingSettings(**config), pacer=Pacer(sleep=lambda s: None), clock=clock,
                               owner=owner, sleep=lambda s: None)
    yield factory
    for store in stores:
        store.engine.dispose()


@pytest.fixture
def service(make_service):
    return make_service()


def here(channel=CHANNEL):
    return Destination(channel, USER, None, "T0000FAKE1")


def subscribe_friday(service, channel=CHANNEL):
    return service.handle(SubscribeQuery(day="fri", at=time(16, 30), timezone="Europe/London"), here(channel))


def briefings(slack, channel=CHANNEL):
    return [m for m in slack.messages(channel) if (m.get("metadata") or {}).get("event_type") == METADATA_EVENT]


class TestSubscribing:
    def test_defaults_are_monday_nine_in_the_subscribers_slack_time_zone(self, service, slack):
        reply = service.handle(SubscribeQuery(), here())
        text = dumps(reply.blocks)
        assert "every Monday at 09:00 Europe/Berlin" in text
        assert "Mon 30 Nov 2026 09:00 CET (08:00 UTC)" in text
        assert reply.visibility == "in_channel"

    def test_the_confirmation_shows_the_next_time_locally_and_in_utc(self, service, slack):
        text = dumps(subscribe_friday(service).blocks)
        assert "Fri 27 Nov 2026 16:30 GMT (16:30 UTC)" in text

    def test_a_public_channel_the_bot_is_not_in_is_joined(self, service, slack):
        slack.add_channel("C0000PUB02", "markets", bot_member=False)
        subscribe_friday(service, "C0000PUB02")
        assert [c.method for c in slack.calls("conversations.join")] == ["conversations.join"]
        assert service.store.channel_subscriptions("C0000PUB02")

    def test_a_private_channel_the_bot_is_not_in_gets_the_exact_invite_and_nothing_is_recorded(self, service, slack):
        slack.add_channel("G0000PRIV2", "secret", private=True, bot_member=False)
        with pytest.raises(UserFacingError, match=r"`/invite @Reset Bot`"):
            subscribe_friday(service, "G0000PRIV2")
        assert service.store.channel_subscriptions("G0000PRIV2") == []

    def test_listing_shows_the_next_delivery_and_state(self, service, slack):
        subscribe_friday(service)
        text = dumps(service.handle(SubscriptionsQuery(), here()).blocks)
        assert "every Friday at 16:30 Europe/London" in text and "active" in text

    def test_unsubscribing_with_several_asks_which_one(self, service, slack):
        subscribe_friday(service)
        service.handle(SubscribeQuery(day="mon", at=time(9, 0), timezone="UTC"), here())
        ask = service.handle(UnsubscribeQuery(), here())
        assert "Which one" in dumps(ask.blocks) and len(service.store.channel_subscriptions(CHANNEL)) == 2
        service.handle(UnsubscribeQuery(number=2), here())
        [left] = service.store.channel_subscriptions(CHANNEL)
        assert left.weekday == "fri"


class TestDelivery:
    def test_a_slot_is_delivered_once_with_its_chart_and_recorded(self, service, slack, clock):
        subscribe_friday(service)
        sub_id = service.store.channel_subscriptions(CHANNEL)[0].id
        clock.now = FRIDAY_1630_LONDON + timedelta(seconds=2)
        assert service.deliver_slot(sub_id) == "sent"
        assert service.deliver_slot(sub_id) == "already"  # a retry, a late run or a second replica
        [message] = briefings(slack)
        text = dumps(message["blocks"])
        assert "Reset Bot weekly briefing — 27 Nov 2026" in text
        assert "Topic of the week" in text and "days* left in 2026" in text
        assert "Europe/London" in text and "Sources:" in text
        topic = topic_of_week(date(2026, 11, 27))
        assert len(slack.files(CHANNEL)) == (0 if topic in ("claims",) else 1)
        [row] = service.store.ledger(sub_id)
        assert (row.status, row.message_ts) == ("sent", message["ts"])

    def test_two_replicas_on_one_database_deliver_once(self, make_service, slack, clock):
        a, b = make_service("replica-a"), make_service("replica-b")
        subscribe_friday(a)
        sub_id = a.store.channel_subscriptions(CHANNEL)[0].id
        clock.now = FRIDAY_1630_LONDON + timedelta(seconds=1)
        results = []
        threads = [threading.Thread(target=lambda s=s: results.append(s.deliver_slot(sub_id))) for s in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == ["already", "sent"]
        assert len(briefings(slack)) == 1

    def test_a_bot_down_at_the_time_delivers_late_within_the_grace(self, service, slack, clock):
        subscribe_friday(service)
        clock.now = FRIDAY_1630_LONDON + timedelta(minutes=90)
        service.sync()
        assert len(briefings(slack)) == 1

    def test_beyond_the_grace_the_slot_is_recorded_as_missed_and_never_sent(self, service, slack, clock):
        subscribe_friday(service)
        clock.now = FRIDAY_1630_LONDON + timedelta(hours=3)
        service.sync()
        service.sync()
        assert briefings(slack) == []
        [row] = service.store.ledger()
        assert row.status == "missed"

    def test_rate_limits_wait_and_server_errors_are_retried_after_checking_slack(self, service, slack, clock):
        subscribe_friday(service)
        slack.fail_next("chat.postMessage", status=429, retry_after=1)
        slack.fail_next("chat.postMessage", status=500)
        clock.now = FRIDAY_1630_LONDON
        service.sync()  # the 429 is waited out; the 500 may have posted, so it is not retried blindly
        assert service.store.ledger()[0].status == "failed"
        clock.now += timedelta(minutes=1)
        service.sync()
        assert len(briefings(slack)) == 1
        assert [c.status for c in slack.calls("chat.postMessage")] == [429, 500, 200]
        assert slack.calls("conversations.history")  # it looked before posting again

    def test_slacks_refusals_are_retried_a_bounded_number_of_times(self, service, slack, clock):
        subscribe_friday(service)
        slack.fail_next("chat.postMessage", error="invalid_blocks", times=5)
        clock.now = FRIDAY_1630_LONDON
        for _ in range(30):
            service.sync()
            clock.now += timedelta(minutes=1)
        [row] = service.store.ledger()
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
            service.sync()
            clock.now += timedelta(seconds=30)
        assert len(briefings(slack)) == 1
        [row] = service.store.ledger()
        assert row.status == "sent"
        attempts = [c for c in slack.calls("chat.postMessage")]
        assert 2 <= len(attempts) <= 4  # backed off: not one attempt per 30-second sync

    def test_server_errors_are_retried_through_the_grace_period(self, service, slack, clock):
        subscribe_friday(service)
        slack.fail_next("chat.postMessage", status=500, times=8)
        clock.now = FRIDAY_1630_LONDON
        while clock.now < FRIDAY_1630_LONDON + timedelta(hours=2):
            service.sync()
            clock.now += timedelta(minutes=1)
        assert len(briefings(slack)) == 1
        assert service.store.ledger()[0].attempts == 9

    def test_a_failed_history_check_does_not_repost(self, service, slack, clock):
        """After a timeout the post may have reached Slack; if Slack cannot be asked, the bot
        neither reposts nor gives up: it records the doubt and asks again on the next retry."""
        subscribe_friday(service)
        service.delivery.client.timeout = 1
        slack.fail_next("chat.postMessage", delay=2)  # posted, but the answer comes too late
        clock.now = FRIDAY_1630_LONDON
        service.sync()
        slack.wait_for(lambda: briefings(slack))  # the fake finishes the slow post
        slack.fail_next("conversations.history", status=500, times=3)  # one check, all its tries
        clock.now += timedelta(minutes=1)
        service.sync()
        assert len(briefings(slack)) == 1
        [row] = service.store.ledger()
        assert (row.status, row.error) == ("failed", UNCONFIRMED)
        clock.now += timedelta(minutes=5)
        service.sync()  # Slack answers now: the message is found and recorded, not posted again
        assert len(briefings(slack)) == 1
        assert service.store.ledger()[0].status == "sent"

    def test_a_post_that_reached_slack_before_timing_out_is_not_posted_again(self, service, slack, clock):
        subscribe_friday(service)
        service.delivery.client.timeout = 1
        slack.fail_next("chat.postMessage", delay=2)  # Slack posts it, but the answer comes too late
        clock.now = FRIDAY_1630_LONDON
        service.sync()
        assert service.store.ledger()[0].status == "failed"
        clock.now += timedelta(minutes=1)
        service.sync()
        assert len(briefings(slack)) == 1
        assert service.store.ledger()[0].status == "sent"

    def test_a_removed_bot_pauses_the_subscription_with_the_reason_and_resumes_when_invited(self, service, slack, clock):
        subscribe_friday(service)
        slack.set_bot_member(CHANNEL, False)
        clock.now = FRIDAY_1630_LONDON
        service.sync()
        [sub] = service.store.channel_subscriptions(CHANNEL)
        assert sub.state == "paused" and "/invite @Reset Bot" in sub.pause_reason
        assert "paused" in dumps(service.handle(SubscriptionsQuery(), here()).blocks)
        slack.set_bot_member(CHANNEL, True)  # someone ran /invite
        clock.now = FRIDAY_1630_LONDON + timedelta(minutes=10)
        service.sync()
        assert service.store.channel_subscriptions(CHANNEL)[0].state == "active"
        assert len(briefings(slack)) == 1  # the missed slot is still within the grace period
        assert [d.status for d in service.store.ledger()] == ["sent"]

    def test_paused_subscriptions_do_not_ask_slack_on_every_sync(self, service, slack, clock):
        subscribe_friday(service)
        slack.set_bot_member(CHANNEL, False)
        clock.now = FRIDAY_1630_LONDON
        service.sync()
        before = len(slack.calls("conversations.info"))
        for _ in range(5):
            clock.now += timedelta(seconds=30)
            service.sync()
        assert len(slack.calls("conversations.info")) - before == 1

    def test_an_unsubscribe_during_a_failing_delivery_stays_unsubscribed(self, service, slack, clock):
        subscribe_friday(service)
        sub_id = service.store.channel_subscriptions(CHANNEL)[0].id
        slack.set_bot_member(CHANNEL, False)
        service.store.set_state(sub_id, "removed", reason="unsubscribed")  # the user unsubscribes meanwhile
        clock.now = FRIDAY_1630_LONDON
        service.deliver_slot(sub_id, FRIDAY_1630_LONDON)
        assert service.store.get(sub_id).state == "removed"

    def test_when_the_clocks_go_back_a_repeated_time_is_delivered_once(self, service, slack, clock):
        service.handle(SubscribeQuery(day="sun", at=time(2, 30), timezone="Europe/Berlin"), here())
        sub_id = service.store.channel_subscriptions(CHANNEL)[0].id
        first, second = datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc), datetime(2026, 10, 25, 1, 30, tzinfo=timezone.utc)
        clock.now = first
        assert service.deliver_slot(sub_id, first) == "sent"
        clock.now = second
        assert service.deliver_slot(sub_id, second) == "already"
        assert len(briefings(slack)) == 1
        assert [d.status for d in service.store.ledger()] == ["sent", "skipped"]

    def test_a_slow_owner_whose_claim_was_taken_over_does_not_post(self, make_service, slack, clock):
        slow, other = make_service("slow", claim_timeout=timedelta(seconds=30)), make_service("other", claim_timeout=timedelta(seconds=30))
        subscribe_friday(slow)
        sub = slow.store.channel_subscriptions(CHANNEL)[0]
        clock.now = FRIDAY_1630_LONDON
        claim = slow.store.claim(subscription_id=sub.id, channel_id=CHANNEL, slot_utc=FRIDAY_1630_LONDON,
                                 kind="scheduled", owner="slow", claim_timeout=timedelta(seconds=30))
        clock.now += timedelta(minutes=1)
        assert other.deliver_slot(sub.id, FRIDAY_1630_LONDON) == "sent"  # took the stale claim over
        assert slow._post(claim, "Europe/London", "weekly", here(), previous=None) == "lost"  # the slow one wakes up
        assert len(briefings(slack)) == 1

    def test_one_broken_subscription_does_not_stop_the_others(self, service, slack, clock):
        subscribe_friday(service)
        slack.add_channel("C0000OTHER", "other")
        broken = service.store.add_subscription(team_id="T", channel_id="C0000OTHER", created_by="U",
                                                weekday="fri", at_time="16:30", timezone_name="Mars/Olympus")
        assert broken.id
        clock.now = FRIDAY_1630_LONDON
        service.sync()
        assert len(briefings(slack)) == 1

    def test_a_claim_left_by_a_crash_after_posting_is_recovered_not_reposted(self, make_service, slack, clock):
        dead, alive = make_service("dead", claim_timeout=timedelta(seconds=30)), make_service("alive", claim_timeout=timedelta(seconds=30))
        subscribe_friday(dead)
        sub = dead.store.channel_subscriptions(CHANNEL)[0]
        clock.now = FRIDAY_1630_LONDON
        claim = dead.store.claim(subscription_id=sub.id, channel_id=CHANNEL, slot_utc=FRIDAY_1630_LONDON,
                                 kind="scheduled", owner="dead", claim_timeout=timedelta(seconds=30))
        # The dead process posted, then died before recording the ts:
        dead.client.chat_postMessage(channel=CHANNEL, text="briefing",
                                metadata={"event_type": METADATA_EVENT, "event_payload": {"delivery_id": claim.id}})
        clock.now += timedelta(seconds=10)
        alive.sync()
        assert len(briefings(slack)) == 1  # too early to take over
        clock.now += timedelta(minutes=1)
        alive.sync()
        assert len(briefings(slack)) == 1
        [row] = alive.store.ledger()
        assert row.status == "sent" and row.error == "recovered after a takeover"

    def test_a_claim_left_open_past_the_grace_is_closed_as_missed_after_checking_slack(self, make_service, slack,
                                                                                        clock):
        dead, alive = make_service("dead", claim_timeout=timedelta(seconds=30)), make_service("alive", claim_timeout=timedelta(seconds=30))
        subscribe_friday(dead)
        sub = dead.store.channel_subscriptions(CHANNEL)[0]
        clock.now = FRIDAY_1630_LONDON
        dead.store.claim(subscription_id=sub.id, channel_id=CHANNEL, slot_utc=FRIDAY_1630_LONDON, kind="scheduled",
                         owner="dead", claim_timeout=timedelta(seconds=30))  # and died before posting
        clock.now += timedelta(hours=3)  # no replica ran for longer than the grace period
        alive.sync()
        assert briefings(slack) == []
        assert slack.calls("conversations.history")  # it asked Slack whether the dead process had posted
        [row] = alive.store.ledger()
        assert (row.status, row.owner) == ("missed", "alive")
        alive.sync()
        assert len(slack.calls("conversations.history")) == 1  # closed: not looked at again

    def test_a_claim_left_by_a_crash_before_posting_is_delivered_by_another_replica(self, make_service, slack, clock):
        dead, alive = make_service("dead", claim_timeout=timedelta(seconds=30)), make_service("alive", claim_timeout=timedelta(seconds=30))
        subscribe_friday(dead)
        sub = dead.store.channel_subscriptions(CHANNEL)[0]
        clock.now = FRIDAY_1630_LONDON
        dead.store.claim(subscription_id=sub.id, channel_id=CHANNEL, slot_utc=FRIDAY_1630_LONDON, kind="scheduled",
                         owner="dead", claim_timeout=timedelta(seconds=30))
        clock.now += timedelta(minutes=1)
        alive.sync()
        assert len(briefings(slack)) == 1

    def test_the_next_briefing_says_what_changed_since_the_last(self, service, slack, clock):
        subscribe_friday(service)
        clock.now = FRIDAY_1630_LONDON
        service.sync()
        clock.now += timedelta(days=7)
        service.sync()
        first, second = briefings(slack)
        assert "First briefing in this channel" in dumps(first["blocks"])
        assert "No new official data since the last briefing" in dumps(second["blocks"])

    def test_send_now_posts_a_briefing_and_records_it(self, service, slack):
        assert service.handle(BriefingQuery(), here()) is None
        assert len(briefings(slack)) == 1
        assert service.store.ledger()[0].kind == "now"

    def test_many_channels_due_at_once_are_each_delivered_once_and_paced(self, service, slack, clock, chart_cache):
        # The pacer's clock stands still, so each wait is how far past "now" it booked that post:
        # 0.1 s after the previous one, whichever worker asks first.
        waits = []
        service.pacer = Pacer(per_second=10, clock=lambda: 0.0, sleep=waits.append)
        channels = [f"C00000{n:04d}" for n in range(30)]
        for channel in channels:
            slack.add_channel(channel, channel.lower())
            subscribe_friday(service, channel)
        clock.now = FRIDAY_1630_LONDON
        renders_before = chart_cache.renders
        service.sync()
        assert all(len(briefings(slack, c)) == 1 for c in channels)
        assert chart_cache.renders - renders_before <= 1  # the topic's chart is drawn once, not per channel
        assert sorted(waits) == pytest.approx([n / 10 for n in range(1, 30)])  # 30 posts at 10 a second


LONDON_FRIDAY = ("fri", "16:30", "Europe/London")


def subscribe_many(service, slack, count):
    channels = [f"C0001{n:05d}" for n in range(count)]
    for channel in channels:
        slack.add_channel(channel, channel.lower())
        subscribe_friday(service, channel)
    return channels


def sizes_of_calls(store, method):
    """Spy on a Store method: the length of its first argument, call by call."""
    sizes, real = [], getattr(store, method)
    setattr(store, method, lambda first, *args, **kwargs: sizes.append(len(first)) or real(first, *args, **kwargs))
    return sizes


class TestScheduleJobs:
    """One scheduler job per weekly schedule delivers it to every channel on it."""

    CHANNELS = ("C0000AAAA1", "C0000BBBB2", "C0000CCCC3")

    def subscribe_all(self, service, slack):
        for channel in self.CHANNELS:
            slack.add_channel(channel, channel.lower())
            subscribe_friday(service, channel)

    def test_one_job_delivers_its_schedule_to_every_channel_once(self, service, slack, clock):
        self.subscribe_all(service, slack)
        slack.add_channel("C0000PARIS", "paris")
        service.handle(SubscribeQuery(day="fri", at=time(16, 30), timezone="Europe/Paris"), here("C0000PARIS"))
        clock.now = FRIDAY_1630_LONDON + timedelta(seconds=1)
        assert sorted(service.deliver_due(*LONDON_FRIDAY).values()) == ["sent"] * 3
        assert all(len(briefings(slack, channel)) == 1 for channel in self.CHANNELS)
        assert briefings(slack, "C0000PARIS") == []  # another schedule, another job
        assert set(service.deliver_due(*LONDON_FRIDAY).values()) == {"already"}  # a late second run posts nothing
        assert [(d.status, d.attempts) for d in service.store.ledger()] == [("sent", 1)] * 3

    def test_two_replicas_firing_the_same_job_deliver_each_channel_once(self, make_service, slack, clock):
        a, b = make_service("replica-a"), make_service("replica-b")
        self.subscribe_all(a, slack)
        clock.now = FRIDAY_1630_LONDON + timedelta(seconds=1)
        results = []
        threads = [threading.Thread(target=lambda s=s: results.append(s.deliver_due(*LONDON_FRIDAY))) for s in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for sub_id in results[0]:
            assert sorted(r[sub_id] for r in results) == ["already", "sent"]
        assert all(len(briefings(slack, channel)) == 1 for channel in self.CHANNELS)

    def test_a_channel_subscribed_after_the_slot_waits_for_next_week(self, service, slack, clock):
        clock.now = FRIDAY_1630_LONDON + timedelta(seconds=30)
        subscribe_friday(service)
        assert service.deliver_due(*LONDON_FRIDAY) == {}
        assert briefings(slack) == []

    def test_a_channel_that_fails_does_not_hold_up_the_others(self, service, slack, clock):
        self.subscribe_all(service, slack)
        slack.set_bot_member("C0000BBBB2", False)  # removed from one channel since subscribing
        clock.now = FRIDAY_1630_LONDON
        outcomes = service.deliver_due(*LONDON_FRIDAY)
        by_channel = {service.store.get(sub_id).channel_id: outcome for sub_id, outcome in outcomes.items()}
        assert by_channel == {"C0000AAAA1": "sent", "C0000BBBB2": "failed:not_in_channel", "C0000CCCC3": "sent"}
        [paused] = service.store.channel_subscriptions("C0000BBBB2")
        assert paused.state == "paused"

    def test_a_stop_mid_fan_out_gives_back_the_unposted_claims_for_the_next_process(self, make_service, slack, clock):
        stopping = make_service("stopping", workers=1)
        channels = [f"C00000{n:04d}" for n in range(4)]
        for channel in channels:
            slack.add_channel(channel, channel.lower())
            subscribe_friday(stopping, channel)
        paced = threading.Event()

        def pace(seconds):  # the second post waits for its turn, and meanwhile a deploy stops the bot
            paced.set()
            deadline = monotonic() + 10
            while not stopping._stopping and monotonic() < deadline:
                sleep(0.01)

        stopping.pacer = Pacer(per_second=10, clock=lambda: 0.0, sleep=pace)
        stopping.sync = lambda: None  # this process's own catch-up stays out of the way
        stopping.start()
        clock.now = FRIDAY_1630_LONDON
        stopping.scheduler.add_job(stopping.deliver_due, args=LONDON_FRIDAY, executor="briefings")  # fires now
        assert paced.wait(timeout=10)  # the first is posted, the second waits for its turn
        stopping.shutdown()  # SIGTERM: APScheduler waits for the job, which ends once the post in flight is recorded
        assert sum(len(briefings(slack, c)) for c in channels) == 2
        rows = stopping.store.ledger()
        assert sorted((d.status, d.attempts) for d in rows) == [("failed", 0), ("failed", 0), ("sent", 1), ("sent", 1)]
        assert {d.error for d in rows if d.status == "failed"} == {RELEASED}

        clock.now += timedelta(seconds=40)
        make_service("next").sync()  # the replacement process catches up
        assert all(len(briefings(slack, c)) == 1 for c in channels)
        assert [(d.status, d.attempts) for d in stopping.store.ledger()] == [("sent", 1)] * 4

    def test_a_fan_out_outlasting_the_claim_timeout_still_posts_each_channel_once(self, make_service, slack, clock):
        # 30 s claims, and pacing that takes 40 s per post: while a briefing waits for its turn,
        # this process's own sync finds its claim stale and takes it over. The waiting worker must
        # then see that the claim is no longer its own attempt, and not post. (The first channel's
        # post is done but not yet recorded — outcomes are written in batches — so the sync takes
        # that claim over too, finds the message in Slack and records it.)
        service = make_service("only-replica", claim_timeout=timedelta(seconds=30), workers=1)
        self.subscribe_all(service, slack)
        synced = []

        def pace(seconds):
            clock.now += timedelta(seconds=40)
            if not synced:
                synced.append(True)
                service.sync()

        service.pacer = Pacer(per_second=10, clock=lambda: 0.0, sleep=pace)
        clock.now = FRIDAY_1630_LONDON
        outcomes = service.deliver_due(*LONDON_FRIDAY)
        assert all(len(briefings(slack, channel)) == 1 for channel in self.CHANNELS)
        assert sorted(outcomes.values()) == ["lost", "lost", "sent"]  # the other two went out through the sync
        rows = service.store.ledger()
        assert [(d.status, d.attempts) for d in rows] == [("sent", 2)] * 3
        assert rows[0].error == "recovered after a takeover" and len(slack.calls("chat.postMessage")) == 3

    def test_a_channel_unsubscribed_during_the_fan_out_is_skipped(self, make_service, slack, clock):
        service = make_service(workers=1)
        self.subscribe_all(service, slack)
        gone = "C0000CCCC3"

        def pace(seconds):  # while the first briefings go out, someone in the last channel unsubscribes
            if service.store.channel_subscriptions(gone):
                service.handle(UnsubscribeQuery(), here(gone))

        service.pacer = Pacer(per_second=10, clock=lambda: 0.0, sleep=pace)
        clock.now = FRIDAY_1630_LONDON
        outcomes = service.deliver_due(*LONDON_FRIDAY)
        assert briefings(slack, gone) == []
        assert sorted(outcomes.values()) == ["sent", "sent", "skipped"]
        [row] = service.store.ledger(channel_id=gone)
        assert (row.status, row.error) == ("skipped", "unsubscribed before it was posted")

    def test_sent_briefings_are_recorded_in_batches(self, service, slack, clock):
        subscribe_many(service, slack, 30)
        sizes = sizes_of_calls(service.store, "finish_many")
        clock.now = FRIDAY_1630_LONDON
        assert set(service.deliver_due(*LONDON_FRIDAY).values()) == {"sent"}
        assert sorted(sizes) == [5, 25]  # one transaction per 25 posts (RECORD_BATCH), then the rest
        assert all(d.status == "sent" and d.message_ts for d in service.store.ledger())

    def test_posts_whose_outcomes_were_never_written_are_recovered_not_reposted(self, make_service, slack, clock):
        crashing = make_service("crashing", claim_timeout=timedelta(seconds=30))
        self.subscribe_all(crashing, slack)

        def database_gone(outcomes):  # the process dies (or its database goes) before the batch is written
            raise OSError("database went away")

        crashing.store.finish_many = database_gone
        clock.now = FRIDAY_1630_LONDON
        assert set(crashing.deliver_due(*LONDON_FRIDAY).values()) == {"sent"}  # posted, not recorded
        clock.now += timedelta(minutes=1)
        make_service("survivor", claim_timeout=timedelta(seconds=30)).sync()
        assert all(len(briefings(slack, channel)) == 1 for channel in self.CHANNELS)
        rows = make_service("reader").store.ledger()
        assert [(d.status, d.error) for d in rows] == [("sent", "recovered after a takeover")] * 3

    def test_claims_are_made_a_chunk_at_a_time_sized_to_the_pacing(self, make_service, slack, clock):
        # 8 s claims at 10 posts a second: a quarter of the timeout lets out 20 posts.
        service = make_service(claim_timeout=timedelta(seconds=8), workers=2)
        channels = subscribe_many(service, slack, 25)
        sizes = sizes_of_calls(service.store, "claim_slots")
        clock.now = FRIDAY_1630_LONDON
        assert set(service.deliver_due(*LONDON_FRIDAY).values()) == {"sent"}
        assert sizes == [20, 5]
        assert all(len(briefings(slack, c)) == 1 for c in channels)


def test_scheduler_jobs_follow_the_database(make_service, slack):
    a, b = make_service("a"), make_service("b")  # b plays another replica writing to the database
    a.start()
    try:
        subscribe_friday(b)
        slack.add_channel("C0000OTHER", "other")
        subscribe_friday(b, "C0000OTHER")  # the same schedule: one job delivers both
        a.sync()
        briefing_jobs = [j for j in a.scheduler.get_jobs() if j.id.startswith("briefing:")]
        assert [j.id for j in briefing_jobs] == ["briefing:fri:16:30:Europe/London"]
        assert "Europe/London" in repr(briefing_jobs[0].trigger) and briefing_jobs[0].executor == "briefings"
        b.handle(UnsubscribeQuery(), here())
        a.sync()
        assert [j.id for j in a.scheduler.get_jobs() if j.id.startswith("briefing:")] == [briefing_jobs[0].id]
        b.handle(UnsubscribeQuery(), here("C0000OTHER"))
        a.sync()
        assert not [j for j in a.scheduler.get_jobs() if j.id.startswith("briefing:")]
    finally:
        a.shutdown()


def test_unsubscribing_the_last_channel_on_a_schedule_removes_its_job_at_once(service, slack):
    from apscheduler.schedulers.background import BackgroundScheduler

    service.scheduler = BackgroundScheduler(timezone=timezone.utc)  # no background sync to race with
    service.scheduler.start(paused=True)
    try:
        subscribe_friday(service)
        slack.add_channel("C0000OTHER", "other")
        subscribe_friday(service, "C0000OTHER")
        service.handle(UnsubscribeQuery(), here())
        assert service.scheduler.get_job("briefing:fri:16:30:Europe/London") is not None  # still used by the other
        service.handle(UnsubscribeQuery(), here("C0000OTHER"))
        assert service.scheduler.get_job("briefing:fri:16:30:Europe/London") is None
    finally:
        service.shutdown()
