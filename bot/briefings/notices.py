"""Nobody is left wondering: when a subscription pauses (not in the channel, archived, the channel
gone) or a briefing ends failed or missed, the person who set it up gets one direct message saying
what happened and what to do (`handlers.notices` has the words).

Once per change of state, across replicas: the caller sends a notice only when *its* write made
the change — `Subscriptions.set_state` returned True for the pause, `Ledger.record` inserted the
missed row, the final failed attempt was recorded by this owner — and those writes succeed for one
process only. A subscription that stays paused is not paused again, so it is not told again.

The DM goes to the creator's user id (``chat.postMessage`` with ``channel=U…`` posts in the app's
Messages tab with that user; scope ``chat:write``), with the subscription's workspace's own client.
A notice that cannot be sent is logged and dropped: it never fails or retries the delivery itself.
"""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.slack.delivery import ClientFor, error_code
from bot.storage.records import Subscription, Workspace
from handlers.notices import What, owner_notice
from handlers.reply import Reply

logger = logging.getLogger("reset_bot.briefings")


class OwnerNotices:
    def __init__(self, client_for: ClientFor) -> None:
        self.client_for = client_for
        self.sent = 0  # notices posted by this process (tests and logs)

    def tell(self, sub: Subscription, what: What, reason: str, slot: datetime | None = None) -> bool:
        """DM ``sub``'s creator that it was ``what`` for ``reason``; False if it could not be sent."""
        reply = owner_notice(what, channel_id=sub.channel_id, weekday=sub.weekday, at_time=sub.at_time,
                             tz=sub.timezone, reason=reason, slot=slot)
        return self._send(sub.workspace, sub.created_by, reply, f"subscription {sub.id} was {what}")

    def tell_alert(self, workspace: Workspace, user_id: str, channel_id: str, description: str, reason: str,
                   alert_id: int) -> bool:
        """DM an alert's creator that it paused for ``reason`` (a Slack code or the words)."""
        reply = owner_notice("paused", channel_id=channel_id, weekday="", at_time=description, tz="",
                             reason=reason, kind="alert")
        return self._send(workspace, user_id, reply, f"alert {alert_id} paused")

    def _send(self, workspace: Workspace, user_id: str, reply: Reply, what: str) -> bool:
        if not user_id.startswith(("U", "W")):
            return False
        try:
            self.client_for(workspace).chat_postMessage(channel=user_id, text=reply.text, blocks=list(reply.blocks),
                                                        unfurl_links=False)
        except SlackApiError as exc:
            logger.warning("could not tell the owner that %s: %s", what, error_code(exc))
            return False
        except (SlackClientError, OSError) as exc:
            logger.warning("could not tell the owner that %s: %s", what, type(exc).__name__)
            return False
        self.sent += 1
        logger.info("told the owner that %s", what)
        return True
