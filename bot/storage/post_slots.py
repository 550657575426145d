"""Posting turns shared by every replica: "reserve the next slot for workspace W".

Slack's rate limits are per app, per method, per workspace (docs.slack.dev/apis/web-api/rate-limits),
not per process: three replicas each pacing a workspace on its own would send three times its
budget and collect 429s. So each workspace's next free posting time lives in the shared database
(table ``reset_post_slots``, schema version 11), one row per workspace and budget: messages
(the workspace's key) and files (the key and " file": Tier 4 uploads).

`PostSlots.reserve` is one statement: ``INSERT … ON CONFLICT (key) DO UPDATE SET next_at =
max(next_at, now) + interval RETURNING next_at``. On SQLite writes are serialised; on PostgreSQL
the second of two concurrent updates waits for the first's row lock and then reads the row the
first wrote, so no two callers get the same slot and consecutive slots are ``interval`` apart.
The caller sleeps until its slot (``returned - interval``). Times are epoch seconds (wall clock):
replicas share no monotonic clock, and NTP-synchronised hosts agree to milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
        return self.reserve_many(workspace, {"message": interval}, now)["message"]

    def reserve_many(self, workspace: Workspace | None, budgets: Mapping[str, float], now: float) -> dict[str, float]:
        """`reserve` one post's turn of each of ``workspace``'s ``budgets`` (name → interval, s) in
        one transaction, in the order of their names (so two callers never wait on each other's
        rows crosswise); returns each budget's slot time. The post goes at the latest of them, so a
        budget whose own slot came earlier is pushed to that time as well: conservative, never over
        a budget. The "message" budget is the workspace's row of old."""
        current = post_slots.c.next_at
        slots: dict[str, float] = {}
        # SQLite: the lighter-syncing engine (a slot lost to a power cut only lets one post go early).
        with self.database.begin(lighter_sync=True) as conn:
            keys = {name: slot_key(workspace) + ("" if name == "message" else f" {name}") for name in sorted(budgets)}
            for name, key in keys.items():
                after = conn.execute(self._upsert(key, now, budgets[name])).scalar_one()
                slots[name] = float(after) - budgets[name]
            at = max(slots.values(), default=now)
            for name, key in keys.items():
                if slots[name] < at:  # this budget's turn came first: the post uses it at `at`
                    pushed = at + budgets[name]
                    conn.execute(update(post_slots).where((post_slots.c.key == key) & (current < pushed))
                                 .values(next_at=pushed))
        return slots

    def _upsert(self, key: str, now: float, interval: float) -> Any:
        """INSERT … ON CONFLICT (key) DO UPDATE SET next_at = max(next_at, now) + interval RETURNING next_at."""
        current = post_slots.c.next_at
        return (self._insert(post_slots).values(key=key, next_at=now + interval)
                .on_conflict_do_update(index_elements=[post_slots.c.key],
                                       set_={"next_at": case((current > now, current), else_=now) + interval})
                .returning(post_slots.c.next_at))
