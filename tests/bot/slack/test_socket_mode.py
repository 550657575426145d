"""Socket Mode serves the very same app: one handler built from `create_app`, same listeners."""

from __future__ import annotations

import json
import subprocess

import pytest
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.slack.server import socket_mode_handler
from tests import processes
from tests.conftest import CHANNEL, USER
from tests.fakes.socket_mode import FakeSocketMode


def test_the_socket_mode_handler_wraps_the_app_from_the_factory(make_app):
    app = make_app()
    handler = socket_mode_handler(app, "xapp-1-A000-000-abc")
    assert handler.app is app.bolt
    assert handler.client.app_token == "xapp-1-A000-000-abc"


def test_a_socket_mode_slash_command_reaches_the_same_listener(make_app, slack):
    app = make_app()
    url = slack.response_url("sock", channel=CHANNEL, user=USER)
    payload = {"command": "/reset", "text": "gold", "channel_id": CHANNEL, "user_id": USER,
               "team_id": "T0000FAKE1", "response_url": url, "api_app_id": "A0000APP01"}
    req = SocketModeRequest(type="slash_commands", envelope_id="e1", payload=payload)
    response = run_bolt_app(app.bolt, req)  # socket mode skips signature checks: the socket is authenticated
    assert response.status == 200
    message = slack.wait_for(lambda: slack.messages(CHANNEL), timeout=10)[0]
    assert "gold" in json.dumps(message["blocks"]).lower()
    app.shutdown()


APP_TOKEN = "xapp-1-A0000APP01-000-socketmodesecret"


@pytest.fixture
def socket_slack(slack):
    """The Web API stand-in with Slack's Socket Mode side attached (tests/fakes/socket_mode.py)."""
    slack.socket_mode = FakeSocketMode(APP_TOKEN)
    yield slack
    slack.socket_mode.close()


@pytest.mark.slow
def test_two_socket_mode_replicas_take_turns_and_every_command_is_answered_once(socket_slack, tmp_path):
    """Slack sends each Socket Mode payload to one of the app's connections (up to 10). Two
    `reset-bot serve` processes with the same app token both connect; every command reaches
    exactly one of them, is acknowledged by that one and answered once — the README's claim
    that several Socket Mode replicas are fine, shown with real processes and real sockets."""
    fake = socket_slack.socket_mode
    replicas = [processes.start(socket_slack, tmp_path / f"r{i}", stderr=subprocess.DEVNULL,
                                SLACK_APP_TOKEN=APP_TOKEN)[0] for i in range(2)]
    try:
        fake.wait_connections(2)
        for i, topic in enumerate(["gap", "gold", "sources", "refinancing", "buying", "claims"]):
            url = socket_slack.response_url(f"sock{i}", channel=CHANNEL, user=USER)
            envelope = fake.send("slash_commands", {
                "command": "/reset", "text": topic, "channel_id": CHANNEL, "user_id": USER,
                "team_id": socket_slack.team_id, "response_url": url, "api_app_id": "A0000APP01",
                "trigger_id": f"trig{i}"})
            fake.wait_ack(envelope)
        assert sorted(fake.received().values()) == [3, 3]  # both replicas took their turn
        assert {ack.connection for ack in fake.acks()} == {0, 1}  # … and each acknowledged its own
        # Each command gets one answer: a message in the channel, or (the long sources list) an
        # ephemeral one through its response_url.
        assert socket_slack.wait_for(lambda: answers(socket_slack) >= 6, timeout=60)
    finally:
        for proc in replicas:  # SIGTERM: each finishes what it acknowledged before it exits
            proc.terminate()
        for proc in replicas:
            proc.wait(timeout=30)
    assert answers(socket_slack) == 6  # none doubled, even after both drained their queues
    posted = [m["text"] for m in socket_slack.messages(CHANNEL) if m.get("text")]
    assert len(posted) == len(set(posted)) == 5


def answers(slack) -> int:
    posts = [c for c in slack.calls("chat.postMessage") if c.response and c.response.get("ok")]
    return len(posts) + sum(len(slack.responses(f"sock{i}")) for i in range(6))
