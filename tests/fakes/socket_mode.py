"""Slack's Socket Mode side, on 127.0.0.1: the WebSocket server an app's connections dial.

What Slack does, and this stand-in with it (https://api.slack.com/apis/socket-mode):

- ``apps.connections.open`` with an app-level token (``xapp-…``) answers a single-use
  ``wss://`` URL; here it is ``ws://127.0.0.1:<port>/link/?ticket=…`` (slack_sdk's built-in
  client speaks plain WebSocket to any port but 443, as it does for Slack's own tests).
- Each connection is greeted with ``{"type": "hello", "num_connections": n, …}``.
- An app may hold up to 10 connections; Slack sends each payload to **one** of them. `send`
  picks them in turn, so a test with two replicas sees both used; `send(…, to=i)` picks one.
- The app acknowledges an envelope by sending back ``{"envelope_id": …}`` (with an optional
  ``payload``, Slack's answer for a slash command); `acks` records which connection did.

`FakeSlack.socket_mode` attaches one of these to the Web API stand-in.
"""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

T = TypeVar("T")

MAX_CONNECTIONS = 10  # Slack's limit per app


@dataclass
class Ack:
    envelope_id: str
    connection: int  # which connection (in the order they opened) acknowledged it
    payload: dict[str, Any] | None


@dataclass
class _Link:
    number: int
    socket: ServerConnection
    open: bool = True
    received: list[str] = field(default_factory=list)  # envelope ids sent down this connection


class FakeSocketMode:
    def __init__(self, app_token: str, app_id: str = "A0000APP01") -> None:
        self.app_token, self.app_id = app_token, app_id
        self._lock = threading.RLock()  # re-entrant: wait_for's probes take it again
        self._changed = threading.Condition(self._lock)
        self._tickets: set[str] = set()
        self._links: list[_Link] = []
        self._acks: dict[str, Ack] = {}
        self._turn = itertools.count()
        self._server = serve(self._serve, "127.0.0.1", 0)
        self.port: int = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"FakeSocketMode:{self.port}",
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)

    # ---- the Web API method -----------------------------------------------------------------

    def open_url(self, token: str | None) -> dict[str, Any]:
        """``apps.connections.open``: a one-time URL for a valid app-level token."""
        if not token:
            return {"ok": False, "error": "not_authed"}
        if token != self.app_token:
            return {"ok": False, "error": "invalid_auth"}
        ticket = uuid.uuid4().hex
        with self._lock:
            if sum(link.open for link in self._links) >= MAX_CONNECTIONS:
                return {"ok": False, "error": "too_many_websockets"}
            self._tickets.add(ticket)
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}"}

    # ---- what tests do -----------------------------------------------------------------------

    def connections(self) -> int:
        """How many connections are open now."""
        with self._lock:
            return sum(link.open for link in self._links)

    def wait_connections(self, count: int, timeout: float = 30.0) -> None:
        self._wait(lambda: self.connections() >= count or None, timeout, f"{count} open connections")

    def send(self, kind: str, payload: dict[str, Any], *, to: int | None = None) -> str:
        """Send one envelope (``kind``: ``slash_commands``, ``interactive``, ``events_api``) to
        one open connection — the next in turn, or connection number ``to``; its envelope id."""
        envelope_id = uuid.uuid4().hex
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                    "accepts_response_payload": kind != "events_api", "retry_attempt": 0, "retry_reason": ""}
        with self._lock:
            live = [link for link in self._links if link.open]
            if not live:
                raise AssertionError("no Socket Mode connection is open")
            link = next(lk for lk in live if lk.number == to) if to is not None else live[next(self._turn) % len(live)]
            link.received.append(envelope_id)
        link.socket.send(json.dumps(envelope))
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> Ack:
        return self._wait(lambda: self._acks.get(envelope_id), timeout, f"the ack of {envelope_id}")

    def acks(self) -> list[Ack]:
        with self._lock:
            return list(self._acks.values())

    def received(self) -> dict[int, int]:
        """Envelopes sent so far, by connection number."""
        with self._lock:
            return {link.number: len(link.received) for link in self._links}

    # ---- the server side ---------------------------------------------------------------------

    def _serve(self, socket: ServerConnection) -> None:
        path = socket.request.path if socket.request else ""
        ticket = path.partition("ticket=")[2]
        with self._lock:
            valid = ticket in self._tickets
            self._tickets.discard(ticket)  # single use, as Slack's are
            if valid:
                link = _Link(len(self._links), socket)
                self._links.append(link)
                count = sum(lk.open for lk in self._links)
        if not valid:
            socket.close(code=4001, reason="invalid ticket")
            return
        socket.send(json.dumps({"type": "hello", "num_connections": count,
                                "connection_info": {"app_id": self.app_id},
                                "debug_info": {"host": "fake-socket-mode"}}))
        with self._changed:
            self._changed.notify_all()
        try:
            for message in socket:
                self._received(link, message)
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                link.open = False
                self._changed.notify_all()

    def _received(self, link: _Link, message: str | bytes) -> None:
        try:
            body = json.loads(message)
        except ValueError:
            return
        envelope_id = body.get("envelope_id") if isinstance(body, dict) else None
        if isinstance(envelope_id, str):
            with self._changed:
                self._acks.setdefault(envelope_id, Ack(envelope_id, link.number, body.get("payload")))
                self._changed.notify_all()

    def _wait(self, probe: Callable[[], T | None], timeout: float, what: str) -> T:
        with self._changed:
            found = self._changed.wait_for(probe, timeout=timeout)
        if not found:
            raise AssertionError(f"timed out waiting for {what}")
        return found
