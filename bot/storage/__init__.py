"""Everything the bot keeps in SQL, one repository per job, built together by `connect`.

- `schema` — tables, migrations, the engine (SQLite WAL and syncing), durable transactions;
- `subscriptions` — which channel gets which weekly briefing;
- `ledger` — **the exactly-once delivery ledger**: claims, takeovers, outcomes (its protocol,
  seen from the posting side, is in `bot.briefings.fanout`);
- `sightings` — signed requests already seen (replay protection for `bot.slack.front`);
- `budgets` — rationed Slack calls shared by every replica (history reads), and paged reads in progress;
- `alerts` — threshold alerts and the claim of their firings in the ledger (issue 14);
- `records` — the frozen values and errors they hand out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from bot.storage.alerts import Alerts
from bot.storage.budgets import Budgets, HistoryScans
from bot.storage.ledger import Ledger
from bot.storage.schema import Database
from bot.storage.sightings import Sightings
from bot.storage.subscriptions import Subscriptions


@dataclass(frozen=True)
class Storage:
    """One database and its repositories, sharing its engine and clock."""

    database: Database
    subscriptions: Subscriptions
    ledger: Ledger
    sightings: Sightings
    budgets: Budgets
    history_scans: HistoryScans
    alerts: Alerts

    def dispose(self) -> None:
        """Close every pooled connection (tests, shutdown)."""
        self.database.dispose()


def connect(url: str, now: Callable[[], datetime] | None = None) -> Storage:
    """Open (and migrate) the database at ``url``; ``now`` is the clock rows are stamped with."""
    clock = now or (lambda: datetime.now(timezone.utc))
    database = Database.open(url)
    return Storage(database, Subscriptions(database, clock), Ledger(database, clock), Sightings(database, clock),
                   Budgets(database, clock), HistoryScans(database, clock), Alerts(database, clock))
