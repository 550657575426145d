"""Threaded briefings (issue 14): the parent at the top level, the topic, chart and sources in its
thread — one unit, delivered once through crashes between its messages, failures and takeovers."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from bot.briefings.pacing import Pacer
from bot.briefings.recovery import METADATA_EVENT, RECOVERED_NOTE, UNCONFIRMED
from bot.briefings.threads import PART_EVENT
from handlers.briefing import topic_of_week
from handlers.parsing import parse
from handlers.queries import BriefingQuery, SubscribeQuery, SubscriptionsQuery
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
    subscribe_all,
    subscribe_friday,
    two_workspaces,
)
from tests.conftest import CHANNEL

THIRTY_SECONDS = timedelta(seconds=30)
# Friday 4 Dec 2026, 16:30 London: a week whose topic has a chart (27 Nov's, the claims, has none).
WITH_CHART = FRIDAY_1630_LONDON + timedelta(days=7)
PARTS_WITH_CHART = ["topic", "chart", "sources"]


class Crash(BaseException):
    """The process dies here: nothing after this line of the protocol runs (not an Exception, so
    no handler of the bot's turns it into a recorded failure)."""


def thread_of(slack, channel=CHANNEL):
    """The one briefing parent in the channel's top-level history, and its thread replies."""
    top = [m for m in slack.top_level(channel) if (m.get("metadata") or {}).get("event_type") == METADATA_EVENT]
    assert len(top) == 1, f"{len(top)} briefing parents in {channel}"
    return top[0], slack.replies(channel, top[0]["ts"])


def parts_of(replies):
    """What each thread reply is: its part name from the metadata, or "chart" for the uploaded file."""
    names = []
    for msg in replies:
        meta = msg.get("metadata") or {}
        if meta.get("event_type") == PART_EVENT:
            names.append(meta["event_payload"]["part"])
        elif msg.get("files"):
            names.append("chart")
    return names


def subscribed_threaded(service, channel=CHANNEL):
    subscribe_friday(service, channel, form="threaded")
    return service.storage.subscriptions.in_channel(WORKSPACE, channel)[0]


class TestThreadedDelivery:
    def test_the_parent_is_top_level_and_topic_chart_and_sources_are_its_thread(self, service, slack, clock):
        assert topic_of_week(date(2026, 12, 4)) != "claims"  # a topic with a chart
        sub = subscribed_threaded(service)
        clock.now = WITH_CHART + timedelta(seconds=2)
        assert service.fanout.deliver_slot(sub.id, WITH_CHART) == "sent"
        assert service.fanout.deliver_slot(sub.id, WITH_CHART) == "already"
        parent, replies = thread_of(slack)
        assert parts_of(replies) == PARTS_WITH_CHART
        # The parent: the numbers and what changed, pointing to its thread; not the topic or the sources.
        text = dumps(parent["blocks"])
        assert "Reset Bot weekly briefing — 04 Dec 2026" in text and "Foreign-held Treasuries" in text
        assert "First briefing in this channel" in text and "are in the thread" in text
        assert "Sources:" not in text
        assert parent["reply_count"] == 3 and parent["latest_reply"] == replies[-1]["ts"]
        assert "Topic of the week" in dumps(replies[0]["blocks"])
        assert "Sources:" in dumps(replies[2]["blocks"]) and "Europe/London" in dumps(replies[2]["blocks"])
        assert all(r["thread_ts"] == parent["ts"] for r in replies)
        # The chart is in the thread, not in the channel; the channel's history has the parent only.
        [chart] = slack.files(CHANNEL)
        assert chart.thread_ts == parent["ts"] and chart.filename.endswith(".png")
        assert [m["ts"] for m in slack.top_level(CHANNEL) if m.get("metadata")] == [parent["ts"]]
        [row] = service.storage.ledger.rows(sub.id)
        assert (row.status, row.message_ts, row.form, row.error) == ("sent", parent["ts"], "threaded", None)
        assert set(row.parts) == set(PARTS_WITH_CHART) and row.parts["topic"] == replies[0]["ts"]
        assert row.headline is not None  # next week's "what changed" has its base

    def test_a_topic_without_a_chart_has_topic_and_sources(self, service, slack, clock):
        assert topic_of_week(date(2026, 11, 27)) == "claims"
        sub = subscribed_threaded(service)
        clock.now = FRIDAY_1630_LONDON
        assert service.fanout.deliver_slot(sub.id) == "sent"
        _parent, replies = thread_of(slack)
        assert parts_of(replies) == ["topic", "sources"] and slack.files(CHANNEL) == []

    def test_a_whole_schedule_fans_out_as_threads(self, service, slack, clock):
        subscribe_all(service, slack, form="threaded")
        clock.now = WITH_CHART + timedelta(seconds=1)
        assert sorted(service.fanout.deliver_due(*LONDON_FRIDAY).values()) == ["sent"] * 3
        for channel in THREE_CHANNELS:
            _parent, replies = thread_of(slack, channel)
            assert parts_of(replies) == PARTS_WITH_CHART
        assert [(d.status, d.form) for d in service.storage.ledger.rows()] == [("sent", "threaded")] * 3

    def test_replies_are_paced_like_any_post(self, make_service, slack, clock):
        waits = []
        service = make_service(pacer=Pacer(per_second=10, per_channel_interval=1.0, clock=lambda: 0.0,
                                           sleep=waits.append))
        sub = subscribed_threaded(service)
        clock.now = WITH_CHART
        assert service.fanout.deliver_slot(sub.id, WITH_CHART) == "sent"
        assert waits == pytest.approx([1.0, 2.0, 3.0])  # parent, topic, chart, sources: one a second in a channel

    def test_each_workspace_gets_its_thread_through_its_own_token(self, make_service, settings, slack, slack_b,
                                                                  clock):
        service = two_workspaces(make_service, settings, slack, slack_b)
        subscribe_friday(service, form="threaded")
        service.commands.handle(SubscribeQuery(day="fri", at=time(16, 30), timezone="Europe/London"), in_b())
        clock.now = WITH_CHART + timedelta(seconds=1)
        assert sorted(service.fanout.deliver_due(*LONDON_FRIDAY).values()) == ["sent", "sent"]
        for stand_in in (slack, slack_b):
            _parent, replies = thread_of(stand_in)
            assert parts_of(replies) == PARTS_WITH_CHART
            assert stand_in.calls("conversations.replies") == []  # nothing to recover
            # every call reached the stand-in of its own workspace, with that workspace's token
            assert all(c.status == 200 for c in stand_in.calls() if c.method in ("chat.postMessage",
                                                                                 "files.completeUploadExternal"))
        [b_row] = [d for d in service.storage.ledger.rows() if d.team_id == TEAM_B.team_id]
        assert b_row.form == "threaded"


class TestCrashesInsideTheUnit:
    """A process dies between the parent and its replies; another takes the claim over."""

    def crash_after(self, monkeypatch, target, name, *, before=False, calls=1):
        """Make ``target.name`` crash the process: after its ``calls``-th call returns (or before it runs)."""
        real, seen = getattr(target, name), []

        def dying(*args, **kwargs):
            seen.append(1)
            if before and len(seen) == calls:
                raise Crash()
            result = real(*args, **kwargs)
            if not before and len(seen) == calls:
                raise Crash()
            return result

        monkeypatch.setattr(target, name, dying)

    def test_a_crash_after_the_parent_was_recorded_posts_the_replies_once_and_the_parent_once(
            self, make_service, slack, clock, monkeypatch):
        dead = make_service("dead", claim_timeout=THIRTY_SECONDS)
        alive = make_service("alive", claim_timeout=THIRTY_SECONDS)
        sub = subscribed_threaded(dead)
        self.crash_after(monkeypatch, dead.storage.ledger, "record_parent")
        clock.now = WITH_CHART
        with pytest.raises(Crash):
            dead.fanout.deliver_slot(sub.id, WITH_CHART)
        [row] = alive.storage.ledger.rows()
        assert (row.status, row.form) == ("claimed", "threaded") and row.message_ts
        parent, replies = thread_of(slack)
        assert replies == [] and row.message_ts == parent["ts"]
        clock.now += timedelta(seconds=10)
        alive.scheduler.sync()
        assert slack.replies(CHANNEL, parent["ts"]) == []  # too early to take over
        clock.now += timedelta(minutes=1)
        alive.scheduler.sync()
        again, replies = thread_of(slack)  # still one parent …
        assert again["ts"] == parent["ts"]
        assert parts_of(replies) == PARTS_WITH_CHART  # … and each reply once
        [row] = alive.storage.ledger.rows()
        assert (row.status, row.message_ts, row.error, row.attempts) == ("sent", parent["ts"], RECOVERED_NOTE, 2)
        alive.scheduler.sync()
        assert len(slack.replies(CHANNEL, parent["ts"])) == 3

    def test_a_crash_before_the_parents_ts_was_written_finds_the_parent_by_its_metadata(
            self, make_service, slack, clock, monkeypatch):
        dead = make_service("dead", claim_timeout=THIRTY_SECONDS)
        alive = make_service("alive", claim_timeout=THIRTY_SECONDS)
        sub = subscribed_threaded(dead)
        self.crash_after(monkeypatch, dead.storage.ledger, "record_parent", before=True)  # posted, not recorded
        clock.now = WITH_CHART
        with pytest.raises(Crash):
            dead.fanout.deliver_slot(sub.id, WITH_CHART)
        assert alive.storage.ledger.rows()[0].message_ts is None
        clock.now += timedelta(minutes=1)
        alive.scheduler.sync()
        parent, replies = thread_of(slack)
        assert parts_of(replies) == PARTS_WITH_CHART
        assert slack.calls("conversations.history")  # the parent was found in the channel by its metadata
        [row] = alive.storage.ledger.rows()
        assert (row.status, row.message_ts, row.error) == ("sent", parent["ts"], RECOVERED_NOTE)

    def test_a_crash_between_two_replies_posts_only_the_missing_ones(self, make_service, slack, clock, monkeypatch):
        dead = make_service("dead", claim_timeout=THIRTY_SECONDS)
        alive = make_service("alive", claim_timeout=THIRTY_SECONDS)
        sub = subscribed_threaded(dead)
        self.crash_after(monkeypatch, dead.fanout.delivery, "upload_chart")  # topic and chart out, then death
        clock.now = WITH_CHART
        with pytest.raises(Crash):
            dead.fanout.deliver_slot(sub.id, WITH_CHART)
        parent, replies = thread_of(slack)
        assert parts_of(replies) == ["topic", "chart"]
        clock.now += timedelta(minutes=1)
        alive.scheduler.sync()
        _parent, replies = thread_of(slack)
        assert parts_of(replies) == PARTS_WITH_CHART  # the topic and the chart were not posted again
        assert len(slack.files(CHANNEL)) == 1
        assert [c.params.get("include_all_metadata") for c in slack.calls("conversations.replies")] in (
            [True], ["1"], ["true"])  # the thread was read with the parts' metadata

    def test_a_crash_in_a_fan_out_after_the_parents_went_out(self, make_service, slack, clock, monkeypatch):
        crashing = make_service("crashing", claim_timeout=THIRTY_SECONDS, workers=1)
        subscribe_all(crashing, slack, form="threaded")
        # one worker: the first channel's parent goes out, then the process dies before its topic
        self.crash_after(monkeypatch, crashing.fanout.threads.delivery, "deliver", calls=2, before=True)

        def dead(outcomes):  # … and no outcome is written after that: the process is gone
            raise Crash()

        monkeypatch.setattr(crashing.storage.ledger, "finish_many", dead)
        clock.now = WITH_CHART
        with pytest.raises(Crash):  # the pool's worker dies; its future carries the crash out
            crashing.fanout.deliver_due(*LONDON_FRIDAY)
        crashing.fanout.close()  # what the worker was still doing, it finished; no outcome was written
        survivor, reader = make_service("survivor", claim_timeout=THIRTY_SECONDS), make_service("reader")
        for _ in range(3 * len(THREE_CHANNELS)):  # one history read a minute per workspace (recovery.py)
            clock.now += timedelta(minutes=1)
            survivor.scheduler.sync()
            if all(d.status == "sent" for d in reader.storage.ledger.rows()):
                break
        for channel in THREE_CHANNELS:
            _parent, replies = thread_of(slack, channel)
            assert parts_of(replies) == PARTS_WITH_CHART
        rows = reader.storage.ledger.rows()
        assert all(d.status == "sent" for d in rows), [(d.status, d.error, d.attempts) for d in rows]
        # The first channel's parent was out when the process died: its thread was completed, not reposted.
        # (The others went out whole, or were cancelled with the dying fan-out and posted whole by the survivor.)
        assert rows[0].error == RECOVERED_NOTE and rows[0].message_ts == thread_of(slack, THREE_CHANNELS[0])[0]["ts"]


class TestFailuresInsideTheUnit:
    def test_a_failed_reply_is_retried_without_the_parent(self, service, slack, clock):
        sub = subscribed_threaded(service)
        slack.fail_next("files.completeUploadExternal", error="internal_error")  # Slack's outage at the chart
        clock.now = WITH_CHART
        assert service.fanout.deliver_slot(sub.id, WITH_CHART) == "failed:transient"
        [row] = service.storage.ledger.rows()
        parent, replies = thread_of(slack)
        assert (row.status, row.message_ts, row.parts) == ("failed", parent["ts"], {"topic": replies[0]["ts"]})
        clock.now += timedelta(minutes=2)
        service.scheduler.sync()
        _parent, replies = thread_of(slack)
        assert parts_of(replies) == PARTS_WITH_CHART
        [row] = service.storage.ledger.rows()
        assert (row.status, row.attempts) == ("sent", 2)

    def test_when_the_thread_cannot_be_read_nothing_is_posted(self, make_service, slack, clock, monkeypatch):
        dead = make_service("dead", claim_timeout=THIRTY_SECONDS)
        alive = make_service("alive", claim_timeout=THIRTY_SECONDS)
        sub = subscribed_threaded(dead)
        TestCrashesInsideTheUnit().crash_after(monkeypatch, dead.storage.ledger, "record_parent")
        clock.now = WITH_CHART
        with pytest.raises(Crash):
            dead.fanout.deliver_slot(sub.id, WITH_CHART)
        slack.fail_next("conversations.replies", status=503, times=10)
        clock.now += timedelta(minutes=1)
        alive.scheduler.sync()
        parent, replies = thread_of(slack)
        assert replies == []  # unknown is not "missing": nothing reposted
        [row] = alive.storage.ledger.rows()
        assert (row.status, row.error) == ("failed", UNCONFIRMED)
        slack.clear_faults()
        clock.now += timedelta(minutes=2)
        alive.scheduler.sync()
        _parent, replies = thread_of(slack)
        assert parts_of(replies) == PARTS_WITH_CHART

    def test_a_thread_read_without_a_turn_is_retried_when_the_turn_comes(self, service, slack, clock):
        """The workspace's replies read for this minute is spent: the answer is unknown, and the
        row names the time of the next turn (`retry_due` waits for it, not for the usual backoff)."""
        from bot.briefings.recovery import ASK_AGAIN_AT
        from bot.briefings.threads import REPLIES_METHOD, UNKNOWN

        sub = subscribed_threaded(service)
        clock.now = WITH_CHART
        claim = service.storage.ledger.claim(subscription_id=sub.id, channel_id=CHANNEL, slot_utc=WITH_CHART,
                                             kind="scheduled", owner="replica-a", claim_timeout=THIRTY_SECONDS)
        history = service.fanout.history
        assert history.budgets.take(REPLIES_METHOD, claim.workspace, history.interval).taken  # someone else's
        assert service.fanout.threads._thread(claim, "1764260000.000100") == UNKNOWN
        assert history.unconfirmed(claim).startswith(ASK_AGAIN_AT)
        assert not slack.calls("conversations.replies")

    def test_a_parent_deleted_in_slack_is_not_reposted(self, make_service, slack, clock, monkeypatch):
        dead = make_service("dead", claim_timeout=THIRTY_SECONDS)
        alive = make_service("alive", claim_timeout=THIRTY_SECONDS)
        sub = subscribed_threaded(dead)
        TestCrashesInsideTheUnit().crash_after(monkeypatch, dead.storage.ledger, "record_parent")
        clock.now = WITH_CHART
        with pytest.raises(Crash):
            dead.fanout.deliver_slot(sub.id, WITH_CHART)
        slack.fail_next("conversations.replies", error="thread_not_found")  # someone deleted the parent
        clock.now += timedelta(minutes=1)
        alive.scheduler.sync()
        [row] = alive.storage.ledger.rows()
        assert row.status == "sent" and "deleted" in row.error
        assert len(briefings(slack)) == 1 and slack.replies(CHANNEL, row.message_ts) == []


class TestForms:
    def test_a_flat_subscription_is_one_message_as_before(self, service, slack, clock):
        subscribe_friday(service, form="flat")
        clock.now = WITH_CHART
        service.fanout.deliver_slot(service.storage.subscriptions.in_channel(WORKSPACE, CHANNEL)[0].id, WITH_CHART)
        [message] = briefings(slack)
        assert "reply_count" not in message and slack.replies(CHANNEL, message["ts"]) == []
        assert "Topic of the week" in dumps(message["blocks"]) and "Sources:" in dumps(message["blocks"])
        assert slack.files(CHANNEL)[0].thread_ts is None
        assert service.storage.ledger.rows()[0].form is None

    def test_a_new_subscription_is_threaded_unless_it_says_flat_and_the_listing_says_which(self, service, slack,
                                                                                          holders):
        service.commands.handle(parse("subscribe fri 16:30 Europe/London", holders), here())
        service.commands.handle(parse("subscribe mon 09:00 Europe/London flat", holders), here())
        forms = [s.form for s in service.storage.subscriptions.in_channel(WORKSPACE, CHANNEL)]
        assert forms == ["threaded", "flat"]
        listing = service.commands.handle(SubscriptionsQuery(), here())
        assert "(active; threaded)" in listing.text and "(active; flat)" in listing.text

    def test_send_now_follows_the_channels_form(self, service, slack, clock):
        subscribe_friday(service, form="threaded")
        service.commands.handle(BriefingQuery(), here())
        _parent, replies = thread_of(slack)
        assert parts_of(replies)[0] == "topic" and parts_of(replies)[-1] == "sources"
