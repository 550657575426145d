"""`reset-bot serve` as a user runs it: a real process, real ports, the local Slack stand-in."""

from __future__ import annotations

import contextlib
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


# ---- the unsigned install pages are limited per client address (OAuth mode) ------------------


@contextlib.contextmanager
def oauth_served(slack, tmp_path, datasets, chart_cache, install_limit=None):
    """OAuth mode behind waitress, as `reset-bot serve` runs it: (port, runtime)."""
    import threading

    from waitress.server import create_server

    from bot.runtime import _log_failed_request, build_runtime
    from bot.serving.live_data import LiveData
    from bot.slack import server as http
    from bot.slack.front import RequestGuard
    from tests.bot.slack.test_oauth import oauth_settings
    from tests.processes import free_port

    port = free_port()
    runtime = build_runtime(oauth_settings(slack, port, tmp_path), data=LiveData(datasets), charts=chart_cache)
    if install_limit is None:
        application = runtime.wsgi()  # exactly what `reset-bot serve` runs, with the default limit
    else:
        guard = RequestGuard(SIGNING_SECRET, runtime.store.sightings)
        application = http.wsgi_app(runtime.app, runtime.health, guard, _log_failed_request,
                                    install_limit=install_limit)
    server = create_server(application, host="127.0.0.1", port=port, threads=4, **http.WAITRESS_OPTIONS)
    closing = threading.Event()

    def run() -> None:
        try:
            server.run()
        except OSError:
            if not closing.is_set():
                raise

    threading.Thread(target=run, daemon=True).start()
    try:
        yield port, runtime
    finally:
        closing.set()
        server.close()
        runtime.stop()
        runtime.store.dispose()


@pytest.fixture
def limited_installer(slack, tmp_path, datasets, chart_cache):
    """A small install-page limit (3 at once, 6 a minute) on an injected clock, so the test moves
    time instead of waiting."""
    from bot.slack.fairuse import Buckets, Limit
    from tests.fakes.clock import Clock

    clock = Clock(1000.0)
    limit = Buckets(Limit(burst=3, per_minute=6), clock=clock)
    with oauth_served(slack, tmp_path, datasets, chart_cache, install_limit=limit) as (port, runtime):
        yield port, runtime, clock


def _get_from(address: str, port: int, path: str) -> tuple[int, dict[str, str], str]:
    """A GET sent from ``address`` (any 127.x.y.z is this machine's loopback on Linux), so that the
    server sees a second client."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(address, 0))
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
    finally:
        connection.close()


def test_install_pages_past_the_limit_get_429_with_retry_after_and_cost_nothing(limited_installer, slack):
    from sqlalchemy import func, select, table

    from bot.storage.installations import STATES_TABLE

    port, runtime, clock = limited_installer

    def states() -> int:
        with runtime.store.database.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table(STATES_TABLE))).scalar_one()

    for _ in range(3):
        status, _, page = _get_from("127.0.0.1", port, "/slack/install")
        assert status == 200 and "Add to Slack" in page
    assert states() == 3
    status, headers, page = _get_from("127.0.0.1", port, "/slack/install")
    assert status == 429 and headers["retry-after"] == "10"  # one hit back every 10 s at 6 a minute
    assert "Too many install attempts" in page and "wait 10 seconds" in page and "Traceback" not in page
    assert headers["content-type"].startswith("text/html") and headers["cache-control"] == "no-store"
    # The callback shares the budget, and a refused one calls nothing: no oauth.v2.access, no row.
    status, _, _ = _get_from("127.0.0.1", port, "/slack/oauth_redirect?code=1.abc&state=x")
    assert status == 429 and slack.calls("oauth.v2.access") == [] and states() == 3
    # Another client address has its own budget…
    status, _, page = _get_from("127.0.0.2", port, "/slack/install")
    assert status == 200 and "Add to Slack" in page
    # …Slack's signed requests and the health check are not counted at all…
    url = slack.response_url("limited", channel=CHANNEL, user=USER)
    body = slash_command_body("help", team_id=slack.team_id, response_url=url)
    assert post_signed(f"http://127.0.0.1:{port}/slack/events", body, SIGNING_SECRET)[0] == 200
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/livez", timeout=5) as health:  # probes are never limited
        assert health.status == 200
    # …and ten seconds later the first address may open the page again.
    clock.advance(10.0)
    status, _, page = _get_from("127.0.0.1", port, "/slack/install")
    assert status == 200 and "Add to Slack" in page


def test_serve_limits_install_pages_by_default_and_a_person_retrying_never_meets_it(slack, tmp_path, datasets,
                                                                                    chart_cache):
    from bot.slack.server import INSTALL_PAGES_LIMIT

    with oauth_served(slack, tmp_path, datasets, chart_cache) as (port, _):
        # An install is two hits (the page, Slack's redirect back): starting over four times is fine…
        assert INSTALL_PAGES_LIMIT.burst == 10
        for _ in range(10):
            assert _get_from("127.0.0.1", port, "/slack/install")[0] == 200
        # …a script hammering the page is not (the 11th at once; then one every 3 s at 20 a minute).
        status, headers, _ = _get_from("127.0.0.1", port, "/slack/install")
        assert status == 429 and 1 <= int(headers["retry-after"]) <= 3
