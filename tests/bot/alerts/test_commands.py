"""`bot.alerts.commands` over signed HTTP: `/reset alert …`, `/reset alerts`, `/reset alert remove N`,
each scoped by the workspace the request came from; and the firing through `reset-bot serve`'s
own wiring (the data jobs' hook), against the Slack stand-in."""

from __future__ import annotations

import json

from bot.storage.records import Workspace
from handlers import alerts as texts
from tests.bot.alerts.support import with_china
from tests.conftest import CHANNEL, SIGNING_SECRET, USER
from tests.fakes.slack_requests import post_signed, slash_command_body

OTHER_TEAM, OTHER_GRID = "T0000OTHR2", "E0000GRID2"


def command(served, slack, text, team_id="T0000FAKE1", enterprise_id=None):
    url = slack.response_url(None, channel=CHANNEL, user=USER)
    body = slash_command_body(text, channel_id=CHANNEL, response_url=url, team_id=team_id, enterprise_id=enterprise_id)
    status, ack = post_signed(served.url, body, SIGNING_SECRET)
    assert status == 200
    return ack, url.rsplit("/", 1)[-1]


def said(slack, fragment):
    return slack.wait_for(lambda: [m for m in slack.messages(CHANNEL) if fragment in m["text"]])


def test_set_list_and_remove_an_alert_and_another_workspace_sees_none_of_it(served, slack, runtime):
    ack, _ = command(served, slack, "alert china below 600bn")
    assert ack == ""
    (confirmation,) = said(slack, "Alert set")
    text = json.dumps(confirmation["blocks"])
    assert "China (mainland)" in text and "$600bn" in text and "$651bn" in text and "Apr 2026" in text
    assert "back above $606bn" in text and "TIC" in text

    _, token = command(served, slack, "alerts")
    listing = slack.wait_for(lambda: slack.responses(token))[0]
    assert listing["response_type"] == "ephemeral"
    assert "1. China (mainland)'s Treasury holdings below $600bn (armed; set by <@U0000USER1>)" in listing["text"]

    _, token = command(served, slack, "alerts", OTHER_TEAM, OTHER_GRID)
    assert slack.wait_for(lambda: slack.responses(token))[0]["text"] == texts.no_alerts().text
    _, token = command(served, slack, "alert remove 1", OTHER_TEAM, OTHER_GRID)
    assert "no alerts to remove" in slack.wait_for(lambda: slack.responses(token))[0]["text"]
    assert len(runtime.store.alerts.in_channel(Workspace("T0000FAKE1"), CHANNEL)) == 1

    command(served, slack, "alert remove 1")
    said(slack, "Removed the alert on China")
    assert runtime.store.alerts.in_channel(Workspace("T0000FAKE1"), CHANNEL) == []
    _, token = command(served, slack, "alerts")
    assert slack.wait_for(lambda: slack.responses(token))[0]["text"] == texts.no_alerts().text


def test_impossible_thresholds_and_unknown_series_are_answered_in_the_ack_only_to_the_asker(served, slack, runtime):
    for text, expected in (("alert 10y above 35%", "at most 30%"), ("alert china below -5bn", "cannot be negative"),
                           ("alert bitcoin above 100000", "I can't watch bitcoin")):
        ack, _ = command(served, slack, text)
        answer = json.loads(ack)
        assert answer["response_type"] == "ephemeral" and expected in answer["text"]
    assert runtime.store.alerts.live() == []


def test_the_same_alert_twice_is_refused_politely(served, slack, runtime):
    command(served, slack, "alert 10y above 5%")
    said(slack, "Alert set")
    _, token = command(served, slack, "alert 10-year above 500bp")
    assert "already" in slack.wait_for(lambda: slack.responses(token))[0]["text"]
    assert len(runtime.store.alerts.live()) == 1


def test_a_refresh_in_the_served_bot_fires_the_alert_once(served, slack, runtime, datasets):
    command(served, slack, "alert china below 600bn")
    said(slack, "Alert set")
    jobs = runtime.briefings.scheduler.data_jobs
    jobs.reload()
    runtime.data.publish(with_china(datasets, {"2026-05": 597.2}))  # as a reload of a new version would
    jobs.reload()
    jobs.reload()
    fired = said(slack, "Alert: China")
    assert len(fired) == 1 and "$597bn" in fired[0]["text"] and "May 2026" in fired[0]["text"]
    assert len(slack.files(CHANNEL)) == 1
    _, token = command(served, slack, "alerts")
    assert "fired on $597bn (May 2026); re-arms once above $606bn" in slack.wait_for(
        lambda: slack.responses(token))[0]["text"]
