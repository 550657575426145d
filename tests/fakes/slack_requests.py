"""Build what Slack itself sends to our app (slash commands, button clicks, events), signed.

Why: Bolt verifies every HTTP request (v0 HMAC-SHA256 over the raw body, 5-minute window) and
answers 401 otherwise, so tests must send byte-exact, correctly signed bodies shaped like
Slack's. Field lists follow Slack's docs and bolt-python's own scenario tests
(see /work/shared/reference/slack-platform.md §1, §2, §9).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

__all__ = [
    "FORM",
    "JSON",
    "block_actions_body",
    "press",
    "event_body",
    "global_shortcut_body",
    "message_action_body",
    "post",
    "post_signed",
    "sign",
    "slash_command_body",
    "url_verification_body",
    "view_submission_body",
]

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
DEFAULT_TEAM_ID = "T0000FAKE1"  # matches FakeSlack's defaults
DEFAULT_APP_ID = "A0000APP01"
DEFAULT_BOT_USER_ID = "U0000BOT01"
DEFAULT_USER_ID = "U0000USER1"
DEFAULT_CHANNEL_ID = "C0000GEN01"
#: Port 9 (discard) on loopback: connection refused at once. Pass FakeSlack.response_url(...)
#: when the app is expected to respond; a real hooks.slack.com default would try the internet.
UNSET_RESPONSE_URL = "http://127.0.0.1:9/response/unset"
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_seq = itertools.count(1)


def sign(secret: str, body: bytes, timestamp: int | None = None, *, content_type: str | None = None) -> dict[str, str]:
    """Headers Slack sends: `v0=` + HMAC-SHA256(secret, f"v0:{ts}:{body}").

    `timestamp` defaults to now; pass an old one to test the 5-minute replay window.
    `content_type` defaults to JSON when the body starts with `{`, form otherwise.
    """
    ts = int(time.time()) if timestamp is None else int(timestamp)
    base = b"v0:" + str(ts).encode("ascii") + b":" + body
    signature = "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    ctype = content_type or (JSON if body.lstrip().startswith(b"{") else FORM)
    return {"content-type": ctype, "x-slack-request-timestamp": str(ts), "x-slack-signature": signature}


def _trigger_id() -> str:
    return f"{int(time.time())}{next(_seq):04d}.1111111111.{hashlib.sha1(str(next(_seq)).encode()).hexdigest()[:32]}"


def slash_command_body(
    text: str,
    *,
    command: str = "/reset",
    user_id: str = DEFAULT_USER_ID,
    user_name: str = "alice",
    channel_id: str = DEFAULT_CHANNEL_ID,
    channel_name: str = "general",
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = "fake-workspace",
    response_url: str = UNSET_RESPONSE_URL,
    trigger_id: str | None = None,
    api_app_id: str = DEFAULT_APP_ID,
    token: str = "fake-verification-token",
    enterprise_id: str | None = None,
    enterprise_name: str | None = None,
    is_enterprise_install: bool = False,
) -> bytes:
    """Form-encoded slash command, fields in Slack's order (`+` for spaces, `%2F` for `/`).

    In a DM with the bot, Slack sends channel_id `D…` and channel_name `directmessage`.
    """
    fields: list[tuple[str, str]] = [
        ("token", token),
        ("team_id", team_id),
        ("team_domain", team_domain),
    ]
    if enterprise_id:
        fields += [("enterprise_id", enterprise_id), ("enterprise_name", enterprise_name or "")]
    fields += [
        ("channel_id", channel_id),
        ("channel_name", channel_name),
        ("user_id", user_id),
        ("user_name", user_name),
        ("command", command),
        ("text", text),
        ("api_app_id", api_app_id),
        ("is_enterprise_install", "true" if is_enterprise_install else "false"),
        ("response_url", response_url),
        ("trigger_id", trigger_id or _trigger_id()),
    ]
    return urlencode(fields).encode("utf-8")


def block_actions_body(
    action_id: str,
    value: str,
    *,
    user_id: str = DEFAULT_USER_ID,
    user_name: str = "alice",
    channel_id: str = DEFAULT_CHANNEL_ID,
    channel_name: str = "general",
    response_url: str | None = UNSET_RESPONSE_URL,
    block_id: str = "actions",
    button_text: str = "Button",
    message_ts: str | None = None,
    message: Mapping[str, Any] | None = None,
    container: str = "message",
    view_id: str = "V0000HOME1",
    is_ephemeral: bool = False,
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = "fake-workspace",
    api_app_id: str = DEFAULT_APP_ID,
    trigger_id: str | None = None,
    token: str = "fake-verification-token",
) -> bytes:
    """Form body `payload=<JSON>` of a button click, as Slack's interactivity requests.

    `container="message"` (default): a button in a channel message; has channel, message
    (unless ephemeral) and response_url. `container="view"`: a button on the App Home tab;
    Slack sends `view` and no channel, message or response_url, so Bolt's `respond()` raises
    there. `message` lets a test pass the clicked message (defaults to a minimal one).
    """
    action_ts = f"{time.time():.6f}"
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": token,
        "trigger_id": trigger_id or _trigger_id(),
        "team": {"id": team_id, "domain": team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
    }
    if container == "view":
        payload["container"] = {"type": "view", "view_id": view_id}
        payload["view"] = {"id": view_id, "team_id": team_id, "type": "home", "blocks": [],
                           "private_metadata": "", "callback_id": "", "state": {"values": {}},
                           "hash": "1.0", "app_id": api_app_id, "bot_id": "B0000BOT01"}
    elif container == "message":
        ts = message_ts or (message or {}).get("ts") or f"{time.time() - 1:.6f}"
        payload["container"] = {"type": "message", "message_ts": ts, "channel_id": channel_id,
                                "is_ephemeral": is_ephemeral}
        payload["channel"] = {"id": channel_id, "name": channel_name}
        if not is_ephemeral:
            payload["message"] = dict(message) if message is not None else {
                "type": "message", "user": DEFAULT_BOT_USER_ID, "ts": ts, "bot_id": "B0000BOT01",
                "app_id": api_app_id, "text": "", "team": team_id, "blocks": []}
        if response_url is not None:
            payload["response_url"] = response_url
    else:
        raise ValueError("container must be 'message' or 'view'")
    payload["state"] = {"values": {}}
    payload["actions"] = [{
        "action_id": action_id,
        "block_id": block_id,
        "text": {"type": "plain_text", "text": button_text, "emoji": True},
        "value": value,
        "type": "button",
        "action_ts": action_ts,
    }]
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode("utf-8")


def press(message: Mapping[str, Any], action_prefix: str, *, index: int = 0, channel_id: str = DEFAULT_CHANNEL_ID,
          **kwargs: Any) -> bytes:
    """The `block_actions` body of pressing a button on a message the bot posted (as FakeSlack stores
    it: ts, thread_ts, blocks): the ``index``-th button whose action_id starts with ``action_prefix``.
    The container carries the message's ``message_ts`` and the message itself, as Slack sends them,
    so an answer can go into that message's thread."""
    found = [(block, element) for block in message.get("blocks", []) if block.get("type") == "actions"
             for element in block.get("elements", []) if str(element.get("action_id", "")).startswith(action_prefix)]
    if len(found) <= index:
        raise AssertionError(f"no button {action_prefix!r} #{index} on the message")
    block, button = found[index]
    clicked = {"type": "message", "user": DEFAULT_BOT_USER_ID, "bot_id": "B0000BOT01", "app_id": DEFAULT_APP_ID,
               "team": DEFAULT_TEAM_ID}
    clicked.update({k: message[k] for k in ("ts", "thread_ts", "text", "blocks") if k in message})
    return block_actions_body(button["action_id"], button.get("value", ""), channel_id=channel_id,
                              block_id=block.get("block_id", "actions"), button_text=button["text"]["text"],
                              message_ts=message["ts"], message=clicked, **kwargs)
def message_action_body(
    callback_id: str,
    text: str,
    *,
    message_ts: str | None = None,
    thread_ts: str | None = None,
    author_id: str = "U0000AUTH1",
    user_id: str = DEFAULT_USER_ID,
    user_name: str = "alice",
    channel_id: str = DEFAULT_CHANNEL_ID,
    channel_name: str = "general",
    response_url: str = UNSET_RESPONSE_URL,
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = "fake-workspace",
    api_app_id: str = DEFAULT_APP_ID,
    blocks: list[dict[str, Any]] | None = None,
    token: str = "fake-verification-token",
) -> bytes:
    """Form body `payload=<JSON>` of a *message* shortcut (``type: message_action``), as Slack sends
    it when someone picks the app's shortcut from a message's menu: the message (text, ts, its
    ``thread_ts`` if it is a reply), the channel, the user, a ``response_url`` and a trigger_id."""
    ts = message_ts or f"{time.time() - 5:.6f}"
    msg: dict[str, Any] = {"type": "message", "user": author_id, "ts": ts, "text": text, "team": team_id}
    if blocks is not None:
        msg["blocks"] = blocks
    if thread_ts:
        msg["thread_ts"] = thread_ts
    payload: dict[str, Any] = {
        "type": "message_action",
        "token": token,
        "action_ts": f"{time.time():.6f}",
        "team": {"id": team_id, "domain": team_domain},
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "channel": {"id": channel_id, "name": channel_name},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": _trigger_id(),
        "response_url": response_url,
        "message_ts": ts,
        "message": msg,
        "api_app_id": api_app_id,
    }
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode("utf-8")


def event_body(
    event: Mapping[str, Any],
    *,
    team_id: str = DEFAULT_TEAM_ID,
    api_app_id: str = DEFAULT_APP_ID,
    bot_user_id: str = DEFAULT_BOT_USER_ID,
    event_id: str | None = None,
    event_time: int | None = None,
    token: str = "fake-verification-token",
) -> bytes:
    """JSON `event_callback` envelope (Events API), e.g. for
    `{"type": "app_home_opened", "user": "U…", "channel": "D…", "tab": "home", "event_ts": "…"}`."""
    now = int(time.time()) if event_time is None else event_time
    envelope = {
        "token": token,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": dict(event),
        "type": "event_callback",
        "event_id": event_id or f"Ev{now}{next(_seq):04d}",
        "event_time": now,
        "authorizations": [{"enterprise_id": None, "team_id": team_id, "user_id": bot_user_id,
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
        "event_context": f"4-fake-{next(_seq)}",
    }
    return json.dumps(envelope, separators=(",", ":")).encode("utf-8")


def global_shortcut_body(
    callback_id: str,
    *,
    trigger_id: str,
    user_id: str = DEFAULT_USER_ID,
    user_name: str = "alice",
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = "fake-workspace",
    token: str = "fake-verification-token",
) -> bytes:
    """Form body `payload=<JSON>` of a global shortcut (type ``shortcut``): no channel, no
    message, no response_url — only who, where (the workspace) and a trigger_id."""
    payload = {
        "type": "shortcut",
        "token": token,
        "action_ts": f"{time.time():.6f}",
        "team": {"id": team_id, "domain": team_domain},
        "user": {"id": user_id, "username": user_name, "team_id": team_id},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id,
    }
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode("utf-8")


def view_submission_body(
    view: Mapping[str, Any],
    values: Mapping[str, Any],
    *,
    user_id: str = DEFAULT_USER_ID,
    user_name: str = "alice",
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = "fake-workspace",
    api_app_id: str = DEFAULT_APP_ID,
    response_urls: list[dict[str, str]] | None = None,
    token: str = "fake-verification-token",
) -> bytes:
    """Form body `payload=<JSON>` of a modal's submission: the view as Slack holds it (e.g. one
    of `FakeSlack.modals()`) with ``values`` as its ``state.values`` ({block_id: {action_id:
    {"type": …, the element's value fields}}}); ``response_urls`` for inputs with
    ``response_url_enabled`` ({block_id, action_id, channel_id, response_url} each)."""
    submitted = {k: v for k, v in view.items() if k != "user"}
    submitted["state"] = {"values": dict(values)}
    payload = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": team_domain},
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": token,
        "trigger_id": _trigger_id(),
        "view": submitted,
        "response_urls": list(response_urls or []),
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode("utf-8")


def url_verification_body(challenge: str = "fake-challenge", *, token: str = "fake-verification-token") -> bytes:
    """The handshake Slack sends when the Events request URL is saved."""
    return json.dumps({"token": token, "challenge": challenge, "type": "url_verification"}).encode("utf-8")


def post(url: str, body: bytes, headers: Mapping[str, str], timeout: float = 5.0) -> tuple[int, str]:
    """POST to a loopback URL; returns (status, decoded body) also for 4xx/5xx.

    Refuses any other host so a test can never reach the network; ignores proxy variables.
    """
    host = urlsplit(url).hostname
    if host not in _LOOPBACK:
        raise ValueError(f"refusing to POST to non-loopback host {host!r}")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def post_signed(url: str, body: bytes, secret: str, *, timestamp: int | None = None,
                timeout: float = 5.0) -> tuple[int, str]:
    """`post` with `sign` headers, the usual way a test plays Slack against the app."""
    return post(url, body, sign(secret, body, timestamp), timeout)
