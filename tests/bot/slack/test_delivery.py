"""Putting a `Reply` into Slack (bot/slack/delivery.py), against the Slack stand-in over HTTP: the
post and its chart uploads, the response_url fallback where the bot is not a member, which
response_urls may be used at all, and the bounded retries of webhook posts."""

from __future__ import annotations

import json
import logging

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.serving.chart_cache import ChartCache
from bot.slack.delivery import (
    BoundedRateLimitRetryHandler,
    Delivered,
    Destination,
    ResponseUrls,
    SlackDelivery,
    error_code,
    webhook_retry_handlers,
)
from handlers.reply import ChartRef, Reply
from tests.conftest import CHANNEL, USER

PNG = b"\x89PNG\r\n\x1a\n stand-in chart"
GAP = ChartRef(key="gap", title="The reserve gap", alt_text="A line chart of the gap", filename="gap.png")
GOLD = ChartRef(key="gold", title="Gold reserves", alt_text="Bars of gold reserves", filename="gold.png")
OUTSIDE = "C0000OUT01"


def reply(text="The gap is *$68.9T*.", *, charts=(), visibility="in_channel") -> Reply:
    return Reply(text=text, blocks=({"type": "section", "text": {"type": "mrkdwn", "text": text}},),
                 charts=tuple(charts), visibility=visibility)


@pytest.fixture
def client(slack) -> WebClient:
    """A WebClient with no retries of its own, so each fault below reaches the delivery code once."""
    return WebClient(token=slack.token, base_url=slack.base_url, timeout=5, retry_handlers=[])


@pytest.fixture
def delivery(client) -> SlackDelivery:
    return SlackDelivery(client, ChartCache(lambda key, datasets: PNG))


def response_token(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def texts(posts) -> str:
    return json.dumps(posts)


class TestPostingInAChannel:
    def test_the_text_and_blocks_are_posted_without_link_unfurls(self, delivery, slack, datasets):
        result = delivery.deliver(reply(), Destination(CHANNEL, USER), datasets)
        [message] = slack.messages(CHANNEL)
        assert message["text"] == "The gap is *$68.9T*." and message["blocks"] == list(reply().blocks)
        assert slack.calls("chat.postMessage")[0].params["unfurl_links"] is False
        assert result == Delivered(ts=message["ts"], file_ids=[], via="chat", problems=[])

    def test_metadata_goes_with_the_message(self, delivery, slack, datasets):
        metadata = {"event_type": "reset_briefing", "event_payload": {"slot": "2026-11-27T16:30Z"}}
        delivery.deliver(reply(), Destination(CHANNEL, USER), datasets, metadata=metadata)
        assert slack.messages(CHANNEL)[0]["metadata"] == metadata

    def test_without_metadata_no_metadata_field_is_sent(self, delivery, slack, datasets):
        delivery.deliver(reply(), Destination(CHANNEL, USER), datasets, metadata={})
        assert "metadata" not in slack.calls("chat.postMessage")[0].params

    def test_each_chart_is_uploaded_into_the_channel_after_the_text(self, delivery, slack, datasets):
        result = delivery.deliver(reply(charts=[GAP, GOLD]), Destination(CHANNEL, USER), datasets)
        shared = slack.files(CHANNEL)
        assert [(f.filename, f.title, f.alt_txt, f.data) for f in shared] == [
            ("gap.png", "The reserve gap", "A line chart of the gap", PNG),
            ("gold.png", "Gold reserves", "Bars of gold reserves", PNG)]
        assert result.file_ids == [f.file_id for f in shared] and result.problems == []
        first, *uploads = slack.messages(CHANNEL)
        assert first["ts"] == result.ts and all(m.get("upload") for m in uploads)

    def test_charts_go_through_the_v2_upload_not_the_retired_files_upload(self, delivery, slack, datasets):
        delivery.deliver(reply(charts=[GAP]), Destination(CHANNEL, USER), datasets)
        methods = [c.method for c in slack.calls()]
        assert "files.upload" not in methods
        assert methods.index("files.getUploadURLExternal") < methods.index("upload") < methods.index(
            "files.completeUploadExternal")


class TestEphemeralReplies:
    def test_go_to_the_response_url_only_to_the_asker(self, delivery, slack, datasets):
        url = slack.response_url(channel=CHANNEL, user=USER)
        result = delivery.deliver(reply(visibility="ephemeral"), Destination(CHANNEL, USER, url), datasets)
        [post] = slack.responses(response_token(url))
        assert post["response_type"] == "ephemeral" and post["text"] == "The gap is *$68.9T*."
        assert result.via == "response_url" and slack.messages(CHANNEL) == []

    def test_without_a_response_url_they_are_posted_ephemerally_to_the_user(self, delivery, slack, datasets):
        result = delivery.deliver(reply(visibility="ephemeral"), Destination(CHANNEL, USER), datasets)
        [note] = slack.ephemerals(CHANNEL)
        assert note["user_target"] == USER and result.via == "chat"
        assert slack.messages(CHANNEL) == []


class TestWhereTheBotIsNotAMember:
    def test_the_numbers_go_out_in_channel_through_the_response_url_with_an_invite_hint(self, delivery, slack,
                                                                                       datasets):
        slack.add_channel(OUTSIDE, "outside", bot_member=False)
        slack.scopes.discard("chat:write.public")
        url = slack.response_url(channel=OUTSIDE, user=USER)
        result = delivery.deliver(reply(charts=[GAP]), Destination(OUTSIDE, USER, url), datasets)
        answer, hint = slack.responses(response_token(url))
        assert answer["response_type"] == "in_channel" and answer["text"] == "The gap is *$68.9T*."
        assert answer["replace_original"] is False
        assert hint["response_type"] == "ephemeral" and "/invite @Reset Bot" in texts(hint)
        assert result == Delivered(ts=None, file_ids=[], via="response_url", problems=["not_in_channel"])
        assert slack.files(OUTSIDE) == [] and slack.calls("files.getUploadURLExternal") == []

    def test_a_reply_without_charts_needs_no_invite_hint(self, delivery, slack, datasets):
        slack.add_channel(OUTSIDE, "outside", bot_member=False)
        slack.scopes.discard("chat:write.public")
        url = slack.response_url(channel=OUTSIDE, user=USER)
        delivery.deliver(reply(), Destination(OUTSIDE, USER, url), datasets)
        assert [p["response_type"] for p in slack.responses(response_token(url))] == ["in_channel"]

    def test_a_private_conversation_the_bot_cannot_see_is_answered_the_same_way(self, delivery, slack, datasets):
        slack.add_channel("G0000PRIV1", "secret", private=True, bot_member=False)
        url = slack.response_url(channel="G0000PRIV1", user=USER)
        result = delivery.deliver(reply(), Destination("G0000PRIV1", USER, url), datasets)
        assert result.via == "response_url" and result.problems == ["channel_not_found"]

    def test_without_a_response_url_the_refusal_is_the_callers(self, delivery, slack, datasets):
        slack.add_channel(OUTSIDE, "outside", bot_member=False)
        slack.scopes.discard("chat:write.public")
        with pytest.raises(SlackApiError) as error:
            delivery.deliver(reply(), Destination(OUTSIDE, USER), datasets)
        assert error_code(error.value) == "not_in_channel"

    def test_other_refusals_are_not_hidden_behind_the_response_url(self, delivery, slack, datasets):
        slack.archive(CHANNEL)
        url = slack.response_url(channel=CHANNEL, user=USER)
        with pytest.raises(SlackApiError, match="is_archived"):
            delivery.deliver(reply(), Destination(CHANNEL, USER, url), datasets)
        assert slack.responses(response_token(url)) == []


class TestAChartThatCannotBeUploaded:
    def test_the_text_stays_and_the_asker_is_told_which_chart_and_why(self, delivery, slack, datasets, caplog):
        slack.fail_next("files.completeUploadExternal", error="internal_error")
        url = slack.response_url(channel=CHANNEL, user=USER)
        with caplog.at_level(logging.WARNING, logger="reset_bot.delivery"):
            result = delivery.deliver(reply(charts=[GAP]), Destination(CHANNEL, USER, url), datasets)
        assert [m["text"] for m in slack.messages(CHANNEL)] == ["The gap is *$68.9T*."]
        assert result.via == "chat" and result.problems == ["upload:internal_error"] and result.file_ids == []
        [note] = slack.responses(response_token(url))
        assert note["response_type"] == "ephemeral"
        assert "_The reserve gap_ could not be uploaded (`internal_error`)" in texts(note)
        assert any("chart gap not uploaded" in r.getMessage() for r in caplog.records)

    def test_a_failed_upload_step_is_named_by_its_exception(self, delivery, slack, datasets):
        slack.fail_next("upload", status=500)
        result = delivery.deliver(reply(charts=[GAP]), Destination(CHANNEL, USER), datasets)
        assert result.problems == ["upload:HTTPError"]
        assert "could not be uploaded" in texts(slack.ephemerals(CHANNEL))

    def test_one_failed_chart_does_not_stop_the_next(self, delivery, slack, datasets):
        slack.fail_next("files.getUploadURLExternal", error="internal_error")
        result = delivery.deliver(reply(charts=[GAP, GOLD]), Destination(CHANNEL, USER), datasets)
        assert [f.filename for f in slack.files(CHANNEL)] == ["gold.png"]
        assert result.problems == ["upload:internal_error"] and len(result.file_ids) == 1


class TestResponding:
    def test_a_response_url_post_adds_a_message_and_never_replaces_the_original(self, delivery, slack):
        url = slack.response_url(channel=CHANNEL, user=USER)
        delivery.respond(url, reply())
        [post] = slack.responses(response_token(url))
        assert post["replace_original"] is False and post["response_type"] == "in_channel"
        assert post["blocks"] == list(reply().blocks)

    def test_the_response_type_can_be_set_by_the_caller(self, delivery, slack):
        url = slack.response_url(channel=CHANNEL, user=USER)
        delivery.respond(url, reply(), response_type="ephemeral")
        assert slack.responses(response_token(url))[0]["response_type"] == "ephemeral"

    def test_a_refused_post_is_an_error_naming_the_status(self, delivery, slack):
        with pytest.raises(SlackClientError, match="response_url answered 404"):
            delivery.respond(f"{slack.base_url.removesuffix('api/')}response/R000UNKNOWN", reply())

    def test_a_server_error_is_retried_with_the_handlers_given(self, client, slack):
        quick = ServerErrorRetryHandler(max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0))
        delivery = SlackDelivery(client, ChartCache(lambda key, datasets: PNG), retry_handlers=[quick])
        url = slack.response_url(channel=CHANNEL, user=USER)
        slack.fail_next("response_url", status=503)
        delivery.respond(url, reply())
        assert [c.status for c in slack.calls("response_url")] == [503, 200]

    def test_a_short_retry_after_is_waited_for_once(self, delivery, slack):
        url = slack.response_url(channel=CHANNEL, user=USER)
        slack.fail_next("response_url", status=429, retry_after=1)
        delivery.respond(url, reply())
        assert [c.status for c in slack.calls("response_url")] == [429, 200]

    def test_a_long_retry_after_is_not_waited_for(self, delivery, slack):
        url = slack.response_url(channel=CHANNEL, user=USER)
        slack.fail_next("response_url", status=429, retry_after=60)
        with pytest.raises(SlackClientError, match="429"):
            delivery.respond(url, reply())
        assert len(slack.calls("response_url")) == 1


class TestTellingTheUser:
    def test_by_response_url_when_there_is_one(self, delivery, slack):
        url = slack.response_url(channel=CHANNEL, user=USER)
        delivery.tell_user(Destination(CHANNEL, USER, url), reply(visibility="ephemeral"))
        assert slack.responses(response_token(url))[0]["response_type"] == "ephemeral"
        assert slack.calls("chat.postEphemeral") == []

    def test_a_note_that_cannot_be_delivered_is_logged_not_raised(self, delivery, slack, caplog):
        with caplog.at_level(logging.WARNING, logger="reset_bot.delivery"):
            delivery.tell_user(Destination(CHANNEL, "U0000GONE9"), reply())
        assert slack.calls("chat.postEphemeral")[0].response["error"] == "user_not_found"
        assert any("could not send an ephemeral note to U0000GONE9" in r.getMessage() for r in caplog.records)

    def test_with_nobody_to_tell_nothing_is_sent(self, delivery, slack):
        delivery.tell_user(Destination(CHANNEL), reply())
        assert slack.calls() == []


class TestWhichResponseUrlsMayBeUsed:
    def test_slacks_hooks_are_always_allowed(self):
        url = "https://hooks.slack.com/commands/T0000/1234/abcd"
        assert ResponseUrls("https://slack.com/api/").allowed(url) == url

    def test_with_slacks_own_api_nothing_else_is(self, caplog):
        urls = ResponseUrls("https://slack.com/api/")
        with caplog.at_level(logging.WARNING, logger="reset_bot.delivery"):
            assert urls.allowed("https://evil.example/steal?token=xoxb-secret") is None
            assert urls.allowed("https://slack.com/api/chat.postMessage") is None
        messages = " ".join(r.getMessage() for r in caplog.records)
        assert "'evil.example'" in messages and "xoxb-secret" not in messages and "/steal" not in messages

    def test_a_stand_in_api_allows_urls_on_its_own_host_only(self):
        urls = ResponseUrls("http://127.0.0.1:8080/api/")
        assert urls.allowed("http://127.0.0.1:8080/response/R1") == "http://127.0.0.1:8080/response/R1"
        assert urls.allowed("http://127.0.0.1:9090/response/R1") is None  # another port
        assert urls.allowed("https://127.0.0.1:8080/response/R1") is None  # another scheme
        assert urls.allowed("http://localhost:8080/response/R1") is None

    def test_the_host_is_compared_without_case(self):
        assert ResponseUrls("http://Proxy.Internal/api/").allowed("http://proxy.internal/r/1") is not None

    @pytest.mark.parametrize("url", [None, "", 42, ["https://hooks.slack.com/x"],
                                     "https://hooks.slack.com/" + "a" * 2000],
                             ids=["none", "empty", "number", "list", "too_long"])
    def test_anything_but_a_reasonable_string_is_ignored(self, url):
        assert ResponseUrls("http://127.0.0.1:8080/api/").allowed(url) is None

    @pytest.mark.parametrize("url", ["http://[::1/response/R1", "http://127.0.0.1:port/response/R1"])
    def test_a_string_that_is_not_a_url_is_ignored_and_logged(self, url, caplog):
        with caplog.at_level(logging.WARNING, logger="reset_bot.delivery"):
            assert ResponseUrls("http://127.0.0.1:8080/api/").allowed(url) is None
        assert "not a valid URL" in caplog.records[-1].getMessage()


def rate_limited(retry_after=None, status=429) -> HttpResponse:
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    return HttpResponse(status_code=status, headers=headers, body={"ok": False, "error": "ratelimited"})


REQUEST = HttpRequest(method="POST", url="https://hooks.slack.com/commands/x", headers={})


class TestBoundedRateLimitRetries:
    @pytest.mark.parametrize(("retry_after", "retried"), [
        ("1", True), ("3", True), ("4", False), ("60", False), ("1.5", False), ("soon", False),
        ("Wed, 21 Oct 2026 07:28:00 GMT", False), ("-1", False), ("999999", False), ("٣", False),
    ])
    def test_a_429_is_retried_only_when_retry_after_is_a_short_whole_number(self, retry_after, retried):
        handler = BoundedRateLimitRetryHandler()
        assert handler.can_retry(state=RetryState(), request=REQUEST, response=rate_limited(retry_after)) is retried

    def test_a_429_without_retry_after_is_retried(self):
        assert BoundedRateLimitRetryHandler().can_retry(state=RetryState(), request=REQUEST, response=rate_limited())

    def test_the_header_name_is_matched_without_case(self):
        response = HttpResponse(status_code=429, headers={"retry-after": "60"})
        assert not BoundedRateLimitRetryHandler().can_retry(state=RetryState(), request=REQUEST, response=response)

    def test_the_longest_wait_is_configurable(self):
        handler = BoundedRateLimitRetryHandler(max_wait_seconds=60)
        assert handler.can_retry(state=RetryState(), request=REQUEST, response=rate_limited("60"))

    def test_only_429s_are_its_business(self):
        handler = BoundedRateLimitRetryHandler()
        assert not handler.can_retry(state=RetryState(), request=REQUEST, response=rate_limited("1", status=503))
        assert not handler.can_retry(state=RetryState(), request=REQUEST, error=ConnectionResetError())

    def test_it_retries_once_by_default(self):
        handler = BoundedRateLimitRetryHandler()
        assert not handler.can_retry(state=RetryState(current_attempt=1), request=REQUEST, response=rate_limited("1"))

    def test_webhook_posts_retry_each_kind_of_failure_once(self):
        handlers = webhook_retry_handlers()
        assert [type(h) for h in handlers] == [ConnectionErrorRetryHandler, BoundedRateLimitRetryHandler,
                                               ServerErrorRetryHandler]
        assert [h.max_retry_count for h in handlers] == [1, 1, 1]
        assert isinstance(handlers[1], RateLimitErrorRetryHandler)

    def test_every_delivery_gets_fresh_handlers(self):
        assert webhook_retry_handlers()[1] is not webhook_retry_handlers()[1]


def test_the_error_code_of_a_refusal_is_slacks_or_unknown():
    assert error_code(SlackApiError("refused", {"ok": False, "error": "not_in_channel"})) == "not_in_channel"
    assert error_code(SlackApiError("refused", {"ok": False})) == "unknown_error"

    def test_retry_after_zero_means_now(self, monkeypatch):
        import bot.slack.delivery as delivery_module

        waits: list[float] = []
        monkeypatch.setattr(delivery_module.time, "sleep", waits.append)
        BoundedRateLimitRetryHandler().prepare_for_next_attempt(state=RetryState(), request=REQUEST,
                                                                response=rate_limited("0"))
        assert len(waits) == 1 and waits[0] < 0.3  # only the jitter, not a second


class TestThreads:
    def test_a_destination_in_a_thread_gets_the_text_and_its_charts_there(self, delivery, slack, datasets):
        result = delivery.deliver(reply(charts=[GAP]), Destination(CHANNEL, USER, thread_ts="1700000000.000100"),
                                  datasets)
        (text,) = [m for m in slack.messages(CHANNEL) if not m.get("upload")]
        assert text["thread_ts"] == "1700000000.000100" and result.ts == text["ts"]
        assert [f.thread_ts for f in slack.files(CHANNEL)] == ["1700000000.000100"]

    def test_without_one_everything_stays_at_the_top_level(self, delivery, slack, datasets):
        delivery.deliver(reply(charts=[GAP]), Destination(CHANNEL, USER), datasets)
        assert all("thread_ts" not in m for m in slack.messages(CHANNEL))
        assert [f.thread_ts for f in slack.files(CHANNEL)] == [None]
        call = slack.calls("chat.postMessage")[0]
        assert "thread_ts" not in call.params

    def test_posted_data_buttons_name_the_data_version(self, delivery, slack, datasets):
        from handlers.reply import build, read_csv_button, section

        delivery.deliver(build([section("x")], "x", charts=[GAP]), Destination(CHANNEL, USER), datasets)
        (text,) = [m for m in slack.messages(CHANNEL) if not m.get("upload")]
        (button,) = [e for b in text["blocks"] if b.get("block_id") == "chart_data" for e in b["elements"]]
        assert read_csv_button(button["value"]) == ("gap", datasets.version)


class TestUploadingData:
    CSV = "series,value\r\nx,1.5\r\n".encode("utf-8-sig")

    def upload(self, delivery, dest, **kw):
        return delivery.upload_data(dest, self.CSV, filename="reset-gap-data.csv", title="Data: gap",
                                    comment="The data behind the gap", **kw)

    def test_into_the_thread_of_the_message(self, delivery, slack):
        result = self.upload(delivery, Destination(CHANNEL, USER, thread_ts="1700000000.000300"))
        (shared,) = slack.files(CHANNEL)
        assert (shared.data, shared.thread_ts, shared.filename) == (self.CSV, "1700000000.000300",
                                                                    "reset-gap-data.csv")
        assert shared.initial_comment == "The data behind the gap" and result.file_ids == [shared.file_id]
        assert slack.calls("conversations.open") == []

    @pytest.mark.parametrize("where", ["not a member", "private", "archived"])
    def test_where_the_bot_cannot_share_it_goes_to_the_askers_dm(self, delivery, slack, where):
        channel = {"not a member": OUTSIDE, "private": "G0000PRIV1", "archived": "C0000ARC01"}[where]
        slack.add_channel(channel, "x", private=where == "private", bot_member=where == "archived")
        if where == "archived":
            slack.archive(channel)
        url = slack.response_url("note", channel=channel, user=USER)
        result = self.upload(delivery, Destination(channel, USER, url, thread_ts="1700000000.000400"))
        im = "D" + USER[1:]
        (shared,) = slack.files(im)
        assert shared.data == self.CSV and shared.thread_ts is None
        assert result.problems and slack.files(channel) == []
        (note,) = slack.responses("note")
        assert note["response_type"] == "ephemeral" and "direct messages" in note["text"]

    def test_private_goes_straight_to_the_dm(self, delivery, slack):
        url = slack.response_url("private", channel=CHANNEL, user=USER)
        self.upload(delivery, Destination(CHANNEL, USER, url), private=True)
        assert slack.files(CHANNEL) == [] and len(slack.files("D" + USER[1:])) == 1
        assert "only to you" in slack.responses("private")[0]["text"]

    def test_other_refusals_are_raised_for_the_caller_to_explain(self, delivery, slack):
        slack.fail_next("files.completeUploadExternal", error="ratelimited")
        with pytest.raises(SlackApiError):
            self.upload(delivery, Destination(CHANNEL, USER))
