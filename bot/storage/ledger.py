"""The delivery ledger: what makes a briefing arrive exactly once.

Before posting, a process *claims* the row ``(subscription, scheduled slot, kind)``; the unique
constraint (`bot.storage.schema.deliveries`) lets exactly one process win, whichever replica,
restart or retry gets there. The winner posts and records Slack's message ``ts``. A claim whose
owner died is taken over after ``claim_timeout``; the taker first asks Slack whether the message
went out (`bot.briefings.recovery`), so a crash between posting and recording does not post
twice. Every outcome — sent, failed, missed, skipped — stays in the ledger; nothing is deleted
(an unsubscribed subscription is marked, not removed). The posting side of the protocol — who
claims what, when, and in which order it checks and records — is `bot.briefings.fanout`.

Every row carries its workspace (team, and enterprise for an org-wide install): a scheduled row
its subscription's, a send-now the asker's. What a channel was last sent, and the one send-now a
second, are per (workspace, channel).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, Text, bindparam, exists, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from bot.storage.records import TRANSIENT, Delivery, DeliveryStatus, Finished, Kind, Subscription, Workspace, utc
from bot.storage.schema import Database, deliveries, subscriptions
from bot.telemetry import DELIVERIES

# A claim is a process's only while the row is still claimed by it *in that attempt*: a takeover
# or a retry bumps `attempts`, so an older claim object of the same process (a briefing queued in
# a long fan-out while the sync loop took its stale claim over) no longer matches.
_claim_is_mine = ((deliveries.c.id == bindparam("claim_id")) & (deliveries.c.owner == bindparam("claim_owner"))
                  & (deliveries.c.attempts == bindparam("claim_attempts"))
                  & (deliveries.c.status == DeliveryStatus.CLAIMED))
# … and a scheduled one is worth posting only while its subscription is live (not unsubscribed)
# and not held (paused by a person from App Home while the fan-out ran).
_subscription_live = deliveries.c.subscription_id.is_(None) | exists().where(
    (subscriptions.c.id == deliveries.c.subscription_id) & subscriptions.c.state.in_(("active", "paused")))

# An alert's firing (kind "alert", `bot.storage.alerts`) shares the ledger but is not a briefing:
# what a channel was last *briefed* — the base of "what changed" — never is one.
_a_briefing = deliveries.c.kind != "alert"

# The statements every briefing runs, built once with bind parameters. Building an expression
# (`deliveries.c.id == …`) and its cache key costs more CPU than SQLite's whole update; a
# prebuilt statement skips both (measured: 0.55 → 0.25 ms per `finish`).
# The last check before an attempt calls Slack: the claim is still this attempt's and the
# subscription live — and from now on the row may have been posted (schema v12).
_START = update(deliveries).where(_claim_is_mine & _subscription_live).values(posting_started=True)
_START_RENEWED = _START.values(claimed_at=bindparam("at"))
_RENEW_HELD = update(deliveries).where(_claim_is_mine).values(claimed_at=bindparam("at"))
# A threaded briefing's parent ts is recorded before its replies (`record_parent`): an outcome
# without a ts (a reply failed) keeps it, and one without parts keeps those recorded.
_FINISH = update(deliveries).where(_claim_is_mine).values(
    status=bindparam("new_status"), message_ts=func.coalesce(bindparam("ts", type_=String), deliveries.c.message_ts),
    error=bindparam("why"), finished_at=bindparam("at"), data_version=bindparam("version"),
    headline_json=bindparam("headline"),
    parts_json=func.coalesce(bindparam("parts", type_=Text), deliveries.c.parts_json))
# Issue 14: the parent of a threaded briefing is out — its ts is written at once, the claim renewed.
_PARENT = update(deliveries).where(_claim_is_mine).values(
    message_ts=bindparam("ts"), form="threaded", claimed_at=bindparam("at"))


def _mine(delivery: Delivery) -> dict[str, Any]:
    return {"claim_id": delivery.id, "claim_owner": delivery.owner, "claim_attempts": delivery.attempts}


def _workspace_of(subscription_id: int | None, workspace: Workspace | None) -> dict[str, Any]:
    """A new row's workspace columns: the one given, else read from its subscription in the insert."""
    if workspace is not None:
        return {"team_id": workspace.team_id, "enterprise_id": workspace.enterprise_id}
    if subscription_id is None:
        raise ValueError("a ledger row without a subscription must name its workspace")
    of_sub = subscriptions.c.id == subscription_id
    return {"team_id": select(subscriptions.c.team_id).where(of_sub).scalar_subquery(),
            "enterprise_id": select(subscriptions.c.enterprise_id).where(of_sub).scalar_subquery()}


class Ledger:
    def __init__(self, database: Database, now: Callable[[], datetime]) -> None:
        self.database = database
        self._now = now

    def claim(self, *, subscription_id: int | None, channel_id: str, slot_utc: datetime, kind: Kind,
              owner: str, claim_timeout: timedelta, retry_failed: int = 0,
              workspace: Workspace | None = None) -> Delivery | None:
        """Claim a slot for delivery; None if another process holds (or finished) it.

        The row is the ``workspace``'s; without one, its subscription's (a send-now must name one).

        A claim older than ``claim_timeout`` is taken over (its owner died); a failed delivery
        is re-claimed while it has had fewer than ``retry_failed`` attempts, or — with any
        ``retry_failed`` — whatever its attempts if it failed for a reason that was not Slack's
        refusal (its error starts with `TRANSIENT`: an outage, a timeout, the bot stopping).
        When a retry is due is the caller's decision (`bot.briefings.recovery` backs off).
        """
        now = self._now()
        slot_utc = utc(slot_utc)
        values = dict(subscription_id=subscription_id, channel_id=channel_id, slot_utc=slot_utc, kind=kind,
                      status=DeliveryStatus.CLAIMED, owner=owner, claimed_at=now, attempts=1,
                      posting_started=False, **_workspace_of(subscription_id, workspace))
        try:
            with self.database.begin() as conn:  # RETURNING: the new row without a second query
                new = conn.execute(insert(deliveries).values(**values).returning(*deliveries.c)).one()
                return Delivery.from_row(new)
        except IntegrityError:
            pass  # someone has this slot already: maybe it can be taken over
        key = ((deliveries.c.subscription_id == subscription_id) & (deliveries.c.slot_utc == slot_utc)
               & (deliveries.c.kind == kind))
        stale = (deliveries.c.status == DeliveryStatus.CLAIMED) & (deliveries.c.claimed_at < now - claim_timeout)
        retry = (deliveries.c.status == DeliveryStatus.FAILED) & (deliveries.c.attempts < retry_failed)
        if retry_failed > 0:
            retry = retry | ((deliveries.c.status == DeliveryStatus.FAILED)
                             & deliveries.c.error.startswith(TRANSIENT, autoescape=True))
        with self.database.begin() as conn:
            row = conn.execute(select(deliveries).where(key)).first()
            if row is None:
                return None
            result = conn.execute(update(deliveries).where(key & (stale | retry)).values(
                status=DeliveryStatus.CLAIMED, owner=owner, claimed_at=now, attempts=deliveries.c.attempts + 1))
            if result.rowcount != 1:
                return None
            taken = Delivery.from_row(conn.execute(select(deliveries).where(key)).one())
            return Delivery(**{**taken.__dict__, "taken_over": row.status == DeliveryStatus.CLAIMED})

    def claim_slots(self, subs: Sequence[Subscription], slot_utc: datetime, *, owner: str) -> dict[int, Delivery]:
        """Claim one scheduled slot for many subscriptions in one transaction.

        Returns the claims won, by subscription id: the slots that had no ledger row yet. A slot
        that has one (delivered by another replica, failed, or claimed by a process that may have
        died) is left out for the caller to look at — `claim` decides retries and takeovers.
        Exactly the rows `claim` would insert, so either can follow the other.
        """
        if not subs:
            return {}
        now, slot = self._now(), utc(slot_utc)
        rows = [dict(subscription_id=s.id, channel_id=s.channel_id, slot_utc=slot, kind="scheduled",
                     status=DeliveryStatus.CLAIMED, owner=owner, claimed_at=now, attempts=1, posting_started=False,
                     team_id=s.team_id, enterprise_id=s.enterprise_id) for s in subs]
        new_rows = (sqlite_insert if self.database.dialect == "sqlite" else postgresql_insert)(deliveries)
        with self.database.begin() as conn:  # ON CONFLICT DO NOTHING: a slot with a row is skipped, not an error
            won = conn.execute(new_rows.on_conflict_do_nothing().returning(*deliveries.c), rows).all()
        return {row.subscription_id: Delivery.from_row(row) for row in won}

    def release(self, claims: Sequence[Delivery], reason: str) -> int:
        """Give back claims that were never posted (the bot is stopping, or failed before posting), in
        one statement: recorded as failed without using up an attempt, so the next sync — here or
        in another replica — delivers them. Returns how many were still this process's to give back."""
        groups: dict[tuple[str, int], list[int]] = {}
        for claim in claims:  # one statement per (owner, attempt): usually a single one
            groups.setdefault((claim.owner, claim.attempts), []).append(claim.id)
        released = 0
        with self.database.begin() as conn:
            for (owner, attempts), ids in groups.items():
                for start in range(0, len(ids), 500):
                    released += conn.execute(update(deliveries).where(
                        deliveries.c.id.in_(ids[start:start + 500]) & (deliveries.c.owner == owner)
                        & (deliveries.c.attempts == attempts) & (deliveries.c.status == DeliveryStatus.CLAIMED)
                    ).values(status=DeliveryStatus.FAILED, error=reason, finished_at=self._now(),
                             attempts=deliveries.c.attempts - 1)).rowcount
        return released

    def still_mine(self, delivery: Delivery, *, renew: bool = True) -> bool:
        """Just before posting: does this process still hold the claim (not taken over, not retried
        elsewhere), and is its subscription still live? If so the row is marked as possibly posted
        from now on (a takeover must then ask Slack), and ``renew`` also restarts the claim's
        timeout — one write either way."""
        # SQLite: the lighter-syncing engine. A power cut (not a crash: the OS keeps the write) in
        # the moment after this mark could lose it, and a takeover would then post without asking
        # Slack first; the mark's fsync per briefing cost more than the post's ledger work.
        with self.database.begin(lighter_sync=True) as conn:
            if renew:
                return conn.execute(_START_RENEWED, {**_mine(delivery), "at": self._now()}).rowcount == 1
            return conn.execute(_START, _mine(delivery)).rowcount == 1

    def renew_many(self, claims: Sequence[Delivery]) -> int:
        """Restart the timeout of claims this process still holds, in one statement: a fan-out's
        lease on the briefings still queued behind its workspaces' pacing (`Fanout`), so no live
        replica's queued claim looks like a dead process's. Returns how many were still held."""
        if not claims:
            return 0
        now = self._now()
        with self.database.begin() as conn:  # an executemany: its row counts add up (SQLite, psycopg)
            return int(conn.execute(_RENEW_HELD, [{**_mine(claim), "at": now} for claim in claims]).rowcount)

    def finish(self, delivery: Delivery, status: DeliveryStatus, *, ts: str | None = None, error: str | None = None,
               data_version: str | None = None, headline: dict[str, Any] | None = None,
               parts: dict[str, str] | None = None) -> bool:
        """Record the outcome; only the current owner of the claim may (False if it lost it)."""
        return not self.finish_many([(delivery, Finished(status, ts, error, data_version, headline, parts))])

    def finish_many(self, outcomes: Sequence[tuple[Delivery, Finished]]) -> list[Delivery]:
        """`finish` for many claims in one statement (an executemany); returns those that were no
        longer this process's to record."""
        if not outcomes:
            return []
        now = self._now()
        rows = [{**_mine(delivery), "new_status": outcome.status, "ts": outcome.ts, "why": outcome.error, "at": now,
                 "version": outcome.data_version,
                 "headline": json.dumps(outcome.headline) if outcome.headline is not None else None,
                 "parts": json.dumps(outcome.parts, sort_keys=True) if outcome.parts is not None else None}
                for delivery, outcome in outcomes]
        with self.database.begin() as conn:  # the row counts of an executemany add up (SQLite, psycopg)
            if conn.execute(_FINISH, rows).rowcount == len(rows):
                _count(outcomes, now)
                return []
        # Some were not recorded (taken over meanwhile): find which. Rare, so a second query is fine.
        with self.database.read() as conn:
            recorded = {(row.id, row.owner, row.attempts) for row in conn.execute(
                select(deliveries.c.id, deliveries.c.owner, deliveries.c.attempts).where(
                    deliveries.c.id.in_([d.id for d, _ in outcomes])
                    & (deliveries.c.status != DeliveryStatus.CLAIMED)))}
        lost = [d for d, _ in outcomes if (d.id, d.owner, d.attempts) not in recorded]
        _count([(d, o) for d, o in outcomes if d not in lost], now)
        return lost

    def record_parent(self, delivery: Delivery, ts: str) -> bool:
        """A threaded briefing's parent message is in Slack: record its ts on the claimed row at once
        (and restart the claim's timeout), before any reply is posted, so whoever finishes the unit
        after a crash posts only the replies. False if the claim is no longer this attempt's."""
        with self.database.begin() as conn:
            return conn.execute(_PARENT, {**_mine(delivery), "ts": ts, "at": self._now()}).rowcount == 1

    def record_parts(self, delivery: Delivery, parts: dict[str, str]) -> bool:
        """The thread replies of a threaded briefing that went out before an attempt failed; False
        if the claim is no longer this attempt's."""
        with self.database.begin() as conn:
            return conn.execute(update(deliveries).where(_claim_is_mine).values(
                parts_json=json.dumps(parts, sort_keys=True)), _mine(delivery)).rowcount == 1

    def record(self, *, subscription_id: int, channel_id: str, slot_utc: datetime, status: DeliveryStatus,
               owner: str, error: str) -> bool:
        """Record a slot that will not be delivered (missed, skipped); False if it already has a row."""
        now = self._now()
        try:
            with self.database.begin() as conn:
                conn.execute(insert(deliveries).values(
                    subscription_id=subscription_id, channel_id=channel_id, slot_utc=utc(slot_utc), kind="scheduled",
                    status=status, owner=owner, claimed_at=now, finished_at=now, attempts=0, error=error,
                    **_workspace_of(subscription_id, None)))
            DELIVERIES.labels("briefing", str(status)).inc()
            return True
        except IntegrityError:
            return False

    def has_slot(self, subscription_id: int, slot_utc: datetime) -> bool:
        with self.database.read() as conn:
            return conn.execute(select(deliveries.c.id).where(
                (deliveries.c.subscription_id == subscription_id) & (deliveries.c.slot_utc == utc(slot_utc))
                & (deliveries.c.kind == "scheduled"))).first() is not None

    def slot_rows(self, slots: dict[int, datetime]) -> dict[int, list[Delivery]]:
        """The scheduled ledger rows of each subscription's given slot, in one query (`sync` asks for
        every live subscription's latest slot on each pass; one query per subscription was an N+1)."""
        wanted = {(sub_id, utc(slot)) for sub_id, slot in slots.items()}
        found: dict[int, list[Delivery]] = {sub_id: [] for sub_id in slots}
        if not wanted:
            return found
        since = min(slot for _, slot in wanted)
        with self.database.read() as conn:
            rows = conn.execute(select(deliveries).where(
                (deliveries.c.kind == "scheduled") & (deliveries.c.slot_utc >= since)
            ).order_by(deliveries.c.slot_utc, deliveries.c.id))
            for row in rows:
                if (row.subscription_id, utc(row.slot_utc)) in wanted:
                    found[row.subscription_id].append(Delivery.from_row(row))
        return found

    def rows(self, subscription_id: int | None = None, channel_id: str | None = None,
             workspace: Workspace | None = None) -> list[Delivery]:
        """Ledger rows, oldest slot first: all of them, or one subscription's, or one workspace's (or
        one workspace's channel's). A channel id alone matches that id in every workspace."""
        query = select(deliveries).order_by(deliveries.c.slot_utc, deliveries.c.id)
        if subscription_id is not None:
            query = query.where(deliveries.c.subscription_id == subscription_id)
        if workspace is not None:
            query = query.where(deliveries.c.team_id == workspace.team_id)
        if channel_id is not None:
            query = query.where(deliveries.c.channel_id == channel_id)
        with self.database.read() as conn:
            return [Delivery.from_row(r) for r in conn.execute(query)]

    def last_sent(self, workspace: Workspace, channel_id: str) -> Delivery | None:
        """The workspace's channel's latest delivered briefing (its numbers are the base for "what changed")."""
        with self.database.read() as conn:
            row = conn.execute(select(deliveries).where(
                (deliveries.c.team_id == workspace.team_id) & (deliveries.c.channel_id == channel_id)
                & (deliveries.c.status == DeliveryStatus.SENT) & _a_briefing
            ).order_by(deliveries.c.finished_at.desc(), deliveries.c.id.desc()).limit(1)).first()
            return Delivery.from_row(row) if row else None

    def last_sent_many(self, subscription_ids: Sequence[int]) -> dict[tuple[str, str], Delivery]:
        """`last_sent` for the channels of many subscriptions in one query, by (team id, channel id).

        A correlated sub-query finds each channel's latest sent row through the channel index,
        so the cost grows with the number of channels, not with the ledger's history."""
        found: dict[tuple[str, str], Delivery] = {}
        latest = (select(deliveries.c.id)
                  .where((deliveries.c.team_id == subscriptions.c.team_id)
                         & (deliveries.c.channel_id == subscriptions.c.channel_id)
                         & (deliveries.c.status == DeliveryStatus.SENT) & _a_briefing)
                  .order_by(deliveries.c.finished_at.desc(), deliveries.c.id.desc()).limit(1)
                  .correlate(subscriptions).scalar_subquery())
        with self.database.read() as conn:
            for start in range(0, len(subscription_ids), 500):  # bounded IN lists
                chunk = list(subscription_ids[start:start + 500])
                ids = select(latest).where(subscriptions.c.id.in_(chunk))
                for row in conn.execute(select(deliveries).where(deliveries.c.id.in_(ids))):
                    found[(row.team_id, row.channel_id)] = Delivery.from_row(row)
        return found


#: A briefing posted more than this after its slot counts as ``late`` in `/metrics` (a fan-out of
#: thousands of channels at Slack's pace takes minutes; a catch-up after an outage, longer).
LATE_AFTER = timedelta(minutes=15)


def _count(outcomes: Sequence[tuple[Delivery, Finished]], now: datetime) -> None:
    """The recorded outcomes, for `reset_bot_deliveries_total` (`bot.telemetry`)."""
    for delivery, outcome in outcomes:
        status = str(outcome.status)
        if status == DeliveryStatus.SENT and now - utc(delivery.slot_utc) > LATE_AFTER:
            status = "late"
        elif status == DeliveryStatus.FAILED and (outcome.error or "").startswith(TRANSIENT):
            status = "retrying"  # an outage or timeout: the sync loop tries again within the grace
        DELIVERIES.labels("briefing", status).inc()
