"""Putting a `Reply` into Slack: the only module that posts messages and uploads charts.

Rules it follows (see README, "How replies reach Slack"):
* in-channel replies are posted with chat.postMessage, then each chart is uploaded into the
  channel with files_upload_v2 (getUploadURLExternal → upload → completeUploadExternal);
* where the bot is not in the channel (or it is a DM between people), the numbers still go out
  through the command's response_url, with a one-line hint to `/invite` the bot for charts;
* a failed upload leaves the text reply in place and tells the asker why the chart is missing;
* ephemeral replies (help, usage errors, anything only the asker needs) use the response_url.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.webhook import WebhookClient

from bot.serving.chart_cache import ChartCache
from bot.storage.records import Workspace
from handlers.datasets import Datasets
from handlers.reply import ChartRef, Reply, message, with_data_version

logger = logging.getLogger("reset_bot.delivery")

# Errors meaning "the bot cannot post here" rather than "something is broken".
NOT_A_MEMBER = frozenset({"not_in_channel", "channel_not_found"})


@dataclass(frozen=True)
class Destination:
    """Where a reply goes: the channel, who asked, the command's response_url if any, and the
    workspace it was asked in (from the request: Bolt's context ``team_id`` / ``enterprise_id``)."""

    channel_id: str
    user_id: str | None = None
    response_url: str | None = None
    team_id: str = ""
    enterprise_id: str | None = None
    #: OAuth mode: the Web API client with the asking workspace's own token (Bolt's ``context.client``);
    #: None in the single-token mode, where every reply goes through the one bot token's client.
    client: WebClient | None = field(default=None, compare=False, repr=False)
    #: Answer in this thread (a follow-up button pressed on a message: that message's thread, or the
    #: thread it is in); None posts at the top level. Ephemeral messages have no thread.
    thread_ts: str | None = None

    @property
    def workspace(self) -> Workspace:
        return Workspace(self.team_id, self.enterprise_id)


#: The Web API client to use for a workspace's Slack calls: the one seam through which a
#: briefing reaches Slack. Today every workspace gets the single bot token's client (`one_client`).
ClientFor = Callable[[Workspace], WebClient]


def one_client(client: WebClient) -> ClientFor:
    """The single-token `ClientFor`: the same client whatever the workspace."""
    return lambda _workspace: client


@dataclass
class Delivered:
    """What happened, for the caller (and the briefing ledger) to record."""

    ts: str | None = None
    file_ids: list[str] = field(default_factory=list)
    via: Literal["chat", "response_url", "none"] = "none"
    problems: list[str] = field(default_factory=list)


SLACK_HOOKS = "https://hooks.slack.com/"
WEBHOOK_TIMEOUT_SECONDS = 5
WEBHOOK_MAX_RETRY_WAIT_SECONDS = 3


class ResponseUrls:
    """Which ``response_url``s the bot may POST to: Slack's own (``https://hooks.slack.com/``), or
    — for a stand-in or a proxy — URLs under the host of ``SLACK_API_URL`` when that is not
    Slack's. A request body can say anything; anything else is ignored (and logged, host only)."""

    def __init__(self, api_url: str, default_api_url: str = "https://slack.com/api/") -> None:
        parts = urlsplit(api_url)
        self._extra = None if api_url == default_api_url else (parts.scheme, parts.netloc.lower())

    def allowed(self, url: object) -> str | None:
        if not isinstance(url, str) or not url or len(url) > 2000:
            return None
        if url.startswith(SLACK_HOOKS):
            return url
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:  # e.g. an unbalanced IPv6 bracket: not a URL at all
            logger.warning("ignored a response_url that is not a valid URL")
            return None
        if self._extra is not None and (parts.scheme, parts.netloc.lower()) == self._extra:
            return url
        logger.warning("ignored a response_url outside Slack's hooks (host %r)", parts.hostname)
        return None


class BoundedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """A 429 retried only when its Retry-After is short: a webhook answer is worth a few
    seconds' wait, not a worker thread held for a minute (slack_sdk's handler sleeps for
    whatever the server says, and fails on a Retry-After that is not a number)."""

    def __init__(self, max_retry_count: int = 1, max_wait_seconds: float = WEBHOOK_MAX_RETRY_WAIT_SECONDS) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait_seconds = max_wait_seconds

    def _retry_after(self, response: HttpResponse) -> float | None:
        for name, values in response.headers.items():
            if name.lower() == "retry-after":
                value = values[0] if isinstance(values, list) and values else values
                text = str(value).strip()
                return float(text) if text.isascii() and text.isdigit() and len(text) < 6 else None
        return 1.0

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = self._retry_after(response)
        return wait is not None and wait <= self.max_wait_seconds

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: HttpResponse | None = None, error: Exception | None = None) -> None:
        wait = self._retry_after(response) if response is not None else None
        wait = 1.0 if wait is None else wait  # "Retry-After: 0" means now, not a second from now
        state.next_attempt_requested = True
        time.sleep(min(wait, self.max_wait_seconds) + random.random() / 4)
        state.increment_current_attempt()


def webhook_retry_handlers() -> list[RetryHandler]:
    """Retries for response_url posts, bounded in count (one each) and time: with a 5-second
    timeout, at most about 3 × 5 s + 3 s before giving up."""
    return [ConnectionErrorRetryHandler(max_retry_count=1), BoundedRateLimitRetryHandler(max_retry_count=1),
            ServerErrorRetryHandler(max_retry_count=1)]


def error_code(error: SlackApiError) -> str:
    return str(error.response.get("error", "unknown_error"))


class SlackDelivery:
    def __init__(self, client: WebClient, charts: ChartCache, retry_handlers: list[RetryHandler] | None = None) -> None:
        self.client = client
        self.charts = charts
        self._retry_handlers = retry_handlers if retry_handlers is not None else webhook_retry_handlers()

    # -- response_url ---------------------------------------------------------------------------
    def respond(self, url: str, reply: Reply, *,
                response_type: Literal["in_channel", "ephemeral"] | None = None) -> None:
        webhook = WebhookClient(url, timeout=WEBHOOK_TIMEOUT_SECONDS, retry_handlers=list(self._retry_handlers))
        response = webhook.send(
            text=reply.text,
            blocks=list(reply.blocks),
            response_type=response_type or reply.visibility,
            replace_original=False,
        )
        if response.status_code >= 300:
            raise SlackClientError(f"response_url answered {response.status_code}: {response.body[:200]}")

    def tell_user(self, dest: Destination, reply: Reply, *, client: WebClient | None = None) -> None:
        """An ephemeral note to the asker, by response_url if there is one, else chat.postEphemeral
        (through ``client``, the workspace's, when given)."""
        try:
            if dest.response_url:
                self.respond(dest.response_url, reply, response_type="ephemeral")
            elif dest.user_id:
                (client or dest.client or self.client).chat_postEphemeral(
                    channel=dest.channel_id, user=dest.user_id, text=reply.text, blocks=list(reply.blocks),
                    thread_ts=dest.thread_ts,  # None (the top level) is left out by slack_sdk
                )
        except (SlackClientError, OSError) as exc:  # nothing more we can do for this user
            logger.warning("could not send an ephemeral note to %s: %s", dest.user_id, exc)

    # -- the main path --------------------------------------------------------------------------
    def deliver(self, reply: Reply, dest: Destination, datasets: Datasets, *,
                metadata: dict[str, Any] | None = None, client: WebClient | None = None,
                thread_ts: str | None = None) -> Delivered:
        """Post ``reply`` to ``dest``; every Web API call goes through ``client`` (the destination
        workspace's) when given, else this delivery's own. ``thread_ts``: as a reply in that
        message's thread, charts included (issue 14)."""
        client = client or dest.client or self.client
        thread_ts = thread_ts or dest.thread_ts  # a briefing's part, or a follow-up in its message's thread
        reply = with_data_version(reply, datasets.version)  # its "Data (CSV)" buttons name this data version
        if reply.visibility == "ephemeral":
            self.tell_user(dest, reply, client=client)
            return Delivered(via="response_url" if dest.response_url else "chat")
        result = Delivered()
        try:
            posted = client.chat_postMessage(
                channel=dest.channel_id, text=reply.text, blocks=list(reply.blocks), unfurl_links=False,
                metadata=metadata or None,  # slack_sdk leaves out a None: no metadata field at all
                thread_ts=thread_ts,  # None: not in a thread (left out, like metadata)
            )
            result.ts, result.via = posted.get("ts"), "chat"
        except SlackApiError as exc:
            code = error_code(exc)
            if code not in NOT_A_MEMBER or not dest.response_url:
                raise
            self.respond(dest.response_url, reply, response_type="in_channel")
            result.via = "response_url"
            result.problems.append(code)
            if reply.charts:
                self.tell_user(dest, client=client, reply=message(
                    "I'm not a member of this conversation, so I sent the numbers without the chart. "
                    "Run `/invite @Reset Bot` here (or use me in a channel I'm in) to get charts too."
                ))
            return result
        for chart in reply.charts:
            try:
                uploaded = client.files_upload_v2(
                    channel=dest.channel_id,
                    file=self.charts.png(chart, datasets),
                    filename=chart.filename,
                    title=chart.title,
                    alt_txt=chart.alt_text,
                    thread_ts=thread_ts,
                )
                file: dict[str, Any] = uploaded.get("file") or {}
                result.file_ids.append(file.get("id", ""))
            except (SlackClientError, OSError) as exc:
                code = error_code(exc) if isinstance(exc, SlackApiError) else type(exc).__name__
                logger.warning("chart %s not uploaded to %s: %s", chart.key, dest.channel_id, code)
                result.problems.append(f"upload:{code}")
                self.tell_user(dest, client=client, reply=message(
                    f"The chart _{chart.title}_ could not be uploaded (`{code}`); the numbers above are complete."
                ))
        return result

    # -- the data behind a chart ----------------------------------------------------------------
    def upload_data(self, dest: Destination, content: bytes, *, filename: str, title: str, comment: str,
                    private: bool = False, client: WebClient | None = None) -> Delivered:
        """Upload a chart's CSV into ``dest`` (its thread when ``dest.thread_ts`` is set).

        Slack has no ephemeral files, so where the answer must stay private (``private``: the button
        was on an ephemeral message) or the bot cannot share into the conversation (not a member, a
        private channel or DM it is not in, archived), the file goes to the asker's DM with the bot
        (conversations.open, ``im:write``) and an ephemeral note in the conversation says where it
        went. A DM is still private to the asker, and the file stays downloadable there."""
        client = client or dest.client or self.client
        result = Delivered()
        if not private:
            try:
                uploaded = client.files_upload_v2(channel=dest.channel_id, thread_ts=dest.thread_ts, file=content,
                                                  filename=filename, title=title, initial_comment=comment)
                result.file_ids.append((uploaded.get("file") or {}).get("id", ""))
                result.via = "chat"
                return result
            except SlackApiError as exc:
                code = error_code(exc)
                if code not in NOT_A_MEMBER | {"is_archived"}:
                    raise
                result.problems.append(code)
        if not dest.user_id:
            raise SlackClientError("no user to send the data to")
        opened = client.conversations_open(users=dest.user_id)
        im = str((opened.get("channel") or {}).get("id", ""))
        uploaded = client.files_upload_v2(channel=im, file=content, filename=filename, title=title,
                                          initial_comment=comment)
        result.file_ids.append((uploaded.get("file") or {}).get("id", ""))
        result.via = "chat"
        why = ("Slack cannot show a file only to you" if private
               else "I can't share files in this conversation (I'm not a member here)")
        self.tell_user(dest, client=client, reply=message(
            f"{why}, so I sent _{title}_ (`{filename}`) to our direct messages: the Reset Bot app's "
            "*Messages* tab."))
        return result
    def upload_chart(self, chart: ChartRef, dest: Destination, datasets: Datasets, *, client: WebClient | None = None,
                     thread_ts: str | None = None) -> str:
        """Upload one chart on its own (a threaded briefing's chart part, issue 14) and return its
        file id; Slack's and the network's errors are raised for the caller to decide."""
        uploaded = (client or dest.client or self.client).files_upload_v2(
            channel=dest.channel_id, file=self.charts.png(chart, datasets), filename=chart.filename,
            title=chart.title, alt_txt=chart.alt_text, thread_ts=thread_ts)
        file: dict[str, Any] = uploaded.get("file") or {}
        return str(file.get("id", ""))
