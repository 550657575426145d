"""What the alert tests share: the shipped data with China's TIC months changed (a refresh, a
revision), and the alert parts of one process ("replica") on a shared database."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pandas as pd

from bot.assembly import Alerting, build_alerts
from bot.serving.live_data import LiveData
from bot.slack.app import briefing_client
from bot.slack.delivery import Destination, SlackDelivery
from bot.storage import Storage, connect
from handlers.datasets import Datasets
from handlers.queries import AlertQuery
from tests.conftest import CHANNEL, USER

TEAM = "T0000FAKE1"
CHINA = "China, Mainland"


def with_china(datasets: Datasets, months: dict[str, float]) -> Datasets:
    """The datasets as a refresh would publish them with China's holdings for ``months`` set (a new
    month is added, an existing one revised), under a version id of their own."""
    frame = datasets.frame("treasury_holdings")
    kept = frame[~((frame["holder"] == CHINA) & frame["month"].isin(list(months)))]
    added = pd.DataFrame({"month": list(months), "holder": CHINA, "usd_bn": list(months.values()),
                          "table": "slt_table5"})
    new = pd.concat([kept, added], ignore_index=True).sort_values(["month", "holder"], kind="stable")
    return replace(datasets, version=f"test-{uuid.uuid4().hex[:12]}",
                   frames={**datasets.frames, "treasury_holdings": new.reset_index(drop=True)})


def here(channel: str = CHANNEL, team: str = TEAM) -> Destination:
    return Destination(channel, USER, None, team)


class AlertFactory:
    """The alert parts of one process on a shared database, with an injected clock and no sleeps."""

    def __init__(self, db_url, settings, chart_cache, clock) -> None:
        self.db_url, self.settings, self.chart_cache, self.clock = db_url, settings, chart_cache, clock
        self.opened: list[Storage] = []

    def __call__(self, data: LiveData, owner: str = "replica-a") -> Alerting:
        storage = connect(self.db_url, now=self.clock)
        self.opened.append(storage)
        client = briefing_client(self.settings)
        return build_alerts(storage, data, SlackDelivery(client, self.chart_cache), client, clock=self.clock,
                            owner=owner, sleep=lambda s: None)

    def close(self) -> None:
        for storage in self.opened:
            storage.dispose()


def china_below(alerting: Alerting, level: float = 600.0, channel: str = CHANNEL):
    return alerting.commands.handle(AlertQuery(series="holdings:china", direction="below", threshold=level),
                                    here(channel))
