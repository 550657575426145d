"""The database itself: tables, indexes, versioned migrations, and the engine that reaches them.

SQLite by default (a file in the state directory), PostgreSQL (psycopg 3) when several replicas
share one database. The schema is versioned and upgraded by the app at start (`Database.migrate`).
`Database` is also where durability is enforced: SQLite in write-ahead-log mode with full syncs,
every write transaction checked against the file having been deleted or replaced under the bot
(`check_file`), and the health check's write (`check_writable`). The repositories on top —
`bot.storage.subscriptions`, `bot.storage.ledger`, `bot.storage.sightings` — only say what to read
and write, through `Database.begin` and `Database.read`.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DisconnectionError, OperationalError

from bot.storage.installations import installation_tables, state_table
from bot.storage.records import StoreError, StoreUnavailable

logger = logging.getLogger("reset_bot.store")

SCHEMA_VERSION = 12
MIN_SQLITE = (3, 35)

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
    Column("enterprise_id", String(32)),  # version 5: an org-wide install's Enterprise Grid id
    Column("created_by", String(32), nullable=False),
    Column("weekday", String(3), nullable=False),  # mon … sun
    Column("at_time", String(5), nullable=False),  # "HH:MM", local to `timezone`
    Column("timezone", String(64), nullable=False),  # IANA name
    Column("state", String(16), nullable=False, default="active"),
    Column("pause_reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # v9 (issue 14): "threaded" (headline at the top level, the rest in its thread) or "flat" (one
    # message, as before). Rows from before v9 are flat: their channels keep what they know.
    Column("form", String(8), nullable=False, server_default="flat"),
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
    # Version 5: the workspace it is posted in (see `_workspace_columns` for rows older than that).
    Column("team_id", String(32)),
    Column("enterprise_id", String(32)),
    # Version 9: a threshold alert's firing (kind "alert", no subscription) names its alert. No
    # ForeignKey: step 1 creates this table before `reset_alerts` exists.
    Column("alert_id", Integer),
    # Version 10: a threaded briefing is one ledger row for the whole unit. ``form`` is set to
    # "threaded" with ``message_ts`` (the parent's) the moment the parent is posted, while the row
    # is still claimed; ``parts_json`` names the thread replies that went out ({part: ts or file id}).
    Column("form", String(8)),  # NULL: flat, or nothing posted yet
    Column("parts_json", Text),
    # Version 12: set by the last check before an attempt calls Slack (`Ledger.still_mine`) and
    # never cleared. False: no attempt got that far, so whoever takes the row over or retries it
    # may post without first asking Slack whether it is there (conversations.history is rationed
    # to a read a minute per workspace). NULL, rows older than that: not known, so asked.
    Column("posting_started", Boolean),
    UniqueConstraint("subscription_id", "slot_utc", "kind", name="reset_deliveries_one_per_slot"),
)

# Version 2: the database itself refuses what concurrent requests could otherwise slip past the
# application's checks — the same briefing twice in a channel, and two send-nows in one second
# (NULL subscription ids are distinct under the unique constraint above). Version 5 scopes both
# by workspace: two workspaces may each have a channel with the same id (`_workspace_columns`).
live_subscription = subscriptions.c.state != "removed"
one_schedule_per_channel = Index(
    "reset_subscriptions_one_schedule_per_team", subscriptions.c.team_id, subscriptions.c.channel_id,
    subscriptions.c.weekday, subscriptions.c.at_time, subscriptions.c.timezone, unique=True,
    sqlite_where=live_subscription, postgresql_where=live_subscription)
_now_kind = deliveries.c.kind == "now"
one_send_now_per_second = Index(
    "reset_deliveries_one_send_now_per_team", deliveries.c.team_id, deliveries.c.channel_id, deliveries.c.slot_utc,
    unique=True, sqlite_where=_now_kind, postgresql_where=_now_kind)
# Version 3: `last_sent` (run for every briefing) finds a channel's latest delivery by index
# instead of scanning the whole ledger, which grows by one row per channel every week (version 5:
# a workspace's channel).
deliveries_by_channel = Index(
    "reset_deliveries_by_team_channel", deliveries.c.team_id, deliveries.c.channel_id, deliveries.c.status,
    deliveries.c.finished_at)
# Version 4: signed requests already seen (issue 10). A request Slack signed is processed once,
# whichever replica receives it: its (timestamp, signature) pair — and an event's id, which
# Slack's own retries repeat — is inserted here first, and a second insert fails on the key.
# Rows older than the signature window are useless (such a request is refused as stale) and pruned.
request_sightings = Table(
    "reset_request_sightings", metadata,
    Column("key", String(80), primary_key=True),
    Column("seen_at", DateTime(timezone=True), nullable=False, index=True),
)

# Versions 2 and 3 as they were made then (channel-wide); version 5 replaces them. A new database
# gets today's indexes from `create_all` in step 1 and these three, made and dropped, on the way.
_V2_V3_INDEXES = {
    "reset_subscriptions_one_schedule": "CREATE UNIQUE INDEX IF NOT EXISTS reset_subscriptions_one_schedule ON "
    "reset_subscriptions (channel_id, weekday, at_time, timezone) WHERE state != 'removed'",
    "reset_deliveries_one_send_now": "CREATE UNIQUE INDEX IF NOT EXISTS reset_deliveries_one_send_now ON "
    "reset_deliveries (channel_id, slot_utc) WHERE kind = 'now'",
    "reset_deliveries_by_channel": "CREATE INDEX IF NOT EXISTS reset_deliveries_by_channel ON "
    "reset_deliveries (channel_id, status, finished_at)",
}

# Version 6: OAuth mode (issue 13). slack_sdk's installation tables (bots, installations) with their
# credential columns Fernet-encrypted (`bot.storage.installations`), and its OAuth state table, so an
# install begun on one replica completes on another. Created here rather than by the stores'
# create_tables(): once, under the migration lock, and recorded in the schema version. Empty in the
# single-token mode, which never reads them.
slack_bots, slack_installations = installation_tables(metadata)
oauth_states = state_table(metadata)
# Version 7: every install callback looks its ``state`` up (slack_sdk's consume: WHERE state = ?
# AND expire_at > now), and slack_sdk's table has no index on it; a burst of install pages (or
# unsigned GETs of /slack/install) made that a scan per callback.
oauth_states_by_state = Index("reset_oauth_states_by_state", oauth_states.c.state)
# Version 11: Slack's posting limits are per workspace, not per process, so several replicas pace
# each workspace's briefings through one row each (`bot.storage.post_slots`): ``next_at`` (epoch
# seconds) is the earliest time the workspace's next post may go, moved on atomically by whoever
# reserves it. Versions 8 to 10 are other branches' (history budgets and others); this one keeps
# its own number whichever order they are merged in.
post_slots = Table(
    "reset_post_slots", metadata,
    Column("key", String(160), primary_key=True),  # "<team_id> <enterprise_id or ->"
    Column("next_at", Float, nullable=False),  # epoch seconds: no post before this
)

# Version 8: rationed Slack reads (issue 13). Since May 2025 an app distributed outside the
# Marketplace may call conversations.history (and .replies) once a minute per workspace, 15
# messages a call. `reset_api_budgets` holds, per (method, workspace), when the next call may go:
# a replica takes the turn with one conditional UPDATE (`bot.storage.budgets`), so all replicas
# share one budget. `reset_history_scans` remembers how far a "was it posted?" check has paged
# through a channel's history, so the next page — a minute later, on any replica — goes on from there.
api_budgets = Table(
    "reset_api_budgets", metadata,
    Column("key", String(160), primary_key=True),  # "<method> <team_id> <enterprise_id or ->"
    Column("next_at", DateTime(timezone=True), nullable=False),  # no call before this
)
history_scans = Table(
    "reset_history_scans", metadata,
    Column("delivery_id", Integer, primary_key=True),  # the ledger row being looked for
    Column("oldest", String(32), nullable=False),  # the window's start, as a Slack timestamp
    Column("cursor", Text, nullable=False),  # Slack's next_cursor: where the next page starts
    Column("pages", Integer, nullable=False),  # pages read so far
    Column("started_at", DateTime(timezone=True), nullable=False),
)

# Version 10: threshold alerts (issue 14, `bot.storage.alerts`). Per workspace like subscriptions;
# ``state`` is armed / fired / paused (with ``pause_reason``) / removed, ``since`` the observation
# period of its last transition (`metrics.alerts`), and the ``fired_*`` columns the observation it
# last fired on. Each firing is a ledger row (`deliveries`, kind "alert", with ``alert_id``) claimed
# under the unique index below: one per alert and observation, whichever replica gets there.
alerts = Table(
    "reset_alerts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("channel_id", String(32), nullable=False),
    Column("created_by", String(32), nullable=False),
    Column("series", String(64), nullable=False),  # `handlers.alerts` series key: holdings:china, 10y, …
    Column("direction", String(8), nullable=False),  # above / below
    Column("threshold", Float, nullable=False),  # in the series' unit
    Column("margin", Float, nullable=False),  # re-arm margin, same unit
    Column("state", String(16), nullable=False),
    Column("pause_reason", Text),
    Column("since", String(16), nullable=False, default=""),
    Column("fired_period", String(16)),
    Column("fired_value", Float),
    Column("fired_version", String(32)),
    Column("fired_ts", String(32)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("reset_alerts_by_team_channel", "team_id", "channel_id"),
)
# The same alert twice in a channel is refused by the database too (concurrent `/reset alert`s
# raced past the application's check and each posted on every crossing).
_live_alert = alerts.c.state != "removed"
one_alert_per_line = Index(
    "reset_alerts_one_per_line", alerts.c.team_id, alerts.c.channel_id, alerts.c.series, alerts.c.direction,
    alerts.c.threshold, unique=True, sqlite_where=_live_alert, postgresql_where=_live_alert)
_alert_kind = deliveries.c.kind == "alert"
one_firing_per_observation = Index(
    "reset_deliveries_one_alert_per_observation", deliveries.c.alert_id, deliveries.c.slot_utc, unique=True,
    sqlite_where=_alert_kind, postgresql_where=_alert_kind)


def _unique_indexes(conn: Connection) -> None:
    conn.execute(text(_V2_V3_INDEXES["reset_subscriptions_one_schedule"]))
    conn.execute(text(_V2_V3_INDEXES["reset_deliveries_one_send_now"]))


def _channel_lookup_index(conn: Connection) -> None:
    conn.execute(text(_V2_V3_INDEXES["reset_deliveries_by_channel"]))


def _workspace_columns(conn: Connection) -> None:
    """Version 5: subscriptions and ledger rows belong to a workspace (team, and enterprise for an
    org-wide install), and every channel index is per workspace. Migrates in place, losing nothing:

    - ``reset_subscriptions.enterprise_id`` is added (NULL: a single-token install's subscriptions
      already carry their team);
    - ``reset_deliveries.team_id`` / ``enterprise_id`` are added; a subscription's rows get its
      workspace; a send-now row (no subscription) gets the team of a subscription in its channel,
      else of the newest subscription — before version 5 the bot served a single token's workspace,
      and a migration cannot ask Slack which one. A send-now row of a database that never had a
      subscription keeps NULL: such rows are history only (a send-now is never posted again, and
      `last_sent`, asked per workspace, does not see them);
    - the channel-wide unique and lookup indexes are replaced by the same ones led by ``team_id``.
    """
    have = {table: {c["name"] for c in inspect(conn).get_columns(table)}
            for table in (subscriptions.name, deliveries.name)}
    for table, column in ((subscriptions.name, "enterprise_id"), (deliveries.name, "team_id"),
                          (deliveries.name, "enterprise_id")):
        if column not in have[table]:
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} VARCHAR(32)"))
    conn.execute(text(
        "UPDATE reset_deliveries SET "
        "team_id = (SELECT s.team_id FROM reset_subscriptions s WHERE s.id = reset_deliveries.subscription_id), "
        "enterprise_id = (SELECT s.enterprise_id FROM reset_subscriptions s "
        "WHERE s.id = reset_deliveries.subscription_id) "
        "WHERE subscription_id IS NOT NULL AND team_id IS NULL"))
    conn.execute(text(
        "UPDATE reset_deliveries SET team_id = COALESCE("
        "(SELECT s.team_id FROM reset_subscriptions s WHERE s.channel_id = reset_deliveries.channel_id "
        "ORDER BY s.id DESC LIMIT 1), "
        "(SELECT s.team_id FROM reset_subscriptions s ORDER BY s.id DESC LIMIT 1)) "
        "WHERE subscription_id IS NULL AND team_id IS NULL"))
    for name in _V2_V3_INDEXES:
        conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
    for index in (one_schedule_per_channel, one_send_now_per_second, deliveries_by_channel):
        index.create(conn, checkfirst=True)


def _alerts(conn: Connection) -> None:
    """Version 9: the alerts table, ``reset_deliveries.alert_id`` (added unless step 1 just made the
    table with it) and the index that lets one firing per alert and observation be claimed."""
    metadata.create_all(conn, tables=[alerts])
    if "alert_id" not in {c["name"] for c in inspect(conn).get_columns(deliveries.name)}:
        conn.execute(text(f"ALTER TABLE {deliveries.name} ADD COLUMN alert_id INTEGER"))
    one_firing_per_observation.create(conn, checkfirst=True)
    one_alert_per_line.create(conn, checkfirst=True)


def _briefing_forms(conn: Connection) -> None:
    """Version 10 (issue 14's threads): each subscription's
    briefing form, and what the ledger needs to finish a threaded briefing after a crash.

    Existing subscriptions become ``flat``: the channel keeps getting the single message it
    subscribed to, rather than a changed briefing nobody asked for (new subscriptions are
    threaded unless they say ``flat``). Existing ledger rows keep NULL form and parts: flat."""
    have = {table: {c["name"] for c in inspect(conn).get_columns(table)}
            for table in (subscriptions.name, deliveries.name)}
    if "form" not in have[subscriptions.name]:
        conn.execute(text(f"ALTER TABLE {subscriptions.name} ADD COLUMN form VARCHAR(8) NOT NULL DEFAULT 'flat'"))
    for column, kind in (("form", "VARCHAR(8)"), ("parts_json", "TEXT")):
        if column not in have[deliveries.name]:
            conn.execute(text(f"ALTER TABLE {deliveries.name} ADD COLUMN {column} {kind}"))


def _posting_started(conn: Connection) -> None:
    """Version 12: whether an attempt may have reached Slack. Existing rows keep NULL ("not known")."""
    if "posting_started" not in {c["name"] for c in inspect(conn).get_columns(deliveries.name)}:
        conn.execute(text(f"ALTER TABLE {deliveries.name} ADD COLUMN posting_started BOOLEAN"))


# Versioned upgrades: each entry brings the schema from version i to i + 1.
MIGRATIONS: list[Callable[[Connection], None]] = [
    lambda conn: metadata.create_all(conn, tables=[subscriptions, deliveries]),
    _unique_indexes,
    _channel_lookup_index,
    lambda conn: metadata.create_all(conn, tables=[request_sightings]),
    _workspace_columns,
    lambda conn: metadata.create_all(conn, tables=[slack_bots, slack_installations, oauth_states]),
    lambda conn: oauth_states_by_state.create(conn, checkfirst=True),
    lambda conn: metadata.create_all(conn, tables=[api_budgets, history_scans]),
    _alerts,  # 9
    _briefing_forms,  # 10
    lambda conn: metadata.create_all(conn, tables=[post_slots]),  # 11: each workspace's next posting slot
    _posting_started,  # 12
]
assert len(MIGRATIONS) == SCHEMA_VERSION


#: A pooled server connection is pinged before use only if it sat idle this long (seconds).
IDLE_BEFORE_PING = 5.0


def ping_when_idle(engine: Engine, idle_seconds: float = IDLE_BEFORE_PING) -> None:
    """SQLAlchemy's ``pool_pre_ping`` without its round trip on every checkout: a connection that
    was in use moments ago is handed out as it is, one idle for ``idle_seconds`` or more is pinged
    first and, if the server dropped it, replaced (the pool retries on `DisconnectionError`).
    Busy replicas check a connection out several times per briefing, and the ping doubled their
    database round trips (a tenth of a replica's time in the multi-workspace benchmark). A
    connection that breaks while in use still raises, and SQLAlchemy then recycles the pool."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the driver's own error: the server is gone or dropped us
            raise DisconnectionError(str(exc)) from exc
        if not alive:
            raise DisconnectionError("the database did not answer a ping")


def full_sync(dbapi_connection: Any, _record: Any) -> None:
    """SQLite's connect hook: said, not assumed (builds can change the default), a commit is on
    disk before it returns, so a claim recorded before posting survives a power cut as well as a crash."""
    dbapi_connection.execute("PRAGMA synchronous=FULL")


def normal_sync(dbapi_connection: Any, _record: Any) -> None:
    """The hook of the engine for request keys: with the write-ahead log, NORMAL makes a commit
    survive a crash of the process (not of the machine) without an fsync each."""
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class Database:
    """One database: its engines, its schema version, and transactions that are durable or raise.

    Build it with `open`; the repositories share one instance."""

    def __init__(self, engine: Engine, *, sightings_engine: Engine | None = None) -> None:
        self.engine = engine
        self.sightings_engine = sightings_engine or engine  # SQLite: the same file, lighter syncing
        self.file: Path | None = None  # the SQLite file, whose identity `check_file` watches
        self._file_id: tuple[int, int] | None = None

    def watch(self, file: Path | None) -> None:
        """From now on, refuse writes once ``file`` is no longer the file it is now (`check_file`)."""
        self.file = file
        if file is not None:
            stat = file.stat()
            self._file_id = (stat.st_dev, stat.st_ino)

    @classmethod
    def open(cls, url: str) -> Database:
        """Connect, set SQLite up for durability (WAL, full syncs) and migrate the schema."""
        for prefix in ("postgresql://", "postgres://"):  # the forms hosting providers hand out
            if url.startswith(prefix):
                url = "postgresql+psycopg://" + url.removeprefix(prefix)
        kwargs: dict[str, Any] = {"future": True}
        sqlite = url.startswith("sqlite")
        if not sqlite:  # a server may drop idle connections; a local file cannot
            engine = create_engine(url, **kwargs)
            ping_when_idle(engine)
            database = cls(engine)
            database.migrate()
            return database
        if sqlite3.sqlite_version_info < MIN_SQLITE:  # RETURNING (3.35) claims a slot in one statement
            raise StoreError(f"SQLite {'.'.join(map(str, MIN_SQLITE))} or newer is needed, and this Python has "
                             f"{sqlite3.sqlite_version}; use a newer Python build or a PostgreSQL DATABASE_URL")
        # Several threads (listeners, scheduler) share the file; wait instead of failing when locked.
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", full_sync)
        use_wal(engine)
        # Request keys (replays) are written on every request's path: NORMAL sync spares each an
        # fsync — a power cut could let a replay of the last moments through.
        sightings_engine = create_engine(url, **kwargs)
        event.listen(sightings_engine, "connect", normal_sync)
        database = cls(engine, sightings_engine=sightings_engine)
        database.migrate()  # creates the file if it is new, before its identity is taken
        database.watch(sqlite_file(url))
        return database

    # -- durability ---------------------------------------------------------------------------
    def check_file(self) -> None:
        """Raise `StoreUnavailable` if the SQLite file this database opened is no longer the file at
        its path. SQLite keeps writing into a deleted file's inode without an error, so without
        this check a subscription "saved" after `rm reset-bot.sqlite3` would vanish at the next
        restart. A stat() per write: microseconds. PostgreSQL: nothing to check here."""
        if self.file is None:
            return
        try:
            stat = self.file.stat()
        except OSError:
            raise StoreUnavailable(f"the database file {self.file} has disappeared") from None
        if (stat.st_dev, stat.st_ino) != self._file_id:
            raise StoreUnavailable(f"the database file {self.file} was replaced by another file")

    def check_writable(self) -> None:
        """For the health check: the database answers a write (a no-op update, committed)."""
        with self.begin() as conn:
            conn.execute(update(schema_version).where(schema_version.c.id == 1)
                         .values(version=schema_version.c.version))

    def dispose(self) -> None:
        """Close every pooled connection (tests, shutdown)."""
        self.engine.dispose()
        if self.sightings_engine is not self.engine:
            self.sightings_engine.dispose()

    # -- transactions -------------------------------------------------------------------------
    @contextmanager
    def begin(self, *, lighter_sync: bool = False) -> Iterator[Connection]:
        """A write transaction that is durable when it returns, or raises `StoreUnavailable`.

        Checked before (do not write into a lost file) and after the commit (the file went away
        meanwhile: what was just committed is not in the database the next process opens).
        ``lighter_sync``: through the request keys' engine (see `normal_sync`)."""
        self.check_file()
        try:
            with (self.sightings_engine if lighter_sync else self.engine).begin() as conn:
                yield conn
        except OperationalError as exc:  # read-only file, disk I/O error, server gone
            raise StoreUnavailable(f"the database refused a write: {_first_line(exc)}") from exc
        self.check_file()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except OperationalError as exc:
            raise StoreUnavailable(f"the database refused a read: {_first_line(exc)}") from exc

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

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
                raise StoreError(f"the database schema is version {current}, newer than this bot "
                                 f"({SCHEMA_VERSION}); upgrade the bot")
            for step in MIGRATIONS[current:]:
                step(conn)
            if row is None:
                conn.execute(insert(schema_version).values(id=1, version=SCHEMA_VERSION))
            elif current != SCHEMA_VERSION:
                conn.execute(update(schema_version).where(schema_version.c.id == 1).values(version=SCHEMA_VERSION))
        return SCHEMA_VERSION


def use_wal(engine: Engine) -> None:
    """Put a SQLite database in write-ahead-log mode (persistent: it is a property of the file).

    Why: in the default rollback-journal mode every commit creates, syncs and deletes a journal
    file, and readers wait for writers. With WAL a commit is one append and one fsync
    (``synchronous`` stays FULL, so a committed claim survives a power cut), and `/reset
    subscriptions` reads while a fan-out writes. It needs a local file system (not NFS); where
    the mode cannot be set (an in-memory database, such a file system) the default is kept.
    """
    try:
        with engine.connect() as conn:
            mode = conn.exec_driver_sql("PRAGMA journal_mode=WAL").scalar()
    except OperationalError as exc:
        logger.warning("SQLite write-ahead log not enabled (%s); using the rollback journal", exc)
        return
    if str(mode).lower() != "wal":
        logger.info("SQLite journal mode is %s (write-ahead log not available here)", mode)


def sqlite_file(url: str) -> Path | None:
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
