"""The one place that turns exceptions into what the user sees.

Expected problems (`UserFacingError`) become a friendly ephemeral message. Anything else is a
bug: it is logged with a short id, and the user gets that id to quote — never a traceback.
Both Bolt's global error handler and the post-ack reply workers go through `explain`.
"""

from __future__ import annotations

import logging
import uuid

from bot.storage.records import StoreUnavailable
from handlers.errors import UserFacingError
from handlers.reply import Reply, message

logger = logging.getLogger("reset_bot")


def new_error_id() -> str:
    return uuid.uuid4().hex[:8]


def explain(error: BaseException, *, where: str = "") -> Reply:
    """The ephemeral reply for ``error``; unexpected errors are logged with an id."""
    if isinstance(error, UserFacingError):
        # Not the message: it quotes what the user typed, and request contents stay out of the log.
        logger.info("user error%s: %s", f" in {where}" if where else "", type(error).__name__)
        return message(error.message)
    error_id = new_error_id()
    if isinstance(error, StoreUnavailable):  # expected in an outage: no traceback, but an id to find it
        logger.error("database unavailable %s%s: %s", error_id, f" in {where}" if where else "", error,
                     extra={"error_id": error_id})
        return message(
            ":warning: I couldn't save or read that: my database is not available right now, so nothing was "
            f"changed. Please try again later; an admin can quote error id `{error_id}`."
        )
    logger.error("unexpected error %s%s", error_id, f" in {where}" if where else "", exc_info=error,
                 extra={"error_id": error_id})
    return message(
        f":warning: Something went wrong on my side. If it keeps happening, quote error id `{error_id}`."
    )
