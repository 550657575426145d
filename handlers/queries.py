"""Typed queries: what a `/reset …` text means once parsed.

Each query is a frozen pydantic model with a ``kind`` tag, so a listener, the shell and the
scheduler all hand the same value to `handlers.answer.answer`.
"""

from __future__ import annotations

from datetime import time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Query(BaseModel):
    model_config = ConfigDict(frozen=True)


class HelpQuery(_Query):
    kind: Literal["help"] = "help"
    topic: str | None = None  # "shock", "subscribe", … for focused help


class GapQuery(_Query):
    kind: Literal["gap"] = "gap"
    breakdown: bool = False  # the follow-up button asks for the breakdown


class HoldingsQuery(_Query):
    kind: Literal["holdings"] = "holdings"
    holder: str | None = None  # a holder key (see handlers.holders), None = all


class BuyingQuery(_Query):
    kind: Literal["buying"] = "buying"


class RefinancingQuery(_Query):
    kind: Literal["refinancing"] = "refinancing"


class ShockQuery(_Query):
    kind: Literal["shock"] = "shock"
    holder: str  # a holder key
    percent: float = Field(ge=0, le=100)  # percent of holdings, 0–100 (rounded: parsing.scenario_percent)
    mode: Literal["sell", "pause"] = "sell"
    requested_percent: float | None = None  # what the user typed, when rounding changed it
    others: tuple[tuple[str, float], ...] = ()  # more holders in the same scenario: (key, percent)
    months: int | None = None  # execution window; None = the mode's default (1 to sell, 12 to pause)
    reinvest_pct: float = Field(default=0.0, ge=0, le=100)  # share kept in other dollar duration assets
    fed: bool = False  # the Fed / FIMA backstops the market, as in March 2020


class GoldQuery(_Query):
    kind: Literal["gold"] = "gold"


class ClaimsQuery(_Query):
    kind: Literal["claims"] = "claims"


class SourcesQuery(_Query):
    kind: Literal["sources"] = "sources"


class HistoryQuery(_Query):
    """`history`: foreign sales on record beside what the scenario model says of them."""

    kind: Literal["history"] = "history"


class FactCheckQuery(_Query):
    """`factcheck TEXT` (and the "Fact-check with Reset Bot" message shortcut): check a message's claims."""

    kind: Literal["factcheck"] = "factcheck"
    text: str = Field(max_length=40_000)  # the message, as written (Slack's limit for a message's text)
    thread_ts: str | None = None  # the checked message's thread: the reply offers "Post in thread"
    in_thread: bool = False  # the reply is being posted into that thread (in the channel)


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class SubscribeQuery(_Query):
    """`subscribe [weekly] [day] [HH:MM] [timezone]`; None means "use the default".

    Defaults (Monday, 09:00, the subscriber's own Slack time zone) are applied where the
    subscription is created, because the time zone needs a users.info call.
    """

    kind: Literal["subscribe"] = "subscribe"
    day: Weekday | None = None
    at: time | None = None
    timezone: str | None = None  # an IANA name, validated by the parser
    form: Literal["threaded", "flat"] | None = None  # issue 14: None = the default (threaded)


class UnsubscribeQuery(_Query):
    kind: Literal["unsubscribe"] = "unsubscribe"
    number: int | None = None  # which of the channel's subscriptions (1-based), None = the only one


class SubscriptionsQuery(_Query):
    kind: Literal["subscriptions"] = "subscriptions"


class BriefingQuery(_Query):
    kind: Literal["briefing"] = "briefing"


class AlertQuery(_Query):
    """`alert SERIES above|below THRESHOLD` (issue 14): watch a series against a line.

    ``series`` is a key of `handlers.alerts.SERIES` (``holdings:china``, ``10y``, ``mortgage``,
    ``gap_gdp``, ``gap_usd``); ``threshold`` is in that series' unit ($bn, percent, percent of GDP)."""

    kind: Literal["alert"] = "alert"
    series: str
    direction: Literal["above", "below"]
    threshold: float


class AlertsQuery(_Query):
    kind: Literal["alerts"] = "alerts"


class AlertRemoveQuery(_Query):
    kind: Literal["alert_remove"] = "alert_remove"
    number: int = Field(ge=1)  # which of the channel's alerts (1-based, as `/reset alerts` numbers them)


Query = (
    HelpQuery
    | GapQuery
    | HoldingsQuery
    | BuyingQuery
    | RefinancingQuery
    | ShockQuery
    | GoldQuery
    | ClaimsQuery
    | SourcesQuery
    | HistoryQuery
    | SubscribeQuery
    | UnsubscribeQuery
    | SubscriptionsQuery
    | BriefingQuery
    | AlertQuery
    | AlertsQuery
    | AlertRemoveQuery
    | FactCheckQuery
)

#: Queries that only read data and can be answered anywhere (shell, Slack, briefing).
TOPIC_KINDS = ("gap", "holdings", "buying", "refinancing", "shock", "history", "gold", "claims", "sources",
               "factcheck")
#: Queries that manage briefings; they need a channel and a database (bot/).
BRIEFING_KINDS = ("subscribe", "unsubscribe", "subscriptions", "briefing")
#: Queries that manage threshold alerts; like briefings they need a channel and a database (bot/alerts).
ALERT_KINDS = ("alert", "alerts", "alert_remove")
