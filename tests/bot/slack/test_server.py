"""`reset-bot serve` as a user runs it: a real process, real ports, the local Slack stand-in."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import CHANNEL, SIGNING_SECRET, USER
from tests.fakes.slack_requests import post, post_signed, sign, slash_command_body
from tests.processes import start, wait_healthy


@pytest.fixture
def server(slack, tmp_path):
    proc, port = start(slack, tmp_path)
    try:
        health = wait_healthy(port, proc)
        yield port, health
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_answers_signed_commands_over_http(server, slack):
    port, health = server
    assert health["mode"] == "http" and health["data_version"]
    url = slack.response_url("serve", channel=CHANNEL, user=USER)
    status, ack = post_signed(f"http://127.0.0.1:{port}/slack/events",
                              slash_command_body("shock eu 20%", response_url=url), SIGNING_SECRET)
    assert (status, ack) == (200, "")
    message = slack.wait_for(lambda: slack.messages(CHANNEL), timeout=20)[0]
    assert "$408bn" in json.dumps(message["blocks"])
    assert slack.wait_for(lambda: slack.files(CHANNEL), timeout=20)[0].data[:4] == b"\x89PNG"


def test_serve_refuses_forged_requests(server, slack):
    port, _ = server
    body = slash_command_body("gap")
    status, _ = post(f"http://127.0.0.1:{port}/slack/events", body, sign("wrong-secret", body))
    assert status == 401
    time.sleep(0.3)
    assert slack.calls("chat.postMessage") == []


def test_serve_with_a_revoked_token_stops_with_a_clear_message(slack, tmp_path):
    proc, _ = start(slack, tmp_path, SLACK_BOT_TOKEN="xoxb-revoked")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "could not start the Slack app" in err
    assert "Traceback" not in err


class TestStartUpErrorsNameTheVariable:
    def run(self, slack, tmp_path, **env) -> tuple[int, str]:
        proc, _ = start(slack, tmp_path, **env)
        _, err = proc.communicate(timeout=60)
        assert "Traceback" not in err
        return proc.returncode, err.strip().splitlines()[-1]

    def test_a_taken_port(self, slack, tmp_path):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen(1)
            port = taken.getsockname()[1]
            code, line = self.run(slack, tmp_path, PORT=str(port))
        assert code == 2
        assert line == f"reset-bot: PORT {port} is already in use on 127.0.0.1; stop the other server or set PORT"

    def test_a_slack_api_url_that_refuses_connections(self, slack, tmp_path):
        code, line = self.run(slack, tmp_path, SLACK_API_URL="http://127.0.0.1:9/api/")
        assert code == 2
        assert line.startswith("reset-bot: could not reach Slack at SLACK_API_URL http://127.0.0.1:9/api/:")

    def test_a_state_dir_that_is_not_a_directory(self, slack, tmp_path):
        not_a_dir = tmp_path / "state-file"
        not_a_dir.write_text("x")
        code, line = self.run(slack, tmp_path, RESET_BOT_STATE_DIR=str(not_a_dir))
        assert code == 2
        assert line.startswith(f"reset-bot: RESET_BOT_STATE_DIR {not_a_dir} is not usable:")


def test_a_deleted_database_turns_health_red_and_is_never_confirmed(slack, tmp_path):
    """The SQLite file removed under a running bot: it used to confirm subscriptions into the
    deleted file (gone after a restart) with /healthz at 200."""
    proc, port = start(slack, tmp_path)
    try:
        wait_healthy(port, proc)
        (tmp_path / "reset-bot.sqlite3").unlink()
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)
            raise AssertionError("healthz stayed green")
        except urllib.error.HTTPError as error:
            assert error.code == 503
            report = json.loads(error.read())
        assert report["ok"] is False and "disappeared" in report["problems"]["database"]
        with pytest.raises(urllib.error.HTTPError) as ready:  # /healthz is an alias of /readyz
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5)
        assert ready.value.code == 503 and "database" in json.loads(ready.value.read())["problems"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/livez", timeout=5) as live:
            assert live.status == 200  # the process still serves: no restart needed, just no traffic
        url = slack.response_url("sub", channel=CHANNEL, user=USER)
        status, _ = post_signed(f"http://127.0.0.1:{port}/slack/events",
                                slash_command_body("subscribe fri 16:30 UTC", response_url=url), SIGNING_SECRET)
        assert status == 200
        reply = slack.wait_for(lambda: slack.responses("sub"), timeout=20)
        text = " ".join(r.get("text", "") for r in reply)
        assert "nothing was changed" in text and "will get the Reset Bot briefing" not in text
        assert not any("briefing" in m.get("text", "").lower() for m in slack.messages(CHANNEL))
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_even_at_debug_the_log_has_no_token_secret_body_or_response_url(slack, tmp_path):
    with open(tmp_path / "stderr.log", "w+") as log:
        proc, port = start(slack, tmp_path, stderr=log, LOG_LEVEL="DEBUG")
        try:
            wait_healthy(port, proc)
            url = slack.response_url("logs", channel=CHANNEL, user=USER)
            marker = "BODYMARKER7731"
            events = f"http://127.0.0.1:{port}/slack/events"
            post_signed(events, slash_command_body(f"holdings {marker}", response_url=url), SIGNING_SECRET)
            post_signed(events, slash_command_body("gap", response_url=url), SIGNING_SECRET)
            # Answered after the ack through the response_url, so the bot's own POST to it is logged too.
            post_signed(events, slash_command_body("subscriptions", response_url=url), SIGNING_SECRET)
            post(events, slash_command_body(marker, response_url=url), sign("wrong-secret", b"x"))
            assert slack.wait_for(lambda: slack.files(CHANNEL) and slack.responses("logs"), timeout=20)
        finally:
            proc.terminate()
            proc.communicate(timeout=20)
        log.seek(0)
        err = log.read()
    assert "DEBUG" in err  # the log was written at debug level
    for secret in (slack.token, SIGNING_SECRET, url, url.split("://", 1)[1], marker):
        assert secret not in err
