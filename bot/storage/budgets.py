"""Rationed Slack calls, shared by every replica: whose turn it is, and how far a paged read got.

Slack's rate limits are per app, per method, per workspace — not per process. An app distributed
outside the Marketplace may call ``conversations.history`` and ``conversations.replies`` once a
minute per workspace (docs.slack.dev/reference/methods/conversations.history, "As of May 29,
2025…"). Two replicas each keeping its own count would spend that minute twice and get a 429, so
the count lives in the shared database:

- `Budgets.take` — one row per (method, workspace) holding ``next_at``, the time before which no
  call may go. Taking a turn is one statement, ``UPDATE … SET next_at = now + interval WHERE key
  = … AND next_at <= now``: on SQLite writes are serialised, on PostgreSQL the second of two
  concurrent updates waits for the first's row lock and re-checks the condition against the row
  it wrote, so exactly one caller gets each turn. The method name is part of the key, so any
  rationed method (``conversations.replies`` for threads) can use the same table.
- `Budgets.defer` — Slack said 429 anyway (another tool with the same app, a clock that drifted):
  its Retry-After moves ``next_at`` later, never earlier.
- `HistoryScans` — a history read that needs several pages (15 messages each) goes on a page a
  turn; the cursor is kept here, so the next page is read by whichever replica's retry comes
  next instead of starting again from the top.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.storage.records import Workspace, utc
from bot.storage.schema import Database, api_budgets, history_scans


def budget_key(method: str, workspace: Workspace) -> str:
    """The row of one method's budget in one workspace (an org-wide install: team and enterprise)."""
    return f"{method} {workspace.team_id} {workspace.enterprise_id or '-'}"


@dataclass(frozen=True)
class Turn:
    """The answer of `Budgets.take`: whether this caller may call now, and when the next call may go."""

    taken: bool
    next_at: datetime


class Budgets:
    def __init__(self, database: Database, now: Callable[[], datetime]) -> None:
        self.database = database
        self._now = now

    def take(self, method: str, workspace: Workspace, interval: timedelta) -> Turn:
        """Take the next turn of ``method`` in ``workspace`` if its time has come: at most one call
        per ``interval`` across every process on this database. A budget never used is free."""
        now, key = self._now(), budget_key(method, workspace)
        new = (sqlite_insert if self.database.dialect == "sqlite" else postgresql_insert)(api_budgets)
        with self.database.begin() as conn:
            conn.execute(new.values(key=key, next_at=now).on_conflict_do_nothing())
            taken = conn.execute(update(api_budgets).where(
                (api_budgets.c.key == key) & (api_budgets.c.next_at <= now)).values(next_at=now + interval)).rowcount
            next_at = conn.execute(select(api_budgets.c.next_at).where(api_budgets.c.key == key)).scalar_one()
        return Turn(taken == 1, utc(next_at))

    def defer(self, method: str, workspace: Workspace, until: datetime) -> None:
        """No call of ``method`` in ``workspace`` before ``until`` (Slack's Retry-After); a later
        ``next_at`` already set is kept."""
        key = budget_key(method, workspace)
        new = (sqlite_insert if self.database.dialect == "sqlite" else postgresql_insert)(api_budgets)
        with self.database.begin() as conn:
            conn.execute(new.values(key=key, next_at=until).on_conflict_do_nothing())
            conn.execute(update(api_budgets).where((api_budgets.c.key == key) & (api_budgets.c.next_at < until))
                         .values(next_at=until))

    def next_at(self, method: str, workspace: Workspace) -> datetime | None:
        """When the next call may go (None: never rationed yet, so now)."""
        with self.database.read() as conn:
            found = conn.execute(select(api_budgets.c.next_at).where(
                api_budgets.c.key == budget_key(method, workspace))).scalar_one_or_none()
        return utc(found) if found is not None else None


@dataclass(frozen=True)
class Scan:
    """A paged history read in progress: the window's start (a Slack timestamp), where the next page starts."""

    delivery_id: int
    oldest: str
    cursor: str
    pages: int
    started_at: datetime


class HistoryScans:
    def __init__(self, database: Database, now: Callable[[], datetime]) -> None:
        self.database = database
        self._now = now

    def get(self, delivery_id: int) -> Scan | None:
        with self.database.read() as conn:
            row = conn.execute(select(history_scans).where(history_scans.c.delivery_id == delivery_id)).first()
        if row is None:
            return None
        return Scan(row.delivery_id, row.oldest, row.cursor, row.pages, utc(row.started_at))

    def save(self, scan: Scan) -> None:
        """Record (or move on) the scan of one ledger row."""
        values = dict(oldest=scan.oldest, cursor=scan.cursor, pages=scan.pages, started_at=scan.started_at)
        new = (sqlite_insert if self.database.dialect == "sqlite" else postgresql_insert)(history_scans)
        with self.database.begin() as conn:
            conn.execute(new.values(delivery_id=scan.delivery_id, **values)
                         .on_conflict_do_update(index_elements=[history_scans.c.delivery_id], set_=values))

    def drop(self, delivery_id: int) -> None:
        """The scan is over (found, or read to its end), or its cursor is no good: forget it."""
        with self.database.begin() as conn:
            conn.execute(delete(history_scans).where(history_scans.c.delivery_id == delivery_id))

    def prune(self, before: datetime) -> int:
        """Forget scans begun before ``before``: their rows were closed (sent, missed) meanwhile."""
        with self.database.begin() as conn:
            return conn.execute(delete(history_scans).where(history_scans.c.started_at < before)).rowcount
