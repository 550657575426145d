"""A local stand-in for the Slack Web API, served over real HTTP on 127.0.0.1.

Why this exists: Slack cannot be reached from tests, and a mock that answers ``{"ok": true}`` to
everything hides the failures that hurt this bot in production: the bot is not in the channel,
private channels look like "not found", the three-step v2 upload fails, 429s with
``Retry-After``, invalid Block Kit. ``FakeSlack`` is an HTTP server, so the real
``slack_sdk.WebClient`` (and Bolt on top of it) runs its own request building, retry handlers
and ``files_upload_v2`` steps against it. Every rule it enforces is listed in
``docs`` of each ``_m_*`` method and in /work/shared/reference/slack-platform.md.

Typical use::

    with FakeSlack() as slack:
        slack.add_channel("C0000GEN01", "general")
        client = WebClient(token=slack.token, base_url=slack.base_url)
        client.chat_postMessage(channel="C0000GEN01", text="hi")
        assert slack.messages("C0000GEN01")[0]["text"] == "hi"
"""

from __future__ import annotations

import base64
import copy
import html
import itertools
import json
import math
import mimetypes
import re
import secrets
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

if TYPE_CHECKING:
    from tests.fakes.socket_mode import FakeSocketMode

__all__ = [
    "Call",
    "Channel",
    "Workspace",
    "Organisation",
    "FakeSlack",
    "SharedFile",
    "SlackError",
    "Upload",
    "User",
    "block_errors",
    "DEFAULT_BOT_TOKEN",
    "DEFAULT_SCOPES",
    "CLIENT_ID",
    "CLIENT_SECRET",
]

Params = dict[str, Any]
T = TypeVar("T")

DEFAULT_BOT_TOKEN = "xoxb-1111111111-2222222222-fakebottoken"
#: The bot scopes of our manifest plus the read scopes the bot needs for conversations.info and
#: users.info. Tests remove scopes to check the `missing_scope` paths.
DEFAULT_SCOPES: frozenset[str] = frozenset(
    {
        "commands",
        "chat:write",
        "chat:write.public",
        "files:write",
        "channels:join",
        "channels:read",
        "groups:read",
        "im:read",
        "mpim:read",
        "users:read",
        "im:write",  # conversations.open: a chart's data sent to the asker's DM (Slack has no ephemeral files)
    }
)
#: The app's credentials at the stand-in (Basic Information → App Credentials).
CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "fakeclientsecret0123456789abcdef"
OAUTH_CODE_TTL_SECONDS = 600  # Slack: "the code expires after ten minutes"
ROTATED_TOKEN_SECONDS = 12 * 3600  # Slack's expires_in for rotating tokens
#: Slack's own pattern for `files.completeUploadExternal`'s `channel_id` (python-slack-sdk#1426).
CHANNEL_ID_PATTERN = re.compile(r"^[CGDZ][A-Z0-9]{8,}$")
USER_ID_PATTERN = re.compile(r"^[UW][A-Z0-9]{8,}$")
MESSAGE_BLOCK_LIMIT = 50  # "up to 50 blocks in each message"
VIEW_BLOCK_LIMIT = 100  # "100 blocks in modals or Home tabs"
TRIGGER_SECONDS = 3.0  # a trigger_id "expires in three seconds"
MODAL_TEXT_LIMIT = 24  # a modal's title, submit and close texts
MODAL_STACK_LIMIT = 3  # views.push: "push_limit_reached" beyond three views
TEXT_LIMIT = 40_000  # longer `text` is truncated with a `message_truncated` warning
SECTION_FIELD_TEXT_LIMIT = 2_000  # documented, but not checked by slack_sdk
RESPONSE_URL_MAX_USES = 5  # "up to 5 times within 30 minutes"
RESPONSE_URL_TTL_SECONDS = 30 * 60
MAX_UPLOAD_BYTES = 1 << 30
MAX_SHARE_CHANNELS = 100  # `channels_limit_exceeded`
# Non-Marketplace apps (May 2025): conversations.history "rate limited to 1 request per minute",
# and "the maximum and default values for the limit parameter have both been reduced to 15".
NON_MARKETPLACE_INTERVAL = 60.0
NON_MARKETPLACE_LIMIT = 15

#: Scope needed per method (bot token). conversations.info depends on the conversation type.
_METHOD_SCOPES: dict[str, str] = {
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "files.upload": "files:write",
    "conversations.join": "channels:join",
    "users.info": "users:read",
}


class SlackError(Exception):
    """An `ok: false` answer; `extra` carries Slack's side fields (needed, response_metadata…)."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.error, **self.extra}


class _RateLimited(SlackError):
    """A rationed method called again too soon: HTTP 429 with Retry-After (see `FakeSlack.non_marketplace`)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("ratelimited")
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        return {**super().body(), "__status": 429, "__retry_after": self.retry_after}


def _invalid_arguments(*messages: str) -> SlackError:
    """Slack reports schema violations as `invalid_arguments` plus `[ERROR] …` messages."""
    return SlackError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {m}" for m in messages]})


# --------------------------------------------------------------------------------------------
# Block Kit validation


def block_errors(
    blocks: Any,
    *,
    limit: int = MESSAGE_BLOCK_LIMIT,
    file_ok: Callable[[str], bool] | None = None,
) -> list[str]:
    """Return Slack-style error strings for `blocks` (empty list = valid).

    Why not only `Block.parse(...).validate_json()`: slack_sdk silently drops unknown block and
    element types, has no per-message block count and no 2000-char check on section fields,
    accepts empty text objects, a header with mrkdwn text and an image without a source, all
    of which Slack rejects. We run the SDK validators first and then add those checks.
    `file_ok(file_id)` decides whether a `slack_file` reference is usable (shared, not private).
    """
    if not isinstance(blocks, list):
        return ["must be an array [json-pointer:/blocks]"]
    errors: list[str] = []
    if len(blocks) > limit:
        errors.append(f"no more than {limit} items allowed [json-pointer:/blocks]")
    for i, raw in enumerate(blocks):
        ptr = f"/blocks/{i}"
        if not isinstance(raw, dict):
            errors.append(f"expected an object [json-pointer:{ptr}]")
            continue
        try:
            block = Block.parse(copy.deepcopy(raw))
            if block is None:
                errors.append(f"unsupported type: {raw.get('type')!r} [json-pointer:{ptr}/type]")
                continue
            block.validate_json()
            parsed = block.to_dict()
        except (SlackObjectFormationError, TypeError, ValueError, KeyError, AttributeError) as exc:
            errors.append(f"{exc} [json-pointer:{ptr}]")
            continue
        errors.extend(f"{msg} [json-pointer:{ptr}{path}]" for path, msg in _strict_checks(raw, parsed, file_ok))
    return errors


def _strict_checks(
    raw: dict[str, Any], parsed: dict[str, Any], file_ok: Callable[[str], bool] | None
) -> list[tuple[str, str]]:
    """Checks Slack makes and slack_sdk does not; returns (json-pointer suffix, message)."""
    out: list[tuple[str, str]] = []

    def dropped(r: Any, p: Any, path: str) -> None:
        # Objects the SDK did not recognise vanish from to_dict() (None in lists, missing keys).
        if isinstance(r, dict) and isinstance(p, dict):
            for key, value in r.items():
                if key not in p:
                    if isinstance(value, dict) and "type" in value:
                        out.append((f"{path}/{key}", f"unsupported type: {value['type']!r}"))
                else:
                    dropped(value, p[key], f"{path}/{key}")
        elif isinstance(r, list) and isinstance(p, list):
            for i, (rv, pv) in enumerate(zip(r, p)):
                if pv is None:
                    kind = rv.get("type") if isinstance(rv, dict) else rv
                    out.append((f"{path}/{i}", f"unsupported type: {kind!r}"))
                else:
                    dropped(rv, pv, f"{path}/{i}")

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("plain_text", "mrkdwn") and not node.get("text"):
                out.append((f"{path}/text", "must be more than 0 characters"))
            ref = node.get("slack_file")
            if isinstance(ref, dict) and "id" in ref and file_ok is not None and not file_ok(str(ref["id"])):
                out.append((f"{path}/slack_file", "invalid slack file"))
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}/{i}")

    dropped(raw, parsed, "")
    walk(raw, "")
    kind = raw.get("type")
    if kind == "header" and not (isinstance(raw.get("text"), dict) and raw["text"].get("type") == "plain_text"):
        out.append(("/text", "must be a plain_text object"))
    if kind == "section":
        for i, f in enumerate(raw.get("fields") or []):
            if isinstance(f, dict) and len(str(f.get("text", ""))) > SECTION_FIELD_TEXT_LIMIT:
                out.append((f"/fields/{i}/text", f"must be less than {SECTION_FIELD_TEXT_LIMIT + 1} characters"))
    if kind == "image" and not raw.get("image_url") and not raw.get("slack_file"):
        out.append(("", "must provide either an image_url or slack_file"))
    return out


# --------------------------------------------------------------------------------------------
# State records


@dataclass
class Channel:
    """A conversation. `bot_member` is separate from `members` because it drives most errors."""

    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    is_archived: bool = False
    bot_member: bool = True
    members: set[str] = field(default_factory=set)
    user: str | None = None  # the other party of an IM
    created: int = field(default_factory=lambda: int(time.time()))


@dataclass
class User:
    id: str
    tz: str = "Europe/Berlin"
    name: str = ""
    real_name: str = ""
    is_bot: bool = False


@dataclass(frozen=True)
class Call:
    """One HTTP request the fake received. `method` is the API method, or `upload` /
    `response_url` for the two non-API endpoints; `status` 0 means the connection was dropped."""

    method: str
    params: dict[str, Any]
    time: float
    status: int
    response: dict[str, Any] | None
    content_type: str


@dataclass
class Upload:
    """A v2 upload ticket from files.getUploadURLExternal; `data` is set by the upload POST."""

    file_id: str
    filename: str
    length: int
    alt_txt: str | None
    snippet_type: str | None
    created: int
    data: bytes | None = None
    title: str | None = None
    completed: bool = False
    channels: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SharedFile:
    """A file shared into a channel by files.completeUploadExternal."""

    file_id: str
    channel: str
    filename: str
    title: str
    alt_txt: str | None
    data: bytes
    initial_comment: str | None
    thread_ts: str | None
    ts: str


@dataclass(frozen=True)
class Workspace:
    """A workspace (team) the app can be installed in through the OAuth flow."""

    team_id: str
    name: str
    bot_user_id: str
    bot_id: str
    enterprise_id: str | None = None  # a workspace of an Enterprise Grid organisation (installed per team)


@dataclass(frozen=True)
class Organisation:
    """An Enterprise Grid organisation: its admin can install the app org-wide, one token for every
    workspace of it (``oauth.v2.access`` answers ``is_enterprise_install: true``, ``team: null``)."""

    enterprise_id: str
    name: str
    bot_user_id: str
    bot_id: str
    team_ids: tuple[str, ...]


@dataclass
class _Grant:
    """What an authorization code, an issued token or a refresh token stands for."""

    team: Workspace
    scopes: str
    redirect_uri: str | None = None
    expires_at: float | None = None  # codes and rotating access tokens
    used: bool = False
    organisation: Organisation | None = None  # an org-wide install (``team`` then stands for the org)


@dataclass(frozen=True)
class RateLimit:
    """One of Slack's rate limits, for `FakeSlack.enforce_rate_limits`: ``per_minute`` calls of a
    method per workspace (``per_channel``: per channel of a workspace), with up to ``burst`` at once
    (a token bucket). Off unless enforced."""

    per_minute: float
    burst: float = 1.0
    per_channel: bool = False


@dataclass
class _Trigger:
    user_id: str
    issued_at: float  # the fake's clock
    exchanged: bool = False


@dataclass
class _ResponseUrl:
    token_id: str
    created: float
    channel: str | None
    user: str | None
    uses: int = 0
    posts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Fault:
    status: int | None
    retry_after: int
    error: str | None
    delay: float | None
    drop: bool
    remaining: int

    def response(self) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        """The canned answer, or None when the fault is only a delay."""
        if self.error is not None:
            return 200, {"ok": False, "error": self.error}, {}
        if self.status == 429:
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(self.retry_after)}
        if self.status is not None:
            name = "service_unavailable" if self.status == 503 else "internal_error"
            return self.status, {"ok": False, "error": name}, {}
        return None


# --------------------------------------------------------------------------------------------
# HTTP plumbing


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeSlack

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a reverse DNS lookup that can stall offline.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection, as urllib does anyway

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        self.server.fake._serve(self)

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        pass


def _parse_multipart(content_type: str, body: bytes) -> list[tuple[str | None, str | None, bytes]]:
    """(field name, filename, bytes) per part; binary-safe, unlike the email parser."""
    header = Message()
    header["content-type"] = content_type
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str):
        return []
    parts: list[tuple[str | None, str | None, bytes]] = []
    for chunk in body.split(b"--" + boundary.encode("latin-1"))[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk
        head, _, data = chunk.partition(b"\r\n\r\n")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        disposition = Message()
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-disposition":
                disposition["content-disposition"] = value.strip()
        field_name = disposition.get_param("name", header="content-disposition")
        filename = disposition.get_param("filename", header="content-disposition")
        parts.append((
            field_name if isinstance(field_name, str) else None,
            filename if isinstance(filename, str) else None,
            data,
        ))
    return parts


def _text(params: Params, key: str) -> str | None:
    value = params.get(key)
    return None if value is None or value == "" else str(value)


def _flag(params: Params, key: str) -> bool:
    value = params.get(key)
    return value is True or str(value).lower() in ("1", "true")


def _top_level(message: dict[str, Any]) -> bool:
    """In the channel's own history: not a thread reply, unless broadcast to the channel too."""
    return message.get("thread_ts") in (None, message["ts"]) or message.get("subtype") == "thread_broadcast"


def _json_param(params: Params, key: str, error: str) -> Any:
    """Form bodies carry lists/objects as JSON strings, JSON bodies carry them as-is."""
    value = params.get(key)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise SlackError(error) from None
    return value


# --------------------------------------------------------------------------------------------
# The fake


class FakeSlack:
    """Slack Web API on 127.0.0.1:<ephemeral>, plus upload URLs and response_urls.

    Thread-safe: API calls are served one at a time under a lock (delays and dropped connections
    happen outside it), and all helpers take the same lock and return copies.
    """

    def __init__(
        self,
        *,
        token: str = DEFAULT_BOT_TOKEN,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        team_id: str = "T0000FAKE1",
        team_domain: str = "fake-workspace",
        bot_user_id: str = "U0000BOT01",
        bot_id: str = "B0000BOT01",
        app_id: str = "A0000APP01",
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        token_rotation: bool = False,
    ) -> None:
        self.token = token
        self.client_id, self.client_secret = client_id, client_secret
        self.token_rotation = token_rotation  # issue expiring xoxe.xoxb- tokens with refresh tokens
        self.scopes: set[str] = set(scopes)
        self.team_id, self.team_domain = team_id, team_domain
        self.bot_user_id, self.bot_id, self.app_id = bot_user_id, bot_id, app_id

        self._lock = threading.RLock()
        self._changed = threading.Condition(threading.Lock())
        self._closing = threading.Event()
        self._channels: dict[str, Channel] = {}
        self._users: dict[str, User] = {
            bot_user_id: User(bot_user_id, "America/Los_Angeles", "reset-bot", "Reset Bot", True),
        }
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._ephemerals: dict[str, list[dict[str, Any]]] = {}
        self._uploads: dict[str, Upload] = {}
        self._shared: dict[str, list[SharedFile]] = {}
        self._home_views: dict[str, dict[str, Any]] = {}
        self._triggers: dict[str, _Trigger] = {}  # trigger_ids this fake issued (`issue_trigger`)
        self._modals: dict[str, dict[str, Any]] = {}  # open modal views, by view id
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._rate_limits: dict[str, tuple[RateLimit, ...]] = {}  # enforce_rate_limits; none by default
        self._buckets: dict[tuple[str, str, str, int], tuple[float, float]] = {}  # (tokens, when) per bucket
        self._calls: list[Call] = []
        self._last_ts_us = 0
        self._ids = itertools.count(1)
        self._clock_offset = 0.0
        self._non_marketplace: set[str] = set()  # teams whose history reads are rationed
        self._rationed_at: dict[tuple[str, str], float] = {}  # (method, team) -> last accepted call
        self._workspaces: dict[str, Workspace] = {
            team_id: Workspace(team_id, "Fake Workspace", bot_user_id, bot_id)}
        self._authorizations: dict[str, dict[str, str]] = {}  # pending authorize pages, by id
        self._codes: dict[str, _Grant] = {}
        self._issued: dict[str, _Grant] = {}  # access tokens issued by oauth.v2.access
        self._refresh_tokens: dict[str, _Grant] = {}
        self._caller: _Grant | None = None  # the issued token of the call being served (under the lock)
        self.socket_mode: FakeSocketMode | None = None  # attach one for Socket Mode (tests/fakes/socket_mode.py)
        self._organisations: dict[str, Organisation] = {}
        self._token_uses: list[tuple[str, str, dict[str, Any]]] = []  # (method, token, params) of accepted calls
        self._methods: dict[str, Callable[[Params], dict[str, Any]]] = {
            "auth.test": self._m_auth_test,
            "chat.postMessage": self._m_chat_post_message,
            "chat.postEphemeral": self._m_chat_post_ephemeral,
            "files.getUploadURLExternal": self._m_files_get_upload_url_external,
            "files.completeUploadExternal": self._m_files_complete_upload_external,
            "files.upload": self._m_files_upload,
            "conversations.info": self._m_conversations_info,
            "conversations.join": self._m_conversations_join,
            "conversations.history": self._m_conversations_history,
            "conversations.replies": self._m_conversations_replies,
            "users.info": self._m_users_info,
            "views.publish": self._m_views_publish,
            "views.open": self._m_views_open,
            "views.update": self._m_views_update,
            "views.push": self._m_views_push,
        }
        self._methods["conversations.open"] = self._m_conversations_open  # the asker's DM (branch csv)

        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name=f"FakeSlack:{self.port}", daemon=True)
        self._thread.start()

    # ---- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """For `WebClient(base_url=...)`; trailing slash as slack_sdk expects."""
        return f"http://127.0.0.1:{self.port}/api/"

    def close(self) -> None:
        """Stop serving; pending `delay` faults are cut short."""
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeSlack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- setup helpers -----------------------------------------------------------------------

    def add_channel(
        self,
        id: str,  # noqa: A002 - Slack's field name
        name: str = "",
        *,
        private: bool = False,
        im: bool = False,
        bot_member: bool = True,
        archived: bool = False,
        members: Iterable[str] = (),
        user: str | None = None,
    ) -> Channel:
        """Create a conversation. IDs must look like Slack's (e.g. C0123ABCD), because
        files.completeUploadExternal rejects others; `user` is the other party of an IM."""
        if not CHANNEL_ID_PATTERN.match(id) or id[0] == "Z":
            raise ValueError(f"{id!r} is not a Slack conversation ID (^[CGD][A-Z0-9]{{8,}}$)")
        if im and not user:
            raise ValueError("an IM needs user=")
        channel = Channel(id, name or id.lower(), is_private=private or im, is_im=im, is_archived=archived,
                          bot_member=bot_member, members=set(members) | ({user} if user else set()), user=user)
        with self._lock:
            self._channels[id] = channel
        return copy.deepcopy(channel)

    def add_workspace(self, team_id: str, name: str) -> Workspace:
        """Another workspace to install the app in (the authorize page offers each)."""
        suffix = team_id[-5:].rjust(5, "0")
        workspace = Workspace(team_id, name, f"U{suffix}BOT", f"B{suffix}BOT")
        with self._lock:
            self._workspaces[team_id] = workspace
        return workspace

    def add_organisation(self, enterprise_id: str, name: str, workspaces: Mapping[str, str]) -> Organisation:
        """An Enterprise Grid organisation with ``workspaces`` (team id -> name). The authorize page
        offers an org-wide install (``allow-<enterprise_id>``) besides each workspace on its own
        (``allow-<team_id>``: a per-team install inside the organisation)."""
        suffix = enterprise_id[-5:].rjust(5, "0")
        org = Organisation(enterprise_id, name, f"U{suffix}ORG", f"B{suffix}ORG", tuple(workspaces))
        with self._lock:
            self._organisations[enterprise_id] = org
            for team_id, team_name in workspaces.items():
                team_suffix = team_id[-5:].rjust(5, "0")
                self._workspaces[team_id] = Workspace(team_id, team_name, f"U{team_suffix}BOT", f"B{team_suffix}BOT",
                                                      enterprise_id)
        return org

    def token_uses(self, token: str) -> list[str]:
        """The API methods called with ``token``, in order (only calls it was accepted for)."""
        with self._lock:
            return [method for method, used, _ in self._token_uses if used == token]

    def issued_tokens(self, team_id: str | None = None) -> list[str]:
        """Access tokens oauth.v2.access issued (for ``team_id``), oldest first."""
        with self._lock:
            return [t for t, grant in self._issued.items() if team_id is None or grant.team.team_id == team_id]

    def calls_with_token(self, token: str, method: str | None = None) -> list[dict[str, Any]]:
        """The params of every call (of ``method``) that Slack accepted ``token`` for, oldest first:
        which workspace's token a post went out with, in OAuth mode."""
        with self._lock:
            return [copy.deepcopy(params) for used, tok, params in self._token_uses
                    if tok == token and (method is None or used == method)]

    def _note_token(self, method: str, token: str, params: Params) -> None:
        with self._lock:
            self._token_uses.append((method, token, copy.deepcopy(dict(params))))

    def add_user(self, id: str, tz: str = "Europe/Berlin", *, name: str = "", real_name: str = "") -> User:  # noqa: A002
        """Create a user; `tz` must be an IANA zone (users.info derives tz_offset from it)."""
        if not USER_ID_PATTERN.match(id):
            raise ValueError(f"{id!r} is not a Slack user ID (^[UW][A-Z0-9]{{8,}}$)")
        ZoneInfo(tz)  # fail early on a typo
        user = User(id, tz, name or id.lower(), real_name or name or id)
        with self._lock:
            self._users[id] = user
        return copy.deepcopy(user)

    def add_member(self, channel: str, *users: str) -> None:
        """Put users (not the bot; see `set_bot_member`) into a channel, for chat.postEphemeral."""
        with self._lock:
            self._channels[channel].members.update(users)

    def set_bot_member(self, channel: str, member: bool) -> None:
        """Simulate the bot being /invited or removed."""
        with self._lock:
            self._channels[channel].bot_member = member

    def archive(self, channel: str) -> None:
        with self._lock:
            self._channels[channel].is_archived = True

    def response_url(self, token_id: str | None = None, *, channel: str | None = None, user: str | None = None) -> str:
        """Register a response_url (its 30-minute clock starts now) and return it.

        With `channel`, an accepted `in_channel` post also appears in `messages(channel)`, and an
        ephemeral one in `ephemerals(channel)`, as Slack would show it.
        """
        with self._lock:
            token_id = token_id or f"R{next(self._ids):09d}"
            if token_id not in self._response_urls:
                self._response_urls[token_id] = _ResponseUrl(token_id, self._now(), channel, user)
        return f"http://127.0.0.1:{self.port}/response/{token_id}"

    def fail_next(
        self,
        method: str,
        *,
        status: int | None = None,
        retry_after: int = 1,
        times: int = 1,
        error: str | None = None,
        delay: float | None = None,
        drop_connection: bool = False,
    ) -> None:
        """Make the next `times` requests to `method` misbehave.

        `method` is an API method name, or "upload" (v2 step 2) or "response_url".
        Precedence: drop_connection > error (HTTP 200, ok:false) > status (429 adds Retry-After
        and `ratelimited`; 5xx gives `internal_error`/`service_unavailable`). `delay` sleeps
        first and combines with the others; alone it only slows the real answer down.
        With none of them given the fault is a 429.
        """
        if status is None and error is None and delay is None and not drop_connection:
            status = 429
        with self._lock:
            self._faults.setdefault(method, []).append(
                _Fault(status, retry_after, error, delay, drop_connection, times))

    def clear_faults(self, method: str | None = None) -> None:
        """End the faults queued for ``method`` (all methods if None): an outage is over."""
        with self._lock:
            if method is None:
                self._faults.clear()
            else:
                self._faults.pop(method, None)

    def advance_clock(self, seconds: float) -> None:
        """Move the fake's clock forward (only response_url expiry uses it)."""
        with self._lock:
            self._clock_offset += seconds

    def non_marketplace(self, team_id: str | None = None) -> None:
        """Give ``team_id`` (default: the stand-in's own team) the limits of an app distributed
        outside the Marketplace (docs.slack.dev/reference/methods/conversations.history, May 2025):
        conversations.history answers at most NON_MARKETPLACE_LIMIT messages a call (and that many
        by default), and a second call within NON_MARKETPLACE_INTERVAL seconds of the last one it
        served — by this stand-in's clock, which `advance_clock` moves — is HTTP 429 `ratelimited`
        with Retry-After. Refused calls do not count."""
        with self._lock:
            self._non_marketplace.add(team_id or self.team_id)

    # ---- assertion helpers -------------------------------------------------------------------

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Messages in the channel, oldest first, as Slack returns them (ts, text, blocks, files…)."""
        with self._lock:
            return copy.deepcopy(self._messages.get(channel, []))

    def ephemerals(self, channel: str) -> list[dict[str, Any]]:
        """chat.postEphemeral messages (and ephemeral response_url posts with a known channel)."""
        with self._lock:
            return copy.deepcopy(self._ephemerals.get(channel, []))

    def top_level(self, channel: str) -> list[dict[str, Any]]:
        """The channel's own history, oldest first: `messages` without thread replies (unless broadcast)."""
        with self._lock:
            return copy.deepcopy([m for m in self._messages.get(channel, []) if _top_level(m)])

    def replies(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """The replies in the thread of the message ``ts``, oldest first (without the parent)."""
        with self._lock:
            return copy.deepcopy(self._thread_of(channel, ts)[1:])

    def files(self, channel: str) -> list[SharedFile]:
        with self._lock:
            return list(self._shared.get(channel, []))

    def uploads(self) -> list[Upload]:
        """All upload tickets, including files never completed or never shared (private)."""
        with self._lock:
            return copy.deepcopy(list(self._uploads.values()))

    def responses(self, token_id: str) -> list[dict[str, Any]]:
        """Accepted JSON bodies posted to that response_url."""
        with self._lock:
            entry = self._response_urls.get(token_id)
            return copy.deepcopy(entry.posts) if entry else []

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        with self._lock:
            return copy.deepcopy(self._home_views.get(user_id))

    def issue_trigger(self, user_id: str = "U0000USER1") -> str:
        """A trigger_id as Slack puts in a command, click or shortcut: views.open accepts it once,
        within `TRIGGER_SECONDS` of the fake's clock (`advance_clock` ages it)."""
        with self._lock:
            trigger = f"{int(self._now())}.{next(self._ids):010d}.{secrets.token_hex(16)}"
            self._triggers[trigger] = _Trigger(user_id, self._now())
            return trigger

    def modals(self, user_id: str | None = None) -> list[dict[str, Any]]:
        """The modal views open now (opened, updated or pushed), oldest first; each as views.open
        returned it, with ``user`` (whose trigger opened it) and an empty ``state``."""
        with self._lock:
            return [copy.deepcopy(v) for v in self._modals.values() if user_id is None or v["user"] == user_id]

    def channel(self, channel_id: str) -> Channel:
        with self._lock:
            return copy.deepcopy(self._channels[channel_id])

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Poll `predicate` until truthy or `timeout` seconds pass; return its last value.

        For work that happens after `ack()` on Bolt's listener threads. Wakes on every request
        the fake serves, so it returns promptly. Use as `assert slack.wait_for(lambda: ...)`.
        """
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            remaining = deadline - time.monotonic()
            if result or remaining <= 0:
                return result
            with self._changed:
                self._changed.wait(min(remaining, 0.05))

    # ---- request handling --------------------------------------------------------------------

    def follow(self, now: Callable[[], datetime]) -> None:
        """Keep Slack's clock with the test's (an injected clock, perhaps in the future): message
        timestamps and rate-limit windows follow ``now()``, plus any `advance_clock`. As in life,
        where Slack's clock and the bot's agree to a few seconds."""
        with self._lock:
            self._follow = now

    def _now(self) -> float:
        follow = getattr(self, "_follow", None)
        return (follow().timestamp() if follow is not None else time.time()) + self._clock_offset

    def _next_ts(self) -> str:
        """Unique, strictly increasing "seconds.micros" strings like Slack's message ts."""
        now_us = int(self._now() * 1_000_000)  # Slack's clock: real time, or the followed one
        self._last_ts_us = max(now_us, self._last_ts_us + 1)
        return f"{self._last_ts_us // 1_000_000}.{self._last_ts_us % 1_000_000:06d}"

    def _take_fault(self, key: str) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(key)
            if not queue:
                return None
            fault = queue[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.pop(0)
            return fault

    def _record(self, method: str, params: Params, status: int, response: dict[str, Any] | None, ctype: str) -> None:
        with self._lock:
            self._calls.append(Call(method, copy.deepcopy(params), time.time(), status, copy.deepcopy(response), ctype))
        with self._changed:
            self._changed.notify_all()

    def _serve(self, h: _Handler) -> None:
        split = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        ctype = h.headers.get("Content-Type", "")
        route, _, rest = split.path.lstrip("/").partition("/")
        if route == "api" and rest:
            self._serve_api(h, rest, split.query, body, ctype)
        elif route == "upload" and rest:
            self._serve_upload(h, rest, body, ctype)
        elif route == "response" and rest:
            self._serve_response(h, rest, body, ctype)
        elif route == "oauth" and rest.startswith("v2/authorize"):
            self._serve_authorize(h, rest.removeprefix("v2/authorize"), dict(parse_qsl(split.query)))
        else:
            self._send(h, 404, {"ok": False, "error": "not_found"})

    def _faulted(self, h: _Handler, key: str, params: Params, ctype: str) -> bool:
        """Apply a queued fault; True when it fully answered (or dropped) the request."""
        fault = self._take_fault(key)
        if fault is None:
            return False
        if fault.delay:
            self._closing.wait(fault.delay)
        if fault.drop:
            self._record(key, params, 0, None, ctype)
            h.close_connection = True
            try:
                h.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return True
        canned = fault.response()
        if canned is None:
            return False
        status, body, headers = canned
        self._record(key, params, status, body, ctype)
        self._send(h, status, body, headers)
        return True

    def enforce_rate_limits(self, limits: Mapping[str, Iterable[RateLimit]]) -> None:
        """From now on answer 429 (with ``Retry-After``) to a call over any of its method's limits,
        counted per workspace (the token's team; the default token's for the default token), as
        Slack counts them per app per method per workspace. An empty mapping turns them off."""
        with self._lock:
            self._rate_limits = {method: tuple(group) for method, group in limits.items()}
            self._buckets = {}

    def _over_rate_limit(self, h: _Handler, method: str, params: Params, ctype: str, authorization: str | None,
                         form_token: str | None) -> bool:
        limits = self._rate_limits.get(method)
        if not limits:
            return False
        token = authorization[7:].strip() if authorization and authorization.startswith("Bearer ") else form_token
        now = time.monotonic()
        with self._lock:
            issued = self._issued.get(token or "")
            team = issued.team.team_id if issued is not None else self.team_id
            channel = str(params.get("channel") or params.get("channel_id") or "")
            wait = 0.0
            buckets = []
            for n, limit in enumerate(limits):
                key = (method, team, channel if limit.per_channel else "", n)
                rate = limit.per_minute / 60
                tokens, then = self._buckets.get(key, (limit.burst, now))
                tokens = min(limit.burst, tokens + (now - then) * rate)
                buckets.append((key, tokens))
                if tokens < 1:
                    wait = max(wait, (1 - tokens) / rate)
            if wait <= 0:
                for key, tokens in buckets:
                    self._buckets[key] = (tokens - 1, now)
                return False
            for key, tokens in buckets:
                self._buckets[key] = (tokens, now)
        retry_after = max(1, int(wait + 0.999))  # Slack's Retry-After is whole seconds
        body = {"ok": False, "error": "ratelimited"}
        self._record(method, params, 429, body, ctype)
        self._send(h, 429, body, {"Retry-After": str(retry_after)})
        return True

    def _serve_api(self, h: _Handler, method: str, query: str, body: bytes, ctype: str) -> None:
        params: Params = dict(parse_qsl(query, keep_blank_values=True))
        form_token: str | None = None
        parse_error: str | None = None
        mime = ctype.split(";")[0].strip().lower()
        if mime == "application/json":
            try:
                loaded = json.loads(body or b"{}")
                if not isinstance(loaded, dict):
                    raise ValueError
                params.update(loaded)
            except ValueError:
                parse_error = "invalid_json"
        elif mime == "multipart/form-data":
            for name, filename, data in _parse_multipart(ctype, body):
                if name:
                    params[name] = data if filename else data.decode("utf-8", "replace")
        else:
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        if mime != "application/json":
            form_token = params.pop("token", None)  # Slack accepts `token` in form bodies, not JSON
        else:
            params.pop("token", None)

        if self._faulted(h, method, params, ctype):
            return
        if self._rate_limits and self._over_rate_limit(h, method, params, ctype, h.headers.get("Authorization"),
                                                       form_token):
            return
        answer = self._call_api(method, params, h.headers.get("Authorization"), form_token, parse_error)
        # Slack reports the token's scopes on every answer; Bolt reads them from auth.test.
        headers = {"x-oauth-scopes": ",".join(sorted(self.scopes)),
                   "x-accepted-oauth-scopes": _METHOD_SCOPES.get(method, "")}
        status = self._http_status(answer, headers)  # 200, or a rationed method's 429
        self._record(method, params, status, answer, ctype)
        self._send(h, status, answer, headers)

    @staticmethod
    def _http_status(answer: dict[str, Any], headers: dict[str, str]) -> int:
        """The HTTP status of an API answer: 200 unless a method refused with `_RateLimited`."""
        status = int(answer.pop("__status", 200))
        if "__retry_after" in answer:
            headers["Retry-After"] = str(answer.pop("__retry_after"))
        return status

    def _call_api(self, method: str, params: Params, authorization: str | None, form_token: str | None,
                  parse_error: str | None) -> dict[str, Any]:
        if method == "apps.connections.open":  # an app-level token: Socket Mode's WebSocket URL
            if self.socket_mode is None:
                return {"ok": False, "error": "not_allowed_token_type"}
            token = authorization[7:].strip() if authorization and authorization.startswith("Bearer ") else form_token
            return self.socket_mode.open_url(token)
        if method == "oauth.v2.access":  # the app's credentials, not a token
            try:
                with self._lock:
                    return {"ok": True, **self._oauth_v2_access(params, authorization)}
            except SlackError as exc:
                return exc.body()
        handler = self._methods.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        token = authorization[7:].strip() if authorization and authorization.startswith("Bearer ") else form_token
        if not token:
            return {"ok": False, "error": "not_authed"}
        with self._lock:
            issued = self._issued.get(token)
        if token != self.token and issued is None:
            return {"ok": False, "error": "invalid_auth"}
        if issued is not None and issued.expires_at is not None and self._now() >= issued.expires_at:
            return {"ok": False, "error": "token_expired"}
        if parse_error:
            return {"ok": False, "error": parse_error}
        self._note_token(method, token, params)
        try:
            with self._lock:
                needed = _METHOD_SCOPES.get(method)
                if needed:
                    self._require(needed)
                self._caller = issued
                try:
                    return {"ok": True, **handler(params)}
                finally:
                    self._caller = None
        except SlackError as exc:
            return exc.body()

    def _send(self, h: _Handler, status: int, body: dict[str, Any] | str,
              headers: Mapping[str, str] | None = None) -> None:
        if isinstance(body, str):
            payload, ctype = body.encode("utf-8"), "text/plain; charset=utf-8"
        else:
            payload, ctype = json.dumps(body).encode("utf-8"), "application/json; charset=utf-8"
        try:
            h.send_response(status)
            h.send_header("Content-Type", ctype)
            h.send_header("Content-Length", str(len(payload)))
            for key, value in (headers or {}).items():
                h.send_header(key, value)
            h.end_headers()
            h.wfile.write(payload)
        except OSError:
            pass  # the client gave up (e.g. its timeout fired during a `delay` fault)

    # ---- shared rules ------------------------------------------------------------------------

    def _require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise SlackError("missing_scope", needed=scope, provided=",".join(sorted(self.scopes)))

    def _file_ok(self, file_id: str) -> bool:
        upload = self._uploads.get(file_id)
        return upload is not None and upload.completed and bool(upload.channels)

    def _conversation(self, ref: str | None) -> Channel:
        """Resolve a channel ID, or a user ID (→ the app's DM with that user, as Slack does).
        Private channels and IMs the bot is not in are invisible: `channel_not_found`."""
        if not ref:
            raise SlackError("channel_not_found")
        if USER_ID_PATTERN.match(ref) and ref in self._users:
            im_id = "D" + ref[1:]
            if im_id not in self._channels:
                self._channels[im_id] = Channel(im_id, im_id.lower(), is_private=True, is_im=True,
                                                members={ref}, user=ref)
            return self._channels[im_id]
        channel = self._channels.get(ref)
        if channel is None or ((channel.is_private or channel.is_im) and not channel.bot_member):
            raise SlackError("channel_not_found")
        return channel

    def _postable(self, channel: Channel) -> None:
        if channel.is_archived:
            raise SlackError("is_archived")
        if not channel.bot_member and "chat:write.public" not in self.scopes:
            raise SlackError("not_in_channel")

    def _message_content(self, params: Params) -> dict[str, Any]:
        """text/blocks/attachments as Slack stores them, with the no_text and block rules."""
        blocks = _json_param(params, "blocks", "invalid_blocks_format")
        attachments = _json_param(params, "attachments", "invalid_attachments")
        text = _text(params, "text")
        if not text and not blocks and not attachments:
            raise SlackError("no_text")
        content: dict[str, Any] = {"text": text or ""}
        warnings: list[str] = []
        if text and len(text) > TEXT_LIMIT:
            content["text"] = text[:TEXT_LIMIT]
            warnings.append("message_truncated")
        if blocks:
            errors = block_errors(blocks, limit=MESSAGE_BLOCK_LIMIT, file_ok=self._file_ok)
            if errors:
                raise SlackError("invalid_blocks", errors=errors,
                                 response_metadata={"messages": [f"[ERROR] {e}" for e in errors]})
            content["blocks"] = blocks
        if attachments:
            content["attachments"] = attachments
        thread_ts = _text(params, "thread_ts")
        if thread_ts:
            content["thread_ts"] = thread_ts
        metadata = _json_param(params, "metadata", "invalid_metadata_format")
        if metadata:
            content["metadata"] = metadata
        if warnings:
            content["__warnings"] = warnings
        return content

    def _new_message(self, content: dict[str, Any]) -> dict[str, Any]:
        message = {"type": "message", "user": self.bot_user_id, "bot_id": self.bot_id, "app_id": self.app_id,
                   "team": self.team_id, "ts": self._next_ts()}
        message.update({k: v for k, v in content.items() if not k.startswith("__")})
        return message

    def _channel_object(self, ch: Channel) -> dict[str, Any]:
        """Slack's conversation object. IMs carry `user` and no name/is_member/is_private."""
        if ch.is_im:
            return {"id": ch.id, "created": ch.created, "is_archived": ch.is_archived, "is_im": True,
                    "is_org_shared": False, "context_team_id": self.team_id, "user": ch.user,
                    "is_user_deleted": False, "priority": 0}
        return {"id": ch.id, "name": ch.name, "is_channel": True, "is_group": False, "is_im": False,
                "is_mpim": False, "is_private": ch.is_private, "created": ch.created, "is_archived": ch.is_archived,
                "is_general": ch.name == "general", "unlinked": 0, "name_normalized": ch.name, "is_shared": False,
                "is_org_shared": False, "is_pending_ext_shared": False, "is_ext_shared": False,
                "context_team_id": self.team_id, "is_member": ch.bot_member, "creator": "U0000ADMIN",
                "topic": {"value": "", "creator": "", "last_set": 0},
                "purpose": {"value": "", "creator": "", "last_set": 0}}

    def _file_object(self, upload: Upload) -> dict[str, Any]:
        """The file as completeUploadExternal returns it; deliberately without `shares`, which
        real Slack fills in asynchronously (python-slack-sdk#1277)."""
        mimetype = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
        base = f"https://files.slack.com/files-pri/{self.team_id}-{upload.file_id}/{upload.filename}"
        obj = {"id": upload.file_id, "created": upload.created, "timestamp": upload.created, "name": upload.filename,
               "title": upload.title, "mimetype": mimetype, "filetype": upload.filename.rpartition(".")[2].lower(),
               "user": self.bot_user_id, "user_team": self.team_id, "editable": False, "size": upload.length,
               "mode": "hosted", "is_external": False, "is_public": False, "public_url_shared": False,
               "url_private": base, "url_private_download": base.replace("files-pri", "files-pri/download", 1),
               "permalink": f"https://{self.team_domain}.slack.com/files/{self.bot_user_id}/{upload.file_id}/{upload.filename}"}
        if upload.alt_txt:
            obj["alt_txt"] = upload.alt_txt
        return obj

    # ---- API methods (called under self._lock) -----------------------------------------------

    def _m_auth_test(self, params: Params) -> dict[str, Any]:
        org = self._caller.organisation if self._caller is not None else None
        if org is not None:  # an org-wide token: the organisation answers (its id in team_id too)
            return {"url": f"https://{org.enterprise_id.lower()}.enterprise.slack.com/", "team": org.name,
                    "user": "reset-bot", "team_id": org.enterprise_id, "user_id": org.bot_user_id,
                    "bot_id": org.bot_id, "enterprise_id": org.enterprise_id, "is_enterprise_install": True}
        if self._caller is not None:  # a token an install issued answers with its own workspace
            team = self._caller.team
            return {"url": f"https://{team.team_id.lower()}.slack.com/", "team": team.name, "user": "reset-bot",
                    "team_id": team.team_id, "user_id": team.bot_user_id, "bot_id": team.bot_id,
                    "is_enterprise_install": False}
        return {"url": f"https://{self.team_domain}.slack.com/", "team": "Fake Workspace", "user": "reset-bot",
                "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id,
                "is_enterprise_install": False}

    def _m_chat_post_message(self, params: Params) -> dict[str, Any]:
        """Membership rule: public channels need membership or chat:write.public; private
        channels and IMs without the bot are `channel_not_found`; archived → `is_archived`."""
        channel = self._conversation(_text(params, "channel"))
        self._postable(channel)
        content = self._message_content(params)
        message = self._new_message(content)
        self._messages.setdefault(channel.id, []).append(message)
        self._note_reply(channel.id, message, broadcast=_flag(params, "reply_broadcast"))
        answer: dict[str, Any] = {"channel": channel.id, "ts": message["ts"], "message": copy.deepcopy(message)}
        if content.get("__warnings"):
            answer["warning"] = ",".join(content["__warnings"])
            answer["response_metadata"] = {"warnings": content["__warnings"]}
        return answer

    def _m_chat_post_ephemeral(self, params: Params) -> dict[str, Any]:
        """Same channel rules as chat.postMessage, plus the target user must be in the channel."""
        channel = self._conversation(_text(params, "channel"))
        user = _text(params, "user")
        if not user or user not in self._users:
            raise SlackError("user_not_found")
        self._postable(channel)
        if user not in channel.members:
            raise SlackError("user_not_in_channel")
        message = self._new_message(self._message_content(params))
        message["user_target"] = user  # not a Slack field; lets tests see who it was for
        self._ephemerals.setdefault(channel.id, []).append(message)
        return {"message_ts": message["ts"]}

    def _m_files_get_upload_url_external(self, params: Params) -> dict[str, Any]:
        filename, raw_length = _text(params, "filename"), _text(params, "length")
        missing = [f"missing required field: {k} [json-pointer:/{k}]" for k, v in
                   (("filename", filename), ("length", raw_length)) if v is None]
        if missing:
            raise _invalid_arguments(*missing)
        try:
            length = int(str(raw_length))
        except ValueError:
            raise _invalid_arguments("length must be an integer [json-pointer:/length]") from None
        if length < 1:
            raise _invalid_arguments("length must be at least 1 [json-pointer:/length]")
        if length > MAX_UPLOAD_BYTES:
            raise SlackError("file_upload_size_restricted")
        file_id = f"F{next(self._ids):010d}"
        self._uploads[file_id] = Upload(file_id, str(filename), length, _text(params, "alt_txt"),
                                        _text(params, "snippet_type"), int(time.time()))
        return {"upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}", "file_id": file_id}

    def _m_files_complete_upload_external(self, params: Params) -> dict[str, Any]:
        """All-or-nothing: every file must be uploaded and every channel usable before sharing.
        Sharing needs bot membership even with chat:write.public (unlike chat.postMessage)."""
        files = _json_param(params, "files", "invalid_arguments")
        if not isinstance(files, list) or not files or not all(isinstance(f, dict) and f.get("id") for f in files):
            raise _invalid_arguments("files must be a non-empty array of {id, title} [json-pointer:/files]")
        uploads: list[tuple[Upload, str]] = []
        for f in files:
            upload = self._uploads.get(str(f["id"]))
            if upload is None or upload.data is None or upload.completed:
                raise SlackError("file_not_found")
            uploads.append((upload, str(f.get("title") or upload.filename)))

        channel_id = _text(params, "channel_id")
        if channel_id is not None and not CHANNEL_ID_PATTERN.match(channel_id):
            raise _invalid_arguments(f"input must match regex pattern: {CHANNEL_ID_PATTERN.pattern} "
                                     "[json-pointer:/channel_id]")
        channel_names = (_text(params, "channels") or "").split(",")
        refs = ([channel_id] if channel_id else []) + [c.strip() for c in channel_names if c.strip()]
        if len(refs) > MAX_SHARE_CHANNELS:
            raise SlackError("channels_limit_exceeded")
        thread_ts = _text(params, "thread_ts")
        if thread_ts and len(refs) > 1:
            raise _invalid_arguments("only one channel can be specified with thread_ts [json-pointer:/thread_ts]")
        targets: list[Channel] = []
        for ref in refs:
            channel = self._conversation(ref)
            if channel.is_archived:
                raise SlackError("is_archived")
            if not channel.bot_member:
                raise SlackError("not_in_channel")
            targets.append(channel)

        comment = _text(params, "initial_comment")
        for upload, title in uploads:
            upload.completed, upload.title = True, title
        objects = [self._file_object(u) for u, _ in uploads]
        for channel in targets:
            content: dict[str, Any] = {"text": comment or "", "files": copy.deepcopy(objects), "upload": True}
            if thread_ts:
                content["thread_ts"] = thread_ts
            message = self._new_message(content)
            self._messages.setdefault(channel.id, []).append(message)
            self._note_reply(channel.id, message, broadcast=False)
            for upload, title in uploads:
                upload.channels.append(channel.id)
                self._shared.setdefault(channel.id, []).append(SharedFile(
                    upload.file_id, channel.id, upload.filename, title, upload.alt_txt, bytes(upload.data or b""),
                    comment, thread_ts, message["ts"]))
        return {"files": objects}

    def _m_files_upload(self, params: Params) -> dict[str, Any]:
        """files.upload was sunset on 2025-11-12; new apps could not use it since 2024-05-16."""
        raise SlackError("method_deprecated")

    def _m_conversations_info(self, params: Params) -> dict[str, Any]:
        channel = self._conversation(_text(params, "channel"))
        self._require("im:read" if channel.is_im else "groups:read" if channel.is_private else "channels:read")
        return {"channel": self._channel_object(channel)}

    def _m_conversations_history(self, params: Params) -> dict[str, Any]:
        """Newest first; `oldest`/`latest` bound the ts; message `metadata` only with
        include_all_metadata (as Slack does). Needs the history scope of the conversation type.
        Pages with `cursor` / `response_metadata.next_cursor`; rationed for a `non_marketplace` team."""
        channel = self._conversation(_text(params, "channel"))
        self._require("im:history" if channel.is_im else "groups:history" if channel.is_private else "channels:history")
        if not channel.bot_member and not channel.is_im:
            raise SlackError("not_in_channel")
        oldest = float(_text(params, "oldest") or 0)
        latest = float(_text(params, "latest") or "inf")
        rationed = self._ration("conversations.history")
        limit = int(_text(params, "limit") or (NON_MARKETPLACE_LIMIT if rationed else 100))
        if rationed:
            limit = min(limit, NON_MARKETPLACE_LIMIT)
        with_metadata = str(_text(params, "include_all_metadata") or "").lower() in ("1", "true")
        found = [m for m in reversed(self._messages.get(channel.id, [])) if oldest <= float(m["ts"]) <= latest
                 and _top_level(m)]  # thread replies are read with conversations.replies
        cursor = _text(params, "cursor")
        if cursor:  # "next_ts:<ts>": the page starts at that message
            try:
                start = float(base64.b64decode(cursor).decode().removeprefix("next_ts:"))
            except ValueError:
                raise SlackError("invalid_cursor") from None
            found = [m for m in found if float(m["ts"]) <= start]
        out = []
        for message in found[:limit]:
            copy_ = copy.deepcopy(message)
            if not with_metadata:
                copy_.pop("metadata", None)
            out.append(copy_)
        answer: dict[str, Any] = {"messages": out, "has_more": len(found) > limit, "pin_count": 0}
        if len(found) > limit:
            next_cursor = base64.b64encode(f"next_ts:{found[limit]['ts']}".encode()).decode()
            answer["response_metadata"] = {"next_cursor": next_cursor}
        return answer

    def _ration(self, method: str) -> bool:
        """For a `non_marketplace` caller's team: refuse (429) a call within the interval of the
        last one served, else count this one. False when the team is not rationed."""
        team = self._caller.team.team_id if self._caller is not None else self.team_id
        if team not in self._non_marketplace:
            return False
        now, last = self._now(), self._rationed_at.get((method, team))
        if last is not None and now - last < NON_MARKETPLACE_INTERVAL:
            raise _RateLimited(max(1, math.ceil(last + NON_MARKETPLACE_INTERVAL - now)))
        self._rationed_at[(method, team)] = now
        return True

    # ---- threads (issue 14): replies live in their parent's thread -------------------------------

    def _note_reply(self, channel_id: str, message: dict[str, Any], *, broadcast: bool) -> None:
        """A message posted with ``thread_ts``: a reply in that thread. The parent gets Slack's
        thread fields (reply_count, reply_users, latest_reply); the reply stays out of the
        channel's top-level history (`conversations.history`) unless ``reply_broadcast``."""
        parent_ts = message.get("thread_ts")
        if not parent_ts or parent_ts == message["ts"]:
            return
        if broadcast:
            message["subtype"] = "thread_broadcast"
        parent = next((m for m in self._messages.get(channel_id, []) if m["ts"] == parent_ts and _top_level(m)), None)
        if parent is None:
            return  # a reply to a message the fake never saw: stored, but in no thread
        users = list(dict.fromkeys([*parent.get("reply_users", []), message.get("user", "")]))
        parent.update(thread_ts=parent_ts, reply_count=int(parent.get("reply_count", 0)) + 1, reply_users=users,
                      reply_users_count=len(users), latest_reply=message["ts"])

    def _thread_of(self, channel_id: str, ts: str) -> list[dict[str, Any]]:
        """A thread as conversations.replies returns it: the parent first, then its replies, oldest
        first; a message that is not a parent is a thread of one. Empty if there is no such message."""
        messages = self._messages.get(channel_id, [])
        parent = next((m for m in messages if m["ts"] == ts), None)
        if parent is None:
            return []
        if parent.get("thread_ts") not in (None, ts):
            return [parent]
        return [parent] + [m for m in messages if m.get("thread_ts") == ts and m["ts"] != ts]

    def _m_conversations_replies(self, params: Params) -> dict[str, Any]:
        """A thread: the parent and its replies, oldest first, paged with ``limit``/``cursor``;
        message `metadata` only with include_all_metadata. Same scopes and membership rules as
        conversations.history; `thread_not_found` for a ts that names no message."""
        channel = self._conversation(_text(params, "channel"))
        self._require("im:history" if channel.is_im else "groups:history" if channel.is_private else "channels:history")
        if not channel.bot_member and not channel.is_im:
            raise SlackError("not_in_channel")
        ts = _text(params, "ts")
        if not ts:
            raise _invalid_arguments("missing required field: ts [json-pointer:/ts]")
        thread = self._thread_of(channel.id, ts)
        if not thread:
            raise SlackError("thread_not_found")
        limit = max(1, int(_text(params, "limit") or 1000))
        cursor = _text(params, "cursor") or ""
        start = int(cursor.removeprefix("page:")) if cursor.startswith("page:") else 0
        with_metadata = _flag(params, "include_all_metadata")
        page = []
        for message in thread[start:start + limit]:
            copy_ = copy.deepcopy(message)
            if not with_metadata:
                copy_.pop("metadata", None)
            page.append(copy_)
        more = start + limit < len(thread)
        answer: dict[str, Any] = {"messages": page, "has_more": more}
        if more:
            answer["response_metadata"] = {"next_cursor": f"page:{start + limit}"}
        return answer

    def _m_conversations_join(self, params: Params) -> dict[str, Any]:
        """Public channels only; joining again is ok with warning `already_in_channel`."""
        ref = _text(params, "channel")
        channel = self._channels.get(ref or "")
        if channel is None:
            raise SlackError("channel_not_found")
        if channel.is_private or channel.is_im:
            raise SlackError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise SlackError("is_archived")
        answer: dict[str, Any] = {}
        if channel.bot_member:
            answer = {"warning": "already_in_channel", "response_metadata": {"warnings": ["already_in_channel"]}}
        channel.bot_member = True
        return {"channel": self._channel_object(channel), **answer}

    # ---- the asker's DM with the bot (branch `csv`: where a chart's data go when they cannot be
    # shared in the conversation) -----------------------------------------------------------------

    def _m_conversations_open(self, params: Params) -> dict[str, Any]:
        """One user → the app's DM with them (created on first use, the bot a member), as Slack
        answers it; needs `im:write`. Group DMs (several users) and `channel=` are not modelled."""
        self._require("im:write")
        users = [u.strip() for u in (_text(params, "users") or "").split(",") if u.strip()]
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) > 1:
            raise SlackError("not_implemented", detail="the stand-in opens one-to-one DMs only")
        if users[0] not in self._users:
            raise SlackError("user_not_found")
        im = self._conversation(users[0])
        im.bot_member = True
        return {"channel": {"id": im.id}, "no_op": False, "already_open": False}

    def _m_users_info(self, params: Params) -> dict[str, Any]:
        user = self._users.get(_text(params, "user") or "")
        if user is None:
            raise SlackError("user_not_found")
        now = datetime.now(ZoneInfo(user.tz))
        offset = now.utcoffset()
        return {"user": {
            "id": user.id, "team_id": self.team_id, "name": user.name, "deleted": False, "real_name": user.real_name,
            "tz": user.tz, "tz_label": now.tzname(), "tz_offset": int(offset.total_seconds()) if offset else 0,
            "is_admin": False, "is_owner": False, "is_bot": user.is_bot, "is_app_user": False,
            "updated": int(time.time()),
            "profile": {"real_name": user.real_name, "display_name": user.name, "team": self.team_id},
        }}

    def _m_views_publish(self, params: Params) -> dict[str, Any]:
        """Home tab only; up to 100 blocks; optional `hash` must match the current view's."""
        user_id = _text(params, "user_id")
        view = _json_param(params, "view", "invalid_arguments")
        if not user_id:
            raise _invalid_arguments("missing required field: user_id [json-pointer:/user_id]")
        if user_id not in self._users:
            raise SlackError("user_not_found")
        if not isinstance(view, dict):
            raise _invalid_arguments("missing required field: view [json-pointer:/view]")
        if view.get("type") != "home":
            raise _invalid_arguments("must be 'home' for views.publish [json-pointer:/view/type]")
        if "blocks" not in view:
            raise _invalid_arguments("missing required field: blocks [json-pointer:/view/blocks]")
        errors = block_errors(view["blocks"], limit=VIEW_BLOCK_LIMIT, file_ok=self._file_ok)
        if len(str(view.get("private_metadata", ""))) > 3000:
            errors.append("must be less than 3001 characters [json-pointer:/view/private_metadata]")
        if len(str(view.get("callback_id", ""))) > 255:
            errors.append("must be less than 256 characters [json-pointer:/view/callback_id]")
        if errors:
            raise _invalid_arguments(*(e.replace("json-pointer:/blocks", "json-pointer:/view/blocks") for e in errors))
        current = self._home_views.get(user_id)
        given_hash = _text(params, "hash")
        if given_hash and current is not None and given_hash != current["hash"]:
            raise SlackError("hash_conflict")
        view_id = current["id"] if current else f"V{next(self._ids):010d}"
        stored = {"id": view_id, "team_id": self.team_id, "type": "home", "blocks": view["blocks"],
                  "private_metadata": view.get("private_metadata", ""), "callback_id": view.get("callback_id", ""),
                  "external_id": view.get("external_id", ""), "state": {"values": {}},
                  "hash": f"{int(time.time())}.{next(self._ids):08d}", "title": None, "close": None, "submit": None,
                  "clear_on_close": False, "notify_on_close": False, "root_view_id": view_id,
                  "previous_view_id": None, "app_id": self.app_id, "app_installed_team_id": self.team_id,
                  "bot_id": self.bot_id}
        self._home_views[user_id] = stored
        return {"view": copy.deepcopy(stored)}

    def _modal_errors(self, view: Any) -> list[str]:
        """What Slack checks of a modal: type, title and button texts (24 characters), blocks
        (up to 100, valid Block Kit), a submit button when there are inputs, metadata sizes."""
        if not isinstance(view, dict):
            return ["missing required field: view [json-pointer:/view]"]
        errors: list[str] = []
        if view.get("type") != "modal":
            errors.append("must be 'modal' [json-pointer:/view/type]")
        for key in ("title", "submit", "close"):
            text = view.get(key)
            if text is None and key != "title":
                continue
            if not (isinstance(text, dict) and text.get("type") == "plain_text" and isinstance(text.get("text"), str)
                    and 0 < len(text["text"]) <= MODAL_TEXT_LIMIT):
                errors.append(f"must be a plain_text object of 1 to {MODAL_TEXT_LIMIT} characters "
                              f"[json-pointer:/view/{key}]")
        blocks = view.get("blocks")
        if blocks is None:
            errors.append("missing required field: blocks [json-pointer:/view/blocks]")
        else:
            errors += [e.replace("json-pointer:/blocks", "json-pointer:/view/blocks")
                       for e in block_errors(blocks, limit=VIEW_BLOCK_LIMIT, file_ok=self._file_ok)]
            if any(isinstance(b, dict) and b.get("type") == "input" for b in blocks or []) and not view.get("submit"):
                errors.append("submit is required when the view has input blocks [json-pointer:/view/submit]")
        if len(str(view.get("private_metadata", ""))) > 3000:
            errors.append("must be less than 3001 characters [json-pointer:/view/private_metadata]")
        if len(str(view.get("callback_id", ""))) > 255:
            errors.append("must be less than 256 characters [json-pointer:/view/callback_id]")
        return errors

    def _exchange(self, params: Params) -> _Trigger:
        trigger_id = _text(params, "trigger_id") or ""
        trigger = self._triggers.get(trigger_id)
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.exchanged:
            raise SlackError("exchanged_trigger_id")
        if self._now() - trigger.issued_at > TRIGGER_SECONDS:
            raise SlackError("expired_trigger_id")
        trigger.exchanged = True
        return trigger

    def _store_modal(self, view: dict[str, Any], user_id: str, view_id: str | None = None,
                     root: str | None = None, previous: str | None = None) -> dict[str, Any]:
        view_id = view_id or f"V{next(self._ids):010d}"
        stored = {"id": view_id, "team_id": self.team_id, "type": "modal", "blocks": view["blocks"],
                  "private_metadata": view.get("private_metadata", ""), "callback_id": view.get("callback_id", ""),
                  "external_id": view.get("external_id", ""), "state": {"values": {}},
                  "hash": f"{int(time.time())}.{next(self._ids):08d}", "title": view.get("title"),
                  "close": view.get("close"), "submit": view.get("submit"),
                  "clear_on_close": bool(view.get("clear_on_close")),
                  "notify_on_close": bool(view.get("notify_on_close")),
                  "root_view_id": root or view_id, "previous_view_id": previous, "app_id": self.app_id,
                  "app_installed_team_id": self.team_id, "bot_id": self.bot_id, "user": user_id}
        self._modals[view_id] = stored
        return stored

    def _m_views_open(self, params: Params) -> dict[str, Any]:
        """A modal for the user of a trigger this fake issued, within 3 s of it, once
        (`invalid_trigger_id`, `expired_trigger_id`, `exchanged_trigger_id` otherwise)."""
        view = _json_param(params, "view", "invalid_arguments")
        errors = self._modal_errors(view)
        if errors:
            raise _invalid_arguments(*errors)
        trigger = self._exchange(params)
        stored = self._store_modal(view, trigger.user_id)
        return {"view": {k: v for k, v in copy.deepcopy(stored).items() if k != "user"}}

    def _m_views_update(self, params: Params) -> dict[str, Any]:
        """Replace an open modal (by `view_id` or `external_id`); an optional `hash` must match."""
        view = _json_param(params, "view", "invalid_arguments")
        view_id, external = _text(params, "view_id"), _text(params, "external_id")
        if not view_id and not external:
            raise _invalid_arguments("either view_id or external_id is required")
        current = self._modals.get(view_id or "") or next(
            (v for v in self._modals.values() if external and v["external_id"] == external), None)
        if current is None:
            raise SlackError("not_found")
        errors = self._modal_errors(view)
        if errors:
            raise _invalid_arguments(*errors)
        given_hash = _text(params, "hash")
        if given_hash and given_hash != current["hash"]:
            raise SlackError("hash_conflict")
        stored = self._store_modal(view, current["user"], current["id"], current["root_view_id"],
                                   current["previous_view_id"])
        return {"view": {k: v for k, v in copy.deepcopy(stored).items() if k != "user"}}

    def _m_views_push(self, params: Params) -> dict[str, Any]:
        """Push a modal onto the user's open stack (at most 3 views), with a fresh trigger."""
        view = _json_param(params, "view", "invalid_arguments")
        errors = self._modal_errors(view)
        if errors:
            raise _invalid_arguments(*errors)
        trigger = self._exchange(params)
        stack = [v for v in self._modals.values() if v["user"] == trigger.user_id]
        if not stack:
            raise SlackError("not_found")
        if len(stack) >= MODAL_STACK_LIMIT:
            raise SlackError("push_limit_reached")
        stored = self._store_modal(view, trigger.user_id, root=stack[0]["root_view_id"], previous=stack[-1]["id"])
        return {"view": {k: v for k, v in copy.deepcopy(stored).items() if k != "user"}}

    # ---- non-API endpoints -------------------------------------------------------------------

    def _serve_upload(self, h: _Handler, file_id: str, body: bytes, ctype: str) -> None:
        """v2 step 2. slack_sdk POSTs raw bytes with urllib (no auth, urllib's default
        form content-type); multipart is accepted too. A length other than the one announced in
        step 1 is refused with 400. Any non-200 here reaches files_upload_v2's caller as a raw
        urllib.error.HTTPError (urlopen raises before slack_sdk's own status check)."""
        data = body
        if ctype.lower().startswith("multipart/form-data"):
            parts = _parse_multipart(ctype, body)
            chosen = next((p for p in parts if p[1] is not None), parts[0] if parts else None)
            data = chosen[2] if chosen else b""
        params = {"file_id": file_id, "length": len(data)}
        if self._faulted(h, "upload", params, ctype):
            return
        with self._lock:
            upload = self._uploads.get(file_id)
            if upload is None or upload.completed:
                status, answer = 404, "file not found"
            elif len(data) != upload.length:
                status, answer = 400, f"length mismatch: expected {upload.length}, got {len(data)}"
            else:
                upload.data = data
                status, answer = 200, f"OK - {len(data)}"
        self._record("upload", params, status, {"body": answer}, ctype)
        self._send(h, status, answer)

    def _serve_response(self, h: _Handler, token_id: str, body: bytes, ctype: str) -> None:
        """response_url: JSON like an immediate response. Accepted posts count towards the limit
        of 5 within 30 minutes; after that Slack-like 404s `used_url` / `expired_url`."""
        try:
            payload = json.loads(body or b"null")
        except ValueError:
            payload = None
        params = {"token_id": token_id, **(payload if isinstance(payload, dict) else {})}
        if self._faulted(h, "response_url", params, ctype):
            return
        with self._lock:
            status, answer = self._response_post(token_id, payload)
        self._record("response_url", params, status, answer, ctype)
        self._send(h, status, answer)

    def _response_post(self, token_id: str, payload: Any) -> tuple[int, dict[str, Any]]:
        entry = self._response_urls.get(token_id)
        if entry is None:
            return 404, {"ok": False, "error": "no_service"}
        if self._now() - entry.created > RESPONSE_URL_TTL_SECONDS:
            return 404, {"ok": False, "error": "expired_url"}
        if entry.uses >= RESPONSE_URL_MAX_USES:
            return 404, {"ok": False, "error": "used_url"}
        if not isinstance(payload, dict):
            return 400, {"ok": False, "error": "invalid_payload"}
        blocks = payload.get("blocks")
        if not _flag(payload, "delete_original") and not payload.get("text") and not blocks:
            return 400, {"ok": False, "error": "no_text"}
        if blocks:
            errors = block_errors(blocks, limit=MESSAGE_BLOCK_LIMIT, file_ok=self._file_ok)
            if errors:
                return 400, {"ok": False, "error": "invalid_blocks", "errors": errors}
        entry.uses += 1
        entry.posts.append(copy.deepcopy(payload))
        if entry.channel and not _flag(payload, "delete_original") and not _flag(payload, "replace_original"):
            message = self._new_message({k: payload[k] for k in ("text", "blocks", "thread_ts") if payload.get(k)})
            if payload.get("response_type") == "in_channel":
                self._messages.setdefault(entry.channel, []).append(message)
            else:
                message["user_target"] = entry.user
                self._ephemerals.setdefault(entry.channel, []).append(message)
        return 200, {"ok": True}

    # ---- OAuth v2: the authorize page and oauth.v2.access ---------------------------------------

    def _serve_authorize(self, h: _Handler, step: str, query: dict[str, str]) -> None:
        """``GET /oauth/v2/authorize?client_id&scope&state&redirect_uri``: Slack's approval page, one
        "Allow" link per workspace and a "Cancel". Allow redirects (302) to ``redirect_uri?code&state``,
        Cancel to ``redirect_uri?error=access_denied&state``. Without ``redirect_uri`` Slack would use
        the app's configured one; the stand-in has none and says so."""
        with self._lock:
            if step == "":
                self._record("oauth.authorize", dict(query), 200, None, "")
                if query.get("client_id") != self.client_id:
                    self._send_html(h, 400, "Invalid client_id parameter")
                    return
                if not query.get("redirect_uri"):
                    self._send_html(h, 400, "redirect_uri did not match any configured URIs")
                    return
                request_id = secrets.token_urlsafe(12)
                self._authorizations[request_id] = dict(query)
                links = "".join(
                    f'<p><a id="allow-{t.team_id}" href="/oauth/v2/authorize/allow?request={request_id}&amp;'
                    f'team={t.team_id}">Allow in {html.escape(t.name)}</a></p>' for t in self._workspaces.values())
                links += "".join(
                    f'<p><a id="allow-{o.enterprise_id}" href="/oauth/v2/authorize/allow?request={request_id}&amp;'
                    f'team={o.enterprise_id}">Allow for all of {html.escape(o.name)}</a></p>'
                    for o in self._organisations.values())
                scopes = html.escape(query.get("scope", ""))
                self._send_html(h, 200, f"<h1>Reset Bot is requesting permission</h1><p>Scopes: {scopes}</p>{links}"
                                        f'<p><a id="cancel" href="/oauth/v2/authorize/cancel?request={request_id}">'
                                        "Cancel</a></p>")
                return
            pending = self._authorizations.pop(query.get("request", ""), None)
            team = self._workspaces.get(query.get("team", self.team_id))
            org = self._organisations.get(query.get("team", ""))
            if org is not None:  # org-wide: the grant's team stands for the organisation
                team = Workspace(org.enterprise_id, org.name, org.bot_user_id, org.bot_id, org.enterprise_id)
            if pending is None or team is None or step not in ("/allow", "/cancel"):
                self._send_html(h, 400, "This authorization request is unknown or was already answered")
                return
            back: dict[str, str] = {"state": pending.get("state", "")}
            if step == "/allow":
                code = f"{int(self._now())}.{secrets.token_hex(8)}"
                self._codes[code] = _Grant(team, pending.get("scope", ""), pending["redirect_uri"],
                                           expires_at=self._now() + OAUTH_CODE_TTL_SECONDS, organisation=org)
                back = {"code": code, **back}
            else:
                back = {"error": "access_denied", **back}
        location = pending["redirect_uri"] + ("&" if "?" in pending["redirect_uri"] else "?") + urlencode(back)
        self._record("oauth.authorize" + step.replace("/", "."), dict(query), 302, None, "")
        self._redirect(h, location)

    def _oauth_v2_access(self, params: Params, authorization: str | None) -> dict[str, Any]:
        """``oauth.v2.access``: the app's credentials (HTTP Basic, or client_id/client_secret fields),
        then either ``code`` (one use, ten minutes, the authorize page's redirect_uri) or
        ``grant_type=refresh_token`` (a current refresh token: a new access token and refresh token;
        the old refresh token stops working)."""
        client_id, client_secret = _text(params, "client_id"), _text(params, "client_secret")
        if authorization and authorization.startswith("Basic "):
            try:
                client_id, _, client_secret = base64.b64decode(authorization[6:]).decode().partition(":")
            except ValueError:
                raise SlackError("invalid_client_id") from None
        if client_id != self.client_id:
            raise SlackError("invalid_client_id")
        if client_secret != self.client_secret:
            raise SlackError("bad_client_secret")
        if _text(params, "grant_type") == "refresh_token":
            grant = self._refresh_tokens.pop(_text(params, "refresh_token") or "", None)
            if grant is None:
                raise SlackError("invalid_refresh_token")
            return self._token_answer(grant, rotating=True)
        code = _text(params, "code")
        if code is None:
            raise SlackError("invalid_code")
        grant = self._codes.get(code)
        if grant is None or grant.used or (grant.expires_at is not None and self._now() >= grant.expires_at):
            raise SlackError("invalid_code")
        if _text(params, "redirect_uri") not in (None, grant.redirect_uri):
            raise SlackError("bad_redirect_uri")
        grant.used = True
        return self._token_answer(grant, rotating=self.token_rotation)

    def _token_answer(self, grant: _Grant, *, rotating: bool) -> dict[str, Any]:
        team = grant.team
        token = ("xoxe.xoxb-1-" if rotating else "xoxb-") + f"{team.team_id}-{secrets.token_hex(12)}"
        issued = _Grant(team, grant.scopes, expires_at=self._now() + ROTATED_TOKEN_SECONDS if rotating else None,
                        organisation=grant.organisation)
        self._issued[token] = issued
        answer: dict[str, Any] = {
            "app_id": self.app_id, "authed_user": {"id": "U0000ADMIN"}, "scope": grant.scopes, "token_type": "bot",
            "access_token": token, "bot_user_id": team.bot_user_id, "team": {"id": team.team_id, "name": team.name},
            "enterprise": None, "is_enterprise_install": False}
        if grant.organisation is not None:  # org-wide: no team, the organisation instead
            org = grant.organisation
            answer.update(team=None, enterprise={"id": org.enterprise_id, "name": org.name}, is_enterprise_install=True)
        elif team.enterprise_id in self._organisations:  # a per-team install inside an organisation
            org = self._organisations[team.enterprise_id]
            answer.update(enterprise={"id": org.enterprise_id, "name": org.name})
        if rotating:
            refresh = f"xoxe-1-{team.team_id}-{secrets.token_hex(16)}"
            self._refresh_tokens[refresh] = issued
            answer.update(refresh_token=refresh, expires_in=ROTATED_TOKEN_SECONDS)
        return answer

    def _send_html(self, h: _Handler, status: int, body: str) -> None:
        payload = f"<!doctype html><html><head><title>Slack</title></head><body>{body}</body></html>".encode()
        try:
            h.send_response(status)
            h.send_header("Content-Type", "text/html; charset=utf-8")
            h.send_header("Content-Length", str(len(payload)))
            h.end_headers()
            h.wfile.write(payload)
        except OSError:
            pass

    def _redirect(self, h: _Handler, location: str) -> None:
        try:
            h.send_response(302)
            h.send_header("Location", location)
            h.send_header("Content-Length", "0")
            h.end_headers()
        except OSError:
            pass
