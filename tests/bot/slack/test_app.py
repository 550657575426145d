"""The Slack app end to end: signed HTTP requests in, Web API calls out, as Slack would see it.

Each test drives the app behind waitress on 127.0.0.1 with requests signed like Slack's, and
reads what arrived at the local Slack stand-in (tests/fakes/slack_api.py).
"""

from __future__ import annotations

import io
import json
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.storage.records import Workspace
from handlers import subscriptions as texts
from tests.conftest import CHANNEL, SIGNING_SECRET, USER
from tests.fakes.slack_requests import (
    block_actions_body,
    event_body,
    post,
    post_signed,
    press,
    sign,
    slash_command_body,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def command(served, slack, text, *, channel=CHANNEL, token_id=None):
    url = slack.response_url(token_id, channel=channel, user=USER)
    body = slash_command_body(text, channel_id=channel, response_url=url)
    status, ack = post_signed(served.url, body, SIGNING_SECRET)
    return status, ack, url.rsplit("/", 1)[-1]


def all_text(message) -> str:
    return json.dumps(message.get("blocks", [])) + message.get("text", "")


class TestASlashCommand:
    def test_gap_is_acknowledged_empty_then_posted_with_its_chart(self, served, slack):
        status, ack, _ = command(served, slack, "gap")
        assert (status, ack) == (200, "")
        messages = slack.wait_for(lambda: slack.messages(CHANNEL))
        text = all_text(messages[0])
        for figure in ("$68.9T", "$41.3T", "$27.6T", "89.7%"):
            assert figure in text
        assert "Sources:" in text and "vintage" in text
        files = slack.wait_for(lambda: slack.files(CHANNEL))
        assert files[0].data.startswith(PNG_MAGIC)
        assert files[0].title and files[0].alt_txt

    def test_shock_shows_amount_range_and_the_articles_figure(self, served, slack):
        status, _, _ = command(served, slack, "shock eu 20%")
        assert status == 200
        text = all_text(slack.wait_for(lambda: slack.messages(CHANNEL))[0])
        assert "$408bn" in text
        assert "+10 bp (range +4 bp to +29 bp)" in text
        assert "+102 bp" in text
        buttons = [e for b in slack.messages(CHANNEL)[0]["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert "shock eu 20% pause" in [b["value"] for b in buttons]
        assert slack.wait_for(lambda: slack.files(CHANNEL))[0].data.startswith(PNG_MAGIC)

    def test_help_and_usage_errors_come_back_in_the_acknowledgement_only_to_the_asker(self, served, slack):
        for text, expected in (("help", "/reset shock"), ("shock eu 120%", "outside 0–100%"), ("gpa", "Did you mean")):
            status, ack, _ = command(served, slack, text)
            assert status == 200
            payload = json.loads(ack)
            assert payload["response_type"] == "ephemeral"
            assert expected in all_text(payload)
        time.sleep(0.3)
        assert slack.calls("chat.postMessage") == []


class TestRepliesAndAcknowledgements:
    def test_a_reply_starts_once_its_command_is_acked_without_waiting_for_the_http_answer(self, served, slack,
                                                                                           monkeypatch):
        # Bolt decides the ack in its listener thread and notices it by polling; the reply must not
        # wait for that (nor for anything after it). Here the HTTP answer is held back until the
        # reply has been posted: were the reply waiting for the answer, neither would ever come.
        gate = served.app.gate
        monkeypatch.setattr(gate, "max_wait", 30)  # so a reply held by the gate would miss the wait below
        bolt, answer_may_go = served.app.bolt, threading.Event()
        dispatch = bolt.dispatch

        def answer_after_the_reply(request):
            response = dispatch(request)
            answer_may_go.wait(timeout=20)
            return response

        monkeypatch.setattr(bolt, "dispatch", answer_after_the_reply)
        with ThreadPoolExecutor(1) as pool:
            acked = pool.submit(command, served, slack, "gap")
            messages = slack.wait_for(lambda: slack.messages(CHANNEL), timeout=10)
            assert not acked.done()  # the reply went out while its request's HTTP answer was still held
            answer_may_go.set()
            assert acked.result(timeout=10)[0] == 200
        assert "$27.6T" in all_text(messages[0])


    def test_replies_wait_until_the_answers_of_other_requests_are_written(self, runtime, slack):
        # The server's thread is still writing a request's answer until it closes the WSGI body:
        # replies of other requests hold back until then (or at most `max_wait`).
        gate = runtime.app.gate
        gate.max_wait = 30
        body = slash_command_body("help", channel_id=CHANNEL, response_url=slack.response_url(None, channel=CHANNEL))
        headers = sign(SIGNING_SECRET, body)
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/slack/events", "CONTENT_LENGTH": str(len(body)),
                   "CONTENT_TYPE": headers["content-type"], "wsgi.input": io.BytesIO(body), "SERVER_NAME": "x",
                   "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
                   "QUERY_STRING": "", "REMOTE_ADDR": "127.0.0.1"}
        environ.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items() if k != "content-type"})
        answer = runtime.wsgi()(environ, lambda status, headers, exc_info=None: None)
        try:
            assert b"/reset shock" in b"".join(answer)  # the answer is ready, but not yet closed
            reply_of_another_request = threading.Thread(target=gate.wait_idle)
            reply_of_another_request.start()
            reply_of_another_request.join(timeout=0.2)
            assert reply_of_another_request.is_alive()
        finally:
            answer.close()  # waitress: the body is written
        reply_of_another_request.join(timeout=5)
        assert not reply_of_another_request.is_alive()
        answer.close()  # a second close (some servers or middleware) changes nothing
        started = time.monotonic()
        gate.wait_idle()
        assert time.monotonic() - started < 5

    def test_unsigned_requests_never_hold_replies_back(self, runtime, slack):
        gate = runtime.app.gate
        gate.max_wait = 30
        body = slash_command_body("gap", channel_id=CHANNEL)
        headers = sign("not-the-signing-secret", body)
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/slack/events", "CONTENT_LENGTH": str(len(body)),
                   "CONTENT_TYPE": headers["content-type"], "wsgi.input": io.BytesIO(body), "SERVER_NAME": "x",
                   "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
                   "QUERY_STRING": "", "REMOTE_ADDR": "127.0.0.1"}
        environ.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items() if k != "content-type"})
        statuses = []
        answer = runtime.wsgi()(environ, lambda status, headers, exc_info=None: statuses.append(status))
        try:
            b"".join(answer)
            assert statuses[0].startswith("401")
            reply_of_another_request = threading.Thread(target=gate.wait_idle)
            reply_of_another_request.start()
            reply_of_another_request.join(timeout=5)  # the forged request, still unclosed, holds nothing
            assert not reply_of_another_request.is_alive()
        finally:
            answer.close()


class TestRequestVerification:
    @pytest.mark.parametrize("case", ["forged", "unsigned", "stale"])
    def test_bad_signatures_get_401_and_cause_nothing(self, served, slack, case):
        body = slash_command_body("gap", response_url=slack.response_url("t1"))
        if case == "forged":
            headers = sign("not-the-secret", body)
        elif case == "unsigned":
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
        else:
            headers = sign(SIGNING_SECRET, body, int(time.time()) - 301)
        status, _ = post(served.url, body, headers)
        assert status == 401
        time.sleep(0.5)
        assert [c.method for c in slack.calls() if c.method != "auth.test"] == []
        assert slack.responses("t1") == []

    def test_a_tampered_body_is_refused(self, served, slack):
        body = slash_command_body("gap")
        headers = sign(SIGNING_SECRET, body)
        status, _ = post(served.url, body.replace(b"gap", b"gold"), headers)
        assert status == 401


class TestWhereTheBotCannotPost:
    def test_not_in_channel_still_answers_through_response_url_with_an_invite_hint(self, served, slack):
        slack.add_channel("C0000OUT01", "outside", bot_member=False)
        status, _, token = command(served, slack, "gap", channel="C0000OUT01")
        assert status == 200
        responses = slack.wait_for(lambda: len(slack.responses(token)) >= 2 and slack.responses(token))
        kinds = {r.get("response_type") for r in responses}
        assert kinds == {"in_channel", "ephemeral"}
        assert any("$68.9T" in all_text(r) for r in responses)
        assert any("/invite" in all_text(r) for r in responses)
        assert slack.files("C0000OUT01") == []

    @pytest.mark.parametrize("kind", ["private", "im"])
    def test_private_channels_and_dms_the_bot_is_not_in(self, served, slack, kind):
        channel = "G0000PRIV1" if kind == "private" else "D0000USER2"
        slack.add_channel(channel, "secret", private=kind == "private", im=kind == "im", bot_member=False,
                          **({"user": USER} if kind == "im" else {}))
        status, _, token = command(served, slack, "shock china 10%", channel=channel)
        assert status == 200
        responses = slack.wait_for(lambda: len(slack.responses(token)) >= 2 and slack.responses(token))
        assert any("China" in all_text(r) for r in responses)


class TestFaults:
    def test_rate_limited_post_is_retried_after_retry_after(self, served, slack):
        slack.fail_next("chat.postMessage", status=429, retry_after=1)
        command(served, slack, "gold")
        assert slack.wait_for(lambda: slack.files(CHANNEL), timeout=10)  # the whole reply is out, chart last
        posted = [m for m in slack.messages(CHANNEL) if not m.get("upload")]  # not the chart's own message
        assert len(posted) == 1
        statuses = [c.status for c in slack.calls("chat.postMessage")]
        assert statuses == [429, 200]

    def test_failed_chart_upload_keeps_the_text_and_tells_the_asker(self, served, slack):
        slack.fail_next("upload", status=500, times=3)
        _, _, token = command(served, slack, "refinancing")
        assert slack.wait_for(lambda: slack.messages(CHANNEL))
        notes = slack.wait_for(lambda: slack.responses(token), timeout=10)
        assert "could not be uploaded" in all_text(notes[0])
        assert slack.files(CHANNEL) == []

    def test_an_unexpected_error_gives_the_user_an_error_id(self, served, slack, monkeypatch):

        def broken(*args, **kwargs):
            raise RuntimeError("boom")

        monkeypatch.setattr("bot.slack.app.answer", broken)
        monkeypatch.setattr("bot.slack.replier.cached_answer", broken)
        _, _, token = command(served, slack, "gap")
        reply = slack.wait_for(lambda: slack.responses(token))[0]
        assert reply["response_type"] == "ephemeral"
        assert "error id" in reply["text"]
        assert "boom" not in reply["text"] and "Traceback" not in reply["text"]


NONSENSE = ["", " ", "💥", "shock", "shock eu", "shock eu 1000%", "holdings atlantis", "subscribe fri 99:99",
            "<script>", "a" * 3000, "shock eu 20% sell sell", "/reset", "gap gap", "%", "unsubscribe x",
            "help me", "sources please"]


@pytest.mark.parametrize("text", NONSENSE)
def test_no_input_makes_the_app_fail_or_fall_silent(served, slack, text):
    status, ack, token = command(served, slack, text)
    assert status == 200
    if ack:
        reply = json.loads(ack)["text"]
    else:  # acknowledged empty: the answer must follow in the channel or to the asker
        answers = slack.wait_for(lambda: slack.messages(CHANNEL) or slack.responses(token))
        reply = " ".join(a.get("text", "") for a in answers)
    assert reply.strip()
    assert "error id" not in reply  # an explained answer, not the "something went wrong" fallback


def test_button_clicks_are_handled_like_commands(served, slack):
    url = slack.response_url("btn", channel=CHANNEL, user=USER)
    body = block_actions_body("reset_run:2", "shock eu 20% pause", channel_id=CHANNEL, response_url=url)
    status, _ = post_signed(served.url, body, SIGNING_SECRET)
    assert status == 200
    message = slack.wait_for(lambda: slack.messages(CHANNEL))[0]
    assert "stops buying" in all_text(message)


def test_app_home_shows_headline_numbers_and_the_cheat_sheet(served, slack):
    body = event_body({"type": "app_home_opened", "user": USER, "channel": "D0000HOME1", "tab": "home"})
    status, _ = post_signed(served.url, body, SIGNING_SECRET)
    assert status == 200
    view = slack.wait_for(lambda: slack.home_view(USER))
    text = json.dumps(view)
    assert "$68.9T" in text and "/reset shock" in text and "Sources:" in text


def test_forty_concurrent_commands_are_all_acknowledged_in_time_and_answered(served, slack):
    """Forty people in two channels at once (one person's burst is limited: see test_fairuse.py)."""
    texts = ["gap", "shock eu 20%", "holdings", "gold", "buying", "refinancing", "claims", "holdings china"] * 5
    channels = [CHANNEL, "C0000TWO02"]
    slack.add_channel(channels[1], "second")

    def one(numbered):
        n, text = numbered
        channel = channels[n % 2]
        url = slack.response_url(channel=channel, user=f"U00000{n:04d}")
        body = slash_command_body(text, channel_id=channel, user_id=f"U00000{n:04d}", response_url=url)
        started = time.monotonic()
        status, _ = post_signed(served.url, body, SIGNING_SECRET)
        return status, time.monotonic() - started

    with ThreadPoolExecutor(max_workers=40) as pool:
        results = list(pool.map(one, enumerate(texts)))
    assert all(status == 200 for status, _ in results)
    assert max(latency for _, latency in results) < 3.0  # Slack's hard limit for the acknowledgement
    # Text posts only: each chart upload adds a file message of its own.
    assert slack.wait_for(lambda: sum(1 for c in channels for m in slack.messages(c) if not m.get("upload")) == 40,
                          timeout=120)


def test_health_check(served, runtime):
    with urllib.request.urlopen(f"{served.base}/livez", timeout=5) as response:  # serving: alive
        assert response.status == 200
    runtime.briefings.scheduler.start()  # ready once the scheduler runs too (`reset-bot serve` starts it)
    try:
        with urllib.request.urlopen(f"{served.base}/healthz", timeout=5) as response:
            assert response.status == 200
            assert json.loads(response.read())["ok"] is True
    finally:
        runtime.briefings.scheduler.shutdown()


class TestBriefingCommands:
    def test_subscribe_list_send_now_and_unsubscribe_from_slack(self, served, slack):
        command(served, slack, "subscribe weekly fri 16:30 Europe/London")
        confirmation = slack.wait_for(lambda: slack.messages(CHANNEL))[0]  # visible to the channel
        assert "every Friday at 16:30 Europe/London" in confirmation["text"] and "UTC" in confirmation["text"]

        _, _, token = command(served, slack, "subscriptions")
        listing = slack.wait_for(lambda: slack.responses(token))[0]
        assert listing["response_type"] == "ephemeral" and "next" in listing["text"]

        command(served, slack, "briefing")
        briefing = slack.wait_for(lambda: [m for m in slack.messages(CHANNEL) if m.get("metadata")])[0]
        assert "weekly briefing" in json.dumps(briefing["blocks"])

        command(served, slack, "unsubscribe")
        assert slack.wait_for(lambda: [m for m in slack.messages(CHANNEL) if "Stopped the briefing" in m["text"]])

    def test_subscribing_a_private_channel_without_the_bot_names_the_invite(self, served, slack):
        slack.add_channel("G0000PRIV9", "secret", private=True, bot_member=False)
        _, _, token = command(served, slack, "subscribe weekly", channel="G0000PRIV9")  # bare: the form
        reply = slack.wait_for(lambda: slack.responses(token))[0]
        assert reply["response_type"] == "ephemeral" and "/invite @Reset Bot" in reply["text"]

    def test_a_command_from_another_workspace_never_reaches_this_ones_subscriptions(self, served, slack, runtime):
        """Signed commands from two workspaces, in channels with the same id: the workspace is taken
        from the request (Bolt's context), and every briefing command is scoped by it."""
        def in_workspace(text, team_id, enterprise_id=None):
            url = slack.response_url(None, channel=CHANNEL, user=USER)
            body = slash_command_body(text, channel_id=CHANNEL, response_url=url, team_id=team_id,
                                      enterprise_id=enterprise_id)
            assert post_signed(served.url, body, SIGNING_SECRET)[0] == 200
            return url.rsplit("/", 1)[-1]

        in_workspace("subscribe weekly fri 16:30 Europe/London", "T0000FAKE1")
        slack.wait_for(lambda: [m for m in slack.messages(CHANNEL) if "Friday" in m["text"]])
        token = in_workspace("subscriptions", "T0000OTHR2", "E0000GRID2")
        assert slack.wait_for(lambda: slack.responses(token))[0]["text"] == texts.no_briefings().text
        token = in_workspace("unsubscribe", "T0000OTHR2", "E0000GRID2")
        assert slack.wait_for(lambda: slack.responses(token))[0]["text"] == texts.nothing_to_stop().text
        in_workspace("subscribe weekly mon 09:00 UTC", "T0000OTHR2", "E0000GRID2")
        slack.wait_for(lambda: [m for m in slack.messages(CHANNEL) if "Monday" in m["text"]])
        ours = runtime.store.subscriptions.in_channel(Workspace("T0000FAKE1"), CHANNEL)
        theirs = runtime.store.subscriptions.in_channel(Workspace("T0000OTHR2"), CHANNEL)
        assert [(s.weekday, s.enterprise_id) for s in ours] == [("fri", None)]
        assert [(s.weekday, s.enterprise_id) for s in theirs] == [("mon", "E0000GRID2")]


# -- issue 14: the data behind every chart; follow-up answers in the message's thread ---------------

def posted_reply(served, slack, text, *, channel=CHANNEL):
    """The bot's text message (not its chart's file message) for a command, once its chart is up too."""
    command(served, slack, text, channel=channel)
    slack.wait_for(lambda: slack.files(channel))
    served.app.replier.drain()
    return next(m for m in slack.messages(channel) if not m.get("upload"))


def read_csv(data: bytes):
    import io

    import pandas as pd

    from handlers.charts.data import COLUMNS
    return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False,
                       dtype={c: str for c in COLUMNS if c != "value"})


class TestDataButton:
    def test_every_chart_reply_carries_it(self, served, slack):
        message = posted_reply(served, slack, "gold")
        (block,) = [b for b in message["blocks"] if b.get("block_id") == "chart_data"]
        assert [e["text"]["text"] for e in block["elements"]] == ["Data (CSV)"]

    def test_pressing_it_uploads_the_plotted_rows_into_the_messages_thread(self, served, slack, datasets):
        from handlers.charts import data as d
        from handlers.charts.topics import axes_of, figure

        message = posted_reply(served, slack, "gap")
        url = slack.response_url("csv", channel=CHANNEL, user=USER)
        status, _ = post_signed(served.url, press(message, "reset_csv", response_url=url), SIGNING_SECRET)
        assert status == 200
        csv_file = slack.wait_for(lambda: [f for f in slack.files(CHANNEL) if f.filename.endswith(".csv")])[0]
        assert csv_file.thread_ts == message["ts"]  # in the chart message's thread, not the channel
        assert csv_file.filename == "reset-gap-data.csv"
        frame = read_csv(csv_file.data)
        # The same numbers the chart plots, read back from the drawn line, to the last digit.
        plotted = next(line for line in axes_of(figure("gap", datasets)).get_lines()
                       if line.get_label() == "Net position, year-end")
        assert frame[frame["series"] == d.NET_YEAR_END]["value"].tolist() == list(plotted.get_ydata())
        assert set(frame["vintage"]) and (frame["source"] != "").all()
        assert datasets.version in (csv_file.initial_comment or "")
        assert "updated since" not in (csv_file.initial_comment or "")

    def test_a_chart_in_a_thread_gets_its_data_in_the_same_thread(self, served, slack):
        message = posted_reply(served, slack, "holdings china")
        in_thread = {**message, "thread_ts": "1700000000.000100"}
        post_signed(served.url, press(in_thread, "reset_csv"), SIGNING_SECRET)
        csv_file = slack.wait_for(lambda: [f for f in slack.files(CHANNEL) if f.filename.endswith(".csv")])[0]
        assert csv_file.thread_ts == "1700000000.000100"
        assert read_csv(csv_file.data)["series"].unique().tolist() == ["China (mainland)"]

    def test_where_the_bot_cannot_share_the_file_goes_to_the_askers_dm_and_it_is_told(self, served, slack):
        slack.add_channel("C0000OUT01", "outside", bot_member=False)
        slack.add_member("C0000OUT01", USER)
        command(served, slack, "gap", channel="C0000OUT01")  # answered through the response_url, no chart
        served.app.replier.drain()
        message = next(m for m in slack.messages("C0000OUT01") if "$68.9T" in all_text(m))
        url = slack.response_url("dm", channel="C0000OUT01", user=USER)
        post_signed(served.url, press(message, "reset_csv", channel_id="C0000OUT01", response_url=url),
                    SIGNING_SECRET)
        im = "D" + USER[1:]
        csv_file = slack.wait_for(lambda: [f for f in slack.files(im) if f.filename.endswith(".csv")])[0]
        assert csv_file.thread_ts is None
        assert not read_csv(csv_file.data).empty
        note = slack.wait_for(lambda: slack.responses("dm"))[0]
        assert note["response_type"] == "ephemeral" and "direct messages" in note["text"]
        assert [f for f in slack.files("C0000OUT01")] == []

    def test_on_an_ephemeral_message_the_file_goes_to_the_dm(self, served, slack):
        message = posted_reply(served, slack, "refinancing")
        url = slack.response_url("eph", channel=CHANNEL, user=USER)
        before = len(slack.files(CHANNEL))
        post_signed(served.url, press(message, "reset_csv", is_ephemeral=True, response_url=url), SIGNING_SECRET)
        im = "D" + USER[1:]
        csv_file = slack.wait_for(lambda: [f for f in slack.files(im) if f.filename.endswith(".csv")])[0]
        assert "Notes & bonds due ≤12 months" in read_csv(csv_file.data)["series"].tolist()
        assert "only to you" in slack.wait_for(lambda: slack.responses("eph"))[0]["text"]
        assert len(slack.files(CHANNEL)) == before  # nothing shared in the channel

    def test_a_forged_button_value_gets_an_explanation_not_a_file(self, served, slack):
        url = slack.response_url("bad", channel=CHANNEL, user=USER)
        for value in ("not json", '{"chart": "pie"}'):
            post_signed(served.url, block_actions_body("reset_csv:0", value, channel_id=CHANNEL, response_url=url),
                        SIGNING_SECRET)
        answers = slack.wait_for(lambda: len(slack.responses("bad")) >= 2 and slack.responses("bad"))
        assert all(a["response_type"] == "ephemeral" and "error id" not in a["text"] for a in answers)
        assert slack.files(CHANNEL) == []


class TestFollowUpsAnswerInTheThread:
    def test_a_follow_up_button_answers_in_the_thread_of_its_message(self, served, slack):
        message = posted_reply(served, slack, "holdings")
        post_signed(served.url, press(message, "reset_run"), SIGNING_SECRET)  # "China"
        answer = slack.wait_for(lambda: [m for m in slack.messages(CHANNEL)
                                         if m.get("thread_ts") and not m.get("upload")])
        assert answer[0]["thread_ts"] == message["ts"] and "China" in all_text(answer[0])
        chart = slack.wait_for(lambda: [f for f in slack.files(CHANNEL) if f.thread_ts == message["ts"]])
        assert chart[0].data.startswith(PNG_MAGIC)  # its chart in the thread too
        # A parent carries its own ts as thread_ts once it has replies, as in Slack.
        tops = [m for m in slack.messages(CHANNEL) if m.get("thread_ts") in (None, m["ts"])]
        assert len([m for m in tops if not m.get("upload")]) == 1  # the channel got no new top-level answer

    def test_a_button_on_a_reply_inside_a_thread_stays_in_that_thread(self, served, slack):
        message = posted_reply(served, slack, "gap")
        in_thread = {**message, "thread_ts": "1700000000.000200"}
        post_signed(served.url, press(in_thread, "reset_run", index=1), SIGNING_SECRET)
        answer = slack.wait_for(lambda: [m for m in slack.messages(CHANNEL)
                                         if m.get("thread_ts") == "1700000000.000200" and not m.get("upload")])
        assert "Treasur" in all_text(answer[0])

    def test_a_button_on_an_ephemeral_message_answers_as_before_outside_any_thread(self, served, slack):
        url = slack.response_url("ephrun", channel=CHANNEL, user=USER)
        body = block_actions_body("reset_run:0", "gold", channel_id=CHANNEL, response_url=url, is_ephemeral=True)
        post_signed(served.url, body, SIGNING_SECRET)
        answer = slack.wait_for(lambda: [m for m in slack.messages(CHANNEL) if not m.get("upload")])
        assert "thread_ts" not in answer[0]
