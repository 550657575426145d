"""Threshold alerts, the pure half: the grammar, the series that can be watched, their newest
observation, and every word an alert's user reads (set, listed, removed, fired).

Grammar (after ``/reset``, as forgiving as the rest of the language)::

    alert SERIES above|below THRESHOLD     alert china below 600bn · alert 10y above 5%
                                           alert mortgage above 7% · alert gap beyond 95% of gdp
    alerts                                 this channel's alerts, numbered
    alert remove N                         stop alert N (also: delete, cancel, stop, rm)

Direction words: ``above over exceeds beyond past wider ≥ >`` and ``below under beneath narrower
≤ <``; filler words (``me when if goes is gets rises falls drops``) are skipped. A threshold is a
number with an optional unit: ``bn b billion``, ``tn t trillion``, ``mn million`` (holdings), ``%
pct percent`` or ``bp bps`` (rates), ``% of gdp`` (the gap); ``$`` and thousands commas are fine.

Series, and the line a threshold must stay inside (outside it the alert could never mean what it
says, so it is refused with the range and a working example):

* ``holdings:<holder>`` — a holder's Treasury holdings, TIC monthly, $bn; 1 to 50,000 (all foreign
  holders together hold about $9T). A bare number is read as $bn.
* ``10y`` — the 10-year Treasury yield (FRED DGS10), percent; above 0 and at most 30 (its record is
  15.8% in 1981; no US yield has been negative). ``450bp`` is 4.50%.
* ``mortgage`` — the 30-year mortgage rate (Freddie Mac PMMS, FRED MORTGAGE30US), percent; the same range.
* ``gap_gdp`` / ``gap_usd`` — the net international investment position's gap (how much more the
  US owes the world than it owns abroad, BEA), as percent of GDP (1 to 250) or in $bn ($100bn to
  $200T). ``beyond`` means wider. A minus sign is dropped: the gap is said as its size.

Re-arm margins (`margin_for`), in the series' unit, and why:

* holdings: the larger of $5bn and 1% of the threshold — TIC revises months by a few $bn (Dec 2025
  by $3.8bn), so a revision cannot re-arm an alert, while a real move of a few percent does;
* 10-year: 15 bp — the yield moves 5–10 bp on a typical day, so one day's noise back and forth
  across the line does not re-fire;
* mortgage: 10 bp — a weekly survey average, smoother than the daily yield;
* gap: 1 pp of GDP, or the larger of $250bn and 1% of a $ threshold — BEA's annual revisions move
  the net position by hundreds of billions.

The crossing logic itself is `metrics.alerts` (fire on reaching the line; re-arm only from a newer
observation back beyond the margin).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

import pandas as pd

from handlers import formatting as fmt
from handlers.datasets import Datasets, Source
from handlers.errors import UsageError
from handlers.formatting import echo, escape_slack
from handlers.holders import HolderRegistry
from handlers.lookup import holder_series, market_rate
from handlers.queries import AlertQuery, AlertRemoveQuery, AlertsQuery, Query
from handlers.reply import ChartRef, Reply, build, context, header, message, section
from handlers.topics.gap import gap_sources, history_pct_gdp, latest_position
from metrics.alerts import Direction, Observation, Threshold

EXAMPLES = ("`/reset alert china below 600bn`, `/reset alert 10y above 5%`, `/reset alert mortgage above 7%`, "
            "`/reset alert gap beyond 95% of gdp`")
USAGE = (f"`/reset alert SERIES above|below THRESHOLD` — e.g. {EXAMPLES}; `/reset alerts` lists this channel's, "
         "`/reset alert remove N` stops one.")
MAX_ALERTS_PER_CHANNEL = 10  # a channel's alerts are listed in one message; more would be noise

SeriesKind = Literal["holdings", "10y", "mortgage", "gap_gdp", "gap_usd"]
Unit = Literal["usd_bn", "pct", "pct_gdp"]

_ABOVE = {"above", "over", "exceeds", "exceed", "exceeding", "beyond", "past", "wider", ">", ">=", "≥", "atop",
          "higher", "widens", "tops"}
_BELOW = {"below", "under", "beneath", "narrower", "<", "<=", "≤", "lower", "narrows", "underneath"}
_FILLER = {"me", "when", "if", "whenever", "goes", "go", "is", "gets", "get", "rises", "rise", "falls", "fall",
           "drops", "drop", "moves", "move", "climbs", "sinks", "than", "the", "s", "'s", "a", "an", "to", "on"}
#: Words around a holder's name that only say "holdings" ("china's treasury holdings", "holdings of japan").
_HOLDINGS_WORDS = {"holdings", "holding", "holds", "of", "treasuries", "treasury", "us", "ust", "bonds", "debt"}
_REMOVE = {"remove", "delete", "cancel", "stop", "rm", "del", "off", "unset", "clear"}
_LIST = {"list", "show", "all"}
_TEN_YEAR = {"10y", "10yr", "10-year", "10year", "ten-year", "tenyear", "dgs10", "10-yr", "10", "ust10y"}
_TEN_YEAR_PHRASES = {"10 year", "ten year", "10 yr", "10 year yield", "10y yield", "yield", "yields",
                     "treasury yield", "10 year treasury", "10 year treasury yield"}
_TEN_YEAR_WORDS = re.compile(r"(?:us )?(?:10|ten)[ -]?(?:y|yr|year)(?: treasury| ust| note)?(?: yields?| rate)?")
_MORTGAGE = {"mortgage", "mortgages", "mortgage30us", "30y mortgage", "30 year mortgage", "mortgage rate",
             "mortgage rates", "30-year mortgage", "30yr mortgage", "home loan", "home loans"}
_GAP = {"gap", "niip", "iip", "net iip", "net position", "net international investment position", "deficit",
        "net debt", "external gap"}

_THRESHOLD = re.compile(
    r"^\$?(?P<sign>[+\-\u2212]?)\$?(?P<int>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<frac>[0-9]+))?"
    r"\s*(?P<unit>%|pct|percent|bps?|basis points?|bn|b|bln|billions?|tn|t|tr|trn|trillions?|mn|m|mln|millions?)?"
    r"(?:\s*(?:of\s*)?(?P<gdp>gdp))?$")


@dataclass(frozen=True)
class SeriesSpec:
    """One series an alert can watch: how it is named, its unit and the thresholds that make sense."""

    kind: SeriesKind
    unit: Unit
    low: float  # smallest threshold accepted (in ``unit``)
    high: float  # largest


SPECS: dict[SeriesKind, SeriesSpec] = {
    "holdings": SeriesSpec("holdings", "usd_bn", 1.0, 50_000.0),
    "10y": SeriesSpec("10y", "pct", 0.0, 30.0),
    "mortgage": SeriesSpec("mortgage", "pct", 0.0, 30.0),
    "gap_gdp": SeriesSpec("gap_gdp", "pct_gdp", 1.0, 250.0),
    "gap_usd": SeriesSpec("gap_usd", "usd_bn", 100.0, 200_000.0),
}


def kind_of(series: str) -> SeriesKind:
    """The kind of a stored series key (``holdings:china`` → ``holdings``)."""
    head = series.partition(":")[0]
    if head not in SPECS:
        raise KeyError(f"unknown alert series {series!r}")
    return head


def margin_for(series: str, threshold: float) -> float:
    """The re-arm margin of a series at a threshold, in the series' unit (see the module's notes).

    >>> margin_for("holdings:china", 600), margin_for("holdings:japan", 1100), margin_for("10y", 5)
    (6.0, 11.0, 0.15)
    >>> margin_for("holdings:uk", 300), margin_for("gap_gdp", 95), margin_for("gap_usd", 30_000)
    (5.0, 1.0, 300.0)
    """
    kind = kind_of(series)
    if kind == "holdings":
        return max(5.0, round(0.01 * threshold, 1))
    if kind == "gap_usd":
        return max(250.0, round(0.01 * threshold, 1))
    return {"10y": 0.15, "mortgage": 0.10, "gap_gdp": 1.0}[kind]


def threshold_of(series: str, direction: Direction, level: float) -> Threshold:
    return Threshold(direction=direction, level=level, margin=margin_for(series, level))


# ---- the grammar ------------------------------------------------------------------------------
def parse_alert(rest: Sequence[str], holders: HolderRegistry) -> Query:
    """The words after ``alert``: an alert to set, the list, or one to remove.

    >>> from handlers.holders import Holder, HolderRegistry
    >>> reg = HolderRegistry([Holder(key="china", label="China", tic_labels=())], {"china": "china"})
    >>> parse_alert("china below 600bn".split(), reg)
    AlertQuery(kind='alert', series='holdings:china', direction='below', threshold=600.0)
    >>> parse_alert("gap beyond 95% of gdp".split(), reg).series
    'gap_gdp'
    >>> parse_alert(["remove", "2"], reg)
    AlertRemoveQuery(kind='alert_remove', number=2)
    """
    words = [w for w in rest if w]
    if not words or (len(words) == 1 and words[0].lower() in _LIST):
        return AlertsQuery()
    if words[0].lower() in _REMOVE:
        return AlertRemoveQuery(number=_alert_number(words[1:]))
    lows = [w.lower() for w in words]
    at = next((i for i, w in enumerate(lows) if w in _ABOVE or w in _BELOW), None)
    if at is None:
        if any(w in ("crosses", "cross", "hits", "hit", "reaches", "at") for w in lows):
            raise UsageError(f"Above or below? Say which side of the line, e.g. {EXAMPLES}.")
        raise UsageError(f"Which way? Put `above` or `below` before the threshold. {USAGE}")
    direction: Direction = "above" if lows[at] in _ABOVE else "below"
    series_words = [w for w in words[:at] if w.lower().strip("'’") not in _FILLER]
    after = [w for w in words[at + 1:] if w.lower() not in ("than", "the")]
    if not series_words:
        raise UsageError(f"Which series? {USAGE}")
    if not after:
        raise UsageError(f"{'Above' if direction == 'above' else 'Below'} what? Give a threshold. {USAGE}")
    kind, holder_key = _series(" ".join(series_words), holders)
    level, unit, gdp = _threshold_words(" ".join(after))
    return _checked(kind, holder_key, direction, level, unit, gdp, " ".join(after))


def _alert_number(words: Sequence[str]) -> int:
    token = "".join(words).lstrip("#")
    if re.fullmatch(r"[0-9]{1,6}", token) and int(token) >= 1:
        return int(token)
    if not words:
        raise UsageError("Which alert? `/reset alerts` lists them with their numbers, e.g. `/reset alert remove 1`.")
    raise UsageError(f"Which alert? `{echo(' '.join(words))}` is not an alert number; `/reset alerts` lists them, "
                     "e.g. `/reset alert remove 1`.")


def _series(text: str, holders: HolderRegistry) -> tuple[SeriesKind, str | None]:
    low = re.sub(r"\s+", " ", text.lower().replace("’", "'")).strip()
    low = re.sub(r"'s\b", "", low)
    if low in _TEN_YEAR or low in _TEN_YEAR_PHRASES or _TEN_YEAR_WORDS.fullmatch(low):
        return "10y", None
    if low in _MORTGAGE or "mortgage" in low:
        return "mortgage", None
    if low in _GAP:
        return "gap_gdp", None  # the threshold's unit decides between % of GDP and $ (`_checked`)
    holder = holders.resolve(low) or holders.resolve(" ".join(w for w in low.split() if w not in _HOLDINGS_WORDS))
    if holder is not None:
        return "holdings", holder.key
    import difflib

    known = ["10y", "mortgage", "gap", *holders.names()]
    close = difflib.get_close_matches(low, known, n=1, cutoff=0.6) if len(low) <= 60 else []
    hint = f" Did you mean `{echo(close[0])}`?" if close else ""
    raise UsageError(f"I can't watch `{echo(text)}`.{hint} I can watch a holder's Treasury holdings (`china`, "
                     f"`japan`, `eu`, `uk`…), the 10-year yield (`10y`), the mortgage rate (`mortgage`) and the "
                     f"external gap (`gap`). {USAGE}")


def _threshold_words(text: str) -> tuple[float, str, bool]:
    """The number, its unit ("" if none) and whether it said "of GDP"."""
    low = re.sub(r"\s+", " ", text.lower()).strip()
    if len(low) > 60:
        raise UsageError(f"That threshold is too long to be a number. {USAGE}")
    match = _THRESHOLD.fullmatch(low)
    if match is None:
        raise UsageError(f"I couldn't read `{echo(text)}` as a threshold: write it like `600bn`, `5%` or "
                         f"`95% of gdp`. {USAGE}")
    whole = match["int"].replace(",", "").lstrip("0") or "0"
    if len(whole) > 9:
        raise UsageError(f"`{echo(text)}` is far beyond anything these series reach. {USAGE}")
    value = float(f"{whole}.{match['frac']}" if match["frac"] else whole)
    if match["sign"] in ("-", "\u2212") and value:
        value = -value
    unit = match["unit"] or ""
    return value, unit, bool(match["gdp"])


def _checked(kind: SeriesKind, holder_key: str | None, direction: Direction, value: float, unit: str, gdp: bool,
             typed: str) -> AlertQuery:
    money = {"bn": 1.0, "b": 1.0, "bln": 1.0, "billion": 1.0, "billions": 1.0, "tn": 1000.0, "t": 1000.0,
             "tr": 1000.0, "trn": 1000.0, "trillion": 1000.0, "trillions": 1000.0, "mn": 0.001, "m": 0.001,
             "mln": 0.001, "million": 0.001, "millions": 0.001}
    percent = unit in ("%", "pct", "percent") or gdp
    basis = unit.startswith("bp") or unit.startswith("basis")
    shown = echo(typed)
    if kind in ("gap_gdp", "gap_usd"):
        value = abs(value)  # the gap is said as its size: "beyond −95% of GDP" means beyond 95%
        if unit in money:
            kind, value = "gap_usd", value * money[unit]
        elif percent or not unit:
            kind = "gap_gdp"
        else:
            raise UsageError(f"The gap is watched as a share of GDP or in dollars, not `{shown}`: e.g. "
                             "`/reset alert gap beyond 95% of gdp` or `/reset alert gap beyond 30tn`.")
    elif kind == "holdings":
        if percent or basis:
            raise UsageError(f"Holdings are watched in dollars, not `{shown}`: e.g. `/reset alert china below 600bn`.")
        if value < 0:
            raise UsageError(f"`{shown}`: holdings cannot be negative. Give an amount, e.g. "
                             "`/reset alert china below 600bn`.")
        value *= money.get(unit, 1.0)  # a bare number is $bn, TIC's own unit
    else:
        if unit in money or gdp:
            raise UsageError(f"Rates are watched in percent, not `{shown}`: e.g. `/reset alert 10y above 5%`.")
        if basis:
            value /= 100
        if value <= 0:
            raise UsageError(f"`{shown}`: the {'10-year yield' if kind == '10y' else 'mortgage rate'} has never "
                             "been zero or negative; give a positive rate, e.g. `/reset alert 10y below 3.5%`.")
    spec = SPECS[kind]
    if not spec.low <= value <= spec.high or (spec.unit == "pct" and value <= spec.low):
        raise UsageError(f"`{shown}` is outside what I can watch for {_series_name(kind, None)}: "
                         f"{_range_words(spec)}. {USAGE}")
    series = f"holdings:{holder_key}" if kind == "holdings" else kind
    return AlertQuery(series=series, direction=direction, threshold=round(value, 4))


def _range_words(spec: SeriesSpec) -> str:
    if spec.kind == "holdings":
        return "$1bn to $50T (all foreign holders together hold about $9T)"
    if spec.unit == "pct":
        return "above 0% and at most 30% (the 10-year's record is 15.8% in 1981)"
    if spec.kind == "gap_gdp":
        return "1% to 250% of GDP"
    return "$100bn to $200T"


# ---- series and observations ------------------------------------------------------------------
@dataclass(frozen=True)
class Latest:
    """The newest observation of a watched series in the data in service, with what to cite."""

    observation: Observation
    sources: tuple[Source, ...]


def _series_name(kind: SeriesKind, holder_label: str | None) -> str:
    owner = holder_label or "a holder"
    return {"holdings": f"{owner}{chr(39) if owner.endswith('s') else chr(39) + 's'} Treasury holdings",
            "10y": "the 10-year Treasury yield", "mortgage": "the 30-year mortgage rate",
            "gap_gdp": "the US external gap (net IIP)", "gap_usd": "the US external gap (net IIP)"}[kind]


def series_name(series: str, holders: HolderRegistry) -> str:
    """'China (mainland)'s Treasury holdings', 'the 10-year Treasury yield', …"""
    kind = kind_of(series)
    label = holders.get(series.partition(":")[2]).label if kind == "holdings" else None
    return _series_name(kind, label)


def value_words(series: str, value: float) -> str:
    """A threshold or an observation in the series' unit: '$600bn', '5.00%', '95.0% of GDP'."""
    unit = SPECS[kind_of(series)].unit
    if unit == "pct":
        return fmt.rate_pct(value)
    if unit == "pct_gdp":
        return f"{fmt.pct(value)} of GDP"
    return fmt.usd_bn(value)


def describe(series: str, direction: str, threshold: float, holders: HolderRegistry) -> str:
    """'China (mainland)'s Treasury holdings below $600bn'."""
    side = direction if not kind_of(series).startswith("gap") else ("beyond" if direction == "above" else "within")
    return f"{series_name(series, holders)} {side} {value_words(series, threshold)}"


def period_words(period: str) -> str:
    """'2026-04' → 'Apr 2026', '2025Q3' → 'Q3 2025', '2026-07-28' → '28 Jul 2026'."""
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}", period):
        return fmt.month(period)
    if re.fullmatch(r"[0-9]{4}Q[1-4]", period):
        return fmt.quarter_label(period)
    try:
        return fmt.day(datetime.strptime(period, "%Y-%m-%d").date())
    except ValueError:
        return period


def period_instant(period: str) -> datetime:
    """An observation period as the UTC instant it starts: the ledger's slot for an alert's firing.

    >>> period_instant("2026-04"), period_instant("2025Q3").month, period_instant("2026-07-28").day
    (datetime.datetime(2026, 4, 1, 0, 0, tzinfo=datetime.timezone.utc), 7, 28)
    """
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}", period):
        return datetime(int(period[:4]), int(period[5:7]), 1, tzinfo=timezone.utc)
    if re.fullmatch(r"[0-9]{4}Q[1-4]", period):
        return datetime(int(period[:4]), 3 * int(period[-1]) - 2, 1, tzinfo=timezone.utc)
    return datetime.strptime(period[:10], "%Y-%m-%d").replace(tzinfo=timezone.utc)


def latest(series: str, datasets: Datasets, holders: HolderRegistry) -> Latest:
    """The newest observation of ``series`` in ``datasets``. Raises KeyError if the data lack it."""
    kind = kind_of(series)
    if kind == "holdings":
        values = holder_series(datasets, holders.get(series.partition(":")[2]))
        return Latest(Observation(period=str(values.index[-1]), value=round(float(values.iloc[-1]), 3)),
                      (datasets.source("treasury_holdings"),))
    if kind in ("10y", "mortgage"):
        rate = market_rate(datasets, "ten_year_yield_pct" if kind == "10y" else "mortgage_30y_pct")
        day = re.search(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", rate.period)
        if day is None:
            raise KeyError(f"no date in the period {rate.period!r} of {rate.key}")
        return Latest(Observation(period=day[0], value=rate.value), (rate.source,))
    position = latest_position(datasets)
    value = -position.net_pct_gdp if kind == "gap_gdp" else -position.headline_net_usd_bn
    return Latest(Observation(period=position.period, value=round(float(value), 3)), tuple(gap_sources(datasets)))


def history(series: str, datasets: Datasets, holders: HolderRegistry) -> pd.Series:
    """The series over time for its chart, indexed by timestamps (the newest observation last).

    Holdings: TIC months. Rates: FRED's daily or weekly observations when the data in service have
    them (a refreshed version), else the one quoted figure. The gap: BEA's annual positions (FRED
    IIPUSNETIA, against GDPA) and the latest quarter."""
    kind = kind_of(series)
    if kind == "holdings":
        values = holder_series(datasets, holders.get(series.partition(":")[2]))
        return pd.Series(values.values, index=pd.to_datetime(values.index.astype(str), format="%Y-%m"))
    now = latest(series, datasets, holders).observation
    if kind in ("10y", "mortgage"):
        frame = datasets.frames.get("market_rates")
        code = "DGS10" if kind == "10y" else "MORTGAGE30US"
        if frame is not None:
            rows = frame[frame["series"] == code].dropna(subset=["value_pct"]).sort_values("date")
            if not rows.empty:
                return pd.Series(rows["value_pct"].to_numpy(dtype=float), index=pd.to_datetime(rows["date"]))
        return pd.Series([now.value], index=[pd.Timestamp(period_instant(now.period)).tz_localize(None)])
    if kind == "gap_gdp":
        annual = -history_pct_gdp(datasets)
    else:
        annual = -datasets.frame("iip_annual").set_index("year")["net_usd_bn"]
    points = pd.Series(annual.to_numpy(dtype=float), index=pd.to_datetime([f"{y}-12-31" for y in annual.index]))
    quarter_end = pd.Timestamp(period_instant(now.period)).tz_localize(None) + pd.offsets.QuarterEnd(0)
    points.loc[quarter_end] = now.value
    return points.sort_index()


def chart_for(series: str, direction: str, threshold: float, holders: HolderRegistry) -> ChartRef:
    """The chart of a fired alert: the series with its line (`handlers.charts.alerts`)."""
    name = series_name(series, holders)
    level = value_words(series, threshold)
    return ChartRef(key=f"alert:{series}:{direction}:{threshold!r}", title=f"{name[:1].upper()}{name[1:]}",
                    alt_text=f"Line chart of {name} over time with the alert's line at {level}.",
                    filename=f"alert-{series.replace(':', '-')}.png")


# ---- what the user reads ----------------------------------------------------------------------
@dataclass(frozen=True)
class ListedAlert:
    """One alert of a channel, as `/reset alerts` shows it."""

    description: str  # `describe`
    state: str  # armed, fired, paused
    pause_reason: str | None
    created_by: str
    last_fired: str | None = None  # "598.1bn in Apr 2026", if it ever fired
    rearm_at: str | None = None  # where a fired alert re-arms


def alert_set(description: str, now: Latest, series: str, threshold: Threshold, *, already: bool) -> Reply:
    obs = now.observation
    current = f"Now: *{value_words(series, obs.value)}* ({period_words(obs.period)})."
    again = value_words(series, threshold.level - threshold.margin if threshold.direction == "above"
                        else threshold.level + threshold.margin)
    if already:
        what = (f"It is already past that line, so I will post here the next time it crosses — once it has been "
                f"back {'below' if threshold.direction == 'above' else 'above'} {again}.")
    else:
        what = (f"I will post here once, when new data cross the line; it re-arms after the series is back "
                f"{'below' if threshold.direction == 'above' else 'above'} {again}.")
    return build([section(f":bell: Alert set: *{escape_slack(description)}*.\n{current} {what}"),
                  context(["`/reset alerts` lists this channel's alerts; `/reset alert remove N` stops one."])],
                 text=f"Alert set: {description}. {current.replace('*', '')}", sources=now.sources,
                 visibility="in_channel")


def no_alerts() -> Reply:
    return message(f"This channel has no alerts. Try {EXAMPLES}.")


def too_many_alerts() -> str:
    return (f"This channel has {MAX_ALERTS_PER_CHANNEL} alerts already, the most it can have; "
            "`/reset alert remove N` stops one.")


def alerts_listing(alerts: Sequence[ListedAlert]) -> Reply:
    lines = []
    for n, item in enumerate(alerts, 1):
        if item.state == "paused":
            state = f":double_vertical_bar: paused — {item.pause_reason}"
        elif item.state == "fired":
            state = f"fired{' on ' + item.last_fired if item.last_fired else ''}; re-arms {item.rearm_at}"
        else:
            state = "armed" + (f"; last fired on {item.last_fired}" if item.last_fired else "")
        lines.append(f"*{n}.* {escape_slack(item.description)} ({state}; set by <@{item.created_by}>)")
    return build([section("*Alerts in this channel*\n" + "\n".join(lines)),
                  context(["`/reset alert remove N` stops one. " + USAGE.split(" — ")[0]])],
                 text="Alerts in this channel: " + "; ".join(line.replace("*", "") for line in lines),
                 visibility="ephemeral")


def no_such_alert(number: int, count: int) -> str:
    if count == 0:
        return "This channel has no alerts to remove."
    return f"There is no alert {number} here; `/reset alerts` lists them (1–{count})."


def alert_removed(description: str) -> Reply:
    return message(f"Removed the alert on {escape_slack(description)}.", visibility="in_channel")


def alert_fired(description: str, series: str, threshold: Threshold, now: Latest, chart: ChartRef | None,
                created_by: str) -> Reply:
    """The message an alert posts when it fires: the figure, its date, the chart and the source."""
    obs = now.observation
    figure = value_words(series, obs.value)
    when = period_words(obs.period)
    again = value_words(series, threshold.level - threshold.margin if threshold.direction == "above"
                        else threshold.level + threshold.margin)
    side = "below" if threshold.direction == "above" else "above"
    blocks = [header(f"Alert: {description}"[:150]),
              section(f"*{figure}* ({when}) — the line was {value_words(series, threshold.level)}.\n"
                      f"Set by <@{created_by}>. It fires again only after the series has been back {side} {again}."),
              context(["`/reset alerts` lists this channel's alerts; `/reset alert remove N` stops one."])]
    return build(blocks, text=f"Alert: {description} — {figure} ({when})", charts=(chart,) if chart else (),
                 sources=now.sources, visibility="in_channel")


def pause_reason(code: str) -> str:
    """Why an alert is paused, as `/reset alerts` shows it."""
    return {
        "not_in_channel": "the bot is not in this channel — `/invite @Reset Bot`; it tries again with the next data",
        "channel_not_found": "the bot cannot see this channel — `/invite @Reset Bot`; it tries again with the next "
                             "data",
        "is_archived": "the channel is archived",
    }.get(code, code)
