"""The weekly briefing: headline numbers and what moved, a topic of the week, the countdown.

Pure: everything it needs is passed in (datasets, the channel's previous headline, the slot and
its time zone), so a briefing is the same whether the scheduler, `/reset briefing` or a test
asks for it. The headline it returns is stored with the delivery and becomes the next
briefing's "since last time".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from handlers import formatting as fmt
from handlers.answer import cached_answer
from handlers.datasets import Datasets, Source
from handlers.holders import EU, HolderRegistry
from handlers.lookup import fact, holder_series, latest_month, market_rate, total_series
from handlers.memo import VersionMemo
from handlers.parsing import parse
from handlers.reply import ChartRef, Reply, build, context, divider, fields, header, section, sources_context
from handlers.topics.gap import latest_position

#: The thesis, one topic a week, in this order (ISO week number modulo the length).
ROTATION = ("gap", "holdings", "buying", "refinancing", "shock eu 20%", "gold", "claims")
WALL_YEAR = 2026


def headline(datasets: Datasets, holders: HolderRegistry) -> dict[str, Any]:
    """The numbers every briefing leads with, with their periods (stored to diff next week)."""
    pos = latest_position(datasets)
    month = latest_month(datasets)
    china = holder_series(datasets, holders.get("china"))
    eu = holder_series(datasets, holders.get(EU))
    return {
        "iip_period": pos.period,
        "foreign_owned_usd_bn": pos.liabilities_usd_bn,
        "net_usd_bn": pos.headline_net_usd_bn,
        "net_pct_gdp": round(pos.net_pct_gdp, 2),
        "tic_month": month,
        "foreign_treasuries_usd_bn": float(total_series(datasets).loc[month]),
        "china_month": str(china.index.max()),
        "china_usd_bn": float(china.iloc[-1]),
        "eu_month": str(eu.index.max()),
        "eu_usd_bn": float(eu.iloc[-1]),
        "ten_year_pct": market_rate(datasets, "ten_year_yield_pct").value,
        "ten_year_as_of": market_rate(datasets, "ten_year_yield_pct").period,
        "data_version": datasets.version,
    }


_per_version: VersionMemo[Any] = VersionMemo()


def _once(datasets: Datasets, key: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per data version: a fan-out builds one briefing per channel, and the
    headline and facts it looks up (milliseconds of pandas each) are the same for all of them."""
    return _per_version.get(datasets, key, compute)


def _since(now: dict[str, Any], before: dict[str, Any] | None, key: str, period_key: str, unit: str) -> str:
    if before is None or key not in before:
        return ""
    change = now[key] - before[key]
    if abs(change) < 1e-9:
        return " · unchanged since the last briefing" if now[period_key] == before.get(period_key) else ""
    shown = fmt.usd_bn(change, signed=True) if unit == "usd_bn" else (
        fmt.bp(change * 100) if unit == "pct_points_as_bp" else fmt.pct(change, signed=True))
    return f" · {shown} since the last briefing ({before.get(period_key)})"


def topic_of_week(slot_local: date) -> str:
    return ROTATION[slot_local.isocalendar().week % len(ROTATION)]


def briefing_reply(
    datasets: Datasets,
    holders: HolderRegistry,
    *,
    slot: datetime,
    tz: str,
    schedule: str,
    previous: dict[str, Any] | None,
    changes: list[str] | None = None,
) -> tuple[Reply, dict[str, Any]]:
    """The briefing for ``slot`` (an aware datetime) in time zone ``tz``, and its headline.

    Memoised per data version on all the other arguments: at 09:00 on a Monday every channel on
    the same schedule that got last week's briefing asks for exactly the same one.
    """
    key = ("briefing", slot, tz, schedule, json.dumps(previous, sort_keys=True) if previous is not None else None,
           tuple(changes) if changes else None)
    reply, now = _briefings.get(
        datasets, key, lambda: _compose(datasets, holders, slot, tz, schedule, previous, changes))
    return reply, dict(now)  # a copy: the caller stores it


_briefings: VersionMemo[tuple[Reply, dict[str, Any]]] = VersionMemo(max_entries=256)


@dataclass(frozen=True)
class _Parts:
    """What a briefing is made of, before it is laid out as one message or as a thread."""

    now: dict[str, Any]
    local: datetime
    topic: str
    topic_title: str
    title_block: Block
    numbers: Block
    what_changed: Block | None
    topic_blocks: tuple[Block, ...]
    countdown: Block
    footer: Block
    sources: tuple[Source, ...]
    charts: tuple[ChartRef, ...]


def _compose(datasets: Datasets, holders: HolderRegistry, slot: datetime, tz: str, schedule: str,
             previous: dict[str, Any] | None, changes: list[str] | None) -> tuple[Reply, dict[str, Any]]:
    """The flat form: the whole briefing in one message."""
    p = _parts(datasets, holders, slot, tz, schedule, previous, changes)
    blocks = [
        p.title_block,
        p.numbers,
        p.what_changed,
        divider(),
        section(f"*Topic of the week: {p.topic_title}*"),
        *p.topic_blocks,
        p.countdown,
    ]
    reply = build([b for b in blocks if b is not None] + [p.footer], text=_fallback(p),
                  charts=p.charts, sources=p.sources)
    return reply, p.now


def _fallback(p: _Parts) -> str:
    return (f"Reset Bot weekly briefing {fmt.day(p.local)}: foreign-held Treasuries "
            f"{fmt.usd_bn(p.now['foreign_treasuries_usd_bn'])}, net position {fmt.usd_bn(p.now['net_usd_bn'])}. "
            f"Topic of the week: {p.topic}.")


def _parts(datasets: Datasets, holders: HolderRegistry, slot: datetime, tz: str, schedule: str,
           previous: dict[str, Any] | None, changes: list[str] | None) -> _Parts:
    now = dict(_once(datasets, "headline", lambda: headline(datasets, holders)))
    local = slot.astimezone(ZoneInfo(tz))
    def since(key: str, period_key: str, unit: str) -> str:
        return _since(now, previous, key, period_key, unit)

    pairs = [
        (f"Foreign-owned US assets ({now['iip_period']})",
         f"{fmt.usd_bn(now['foreign_owned_usd_bn'])}{since('foreign_owned_usd_bn', 'iip_period', 'usd_bn')}"),
        ("Net position", f"{fmt.usd_bn(now['net_usd_bn'])} = {fmt.pct(now['net_pct_gdp'])} of GDP"),
        (f"Foreign-held Treasuries ({fmt.month(now['tic_month'])})",
         f"{fmt.usd_bn(now['foreign_treasuries_usd_bn'])}{since('foreign_treasuries_usd_bn', 'tic_month', 'usd_bn')}"),
        (f"China ({fmt.month(now['china_month'])})",
         f"{fmt.usd_bn(now['china_usd_bn'])}{since('china_usd_bn', 'china_month', 'usd_bn')}"),
        (f"EU members listed by TIC ({fmt.month(now['eu_month'])})",
         f"{fmt.usd_bn(now['eu_usd_bn'])}{since('eu_usd_bn', 'eu_month', 'usd_bn')}"),
        (f"10-year yield ({now['ten_year_as_of']})",
         f"{fmt.pct(now['ten_year_pct'], digits=2)}"
         f"{since('ten_year_pct', 'ten_year_as_of', 'pct_points_as_bp')}"),
    ]
    what_changed = changes or []
    if previous is None:
        what_changed = ["First briefing in this channel: changes will be shown from next week."] + what_changed
    elif previous.get("data_version") == now["data_version"] and not changes:
        what_changed = ["No new official data since the last briefing."] + what_changed

    topic = topic_of_week(local.date())
    topic_reply = cached_answer(parse(topic, holders), datasets, holders)
    # The topic's first two sections, and always its caveats (context blocks other than sources).
    sections = [b for b in topic_reply.blocks if b["type"] == "section"][:2]
    caveats = [b for b in topic_reply.blocks if b["type"] == "context"
               and not b["elements"][0].get("text", "").startswith("Sources:")]
    topic_blocks = sections + caveats
    days_left = (date(WALL_YEAR + 1, 1, 1) - local.date()).days
    claim = _once(datasets, "refi_claim", lambda: fact(datasets, "refi_2026_claim_usd_bn"))
    countdown = (f"*{days_left} days* left in {WALL_YEAR}, the year of the claimed {fmt.usd_bn(claim.value)} "
                 "refinancing wall (`/reset refinancing` for what really matures)." if days_left > 0 else
                 f"{WALL_YEAR}, the year of the claimed {fmt.usd_bn(claim.value)} refinancing wall, is over.")

    sources = [datasets.source("iip_quarterly"), datasets.source("treasury_holdings"),
               _once(datasets, "ten_year", lambda: market_rate(datasets, "ten_year_yield_pct")).source,
               *topic_reply.sources]
    footer = context([f"Delivered {schedule} ({local.tzname()}). `/reset subscriptions` to manage, "
                      "`/reset unsubscribe` to stop."])
    return _Parts(
        now=now, local=local, topic=topic, topic_title=_topic_title(topic_reply),
        title_block=header(f"Reset Bot weekly briefing — {fmt.day(local)}"),
        numbers=fields(pairs),
        what_changed=section("*What changed*\n" + "\n".join(f"• {line}" for line in what_changed))
        if what_changed else None,
        topic_blocks=tuple(_block(b) for b in topic_blocks),
        countdown=section(countdown), footer=footer,
        sources=tuple(dict.fromkeys(sources)), charts=tuple(topic_reply.charts[:1]))


# ---- the threaded form (issue 14) -----------------------------------------------------------------

#: The thread replies of a threaded briefing, in the order they are posted. The topic's chart
#: is uploaded into the thread between them, as the part named `CHART_PART`.
TOPIC_PART, CHART_PART, SOURCES_PART = "topic", "chart", "sources"


@dataclass(frozen=True)
class ThreadedBriefing:
    """A briefing as a thread: ``parent`` (the headline numbers and what changed) at the top level,
    ``replies`` (name, reply) in its thread — the topic of the week (whose reply carries the
    chart to upload after it) and the sources with the schedule. Every number keeps its period
    beside it in the parent; the sources reply cites each dataset with its as-of date."""

    parent: Reply
    replies: tuple[tuple[str, Reply], ...]

    @property
    def chart(self) -> ChartRef | None:
        """The chart of the week, uploaded into the thread after the topic (None for a topic without one)."""
        return next((c for _, r in self.replies for c in r.charts), None)

    def part_names(self) -> tuple[str, ...]:
        """Every part the thread needs, in posting order: what recovery checks off."""
        names: list[str] = []
        for name, reply in self.replies:
            names.append(name)
            if reply.charts:
                names.append(CHART_PART)
        return tuple(names)


def briefing_thread(
    datasets: Datasets,
    holders: HolderRegistry,
    *,
    slot: datetime,
    tz: str,
    schedule: str,
    previous: dict[str, Any] | None,
    changes: list[str] | None = None,
) -> tuple[ThreadedBriefing, dict[str, Any]]:
    """`briefing_reply` in the threaded form: the same numbers, words and sources, laid out as a
    parent message and its thread replies. Memoised the same way."""
    key = ("thread", slot, tz, schedule, json.dumps(previous, sort_keys=True) if previous is not None else None,
           tuple(changes) if changes else None)
    thread, now = _threads.get(
        datasets, key, lambda: _compose_thread(datasets, holders, slot, tz, schedule, previous, changes))
    return thread, dict(now)


_threads: VersionMemo[tuple[ThreadedBriefing, dict[str, Any]]] = VersionMemo(max_entries=256)


def _compose_thread(datasets: Datasets, holders: HolderRegistry, slot: datetime, tz: str, schedule: str,
                    previous: dict[str, Any] | None,
                    changes: list[str] | None) -> tuple[ThreadedBriefing, dict[str, Any]]:
    p = _parts(datasets, holders, slot, tz, schedule, previous, changes)
    in_thread = (f"Topic of the week: *{p.topic_title}*" + (" with its chart" if p.charts else "")
                 + ", and the sources with their as-of dates, are in the thread.")
    parent = build([b for b in (p.title_block, p.numbers, p.what_changed, p.countdown) if b is not None]
                   + [context([in_thread])], text=_fallback(p))
    topic = build([section(f"*Topic of the week: {p.topic_title}*"), *p.topic_blocks],
                  text=f"Topic of the week: {p.topic_title}", charts=p.charts)
    sources = build([sources_context(p.sources), p.footer],
                    text="Sources: " + "; ".join(source.cite() for source in p.sources), sources=())
    return ThreadedBriefing(parent=parent, replies=((TOPIC_PART, topic), (SOURCES_PART, sources))), p.now


def _topic_title(reply: Reply) -> str:
    first = reply.blocks[0]
    return first["text"]["text"] if first.get("type") == "header" else "this week"


def _block(block: dict[str, Any]) -> Block:
    parsed = Block.parse(block)
    if parsed is None:  # only for an empty value; a reply's blocks never are
        raise ValueError(f"not a Block Kit block: {block!r}")
    return parsed
