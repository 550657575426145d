"""The front door (bot/slack/front.py, bot/slack/server.py): what a request must pass before anything runs.

Every case goes over real HTTP to the app served by waitress with the production options,
against the local Slack stand-in, on loopback. A request that is refused must cause nothing:
no Slack call, no response_url post, no outbound request to a listener the test runs.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.slack.front import MAX_BODY_BYTES, MemorySightings, RequestGuard, Verified
from tests.conftest import CHANNEL, SIGNING_SECRET
from tests.fakes.slack_requests import (
    block_actions_body,
    event_body,
    post,
    post_signed,
    sign,
    slash_command_body,
)


class Listener:
    """An HTTP server on loopback that records every request: where a forged response_url points."""

    def __init__(self) -> None:
        hits = self.hits = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                hits.append(self.path)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def slack_calls(slack) -> list[str]:
    return [c.method for c in slack.calls() if c.method != "auth.test"]


def drain(served) -> None:
    """Wait until every reply the app queued has run (instead of sleeping and hoping)."""
    served.app.replier.drain(timeout=10)


# Arabic-Indic digits go on the wire as UTF-8 bytes (http.client sends header values as latin-1).
UNVERIFIABLE_TIMESTAMPS = ["abc", "1e9", " 1700000000", "١٧٠٠٠٠٠٠٠٠".encode().decode("latin-1"), "9" * 400, "-1",
                           "", "0x10", "1.5"]


class TestUnverifiedRequestsCauseNothing:
    @pytest.mark.parametrize("timestamp", UNVERIFIABLE_TIMESTAMPS)
    def test_a_timestamp_that_is_not_an_integer_is_refused_without_any_outbound_request(
            self, served, slack, listener, timestamp):
        body = slash_command_body("help", response_url=listener.url)
        headers = {"content-type": "application/x-www-form-urlencoded",
                   "x-slack-request-timestamp": timestamp, "x-slack-signature": "v0=" + "0" * 64}
        status, _ = post(served.url, body, headers)
        assert status == 401
        drain(served)
        assert listener.hits == [] and slack_calls(slack) == []

    @pytest.mark.parametrize("signature", ["", "v0=", "v1=" + "a" * 64, "v0=" + "g" * 64, "v0=" + "a" * 6400])
    def test_a_malformed_signature_is_refused(self, served, slack, listener, signature):
        body = slash_command_body("gap", response_url=listener.url)
        headers = sign(SIGNING_SECRET, body)
        headers["x-slack-signature"] = signature
        status, _ = post(served.url, body, headers)
        assert status == 401
        drain(served)
        assert listener.hits == [] and slack_calls(slack) == []

    def test_sixteen_unverifiable_requests_do_not_delay_a_valid_one(self, served, slack, listener):
        bad = slash_command_body("help", response_url=listener.url)
        headers = {"content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": "abc",
                   "x-slack-signature": "v0=" + "0" * 64}
        with ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(lambda _: post(served.url, bad, headers)[0], range(16)))
        started = time.monotonic()
        status, ack = post_signed(served.url, slash_command_body("help"), SIGNING_SECRET)
        assert status == 200 and "/reset" in ack
        assert time.monotonic() - started < 3
        assert set(statuses) == {401} and listener.hits == []

    @pytest.mark.parametrize("body, content_type", [
        (b"payload=%7Bnot-json", "application/x-www-form-urlencoded"),
        (b"payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),
        (b"[1, 2, 3]", "application/json"),
        (b"{not json", "application/json"),
        (b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded"),
    ])
    def test_a_signed_body_slack_would_never_send_is_a_400_and_causes_nothing(self, served, slack, body,
                                                                                content_type):
        status, _ = post(served.url, body, sign(SIGNING_SECRET, body, content_type=content_type))
        assert status == 400
        drain(served)
        assert slack_calls(slack) == []

    def test_other_paths_and_methods_are_refused(self, served):
        status, _ = post(served.base + "/slack/other", b"x", {"content-type": "text/plain"})
        assert status == 404
        with socket.create_connection(("127.0.0.1", int(served.base.rsplit(":", 1)[1])), timeout=5) as conn:
            conn.sendall(b"GET /slack/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert b" 405 " in conn.recv(200)


class TestResponseUrls:
    def test_a_response_url_outside_slack_is_ignored_and_logged(self, served, slack, listener, caplog):
        slack.add_channel("C0000OUT01", "outside", bot_member=False)
        body = slash_command_body("gap", channel_id="C0000OUT01", response_url=listener.url)
        with caplog.at_level(logging.WARNING, logger="reset_bot.delivery"):
            status, _ = post_signed(served.url, body, SIGNING_SECRET)
            assert status == 200
            drain(served)
        assert listener.hits == []
        assert any("ignored a response_url" in r.getMessage() for r in caplog.records)

    def test_the_error_handler_replies_only_through_slacks_response_url(self, served, slack, listener, monkeypatch):
        def broken(*args, **kwargs):
            raise RuntimeError("boom")

        monkeypatch.setattr("bot.slack.app.parse", broken)
        status, ack = post_signed(served.url, slash_command_body("gap", response_url=listener.url), SIGNING_SECRET)
        assert status == 200 and "boom" not in ack
        token = "t-err"
        status, _ = post_signed(served.url, slash_command_body("gap", response_url=slack.response_url(token)),
                                SIGNING_SECRET)
        assert status == 200
        reply = slack.wait_for(lambda: slack.responses(token))
        assert "error id" in reply[0]["text"]
        drain(served)
        assert listener.hits == []


class TestBodyLimits:
    def test_a_body_over_the_limit_is_refused_before_it_is_read(self, served, caplog):
        port = int(served.base.rsplit(":", 1)[1])
        with caplog.at_level(logging.DEBUG), socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n" % (100 * 1024 * 1024))
            conn.sendall(b"{" + b"A" * 65536)  # the rest never comes: the answer must not wait for it
            answer = conn.recv(200)
        assert b" 413 " in answer
        assert not any("AAAA" in r.getMessage() for r in caplog.records)

    def test_a_signed_body_just_over_the_limit_is_refused(self, served, slack):
        body = slash_command_body("gap") + b"&pad=" + b"x" * MAX_BODY_BYTES
        status, _ = post(served.url, body, sign(SIGNING_SECRET, body))
        assert status == 413
        assert slack_calls(slack) == []

    def test_no_request_body_reaches_the_log(self, served, caplog):
        marker = "SECRETBODYMARKER"
        body = slash_command_body(marker)
        with caplog.at_level(logging.DEBUG):
            post(served.url, body, sign("wrong-secret", body))
            post(served.url, body, {"content-type": "application/x-www-form-urlencoded",
                                    "x-slack-request-timestamp": "abc", "x-slack-signature": "v0=x"})
            unhandled = block_actions_body("unknown_action", marker)
            post_signed(served.url, unhandled, SIGNING_SECRET)
            drain(served)
        assert not any(marker in r.getMessage() for r in caplog.records)


class TestReplays:
    def test_the_same_signed_request_twice_is_processed_once(self, served, slack):
        body = slash_command_body("gold")
        headers = sign(SIGNING_SECRET, body)
        first = post(served.url, body, headers)
        second = post(served.url, body, headers)
        assert first[0] == second[0] == 200
        slack.wait_for(lambda: slack.messages(CHANNEL))
        drain(served)
        # One answer and its one chart (an upload shows as a message of its own).
        assert len([m for m in slack.messages(CHANNEL) if not m.get("upload")]) == 1
        assert len(slack.files(CHANNEL)) == 1

    def test_slacks_retry_of_an_event_is_not_processed_again(self, served, slack):
        body = event_body({"type": "app_home_opened", "user": "U0000USER1", "channel": "D0000HOME1", "tab": "home"},
                          event_id="Ev0000RETRY1")
        assert post_signed(served.url, body, SIGNING_SECRET)[0] == 200
        slack.wait_for(lambda: slack.calls("views.publish"))
        retry = sign(SIGNING_SECRET, body, int(time.time()) + 1)  # a new signature, the same event
        retry.update({"x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"})
        assert post(served.url, body, retry)[0] == 200
        drain(served)
        assert len(slack.calls("views.publish")) == 1

    def test_a_replay_sent_to_another_replica_is_not_processed(self, runtime, slack, settings, datasets,
                                                               chart_cache):
        from bot.runtime import build_runtime
        from bot.serving.live_data import LiveData

        other = build_runtime(settings, data=LiveData(datasets), charts=chart_cache)  # same database
        try:
            body = slash_command_body("briefing")
            headers = sign(SIGNING_SECRET, body)
            verdicts = []
            for replica in (runtime, other):
                guard = RequestGuard(SIGNING_SECRET, replica.store.sightings)
                verdicts.append(guard.check(headers, body))
            assert [isinstance(v, Verified) and v.replay for v in verdicts] == [False, True]
        finally:
            other.store.dispose()

    def test_without_the_database_a_replica_still_refuses_replays_it_has_seen(self):
        class Down:
            def first_sighting(self, keys, *, now=None):
                raise OSError("database unreachable")

            def prune_sightings(self, before):
                raise OSError("database unreachable")

        guard = RequestGuard(SIGNING_SECRET, Down())
        body = slash_command_body("gap")
        headers = sign(SIGNING_SECRET, body)
        assert [guard.check(headers, body).replay for _ in range(2)] == [False, True]

    def test_memory_sightings_forget_keys_outside_the_window(self):
        from datetime import datetime, timedelta, timezone

        seen = MemorySightings()
        t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
        assert seen.first_sighting(["a"], now=t0)
        assert not seen.first_sighting(["a"], now=t0)
        assert seen.prune_sightings(t0 + timedelta(minutes=11)) == 1
        assert seen.first_sighting(["a"], now=t0 + timedelta(minutes=11))


class TestSlowAndIdleClients:
    def test_hundreds_of_idle_and_trickling_sockets_do_not_stop_signed_traffic(self, served, slack):
        """300 idle sockets plus 100 that send a header byte at a time: waitress's defaults (100
        connections) refused everything else until they closed."""
        port = int(served.base.rsplit(":", 1)[1])
        with ExitStack() as stack:
            idle = [stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=5)) for _ in range(300)]
            trickling = [stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=5))
                         for _ in range(100)]
            for conn in trickling:
                conn.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\n")
            timings = []
            for text in ("help", "gap", "holdings china"):
                started = time.monotonic()
                status, _ = post_signed(served.url, slash_command_body(text), SIGNING_SECRET, timeout=5)
                timings.append(time.monotonic() - started)
                assert status == 200
                for conn in trickling:
                    conn.sendall(b"X")
            with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                conn.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                assert b" 200 " in conn.recv(100)
            assert len(idle) == 300
        assert max(timings) < 3.0  # Slack's limit for the acknowledgement


class TestVerifiedRequestsNeverGet500:
    def test_a_signed_command_without_channel_id_gets_a_clear_message(self, served):
        body = b"command=%2Freset&text=gap&user_id=U0000USER1&team_id=T0000FAKE1"
        status, ack = post_signed(served.url, body, SIGNING_SECRET)
        assert status == 200 and "which conversation" in json.loads(ack)["text"]

    @pytest.mark.parametrize("payload", [
        {"type": "view_submission"},
        {"type": "view_submission", "view": {}},
        {"type": "block_actions"},
        {"type": "block_actions", "actions": [{"action_id": "reset_run:1", "value": None}]},
        {"type": "block_actions", "actions": [{"action_id": "reset_run:1", "value": "unsubscribe ²"}],
         "channel": {"id": CHANNEL}, "user": {"id": "U0000USER1"}},
        {"type": "shortcut", "callback_id": "nothing_here"},
        {"type": "nonsense"},
    ])
    def test_interactivity_payloads_of_any_shape_are_acknowledged(self, served, payload):
        body = ("payload=" + json.dumps(payload)).encode()
        status, _ = post_signed(served.url, body, SIGNING_SECRET)
        assert status == 200

    def test_a_listener_failure_is_acknowledged_with_an_error_id(self, served, monkeypatch):
        def broken(*args, **kwargs):
            raise RuntimeError("boom")

        monkeypatch.setattr("bot.slack.app.parse", broken)
        status, ack = post_signed(served.url, slash_command_body("gap"), SIGNING_SECRET)
        assert status == 200 and "boom" not in ack


def test_the_log_redacts_tokens_secrets_and_webhook_urls():
    from bot.redaction import RedactingFilter

    debug = logging.LogRecord("slack_bolt.App", logging.DEBUG, __file__, 1, "payload %s", ("x",), None)
    assert RedactingFilter().filter(debug) is False  # library debug lines print whole payloads
    record = logging.LogRecord("slack_sdk", logging.WARNING, __file__, 1, "POST %s with %s and secret %s", (
        "https://hooks.slack.com/commands/T1/123/abc", "xoxb-1111-2222-abcdef", SIGNING_SECRET), None)
    RedactingFilter([SIGNING_SECRET]).filter(record)
    message = record.getMessage()
    assert "hooks.slack.com" not in message and "xoxb-1111" not in message and SIGNING_SECRET not in message
    assert "[response_url]" in message and "xoxb-[redacted]" in message


@pytest.mark.parametrize("content_type, body", [
    ("application/json", b"[" * 50_000 + b"]" * 50_000),
    ("application/x-www-form-urlencoded", b"payload=" + b"%5B" * 30_000 + b"%5D" * 30_000),
])
def test_deeply_nested_json_is_a_400_not_a_crash(served, slack, content_type, body):
    """The attack suite's case: json.loads raises RecursionError, which is not a ValueError."""
    status, _ = post(served.url, body, sign(SIGNING_SECRET, body, content_type=content_type))
    assert status == 400
    assert slack_calls(slack) == []


class TestFoundByTheAttackSuite:
    def test_a_command_that_merely_contains_the_word_payload_is_answered(self, served, slack):
        """Bolt reads any form body containing "payload" as an (empty) interactivity payload."""
        url = slack.response_url("pl", channel=CHANNEL, user="U0000USER1")
        body = slash_command_body("holdings payload", channel_name="payload-team", response_url=url)
        status, ack = post_signed(served.url, body, SIGNING_SECRET)
        assert status == 200 and "payload" in json.loads(ack)["text"]  # the usage error, in the ack
        status, ack = post_signed(served.url, slash_command_body("gold", channel_name="payload-team"), SIGNING_SECRET)
        assert status == 200
        assert slack.wait_for(lambda: slack.messages(CHANNEL))

    def test_a_response_url_that_is_not_a_url_is_ignored_at_once(self, served, slack):
        body = slash_command_body("gap", response_url="https://[::1/response/x")
        started = time.monotonic()
        status, _ = post_signed(served.url, body, SIGNING_SECRET)
        assert status == 200 and time.monotonic() - started < 1.0
        assert slack.wait_for(lambda: slack.messages(CHANNEL))

    @pytest.mark.parametrize("depth", [1000, 5000])
    def test_nesting_that_the_parser_survives_is_still_acknowledged(self, served, depth):
        payload = '{"type": "block_actions", "x": ' + "[" * depth + "]" * depth + "}"
        body = ("payload=" + payload).encode()
        status, _ = post(served.url, body, sign(SIGNING_SECRET, body))
        assert status in (200, 400)


@pytest.mark.parametrize(("peer", "key"), [
    ("192.0.2.7", "192.0.2.7"),
    ("::ffff:192.0.2.7", "192.0.2.7"),  # an IPv4 client on a dual-stack socket is the same client
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),  # an IPv6 host owns its /64: one budget for all of it
    ("2001:db8:1:2:ffff::9", "2001:db8:1:2::/64"),
    ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
    ("", "unknown"),
    ("not-an-address", "not-an-address"),
])
def test_client_address_counts_an_ipv6_host_by_its_64(peer, key):
    from bot.slack.front import client_address

    assert client_address({"REMOTE_ADDR": peer}) == key
