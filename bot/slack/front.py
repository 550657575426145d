"""The HTTP front door: every request is checked here, on its raw bytes, before Bolt sees it.

What a request must pass, in this order (each refusal is final and causes nothing else —
no Slack call, no database row, no outbound request, no log line with its body):

1. ``POST /slack/events`` with a ``Content-Length`` of at most `MAX_BODY_BYTES` (411, 413).
   Waitress enforces the same limit while reading (`bot.slack.server`), so a larger body is never
   buffered whole.
2. The signature: ``X-Slack-Request-Timestamp`` is an integer within five minutes of now and
   ``X-Slack-Signature`` is ``v0=`` + HMAC-SHA256 of ``v0:{timestamp}:{body}`` (401). A header
   that is not even shaped like one is refused the same way, not raised on.
3. The body parses as Slack sends it: form fields (a slash command, or ``payload=`` JSON for
   interactivity) or a JSON object (Events API) (400).
4. Not seen before: the (timestamp, signature) pair — and an event's ``event_id``, which
   Slack's own retries (``X-Slack-Retry-Num``) repeat — is recorded in the database
   (`Sightings.first_sighting`), so a replay is acknowledged (200) but not processed, on any replica.
   If the database cannot record it, the replica falls back to its own memory for the moment
   and says so in the log: commands keep working, and only a replay sent to *another* replica
   during the outage would get through.

Only then does Bolt get the request (it verifies the signature once more, harmlessly). What
Bolt answers passes through one last net: a verified request never gets a 404 or a 5xx — it
gets 200 with a short apology and an error id (slash commands), or a plain 200, and the error
is logged with that id.

Refusals are logged one line per reason at most every `REFUSAL_LOG_SECONDS` (with a count), so
a flood of junk cannot flood the log either.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol
from urllib.parse import parse_qsl

logger = logging.getLogger("reset_bot.front")

#: Slack's payloads are small: a slash command is under 1 KB; the largest are interactivity
#: payloads that carry the clicked message or a modal's state (Slack caps a message at 50
#: blocks and 40,000 characters of text, a modal at 100 blocks), a few tens of KB. 256 KiB
#: leaves ample room for those and refuses anything that could only be an attack.
MAX_BODY_BYTES = 256 * 1024
SIGNATURE_WINDOW = timedelta(minutes=5)  # Slack's rule: older signed requests are refused
REFUSAL_LOG_SECONDS = 10.0
PRUNE_EVERY = timedelta(minutes=1)

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")

StartResponse = Callable[..., object]
Environ = dict[str, Any]  # a WSGI request's environ
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]


class Sightings(Protocol):
    """Where request keys are recorded: `bot.storage.sightings.Sightings` in service."""

    def first_sighting(self, keys: list[str], *, now: datetime | None = None) -> bool: ...

    def prune_sightings(self, before: datetime) -> int: ...


class MemorySightings:
    """Request keys in this process's memory: the fallback while the database cannot record them
    (and the whole story in tests that need no database). Bounded: keys expire with the window."""

    def __init__(self, max_keys: int = 200_000) -> None:
        self._seen: OrderedDict[str, datetime] = OrderedDict()
        self._max = max_keys
        self._lock = threading.Lock()

    def first_sighting(self, keys: list[str], *, now: datetime | None = None) -> bool:
        at = now or datetime.now(timezone.utc)
        with self._lock:
            if any(key in self._seen for key in keys):
                return False
            for key in keys:
                self._seen[key] = at
            while len(self._seen) > self._max:
                self._seen.popitem(last=False)
        return True

    def prune_sightings(self, before: datetime) -> int:
        with self._lock:
            old = [key for key, at in self._seen.items() if at < before]
            for key in old:
                del self._seen[key]
        return len(old)


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str  # for the log: never contains the body or a header's value


@dataclass(frozen=True)
class Verified:
    """A request that passed every check: its raw bytes and what Slack sent in them."""

    body: bytes
    fields: dict[str, Any]  # form fields, with a parsed ``payload``; or the JSON envelope
    replay: bool


class RequestGuard:
    """Decides, from the headers and raw body alone, whether a request may reach the app."""

    def __init__(self, signing_secret: str, sightings: Sightings, *, max_body: int = MAX_BODY_BYTES,
                 clock: Callable[[], float] = time.time) -> None:
        self._secret = signing_secret.encode("utf-8")
        self._sightings = sightings
        self._fallback = MemorySightings()
        self.max_body = max_body
        self._clock = clock
        self._next_prune = 0.0
        self._prune_lock = threading.Lock()

    def check(self, headers: Mapping[str, str], body: bytes) -> Refusal | Verified:
        """``headers``: lower-case names. Never raises on what a client sends."""
        timestamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
            return Refusal(401, "missing or malformed signature headers")
        if abs(self._clock() - int(timestamp)) > SIGNATURE_WINDOW.total_seconds():
            return Refusal(401, "stale or future timestamp")
        expected = "v0=" + hmac.new(self._secret, b"v0:" + timestamp.encode() + b":" + body,
                                    hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return Refusal(401, "bad signature")
        fields = parse_body(headers.get("content-type", ""), body)
        if fields is None:
            return Refusal(400, "signed but malformed body")
        keys = ["sig:" + hashlib.sha256(f"{timestamp}:{signature}".encode()).hexdigest()]
        event_id = fields.get("event_id") if fields.get("type") == "event_callback" else None
        if isinstance(event_id, str) and event_id:
            keys.append("event:" + event_id[:64])
        return Verified(body=body, fields=fields, replay=not self._first_sighting(keys))

    def _first_sighting(self, keys: list[str]) -> bool:
        now = datetime.fromtimestamp(self._clock(), timezone.utc)
        try:
            first = self._sightings.first_sighting(keys, now=now)
        except Exception as exc:  # the database is down: this replica's memory, for now
            _throttled(f"replay ledger unavailable, using this process's memory: {type(exc).__name__}",
                       level=logging.WARNING)
            return self._fallback.first_sighting(keys, now=now)
        self._prune(now)
        return first and self._fallback.first_sighting(keys, now=now)

    def _prune(self, now: datetime) -> None:
        if now.timestamp() < self._next_prune or not self._prune_lock.acquire(blocking=False):
            return
        try:
            self._next_prune = now.timestamp() + PRUNE_EVERY.total_seconds()
            before = now - 2 * SIGNATURE_WINDOW  # twice the window: clocks of replicas may differ a little
            self._fallback.prune_sightings(before)
            self._sightings.prune_sightings(before)
        except Exception:
            logger.warning("could not prune old request keys; will try again", exc_info=False)
        finally:
            self._prune_lock.release()


def parse_body(content_type: str, body: bytes) -> dict[str, Any] | None:
    """What Slack sent, or None if it is not shaped like any Slack request."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if content_type.split(";")[0].strip().lower() == "application/json":
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):  # deep nesting exhausts the parser's stack: not Slack's
            return None
        return parsed if isinstance(parsed, dict) else None
    try:
        fields: dict[str, Any] = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text),
                                                max_num_fields=200))
    except ValueError:
        return None
    if "payload" in fields:
        try:
            payload = json.loads(fields["payload"])
        except (ValueError, RecursionError):
            return None
        if not isinstance(payload, dict):
            return None
        fields["payload"] = payload
    return fields


_refusals: dict[str, tuple[float, int]] = {}
_refusals_lock = threading.Lock()


def _throttled(reason: str, *, level: int = logging.INFO) -> None:
    """Log ``reason`` at most once per REFUSAL_LOG_SECONDS, with how many were not logged."""
    now = time.monotonic()
    with _refusals_lock:
        last, skipped = _refusals.get(reason, (0.0, 0))
        if now - last < REFUSAL_LOG_SECONDS:
            _refusals[reason] = (last, skipped + 1)
            return
        _refusals[reason] = (now, 0)
    logger.log(level, "%s%s", reason, f" (and {skipped} more like it)" if skipped else "")


log_throttled = _throttled  # the same for the server's other door, the install pages


def _json_response(start_response: StartResponse, status: str, payload: dict[str, Any]) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


_STATUS_TEXT = {400: "400 Bad Request", 401: "401 Unauthorized", 404: "404 Not Found",
                405: "405 Method Not Allowed", 411: "411 Length Required", 413: "413 Payload Too Large"}


def refuse(start_response: StartResponse, status: int, error: str) -> list[bytes]:
    return _json_response(start_response, _STATUS_TEXT[status], {"ok": False, "error": error})


def read_body(environ: Environ, max_body: int) -> bytes | Refusal:
    """The raw body, read only if its declared length is within the limit."""
    length = environ.get("CONTENT_LENGTH") or ""
    if not length.isascii() or not length.isdigit() or len(length) > 12:
        return Refusal(411, "no Content-Length")
    if int(length) > max_body:
        return Refusal(413, "body over the limit")
    body = environ["wsgi.input"].read(int(length))
    return body if isinstance(body, bytes) else Refusal(400, "unreadable body")


def headers_of(environ: Environ) -> dict[str, str]:
    headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items()
               if key.startswith("HTTP_") and isinstance(value, str)}
    headers["content-type"] = environ.get("CONTENT_TYPE", "")
    return headers


def client_address(environ: Environ) -> str:
    """Who a per-address limit counts a request against: the peer's IP address as waitress saw it
    (``REMOTE_ADDR``), an IPv6 client by its /64 — one host is commonly given a whole /64, so
    counting single IPv6 addresses would let it take a fresh budget with every request. Behind a
    reverse proxy this is the proxy's address (README, "Installing in any workspace")."""
    peer = str(environ.get("REMOTE_ADDR") or "")
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return peer[:64] or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is the IPv4 client 192.0.2.1
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


#: What the app behind the front door is: a verified request in, (status line, headers, body) out.
Dispatch = Callable[[Verified, Environ], tuple[str, list[tuple[str, str]], bytes]]


def guarded(dispatch: Dispatch, guard: RequestGuard, *, on_error: Callable[[str, Verified], str]) -> WSGIApp:
    """The checks above in front of ``dispatch`` (Bolt, see `bot.slack.server`). ``on_error(what,
    request)`` logs a failure of a verified request and returns its error id."""

    def application(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return refuse(start_response, 405, "method_not_allowed")
        body = read_body(environ, guard.max_body)
        if isinstance(body, Refusal):
            _throttled(f"refused a request: {body.reason}")
            return refuse(start_response, body.status, "invalid_request")
        verdict = guard.check(headers_of(environ), body)
        if isinstance(verdict, Refusal):
            _throttled(f"refused a request: {verdict.reason}")
            return refuse(start_response, verdict.status, "invalid_request")
        if verdict.replay:
            _throttled("acknowledged a repeated request without processing it again")
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "0")])
            return [b""]
        try:
            status, headers, chunks = dispatch(verdict, environ)
        except Exception as exc:  # Bolt catches listener errors itself; this is the net below it
            status, headers, chunks = f"500 {type(exc).__name__}", [], b""
        if status[:1] == "5" or status.startswith("404"):
            error_id = on_error(f"the app answered {status.split()[0]}", verdict)
            return _apology(start_response, verdict, error_id)
        start_response(status, headers)
        return [chunks]

    return application


def _apology(start_response: StartResponse, request: Verified, error_id: str) -> list[bytes]:
    """200 for a verified request that the app failed: words for a slash command (Slack shows the
    body of its acknowledgement), an empty acknowledgement for everything else."""
    if "command" in request.fields and "payload" not in request.fields:
        return _json_response(start_response, "200 OK", {
            "response_type": "ephemeral",
            "text": f":warning: Something went wrong on my side. If it keeps happening, quote error id `{error_id}`."})
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "0")])
    return [b""]
