"""Posting turns shared by every replica: "reserve the next slot for workspace W".

Slack's rate limits are per app, per method, per workspace (docs.slack.dev/apis/web-api/rate-limits),
not per process: three replicas each pacing a workspace on its own would send three times its
budget and collect 429s. So each workspace's next free posting time lives in the shared database
(table ``reset_post_slots``, schema version 11), one row per workspace.

`PostSlots.reserve` is one statement after an idempotent insert: ``UPDATE … SET next_at =
max(next_at, now) + interval … RETURNING next_at``. On SQLite writes are serialised; on PostgreSQL
the second of two concurrent updates waits for the first's row lock and then reads the row the
first wrote, so no two callers get the same slot and consecutive slots are ``interval`` apart.
The caller sleeps until its slot (``returned - interval``). Times are epoch seconds (wall clock):
replicas share no monotonic clock, and NTP-synchronised hosts agree to milliseconds.
"""

from __future__ import annotations

from sqlalchemy import case, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.storage.records import Workspace
from bot.storage.schema import Database, post_slots


def slot_key(workspace: Workspace | None) -> str:
    """One row per workspace (an org-wide install: team and enterprise); None: the single-token workspace."""
    if workspace is None:
        return "- -"
    return f"{workspace.team_id or '-'} {workspace.enterprise_id or '-'}"


class PostSlots:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._insert = sqlite_insert if database.dialect == "sqlite" else postgresql_insert

    def reserve(self, workspace: Workspace | None, interval: float, now: float) -> float:
        """Reserve ``workspace``'s next posting slot, at least ``interval`` seconds after the one
        reserved before it (by any process) and not before ``now``; returns the slot's time (epoch s)."""
        key = slot_key(workspace)
        current = post_slots.c.next_at
        # SQLite: the lighter-syncing engine (a slot lost to a power cut only lets one post go early).
        with self.database.begin(lighter_sync=True) as conn:
            conn.execute(self._insert(post_slots).values(key=key, next_at=now).on_conflict_do_nothing())
            after = conn.execute(
                update(post_slots).where(post_slots.c.key == key)
                .values(next_at=case((current > now, current), else_=now) + interval)
                .returning(post_slots.c.next_at)).scalar_one()
        return float(after) - interval
