"""The `/reset` command language: text in, a typed `Query` out, or a `UsageError`.

Forgiving where people are sloppy (any case, a leading ``/reset``, ``20 %``, ``20pct``,
``20 percent``, aliases such as ``europe`` or ``britain``), strict where guessing would mislead:
an unknown holder, a percent outside 0–100 or an unknown time zone is explained, never guessed.
"""

from __future__ import annotations

import difflib
import re
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from handlers.errors import UsageError
from handlers.holders import HolderRegistry
from handlers.queries import (
    BriefingQuery,
    BuyingQuery,
    ClaimsQuery,
    GapQuery,
    GoldQuery,
    HelpQuery,
    HoldingsQuery,
    Query,
    RefinancingQuery,
    ShockQuery,
    SourcesQuery,
    SubscribeQuery,
    SubscriptionsQuery,
    UnsubscribeQuery,
)

# Word → command. Synonyms people reach for; the first spelling is the canonical one.
COMMANDS: dict[str, tuple[str, ...]] = {
    "help": ("help", "?", "usage", "commands"),
    "gap": ("gap", "niip", "iip", "position", "net"),
    "holdings": ("holdings", "holders", "holding", "who"),
    "buying": ("buying", "buyers", "flows", "purchases"),
    "refinancing": ("refinancing", "refi", "wall", "maturities", "refinance"),
    "shock": ("shock", "sell", "selloff", "scenario", "whatif"),
    "gold": ("gold", "reserves"),
    "claims": ("claims", "factcheck", "fact-check", "check", "verdicts"),
    "sources": ("sources", "source", "data", "vintage"),
    "subscribe": ("subscribe", "sub"),
    "unsubscribe": ("unsubscribe", "unsub", "stop"),
    "subscriptions": ("subscriptions", "subs", "list"),
    "briefing": ("briefing", "brief", "digest", "now"),
}
_WORD_TO_COMMAND = {w: c for c, words in COMMANDS.items() for w in words}

EXAMPLE = "`/reset shock eu 20%`"

_PERCENT = re.compile(r"^(?P<num>[+-]?\d+(?:[.,]\d+)?)\s*(?P<unit>%|pct|percent|per\s*cent)?$")
_DAYS = {
    "mon": "mon", "monday": "mon", "mondays": "mon",
    "tue": "tue", "tues": "tue", "tuesday": "tue", "tuesdays": "tue",
    "wed": "wed", "weds": "wed", "wednesday": "wed", "wednesdays": "wed",
    "thu": "thu", "thur": "thu", "thurs": "thu", "thursday": "thu", "thursdays": "thu",
    "fri": "fri", "friday": "fri", "fridays": "fri",
    "sat": "sat", "saturday": "sat", "saturdays": "sat",
    "sun": "sun", "sunday": "sun", "sundays": "sun",
}
_TIME = re.compile(r"^(?P<h>\d{1,2})(?:[:.h](?P<m>\d{2}))?\s*(?P<ampm>am|pm)?$")
_MODES = {"sell": "sell", "sells": "sell", "sale": "sell", "dump": "sell",
          "pause": "pause", "stop": "pause", "strike": "pause", "halt": "pause", "pauses": "pause"}
_TZ_BY_LOWER = {name.lower(): name for name in available_timezones()}
_TZ_ABBREVIATIONS = {"utc": "UTC", "gmt": "UTC", "z": "UTC"}


def usage(topic: str | None = None) -> str:
    """Short usage text, with working examples."""
    lines = {
        "shock": "`/reset shock <holder> <percent>% [sell|pause]` — e.g. `/reset shock eu 20%`, "
        "`/reset shock china 10% pause`",
        "holdings": "`/reset holdings [holder]` — e.g. `/reset holdings`, `/reset holdings china`",
        "subscribe": "`/reset subscribe [weekly] [day] [HH:MM] [timezone]` — e.g. "
        "`/reset subscribe weekly fri 16:30 Europe/London`",
        "unsubscribe": "`/reset unsubscribe [number]` — e.g. `/reset unsubscribe 2` (see `/reset subscriptions`)",
    }
    if topic in lines:
        return lines[topic]
    return (
        "Try " + EXAMPLE + ", `/reset gap`, `/reset holdings china`, `/reset claims` "
        "or `/reset help` for everything."
    )


def _clean(text: str) -> list[str]:
    text = (text or "").replace("\u00a0", " ").strip()
    text = re.sub(r"^/?reset\b", "", text, flags=re.IGNORECASE).strip()
    # "20 %" and "20 pct" become one token so the percent is easy to find.
    text = re.sub(r"(\d)\s+(%|pct\b|percent\b|per\s*cent\b)", r"\1\2", text, flags=re.IGNORECASE)
    return text.split()


def _show(text: str, limit: int = 40) -> str:
    """Echo what the user typed, shortened, inside backticks (which it must not break out of)."""
    text = text.replace("`", "'")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _suggest(word: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(word.lower(), candidates, n=1, cutoff=0.6)
    return f" Did you mean `{close[0]}`?" if close else ""


def parse(text: str, holders: HolderRegistry) -> Query:
    """Parse the text after ``/reset``.

    >>> from handlers.holders import Holder, HolderRegistry
    >>> reg = HolderRegistry([Holder(key="eu", label="EU", tic_labels=())], {"eu": "eu", "europe": "eu"})
    >>> parse("/reset Shock Europe 20 %", reg)
    ShockQuery(kind='shock', holder='eu', percent=20.0, mode='sell')
    """
    words = _clean(text)
    if not words:
        return HelpQuery()
    head, rest = words[0].lower(), words[1:]
    command = _WORD_TO_COMMAND.get(head)
    if command is None:
        raise UsageError(
            f"I don't know `{_show(words[0])}`.{_suggest(head, list(_WORD_TO_COMMAND))} {usage()}"
        )
    if command == "help":
        topic = _WORD_TO_COMMAND.get(rest[0].lower()) if rest else None
        return HelpQuery(topic=topic)
    if command == "shock":
        return _parse_shock(rest, holders)
    if command == "holdings":
        if not rest:
            return HoldingsQuery()
        return HoldingsQuery(holder=_holder(" ".join(rest), holders, "holdings").key)
    if command == "subscribe":
        return _parse_subscribe(rest)
    if command == "unsubscribe":
        return _parse_unsubscribe(rest)
    if command == "gap":
        breakdown = any(w.lower() in ("breakdown", "detail", "details", "by-type") for w in rest)
        _no_extra(rest, command, allowed={"breakdown", "detail", "details", "by-type"})
        return GapQuery(breakdown=breakdown)
    simple = {
        "buying": BuyingQuery,
        "refinancing": RefinancingQuery,
        "gold": GoldQuery,
        "claims": ClaimsQuery,
        "sources": SourcesQuery,
        "subscriptions": SubscriptionsQuery,
        "briefing": BriefingQuery,
    }
    _no_extra(rest, command)
    return simple[command]()


def _no_extra(rest: list[str], command: str, allowed: set[str] = frozenset()) -> None:
    extra = [w for w in rest if w.lower() not in allowed]
    if extra:
        raise UsageError(f"`/reset {command}` takes no options (got `{_show(' '.join(extra))}`). {usage(command)}")


def _holder(text: str, holders: HolderRegistry, topic: str):
    holder = holders.resolve(text)
    if holder is None:
        raise UsageError(
            f"I don't have Treasury holdings for `{_show(text)}`.{_suggest(text, holders.names())} "
            f"Holders I know include `eu`, `china`, `japan`, `uk`, `belgium`, `saudi arabia`. {usage(topic)}"
        )
    return holder


def _parse_percent(token: str) -> float | None:
    match = _PERCENT.match(token.lower())
    if not match:
        return None
    return float(match["num"].replace(",", "."))


def _parse_shock(rest: list[str], holders: HolderRegistry) -> ShockQuery:
    percent: float | None = None
    mode = "sell"
    holder_words: list[str] = []
    for word in rest:
        value = _parse_percent(word)
        if value is not None and percent is None:
            percent = value
        elif word.lower() in _MODES:
            mode = _MODES[word.lower()]
        else:
            holder_words.append(word)
    if not holder_words:
        raise UsageError(f"Whose holdings? {usage('shock')}")
    holder = _holder(" ".join(holder_words), holders, "shock")
    if percent is None:
        raise UsageError(f"How much of {holder.label}'s holdings? Give a percent. {usage('shock')}")
    if not 0 <= percent <= 100:
        raise UsageError(
            f"{_show(f'{percent:g}')}% is outside 0–100%: a holder can sell at most all of its holdings. {usage('shock')}"
        )
    return ShockQuery(holder=holder.key, percent=percent, mode=mode)


def parse_timezone(text: str) -> str:
    """An IANA zone name in its canonical case, or a UsageError."""
    name = _TZ_ABBREVIATIONS.get(text.lower()) or _TZ_BY_LOWER.get(text.lower())
    if name is None:
        raise UsageError(
            f"`{_show(text)}` is not a time zone I know.{_suggest(text, sorted(_TZ_BY_LOWER))} "
            "Use an IANA name such as `Europe/London`, `America/New_York` or `UTC`."
        )
    try:
        ZoneInfo(name)
    except ZoneInfoNotFoundError:  # pragma: no cover - available_timezones() vouched for it
        raise UsageError(f"`{text}` is not a time zone I know.") from None
    return name


def _parse_time(word: str) -> time | None:
    match = _TIME.match(word.lower())
    if not match:
        return None
    hour, minute = int(match["h"]), int(match["m"] or 0)
    if match["ampm"]:
        if not 1 <= hour <= 12:
            raise UsageError(f"`{_show(word)}` is not a time. Use 24-hour `HH:MM`, e.g. `16:30`.")
        hour = hour % 12 + (12 if match["ampm"] == "pm" else 0)
    elif match["m"] is None:
        return None  # a bare number is not a time; it might be a typo of something else
    if hour > 23 or minute > 59:
        raise UsageError(f"`{_show(word)}` is not a time of day. Use 24-hour `HH:MM`, e.g. `09:00` or `16:30`.")
    return time(hour, minute)


def _parse_subscribe(rest: list[str]) -> SubscribeQuery:
    day = at = tz = None
    for word in rest:
        low = word.lower()
        if low in ("weekly", "every", "week", "on", "at", "each"):
            continue
        if low in ("daily", "monthly", "hourly"):
            raise UsageError(f"Briefings are weekly; pick a day instead of `{_show(word)}`. {usage('subscribe')}")
        if low in _DAYS:
            day = _DAYS[low]
            continue
        parsed = _parse_time(word)
        if parsed is not None:
            at = parsed
            continue
        if "/" in word or low in _TZ_ABBREVIATIONS or low in _TZ_BY_LOWER:
            tz = parse_timezone(word)
            continue
        raise UsageError(
            f"I couldn't read `{_show(word)}`.{_suggest(low, list(_DAYS))} {usage('subscribe')}"
        )
    return SubscribeQuery(day=day, at=at, timezone=tz)


def _parse_unsubscribe(rest: list[str]) -> UnsubscribeQuery:
    if not rest:
        return UnsubscribeQuery()
    token = rest[0].lstrip("#")
    if len(rest) == 1 and token.isdigit() and int(token) >= 1:
        return UnsubscribeQuery(number=int(token))
    raise UsageError(f"Which subscription? {usage('unsubscribe')}")
