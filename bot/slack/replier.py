"""The slow half of every command, after the ack: answer, render, post — on the bot's own threads.

Slack waits 3 seconds for an acknowledgement but minutes for an answer, so `bot.slack.app`'s
listeners only parse and acknowledge, then hand the query to the `Replier`. It has two lanes:
``executor`` for most replies and ``render_lane`` for replies that need a new *scenario* chart
drawn (the only open-ended kind), so that a burst of new scenarios queues behind itself and not
in front of everyone's `/reset gap`. The `AckGate` lets acknowledgements still queued in the HTTP
server go first: a reply worker waits briefly while requests are being acknowledged.

`Replier.drain()` waits until every reply queued so far (and whatever it queued in turn) has
run; tests and shutdown use it instead of sleeping.
"""

from __future__ import annotations

import contextvars
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.serving.live_data import LiveData
from bot.slack.delivery import Destination, SlackDelivery, error_code
from bot.slack.errors import explain
from bot.telemetry import ANSWER_SECONDS, COMMANDS
from handlers.answer import cached_answer
from handlers.charts.data import chart_data
from handlers.csvdata import comment, csv_bytes, csv_filename
from handlers.datasets import Datasets
from handlers.errors import UsageError, UserFacingError
from handlers.queries import ALERT_KINDS, BRIEFING_KINDS, Query
from handlers.reply import Reply, message
from handlers.slowdown import restarting

logger = logging.getLogger("reset_bot.app")

SCENARIO_CHART = "shock:"  # chart keys of scenarios: the only open-ended charts, drawn on the render lane

#: Answers a briefing command; None when the briefing service posted the reply itself.
BriefingHandler = Callable[[Query, Destination], Reply | None]


class _Ticket:
    """One request between `AckGate.arrive` and `AckGate.leave`."""

    __slots__ = ()


_TICKET: contextvars.ContextVar[_Ticket | None] = contextvars.ContextVar("reset_bot_ack_ticket", default=None)


class AckGate:
    """Lets acknowledgements go first under bursts.

    Every reply competes with the acknowledgements still queued behind it for the same
    interpreter; Slack only waits 3 seconds for an ack but minutes for an answer. So a reply
    worker waits (at most ``max_wait`` seconds) while *other* requests are being acknowledged:
    the HTTP server (`bot.slack.server`) marks each verified request it hands to Bolt (`arrive`)
    until waitress has written its answer (`leave`).

    A reply does not wait for its own request: that one's ack is decided by the time the reply is
    queued (the listeners ack, then submit), and only Bolt's 10 ms poll for it and the write are
    left — waiting for them would start a lone command's reply up to 10 ms late for nothing. A
    reply knows its request by the context it runs in (`bot.logs.ContextPool` copies the request
    thread's context into Bolt's listener threads and from there into the reply's).

    Under a burst, "no other request in flight" comes and goes between the requests still queued
    in the HTTP server (its threads take them one by one), so a reply also waits until no other
    request has arrived for ``quiet`` seconds: the burst's acks go out first, then its replies
    (measured: `make bench`, section 1).
    """

    def __init__(self, max_wait: float = 0.25, quiet: float = 0.01,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_wait = max_wait
        self.quiet = quiet
        self._clock = clock
        self._open: set[_Ticket] = set()
        self._last_arrival = -math.inf
        self._last_ticket: _Ticket | None = None
        self._idle = threading.Condition()

    @contextmanager
    def acking(self) -> Iterator[None]:
        """The block acknowledges one request (`arrive` … `leave`)."""
        arrival = self.arrive()
        try:
            yield
        finally:
            self.leave(arrival)

    def arrive(self) -> tuple[_Ticket, contextvars.Token[_Ticket | None]]:
        """A request has come in on this thread: replies (but its own) wait until `leave`. The HTTP
        server calls `leave` when it has written the answer (the WSGI iterable's ``close``)."""
        ticket = _Ticket()
        with self._idle:
            self._open.add(ticket)
            self._last_arrival, self._last_ticket = self._clock(), ticket
        return ticket, _TICKET.set(ticket)

    def leave(self, arrival: tuple[_Ticket, contextvars.Token[_Ticket | None]]) -> None:
        ticket, token = arrival
        try:
            _TICKET.reset(token)
        except (ValueError, RuntimeError):  # left from another context, or twice: the count still drops
            pass
        with self._idle:
            self._open.discard(ticket)
            self._idle.notify_all()

    def wait_idle(self) -> None:
        """Return once no request but this reply's own (its context's) is being acknowledged and
        none but its own arrived in the last ``quiet`` seconds — or after ``max_wait``."""
        own = _TICKET.get()
        deadline = self._clock() + self.max_wait
        with self._idle:
            while (now := self._clock()) < deadline:
                if self._open and self._open != {own}:
                    self._idle.wait(timeout=deadline - now)
                    continue
                quiet_for = now - self._last_arrival
                if self._last_ticket is own or quiet_for >= self.quiet:
                    return
                self._idle.wait(timeout=min(self.quiet - quiet_for, deadline - now))


@dataclass
class Replier:
    """Runs the slow half of every command after the ack: answer, render, post.

    Two lanes: most answers go straight out on ``executor``; a reply that needs a new *scenario*
    chart drawn is handed to ``render_lane``, so that a burst of new scenarios queues behind
    itself, not in front of everyone's `/reset gap`. Topic charts stay in the first lane even when
    they are not drawn yet (after a start or a data refresh): there are a dozen of them per data
    version, while scenarios are many (renders are serialised by matplotlib's lock anyway)."""

    data: LiveData
    delivery: SlackDelivery
    executor: ThreadPoolExecutor
    briefings: BriefingHandler | None = None
    gate: AckGate | None = None
    render_lane: ThreadPoolExecutor | None = None
    alerts: BriefingHandler | None = None  # the alert commands (issue 14, `bot.alerts.commands`)
    # Set when the process begins to stop (SIGTERM; `BotApp.stopping`): work asked for after that —
    # a form, an App Home button, a CSV button, a fact-check — is not queued; the asker is told to
    # ask again (the next process answers), as `/reset` is at its ack.
    stopping: threading.Event = field(default_factory=threading.Event)
    _pending: int = field(default=0, init=False, repr=False)  # tasks queued or running, in both lanes
    _settled: threading.Condition = field(default_factory=threading.Condition, init=False, repr=False)
    _expired: threading.Event = field(default_factory=threading.Event, init=False, repr=False)

    def submit(self, query: Query, dest: Destination) -> None:
        """Answer ``query`` and post the reply to ``dest``, later, on the reply threads."""
        if self._refused_while_stopping(dest):
            _count(query, "interrupted", time.perf_counter())
            return
        self._start(self.executor, self.run, query, dest)

    def _refused_while_stopping(self, dest: Destination) -> bool:
        if not self.stopping.is_set():
            return False
        self._start(self.executor, self.delivery.tell_user, dest, restarting())  # still one line, not silence
        return True

    def submit_data(self, chart_key: str, version: str, dest: Destination, *, private: bool = False) -> None:
        """Upload the CSV behind chart ``chart_key`` to ``dest`` (a "Data (CSV)" press), later, on
        the reply threads. ``version`` is the data version the pressed message's chart was drawn from."""
        if self._refused_while_stopping(dest):
            return
        self._start(self.executor, self.run_data, chart_key, version, dest, private)

    def run_data(self, chart_key: str, version: str, dest: Destination, private: bool = False) -> None:
        """The rows of the chart as the data in service have them, uploaded now, in this thread.

        The data behind an older message are not kept once a refresh replaces them, so when the
        version differs from the one the chart was drawn from, the file comes from the current data
        and its comment says so (with both versions) instead of passing newer rows off as the picture's."""
        if self.gate is not None:
            self.gate.wait_idle()
        try:
            datasets = self.data.current().datasets
            try:
                table = chart_data(chart_key, datasets)
            except (KeyError, ValueError):  # a key no chart has (an old or hand-made button)
                raise UsageError("That chart is not one I can draw any more, so there is no data to send. "
                                 "Run the command again for a fresh chart and its data.") from None
            note = comment(table, datasets)
            if version and version != datasets.version:
                note += (f" The data have been updated since this chart was drawn (version `{version}`): these "
                         "rows are the current ones; ask again for a chart drawn from them.")
            self.delivery.upload_data(dest, csv_bytes(table), filename=csv_filename(chart_key),
                                      title=f"Data: {table.title}", comment=note, private=private)
        except SlackApiError as exc:
            code = error_code(exc)
            logger.warning("chart data %s not uploaded to %s: %s", chart_key, dest.channel_id, code)
            self.delivery.tell_user(dest, message(f"The data file could not be uploaded (`{code}`). "
                                                  "Please try the button again in a minute."))
        except Exception as exc:  # every failure becomes a message to the asker, never silence
            self.delivery.tell_user(dest, explain(exc, where="csv"))

    def respond_later(self, url: str, reply: Reply) -> None:
        """Post ``reply`` to the asker's ``response_url`` from the reply threads (failures are logged)."""
        self._start(self.executor, self._respond_quietly, url, reply)

    @property
    def queued(self) -> int:
        """Replies queued or running now (the reply-queue gauge of `/metrics`)."""
        return self._pending

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until every reply queued so far, and any work it queued in turn, has run."""
        with self._settled:
            if not self._settled.wait_for(lambda: self._pending == 0, timeout=timeout):
                raise TimeoutError(f"{self._pending} replies still queued or running after {timeout} s")

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True)
        if self.render_lane is not None:
            self.render_lane.shutdown(wait=True)

    def expire(self) -> None:
        """The stop's grace is over: replies not yet started only tell their asker to ask again."""
        self._expired.set()

    def run(self, query: Query, dest: Destination) -> None:
        """Answer and deliver one query now, in this thread (the reply threads call it)."""
        if self.gate is not None:
            self.gate.wait_idle()
        started = time.perf_counter()
        if self._expired.is_set():
            self.delivery.tell_user(dest, restarting())
            _count(query, "interrupted", started)
            return
        outcome = self._answer(query, dest, started)
        if outcome is not None:  # None: handed to the render lane, which counts it when posted
            _count(query, outcome, started)

    def _answer(self, query: Query, dest: Destination, started: float) -> str | None:
        try:
            if query.kind in ALERT_KINDS:
                if self.alerts is None:
                    raise UsageError("Alerts are not switched on in this deployment yet.")
                reply = self.alerts(query, dest)
                if reply is None:  # the alert service answered itself
                    return "answered"
                datasets = self.data.current().datasets
            elif query.kind in BRIEFING_KINDS:
                if self.briefings is None:
                    raise UsageError("Weekly briefings are not switched on in this deployment yet.")
                reply = self.briefings(query, dest)
                if reply is None:  # the briefing service posted it itself
                    return "answered"
                datasets = self.data.current().datasets
            else:
                snapshot = self.data.current()
                datasets = snapshot.datasets
                reply = cached_answer(query, datasets, snapshot.holders)  # computed once per data version
            if self.render_lane is not None and any(
                    c.key.startswith(SCENARIO_CHART) and not self.delivery.charts.has(c, datasets)
                    for c in reply.charts):
                self._start(self.render_lane, self._deliver, query, reply, dest, datasets, started)
                return None
            self.delivery.deliver(reply, dest, datasets)
            return "answered"
        except Exception as exc:  # every failure becomes a message to the asker, never silence
            self.delivery.tell_user(dest, explain(exc, where=query.kind))
            return _outcome_of(exc)

    def _deliver(self, query: Query, reply: Reply, dest: Destination, datasets: Datasets, started: float) -> None:
        outcome = "answered"
        try:
            self.delivery.deliver(reply, dest, datasets)
        except Exception as exc:  # every failure becomes a message to the asker, never silence
            self.delivery.tell_user(dest, explain(exc, where=query.kind))
            outcome = _outcome_of(exc)
        _count(query, outcome, started)

    def _respond_quietly(self, url: str, reply: Reply) -> None:
        try:
            self.delivery.respond(url, reply, response_type="ephemeral")
        except (SlackClientError, OSError):
            logger.warning("could not report an error to the user")

    def _start(self, lane: ThreadPoolExecutor, task: Callable[..., None], *args: Any) -> None:
        with self._settled:
            self._pending += 1
        try:
            lane.submit(self._tracked, task, *args)
        except BaseException:  # e.g. a lane already shut down: the task will never run
            self._finished()
            raise

    def _tracked(self, task: Callable[..., None], *args: Any) -> None:
        try:
            task(*args)
        finally:
            self._finished()

    def _finished(self) -> None:
        with self._settled:
            self._pending -= 1
            if self._pending == 0:
                self._settled.notify_all()


def _outcome_of(error: BaseException) -> str:
    return "usage_error" if isinstance(error, UserFacingError) else "failed"


def _count(query: Query, outcome: str, started: float) -> None:
    """A command's outcome and its time from the ack to the reply posted (`bot.telemetry`)."""
    COMMANDS.labels(query.kind, outcome).inc()
    ANSWER_SECONDS.labels(query.kind).observe(time.perf_counter() - started)
