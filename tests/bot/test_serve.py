"""`reset-bot serve` as a user runs it: a real process, real ports, the local Slack stand-in."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import CHANNEL, SIGNING_SECRET, USER
from tests.fakes.slack_requests import post, post_signed, sign, slash_command_body

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(slack, tmp_path, **extra) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update({"SLACK_BOT_TOKEN": slack.token, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": slack.base_url, "PORT": str(port), "HOST": "127.0.0.1",
                "RESET_BOT_STATE_DIR": str(tmp_path)}, **extra)
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, port


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited early: {proc.stderr.read()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                return json.loads(response.read())
        except OSError:
            time.sleep(0.1)
    raise AssertionError("serve never became healthy")


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
