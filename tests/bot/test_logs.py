"""Log lines as JSON carry the request's Slack ids and nothing secret."""

from __future__ import annotations

import json
import logging
import threading

import pytest

from bot.logs import ContextPool, JsonFormatter, current, formatter, request_scope
from bot.redaction import RedactingFilter
from tests import processes
from tests.conftest import CHANNEL, SIGNING_SECRET, USER
from tests.fakes.slack_requests import block_actions_body, post_signed, slash_command_body


@pytest.fixture(autouse=True)
def no_request(monkeypatch):
    """Each test starts outside any request: a test elsewhere that dispatched to Bolt directly (no
    server scope around it) leaves its ids bound in this thread, as a Socket Mode thread would."""
    from bot import logs

    token = logs._current.set(logs.NO_IDS)
    yield
    logs._current.reset(token)


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("reset_bot.app", logging.WARNING, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(rec, key, value)
    return rec


def test_a_json_line_has_time_level_logger_message_and_the_request_ids():
    with request_scope(team="T1", channel="C1", user="U1"):
        line = json.loads(JsonFormatter().format(record("posted %s", "gap", error_id="ab12cd34")))
    assert line["level"] == "WARNING" and line["logger"] == "reset_bot.app" and line["message"] == "posted gap"
    assert line["time"].endswith("+00:00")
    assert (line["team"], line["channel"], line["user"], line["error_id"]) == ("T1", "C1", "U1", "ab12cd34")
    assert "enterprise" not in line  # unknown ids are left out, not written empty


def test_scopes_nest_and_unwind():
    with request_scope(team="T1"):
        with request_scope(channel="C9"):
            assert (current().team, current().channel) == ("T1", "C9")
        assert (current().team, current().channel) == ("T1", "")
    assert current().team == ""


def test_work_handed_to_a_context_pool_keeps_the_ids_of_whoever_submitted_it():
    seen: list[str] = []
    done = threading.Event()
    with ContextPool(max_workers=1) as pool:
        pool.submit(lambda: None).result()  # the worker thread exists before the scope does
        with request_scope(team="T7"):
            pool.submit(lambda: (seen.append(current().team), done.set()))
        done.wait(5)
        assert pool.submit(lambda: current().team).result() == ""  # and does not leak into later work
    assert seen == ["T7"]


def test_text_stays_the_default_format():
    assert not isinstance(formatter("text"), JsonFormatter)
    assert isinstance(formatter("json"), JsonFormatter)


def test_a_traceback_is_redacted_before_it_is_written():
    try:
        raise RuntimeError("failed with xoxb-123-secret-token")
    except RuntimeError:
        import sys

        rec = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", None, sys.exc_info())
    RedactingFilter().filter(rec)
    line = json.loads(JsonFormatter().format(rec))
    assert "xoxb-123" not in line["exc"] and "RuntimeError" in line["exc"]


@pytest.mark.slow
def test_after_an_end_to_end_run_the_json_log_has_ids_and_no_secret(slack, tmp_path):
    """A real `reset-bot serve` with LOG_FORMAT=json at DEBUG, a command, a button and a bad
    request; every line parses, the request lines name team/channel/user, and no token, secret,
    request text or response_url is anywhere in the log."""
    log = tmp_path / "stderr.log"
    secret_text = "shock eu 20% zebra-canary"  # what the user typed: a request body's content
    with log.open("w") as stderr:
        proc, port = processes.start(slack, tmp_path, stderr=stderr, LOG_FORMAT="json", LOG_LEVEL="DEBUG")
        try:
            processes.wait_healthy(port, proc)
            url = f"http://127.0.0.1:{port}/slack/events"
            response_url = slack.response_url("logs", channel=CHANNEL, user=USER)
            assert post_signed(url, slash_command_body(secret_text, response_url=response_url),
                               SIGNING_SECRET)[0] == 200
            assert post_signed(url, slash_command_body("gap", response_url=response_url), SIGNING_SECRET)[0] == 200
            button = block_actions_body("reset_run:gold", value="gold", response_url=response_url)
            assert post_signed(url, button, SIGNING_SECRET)[0] == 200
            assert post_signed(url, slash_command_body("gap"), "wrong-secret")[0] == 401
            assert slack.wait_for(lambda: len(slack.messages(CHANNEL)) >= 3, timeout=30)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    text = log.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert lines, "the bot logged nothing"
    assert any(ln.get("team") == slack.team_id and ln.get("channel") == CHANNEL and ln.get("user") == USER
               for ln in lines), "no line names the request's team, channel and user"
    for forbidden in (slack.token, SIGNING_SECRET, response_url, "zebra-canary", "hooks.slack.com", "/response/"):
        assert forbidden not in text, f"{forbidden!r} leaked into the log"
