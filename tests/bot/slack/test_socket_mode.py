"""Socket Mode serves the very same app: one handler built from `create_app`, same listeners."""

from __future__ import annotations

import json

from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.slack.server import socket_mode_handler
from tests.conftest import CHANNEL, USER


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
