"""The values the database hands out and takes in: workspaces, subscriptions, ledger rows, outcomes, errors.

Small frozen dataclasses, so that nothing above `bot/storage/` sees a SQLAlchemy row. The
delivery statuses are a `StrEnum`: the ledger stores exactly these strings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any, Literal

#: The prefix of a failed delivery's error when the failure was not Slack refusing the post (an
#: outage, a timeout, the bot stopping): such a slot is retried for the whole grace period.
TRANSIENT = "transient: "

#: "held": paused by a person (App Home); unlike "paused" (the bot could not post) it is not retried
#: or resumed by the bot, only by a person.
State = Literal["active", "paused", "held", "removed"]
Kind = Literal["scheduled", "now"]
#: How a briefing is posted (issue 14): "threaded" — the headline at the top level and the topic,
#: chart and sources as replies in its thread; "flat" — one message, as before.
Form = Literal["threaded", "flat"]
FORMS: tuple[Form, ...] = ("threaded", "flat")


@dataclass(frozen=True)
class Workspace:
    """Whose subscription, ledger row or Slack call it is: a Slack workspace (team), and its
    Enterprise Grid organisation for an org-wide install. Team ids are unique across Slack, so
    ``team_id`` alone is what queries are scoped by; ``enterprise_id`` travels with it for the
    token lookup of org-wide installs."""

    team_id: str
    enterprise_id: str | None = None


class DeliveryStatus(StrEnum):
    """What a ledger row says about its slot (the stored value is the member's string)."""

    CLAIMED = "claimed"  # a process is delivering it (or died doing so: taken over after the timeout)
    SENT = "sent"
    FAILED = "failed"
    MISSED = "missed"  # the bot was down for longer than the grace period
    SKIPPED = "skipped"  # unsubscribed before posting, or a wall-clock time that came round twice


@dataclass(frozen=True)
class Subscription:
    id: int
    team_id: str
    channel_id: str
    created_by: str
    weekday: str
    at_time: str
    timezone: str
    state: State
    pause_reason: str | None
    created_at: datetime
    enterprise_id: str | None = None
    form: Form = "flat"  # the column's default: what every subscription from before schema v9 gets

    @property
    def workspace(self) -> Workspace:
        return Workspace(self.team_id, self.enterprise_id)

    @staticmethod
    def from_row(row: Any) -> Subscription:
        return Subscription(id=row.id, team_id=row.team_id, channel_id=row.channel_id, created_by=row.created_by,
                            weekday=row.weekday, at_time=row.at_time, timezone=row.timezone, state=row.state,
                            pause_reason=row.pause_reason, created_at=utc(row.created_at),
                            enterprise_id=row.enterprise_id, form="threaded" if row.form == "threaded" else "flat")


@dataclass(frozen=True)
class Delivery:
    """One ledger row: a slot of a subscription (or a send-now) and what became of it."""

    id: int
    subscription_id: int | None
    channel_id: str
    slot_utc: datetime
    kind: Kind
    status: DeliveryStatus
    owner: str
    claimed_at: datetime
    attempts: int
    message_ts: str | None
    error: str | None
    data_version: str | None
    headline: dict[str, Any] | None
    taken_over: bool = False  # this process took the claim over from a dead owner
    finished_at: datetime | None = None  # when the last attempt ended (retries back off from it)
    # The workspace it was (or is to be) posted in. None only for send-now rows older than schema
    # version 5 whose team could not be worked out (`bot.storage.schema`): history, never posted again.
    team_id: str | None = None
    enterprise_id: str | None = None
    # Schema v9 (issue 14): "threaded" once a threaded briefing's parent is out (``message_ts`` is
    # then the parent's, recorded before any reply is posted); None for a flat one or nothing posted.
    form: Form | None = None
    parts: dict[str, str] | None = None  # the thread replies that went out: part name → ts or file id
    # Schema v12: an attempt reached the last check before calling Slack, so it may have posted;
    # False only when no attempt got that far (then a takeover posts without asking Slack first).
    may_have_posted: bool = True

    @property
    def workspace(self) -> Workspace:
        return Workspace(self.team_id or "", self.enterprise_id)

    @staticmethod
    def from_row(row: Any) -> Delivery:
        return Delivery(id=row.id, subscription_id=row.subscription_id, channel_id=row.channel_id,
                        slot_utc=utc(row.slot_utc), kind=row.kind, status=DeliveryStatus(row.status), owner=row.owner,
                        claimed_at=utc(row.claimed_at), attempts=row.attempts, message_ts=row.message_ts,
                        error=row.error, data_version=row.data_version,
                        headline=json.loads(row.headline_json) if row.headline_json else None,
                        finished_at=utc(row.finished_at) if row.finished_at is not None else None,
                        team_id=row.team_id, enterprise_id=row.enterprise_id,
                        form="threaded" if row.form == "threaded" else None,
                        parts=json.loads(row.parts_json) if row.parts_json else None,
                        may_have_posted=getattr(row, "posting_started", None) is not False)


@dataclass(frozen=True)
class Finished:
    """What became of a claimed slot, as `bot.storage.ledger.Ledger.finish_many` records it."""

    status: DeliveryStatus
    ts: str | None = None
    error: str | None = None
    data_version: str | None = None
    headline: dict[str, Any] | None = None
    parts: dict[str, str] | None = None  # a threaded briefing's replies that went out (None: keep what is stored)


class StoreError(ValueError):
    """A subscription cannot be changed as asked (the message is for the user)."""


class StoreUnavailable(StoreError):
    """The database cannot be read or written as it must be — the SQLite file was deleted or
    replaced under the running bot, it is read-only, the server is unreachable. Whatever the
    operation was, it must not be confirmed to anyone: after a restart it would not be there."""


def utc(value: datetime) -> datetime:
    """Timezone-aware UTC (SQLite returns naive datetimes)."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
