"""The words and Block Kit of the briefing subscription commands (`/reset subscribe`,
`subscriptions`, `unsubscribe`) and of the reasons a subscription is paused.

Pure: the commands (`bot.briefings.commands`) read and write the database and pass plain values
here; what a user reads is decided in this module only. Also how a weekly schedule and a slot are
said: ``every Friday at 16:30 Europe/London`` and ``Fri 27 Nov 2026 16:30 GMT (16:30 UTC)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from handlers.reply import Reply, build, buttons, message, section

DAY_NAMES = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
             "sat": "Saturday", "sun": "Sunday"}
ARCHIVED = "This channel is archived, so it cannot get briefings."
NO_TIMEZONE_NOTE = " (I couldn't read your Slack time zone, so I used UTC; add one, e.g. `Europe/London`.)"
SEND_NOW_SCHEDULE = "on request"  # the schedule a send-now names when the channel has none


def describe(weekday: str, at_time: str, tz: str) -> str:
    """'every Friday at 16:30 Europe/London'."""
    return f"every {DAY_NAMES[weekday]} at {at_time} {tz}"


def local_and_utc(instant: datetime, tz: str) -> str:
    """'Fri 27 Nov 2026 16:30 GMT (16:30 UTC)'."""
    local = instant.astimezone(ZoneInfo(tz))
    return f"{local:%a %d %b %Y %H:%M} {local.tzname()} ({instant.astimezone(timezone.utc):%H:%M} UTC)"


@dataclass(frozen=True)
class Listed:
    """One briefing of a channel, as `/reset subscriptions` shows it."""

    weekday: str
    at_time: str
    timezone: str
    upcoming: datetime  # the next slot, UTC
    paused: bool
    pause_reason: str | None
    last_status: str | None = None  # the latest finished delivery, if any
    last_slot: datetime | None = None
    form: str | None = None  # issue 14: "threaded" or "flat" (shown as the word `/reset subscribe` takes)


def subscribed(weekday: str, at_time: str, tz: str, upcoming: datetime, *, tz_guessed: bool,
               form: str | None = None) -> Reply:
    note = NO_TIMEZONE_NOTE if tz_guessed else ""
    shape = ""
    if form == "threaded":
        shape = (" The headline numbers arrive as one message, with the topic of the week, its chart and the "
                 "sources in its thread (`flat` instead: everything in one message).")
    elif form == "flat":
        shape = " Everything arrives in one message (`threaded` instead: the details in a thread)."
    return message(
        f":white_check_mark: This channel will get the Reset Bot briefing {describe(weekday, at_time, tz)}.{note}\n"
        f"Next: *{local_and_utc(upcoming, tz)}*.{shape} `/reset briefing` sends one now; "
        "`/reset unsubscribe` stops it.",
        visibility="in_channel",
    )


def no_briefings() -> Reply:
    return message("This channel has no briefings. Try `/reset subscribe weekly fri 16:30 Europe/London`.")


def listing(briefings: Sequence[Listed]) -> Reply:
    lines = []
    for n, item in enumerate(briefings, 1):
        state = "active" if not item.paused else f":double_vertical_bar: paused — {item.pause_reason}"
        last_text = (f"; last: {item.last_status} {item.last_slot:%d %b %H:%M} UTC"
                     if item.last_status is not None and item.last_slot is not None else "")
        lines.append(f"*{n}.* {describe(item.weekday, item.at_time, item.timezone)} — next "
                     f"{local_and_utc(item.upcoming, item.timezone)} "
                     f"({state}{'; ' + item.form if item.form else ''}{last_text})")
    return build([section("*Briefings in this channel*\n" + "\n".join(lines))],
                 text="Briefings in this channel: " + "; ".join(line.replace("*", "") for line in lines),
                 visibility="ephemeral")


def nothing_to_stop() -> Reply:
    return message("This channel has no briefings to stop.")


def which_to_stop(schedules: Sequence[tuple[str, str, str]]) -> Reply:
    """Several briefings and no number: a button per briefing. ``schedules``: (weekday, at_time, tz)."""
    lines = [f"*{n}.* {describe(*schedule)}" for n, schedule in enumerate(schedules, 1)]
    return build(
        [section("This channel has several briefings. Which one should stop?\n" + "\n".join(lines)),
         buttons([(f"Stop {n}", f"unsubscribe {n}") for n in range(1, len(schedules) + 1)], block_id="unsubscribe")],
        text="Which briefing should stop? " + "; ".join(line.replace("*", "") for line in lines),
        visibility="ephemeral")


def no_such_briefing(number: int, count: int) -> str:
    return f"There is no briefing {number} here; `/reset subscriptions` lists them (1–{count})."


def stopped(weekday: str, at_time: str, tz: str) -> Reply:
    return message(f"Stopped the briefing {describe(weekday, at_time, tz)}.", visibility="in_channel")


def invite_hint(code: str) -> str:
    """What to do when the bot cannot deliver to a channel, by Slack's error code."""
    if code == "is_archived":
        return ARCHIVED
    return ("I'm not a member of this conversation, so I can't deliver briefings here. Run "
            "`/invite @Reset Bot` in this channel, then subscribe again.")


def pause_reason(code: str) -> str:
    """Why a subscription is paused, as `/reset subscriptions` shows it."""
    return {
        "not_in_channel": "the bot was removed from the channel — `/invite @Reset Bot` to resume",
        "channel_not_found": "the bot cannot see this channel — `/invite @Reset Bot` to resume",
        "is_archived": "the channel is archived",
    }.get(code, code)
