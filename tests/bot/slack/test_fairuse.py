"""Fair use (bot/slack/fairuse.py): a flood from one person or into one channel is refused kindly,
and cheap cached answers do not queue behind expensive new charts."""

from __future__ import annotations

import json

from bot.slack.fairuse import Buckets, FairUse, Limit
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
    for n in range(30):
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
    replier = served.app._reset_replier
    for lane in (replier.executor, replier.render_lane, replier.executor):
        lane.submit(lambda: None).result(timeout=30)
    assert len(answers()) == len(allowed)


def test_cached_answers_do_not_wait_behind_new_scenario_charts(runtime, slack, settings, datasets, chart_cache):
    """60 new scenarios (each a chart to draw) from many people, then someone's /reset gap: the
    gap's chart is drawn already, so it is posted before the scenarios are all done."""
    from bot.slack.delivery import Destination

    app_replier = runtime.app._reset_replier
    gap = Destination(CHANNEL, USER, None, "T0000FAKE1")
    from handlers.parsing import parse

    holders = runtime.data.current().holders
    app_replier.run(parse("gap", holders), gap)  # the gap chart is now cached
    first = len(slack.messages(CHANNEL))
    for n in range(60):
        app_replier.submit(parse(f"shock china {n + 1}% sell", holders), Destination(CHANNEL, f"U{n:08d}", None, "T"))
    app_replier.submit(parse("gap", holders), gap)
    posted = slack.wait_for(lambda: [m for m in slack.messages(CHANNEL)[first:] if "$68.9T" in json.dumps(m)],
                            timeout=30)
    shocks_before_gap = [m for m in slack.messages(CHANNEL)[first:] if "China" in json.dumps(m)]
    app_replier.shutdown()
    assert posted
    assert len(shocks_before_gap) < 20  # without the render lane it waited for nearly all of them


def test_a_topic_chart_not_drawn_yet_does_not_wait_behind_new_scenarios(slack, settings, datasets):
    """After a start or a refresh no chart is drawn: /reset gap must still not queue behind a
    flood of new scenario charts (the attack suite saw it wait 70 s behind 300)."""
    from bot.runtime import build_runtime
    from bot.serving.chart_cache import ChartCache
    from bot.serving.live_data import LiveData
    from bot.slack.delivery import Destination
    from handlers import charts
    from handlers.parsing import parse

    runtime = build_runtime(settings, data=LiveData(datasets), charts=ChartCache(charts.render))
    replier = runtime.app._reset_replier
    holders = runtime.data.current().holders
    try:
        for n in range(40):
            replier.submit(parse(f"shock japan {n + 1}%", holders), Destination(CHANNEL, f"U{n:08d}", None, "T"))
        replier.submit(parse("gap", holders), Destination(CHANNEL, USER, None, "T"))
        slack.wait_for(lambda: [m for m in slack.messages(CHANNEL) if "$68.9T" in json.dumps(m)], timeout=60)
        scenarios = [m for m in slack.messages(CHANNEL) if "Japan" in json.dumps(m) and not m.get("upload")]
        assert len(scenarios) < 20
    finally:
        replier.shutdown()
        runtime.store.dispose()
