"""Helpers the storage tests share: a subscription on a fixed Friday slot, a claim of it, SQL spying."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from sqlalchemy import event

from bot.storage.records import Workspace

TEAM = Workspace("T1")  # the workspace `subscribe` subscribes in
SLOT = datetime(2026, 11, 27, 16, 30, tzinfo=timezone.utc)
TIMEOUT = timedelta(minutes=5)


def subscribe(storage, channel="C0000GEN01", **kw):
    values = dict(team_id="T1", channel_id=channel, created_by="U1", weekday="fri", at_time="16:30",
                  timezone_name="Europe/London")
    values.update(kw)
    return storage.subscriptions.add(**values)


def claim(storage, sub, owner="a", slot=SLOT, **kw):
    return storage.ledger.claim(subscription_id=sub.id, channel_id=sub.channel_id, slot_utc=slot, kind="scheduled",
                               owner=owner, claim_timeout=TIMEOUT, **kw)


@contextmanager
def statements(storage):
    """Collect the SQL statements the storage sends while the block runs."""
    seen = []
    listener = lambda conn, cursor, sql, *rest: seen.append(sql)  # noqa: E731
    event.listen(storage.database.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(storage.database.engine, "before_cursor_execute", listener)
