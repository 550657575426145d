"""The direct message the person who set a briefing (or an alert) up gets when it stops working:
what happened, where, and what to do. One per change of state (`bot.briefings.notices` sends it),
so a channel that stays broken does not turn into a stream of DMs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from handlers.reply import Reply, message
from handlers.subscriptions import describe, local_and_utc

What = Literal["paused", "failed", "missed", "removed"]

#: Slack's error codes a user can act on, and what to do about each.
ADVICE = {
    "not_in_channel": "Invite me back with `/invite @Reset Bot` in that channel; I resume by myself once I'm in.",
    "channel_not_found": "I can't see that channel any more. If it is private, invite me with "
                         "`/invite @Reset Bot`; I resume by myself once I can post there.",
    "is_archived": "The channel is archived. Unarchive it, or subscribe another channel with `/reset subscribe`.",
}


def owner_notice(what: What, *, channel_id: str, weekday: str, at_time: str, tz: str, reason: str,
                 slot: datetime | None = None, kind: str = "briefing") -> Reply:
    """The DM for ``what`` happened to the ``kind`` ("briefing" or "alert") in ``channel_id``.

    >>> owner_notice("paused", channel_id="C1", weekday="fri", at_time="16:30", tz="UTC",
    ...              reason="not_in_channel").text.splitlines()[0][15:]
    'Your weekly briefing in <#C1> (every Friday at 16:30 UTC) is paused: I was removed from the channel.'
    """
    where = f"<#{channel_id}>"
    schedule = describe(weekday, at_time, tz) if weekday in _DAYS else at_time
    what_kind = "weekly briefing" if kind == "briefing" else "alert"
    when = f" for {local_and_utc(slot, tz)}" if slot is not None else ""
    if what == "paused":
        head = (f":pause_button: Your {what_kind} in {where} ({schedule}) is paused: {_cause(reason)}.")
        listing = "`/reset subscriptions`" if kind == "briefing" else "`/reset alerts`"
        advice = ADVICE.get(reason, f"I try again by myself; {listing} in that channel shows its state.")
    elif what == "removed":
        head = f":no_entry: Your {what_kind} in {where} ({schedule}) has stopped: {reason}."
        advice = "Nothing more will be posted for it. `/reset subscribe` there sets up a new one."
    elif what == "missed":
        head = (f":warning: Your {what_kind} in {where} ({schedule}){when} was not delivered: "
                f"I was not running for longer than the grace period ({reason}).")
        advice = "The next one is on schedule; `/reset briefing` in that channel sends one now."
    else:
        head = (f":warning: Your {what_kind} in {where} ({schedule}){when} could not be delivered: "
                f"Slack answered `{reason}`.")
        advice = ("I stopped retrying this one; the next one is on schedule. If it keeps happening, tell your "
                  "Slack admin the error above.")
    return message(f"{head}\n{advice}")


_DAYS = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}


def _cause(code: str) -> str:
    return {
        "not_in_channel": "I was removed from the channel",
        "channel_not_found": "I can no longer see the channel",
        "is_archived": "the channel was archived",
    }.get(code, code)
