"""Threshold alerts in SQL: the alerts of each workspace's channels, and the claim of a firing.

An alert belongs to a workspace (team, and enterprise for an org-wide install) and a channel, as
a subscription does; everything asked by channel is asked by workspace and channel, so a command
from workspace B never lists or removes workspace A's alerts.

State changes are compare-and-set (`transition`): each names the state and ``since`` it expects,
so two replicas evaluating the same data at once make one change, and a replica serving older data
cannot undo a newer one's. A firing is a row of **the delivery ledger** (`reset_deliveries`, kind
``alert``, ``alert_id``, ``slot_utc`` = the start of the observation's period): `claim_firing`
inserts it under the unique index ``(alert_id, slot_utc) WHERE kind = 'alert'``, so one process
wins per alert and observation; everything after the claim — checking it is still one's own,
recording the outcome, giving it back — is the ledger's own (`bot.storage.ledger.Ledger`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from bot.storage.records import TRANSIENT, Delivery, DeliveryStatus, StoreError, Workspace, utc
from bot.storage.schema import Database, alerts, deliveries

AlertState = Literal["armed", "fired", "paused", "removed"]
ALERT_KIND = "alert"


@dataclass(frozen=True)
class Alert:
    id: int
    team_id: str
    enterprise_id: str | None
    channel_id: str
    created_by: str
    series: str
    direction: Literal["above", "below"]
    threshold: float
    margin: float
    state: AlertState
    pause_reason: str | None
    since: str
    fired_period: str | None
    fired_value: float | None
    fired_version: str | None
    fired_ts: str | None
    created_at: datetime

    @property
    def workspace(self) -> Workspace:
        return Workspace(self.team_id, self.enterprise_id)

    @staticmethod
    def from_row(row: Any) -> Alert:
        return Alert(id=row.id, team_id=row.team_id, enterprise_id=row.enterprise_id, channel_id=row.channel_id,
                     created_by=row.created_by, series=row.series, direction=row.direction,
                     threshold=float(row.threshold), margin=float(row.margin), state=row.state,
                     pause_reason=row.pause_reason, since=row.since or "", fired_period=row.fired_period,
                     fired_value=row.fired_value, fired_version=row.fired_version, fired_ts=row.fired_ts,
                     created_at=utc(row.created_at))


class Alerts:
    def __init__(self, database: Database, now: Callable[[], datetime]) -> None:
        self.database = database
        self._now = now

    def add(self, *, workspace: Workspace, channel_id: str, created_by: str, series: str, direction: str,
            threshold: float, margin: float, state: AlertState, since: str, limit: int) -> Alert:
        """A new alert; StoreError if the channel has ``limit`` live alerts or the same one already."""
        now = self._now()
        try:
            return self._add(workspace=workspace, channel_id=channel_id, created_by=created_by, series=series,
                             direction=direction, threshold=threshold, margin=margin, state=state, since=since,
                             limit=limit, now=now)
        except IntegrityError:  # a concurrent twin got in first (the unique index `one_alert_per_line`)
            raise StoreError("This channel has that alert already; `/reset alerts` lists them.") from None

    def _add(self, *, workspace: Workspace, channel_id: str, created_by: str, series: str, direction: str,
             threshold: float, margin: float, state: AlertState, since: str, limit: int, now: datetime) -> Alert:
        """Concurrent adds are serialised per workspace and channel, as subscribes are (PostgreSQL: an
        advisory lock; SQLite: the insert takes the single write lock before the count), so two at
        once cannot both pass a channel's last free place."""
        with self.database.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:c))"),
                             {"c": f"alerts:{workspace.team_id}:{channel_id}"})
            row = conn.execute(insert(alerts).values(
                team_id=workspace.team_id, enterprise_id=workspace.enterprise_id, channel_id=channel_id,
                created_by=created_by, series=series, direction=direction, threshold=threshold, margin=margin,
                state=state, since=since, created_at=now, updated_at=now).returning(*alerts.c)).one()
            live = [Alert.from_row(r) for r in conn.execute(select(alerts).where(
                (alerts.c.team_id == workspace.team_id) & (alerts.c.channel_id == channel_id)
                & (alerts.c.state != "removed") & (alerts.c.id != row.id)))]
            if any(a.series == series and a.direction == direction and a.threshold == threshold for a in live):
                raise StoreError("This channel has that alert already; `/reset alerts` lists them.")
            if len(live) >= limit:  # the insert is rolled back with the transaction
                raise StoreError(f"This channel has {limit} alerts already, the most it can have; "
                                 "`/reset alert remove N` stops one.")
        return Alert.from_row(row)

    def get(self, alert_id: int) -> Alert | None:
        with self.database.read() as conn:
            row = conn.execute(select(alerts).where(alerts.c.id == alert_id)).first()
        return Alert.from_row(row) if row else None

    def in_channel(self, workspace: Workspace, channel_id: str) -> list[Alert]:
        """The workspace's channel's live alerts, oldest first (their numbers in `/reset alerts`)."""
        with self.database.read() as conn:
            return [Alert.from_row(r) for r in conn.execute(select(alerts).where(
                (alerts.c.team_id == workspace.team_id) & (alerts.c.channel_id == channel_id)
                & (alerts.c.state != "removed")).order_by(alerts.c.id))]

    def live(self) -> list[Alert]:
        """Every alert not removed, of every workspace: what an evaluation looks at."""
        with self.database.read() as conn:
            return [Alert.from_row(r) for r in conn.execute(
                select(alerts).where(alerts.c.state != "removed").order_by(alerts.c.id))]

    def count_by_state(self) -> dict[str, int]:
        """How many alerts are in each state (armed, fired, paused, removed), all workspaces."""
        with self.database.read() as conn:
            rows = conn.execute(select(alerts.c.state, func.count()).group_by(alerts.c.state))
            return {str(state): int(count) for state, count in rows}

    def remove(self, alert: Alert) -> bool:
        """Mark removed (never deleted: its firings stay in the ledger); False if it was already."""
        with self.database.begin() as conn:
            return conn.execute(update(alerts).where((alerts.c.id == alert.id) & (alerts.c.state != "removed"))
                                .values(state="removed", updated_at=self._now())).rowcount == 1

    def remove_workspace(self, workspace: Workspace, reason: str) -> int:
        """Stop every alert of a workspace the app has left, with the reason (idempotent, as
        `bot.storage.subscriptions.Subscriptions.remove_workspace`). Returns how many were live."""
        with self.database.begin() as conn:
            return conn.execute(update(alerts).where(
                (alerts.c.team_id == workspace.team_id) & (alerts.c.state != "removed")
            ).values(state="removed", pause_reason=reason, updated_at=self._now())).rowcount

    def transition(self, alert: Alert, *, state: AlertState, since: str | None = None,
                   pause_reason: str | None = None, fired: tuple[str, float, str, str | None] | None = None) -> bool:
        """Move ``alert`` from the state and ``since`` it was read with to ``state``; False if another
        process changed it meanwhile (or it was removed). ``fired``: (period, value, data version, ts)."""
        values: dict[str, Any] = {"state": state, "pause_reason": pause_reason, "updated_at": self._now()}
        if since is not None:
            values["since"] = since
        if fired is not None:
            values.update(fired_period=fired[0], fired_value=fired[1], fired_version=fired[2], fired_ts=fired[3])
        with self.database.begin() as conn:
            return conn.execute(update(alerts).where(
                (alerts.c.id == alert.id) & (alerts.c.state == alert.state) & (alerts.c.since == alert.since)
            ).values(**values)).rowcount == 1

    # ---- the ledger side -------------------------------------------------------------------
    def claim_firing(self, alert: Alert, slot_utc: datetime, *, owner: str, claim_timeout: timedelta,
                     retry_failed: int) -> Delivery | None:
        """Claim the ledger row of ``alert`` firing on the observation starting at ``slot_utc``; None if
        another process holds or finished it. As `bot.storage.ledger.Ledger.claim` does for a slot: a
        claim older than ``claim_timeout`` is taken over (``taken_over``), a failed one re-claimed while it
        has had fewer than ``retry_failed`` attempts or failed for a transient reason."""
        now, slot = self._now(), utc(slot_utc)
        try:
            with self.database.begin() as conn:
                row = conn.execute(insert(deliveries).values(
                    subscription_id=None, alert_id=alert.id, channel_id=alert.channel_id, slot_utc=slot,
                    kind=ALERT_KIND, status=DeliveryStatus.CLAIMED, owner=owner, claimed_at=now, attempts=1,
                    team_id=alert.team_id, enterprise_id=alert.enterprise_id).returning(*deliveries.c)).one()
                return Delivery.from_row(row)
        except IntegrityError:
            pass  # fired (or firing) on this observation already: maybe it can be taken over
        key = (deliveries.c.alert_id == alert.id) & (deliveries.c.slot_utc == slot) & (deliveries.c.kind == ALERT_KIND)
        stale = (deliveries.c.status == DeliveryStatus.CLAIMED) & (deliveries.c.claimed_at < now - claim_timeout)
        retry = (deliveries.c.status == DeliveryStatus.FAILED) & (
            (deliveries.c.attempts < retry_failed) | deliveries.c.error.startswith(TRANSIENT, autoescape=True))
        with self.database.begin() as conn:
            before = conn.execute(select(deliveries).where(key)).first()
            if before is None or conn.execute(update(deliveries).where(key & (stale | retry)).values(
                    status=DeliveryStatus.CLAIMED, owner=owner, claimed_at=now,
                    attempts=deliveries.c.attempts + 1)).rowcount != 1:
                return None
            taken = Delivery.from_row(conn.execute(select(deliveries).where(key)).one())
        return Delivery(**{**taken.__dict__, "taken_over": before.status == DeliveryStatus.CLAIMED})

    def firing(self, alert_id: int, slot_utc: datetime) -> Delivery | None:
        """The ledger row of an alert's firing on one observation, if there is one."""
        with self.database.read() as conn:
            row = conn.execute(select(deliveries).where(
                (deliveries.c.alert_id == alert_id) & (deliveries.c.slot_utc == utc(slot_utc))
                & (deliveries.c.kind == ALERT_KIND))).first()
        return Delivery.from_row(row) if row else None

    def firings(self, alert_id: int) -> list[Delivery]:
        """Every ledger row of an alert, oldest observation first."""
        with self.database.read() as conn:
            return [Delivery.from_row(r) for r in conn.execute(select(deliveries).where(
                (deliveries.c.alert_id == alert_id) & (deliveries.c.kind == ALERT_KIND)
            ).order_by(deliveries.c.slot_utc, deliveries.c.id))]

