"""What the briefings ask Slack about people and channels: a user's time zone, whether the bot is
in a channel (joining a public one when it is not), whether it can post there again — each asked
of the workspace the person or channel belongs to, through its client (`ClientFor`)."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.slack.delivery import ClientFor, error_code
from bot.storage.records import Workspace
from handlers.errors import UserFacingError
from handlers.subscriptions import ARCHIVED, invite_hint

logger = logging.getLogger("reset_bot.briefings")


class Membership:
    def __init__(self, client_for: ClientFor) -> None:
        self.client_for = client_for

    def user_timezone(self, workspace: Workspace, user_id: str | None) -> str | None:
        """The user's IANA time zone from their Slack profile, or None if it cannot be read or used."""
        if user_id:
            try:
                tz = self.client_for(workspace).users_info(user=user_id)["user"].get("tz")
                if tz:
                    ZoneInfo(tz)  # Slack's value, but never store a zone the scheduler cannot use
                    return str(tz)
            except (SlackClientError, OSError, KeyError, ValueError, ZoneInfoNotFoundError) as exc:
                logger.info("no time zone for %s: %s", user_id, exc)
        return None

    def ensure_member(self, workspace: Workspace, channel_id: str) -> None:
        """Join a public channel if needed; otherwise say exactly what to run. Never records a dead subscription."""
        client = self.client_for(workspace)
        try:
            info = client.conversations_info(channel=channel_id)["channel"]
        except SlackApiError as exc:
            raise UserFacingError(invite_hint(error_code(exc))) from None
        if info.get("is_archived"):
            raise UserFacingError(ARCHIVED)
        if info.get("is_im") or info.get("is_member"):
            return
        if info.get("is_private"):
            raise UserFacingError(invite_hint("not_in_channel"))
        try:
            client.conversations_join(channel=channel_id)
        except SlackApiError as exc:
            raise UserFacingError(invite_hint(error_code(exc))) from None

    def can_post(self, workspace: Workspace, channel_id: str) -> bool:
        try:
            info = self.client_for(workspace).conversations_info(channel=channel_id)["channel"]
        except (SlackClientError, OSError):
            return False
        return not info.get("is_archived") and bool(info.get("is_im") or info.get("is_member"))
