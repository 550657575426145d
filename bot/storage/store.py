"""Subscriptions and the delivery ledger, in SQL through SQLAlchemy 2.

SQLite by default (a file in the state directory), PostgreSQL (psycopg 3) when several replicas
share one database. The schema is versioned and upgraded by the app at start (`migrate`).

The ledger is what makes a briefing arrive exactly once. Before posting, a process *claims*
the row ``(subscription, scheduled slot, kind)``; the unique constraint lets exactly one
process win, whichever replica, restart or retry gets there. The winner posts and records
Slack's message ``ts``. A claim whose owner died is taken over after ``claim_timeout``; the
taker first asks Slack whether the message went out (see `bot.briefings.service`), so a crash between
posting and recording does not post twice. Every outcome — sent, failed, missed, skipped —
stays in the ledger; nothing is deleted (an unsubscribed subscription is marked, not removed).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    create_engine,
    delete,
    event,
    exists,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError

logger = logging.getLogger("reset_bot.store")

SCHEMA_VERSION = 4
MIN_SQLITE = (3, 35)
MAX_PER_CHANNEL = 3  # a few per channel: more is almost always a mistake
#: The prefix of a failed delivery's error when the failure was not Slack refusing the post (an
#: outage, a timeout, the bot stopping): such a slot is retried for the whole grace period.
TRANSIENT = "transient: "

State = Literal["active", "paused", "removed"]
DeliveryStatus = Literal["claimed", "sent", "failed", "missed", "skipped"]
Kind = Literal["scheduled", "now"]

metadata = MetaData()

schema_version = Table(
    "reset_schema_version", metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
)

subscriptions = Table(
    "reset_subscriptions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", String(32), nullable=False),
    Column("channel_id", String(32), nullable=False, index=True),
    Column("created_by", String(32), nullable=False),
    Column("weekday", String(3), nullable=False),  # mon … sun
    Column("at_time", String(5), nullable=False),  # "HH:MM", local to `timezone`
    Column("timezone", String(64), nullable=False),  # IANA name
    Column("state", String(16), nullable=False, default="active"),
    Column("pause_reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

deliveries = Table(
    "reset_deliveries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subscription_id", Integer, ForeignKey("reset_subscriptions.id")),  # None for a send-now
    Column("channel_id", String(32), nullable=False),
    Column("slot_utc", DateTime(timezone=True), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("owner", String(64), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, default=1),
    Column("message_ts", String(32)),
    Column("error", Text),
    Column("data_version", String(32)),
    Column("headline_json", Text),  # the numbers sent, to say what changed next time
    UniqueConstraint("subscription_id", "slot_utc", "kind", name="reset_deliveries_one_per_slot"),
)

# Version 2: the database itself refuses what concurrent requests could otherwise slip past the
# application's checks — the same briefing twice in a channel, and two send-nows in one second
# (NULL subscription ids are distinct under the unique constraint above).
_live = subscriptions.c.state != "removed"
one_schedule_per_channel = Index(
    "reset_subscriptions_one_schedule", subscriptions.c.channel_id, subscriptions.c.weekday,
    subscriptions.c.at_time, subscriptions.c.timezone, unique=True, sqlite_where=_live, postgresql_where=_live)
_now_kind = deliveries.c.kind == "now"
one_send_now_per_second = Index(
    "reset_deliveries_one_send_now", deliveries.c.channel_id, deliveries.c.slot_utc, unique=True,
    sqlite_where=_now_kind, postgresql_where=_now_kind)
# Version 3: `last_sent` (run for every briefing) finds a channel's latest delivery by index
# instead of scanning the whole ledger, which grows by one row per channel every week.
deliveries_by_channel = Index(
    "reset_deliveries_by_channel", deliveries.c.channel_id, deliveries.c.status, deliveries.c.finished_at)
# Version 4: signed requests already seen (issue 10). A request Slack signed is processed once,
# whichever replica receives it: its (timestamp, signature) pair — and an event's id, which
# Slack's own retries repeat — is inserted here first, and a second insert fails on the key.
# Rows older than the signature window are useless (such a request is refused as stale) and pruned.
request_sightings = Table(
    "reset_request_sightings", metadata,
    Column("key", String(80), primary_key=True),
    Column("seen_at", DateTime(timezone=True), nullable=False, index=True),
)


# A claim is a process's only while the row is still claimed by it *in that attempt*: a takeover
# or a retry bumps `attempts`, so an older claim object of the same process (a briefing queued in
# a long fan-out while the sync loop took its stale claim over) no longer matches.
_claim_is_mine = ((deliveries.c.id == bindparam("claim_id")) & (deliveries.c.owner == bindparam("claim_owner"))
                  & (deliveries.c.attempts == bindparam("claim_attempts")) & (deliveries.c.status == "claimed"))
# … and a scheduled one is worth posting only while its subscription is live (not unsubscribed).
_subscription_live = deliveries.c.subscription_id.is_(None) | exists().where(
    (subscriptions.c.id == deliveries.c.subscription_id) & (subscriptions.c.state != "removed"))

# The statements every briefing runs, built once with bind parameters. Building an expression
# (`deliveries.c.id == …`) and its cache key costs more CPU than SQLite's whole update; a
# prebuilt statement skips both (measured: 0.55 → 0.25 ms per `finish`).
_RENEW = update(deliveries).where(_claim_is_mine & _subscription_live).values(claimed_at=bindparam("at"))
_CHECK = select(deliveries.c.id).where(_claim_is_mine & _subscription_live)
_FINISH = update(deliveries).where(_claim_is_mine).values(
    status=bindparam("new_status"), message_ts=bindparam("ts"), error=bindparam("why"), finished_at=bindparam("at"),
    data_version=bindparam("version"), headline_json=bindparam("headline"))


def _mine(delivery: Delivery) -> dict[str, Any]:
    return {"claim_id": delivery.id, "claim_owner": delivery.owner, "claim_attempts": delivery.attempts}


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


@dataclass(frozen=True)
class Delivery:
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


@dataclass(frozen=True)
class Outcome:
    """What became of a claimed slot, as `Store.finish` records it."""

    status: DeliveryStatus
    ts: str | None = None
    error: str | None = None
    data_version: str | None = None
    headline: dict[str, Any] | None = None


class StoreError(ValueError):
    """A subscription cannot be changed as asked (the message is for the user)."""


class StoreUnavailable(StoreError):
    """The database cannot be read or written as it must be — the SQLite file was deleted or
    replaced under the running bot, it is read-only, the server is unreachable. Whatever the
    operation was, it must not be confirmed to anyone: after a restart it would not be there."""


def utc(value: datetime) -> datetime:
    """Timezone-aware UTC (SQLite returns naive datetimes)."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _full_sync(dbapi_connection: Any, _record: Any) -> None:
    # Said, not assumed (builds can change the default): a commit is on disk before it returns,
    # so a claim recorded before posting survives a power cut as well as a crash.
    dbapi_connection.execute("PRAGMA synchronous=FULL")


# Versioned upgrades: each entry brings the schema from version i to i + 1.
MIGRATIONS: list[Callable[[Any], None]] = [
    lambda conn: metadata.create_all(conn, tables=[subscriptions, deliveries]),
    lambda conn: (one_schedule_per_channel.create(conn, checkfirst=True),
                  one_send_now_per_second.create(conn, checkfirst=True)),
    lambda conn: deliveries_by_channel.create(conn, checkfirst=True),
    lambda conn: metadata.create_all(conn, tables=[request_sightings]),
]
assert len(MIGRATIONS) == SCHEMA_VERSION


class Store:
    def __init__(self, engine: Engine, now: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self._now = now or (lambda: datetime.now(timezone.utc))
        self._sightings_engine: Engine | None = None  # SQLite: the same file, lighter syncing
        self._file: Path | None = None  # the SQLite file, whose identity `check_file` watches
        self._file_id: tuple[int, int] | None = None

    @classmethod
    def connect(cls, url: str, now: Callable[[], datetime] | None = None) -> Store:
        for prefix in ("postgresql://", "postgres://"):  # the forms hosting providers hand out
            if url.startswith(prefix):
                url = "postgresql+psycopg://" + url.removeprefix(prefix)
        kwargs: dict[str, Any] = {"future": True}
        sqlite = url.startswith("sqlite")
        if sqlite:
            if sqlite3.sqlite_version_info < MIN_SQLITE:  # RETURNING (3.35) claims a slot in one statement
                raise StoreError(f"SQLite {'.'.join(map(str, MIN_SQLITE))} or newer is needed, and this Python has "
                                 f"{sqlite3.sqlite_version}; use a newer Python build or a PostgreSQL DATABASE_URL")
            # Several threads (listeners, scheduler) share the file; wait instead of failing when locked.
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        else:
            kwargs["pool_pre_ping"] = True  # a server may drop idle connections; a local file cannot
        store = cls(create_engine(url, **kwargs), now)
        if sqlite:
            event.listen(store.engine, "connect", _full_sync)
            store._use_wal()
            # Request keys (replays) are written on every request's path: with the write-ahead log,
            # NORMAL sync makes such a commit survive a crash of the process (not of the machine)
            # without an fsync each — a power cut could let a replay of the last moments through.
            store._sightings_engine = create_engine(url, **kwargs)
            event.listen(store._sightings_engine, "connect",
                         lambda conn, _: conn.execute("PRAGMA synchronous=NORMAL"))
        store.migrate()
        store._file = _sqlite_file(url)
        if store._file is not None:
            stat = store._file.stat()
            store._file_id = (stat.st_dev, stat.st_ino)
        return store

    # -- durability ---------------------------------------------------------------------------
    def check_file(self) -> None:
        """Raise `StoreUnavailable` if the SQLite file this store opened is no longer the file at
        its path. SQLite keeps writing into a deleted file's inode without an error, so without
        this check a subscription "saved" after `rm reset-bot.sqlite3` would vanish at the next
        restart. A stat() per write: microseconds. PostgreSQL: nothing to check here."""
        if self._file is None:
            return
        try:
            stat = self._file.stat()
        except OSError:
            raise StoreUnavailable(f"the database file {self._file} has disappeared") from None
        if (stat.st_dev, stat.st_ino) != self._file_id:
            raise StoreUnavailable(f"the database file {self._file} was replaced by another file")

    def dispose(self) -> None:
        """Close every pooled connection (tests, shutdown)."""
        self.engine.dispose()
        if self._sightings_engine is not None:
            self._sightings_engine.dispose()

    @contextmanager
    def _begin(self, engine: Engine | None = None) -> Iterator[Connection]:
        """A write transaction that is durable when it returns, or raises `StoreUnavailable`.

        Checked before (do not write into a lost file) and after the commit (the file went away
        meanwhile: what was just committed is not in the database the next process opens)."""
        self.check_file()
        try:
            with (engine or self.engine).begin() as conn:
                yield conn
        except OperationalError as exc:  # read-only file, disk I/O error, server gone
            raise StoreUnavailable(f"the database refused a write: {_first_line(exc)}") from exc
        self.check_file()

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except OperationalError as exc:
            raise StoreUnavailable(f"the database refused a read: {_first_line(exc)}") from exc

    def check_writable(self) -> None:
        """For the health check: the database answers a write (a no-op update, committed)."""
        with self._begin() as conn:
            conn.execute(update(schema_version).where(schema_version.c.id == 1)
                         .values(version=schema_version.c.version))

    # -- requests already seen (replays) ------------------------------------------------------
    def first_sighting(self, keys: Sequence[str], *, now: datetime | None = None) -> bool:
        """Record request keys; False if any was recorded before (a replay or a retry).

        One transaction for all the keys, so a request is either new on every key or refused."""
        at = now or self._now()
        try:
            with self._begin(self._sightings_engine) as conn:
                conn.execute(insert(request_sightings), [{"key": key, "seen_at": at} for key in keys])
        except IntegrityError:
            return False
        return True

    def prune_sightings(self, before: datetime) -> int:
        """Forget request keys seen before ``before`` (outside the signature window)."""
        with self._begin(self._sightings_engine) as conn:
            return conn.execute(delete(request_sightings).where(request_sightings.c.seen_at < before)).rowcount

    def _use_wal(self) -> None:
        """Put a SQLite database in write-ahead-log mode (persistent: it is a property of the file).

        Why: in the default rollback-journal mode every commit creates, syncs and deletes a journal
        file, and readers wait for writers. With WAL a commit is one append and one fsync
        (``synchronous`` stays FULL, so a committed claim survives a power cut), and `/reset
        subscriptions` reads while a fan-out writes. It needs a local file system (not NFS); where
        the mode cannot be set (an in-memory database, such a file system) the default is kept.
        """
        try:
            with self.engine.connect() as conn:
                mode = conn.exec_driver_sql("PRAGMA journal_mode=WAL").scalar()
        except OperationalError as exc:
            logger.warning("SQLite write-ahead log not enabled (%s); using the rollback journal", exc)
            return
        if str(mode).lower() != "wal":
            logger.info("SQLite journal mode is %s (write-ahead log not available here)", mode)

    # -- schema -------------------------------------------------------------------------------
    def migrate(self) -> int:
        """Bring the schema up to `SCHEMA_VERSION`; safe when several replicas start at once."""
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(7365102)"))  # one migrator at a time
            metadata.create_all(conn, tables=[schema_version])
            row = conn.execute(select(schema_version.c.version).where(schema_version.c.id == 1)).first()
            current = row.version if row else 0
            if current > SCHEMA_VERSION:
                raise StoreError(f"the database schema is version {current}, newer than this bot ({SCHEMA_VERSION}); upgrade the bot")
            for step in MIGRATIONS[current:]:
                step(conn)
            if row is None:
                conn.execute(insert(schema_version).values(id=1, version=SCHEMA_VERSION))
            elif current != SCHEMA_VERSION:
                conn.execute(update(schema_version).where(schema_version.c.id == 1).values(version=SCHEMA_VERSION))
        return SCHEMA_VERSION

    # -- subscriptions ------------------------------------------------------------------------
    def add_subscription(self, *, team_id: str, channel_id: str, created_by: str, weekday: str,
                         at_time: str, timezone_name: str) -> Subscription:
        """Add a weekly briefing; StoreError if the channel has it already or has too many.

        Concurrent subscribes are serialised per channel (PostgreSQL: an advisory lock; SQLite:
        the insert takes the database's single write lock before the count), and a unique index
        refuses an exact duplicate whatever the application checks.
        """
        now = self._now()
        try:
            with self._begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:c))"), {"c": channel_id})
                result = conn.execute(insert(subscriptions).values(
                    team_id=team_id, channel_id=channel_id, created_by=created_by, weekday=weekday,
                    at_time=at_time, timezone=timezone_name, state="active", pause_reason=None,
                    created_at=now, updated_at=now))
                count = conn.execute(select(func.count()).select_from(subscriptions).where(
                    subscriptions.c.channel_id == channel_id, subscriptions.c.state != "removed")).scalar_one()
                if count > MAX_PER_CHANNEL:
                    raise StoreError(f"A channel can have at most {MAX_PER_CHANNEL} briefings; "
                                     "remove one with `/reset unsubscribe <number>` first.")
                new_id = result.inserted_primary_key[0]
                return self._sub(conn.execute(select(subscriptions).where(subscriptions.c.id == new_id)).one())
        except IntegrityError:
            raise StoreError("This channel already gets that briefing.") from None

    def channel_subscriptions(self, channel_id: str) -> list[Subscription]:
        with self._read() as conn:
            rows = conn.execute(select(subscriptions).where(
                subscriptions.c.channel_id == channel_id, subscriptions.c.state != "removed"
            ).order_by(subscriptions.c.id))
            return [self._sub(r) for r in rows]

    def live_subscriptions(self) -> list[Subscription]:
        """Active and paused subscriptions (paused ones are retried: the cause may be fixed)."""
        with self._read() as conn:
            rows = conn.execute(select(subscriptions).where(subscriptions.c.state != "removed").order_by(subscriptions.c.id))
            return [self._sub(r) for r in rows]

    def schedule_subscriptions(self, weekday: str, at_time: str, timezone_name: str) -> list[Subscription]:
        """The live subscriptions on one weekly schedule (what one scheduler job delivers)."""
        with self._read() as conn:
            rows = conn.execute(select(subscriptions).where(
                (subscriptions.c.weekday == weekday) & (subscriptions.c.at_time == at_time)
                & (subscriptions.c.timezone == timezone_name) & _live
            ).order_by(subscriptions.c.id))
            return [self._sub(r) for r in rows]

    def get(self, subscription_id: int) -> Subscription | None:
        with self._read() as conn:
            row = conn.execute(select(subscriptions).where(subscriptions.c.id == subscription_id)).first()
            return self._sub(row) if row else None

    def set_state(self, subscription_id: int, state: State, reason: str | None = None, *,
                  only_from: tuple[State, ...] = ("active", "paused")) -> bool:
        """Change a subscription's state if it is currently one of ``only_from``.

        The condition keeps a delivery that fails after the user unsubscribed from pausing —
        and so reviving — a removed subscription.
        """
        with self._begin() as conn:
            result = conn.execute(update(subscriptions).where(
                (subscriptions.c.id == subscription_id) & subscriptions.c.state.in_(only_from)
            ).values(state=state, pause_reason=reason, updated_at=self._now()))
            return result.rowcount == 1

    # -- the ledger ---------------------------------------------------------------------------
    def claim(self, *, subscription_id: int | None, channel_id: str, slot_utc: datetime, kind: Kind,
              owner: str, claim_timeout: timedelta, retry_failed: int = 0) -> Delivery | None:
        """Claim a slot for delivery; None if another process holds (or finished) it.

        A claim older than ``claim_timeout`` is taken over (its owner died); a failed delivery
        is re-claimed while it has had fewer than ``retry_failed`` attempts, or — with any
        ``retry_failed`` — whatever its attempts if it failed for a reason that was not Slack's
        refusal (its error starts with `TRANSIENT`: an outage, a timeout, the bot stopping).
        When a retry is due is the caller's decision (`bot.briefings.service` backs off).
        """
        now = self._now()
        slot_utc = utc(slot_utc)
        values = dict(subscription_id=subscription_id, channel_id=channel_id, slot_utc=slot_utc, kind=kind,
                      status="claimed", owner=owner, claimed_at=now, attempts=1)
        try:
            with self._begin() as conn:  # RETURNING: the new row without a second query
                return self._delivery(conn.execute(insert(deliveries).values(**values).returning(*deliveries.c)).one())
        except IntegrityError:
            pass  # someone has this slot already: maybe it can be taken over
        key = ((deliveries.c.subscription_id == subscription_id) & (deliveries.c.slot_utc == slot_utc)
               & (deliveries.c.kind == kind))
        stale = (deliveries.c.status == "claimed") & (deliveries.c.claimed_at < now - claim_timeout)
        retry = (deliveries.c.status == "failed") & (deliveries.c.attempts < retry_failed)
        if retry_failed > 0:
            retry = retry | ((deliveries.c.status == "failed")
                             & deliveries.c.error.startswith(TRANSIENT, autoescape=True))
        with self._begin() as conn:
            row = conn.execute(select(deliveries).where(key)).first()
            if row is None:
                return None
            result = conn.execute(update(deliveries).where(key & (stale | retry)).values(
                status="claimed", owner=owner, claimed_at=now, attempts=deliveries.c.attempts + 1))
            if result.rowcount != 1:
                return None
            taken = self._delivery(conn.execute(select(deliveries).where(key)).one())
            return Delivery(**{**taken.__dict__, "taken_over": row.status == "claimed"})

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
                     status="claimed", owner=owner, claimed_at=now, attempts=1) for s in subs]
        new_rows = (sqlite_insert if self.engine.dialect.name == "sqlite" else postgresql_insert)(deliveries)
        with self._begin() as conn:  # ON CONFLICT DO NOTHING: a slot with a row is skipped, not an error
            won = conn.execute(new_rows.on_conflict_do_nothing().returning(*deliveries.c), rows).all()
        return {row.subscription_id: self._delivery(row) for row in won}

    def release(self, claims: Sequence[Delivery], reason: str) -> int:
        """Give back claims that were never posted (the bot is stopping, or failed before posting), in
        one statement: recorded as failed without using up an attempt, so the next sync — here or
        in another replica — delivers them. Returns how many were still this process's to give back."""
        groups: dict[tuple[str, int], list[int]] = {}
        for claim in claims:  # one statement per (owner, attempt): usually a single one
            groups.setdefault((claim.owner, claim.attempts), []).append(claim.id)
        released = 0
        with self._begin() as conn:
            for (owner, attempts), ids in groups.items():
                for start in range(0, len(ids), 500):
                    released += conn.execute(update(deliveries).where(
                        deliveries.c.id.in_(ids[start:start + 500]) & (deliveries.c.owner == owner)
                        & (deliveries.c.attempts == attempts) & (deliveries.c.status == "claimed")
                    ).values(status="failed", error=reason, finished_at=self._now(),
                             attempts=deliveries.c.attempts - 1)).rowcount
        return released

    def still_mine(self, delivery: Delivery, *, renew: bool = True) -> bool:
        """Just before posting: does this process still hold the claim (not taken over, not retried
        elsewhere), and is its subscription still live? ``renew`` also restarts the claim's timeout
        (one write); without it the check is a read."""
        if renew:
            with self._begin() as conn:
                return conn.execute(_RENEW, {**_mine(delivery), "at": self._now()}).rowcount == 1
        with self._read() as conn:
            return conn.execute(_CHECK, _mine(delivery)).first() is not None

    def finish(self, delivery: Delivery, status: DeliveryStatus, *, ts: str | None = None, error: str | None = None,
               data_version: str | None = None, headline: dict[str, Any] | None = None) -> bool:
        """Record the outcome; only the current owner of the claim may (False if it lost it)."""
        return not self.finish_many([(delivery, Outcome(status, ts, error, data_version, headline))])

    def finish_many(self, outcomes: Sequence[tuple[Delivery, Outcome]]) -> list[Delivery]:
        """`finish` for many claims in one statement (an executemany); returns those that were no
        longer this process's to record."""
        if not outcomes:
            return []
        now = self._now()
        rows = [{**_mine(delivery), "new_status": outcome.status, "ts": outcome.ts, "why": outcome.error, "at": now,
                 "version": outcome.data_version,
                 "headline": json.dumps(outcome.headline) if outcome.headline is not None else None}
                for delivery, outcome in outcomes]
        with self._begin() as conn:  # the row counts of an executemany add up (SQLite, psycopg)
            if conn.execute(_FINISH, rows).rowcount == len(rows):
                return []
        # Some were not recorded (taken over meanwhile): find which. Rare, so a second query is fine.
        with self._read() as conn:
            recorded = {(row.id, row.owner, row.attempts) for row in conn.execute(
                select(deliveries.c.id, deliveries.c.owner, deliveries.c.attempts).where(
                    deliveries.c.id.in_([d.id for d, _ in outcomes]) & (deliveries.c.status != "claimed")))}
        return [d for d, _ in outcomes if (d.id, d.owner, d.attempts) not in recorded]

    def record(self, *, subscription_id: int, channel_id: str, slot_utc: datetime, status: DeliveryStatus,
               owner: str, error: str) -> bool:
        """Record a slot that will not be delivered (missed, skipped); False if it already has a row."""
        now = self._now()
        try:
            with self._begin() as conn:
                conn.execute(insert(deliveries).values(
                    subscription_id=subscription_id, channel_id=channel_id, slot_utc=utc(slot_utc), kind="scheduled",
                    status=status, owner=owner, claimed_at=now, finished_at=now, attempts=0, error=error))
            return True
        except IntegrityError:
            return False

    def has_slot(self, subscription_id: int, slot_utc: datetime) -> bool:
        with self._read() as conn:
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
        with self._read() as conn:
            rows = conn.execute(select(deliveries).where(
                (deliveries.c.kind == "scheduled") & (deliveries.c.slot_utc >= since)
            ).order_by(deliveries.c.slot_utc, deliveries.c.id))
            for row in rows:
                if (row.subscription_id, utc(row.slot_utc)) in wanted:
                    found[row.subscription_id].append(self._delivery(row))
        return found

    def ledger(self, subscription_id: int | None = None, channel_id: str | None = None) -> list[Delivery]:
        query = select(deliveries).order_by(deliveries.c.slot_utc, deliveries.c.id)
        if subscription_id is not None:
            query = query.where(deliveries.c.subscription_id == subscription_id)
        if channel_id is not None:
            query = query.where(deliveries.c.channel_id == channel_id)
        with self._read() as conn:
            return [self._delivery(r) for r in conn.execute(query)]

    def last_sent(self, channel_id: str) -> Delivery | None:
        """The channel's latest delivered briefing (its numbers are the base for "what changed")."""
        with self._read() as conn:
            row = conn.execute(select(deliveries).where(
                (deliveries.c.channel_id == channel_id) & (deliveries.c.status == "sent")
            ).order_by(deliveries.c.finished_at.desc(), deliveries.c.id.desc()).limit(1)).first()
            return self._delivery(row) if row else None

    def last_sent_many(self, subscription_ids: Sequence[int]) -> dict[str, Delivery]:
        """`last_sent` for the channels of many subscriptions in one query, by channel id.

        A correlated sub-query finds each channel's latest sent row through the channel index,
        so the cost grows with the number of channels, not with the ledger's history."""
        found: dict[str, Delivery] = {}
        latest = (select(deliveries.c.id)
                  .where((deliveries.c.channel_id == subscriptions.c.channel_id) & (deliveries.c.status == "sent"))
                  .order_by(deliveries.c.finished_at.desc(), deliveries.c.id.desc()).limit(1)
                  .correlate(subscriptions).scalar_subquery())
        with self._read() as conn:
            for start in range(0, len(subscription_ids), 500):  # bounded IN lists
                chunk = list(subscription_ids[start:start + 500])
                ids = select(latest).where(subscriptions.c.id.in_(chunk))
                for row in conn.execute(select(deliveries).where(deliveries.c.id.in_(ids))):
                    found[row.channel_id] = self._delivery(row)
        return found

    # -- rows → values --------------------------------------------------------------------------
    @staticmethod
    def _sub(row: Any) -> Subscription:
        return Subscription(id=row.id, team_id=row.team_id, channel_id=row.channel_id, created_by=row.created_by,
                            weekday=row.weekday, at_time=row.at_time, timezone=row.timezone, state=row.state,
                            pause_reason=row.pause_reason, created_at=utc(row.created_at))

    @staticmethod
    def _delivery(row: Any) -> Delivery:
        return Delivery(id=row.id, subscription_id=row.subscription_id, channel_id=row.channel_id,
                        slot_utc=utc(row.slot_utc), kind=row.kind, status=row.status, owner=row.owner,
                        claimed_at=utc(row.claimed_at), attempts=row.attempts, message_ts=row.message_ts,
                        error=row.error, data_version=row.data_version,
                        headline=json.loads(row.headline_json) if row.headline_json else None,
                        finished_at=utc(row.finished_at) if row.finished_at is not None else None)



def _sqlite_file(url: str) -> Path | None:
    """The file behind a SQLite URL, or None (in-memory databases, other engines)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    if parsed.database.startswith("file:"):
        return None
    return Path(parsed.database).resolve()


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).splitlines() or [type(orig).__name__])[0][:200]
