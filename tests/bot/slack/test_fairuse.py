"""Fair use (bot/slack/fairuse.py): a flood from one person or into one channel is refused kindly,
and cheap cached answers do not queue behind expensive new charts."""

from __future__ import annotations

import json
import threading

from bot.serving.chart_cache import ChartCache
from bot.slack.delivery import Destination
from bot.slack.fairuse import Buckets, FairUse, Limit
from bot.slack.replier import SCENARIO_CHART
from handlers.parsing import parse
from tests.conftest import CHANNEL, SIGNING_SECRET, USER
from tests.fakes.clock import Clock
from tests.fakes.slack_requests import post_signed, slash_command_body


class TestBuckets:
    def test_a_burst_is_allowed_then_one_per_refill_interval(self):
        clock = Clock(1000.0)
        bucket = Buckets(Limit(burst=3, per_minute=6), clock=clock)
        assert [bucket.take("u") for _ in range(3)] == [0.0, 0.0, 0.0]
        assert bucket.take("u") == 10.0  # 6 a minute: the next token in 10 s
        clock.now += 10
        assert bucket.take("u") == 0.0
        assert bucket.take("other") == 0.0  # buckets are per key

    def test_the_number_of_keys_is_bounded_and_forgetting_lets_through(self):
        bucket = Buckets(Limit(burst=1, per_minute=1), clock=Clock(1000.0), max_keys=2)
        bucket.take("a")
        bucket.take("b")
        bucket.take("c")  # "a" is forgotten
        assert bucket.take("a") == 0.0

    def test_a_rate_of_zero_switches_a_limit_off(self):
        fair = FairUse.per_minute(0, 0, clock=Clock(1000.0))
        assert all(fair.check("T", "U", "C") is None for _ in range(1000))

    def test_the_channel_limit_counts_everyone(self):
        fair = FairUse.per_minute(1000, 4, clock=Clock(1000.0))
        refusals = [fair.check("T", f"U{n}", "C") for n in range(3)]
        assert refusals[:2] == [None, None] and refusals[2].who == "channel"
        assert fair.check("T", "U9", "C-other") is None


def test_one_person_flooding_a_channel_gets_a_slow_down_and_the_channel_stays_readable(served, slack):
    import time

    started = time.monotonic()
    acks = []
    for _ in range(30):
        status, ack = post_signed(served.url, slash_command_body("gold", user_id=USER), SIGNING_SECRET)
        assert status == 200
        acks.append(ack)
    elapsed = time.monotonic() - started
    allowed = [a for a in acks if a == ""]
    refused = [json.loads(a)["text"] for a in acks if a]
    # 10 at once, then one every 3 s (20 a minute): on a slow machine a few more get through.
    assert 10 <= len(allowed) <= 10 + int(elapsed / 3) + 1
    assert refused and all("faster than I answer" in text for text in refused)
    assert all(a == "" for a in acks[:10])  # the first half-minute's worth went through
    def answers():  # the replies' text posts (each chart upload adds a file message of its own)
        return [m for m in slack.messages(CHANNEL) if not m.get("upload")]

    slack.wait_for(lambda: len(answers()) >= len(allowed), timeout=30)
    served.app.replier.drain()
    assert len(answers()) == len(allowed)


class HeldScenarioCharts:
    """A chart renderer for which every new scenario chart is slow to draw — held until
    `release()` — while topic charts are drawn at once. It stands in for matplotlib so that
    "the gap was posted before any scenario chart was drawn" is an event, not a race against
    real rendering time."""

    PNG = b"\x89PNG\r\n\x1a\n stand-in"

    def __init__(self) -> None:
        self._released = threading.Event()
        self._lock = threading.Lock()
        self.scenarios_drawn = 0

    def __call__(self, key: str, datasets: object) -> bytes:
        if key.startswith(SCENARIO_CHART):
            self._released.wait(timeout=60)
            with self._lock:
                self.scenarios_drawn += 1
        return self.PNG

    def release(self) -> None:
        self._released.set()


def gap_posts(slack) -> list[dict]:
    return [m for m in slack.messages(CHANNEL) if "$68.9T" in json.dumps(m) and not m.get("upload")]


def scenario_posts(slack, country: str) -> list[dict]:
    return [m for m in slack.messages(CHANNEL) if country in json.dumps(m) and not m.get("upload")]


def test_cached_answers_do_not_wait_behind_new_scenario_charts(make_app, slack, settings, holders):
    """New scenarios from many people (each a chart to draw), then someone's /reset gap: the
    gap's chart is drawn already, so it is posted while every scenario chart is still being drawn.

    The flood is larger than the reply threads, so if scenarios shared the gap's lane, every
    thread would be stuck drawing and the gap would never be posted before the release."""
    renderer = HeldScenarioCharts()
    app = make_app(charts=ChartCache(renderer))
    gap = Destination(CHANNEL, USER, None, "T0000FAKE1")
    app.replier.run(parse("gap", holders), gap)  # the gap chart is now cached
    assert len(gap_posts(slack)) == 1
    flood = 3 * settings.reply_threads
    try:
        for n in range(flood):
            app.replier.submit(parse(f"shock china {n + 1}% sell", holders),
                               Destination(CHANNEL, f"U{n:08d}", None, "T"))
        app.replier.submit(parse("gap", holders), gap)
        assert slack.wait_for(lambda: len(gap_posts(slack)) == 2, timeout=30)
        assert renderer.scenarios_drawn == 0  # posted while no scenario chart had been drawn
    finally:
        renderer.release()
        app.replier.drain()
        app.shutdown()
    assert renderer.scenarios_drawn == flood  # and every scenario was answered, chart and all
    assert len(scenario_posts(slack, "China")) == flood


def test_a_topic_chart_not_drawn_yet_does_not_wait_behind_new_scenarios(make_app, slack, settings, holders):
    """After a start or a refresh no chart is drawn: /reset gap must still not queue behind a
    flood of new scenario charts (the attack suite saw it wait 70 s behind 300)."""
    renderer = HeldScenarioCharts()
    app = make_app(charts=ChartCache(renderer))
    flood = 3 * settings.reply_threads
    try:
        for n in range(flood):
            app.replier.submit(parse(f"shock japan {n + 1}%", holders), Destination(CHANNEL, f"U{n:08d}", None, "T"))
        app.replier.submit(parse("gap", holders), Destination(CHANNEL, USER, None, "T"))
        assert slack.wait_for(lambda: gap_posts(slack), timeout=30)
        assert renderer.scenarios_drawn == 0  # the gap's answer went out before any scenario chart was drawn
    finally:
        renderer.release()
        app.replier.drain()
        app.shutdown()
    assert len(scenario_posts(slack, "Japan")) == flood
    assert len(slack.files(CHANNEL)) == flood + 1  # the gap's chart was drawn and uploaded too
