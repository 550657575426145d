"""The request builders are signed and shaped like Slack's, as judged by slack_sdk and Bolt."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest
from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import (
    block_actions_body,
    event_body,
    post,
    sign,
    slash_command_body,
)

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CHANNEL, USER = "C0000GEN01", "U0000USER1"


# ---- signing ---------------------------------------------------------------------------------

def test_sign_matches_slack_sdk_verifier() -> None:
    body = slash_command_body("shock eu 20%")
    headers = sign(SECRET, body)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid(body, headers["x-slack-request-timestamp"], headers["x-slack-signature"])
    assert verifier.is_valid_request(body, headers)
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert not verifier.is_valid(body + b"x", headers["x-slack-request-timestamp"], headers["x-slack-signature"])
    assert not SignatureVerifier("other-secret").is_valid_request(body, headers)


def test_sign_respects_the_replay_window() -> None:
    body = event_body({"type": "app_home_opened", "user": USER})
    stale = sign(SECRET, body, int(time.time()) - 301)
    assert stale["content-type"] == "application/json"
    assert not SignatureVerifier(SECRET).is_valid_request(body, stale)


# ---- body shapes -----------------------------------------------------------------------------

def test_slash_command_has_every_field_slack_sends() -> None:
    body = slash_command_body("shock eu 20%", response_url="http://127.0.0.1:1/response/r1")
    fields = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    assert set(fields) == {"token", "team_id", "team_domain", "channel_id", "channel_name", "user_id", "user_name",
                           "command", "text", "api_app_id", "is_enterprise_install", "response_url", "trigger_id"}
    assert fields["command"] == "/reset" and fields["text"] == "shock eu 20%"
    assert b"command=%2Freset" in body and b"text=shock+eu+20%25" in body


def test_block_actions_payload() -> None:
    body = block_actions_body("rerun", "shock|eu|20", response_url="http://127.0.0.1:1/response/r2")
    payload = json.loads(parse_qs(body.decode())["payload"][0])
    assert payload["type"] == "block_actions" and payload["container"]["type"] == "message"
    [action] = payload["actions"]
    assert (action["action_id"], action["value"], action["type"]) == ("rerun", "shock|eu|20", "button")
    assert payload["response_url"].endswith("/r2") and payload["channel"]["id"] == CHANNEL
    home = json.loads(parse_qs(block_actions_body("rerun", "v", container="view").decode())["payload"][0])
    assert "response_url" not in home and "channel" not in home and home["view"]["type"] == "home"


def test_post_only_talks_to_loopback() -> None:
    with pytest.raises(ValueError):
        post("https://hooks.slack.com/commands/x", b"{}", {})


# ---- end to end with Bolt --------------------------------------------------------------------

@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_user(USER)
        fake.add_channel(CHANNEL, "general", members=[USER])
        yield fake


@pytest.fixture
def app(slack: FakeSlack) -> App:
    app = App(client=WebClient(token=slack.token, base_url=slack.base_url), signing_secret=SECRET)

    @app.command("/reset")
    def reset(ack, respond, command):  # type: ignore[no-untyped-def]
        ack(f"got: {command['text']}")
        respond(text=f"done: {command['text']}", response_type="in_channel")

    @app.action("rerun")
    def rerun(ack, respond, action):  # type: ignore[no-untyped-def]
        ack()
        respond(text=f"rerun {action['value']}", replace_original=False)

    @app.event("app_home_opened")
    def home(client, event):  # type: ignore[no-untyped-def]
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": [{"type": "divider"}]})

    return app


def dispatch(app: App, body: bytes, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return app.dispatch(BoltRequest(body=body.decode(), headers=headers))


def test_bolt_accepts_signed_slash_command_and_responds(slack: FakeSlack, app: App) -> None:
    body = slash_command_body("gap", response_url=slack.response_url("r1", channel=CHANNEL, user=USER))
    response = dispatch(app, body, sign(SECRET, body))
    assert (response.status, response.body) == (200, "got: gap")  # Bolt acks text-only as plain text
    assert slack.wait_for(lambda: slack.responses("r1"))[0]["text"] == "done: gap"
    assert slack.wait_for(lambda: slack.messages(CHANNEL))[0]["text"] == "done: gap"
    assert slack.calls("auth.test")


def test_bolt_rejects_bad_signature(app: App) -> None:
    body = slash_command_body("gap")
    assert dispatch(app, body, sign("wrong-secret", body)).status == 401
    assert dispatch(app, body, sign(SECRET, body, int(time.time()) - 301)).status == 401


def test_bolt_button_and_event(slack: FakeSlack, app: App) -> None:
    body = block_actions_body("rerun", "shock|eu|20", user_id=USER, response_url=slack.response_url("r2"))
    assert dispatch(app, body, sign(SECRET, body)).status == 200
    assert slack.wait_for(lambda: slack.responses("r2"))[0]["text"] == "rerun shock|eu|20"

    body = event_body({"type": "app_home_opened", "user": USER, "channel": "D0000USER1", "tab": "home",
                       "event_ts": f"{time.time():.6f}"})
    assert dispatch(app, body, sign(SECRET, body)).status == 200
    assert slack.wait_for(lambda: slack.home_view(USER)) is not None


def test_post_reaches_a_loopback_server(slack: FakeSlack) -> None:
    url = slack.response_url("r3")
    status, text = post(url, json.dumps({"text": "hi"}).encode(), {"content-type": "application/json"})
    assert (status, json.loads(text)) == (200, {"ok": True})
    status, _ = post(url, b"not json", {"content-type": "application/json"})
    assert status == 400
