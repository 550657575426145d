"""The "Fact-check with Reset Bot" message shortcut and its "Post in thread" button.

Thin adapters, like every listener in `bot.slack.app`: acknowledge, read the payload, hand off.

* **The shortcut** (callback id `FACTCHECK_CALLBACK`, a *message* shortcut in manifest.yml): Slack
  sends ``message_action`` with the message (``text``, ``ts``, ``thread_ts`` when it is a reply),
  the channel, the user and a ``response_url``. The message's text becomes a `FactCheckQuery`,
  answered by the `Replier` like any command — through the response_url, so only the person who
  asked sees it (ephemeral), with a "Post in thread" button.
* **"Post in thread"**: the button's value carries the thread (the message's own ``thread_ts``,
  else its ``ts``) and the sentences that were checked; the click re-runs the fact-check on them
  and posts the result in that thread with ``chat.postMessage(thread_ts=…)``. Where the bot
  cannot post (not a member), the person is told so, ephemerally, with the `/invite` hint.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.serving.live_data import LiveData
from bot.slack.delivery import NOT_A_MEMBER, Destination, ResponseUrls, error_code
from bot.slack.errors import explain
from bot.slack.fairuse import FairUse
from bot.slack.payload import field as _field
from bot.slack.payload import text as _text
from bot.slack.replier import Replier
from handlers.answer import answer
from handlers.factcheck.render import POST_IN_THREAD_ACTION
from handlers.queries import FactCheckQuery
from handlers.reply import message
from handlers.slowdown import slow_down

logger = logging.getLogger("reset_bot.shortcuts")

FACTCHECK_CALLBACK = "reset_factcheck"
EMPTY_MESSAGE = ("That message has no text I can read (only files or attachments?), so there is nothing to "
                 "fact-check. Try `/reset factcheck` followed by the words you want checked.")
CANNOT_POST = ("I'm not a member of this conversation, so I can't post in its thread. Run `/invite @Reset Bot` "
               "here and press the button again — or copy the fact-check above.")


def register_shortcuts(app: App, *, replier: Replier, data: LiveData, response_urls: ResponseUrls,
                       fair_use: FairUse, workspace: Callable[[BoltContext, str], tuple[str, str | None]],
                       with_client: Callable[[Destination, BoltContext], Destination]) -> None:
    """Add the message shortcut and its button to ``app`` (called once from `create_app`)."""

    def destination(body: dict[str, Any], context: BoltContext) -> Destination:
        team = _text(_field(body, "team", "id")) or _text(_field(body, "user", "team_id"))
        channel = _text(_field(body, "channel", "id")) or _text(_field(body, "container", "channel_id"))
        dest = Destination(channel, _text(_field(body, "user", "id")) or None,
                           response_urls.allowed(body.get("response_url")), *workspace(context, team))
        return with_client(dest, context)

    @app.shortcut(FACTCHECK_CALLBACK)
    def on_factcheck(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        ack()
        dest = destination(body, context)
        msg = body.get("message")
        if not isinstance(msg, dict):
            msg = {}
        text = message_text(msg)
        if not dest.channel_id:
            return replier.delivery.tell_user(dest, message("I couldn't tell which conversation this came from."))
        refused = fair_use.check(dest.team_id, dest.user_id, dest.channel_id)
        if refused is not None:
            return replier.delivery.tell_user(dest, slow_down(refused.who, refused.retry_after_seconds))
        if not text.strip():
            return replier.delivery.tell_user(dest, message(EMPTY_MESSAGE))
        thread = _text(msg.get("thread_ts")) or _text(msg.get("ts")) or _text(body.get("message_ts"))
        replier.submit(FactCheckQuery(text=text[:40_000], thread_ts=thread or None), dest)

    @app.action(POST_IN_THREAD_ACTION)
    def on_post_in_thread(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext,
                          client: WebClient) -> None:
        ack()
        dest = destination(body, context)
        try:
            value = json.loads(_text(action.get("value")) or "{}")
            thread, text = _text(value.get("ts")), _text(value.get("text"))
        except (ValueError, AttributeError):
            thread, text = "", ""
        if not (dest.channel_id and thread and text):
            return replier.delivery.tell_user(dest, message("That button's message is not one I can post from."))
        refused = fair_use.check(dest.team_id, dest.user_id, dest.channel_id)
        if refused is not None:
            return replier.delivery.tell_user(dest, slow_down(refused.who, refused.retry_after_seconds))
        query = FactCheckQuery(text=text, thread_ts=thread, in_thread=True)
        replier.executor.submit(_post_in_thread, replier, data, dest, query, dest.client or client)


def _post_in_thread(replier: Replier, data: LiveData, dest: Destination, query: FactCheckQuery,
                    client: WebClient) -> None:
    """On the reply threads: answer, then post into the message's thread."""
    try:
        snapshot = data.current()
        reply = answer(query, snapshot.datasets, snapshot.holders)
        client.chat_postMessage(channel=dest.channel_id, thread_ts=query.thread_ts, text=reply.text,
                                blocks=list(reply.blocks), unfurl_links=False)
    except SlackApiError as exc:
        code = error_code(exc)
        logger.warning("fact-check not posted in a thread of %s: %s", dest.channel_id, code)
        replier.delivery.tell_user(dest, message(CANNOT_POST) if code in NOT_A_MEMBER else explain(exc))
    except (SlackClientError, OSError, ValueError) as exc:
        replier.delivery.tell_user(dest, explain(exc, where="factcheck"))


def message_text(msg: dict[str, Any]) -> str:
    """A message's words: its ``text``, or, when that is empty, the text inside its blocks."""
    text = _text(msg.get("text"))
    if text.strip():
        return text
    parts: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                if isinstance(value, list | dict):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(msg.get("blocks"))
    return " ".join(parts)


