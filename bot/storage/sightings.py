"""Signed requests already seen, so that a replayed or retried Slack request is processed once.

`bot.slack.front.RequestGuard` records each verified request's keys here before it is handled;
the table is shared, so a replay is refused whichever replica receives it. Written on every
request's path, so through the database's lighter-synced engine (`bot.storage.schema.normal_sync`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from bot.storage.schema import Database, request_sightings


class Sightings:
    def __init__(self, database: Database, now: Callable[[], datetime]) -> None:
        self.database = database
        self._now = now

    def first_sighting(self, keys: Sequence[str], *, now: datetime | None = None) -> bool:
        """Record request keys; False if any was recorded before (a replay or a retry).

        One transaction for all the keys, so a request is either new on every key or refused."""
        at = now or self._now()
        try:
            with self.database.begin(lighter_sync=True) as conn:
                conn.execute(insert(request_sightings), [{"key": key, "seen_at": at} for key in keys])
        except IntegrityError:
            return False
        return True

    def prune_sightings(self, before: datetime) -> int:
        """Forget request keys seen before ``before`` (outside the signature window)."""
        with self.database.begin(lighter_sync=True) as conn:
            return conn.execute(delete(request_sightings).where(request_sightings.c.seen_at < before)).rowcount
