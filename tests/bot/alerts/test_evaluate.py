"""`bot.alerts.evaluate`: a data job that crosses an alert's line posts once — across evaluations,
replicas and crashes — through the delivery ledger, with the briefings' faults handled.

Each test sets China's alert on the shipped data (China $651.1bn in Apr 2026), then publishes a
version with new TIC months (`with_china`) and runs the data job's hook, against the Slack stand-in."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

from bot.briefings.recovery import METADATA_EVENT
from bot.scheduler import DataJobs
from bot.serving.live_data import LiveData
from bot.storage.records import DeliveryStatus
from handlers.queries import AlertsQuery
from tests.bot.alerts.support import china_below, here, with_china
from tests.conftest import CHANNEL


def alert_posts(slack, channel=CHANNEL):
    return [m for m in slack.messages(channel) if (m.get("metadata") or {}).get("event_type") == METADATA_EVENT]


def the_alert(alerting):
    (alert,) = alerting.evaluator.alerts.live()
    return alert


def test_a_refresh_that_crosses_the_line_fires_once_with_the_figure_its_date_the_chart_and_the_source(
        make_alerts, datasets, settings, slack):
    data = LiveData(datasets)
    alerting = make_alerts(data)
    china_below(alerting)
    jobs = DataJobs(settings, data, after_data=alerting.evaluator.evaluate)
    jobs.reload()  # the shipped data: $651.1bn, above the line
    assert alert_posts(slack) == []

    data.publish(with_china(datasets, {"2026-05": 598.4}))  # a refresh brings May: below $600bn
    jobs.reload()
    (post,) = alert_posts(slack)
    text = json.dumps(post["blocks"]) + post["text"]
    assert "$598bn" in text and "May 2026" in text and "$600bn" in text
    assert "US Treasury, TIC" in text and "vintage" in text
    (chart,) = slack.files(CHANNEL)
    assert chart.data.startswith(b"\x89PNG") and "Treasury holdings" in chart.title
    alert = the_alert(alerting)
    assert (alert.state, alert.since, alert.fired_period, alert.fired_value, alert.fired_ts) == (
        "fired", "2026-05", "2026-05", 598.4, post["ts"])
    (row,) = alerting.evaluator.alerts.firings(alert.id)
    assert (row.status, row.message_ts, row.kind) == (DeliveryStatus.SENT, post["ts"], "alert")
    assert post["metadata"]["event_payload"]["delivery_id"] == row.id

    jobs.reload()  # a second data job with the same data
    jobs.reload()
    assert len(alert_posts(slack)) == 1 and len(slack.files(CHANNEL)) == 1


def test_two_replicas_evaluating_the_same_data_at_once_post_once(make_alerts, datasets, slack):
    replicas = [make_alerts(LiveData(datasets), owner=f"replica-{n}") for n in "ab"]
    china_below(replicas[0])
    crossed = with_china(datasets, {"2026-05": 590.0})
    for alerting in replicas:
        alerting.evaluator.data.publish(crossed)
    start = threading.Barrier(2)

    def run(alerting):
        start.wait()
        return alerting.evaluator.evaluate()

    results = []
    threads = [threading.Thread(target=lambda a=a: results.append(run(a))) for a in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(alert_posts(slack)) == 1
    assert sorted(next(iter(r.values())) for r in results) in (["already", "fired"], ["fired", "nothing"])
    for alerting in replicas:  # and again, each: nothing more
        alerting.evaluator.evaluate()
    assert len(alert_posts(slack)) == 1
    assert [r.status for r in replicas[1].evaluator.alerts.firings(the_alert(replicas[1]).id)] == ["sent"]


def test_a_revision_back_and_forth_within_the_margin_does_not_flap(make_alerts, datasets, slack):
    data = LiveData(datasets)
    alerting = make_alerts(data)
    china_below(alerting)  # margin: $6bn (1% of the line)
    versions = [
        {"2026-05": 598.0},  # crosses: fires
        {"2026-05": 603.0},  # May revised back above the line, within the margin
        {"2026-05": 598.5},  # … and back below
        {"2026-05": 598.5, "2026-06": 604.0},  # June: above, within the margin
        {"2026-05": 598.5, "2026-06": 599.0},  # June revised below
        {"2026-05": 598.5, "2026-06": 599.0, "2026-07": 605.9},  # July: still within
        {"2026-05": 598.5, "2026-06": 599.0, "2026-07": 597.0},
    ]
    for months in versions:
        data.publish(with_china(datasets, months))
        alerting.evaluator.evaluate()
    assert len(alert_posts(slack)) == 1

    data.publish(with_china(datasets, {"2026-05": 598.5, "2026-08": 607.0}))  # back by more than the margin
    assert set(alerting.evaluator.evaluate().values()) == {"rearmed"}
    data.publish(with_china(datasets, {"2026-05": 598.5, "2026-08": 607.0, "2026-09": 599.9}))
    assert set(alerting.evaluator.evaluate().values()) == {"fired"}
    assert len(alert_posts(slack)) == 2 and "Sep 2026" in alert_posts(slack)[-1]["text"]


def test_not_in_channel_pauses_the_alert_with_its_reason_until_a_newer_crossing_can_be_posted(
        make_alerts, datasets, slack):
    data = LiveData(datasets)
    alerting = make_alerts(data)
    china_below(alerting)
    slack.set_bot_member(CHANNEL, False)
    data.publish(with_china(datasets, {"2026-05": 590.0}))
    assert set(alerting.evaluator.evaluate().values()) == {"paused"}
    alert = the_alert(alerting)
    assert alert.state == "paused" and "/invite @Reset Bot" in alert.pause_reason
    listing = alerting.commands.handle(AlertsQuery(), here())
    assert "paused" in listing.text and "/invite @Reset Bot" in listing.text
    [dm] = [m for channel in ("D" + alert.created_by[1:],) for m in slack.messages(channel)]  # its creator is told
    assert "Your alert in" in dm["text"] and "is paused" in dm["text"] and "/invite @Reset Bot" in dm["text"]
    posts = len(slack.calls("chat.postMessage"))
    assert set(alerting.evaluator.evaluate().values()) == {"paused"}  # the same data: not tried again
    assert len(slack.calls("chat.postMessage")) == posts

    slack.set_bot_member(CHANNEL, True)
    data.publish(with_china(datasets, {"2026-05": 590.0, "2026-06": 585.0}))
    assert set(alerting.evaluator.evaluate().values()) == {"fired"}
    assert len(alert_posts(slack)) == 1 and "Jun 2026" in alert_posts(slack)[0]["text"]
    assert (the_alert(alerting).state, the_alert(alerting).pause_reason) == ("fired", None)


def test_a_5xx_is_retried_at_a_later_data_job_after_the_backoff_and_a_look_at_the_history(
        make_alerts, datasets, slack, clock):
    data = LiveData(with_china(datasets, {"2026-05": 590.0}))
    alerting = make_alerts(data)
    china_below(alerting, 660.0)  # the shipped April ($651.1bn) is already below: starts fired …
    assert the_alert(alerting).state == "fired"
    alerting.evaluator.alerts.transition(the_alert(alerting), state="armed", since="2026-04")  # … armed by hand
    slack.fail_next("chat.postMessage", status=503)
    assert set(alerting.evaluator.evaluate().values()) == {"failed"}
    (row,) = alerting.evaluator.alerts.firings(the_alert(alerting).id)
    assert row.status == DeliveryStatus.FAILED and row.error.startswith("transient: ")
    assert set(alerting.evaluator.evaluate().values()) == {"waiting"}  # the backoff: a minute
    clock.advance(timedelta(minutes=2))
    history_reads = len(slack.calls("conversations.history"))
    assert set(alerting.evaluator.evaluate().values()) == {"fired"}
    assert len(slack.calls("conversations.history")) == history_reads + 1  # asked before posting again
    assert len(alert_posts(slack)) == 1


def test_a_429_waits_for_retry_after_and_posts(make_alerts, datasets, slack):
    data = LiveData(datasets)
    alerting = make_alerts(data)
    china_below(alerting)
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    data.publish(with_china(datasets, {"2026-05": 590.0}))
    assert set(alerting.evaluator.evaluate().values()) == {"fired"}
    assert len(alert_posts(slack)) == 1


def test_a_crash_between_posting_and_recording_is_recovered_by_another_replica_not_reposted(
        make_alerts, datasets, slack, clock):
    data = LiveData(datasets)
    dying, survivor = make_alerts(data, owner="dying"), make_alerts(data, owner="survivor")
    china_below(dying)
    data.publish(with_china(datasets, {"2026-05": 590.0}))

    def crash(*args, **kwargs):
        raise SystemExit("killed after posting")

    dying.evaluator.ledger.finish = crash
    try:
        dying.evaluator.evaluate()
    except SystemExit:
        pass
    assert len(alert_posts(slack)) == 1
    assert set(survivor.evaluator.evaluate().values()) == {"already"}  # the claim is young: in flight elsewhere
    clock.advance(timedelta(minutes=11))  # past the claim timeout: the owner is dead
    assert set(survivor.evaluator.evaluate().values()) == {"recovered"}
    assert len(alert_posts(slack)) == 1
    alert = the_alert(survivor)
    assert alert.state == "fired"
    (row,) = survivor.evaluator.alerts.firings(alert.id)
    assert (row.status, row.message_ts) == (DeliveryStatus.SENT, alert_posts(slack)[0]["ts"])


def test_a_removed_alert_never_fires(make_alerts, datasets, slack):
    data = LiveData(datasets)
    alerting = make_alerts(data)
    china_below(alerting)
    alerting.evaluator.alerts.remove(the_alert(alerting))
    data.publish(with_china(datasets, {"2026-05": 590.0}))
    assert alerting.evaluator.evaluate() == {}
    assert alert_posts(slack) == []


def test_alert_firings_are_not_the_channels_last_briefing(make_alerts, datasets, slack):
    data = LiveData(datasets)
    alerting = make_alerts(data)
    china_below(alerting)
    data.publish(with_china(datasets, {"2026-05": 590.0}))
    alerting.evaluator.evaluate()
    assert len(alert_posts(slack)) == 1
    assert alerting.evaluator.ledger.last_sent(here().workspace, CHANNEL) is None
