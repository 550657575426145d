"""`/metrics`: what the bot counts, in Prometheus's text format, with bounded labels."""

from __future__ import annotations

import subprocess
import time
import urllib.request

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot import telemetry
from bot.telemetry import MeteredWebClient, RateLimitCounter, Reading, label
from tests import processes
from tests.conftest import CHANNEL, SIGNING_SECRET, USER
from tests.fakes.slack_requests import post_signed, slash_command_body


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(base: str) -> dict[str, list]:
    with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    return {family.name: family.samples for family in text_string_to_metric_families(text)}


def test_labels_are_a_closed_shape():
    assert label("invalid_auth") == "invalid_auth"
    assert label("C0000GEN01 <@U1>") == "other"
    assert label(None, "none") == "none"
    assert label("x" * 49) == "other"


def test_every_web_api_call_is_counted_by_method_and_result(slack):
    client = MeteredWebClient(token=slack.token, base_url=slack.base_url)
    ok, failed = (value("reset_bot_slack_calls_total", method="auth.test", result=r) for r in ("ok", "invalid_auth"))
    client.auth_test()
    with pytest.raises(SlackApiError):
        MeteredWebClient(token="xoxb-wrong", base_url=slack.base_url).auth_test()
    assert value("reset_bot_slack_calls_total", method="auth.test", result="ok") == ok + 1
    assert value("reset_bot_slack_calls_total", method="auth.test", result="invalid_auth") == failed + 1


def test_a_429_that_slack_sdk_retried_is_still_counted(slack):
    client = MeteredWebClient(token=slack.token, base_url=slack.base_url,
                              retry_handlers=[RateLimitCounter(), RateLimitErrorRetryHandler(max_retry_count=2)])
    before = value("reset_bot_slack_rate_limited_total", method="auth.test")
    slack.fail_next("auth.test", status=429, retry_after=0)
    assert client.auth_test()["ok"]  # retried, and the retry went through
    assert value("reset_bot_slack_rate_limited_total", method="auth.test") == before + 1


def test_the_gauges_show_what_the_running_bot_reports():
    telemetry.watch(lambda: Reading(data_age_seconds=86400.0, subscriptions={"active": 3, "paused": 1},
                                    reply_queue=2, scheduler_running=True))
    try:
        assert value("reset_bot_data_age_seconds") == 86400.0
        assert value("reset_bot_subscriptions", state="paused") == 1
        assert value("reset_bot_reply_queue_depth") == 2
        assert value("reset_bot_scheduler_running") == 1
        telemetry.watch(lambda: 1 / 0)  # type: ignore[arg-type, return-value]
        assert value("reset_bot_scheduler_running") == 0  # a failing reading: empty gauges, not a failed scrape
    finally:
        telemetry.watch(None)


def test_metrics_after_commands_count_them_and_name_no_channel_or_user(served, runtime, slack):
    telemetry.watch(runtime.reading)
    try:
        before = value("reset_bot_commands_total", kind="gap", outcome="answered")
        acks = value("reset_bot_ack_seconds_count", surface="command")
        assert post_signed(served.url, slash_command_body("gap"), SIGNING_SECRET)[0] == 200
        assert post_signed(served.url, slash_command_body("shock narnia 20%"), SIGNING_SECRET)[0] == 200
        served.app.replier.drain()
        families = scrape(served.base)
    finally:
        telemetry.watch(None)
    assert value("reset_bot_commands_total", kind="gap", outcome="answered") == before + 1
    assert value("reset_bot_ack_seconds_count", surface="command") == acks + 2
    assert any(s.labels == {"kind": "command", "outcome": "usage_error"} for s in families["reset_bot_commands"])
    assert [s.value for s in families["reset_bot_subscriptions"]] == []  # none yet, so no series
    assert "process_cpu_seconds" in families  # the standard process collector rides along
    every_label = {v for samples in families.values() for s in samples for v in s.labels.values()}
    assert CHANNEL not in every_label and USER not in every_label and slack.team_id not in every_label


@pytest.mark.slow
def test_a_served_process_shows_its_data_age_scheduler_and_calls(slack, tmp_path):
    """`curl /metrics` on a real `reset-bot serve` after a command: the gauges read the running bot."""
    proc, port = processes.start(slack, tmp_path, stderr=subprocess.DEVNULL)
    try:
        processes.wait_healthy(port, proc)
        base = f"http://127.0.0.1:{port}"
        assert post_signed(f"{base}/slack/events", slash_command_body("gold"), SIGNING_SECRET)[0] == 200
        assert slack.wait_for(lambda: slack.messages(CHANNEL), timeout=30)
        # The bot counts a call when its answer arrives, just after the stand-in recorded the post:
        # scrape until the answered command is counted (as `processes.wait_healthy` polls).
        deadline = time.monotonic() + 30
        while not _answered(families := scrape(base)) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert families["reset_bot_data_age_seconds"][0].value > 86400  # the shipped files are months old
    assert families["reset_bot_scheduler_running"][0].value == 1
    calls = {(s.labels["method"], s.labels["result"]) for s in families["reset_bot_slack_calls"]
             if s.name.endswith("_total")}
    assert ("chat.postmessage", "ok") in calls


def _answered(families: dict[str, list]) -> bool:
    return any(s.labels.get("kind") == "gold" and s.labels.get("outcome") == "answered" and s.value >= 1
               for s in families.get("reset_bot_commands", []) if s.name.endswith("_total"))

