"""Serving the app: HTTP mode on waitress (a production WSGI server), or Socket Mode.

HTTP mode routes ``POST /slack/events`` (slash commands, buttons, events) to Bolt's WSGI
adapter, which verifies every request's signature before any listener runs, and answers
``GET /healthz`` for load balancers. Bolt's own ``app.start()`` server is for development only.
"""

from __future__ import annotations

import json
import logging
from typing import Callable, Iterable

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

logger = logging.getLogger("reset_bot.server")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"

StartResponse = Callable[..., object]


def wsgi_app(app: App, health: Callable[[], dict]) -> Callable[[dict, StartResponse], Iterable[bytes]]:
    bolt = SlackRequestHandler(app, path=EVENTS_PATH)
    gate = getattr(app, "_reset_gate", None)

    def application(environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == HEALTH_PATH and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            body = json.dumps({"ok": True, **health()}).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if path == EVENTS_PATH:
            if gate is None:
                return bolt(environ, start_response)
            with gate.acking():  # reply workers hold back until this request is acknowledged
                return bolt(environ, start_response)
        body = b'{"ok": false, "error": "not_found"}'
        start_response("404 Not Found", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return application


def serve_http(app: App, *, host: str, port: int, health: Callable[[], dict], threads: int = 16) -> None:
    """Block serving HTTP until interrupted (SIGINT/SIGTERM end waitress cleanly)."""
    from waitress import serve

    logger.info("listening on http://%s:%d%s (health: %s)", host, port, EVENTS_PATH, HEALTH_PATH)
    serve(wsgi_app(app, health), host=host, port=port, threads=threads, ident="reset-bot", _quiet=True)


def socket_mode_handler(app: App, app_token: str):
    """The Socket Mode handler for the same app (one replica only: Slack spreads events randomly)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(app, app_token)
