"""The App Home tab: headline numbers with their as-of dates, the user's briefings with their
buttons, and the command cheat sheet.

Which briefings: those the user set up, in the workspace the tab is opened in. Not every channel
the user can see: an App Home is private to its user, and listing a channel's briefings needs no
Slack call when the list is the user's own (`created_by`), while "channels the user can see" would
cost a conversations call per channel on every opening and could show a private channel's
schedule to someone who has since left it. Everyone else manages a channel's briefings with
`/reset subscriptions` and `/reset unsubscribe` in that channel.

Each button's ``action_id`` is ``reset_home_<verb>:<id>`` (unique within the view) and its value
the subscription id; `bot.slack.modals` checks, for every click, that the subscription is the
clicking user's and in the clicking workspace before it acts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ConfirmObject

from handlers import formatting as fmt
from handlers.datasets import Datasets
from handlers.lookup import latest_month, total_series
from handlers.reply import MAX_BLOCKS_HOME, build, divider, fields, header, section
from handlers.subscriptions import describe, local_and_utc
from handlers.topics.gap import latest_position
from handlers.topics.help import cheat_sheet_markdown

#: Prefix of every App Home button's action_id: ``reset_home_send:12``.
HOME_ACTION = "reset_home_"
HomeVerb = Literal["send", "pause", "resume", "remove"]
HOME_VERBS: tuple[HomeVerb, ...] = ("send", "pause", "resume", "remove")
#: Briefings listed on the tab (two blocks each); the rest are counted, not shown.
MAX_LISTED = 20


@dataclass(frozen=True)
class HomeBriefing:
    """One of the user's briefings as the tab shows it (`bot` reads it from the database)."""

    id: int
    channel_id: str
    weekday: str
    at_time: str
    timezone: str
    state: str  # "active", "paused" (the bot cannot post there) or "held" (paused by a person)
    reason: str | None
    upcoming: datetime | None  # the next slot (UTC); None while held


def home_view(datasets: Datasets, briefings: Sequence[HomeBriefing] | None = None, *,
              alerts: Sequence[Block] = (), note: str | None = None) -> dict[str, Any]:
    """The tab. ``briefings``: the user's (None: not available in this deployment, the section is
    left out); ``alerts``: the blocks of an alerts section, rendered by its own module and placed
    after the briefings (the hook for threshold alerts); ``note``: the outcome of the last click."""
    pos = latest_position(datasets)
    month = latest_month(datasets)
    total = total_series(datasets)
    q = fmt.quarter_label(pos.period)
    blocks: list[Block] = [
        header("Reset Bot"),
        section("The US external balance sheet, Treasuries and yields — explained with official data."),
        fields([
            (f"Foreign-owned US assets ({q})", fmt.usd_bn(pos.liabilities_usd_bn)),
            (f"US-owned foreign assets ({q})", fmt.usd_bn(pos.assets_usd_bn)),
            (f"Net position ({q})", f"{fmt.usd_bn(pos.headline_net_usd_bn)} ({fmt.pct(pos.net_pct_gdp)} of GDP)"),
            (f"Foreign-held Treasuries ({fmt.month(month)})", fmt.usd_bn(float(total.loc[month]))),
        ]),
        divider(),
    ]
    if briefings is not None:
        blocks += briefing_blocks(briefings, note)
        blocks.append(divider())
    if alerts:
        blocks += list(alerts)
        blocks.append(divider())
    blocks.append(section("*Commands*\n" + cheat_sheet_markdown()))
    reply = build(
        blocks,
        text="Reset Bot",
        sources=[datasets.source("iip_quarterly"), datasets.source("treasury_holdings")],
        limit=MAX_BLOCKS_HOME,
    )
    return {"type": "home", "blocks": list(reply.blocks)}


def briefing_blocks(briefings: Sequence[HomeBriefing], note: str | None = None) -> list[Block]:
    """"Your briefings": a line and a row of buttons per briefing."""
    intro = "*Your briefings*"
    if note:
        intro += f"\n{fmt.escape_slack(note)}"
    if not briefings:
        return [section(intro + "\nYou have set up no weekly briefing in this workspace. In a channel, type "
                        "`/reset subscribe` for the form, or `/reset subscribe weekly fri 16:30 Europe/London`.")]
    blocks: list[Block] = [section(intro)]
    for item in briefings[:MAX_LISTED]:
        blocks.append(section(_line(item)))
        blocks.append(_buttons(item))
    if len(briefings) > MAX_LISTED:
        blocks.append(section(f"… and {len(briefings) - MAX_LISTED} more: `/reset subscriptions` in each channel "
                              "lists them."))
    return blocks


def _line(item: HomeBriefing) -> str:
    schedule = describe(item.weekday, item.at_time, item.timezone)
    if item.state == "held":
        state = ":double_vertical_bar: paused by you — no briefing goes out until you resume it"
    elif item.state == "paused":
        state = f":warning: not delivering — {fmt.escape_slack(item.reason or 'the bot cannot post there')}"
    else:
        state = "next " + (local_and_utc(item.upcoming, item.timezone) if item.upcoming else "soon")
    return f"<#{item.channel_id}>: {schedule}\n{state}"


def _buttons(item: HomeBriefing) -> ActionsBlock:
    toggle: HomeVerb = "resume" if item.state == "held" else "pause"
    remove = ConfirmObject(title="Remove this briefing?", text=f"{describe(item.weekday, item.at_time, item.timezone)}"
                           f" in <#{item.channel_id}> stops for good.", confirm="Remove", deny="Keep it",
                           style="danger")
    return ActionsBlock(block_id=f"home_briefing_{item.id}", elements=[
        ButtonElement(text="Send now", action_id=f"{HOME_ACTION}send:{item.id}", value=str(item.id)),
        ButtonElement(text=toggle.capitalize(), action_id=f"{HOME_ACTION}{toggle}:{item.id}", value=str(item.id)),
        ButtonElement(text="Remove", action_id=f"{HOME_ACTION}remove:{item.id}", value=str(item.id), style="danger",
                      confirm=remove),
    ])


# ---- the user's threshold alerts -------------------------------------------------------------

#: A Remove button on an alert: ``reset_alerthome_remove:<alert id>`` (not under `HOME_ACTION`,
#: whose listener reads briefing clicks).
ALERT_HOME_ACTION = "reset_alerthome_remove:"


@dataclass(frozen=True)
class HomeAlert:
    """One of the user's alerts as the tab lists it (`bot.alerts.commands.AlertCommands.home_alerts`)."""

    id: int
    channel_id: str
    description: str  # 'China (mainland)'s Treasury holdings below $600bn'
    state: str  # armed, fired, paused
    reason: str | None = None


def alert_blocks(alerts: Sequence[HomeAlert]) -> list[Block]:
    """The tab's alerts section: each alert the user set in this workspace, its state, a Remove button."""
    blocks: list[Block] = [section("*Your alerts*")]
    if not alerts:
        blocks.append(section("None yet. In a channel, `/reset alert china below 600bn` or "
                              "`/reset alert 10y above 5%` sets one; it posts there when a new figure "
                              "crosses the line."))
        return blocks
    for item in alerts[:MAX_LISTED]:
        state = {"armed": "watching", "fired": "fired: waits for the series to come back before it can fire again",
                 "paused": f":warning: paused — {fmt.escape_slack(item.reason or 'the bot cannot post there')}"
                 }.get(item.state, item.state)
        blocks.append(section(f"<#{item.channel_id}>: {fmt.escape_slack(item.description)}\n{state}"))
        blocks.append(ActionsBlock(block_id=f"home_alert_{item.id}", elements=[ButtonElement(
            text="Remove", action_id=f"{ALERT_HOME_ACTION}{item.id}", value=str(item.id), style="danger",
            confirm=ConfirmObject(title="Remove this alert?", text=f"{item.description} in <#{item.channel_id}>.",
                                  confirm="Remove", deny="Keep it", style="danger"))]))
    if len(alerts) > MAX_LISTED:
        blocks.append(section(f"… and {len(alerts) - MAX_LISTED} more: `/reset alerts` in each channel lists them."))
    return blocks

