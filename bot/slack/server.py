"""Serving the app: HTTP mode on waitress (a production WSGI server), or Socket Mode.

HTTP mode routes ``POST /slack/events`` (slash commands, buttons, events) through the front
door (`bot.slack.front`: size limit, signature on the raw bytes, replays) to Bolt's WSGI adapter, and
answers ``GET /livez`` (the process serves), ``GET /readyz`` and its alias ``/healthz`` (503 with the
reasons when the database, the data or the scheduler are not usable) and ``GET /metrics`` (Prometheus).
In OAuth mode it also serves ``GET /slack/install`` and ``GET /slack/oauth_redirect`` to browsers
(`bot.slack.oauth`): unsigned by design, so they go to Bolt's OAuth flow, not the front door —
and since each hit costs a database row (a state) or a call to Slack (``oauth.v2.access``), they
are limited per client address (`INSTALL_PAGES_LIMIT`; past it, 429 with ``Retry-After``).
Bolt's own ``app.start()`` server is for development only.

Waitress is tuned so that hostile or slow clients cannot starve Slack's requests (issue 10;
README, "Security"): it reads requests asynchronously and hands a thread only a complete one, so
an idle or trickling socket costs a connection slot, not a worker. `WAITRESS_OPTIONS` says how
many slots there are, how long an idle one is kept, and how much of a body is read at all.
"""

from __future__ import annotations

import json
import logging
import math
import resource
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from slack_bolt import BoltContext, BoltRequest, BoltResponse
from slack_bolt.request.internals import build_context

from bot import telemetry
from bot.logs import request_scope
from bot.slack import oauth
from bot.slack.fairuse import Buckets, Limit
from bot.slack.front import (
    MAX_BODY_BYTES,
    Dispatch,
    Environ,
    RequestGuard,
    Verified,
    WSGIApp,
    client_address,
    guarded,
    headers_of,
    log_throttled,
    refuse,
)
from bot.telemetry import ACK_SECONDS

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.slack.app import BotApp

logger = logging.getLogger("reset_bot.server")

EVENTS_PATH = "/slack/events"
LIVE_PATH = "/livez"  # liveness: the process serves HTTP
READY_PATH = "/readyz"  # readiness: database writable, data loaded, scheduler running (503 + reasons if not)
HEALTH_PATH = "/healthz"  # an alias of /readyz, as before
METRICS_PATH = "/metrics"  # Prometheus text format (bot/telemetry.py)
ARRIVED = "reset_bot.arrived"  # environ key: when the request reached the app (perf_counter seconds)
ARRIVAL = "reset_bot.ack_gate"  # environ key: the verified request's place at the AckGate, until answered

StartResponse = Callable[..., object]

#: waitress settings (its defaults in brackets). Measured in tests/bot/slack/test_front.py: with 300
#: idle and 100 trickling sockets open, signed commands and /healthz still answer at once.
WAITRESS_OPTIONS: dict[str, Any] = {
    "connection_limit": 2000,  # [100] open sockets before waitress stops accepting
    "channel_timeout": 15,  # [120] seconds a socket may send nothing before it is closed
    "cleanup_interval": 5,  # [30] how often idle sockets are looked for
    "max_request_body_size": MAX_BODY_BYTES,  # [1 GiB] larger bodies get 413 before being read
    "max_request_header_size": 32 * 1024,  # [256 KiB]
    "asyncore_use_poll": True,  # select() cannot watch more than 1024 sockets
    "backlog": 2048,  # [1024]
    "ident": "reset-bot",
}


#: The two unsigned install pages, per client address (`bot.slack.front.client_address`), together:
#: an install is two hits (the page, then Slack's redirect back), so a person who starts again a
#: few times never meets the limit, and a script gets 20 a minute — 20 state rows or calls to
#: oauth.v2.access, not thousands. Per replica, in memory, like the fair-use limits.
INSTALL_PAGES_LIMIT = Limit(burst=10, per_minute=20)


def raise_open_files_limit(wanted: int = WAITRESS_OPTIONS["connection_limit"] + 200) -> int:
    """Lift the soft limit on open files towards the hard one, so that waitress's connection
    limit (not the kernel's 1024 default) decides when sockets are refused. Returns the limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            logger.warning("could not raise the open-files limit from %d; fewer connections will be served", soft)
    return soft


def bolt_dispatch(app: BotApp) -> Dispatch:
    """Hand a verified request to Bolt and turn its answer into WSGI terms.

    Our own small adapter instead of Bolt's WSGI one, for one reason: Bolt's ``parse_body``
    treats any form body that merely *contains* the letters "payload" as an interactivity payload
    and, finding no ``payload`` field, reads it as empty — `/reset holdings payload`, or a channel
    named #payload-team, was silently dropped (found by the attack suite). The front door has
    already parsed the body exactly; where Bolt's reading lost it, ours is used."""

    def dispatch(request: Verified, environ: Environ) -> tuple[str, list[tuple[str, str]], bytes]:
        headers: dict[str, str | Sequence[str]] = {name: [value] for name, value in headers_of(environ).items()}
        bolt_request = BoltRequest(body=request.body.decode("utf-8"), query=environ.get("QUERY_STRING", ""),
                                   headers=headers)
        if not bolt_request.body and request.fields and "payload" not in request.fields:
            bolt_request.body = request.fields
            bolt_request.context = build_context(BoltContext({}), request.fields)
        # A fresh log scope per request: the app's middleware names its ids (`bot.logs.bind`), and
        # they are gone from this server thread once it is answered.
        # From here (a verified, new request) until waitress has written the answer, reply workers
        # hold back (`AckGate`); the events route leaves when it closes the body. Unsigned or
        # replayed requests never get this far, so they cannot hold replies back.
        environ[ARRIVAL] = app.gate.arrive()
        with request_scope():
            response = app.bolt.dispatch(bolt_request)
        arrived = environ.get(ARRIVED)
        if isinstance(arrived, float):
            ACK_SECONDS.labels(_surface(request)).observe(time.perf_counter() - arrived)
        return wsgi_response(response)

    return dispatch


#: The payload types Slack sends to the events endpoint (the ack histogram's label values).
SURFACES = frozenset({"block_actions", "block_suggestion", "view_submission", "view_closed", "shortcut",
                      "message_action", "event_callback", "url_verification"})


def _surface(request: Verified) -> str:
    """What kind of Slack request this was, for the ack histogram: ``command``, an interactive
    payload's type (``block_actions``, ``view_submission``, …) or an envelope's (``event_callback``)."""
    fields = request.fields or {}
    if "command" in fields:
        return "command"
    payload = fields.get("payload")
    kind = payload.get("type") if isinstance(payload, dict) else fields.get("type")
    return kind if kind in SURFACES else "other"  # a closed set: a signed request cannot invent series


def wsgi_response(response: BoltResponse) -> tuple[str, list[tuple[str, str]], bytes]:
    """Bolt's answer as a WSGI status line, headers and body."""
    body = response.body.encode("utf-8") if isinstance(response.body, str) else bytes(response.body or b"")
    out = [(name, value) for name, values in response.headers.items() for value in values
           if name.lower() != "content-length"]
    out.append(("Content-Length", str(len(body))))
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = "Unknown"
    return f"{response.status} {reason}", out, body


class _Answer:
    """A WSGI response body that calls ``done`` when the server closes it (PEP 3333: always, once
    the body is sent or the client went away)."""

    def __init__(self, chunks: Iterable[bytes], done: Callable[[], None]) -> None:
        self._chunks, self._done = chunks, done

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._chunks)

    def close(self) -> None:
        self._done()


def wsgi_app(app: BotApp, health: Callable[[], dict[str, Any]], guard: RequestGuard,
             on_error: Callable[[str, Verified], str], *, install_limit: Buckets | None = None) -> WSGIApp:
    """The whole HTTP surface: the events endpoint behind the front door, the health check, and in
    OAuth mode the two install pages (`bot.slack.oauth`), which browsers reach without a signature.

    ``health()`` returns a JSON-able dict whose ``ok`` says whether the bot can serve (200) or
    not (503). ``install_limit`` counts install-page hits by client address (default:
    `INSTALL_PAGES_LIMIT`, fresh buckets for this application)."""
    events = guarded(bolt_dispatch(app), guard, on_error=on_error)
    install_buckets = install_limit or Buckets(INSTALL_PAGES_LIMIT)

    def application(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        environ[ARRIVED] = time.perf_counter()
        path = environ.get("PATH_INFO", "")
        if path == METRICS_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            body = telemetry.exposition()
            start_response("200 OK", [("Content-Type", telemetry.CONTENT_TYPE), ("Content-Length", str(len(body))),
                                      ("Cache-Control", "no-store")])
            return [body if environ.get("REQUEST_METHOD") == "GET" else b""]
        if path == LIVE_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            body = b'{"ok": true}'  # this thread answered: the process serves (nothing else is asked)
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                                      ("Cache-Control", "no-store")])
            return [body]
        if path in (READY_PATH, HEALTH_PATH) and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            report = health()
            body = json.dumps(report).encode()
            status = "200 OK" if report.get("ok") else "503 Service Unavailable"
            start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                                    ("Cache-Control", "no-store")])
            return [body]
        if path == EVENTS_PATH:
            # A verified request holds replies back until its answer is written (`bolt_dispatch`
            # arrives at the `AckGate`): waitress closes the iterable once it has sent the body.
            def answered() -> None:
                arrival = environ.pop(ARRIVAL, None)  # popped: a second close() changes nothing
                if arrival is not None:
                    app.gate.leave(arrival)

            try:
                return _Answer(events(environ, start_response), answered)
            except BaseException:
                answered()
                raise
        if app.oauth is not None and path in (oauth.INSTALL_PATH, oauth.REDIRECT_PATH):
            # A browser, not Slack: unsigned by design. Bolt's flow checks the state and its cookie.
            if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
                return refuse(start_response, 405, "method_not_allowed")
            wait = install_buckets.take(client_address(environ))
            if wait > 0:  # before any state row is written or Slack is called
                log_throttled("refused an install page: too many from one client address")
                response = oauth.too_many(max(1, math.ceil(wait)))
            else:
                headers = {name: [value] for name, value in headers_of(environ).items()}
                response = oauth.handle(app.oauth, path, environ.get("QUERY_STRING", ""), headers)
            status, out, body = wsgi_response(response)
            start_response(status, out)
            return [body if environ.get("REQUEST_METHOD") == "GET" else b""]
        return refuse(start_response, 404, "not_found")

    return application


def http_server(application: WSGIApp, *, host: str, port: int,
                threads: int = 16) -> Any:
    """The waitress server, bound (OSError if the port is taken); `.run()` serves until interrupted."""
    from waitress.server import create_server

    raise_open_files_limit()
    server = create_server(application, host=host, port=port, threads=threads, **WAITRESS_OPTIONS)
    logger.info("listening on http://%s:%d%s (health: %s)", host, port, EVENTS_PATH, HEALTH_PATH)
    return server


def socket_mode_handler(app: BotApp, app_token: str) -> SocketModeHandler:
    """The Socket Mode handler for the same app. Several replicas may each run one: Slack sends
    each payload to one of the app's connections (up to 10), and briefings go through the shared
    ledger (tests/bot/slack/test_socket_mode.py runs two)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk.socket_mode.client import BaseSocketModeClient
    from slack_sdk.socket_mode.request import SocketModeRequest

    class ScopedHandler(SocketModeHandler):
        """Each payload in a fresh log scope, as `bolt_dispatch` gives each HTTP request: the ids
        the middleware binds do not outlive it on the Socket Mode client's thread."""

        def handle(self, client: BaseSocketModeClient, req: SocketModeRequest) -> None:
            with request_scope():
                super().handle(client, req)  # type: ignore[arg-type]

    return ScopedHandler(app.bolt, app_token)
