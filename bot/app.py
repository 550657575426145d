"""The Slack app factory: `create_app(settings, client=...)` wires Bolt to the handlers.

Each listener is a thin adapter — ack, parse, hand off — because Slack gives 3 seconds to
acknowledge. Parsing is microseconds and happens before the ack so that help and usage errors
come back in the acknowledgement itself; everything else (data, charts, posting) runs on the
`Replier`'s own threads *after* the ack, so a slow chart never holds up Bolt's listener threads
or another user's acknowledgement.
"""

from __future__ import annotations

import logging
import re
import threading
from contextlib import contextmanager
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.charts import ChartCache
from bot.datastore import DataStore
from bot.delivery import Destination, SlackDelivery
from bot.errors import explain
from bot.settings import Settings
from handlers import charts as chart_renderers
from handlers.answer import answer, cached_answer
from handlers.errors import UsageError
from handlers.home import home_view
from handlers.parsing import parse
from handlers.queries import BRIEFING_KINDS, HelpQuery, Query
from handlers.reply import RUN_ACTION, Reply

logger = logging.getLogger("reset_bot.app")

COMMAND = "/reset"


def retry_handlers() -> list:
    """Retries for every Web API call: dropped connections, 429 (honouring Retry-After), 5xx."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
    ]


def briefing_client(settings: Settings) -> WebClient:
    """The client that posts briefings: retries only 429s, which Slack did not act on.

    A post that times out or gets a 5xx may still have gone out, so it is not retried blindly:
    the briefing ledger records the failure and the next attempt first looks for the message
    (see bot/briefings.py).
    """
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return WebClient(token=token, base_url=settings.slack_api_url, timeout=15,
                     retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=3)])


def make_client(settings: Settings) -> WebClient:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return WebClient(token=token, base_url=settings.slack_api_url, timeout=15, retry_handlers=retry_handlers())


class AckGate:
    """Lets acknowledgements go first under bursts.

    Every reply competes with the acknowledgements still queued behind it for the same
    interpreter; Slack only waits 3 seconds for an ack but minutes for an answer. So a reply
    worker waits (at most ``max_wait`` seconds) while requests are being acknowledged.
    """

    def __init__(self, max_wait: float = 0.25) -> None:
        self.max_wait = max_wait
        self._in_flight = 0
        self._idle = threading.Condition()

    @contextmanager
    def acking(self) -> Iterator[None]:
        with self._idle:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._idle:
                self._in_flight -= 1
                if self._in_flight == 0:
                    self._idle.notify_all()

    def wait_idle(self) -> None:
        with self._idle:
            self._idle.wait_for(lambda: self._in_flight == 0, timeout=self.max_wait)


@dataclass
class Replier:
    """Runs the slow half of every command on its own pool: answer, render, post."""

    data: DataStore
    delivery: SlackDelivery
    executor: ThreadPoolExecutor
    briefings: Callable[[Query, Destination], Reply | None] | None = None
    gate: AckGate | None = None

    def submit(self, query: Query, dest: Destination) -> None:
        self.executor.submit(self.run, query, dest)

    def run(self, query: Query, dest: Destination) -> None:
        if self.gate is not None:
            self.gate.wait_idle()
        try:
            if query.kind in BRIEFING_KINDS:
                if self.briefings is None:
                    raise UsageError("Weekly briefings are not switched on in this deployment yet.")
                reply = self.briefings(query, dest)
                if reply is None:  # the briefing service posted it itself
                    return
                datasets = self.data.current().datasets
            else:
                snapshot = self.data.current()
                datasets = snapshot.datasets
                reply = cached_answer(query, datasets, snapshot.holders)  # computed once per data version
            self.delivery.deliver(reply, dest, datasets)
        except Exception as exc:  # every failure becomes a message to the asker, never silence
            self.delivery.tell_user(dest, explain(exc, where=query.kind))


def create_app(
    settings: Settings,
    *,
    client: WebClient | None = None,
    data: DataStore | None = None,
    charts: ChartCache | None = None,
    briefings: Callable[[Query, Destination], Reply | None] | None = None,
) -> App:
    """Build the Bolt app. Every dependency can be injected; tests pass a client aimed at a fake."""
    client = client or make_client(settings)
    data = data or DataStore.from_settings(settings)
    charts = charts or ChartCache(chart_renderers.render)
    delivery = SlackDelivery(client, charts, retry_handlers())
    replier = Replier(
        data=data,
        delivery=delivery,
        executor=ThreadPoolExecutor(max_workers=settings.reply_threads, thread_name_prefix="reply"),
        briefings=briefings,
        gate=AckGate(),
    )
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None,
        # Listeners only ack and hand off, so a small pool suffices; the work runs on the Replier.
        listener_executor=ThreadPoolExecutor(max_workers=16, thread_name_prefix="bolt"),
    )
    app._reset_replier = replier  # type: ignore[attr-defined]  # for tests and benchmarks
    app._reset_gate = replier.gate  # type: ignore[attr-defined]  # the HTTP server marks requests in flight

    @app.command(COMMAND)
    def on_command(ack: Ack, command: dict[str, Any]) -> None:
        dest = Destination(command["channel_id"], command.get("user_id"), command.get("response_url"),
                           command.get("team_id", ""))
        _ack_and_submit(ack, command.get("text", ""), dest, data, replier)

    @app.action(re.compile(f"^{RUN_ACTION}"))
    def on_button(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        dest = Destination(channel, (body.get("user") or {}).get("id"), body.get("response_url"),
                           (body.get("team") or {}).get("id", ""))
        try:
            query = parse(action.get("value", ""), data.current().holders)
        except UsageError as exc:
            replier.delivery.tell_user(dest, explain(exc))
            return
        replier.submit(query, dest)

    @app.event("app_home_opened")
    def on_home(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        snapshot = data.current()
        try:
            client.views_publish(user_id=event["user"], view=home_view(snapshot.datasets))
        except SlackApiError as exc:
            logger.warning("views.publish failed for %s: %s", event.get("user"), exc.response.get("error"))

    @app.error
    def on_error(error: Exception, body: dict[str, Any], logger: logging.Logger) -> None:
        reply = explain(error, where="bolt")
        url = body.get("response_url") if isinstance(body, dict) else None
        if url:
            try:
                delivery.respond(url, reply, response_type="ephemeral")
            except (SlackClientError, OSError):
                logger.warning("could not report an error to the user")

    return app


def _ack_and_submit(ack: Ack, text: str, dest: Destination, data: DataStore, replier: Replier) -> None:
    try:
        query = parse(text, data.current().holders)
    except UsageError as exc:
        reply = explain(exc)
        ack(text=reply.text, blocks=list(reply.blocks), response_type="ephemeral")
        return
    if isinstance(query, HelpQuery):
        snapshot = data.current()
        reply = answer(query, snapshot.datasets, snapshot.holders)
        ack(text=reply.text, blocks=list(reply.blocks), response_type="ephemeral")
        return
    ack()
    replier.submit(query, dest)
