"""What the bot counts, for Prometheus: ``GET /metrics`` in the text exposition format.

The metrics live in prometheus_client's process-wide registry (with its process and platform
collectors: CPU, memory, open files); each replica serves its own, and Prometheus scrapes every
replica. prometheus_client's metrics are thread-safe, so waitress's threads, Bolt's pool, the
reply workers and the scheduler all count into them directly.

Labels are small closed sets — a topic, an outcome, a Web API method, a Slack error code (cut to
`label`'s shape) — never a channel, user, team or free text, so the number of series stays
bounded however many workspaces install the app. Each metric is described in the README
("Operating it").

Counted where it happens: commands in `bot.slack.app` and the `bot.slack.replier`, acks in
`bot.slack.server`, Slack calls by `MeteredWebClient` (every client the bot makes) and 429s by
`RateLimitCounter` (first of each client's retry handlers, so a 429 that slack_sdk retried is
counted too), deliveries by the briefing recorder, refreshes by the data jobs. The gauges are read
when scraped, from whatever `watch` was given (the running `Runtime`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryHandler, RetryState
from slack_sdk.web import SlackResponse

CONTENT_TYPE = CONTENT_TYPE_LATEST
_LABEL = re.compile(r"[a-z0-9_.]{1,48}")

#: Seconds: Slack's 3-second ack deadline sits between the last buckets.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
ANSWER_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0)

COMMANDS = Counter("reset_bot_commands", "Slash commands and buttons, by topic and outcome "
                   "(answered, usage_error, refused, failed).", ["kind", "outcome"])
ACK_SECONDS = Histogram("reset_bot_ack_seconds", "From a verified request's arrival to the answer Slack gets "
                        "(the acknowledgement), by payload type.", ["surface"], buckets=ACK_BUCKETS)
ANSWER_SECONDS = Histogram("reset_bot_answer_seconds", "From a command's acknowledgement to its reply "
                           "posted, by topic.", ["kind"], buckets=ANSWER_BUCKETS)
SLACK_CALLS = Counter("reset_bot_slack_calls", "Slack Web API calls by method and final result (ok, Slack's "
                      "error code, or unreachable).", ["method", "result"])
SLACK_RATE_LIMITED = Counter("reset_bot_slack_rate_limited", "Slack Web API answers with HTTP 429, "
                             "including those slack_sdk retried, by method.", ["method"])
DELIVERIES = Counter("reset_bot_deliveries", "Scheduled posts by kind (briefing, alert) and outcome "
                     "(sent, late, missed, failed, paused, skipped).", ["kind", "outcome"])
REFRESHES = Counter("reset_bot_data_refreshes", "Data refreshes from the publishers, by source and outcome.",
                    ["source", "outcome"])


def label(value: object, fallback: str = "other") -> str:
    """``value`` as a label value: lower-case word characters, at most 48, else ``fallback``.

    >>> label("not_in_channel"), label("chat.postMessage"), label("<script>")
    ('not_in_channel', 'chat.postmessage', 'other')
    """
    text = str(value).lower() if value is not None else ""
    return text if _LABEL.fullmatch(text) else fallback


# ---- Slack calls ---------------------------------------------------------------------------


class MeteredWebClient(WebClient):
    """slack_sdk's WebClient, counting every call's final result in `SLACK_CALLS`."""

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        method = label(api_method)
        try:
            response = super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            SLACK_CALLS.labels(method, label(exc.response.get("error"), "error")).inc()
            raise
        except (SlackClientError, OSError):
            SLACK_CALLS.labels(method, "unreachable").inc()
            raise
        SLACK_CALLS.labels(method, "ok").inc()
        return response


class RateLimitCounter(RetryHandler):
    """Counts each 429 in `SLACK_RATE_LIMITED` and never retries itself: put it first among a
    client's retry handlers and the next ones (`RateLimitErrorRetryHandler`) do the waiting."""

    def can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                  error: Exception | None = None) -> bool:
        if response is not None and response.status_code == 429:
            SLACK_RATE_LIMITED.labels(label(request.url.rstrip("/").rsplit("/", 1)[-1].split("?")[0])).inc()
        return False


# ---- gauges, read when scraped -------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """The state the gauges show, as the running bot reports it at scrape time."""

    data_age_seconds: float | None = None  # now minus the as-of of the data in service
    subscriptions: Mapping[str, int] = field(default_factory=dict)  # by state: active, paused, …
    alerts: Mapping[str, int] = field(default_factory=dict)
    reply_queue: int = 0  # replies queued or running
    scheduler_running: bool = False


class _State(Collector):
    def __init__(self) -> None:
        self.read: Callable[[], Reading] | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        reading = self.read() if self.read is not None else Reading()
        age = GaugeMetricFamily("reset_bot_data_age_seconds", "Age of the data in service: seconds since "
                                "the newest dataset's as-of date.")
        if reading.data_age_seconds is not None:
            age.add_metric([], reading.data_age_seconds)
        yield age
        for name, what, counts in (("reset_bot_subscriptions", "Weekly briefing subscriptions by state.",
                                    reading.subscriptions),
                                   ("reset_bot_alerts", "Threshold alerts by state.", reading.alerts)):
            family = GaugeMetricFamily(name, what, labels=["state"])
            for state, count in sorted(counts.items()):
                family.add_metric([label(state)], count)
            yield family
        yield GaugeMetricFamily("reset_bot_reply_queue_depth", "Replies queued or running after their ack.",
                                value=reading.reply_queue)
        yield GaugeMetricFamily("reset_bot_scheduler_running", "1 while the briefing scheduler runs.",
                                value=1 if reading.scheduler_running else 0)


_STATE = _State()
REGISTRY.register(_STATE)


def watch(read: Callable[[], Reading] | None) -> None:
    """The gauges read ``read()`` at each scrape (the runtime calls this when it starts, and with
    None when it stops). A failing reading shows as empty gauges, never a failed scrape."""

    def safe() -> Reading:
        try:
            return read() if read is not None else Reading()
        except Exception:  # noqa: BLE001 - a scrape must not fail because the database is down
            return Reading()

    _STATE.read = safe


def exposition() -> bytes:
    """The whole registry in Prometheus's text format."""
    return generate_latest(REGISTRY)
