"""The sync loop's pass over every live subscription: catch up, retry, take over, resume.

Run every `BriefingSettings.sync_interval` by `bot.scheduler.Scheduler.sync`. For each live
subscription it looks at the latest slot's ledger rows (one query for all): a slot with no row
yet is delivered with the others of its schedule (`Fanout.deliver_group`) — the bot was down or
the job misfired; a failed slot whose backoff is over, or a claim left by a dead process, goes
through `Fanout.deliver_slot` (`bot.briefings.recovery` decides which); a paused subscription
is resumed once Slack says the bot can post in its channel again.

A slot whose "was it posted?" check is waiting for its workspace's history read (Slack allows a
non-Marketplace app one a minute) is left alone until that turn comes (`recovery.retry_due` reads
the time from the row): a pass every `sync_interval` does not ask Slack, nor post, in between.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.briefings.fanout import Fanout
from bot.briefings.membership import Membership
from bot.briefings.recovery import retryable
from bot.briefings.slots import latest_slot
from bot.storage import Storage
from bot.storage.records import Delivery, Subscription
from handlers.subscriptions import describe

logger = logging.getLogger("reset_bot.briefings")

PAUSED_CHECK_INTERVAL = timedelta(minutes=5)


class CatchUp:
    def __init__(self, storage: Storage, fanout: Fanout, membership: Membership,
                 clock: Callable[[], datetime]) -> None:
        self.subscriptions, self.ledger = storage.subscriptions, storage.ledger
        self.fanout = fanout
        self.membership = membership
        self.clock = clock
        self._paused_checked: dict[int, datetime] = {}

    def run(self, live: list[Subscription]) -> None:
        """One pass over ``live`` (the live subscriptions just read). Never raises."""
        try:
            now = self.clock()
            known = self._latest_slot_rows(live, now)  # one query for all, not two per subscription
            due: dict[tuple[str, str, str, datetime], list[Subscription]] = {}
            again: list[tuple[Subscription, datetime]] = []  # retries and takeovers
            for sub in live:
                try:  # one bad row must not stop the others
                    found = self._sync_one(sub, now, known)
                    if found is not None and found[0] == "due":
                        due.setdefault((sub.weekday, sub.at_time, sub.timezone, found[1]), []).append(sub)
                    elif found is not None:
                        again.append((sub, found[1]))
                except Exception:
                    logger.exception("sync of subscription %s failed; will try again", sub.id)
            if again:  # side by side, a lane per workspace: a dead replica's share is taken over at Slack's pace
                self.fanout.deliver_slots(again)
            for (weekday, at_time, tz, slot), subs in due.items():  # caught up: delivered together, per schedule
                try:
                    self.fanout.deliver_group(slot, subs)
                except Exception:
                    logger.exception("catching up %s failed; will try again", describe(weekday, at_time, tz))
        except Exception:
            logger.exception("briefing sync failed; will try again")

    def _sync_one(self, sub: Subscription, now: datetime,
                  known: dict[int, tuple[datetime, list[Delivery]]] | None = None) -> tuple[str, datetime] | None:
        """What one subscription needs: ("due", slot) — a slot with no ledger row yet, for the caller
        to deliver with its schedule — or ("again", slot): a retry, a takeover or a resumed
        subscription's slot, for the caller to deliver one by one (`Fanout.deliver_slots`)."""
        if sub.state == "paused":
            if not self._membership_restored(sub, now):
                return None
            self.subscriptions.set_state(sub.id, "active", only_from=("paused",))
            sub = self.subscriptions.get(sub.id) or sub
            known = None  # the state changed: read this one afresh
        slot, rows = (known or {}).get(sub.id, (None, None))
        slot = slot or latest_slot(sub.weekday, sub.at_time, sub.timezone, now)
        if slot <= sub.created_at:
            return None
        if rows is None:  # not read in the batch: ask the database
            if not self.ledger.has_slot(sub.id, slot) or self._retryable(sub.id, slot):
                return "again", slot
        elif not rows:
            return "due", slot
        elif retryable(rows, slot, self.clock(), state=sub.state, config=self.fanout.config):
            return "again", slot
        return None

    def _retryable(self, subscription_id: int, slot: datetime) -> bool:
        """`retryable` for a subscription whose rows and state were not read in the batch."""
        rows = [d for d in self.ledger.rows(subscription_id=subscription_id) if d.slot_utc == slot]
        now = self.clock()
        sub = self.subscriptions.get(subscription_id)
        return retryable(rows, slot, now, state=sub.state if sub is not None else None, config=self.fanout.config)

    def _latest_slot_rows(self, live: list[Subscription], now: datetime) -> dict[int, tuple[datetime, list[Delivery]]]:
        """Each live subscription's latest slot and its ledger rows, the rows read in one query."""
        slots: dict[int, datetime] = {}
        for sub in live:
            try:
                slots[sub.id] = latest_slot(sub.weekday, sub.at_time, sub.timezone, now)
            except Exception:  # a bad row is reported by _sync_one; it must not stop the batch
                continue
        try:
            found = self.ledger.slot_rows(slots)
        except Exception:
            logger.exception("could not read the ledger in one query; checking subscriptions one by one")
            return {}
        return {sub_id: (slot, found.get(sub_id, [])) for sub_id, slot in slots.items()}

    def _membership_restored(self, sub: Subscription, now: datetime) -> bool:
        """Ask Slack (at most every few minutes per subscription) whether the bot can post again."""
        last = self._paused_checked.get(sub.id)
        if last is not None and now - last < PAUSED_CHECK_INTERVAL:
            return False
        self._paused_checked[sub.id] = now
        return self.membership.can_post(sub.workspace, sub.channel_id)
