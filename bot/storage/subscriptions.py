"""Weekly briefing subscriptions: which channel of which workspace gets a briefing on which weekly schedule.

Everything asked by channel is asked by (workspace, channel): two workspaces can each have a
channel with the same id, and neither ever sees the other's subscriptions. Queries match on the
team id, which Slack keeps unique across workspaces and organisations.

An unsubscribed subscription is marked ``removed``, never deleted: its ledger rows
(`bot.storage.ledger`) keep pointing at it. The database itself refuses an exact duplicate
(a partial unique index, `bot.storage.schema`) whatever concurrent requests slip past the checks here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import ColumnElement, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from bot.storage.records import Form, State, StoreError, Subscription, Workspace
from bot.storage.schema import Database, live_subscription, subscriptions

MAX_PER_CHANNEL = 3  # a few per channel: more is almost always a mistake
#: The subscriptions briefings go out for: live and not held by a person (App Home's pause).
DELIVERABLE = subscriptions.c.state.in_(("active", "paused"))


def in_channel(workspace: Workspace, channel_id: str) -> ColumnElement[bool]:
    """The condition "this workspace's channel" (by team id: see the module docstring)."""
    return (subscriptions.c.team_id == workspace.team_id) & (subscriptions.c.channel_id == channel_id)


class Subscriptions:
    def __init__(self, database: Database, now: Callable[[], datetime]) -> None:
        self.database = database
        self._now = now

    def add(self, *, team_id: str, channel_id: str, created_by: str, weekday: str,
            at_time: str, timezone_name: str, enterprise_id: str | None = None,
            form: Form = "flat") -> Subscription:
        """Add a weekly briefing; StoreError if the workspace's channel has it already or has too many.

        ``form``: threaded or flat (issue 14). The store's default is the column's, flat; the
        default for a new `/reset subscribe` (threaded) is the command's (`bot.briefings.commands`).

        Concurrent subscribes are serialised per workspace and channel (PostgreSQL: an advisory lock; SQLite:
        the insert takes the database's single write lock before the count), and a unique index
        refuses an exact duplicate whatever the application checks.
        """
        now = self._now()
        try:
            with self.database.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:c))"), {"c": f"{team_id}:{channel_id}"})
                result = conn.execute(insert(subscriptions).values(
                    team_id=team_id, enterprise_id=enterprise_id, channel_id=channel_id, created_by=created_by,
                    weekday=weekday, at_time=at_time, timezone=timezone_name, state="active", pause_reason=None,
                    created_at=now, updated_at=now, form=form))
                count = conn.execute(select(func.count()).select_from(subscriptions).where(
                    in_channel(Workspace(team_id, enterprise_id), channel_id), live_subscription)).scalar_one()
                if count > MAX_PER_CHANNEL:
                    raise StoreError(f"A channel can have at most {MAX_PER_CHANNEL} briefings; "
                                     "remove one with `/reset unsubscribe <number>` first.")
                assert result.inserted_primary_key is not None  # an insert of one row
                new_id = result.inserted_primary_key[0]
                return Subscription.from_row(
                    conn.execute(select(subscriptions).where(subscriptions.c.id == new_id)).one())
        except IntegrityError:
            raise StoreError("This channel already gets that briefing.") from None

    def in_channel(self, workspace: Workspace, channel_id: str) -> list[Subscription]:
        """A workspace's channel's live subscriptions, in the order they were made (the numbers users see)."""
        with self.database.read() as conn:
            rows = conn.execute(select(subscriptions).where(
                in_channel(workspace, channel_id), live_subscription
            ).order_by(subscriptions.c.id))
            return [Subscription.from_row(r) for r in rows]

    def live(self) -> list[Subscription]:
        """Active and paused subscriptions (paused ones are retried: the cause may be fixed); not
        held ones (paused by a person: nothing is delivered until a person resumes them)."""
        with self.database.read() as conn:
            rows = conn.execute(select(subscriptions).where(DELIVERABLE).order_by(subscriptions.c.id))
            return [Subscription.from_row(r) for r in rows]

    def count_by_state(self) -> dict[str, int]:
        """How many subscriptions are in each state (active, paused, removed), all workspaces."""
        with self.database.read() as conn:
            rows = conn.execute(select(subscriptions.c.state, func.count()).group_by(subscriptions.c.state))
            return {str(state): int(count) for state, count in rows}

    def on_schedule(self, weekday: str, at_time: str, timezone_name: str) -> list[Subscription]:
        """The live subscriptions on one weekly schedule (what one scheduler job delivers)."""
        with self.database.read() as conn:
            rows = conn.execute(select(subscriptions).where(
                (subscriptions.c.weekday == weekday) & (subscriptions.c.at_time == at_time)
                & (subscriptions.c.timezone == timezone_name) & DELIVERABLE
            ).order_by(subscriptions.c.id))
            return [Subscription.from_row(r) for r in rows]

    def created_by(self, workspace: Workspace, user_id: str) -> list[Subscription]:
        """A user's live subscriptions in one workspace (App Home lists them), oldest first."""
        with self.database.read() as conn:
            rows = conn.execute(select(subscriptions).where(
                (subscriptions.c.team_id == workspace.team_id) & (subscriptions.c.created_by == user_id)
                & live_subscription
            ).order_by(subscriptions.c.id))
            return [Subscription.from_row(r) for r in rows]

    def get(self, subscription_id: int) -> Subscription | None:
        with self.database.read() as conn:
            row = conn.execute(select(subscriptions).where(subscriptions.c.id == subscription_id)).first()
            return Subscription.from_row(row) if row else None

    def remove_workspace(self, workspace: Workspace, reason: str) -> int:
        """Stop every live subscription of a workspace the app has left (uninstalled, token revoked),
        with the reason recorded; the ledger keeps their history. Idempotent: Slack may send both
        events, in either order, and more than once. Returns how many were still live."""
        with self.database.begin() as conn:
            return conn.execute(update(subscriptions).where(
                (subscriptions.c.team_id == workspace.team_id) & (subscriptions.c.state != "removed")
            ).values(state="removed", pause_reason=reason, updated_at=self._now())).rowcount

    def set_state(self, subscription_id: int, state: State, reason: str | None = None, *,
                  only_from: tuple[State, ...] = ("active", "paused")) -> bool:
        """Change a subscription's state if it is currently one of ``only_from``.

        The condition keeps a delivery that fails after the user unsubscribed from pausing —
        and so reviving — a removed subscription.
        """
        with self.database.begin() as conn:
            result = conn.execute(update(subscriptions).where(
                (subscriptions.c.id == subscription_id) & subscriptions.c.state.in_(only_from)
            ).values(state=state, pause_reason=reason, updated_at=self._now()))
            return result.rowcount == 1
