"""The words of a fair-use refusal (the limits themselves are in `bot.slack.fairuse`) and of a
command that arrives while the bot stops."""

from __future__ import annotations

import math

from handlers.reply import Reply, message


def slow_down(who: str, retry_after_seconds: int) -> Reply:
    """The ephemeral "slow down" for ``who`` ("you" or "channel"), waiting ``retry_after_seconds``.

    >>> slow_down("you", 4).text
    ":hourglass: You're sending commands faster than I answer them well. Try again in 4 s."
    """
    wait = f"{retry_after_seconds} s" if retry_after_seconds < 120 else f"{math.ceil(retry_after_seconds / 60)} min"
    if who == "channel":
        return message(f":hourglass: This channel is asking more than I can answer well right now, so I skipped "
                       f"this one to keep it readable. Try again in {wait}.")
    return message(f":hourglass: You're sending commands faster than I answer them well. Try again in {wait}.")


def restarting() -> Reply:
    """What a command gets while this replica stops (a deploy): the honest one line, not silence.

    >>> restarting().text.endswith("Please ask again in a few seconds.")
    True
    """
    return message(":arrows_counterclockwise: Reset Bot is restarting right now, so I couldn't answer that. "
                   "Please ask again in a few seconds.")
