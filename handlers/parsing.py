"""The `/reset` command language: text in, a typed `Query` out, or a `UsageError`.

Forgiving where people are sloppy (any case, a leading ``/reset``, ``20 %``, ``20pct``,
``20 percent``, aliases such as ``europe`` or ``britain``), strict where guessing would mislead:
an unknown holder, a percent outside 0–100 or an unknown time zone is explained, never guessed.

Robust by construction: no text makes `parse` raise anything but `UsageError`. Numbers are read
only from ASCII digits ``0-9`` (``str.isdigit`` and ``\\d`` also accept ``²`` or ``٢``) and only
after their length is bounded, so ``int()``'s 4,300-digit limit and ``float('1e309') == inf`` are
never reached. Every echo of the user's words goes through `handlers.formatting.echo`, which escapes them for Slack
(`handlers.formatting.escape_slack`): an echoed ``<!channel>`` pings nobody.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from datetime import time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from handlers.alerts import USAGE as ALERT_USAGE
from handlers.alerts import parse_alert
from handlers.errors import UsageError
from handlers.formatting import echo, escape_slack
from handlers.holders import Holder, HolderRegistry
from handlers.queries import (
    BriefingQuery,
    BuyingQuery,
    ClaimsQuery,
    FactCheckQuery,
    GapQuery,
    GoldQuery,
    HelpQuery,
    HistoryQuery,
    HoldingsQuery,
    Query,
    RefinancingQuery,
    ShockQuery,
    SourcesQuery,
    SubscribeQuery,
    SubscriptionsQuery,
    UnsubscribeQuery,
    Weekday,
)

# Word → command. Synonyms people reach for; the first spelling is the canonical one.
COMMANDS: dict[str, tuple[str, ...]] = {
    "help": ("help", "?", "usage", "commands"),
    "gap": ("gap", "niip", "iip", "position", "net"),
    "holdings": ("holdings", "holders", "holding", "who"),
    "buying": ("buying", "buyers", "flows", "purchases"),
    "refinancing": ("refinancing", "refi", "wall", "maturities", "refinance"),
    "shock": ("shock", "sell", "selloff", "scenario", "whatif"),
    "history": ("history", "backtest", "back-test", "episodes", "record"),
    "gold": ("gold", "reserves"),
    "claims": ("claims", "factcheck", "fact-check", "check", "verdicts"),
    "sources": ("sources", "source", "data", "vintage"),
    "subscribe": ("subscribe", "sub"),
    "unsubscribe": ("unsubscribe", "unsub", "stop"),
    "subscriptions": ("subscriptions", "subs", "list"),
    "briefing": ("briefing", "brief", "digest", "now"),
    "alert": ("alert", "alarm", "notify", "watch"),  # issue 14: threshold alerts (handlers.alerts)
    "alerts": ("alerts", "alarms", "watches"),
}
_WORD_TO_COMMAND = {w: c for c, words in COMMANDS.items() for w in words}

EXAMPLE = "`/reset shock eu 20%`"

# A percent: ASCII digits only, one optional decimal point or comma, an optional sign (the minus
# sign U+2212 too, as Slack users paste it). The unit is split off first (see `_percent_token`).
_NUMBER = re.compile(r"(?P<sign>[+\-\u2212]?)(?P<int>[0-9]+)(?:[.,](?P<frac>[0-9]+))?")
_UNIT = re.compile(r"(?:%|pct|percent)$")
# ٪ (Arabic percent sign), ％ (fullwidth), ﹪ (small): the same unit as %.
_PERCENT_SIGNS = re.compile("[\u066a\uff05\ufe6a]")
_MINUS = ("-", "\u2212")
_DAYS: dict[str, Weekday] = {
    "mon": "mon", "monday": "mon", "mondays": "mon",
    "tue": "tue", "tues": "tue", "tuesday": "tue", "tuesdays": "tue",
    "wed": "wed", "weds": "wed", "wednesday": "wed", "wednesdays": "wed",
    "thu": "thu", "thur": "thu", "thurs": "thu", "thursday": "thu", "thursdays": "thu",
    "fri": "fri", "friday": "fri", "fridays": "fri",
    "sat": "sat", "saturday": "sat", "saturdays": "sat",
    "sun": "sun", "sunday": "sun", "sundays": "sun",
}
_TIME = re.compile(r"(?P<h>[0-9]{1,2})(?:[:.h](?P<m>[0-9]{2}))?(?P<ampm>am|pm)?")
_MODES: dict[str, Literal["sell", "pause"]] = {"sell": "sell", "sells": "sell", "sale": "sell", "dump": "sell",
          "pause": "pause", "stop": "pause", "strike": "pause", "halt": "pause", "pauses": "pause"}
_TZ_BY_LOWER = {name.lower(): name for name in available_timezones()}
# Names of UTC itself. Typed alone they all mean "UTC"; under ``Etc/`` they are accepted as
# written (``Etc/UTC`` stays ``Etc/UTC``).
_UTC_NAMES = frozenset({"utc", "gmt", "z", "uct", "universal", "zulu", "greenwich", "gmt0", "gmt+0", "gmt-0"})
_TZ_ABBREVIATIONS = {name: "UTC" for name in _UTC_NAMES}
# Zone files that are not places: the build's own zones, and tree prefixes of other zone sets.
_NOT_ZONES = frozenset({"localtime", "posixrules", "factory"})
_NOT_ZONE_PREFIXES = ("posix/", "right/", "systemv/")
CITY_ZONE_HINT = ("Use a city zone such as `Europe/London`, `America/New_York` or `Asia/Tokyo` "
                  "(or `UTC`), so the briefing follows that place's clock and daylight saving.")


def usage(topic: str | None = None) -> str:
    """Short usage text, with working examples."""
    lines = {
        "shock": "`/reset shock HOLDER PERCENT% [HOLDER PERCENT% …] [sell|pause] [over N months] [reinvest N%] "
        "[with fed]` — e.g. `/reset shock eu 20%`, `/reset shock eu 20% japan 10% over 6 months`, "
        "`/reset shock china 10% pause`",
        "holdings": "`/reset holdings [holder]` — e.g. `/reset holdings`, `/reset holdings china`",
        "subscribe": "`/reset subscribe [weekly] [day] [HH:MM] [timezone] [threaded|flat]` — e.g. "
        "`/reset subscribe weekly fri 16:30 Europe/London` (`flat`: one message, no thread)",
        "unsubscribe": "`/reset unsubscribe [number]` — e.g. `/reset unsubscribe 2` (see `/reset subscriptions`)",
        "alert": ALERT_USAGE,
        "alerts": ALERT_USAGE,
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
    # ٪ and ％ are percent signs; "per cent" is "percent".
    text = _PERCENT_SIGNS.sub("%", text)
    text = re.sub(r"(?<![a-z])per\s*cent\b", "percent", text, flags=re.IGNORECASE)
    # "20 %" and "20 pct" become one token so the percent is easy to find. Any numeric character
    # joins ("٢٠ %"), so a number in the wrong digits is refused as a percent, not as a holder.
    text = re.sub(
        r"(\S)\s+(%|pct\b|percent\b)",
        lambda m: m[1] + m[2] if m[1].isnumeric() else m[0],
        text,
        flags=re.IGNORECASE,
    )
    return text.split()


def _suggest(word: str, candidates: list[str]) -> str:
    if len(word) > 60:  # nothing we know is that long; difflib's cost grows with the length
        return ""
    close = difflib.get_close_matches(word.lower(), candidates, n=1, cutoff=0.6)
    return f" Did you mean `{echo(close[0])}`?" if close else ""


def _foreign_digits(word: str) -> bool:
    """True if ``word`` has numeric characters other than ASCII 0-9 ("²", "٢٠", "½", "２０")."""
    return any(ch.isnumeric() and not ("0" <= ch <= "9") for ch in word)


def parse(text: str, holders: HolderRegistry) -> Query:
    """Parse the text after ``/reset``.

    >>> from handlers.holders import Holder, HolderRegistry
    >>> reg = HolderRegistry([Holder(key="eu", label="EU", tic_labels=())], {"eu": "eu", "europe": "eu"})
    >>> query = parse("/reset Shock Europe 20 %", reg)
    >>> query.holder, query.percent, query.mode, query.others, query.months, query.reinvest_pct, query.fed
    ('eu', 20.0, 'sell', (), None, 0.0, False)
    """
    words = _clean(text)
    if not words:
        return HelpQuery()
    head, rest = words[0].lower(), words[1:]
    command = _WORD_TO_COMMAND.get(head)
    if command is None:
        raise UsageError(
            f"I don't know `{echo(words[0])}`.{_suggest(head, list(_WORD_TO_COMMAND))} {usage()}"
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
    if command in ("alert", "alerts"):
        return parse_alert(rest, holders)
    if command == "subscribe":
        return _parse_subscribe(rest)
    if command == "unsubscribe":
        return _parse_unsubscribe(rest)
    if command == "claims" and rest and head in FACTCHECK_WORDS:
        return FactCheckQuery(text=_factcheck_text(text))
    if command == "gap":
        breakdown = any(w.lower() in ("breakdown", "detail", "details", "by-type") for w in rest)
        _no_extra(rest, command, allowed={"breakdown", "detail", "details", "by-type"})
        return GapQuery(breakdown=breakdown)
    simple: dict[str, Callable[[], Query]] = {
        "buying": BuyingQuery,
        "refinancing": RefinancingQuery,
        "gold": GoldQuery,
        "claims": ClaimsQuery,
        "history": HistoryQuery,
        "sources": SourcesQuery,
        "subscriptions": SubscriptionsQuery,
        "briefing": BriefingQuery,
    }
    _no_extra(rest, command)
    return simple[command]()


#: `factcheck TEXT` (or `check TEXT`, `fact-check TEXT`): fact-check a pasted post; alone, they mean `claims`.
FACTCHECK_WORDS = frozenset({"factcheck", "fact-check", "check"})


def _factcheck_text(text: str) -> str:
    """The words after ``factcheck`` exactly as typed (numbers, currency signs and all)."""
    body = re.sub(r"^\s*/?reset\b", "", (text or "").replace("\u00a0", " "), flags=re.IGNORECASE).strip()
    return re.sub(r"^(?:factcheck|fact-check|check)\b", "", body, flags=re.IGNORECASE).strip()[:40_000]


def _no_extra(rest: list[str], command: str, allowed: AbstractSet[str] = frozenset()) -> None:
    extra = [w for w in rest if w.lower() not in allowed]
    if extra:
        raise UsageError(f"`/reset {command}` takes no options (got `{echo(' '.join(extra))}`). {usage(command)}")


def _holder(text: str, holders: HolderRegistry, topic: str) -> Holder:
    holder = holders.resolve(text)
    if holder is None:
        raise UsageError(
            f"I don't have Treasury holdings for `{echo(text)}`.{_suggest(text, holders.names())} "
            f"Holders I know include `eu`, `china`, `japan`, `uk`, `belgium`, `saudi arabia`. {usage(topic)}"
        )
    return holder


def _percent_token(word: str) -> tuple[bool, str] | None:
    """How ``word`` bids to be the percent: ``(True, number)`` if it ends in a percent unit
    (``20%``, ``20pct``, ``abc%``), ``(False, word)`` if it starts like a number (``20``, ``1e309``,
    ``²``), None if it is some other word (a holder, a mode)."""
    low = word.lower()
    unit = _UNIT.search(low)
    if unit:
        return True, low[: unit.start()]
    bare = low.lstrip("+-\u2212")
    if bare and (bare[0].isnumeric() or (bare[0] in ".," and bare[1:2].isnumeric())):
        return False, low
    return None


def _percent_value(word: str, number: str) -> float:
    """The percent in ``number`` (``word`` is what the user typed, for the messages), 0–100.

    Read from the digit strings, never by ``float()`` or ``int()`` of the whole text: any length is
    safe, and ``100.0000001`` is caught although it is within rounding of 100.
    """
    match = _NUMBER.fullmatch(number)
    if match is None:
        if not number:
            raise UsageError(f"`{echo(word)}` has no number: write the percent like `20%`. {usage('shock')}")
        if not any(ch.isnumeric() for ch in number):
            raise UsageError(f"The percent `{echo(word)}` is not a number: write it like `20%`. {usage('shock')}")
        how = (" with the digits 0–9" if _foreign_digits(number)
               else ", as digits with at most one decimal point (no exponent)")
        raise UsageError(f"`{echo(word)}` is not a percent: write it like `20%` or `12.5%`{how}. {usage('shock')}")
    whole = match["int"].lstrip("0") or "0"
    frac = (match["frac"] or "").rstrip("0")
    if match["sign"] in _MINUS:
        if whole == "0" and not frac:
            raise UsageError(
                f"`{echo(word)}` has a minus sign: a sale must be more than 0% (and at most 100%). {usage('shock')}"
            )
        raise UsageError(
            f"`{echo(word)}` is outside 0–100%: a sale must be more than 0%; drop the minus sign. {usage('shock')}"
        )
    if len(whole) > 3 or int(whole) > 100 or (whole == "100" and frac):
        raise UsageError(
            f"`{echo(word)}` is outside 0–100%: a holder can sell at most 100% of its holdings (all of them). "
            f"{usage('shock')}"
        )
    return float(f"{whole}.{frac}" if frac else whole)  # ASCII digits, at most 3 before the point


_MONTH_WORDS = {"month", "months", "mo", "mos", "m"}
_FED_WORDS = {"fed", "backstop", "fima", "qe"}
_REINVEST_WORDS = {"reinvest", "reinvests", "reinvesting", "reinvested", "keep", "keeps", "kept", "keeping"}
MAX_SCENARIO_MONTHS = 60
_TOTAL_ROWS = {"Grand Total", "Foreign Official"}  # holders that contain every other one


def _scenario_options(rest: list[str]) -> tuple[list[str], int | None, float | None, bool]:
    """Take the window (``over 6 months``, ``6m``, ``over a year``), the reinvested share
    (``reinvest 50%``) and the backstop (``with fed``) out of the words; the rest is returned."""
    words: list[str] = []
    months: int | None = None
    reinvest: float | None = None
    fed = False
    i = 0
    while i < len(rest):
        low = rest[i].lower()
        nxt = rest[i + 1].lower() if i + 1 < len(rest) else ""
        glued = re.fullmatch(r"([0-9]{1,3})(m|mo|mos|months?)", low)
        if low in ("over", "within", "in", "across") and nxt in ("a", "one") and i + 2 < len(rest) \
                and rest[i + 2].lower() in ("year", "yr"):
            months, i = 12, i + 3
        elif low in ("over", "within", "in", "across") and (re.fullmatch(r"[0-9]{1,3}", nxt) or
                                                            re.fullmatch(r"[0-9]{1,3}(m|mo|mos|months?)", nxt)):
            i += 1  # the number follows
        elif glued or (re.fullmatch(r"[0-9]{1,3}", low) and nxt in _MONTH_WORDS):
            months = int(glued[1] if glued else low)
            i += 1 if glued else 2
            if not 1 <= months <= MAX_SCENARIO_MONTHS:
                raise UsageError(f"A scenario runs over 1 to {MAX_SCENARIO_MONTHS} months, not {months}. "
                                 f"{usage('shock')}")
        elif low in _REINVEST_WORDS:
            token = _percent_token(nxt) if nxt else None
            if token is None or not token[0]:
                raise UsageError(f"Reinvest how much? Give a percent, e.g. `reinvest 50%`. {usage('shock')}")
            # Steps of 5%: the reinvested share is a rough assumption, and finer steps would only
            # multiply the distinct scenario charts a flood can ask for.
            reinvest = float(5 * round(_percent_value(rest[i + 1], token[1]) / 5))
            i += 2
        elif low == "with" and nxt in _FED_WORDS:
            fed, i = True, i + 2
        elif low in _FED_WORDS:
            fed, i = True, i + 1
        else:
            words.append(rest[i])
            i += 1
    return words, months, reinvest, fed


def _parse_shock(rest: list[str], holders: HolderRegistry) -> ShockQuery:
    """``<holder> <percent>% [<holder> <percent>% …] [sell|pause] [over N months] [reinvest N%]
    [with fed]``, forgiving about order for a single holder.

    A word with a percent unit is a percent; a bare number is the percent only when no word has
    a unit (``shock eu 27 20%`` is the holder ``eu 27`` at 20%). With several holders each percent
    follows its holder (``eu 20% japan 10%``); a percent with no holder before it is refused, and
    so are two holders that overlap (the EU and Belgium): their TIC rows would be counted twice.
    """
    words, months, reinvest, fed = _scenario_options(rest)
    mode: Literal["sell", "pause"] = "sell"
    kept: list[str] = []
    for word in words:
        if word.lower() in _MODES:
            mode = _MODES[word.lower()]
        else:
            kept.append(word)
    with_unit = [i for i, w in enumerate(kept) if (_percent_token(w) or (False,))[0]]
    if len(with_unit) > 1:
        legs = _legs(kept, with_unit, holders)
    else:
        legs = [_single_leg(kept, holders)]
    first_holder, first_percent, typed = legs[0]
    others = tuple((h.key, p) for h, p, _ in legs[1:])
    totals = [h for h, _, _ in legs if set(h.tic_labels) & _TOTAL_ROWS]
    if totals and len(legs) > 1:
        raise UsageError(f"{escape_slack(totals[0].title)} already includes every other holder: give it alone, "
                         "or list the holders separately, so nothing is counted twice.")
    seen: dict[str, Holder] = {}
    for holder, _, _ in legs:
        for label in holder.tic_labels:
            if label in seen and seen[label] is not holder:
                other = seen[label]
                raise UsageError(f"{escape_slack(holder.label)} and {escape_slack(other.label)} overlap (both count "
                                 f"TIC's {escape_slack(label)}): list one or the other, so nothing is counted twice.")
            seen[label] = holder
    return ShockQuery(holder=first_holder.key, percent=first_percent, mode=mode,
                      requested_percent=typed if typed != first_percent else None,
                      others=others, months=months, reinvest_pct=reinvest or 0.0, fed=fed)


#: One holder of a scenario: the holder, the percent computed for, the percent typed.
Leg = tuple[Holder, float, float]


def _single_leg(kept: list[str], holders: HolderRegistry) -> Leg:
    bids = [(i, w, *b) for i, w in enumerate(kept) if (b := _percent_token(w)) is not None]
    with_unit = [b for b in bids if b[2]]
    chosen = with_unit[0] if with_unit else (bids[0] if bids else None)
    holder_words = [w for i, w in enumerate(kept) if chosen is None or i != chosen[0]]
    percent = None if chosen is None else _percent_value(chosen[1], chosen[3])
    if not holder_words:
        raise UsageError(f"Whose holdings? {usage('shock')}")
    if chosen is not None and 0 < chosen[0] < len(kept) - 1 and holders.resolve(" ".join(holder_words)) is None:
        before, after = " ".join(kept[:chosen[0]]), " ".join(kept[chosen[0] + 1:])
        second = holders.resolve(after)
        if holders.resolve(before) is not None and second is not None:  # `eu 20% japan`: a second holder, no percent
            raise UsageError(f"How much of {escape_slack(second.label)}'s holdings? Give each holder a percent, e.g. "
                             f"`/reset shock eu 20% japan 10%`. {usage('shock')}")
    holder = _holder(" ".join(holder_words), holders, "shock")
    if percent is None:
        raise UsageError(f"How much of {escape_slack(holder.label)}'s holdings? Give a percent. {usage('shock')}")
    return holder, scenario_percent(percent), percent


def _legs(kept: list[str], with_unit: list[int], holders: HolderRegistry) -> list[Leg]:
    legs: list[Leg] = []
    start = 0
    for index in with_unit:
        holder_words = kept[start:index]
        if not holder_words:
            shown = " and ".join(f"`{echo(kept[i])}`" for i in with_unit[:3])
            raise UsageError(f"One percent per holder, please: I got {shown}. Give each holder its own, e.g. "
                             f"`/reset shock eu 20% japan 10%`. {usage('shock')}")
        token = _percent_token(kept[index])
        assert token is not None  # with_unit holds only the indices of words with a percent unit
        percent = _percent_value(kept[index], token[1])
        legs.append((_holder(" ".join(holder_words), holders, "shock"), scenario_percent(percent), percent))
        start = index + 1
    if kept[start:]:
        holder = _holder(" ".join(kept[start:]), holders, "shock")
        raise UsageError(f"How much of {escape_slack(holder.label)}'s holdings? Give a percent. {usage('shock')}")
    return legs


def scenario_percent(percent: float) -> float:
    """The percent a scenario is computed (and its chart drawn) for: whole percents from 1%,
    tenths below (never below 0.1%, except 0% itself, which is answered: it changes nothing).
    No model here is precise to a fraction of a percent of holdings, and rounding bounds the
    distinct scenario charts to 109 per holder and mode, so a flood of `shock china 12.3456%`-style
    variations cannot make the bot draw without end.

    >>> [scenario_percent(p) for p in (20, 12.5, 12.49, 0.25, 0.04, 99.6, 0)]
    [20.0, 13.0, 12.0, 0.3, 0.1, 100.0, 0.0]
    """
    if percent == 0:
        return 0.0
    from decimal import ROUND_HALF_UP, Decimal

    step = Decimal("1") if percent >= 0.95 else Decimal("0.1")
    value = Decimal(repr(percent)).quantize(step, rounding=ROUND_HALF_UP)
    return float(max(value, Decimal("0.1")))


def parse_timezone(text: str) -> str:
    """An IANA zone name in its canonical case, or a UsageError.

    Accepted: the names of UTC (``UTC``, ``GMT``, ``Z``, ``Zulu``… → ``UTC``; ``Etc/UTC``,
    ``Etc/GMT``… as written), and zones named for a place, i.e. with a ``/`` (``Europe/London``,
    ``America/Argentina/Buenos_Aires``, and old links such as ``US/Eastern``). Refused with a
    pointer to a city zone, although `zoneinfo` has them: ``localtime``, ``Factory`` and
    ``posixrules`` (files of the installation, not places); every other name without a ``/``
    (``EST``, ``CET``, ``EST5EDT``, ``Japan``, ``GB``: abbreviations and legacy links, some without
    daylight saving where the place has it); ``Etc/GMT+5`` and the like (fixed offsets whose
    sign is the reverse of what it reads: ``Etc/GMT+5`` is UTC−5); ``posix/…`` and ``right/…``.

    >>> parse_timezone("europe/london"), parse_timezone("gmt"), parse_timezone("Etc/UTC")
    ('Europe/London', 'UTC', 'Etc/UTC')
    """
    low = text.lower()
    if low in _TZ_ABBREVIATIONS:
        return _TZ_ABBREVIATIONS[low]
    if low in _NOT_ZONES or low.startswith(_NOT_ZONE_PREFIXES):
        raise UsageError(f"`{echo(text)}` is a file of the time-zone database, not a place. {CITY_ZONE_HINT}")
    name = _TZ_BY_LOWER.get(low)
    if name is None:
        raise UsageError(
            f"`{echo(text)}` is not a time zone I know.{_suggest(text, sorted(_TZ_BY_LOWER))} "
            "Use an IANA name such as `Europe/London`, `America/New_York` or `UTC`."
        )
    if name.startswith("Etc/"):
        if name[4:].lower() not in _UTC_NAMES:
            offset = re.fullmatch(r"Etc/GMT([+-])([0-9]{1,2})", name)
            reading = ""
            if offset:
                reading = f" (`{name}` is UTC{'−' if offset[1] == '+' else '+'}{offset[2]}: its sign is reversed)"
            raise UsageError(f"`{echo(text)}` is a fixed offset, not a place{reading}. {CITY_ZONE_HINT}")
    elif "/" not in name:
        raise UsageError(f"`{echo(text)}` is not a place's time zone. {CITY_ZONE_HINT}")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # pragma: no cover - available_timezones() vouched for it
        raise UsageError(f"`{echo(text)}` is not a time zone I know. {CITY_ZONE_HINT}") from None
    return name


def _parse_time(word: str) -> time | None:
    match = _TIME.fullmatch(word.lower())
    if not match:
        return None
    hour, minute = int(match["h"]), int(match["m"] or 0)  # at most two ASCII digits each
    if match["ampm"]:
        if not 1 <= hour <= 12:
            raise UsageError(f"`{echo(word)}` is not a time. Use 24-hour `HH:MM`, e.g. `16:30`.")
        hour = hour % 12 + (12 if match["ampm"] == "pm" else 0)
    elif match["m"] is None:
        return None  # a bare number is not a time; it might be a typo of something else
    if hour > 23 or minute > 59:
        raise UsageError(f"`{echo(word)}` is not a time of day. Use 24-hour `HH:MM`, e.g. `09:00` or `16:30`.")
    return time(hour, minute)


def _is_zone_word(low: str) -> bool:
    """Whether a subscribe word is meant as a time zone (then it is parsed, or refused, as one)."""
    return "/" in low or low in _TZ_ABBREVIATIONS or low in _TZ_BY_LOWER or low in _NOT_ZONES


def _parse_subscribe(rest: list[str]) -> SubscribeQuery:
    day: Weekday | None = None
    at: time | None = None
    tz: str | None = None
    form: Literal["threaded", "flat"] | None = None
    for word in rest:
        low = word.lower()
        if low in ("weekly", "every", "week", "on", "at", "each"):
            continue
        if low in _FORMS:  # issue 14: the briefing's form
            form = _FORMS[low]
            continue
        if low in ("daily", "monthly", "hourly"):
            raise UsageError(f"Briefings are weekly; pick a day instead of `{echo(word)}`. {usage('subscribe')}")
        if low in _DAYS:
            day = _DAYS[low]
            continue
        parsed = _parse_time(word)
        if parsed is not None:
            at = parsed
            continue
        if _is_zone_word(low):
            tz = parse_timezone(word)
            continue
        if _foreign_digits(word):
            raise UsageError(
                f"I couldn't read `{echo(word)}`: write times with the digits 0–9, e.g. `16:30`. {usage('subscribe')}"
            )
        raise UsageError(
            f"I couldn't read `{echo(word)}`.{_suggest(low, list(_DAYS))} {usage('subscribe')}"
        )
    return SubscribeQuery(day=day, at=at, timezone=tz, form=form)


#: Issue 14: how a briefing is posted — a headline with its thread (the default), or one message.
_FORMS: dict[str, Literal["threaded", "flat"]] = {
    "threaded": "threaded", "thread": "threaded", "threads": "threaded",
    "flat": "flat", "single": "flat", "unthreaded": "flat",
}


#: More digits than any subscription number can have (a channel has a handful).
_MAX_NUMBER_DIGITS = 6


def _parse_unsubscribe(rest: list[str]) -> UnsubscribeQuery:
    if not rest:
        return UnsubscribeQuery()
    token = rest[0].lstrip("#")
    if len(rest) == 1 and re.fullmatch(r"[0-9]+", token):
        digits = token.lstrip("0")
        if digits and len(digits) <= _MAX_NUMBER_DIGITS:
            return UnsubscribeQuery(number=int(digits))
        if digits:
            raise UsageError(
                f"Which subscription? `{echo(token)}` is far more than a channel has; "
                f"`/reset subscriptions` lists them with their numbers. {usage('unsubscribe')}"
            )
        raise UsageError(f"Which subscription? They are numbered from 1. {usage('unsubscribe')}")
    if len(rest) == 1 and _foreign_digits(token):
        raise UsageError(
            f"Which subscription? Write the number `{echo(token)}` with the digits 0–9. {usage('unsubscribe')}"
        )
    raise UsageError(f"Which subscription? {usage('unsubscribe')}")
