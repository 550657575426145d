"""The slow half of every command (bot/slack/replier.py): work runs after the ack on the reply
threads, new scenario charts on their own lane, `drain()` waits for all of it (nested work too),
every failure reaches the asker, and the `AckGate` lets acknowledgements go first."""

from __future__ import annotations

import contextvars
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from slack_sdk import WebClient

from bot.serving.chart_cache import ChartCache
from bot.serving.live_data import LiveData
from bot.slack.delivery import Destination, SlackDelivery
from bot.slack.replier import SCENARIO_CHART, AckGate, Replier
from handlers.parsing import parse
from handlers.reply import message
from tests.conftest import CHANNEL, USER

HERE = Destination(CHANNEL, USER, None, "T0000FAKE1")
PNG = b"\x89PNG\r\n\x1a\n stand-in"


class Charts:
    """A chart renderer that records which thread drew which chart; charts whose key starts with
    ``held`` wait for `release()` (an event, so tests never race real rendering time)."""

    def __init__(self, held: str | None = None) -> None:
        self.held = held
        self.drawn: list[tuple[str, str]] = []
        self.holding = threading.Event()
        self._released = threading.Event()

    def __call__(self, key: str, datasets: object) -> bytes:
        if self.held is not None and key.startswith(self.held):
            self.holding.set()
            self._released.wait(timeout=30)
        self.drawn.append((key, threading.current_thread().name))
        return PNG

    def release(self) -> None:
        self._released.set()

    def threads(self, prefix: str) -> set[str]:
        return {thread.split("_")[0] for key, thread in self.drawn if key.startswith(prefix)}


class CountingLane(ThreadPoolExecutor):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.submitted = 0

    def submit(self, *args, **kwargs):
        self.submitted += 1
        return super().submit(*args, **kwargs)


@pytest.fixture
def make_replier(slack, datasets):
    made: list[Replier] = []

    def factory(charts: Charts | None = None, *, render_lane: bool = True, **kw) -> Replier:
        client = WebClient(token=slack.token, base_url=slack.base_url, timeout=5, retry_handlers=[])
        replier = Replier(data=LiveData(datasets), delivery=SlackDelivery(client, ChartCache(charts or Charts())),
                          executor=ThreadPoolExecutor(2, thread_name_prefix="reply"),
                          render_lane=CountingLane(1, thread_name_prefix="render") if render_lane else None, **kw)
        made.append(replier)
        return replier

    yield factory
    for replier in made:
        replier.shutdown()


def answers(slack, channel=CHANNEL) -> list[dict]:
    return [m for m in slack.messages(channel) if not m.get("upload")]


class TestRunningAfterTheAck:
    def test_submit_leaves_the_work_to_the_reply_threads_and_drain_waits_for_it(self, make_replier, slack, holders):
        charts = Charts()
        replier = make_replier(charts)
        replier.submit(parse("gap", holders), HERE)
        replier.drain()
        assert len(answers(slack)) == 1 and len(slack.files(CHANNEL)) == 1
        assert charts.threads("") == {"reply"}

    def test_run_answers_in_the_callers_thread(self, make_replier, slack, holders):
        charts = Charts()
        make_replier(charts).run(parse("gap", holders), HERE)
        assert len(answers(slack)) == 1  # posted before run returned: no drain needed
        assert charts.threads("") == {threading.current_thread().name.split("_")[0]}

    def test_drain_with_nothing_queued_returns_at_once(self, make_replier):
        make_replier().drain(timeout=0)

    def test_shutdown_finishes_what_was_queued(self, make_replier, slack, holders):
        replier = make_replier()
        for text in ("gap", "gold", "shock china 10%"):
            replier.submit(parse(text, holders), HERE)
        replier.shutdown()
        assert len(answers(slack)) == 3

    def test_work_submitted_to_a_stopped_replier_is_refused_and_not_waited_for(self, make_replier, holders):
        replier = make_replier()
        replier.shutdown()
        with pytest.raises(RuntimeError):
            replier.submit(parse("gap", holders), HERE)
        replier.drain(timeout=0)


    def test_once_the_bot_begins_to_stop_new_work_is_not_queued_and_the_asker_is_told(self, make_replier, slack,
                                                                                       holders):
        """A form, an App Home button, a fact-check (`submit`) or a CSV button (`submit_data`)
        pressed after SIGTERM: one line saying to ask again, nothing answered or uploaded."""
        replier = make_replier()
        replier.stopping.set()
        replier.submit(parse("gap", holders), HERE)
        replier.submit_data("gap", "", HERE)
        replier.drain()
        told = slack.ephemerals(CHANNEL)
        assert len(told) == 2 and all("restarting" in m["text"] for m in told)
        assert answers(slack) == [] and slack.files(CHANNEL) == []


class TestTheScenarioLane:
    def test_a_new_scenario_chart_is_drawn_on_the_render_lane(self, make_replier, slack, holders):
        charts = Charts()
        replier = make_replier(charts)
        replier.submit(parse("shock china 10%", holders), HERE)
        replier.drain()
        assert charts.threads(SCENARIO_CHART) == {"render"}
        assert len(answers(slack)) == 1 and len(slack.files(CHANNEL)) == 1

    def test_a_topic_chart_not_drawn_yet_stays_on_the_reply_threads(self, make_replier, holders):
        charts = Charts()
        replier = make_replier(charts)
        replier.submit(parse("gap", holders), HERE)
        replier.drain()
        assert replier.render_lane.submitted == 0 and charts.threads("") == {"reply"}

    def test_a_scenario_drawn_already_is_answered_at_once(self, make_replier, slack, holders):
        charts = Charts()
        replier = make_replier(charts)
        replier.run(parse("shock china 10%", holders), HERE)
        replier.drain()
        replier.run(parse("shock china 10%", holders), HERE)
        assert replier.render_lane.submitted == 1  # only the first needed drawing
        assert len(answers(slack)) == 2

    def test_without_a_render_lane_scenarios_are_drawn_on_the_reply_threads(self, make_replier, holders):
        charts = Charts()
        replier = make_replier(charts, render_lane=False)
        replier.submit(parse("shock china 10%", holders), HERE)
        replier.drain()
        assert charts.threads(SCENARIO_CHART) == {"reply"}

    def test_drain_waits_for_the_work_a_reply_handed_to_the_render_lane(self, make_replier, slack, holders):
        charts = Charts(held=SCENARIO_CHART)
        replier = make_replier(charts)
        replier.submit(parse("shock china 10%", holders), HERE)
        assert charts.holding.wait(timeout=10)  # the reply thread has handed the drawing on
        with pytest.raises(TimeoutError, match="still queued or running"):
            replier.drain(timeout=0.05)
        assert slack.files(CHANNEL) == []
        charts.release()
        replier.drain()
        assert len(slack.files(CHANNEL)) == 1


class TestBriefingCommands:
    def test_without_briefings_switched_on_the_asker_is_told(self, make_replier, slack, holders):
        make_replier().run(parse("subscriptions", holders), HERE)
        [note] = slack.ephemerals(CHANNEL)
        assert "Weekly briefings are not switched on" in note["text"] and note["user_target"] == USER
        assert slack.messages(CHANNEL) == []

    def test_they_go_to_the_briefing_handler_with_their_destination(self, make_replier, slack, holders):
        asked = []

        def briefings(query, dest):
            asked.append((query.kind, dest))
            return message("No briefings in this channel yet.", visibility="in_channel")

        make_replier(briefings=briefings).run(parse("subscriptions", holders), HERE)
        assert asked == [("subscriptions", HERE)]
        assert [m["text"] for m in slack.messages(CHANNEL)] == ["No briefings in this channel yet."]

    def test_a_briefing_the_handler_posted_itself_is_not_posted_again(self, make_replier, slack, holders):
        make_replier(briefings=lambda query, dest: None).run(parse("briefing", holders), HERE)
        assert slack.calls("chat.postMessage") == [] and slack.calls("chat.postEphemeral") == []


class TestFailures:
    def test_an_unexpected_error_reaches_the_asker_with_an_error_id_and_the_replier_goes_on(
            self, make_replier, slack, holders):
        def broken(query, dest):
            raise RuntimeError("boom")

        replier = make_replier(briefings=broken)
        replier.submit(parse("subscriptions", holders), HERE)
        replier.submit(parse("gap", holders), HERE)
        replier.drain()
        [note] = slack.ephemerals(CHANNEL)
        assert "error id" in note["text"] and "boom" not in note["text"]
        assert len(answers(slack)) == 1

    def test_a_post_slack_refuses_is_explained_to_the_asker(self, make_replier, slack, holders):
        slack.fail_next("chat.postMessage", error="msg_too_long")
        replier = make_replier()
        replier.submit(parse("gap", holders), HERE)
        replier.drain()
        assert slack.messages(CHANNEL) == [] and len(slack.ephemerals(CHANNEL)) == 1

    def test_a_failed_post_after_the_render_lane_is_explained_too(self, make_replier, slack, holders):
        slack.fail_next("chat.postMessage", error="internal_error")
        replier = make_replier()
        replier.submit(parse("shock china 10%", holders), HERE)
        replier.drain()
        assert replier.render_lane.submitted == 1
        assert slack.messages(CHANNEL) == [] and len(slack.ephemerals(CHANNEL)) == 1


class TestRespondLater:
    def test_posts_an_ephemeral_reply_to_the_response_url_from_the_reply_threads(self, make_replier, slack):
        url = slack.response_url(channel=CHANNEL, user=USER)
        replier = make_replier()
        replier.respond_later(url, message("That took too long; try again."))
        replier.drain()
        [post] = slack.responses(url.rsplit("/", 1)[-1])
        assert post["response_type"] == "ephemeral" and post["text"] == "That took too long; try again."

    def test_a_response_url_that_refuses_is_logged_not_raised(self, make_replier, slack, caplog):
        replier = make_replier()
        dead = slack.response_url(channel=CHANNEL, user=USER)
        slack.advance_clock(31 * 60)  # expired: Slack answers 404
        replier.respond_later(dead, message("Sorry."))
        replier.drain()
        assert [c.status for c in slack.calls("response_url")] == [404]
        assert "could not report an error to the user" in caplog.text


@contextmanager
def another_request_in_flight(gate: AckGate):
    """Another request being acknowledged, on a server thread of its own, until the block ends."""
    entered, done = threading.Event(), threading.Event()

    def serve() -> None:
        with gate.acking():
            entered.set()
            done.wait(timeout=60)

    thread = threading.Thread(target=serve)
    thread.start()
    entered.wait(timeout=5)
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=5)


def as_reply_of_this_request() -> contextvars.Context:
    """The context a reply worker gets for the request being acknowledged here (`ContextPool`)."""
    return contextvars.copy_context()


class TestAckGate:
    def test_with_no_acknowledgement_in_flight_a_reply_does_not_wait(self):
        AckGate(max_wait=60).wait_idle()  # would hang for a minute if it waited

    def test_a_reply_waits_at_most_max_wait_while_another_request_is_being_acknowledged(self):
        gate = AckGate(max_wait=0.05)
        with another_request_in_flight(gate):
            started = time.monotonic()
            gate.wait_idle()
            assert time.monotonic() - started >= 0.04

    def test_a_waiting_reply_goes_as_soon_as_the_last_acknowledgement_is_done(self):
        gate = AckGate(max_wait=30, quiet=0)
        first, second = gate.acking(), gate.acking()
        first.__enter__()
        second.__enter__()
        waiter = threading.Thread(target=gate.wait_idle)  # a reply of some earlier request
        waiter.start()
        first.__exit__(None, None, None)
        waiter.join(timeout=0.1)
        assert waiter.is_alive()  # one acknowledgement is still in flight
        second.__exit__(None, None, None)
        waiter.join(timeout=5)
        assert not waiter.is_alive()

    def test_an_acknowledgement_that_fails_still_counts_as_done(self):
        gate = AckGate(max_wait=60, quiet=0)
        with pytest.raises(ValueError), gate.acking():
            raise ValueError("bad request")
        gate.wait_idle()  # would hang for a minute if the failed one were still counted

    def test_a_reply_does_not_wait_for_its_own_request_to_be_answered(self):
        # Its ack is decided before the reply is queued; only Bolt's poll and the write are left.
        gate = AckGate(max_wait=60, quiet=60)
        with gate.acking():
            started = time.monotonic()
            as_reply_of_this_request().run(gate.wait_idle)
            assert time.monotonic() - started < 30  # not held for max_wait (nor for quiet)

    def test_a_reply_waits_for_other_requests_in_flight_even_while_its_own_is(self):
        gate = AckGate(max_wait=0.05, quiet=0)
        with gate.acking(), another_request_in_flight(gate):
            started = time.monotonic()
            as_reply_of_this_request().run(gate.wait_idle)
            assert time.monotonic() - started >= 0.04

    def test_a_reply_waits_for_a_quiet_moment_while_other_requests_keep_arriving(self):
        # Between two requests of a burst nothing may be in flight for a moment; the reply must
        # not slip in there, but once no other request has come for `quiet` seconds, it goes.
        gate = AckGate(max_wait=30, quiet=0.05)
        with gate.acking():
            reply = as_reply_of_this_request()
        with gate.acking():  # another command of the burst, answered at once
            pass
        started = time.monotonic()
        reply.run(gate.wait_idle)
        assert 0.04 <= time.monotonic() - started < 10

    def test_the_replier_holds_its_replies_while_other_acknowledgements_are_in_flight(self, make_replier, slack,
                                                                                       holders):
        gate = AckGate(max_wait=30)
        replier = make_replier(gate=gate)
        with another_request_in_flight(gate):
            replier.submit(parse("gap", holders), HERE)
            with pytest.raises(TimeoutError):
                replier.drain(timeout=0.1)
            assert slack.messages(CHANNEL) == []
        replier.drain()
        assert len(answers(slack)) == 1


class TestChartData:
    def csv_files(self, slack, channel=CHANNEL):
        return [f for f in slack.files(channel) if f.filename.endswith(".csv")]

    def test_the_rows_go_into_the_destinations_thread(self, make_replier, slack, datasets):
        from handlers.csvdata import chart_csv

        replier = make_replier()
        replier.submit_data("gap", datasets.version, Destination(CHANNEL, USER, None, "T0000FAKE1",
                                                                 thread_ts="1700000000.000500"))
        replier.drain()
        (shared,) = self.csv_files(slack)
        assert shared.data == chart_csv("gap", datasets) and shared.thread_ts == "1700000000.000500"
        assert "updated since" not in (shared.initial_comment or "")

    def test_after_a_data_refresh_the_comment_says_the_rows_are_newer_than_the_picture(self, make_replier, slack,
                                                                                         datasets):
        make_replier().run_data("gold", "0123456789ab", HERE)
        (shared,) = self.csv_files(slack)
        assert "0123456789ab" in shared.initial_comment and datasets.version in shared.initial_comment
        assert "updated since this chart was drawn" in shared.initial_comment

    @pytest.mark.parametrize("key", ["pie", "holdings:atlantis", "shock:eu 20 %"])
    def test_a_key_no_chart_has_is_explained(self, make_replier, slack, key):
        url = slack.response_url("bad", channel=CHANNEL, user=USER)
        make_replier().run_data(key, "", Destination(CHANNEL, USER, url, "T0000FAKE1"))
        (answer,) = slack.responses("bad")
        assert "no data to send" in answer["text"] and "error id" not in answer["text"]
        assert self.csv_files(slack) == []

    def test_an_upload_slack_refuses_is_explained_with_its_code(self, make_replier, slack):
        slack.fail_next("files.getUploadURLExternal", error="ratelimited")
        url = slack.response_url("refused", channel=CHANNEL, user=USER)
        make_replier().run_data("gap", "", Destination(CHANNEL, USER, url, "T0000FAKE1"))
        assert "could not be uploaded (ratelimited)" in slack.responses("refused")[0]["text"]
