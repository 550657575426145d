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

from sqlalchemy import Float, bindparam, text

from bot.storage.records import Workspace
from bot.storage.schema import Database, post_slots


def slot_key(workspace: Workspace | None) -> str:
    """One row per workspace (an org-wide install: team and enterprise); None: the single-token workspace."""
    if workspace is None:
        return "- -"
    return f"{workspace.team_id or '-'} {workspace.enterprise_id or '-'}"


# One statement per budget, the same text on SQLite (3.35+) and PostgreSQL, prepared once: a new
# SQLAlchemy expression per call (a CASE, an upsert) cost more CPU to build and compile than the
# database spent running it (the multi-workspace benchmark's profile).
_RESERVE = text(
    f"INSERT INTO {post_slots.name} (key, next_at) VALUES (:key, :now + :interval) "
    f"ON CONFLICT (key) DO UPDATE SET next_at = CASE WHEN {post_slots.name}.next_at > :now "
    f"THEN {post_slots.name}.next_at ELSE :now END + :interval RETURNING next_at"
).bindparams(bindparam("now", type_=Float), bindparam("interval", type_=Float))
_PUSH = text(f"UPDATE {post_slots.name} SET next_at = :pushed WHERE key = :key AND next_at < :pushed"
             ).bindparams(bindparam("pushed", type_=Float))


class PostSlots:
    def __init__(self, database: Database) -> None:
        self.database = database

    def reserve(self, workspace: Workspace | None, interval: float, now: float) -> float:
        """Reserve ``workspace``'s next posting slot, at least ``interval`` seconds after the one
        reserved before it (by any process) and not before ``now``; returns the slot's time (epoch s)."""
        return self.reserve_many(workspace, {"message": interval}, now)["message"]

    def reserve_many(self, workspace: Workspace | None, budgets: Mapping[str, float], now: float) -> dict[str, float]:
        """`reserve` one post's turn of each of ``workspace``'s ``budgets`` (name → seconds the turn
        lasts) in one transaction, in the order of their names (so two callers never wait on each
        other's rows crosswise); returns each budget's slot time. The post goes at the latest of
        them, so a budget whose own slot came earlier is pushed to that time as well: conservative,
        never over a budget. The "message" budget is the workspace's row of old."""
        slots: dict[str, float] = {}
        # SQLite: the lighter-syncing engine (a slot lost to a power cut only lets one post go early).
        with self.database.begin(lighter_sync=True) as conn:
            keys = {name: slot_key(workspace) + ("" if name == "message" else f" {name}") for name in sorted(budgets)}
            for name, key in keys.items():
                after = conn.execute(_RESERVE, {"key": key, "now": now, "interval": budgets[name]}).scalar_one()
                slots[name] = float(after) - budgets[name]
            at = max(slots.values(), default=now)
            for name, key in keys.items():
                if slots[name] < at:  # this budget's turn came first: the post uses it at `at`
                    conn.execute(_PUSH, {"key": key, "pushed": at + budgets[name]})
        return slots
