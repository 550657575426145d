"""The database: migrations, engines and URLs, SQLite's write-ahead log, writes that are durable or refused."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, event, insert, inspect, select, text

from bot.storage import connect
from bot.storage.records import StoreError, StoreUnavailable, Workspace
from bot.storage.schema import SCHEMA_VERSION, Database, full_sync, schema_version
from tests.bot.storage.support import SLOT, subscribe


def test_migrating_twice_is_harmless_and_versioned(db_url, storage):
    assert storage.database.migrate() == SCHEMA_VERSION
    assert connect(db_url).database.migrate() == SCHEMA_VERSION


def test_a_newer_schema_is_refused(db_url, storage):
    from sqlalchemy import update

    with storage.database.engine.begin() as conn:
        conn.execute(update(schema_version).values(version=SCHEMA_VERSION + 1))
    with pytest.raises(StoreError, match="newer than this bot"):
        connect(db_url)


def test_hosting_providers_postgres_urls_are_accepted(monkeypatch):
    seen = {}
    monkeypatch.setattr("bot.storage.schema.create_engine", lambda url, **kw: seen.setdefault("url", url) and create_engine("sqlite://"))
    monkeypatch.setattr(Database, "migrate", lambda self: SCHEMA_VERSION)
    connect("postgres://u:p@db:5432/reset")
    assert seen["url"] == "postgresql+psycopg://u:p@db:5432/reset"


def test_a_sqlite_database_keeps_a_write_ahead_log_and_full_syncs(tmp_path):
    storage = connect(f"sqlite:///{tmp_path / 'reset.sqlite3'}")
    with storage.database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    storage.dispose()
    # Every connection is set to FULL, whatever the build's default (here it is FULL already).
    assert event.contains(storage.database.engine, "connect", full_sync)
    raw = sqlite3.connect(tmp_path / "reset.sqlite3")
    raw.execute("PRAGMA synchronous=OFF")
    full_sync(raw, None)
    assert raw.execute("PRAGMA synchronous").fetchone() == (2,)  # a commit survives a power cut
    raw.close()


def test_an_old_sqlite_stops_the_bot_with_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr("bot.storage.schema.sqlite3.sqlite_version_info", (3, 34, 1))
    monkeypatch.setattr("bot.storage.schema.sqlite3.sqlite_version", "3.34.1")
    needed = r"SQLite 3\.35 or newer is needed, and this Python has 3\.34\.1; .*PostgreSQL"
    with pytest.raises(StoreError, match=needed):
        connect(f"sqlite:///{tmp_path / 'reset.sqlite3'}")


class TestDurability:
    """A write the database will not have after a restart is never reported as done."""

    def test_a_deleted_sqlite_file_refuses_writes_and_reads_stay_possible(self, tmp_path, clock):
        path = tmp_path / "reset.sqlite3"
        storage = connect(f"sqlite:///{path}", now=clock)
        try:
            subscribe(storage)
            path.unlink()
            with pytest.raises(StoreUnavailable, match="disappeared"):
                subscribe(storage, channel="C0000TWO02")
            with pytest.raises(StoreUnavailable):
                storage.database.check_writable()
        finally:
            storage.dispose()
        reopened = connect(f"sqlite:///{path}", now=clock)
        try:
            assert reopened.subscriptions.live() == []  # what the bot would have "confirmed" is gone
        finally:
            reopened.dispose()

    def test_a_replaced_sqlite_file_is_noticed(self, tmp_path, clock):
        path = tmp_path / "reset.sqlite3"
        storage = connect(f"sqlite:///{path}", now=clock)
        try:
            path.rename(tmp_path / "old.sqlite3")
            path.write_bytes(b"")
            with pytest.raises(StoreUnavailable, match="replaced"):
                storage.database.check_writable()
        finally:
            storage.dispose()

    def test_a_read_only_database_refuses_writes_with_store_unavailable(self, tmp_path, clock):
        """(Root ignores file modes, so read-only is made with SQLite's query_only pragma: the same
        "attempt to write a readonly database" OperationalError.)"""
        storage = connect(f"sqlite:///{tmp_path / 'ro.sqlite3'}", now=clock)
        try:
            event.listen(storage.database.engine, "connect", lambda conn, _: conn.execute("PRAGMA query_only=ON"))
            storage.dispose()  # new connections are read-only
            with pytest.raises(StoreUnavailable, match="refused a write"):
                subscribe(storage)
            with pytest.raises(StoreUnavailable):
                storage.database.check_writable()
            assert storage.subscriptions.live() == []  # reads still work
        finally:
            storage.dispose()


# ---- version 4 → 5: workspaces -----------------------------------------------------------------
def _v4_database(url):
    """A database as version 4 of the bot left it: its tables and indexes as the old migrations
    made them (spelled out here, frozen, since today's `metadata` has the version 5 columns)."""
    from sqlalchemy import Column, DateTime, ForeignKey, Integer, MetaData, String, Table, Text, UniqueConstraint

    old = MetaData()
    Table("reset_schema_version", old, Column("id", Integer, primary_key=True), Column("version", Integer))
    Table("reset_subscriptions", old, Column("id", Integer, primary_key=True, autoincrement=True),
          Column("team_id", String(32), nullable=False), Column("channel_id", String(32), nullable=False, index=True),
          Column("created_by", String(32), nullable=False), Column("weekday", String(3), nullable=False),
          Column("at_time", String(5), nullable=False), Column("timezone", String(64), nullable=False),
          Column("state", String(16), nullable=False), Column("pause_reason", Text),
          Column("created_at", DateTime(timezone=True), nullable=False),
          Column("updated_at", DateTime(timezone=True), nullable=False))
    Table("reset_deliveries", old, Column("id", Integer, primary_key=True, autoincrement=True),
          Column("subscription_id", Integer, ForeignKey("reset_subscriptions.id")),
          Column("channel_id", String(32), nullable=False), Column("slot_utc", DateTime(timezone=True), nullable=False),
          Column("kind", String(16), nullable=False), Column("status", String(16), nullable=False),
          Column("owner", String(64), nullable=False), Column("claimed_at", DateTime(timezone=True), nullable=False),
          Column("finished_at", DateTime(timezone=True)), Column("attempts", Integer, nullable=False),
          Column("message_ts", String(32)), Column("error", Text), Column("data_version", String(32)),
          Column("headline_json", Text),
          UniqueConstraint("subscription_id", "slot_utc", "kind", name="reset_deliveries_one_per_slot"))
    Table("reset_request_sightings", old, Column("key", String(80), primary_key=True),
          Column("seen_at", DateTime(timezone=True), nullable=False, index=True))
    engine = create_engine(url)
    with engine.begin() as conn:
        old.create_all(conn)
        for ddl in ("CREATE UNIQUE INDEX reset_subscriptions_one_schedule ON reset_subscriptions "
                    "(channel_id, weekday, at_time, timezone) WHERE state != 'removed'",
                    "CREATE UNIQUE INDEX reset_deliveries_one_send_now ON reset_deliveries (channel_id, slot_utc) "
                    "WHERE kind = 'now'",
                    "CREATE INDEX reset_deliveries_by_channel ON reset_deliveries (channel_id, status, finished_at)"):
            conn.execute(text(ddl))
        conn.execute(text("INSERT INTO reset_schema_version (id, version) VALUES (1, 4)"))
        at = datetime(2026, 11, 1, tzinfo=timezone.utc)
        ids = [conn.execute(insert(old.tables["reset_subscriptions"]).values(
            team_id="T0000OLD01", channel_id=channel, created_by="U1", weekday="fri", at_time="16:30",
            timezone="Europe/London", state=state, created_at=at, updated_at=at)).inserted_primary_key[0]
            for channel, state in (("C0000GEN01", "active"), ("C0000TWO02", "removed"))]
        conn.execute(insert(old.tables["reset_deliveries"]), [
            dict(subscription_id=sub, channel_id=channel, slot_utc=slot, kind=kind, status="sent", owner="old",
                 claimed_at=slot, finished_at=slot, attempts=1, message_ts=ts, headline_json=headline)
            for sub, channel, slot, kind, ts, headline in (
                (ids[0], "C0000GEN01", SLOT, "scheduled", "1.0", '{"w": 1}'),
                (ids[1], "C0000TWO02", SLOT, "scheduled", "2.0", None),
                (None, "C0000GEN01", SLOT + timedelta(days=1), "now", "3.0", '{"w": 2}'),
                (None, "D0000DM0001", SLOT, "now", "4.0", None))])
    engine.dispose()


def test_a_version_4_database_migrates_in_place_to_its_single_workspace(db_url, clock):
    _v4_database(db_url)
    storage = connect(db_url, now=clock)
    try:
        with storage.database.read() as conn:
            assert conn.execute(select(schema_version.c.version)).scalar_one() == SCHEMA_VERSION
        old = Workspace("T0000OLD01")
        rows = storage.ledger.rows()
        assert len(rows) == 4  # nothing lost
        # a subscription's rows get its team; a send-now the team of its channel's subscription,
        # else (a DM no one subscribed) the newest subscription's: the single token's workspace
        assert {(r.channel_id, r.kind, r.team_id, r.enterprise_id) for r in rows} == {
            ("C0000GEN01", "scheduled", "T0000OLD01", None), ("C0000TWO02", "scheduled", "T0000OLD01", None),
            ("C0000GEN01", "now", "T0000OLD01", None), ("D0000DM0001", "now", "T0000OLD01", None)}
        [sub] = storage.subscriptions.in_channel(old, "C0000GEN01")
        assert (sub.team_id, sub.enterprise_id) == ("T0000OLD01", None)
        assert storage.ledger.last_sent(old, "C0000GEN01").headline == {"w": 2}  # the send-now, a day later
        # and it keeps working: the per-workspace indexes are in place of the channel-wide ones
        with pytest.raises(StoreError, match="already gets that briefing"):
            subscribe(storage, team_id="T0000OLD01")
        assert subscribe(storage, team_id="T0000NEW02").channel_id == "C0000GEN01"
        assert storage.ledger.claim(subscription_id=None, channel_id="C0000GEN01", slot_utc=SLOT + timedelta(days=1),
                                    kind="now", owner="new", claim_timeout=timedelta(minutes=5),
                                    workspace=Workspace("T0000NEW02")) is not None
        assert storage.ledger.claim(subscription_id=None, channel_id="C0000GEN01", slot_utc=SLOT + timedelta(days=1),
                                    kind="now", owner="new", claim_timeout=timedelta(minutes=5), workspace=old) is None
        names = {index["name"] for table in ("reset_subscriptions", "reset_deliveries")
                 for index in inspect(storage.database.engine).get_indexes(table)}
        assert {"reset_subscriptions_one_schedule_per_team", "reset_deliveries_one_send_now_per_team",
                "reset_deliveries_by_team_channel"} <= names
        assert not names & {"reset_subscriptions_one_schedule", "reset_deliveries_one_send_now",
                            "reset_deliveries_by_channel"}
        assert storage.database.migrate() == SCHEMA_VERSION  # and again: nothing to do
    finally:
        storage.dispose()


def test_send_now_rows_of_a_database_without_subscriptions_stay_as_history(db_url, clock):
    """No subscription to take a team from: the row keeps a NULL team, and is neither lost nor a base."""
    _v4_database(db_url)
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM reset_deliveries WHERE subscription_id IS NOT NULL"))
        conn.execute(text("DELETE FROM reset_subscriptions"))
    engine.dispose()
    storage = connect(db_url, now=clock)
    try:
        assert {(r.channel_id, r.team_id) for r in storage.ledger.rows()} == {("C0000GEN01", None),
                                                                              ("D0000DM0001", None)}
        assert storage.ledger.last_sent(Workspace("T0000OLD01"), "C0000GEN01") is None
    finally:
        storage.dispose()


def test_a_new_database_has_only_the_per_workspace_indexes(db_url, storage):
    names = {index["name"] for table in ("reset_subscriptions", "reset_deliveries")
             for index in inspect(storage.database.engine).get_indexes(table)}
    assert "reset_subscriptions_one_schedule_per_team" in names and "reset_subscriptions_one_schedule" not in names


def test_a_version_5_database_gains_the_oauth_tables_in_place_and_keeps_its_rows(db_url):
    from sqlalchemy import inspect, update

    from bot.storage.schema import oauth_states, slack_bots, slack_installations

    first = connect(db_url)
    kept = subscribe(first)
    with first.database.engine.begin() as conn:  # the database as version 5 left it
        for table in (oauth_states, slack_installations, slack_bots):
            table.drop(conn)
        conn.execute(update(schema_version).values(version=5))
    first.dispose()
    again = connect(db_url)
    try:
        tables = set(inspect(again.database.engine).get_table_names())
        assert {"reset_slack_bots", "reset_slack_installations", "reset_oauth_states"} <= tables
        assert [s.id for s in again.subscriptions.live()] == [kept.id]
    finally:
        again.dispose()


def test_a_version_6_database_gains_the_index_on_oauth_states_in_place(db_url):
    """Version 7: slack_sdk's state table has no index on ``state``, which every install callback
    looks up; the migration adds one to an existing table and keeps its rows."""
    from sqlalchemy import update

    from bot.storage.installations import state_store
    from bot.storage.schema import oauth_states

    def indexed(storage) -> list[list[str]]:
        return [index["column_names"] for index in inspect(storage.database.engine).get_indexes(oauth_states.name)]

    first = connect(db_url)
    assert ["state"] in indexed(first)  # a new database has it
    issued = state_store(first.database.engine).issue()
    with first.database.engine.begin() as conn:  # the database as version 6 left it
        conn.execute(text("DROP INDEX reset_oauth_states_by_state"))
        conn.execute(update(schema_version).values(version=6))
    assert ["state"] not in indexed(first)
    first.dispose()
    again = connect(db_url)
    try:
        assert ["state"] in indexed(again)
        assert state_store(again.database.engine).consume(issued) is True  # the row it had is still there
    finally:
        again.dispose()


def test_a_version_6_database_gains_the_history_budget_tables_in_place(db_url):
    from sqlalchemy import inspect, update

    from bot.storage.schema import api_budgets, history_scans

    first = connect(db_url)
    kept = subscribe(first)
    with first.database.engine.begin() as conn:  # the database as version 6 left it
        for table in (api_budgets, history_scans):
            table.drop(conn)
        conn.execute(update(schema_version).values(version=6))
    first.dispose()
    again = connect(db_url)
    try:
        assert {"reset_api_budgets", "reset_history_scans"} <= set(inspect(again.database.engine).get_table_names())
        assert [s.id for s in again.subscriptions.live()] == [kept.id]
        assert again.budgets.take("conversations.history", kept.workspace, timedelta(minutes=1)).taken
    finally:
        again.dispose()


# ---- version 10 (issue 14's threads): briefing forms --------------------------------------------
def test_a_version_6_database_keeps_its_subscriptions_flat_and_its_ledger_rows(db_url, clock):
    from sqlalchemy import update

    from bot.storage.records import DeliveryStatus
    from bot.storage.schema import deliveries, subscriptions

    first = connect(db_url, now=clock)
    kept = subscribe(first)
    claim = first.ledger.claim(subscription_id=kept.id, channel_id=kept.channel_id, slot_utc=SLOT, kind="scheduled",
                               owner="a", claim_timeout=timedelta(minutes=10))
    first.ledger.finish(claim, DeliveryStatus.SENT, ts="1.000100")
    with first.database.engine.begin() as conn:  # the database as version 6 left it: no form, no parts
        conn.execute(text("ALTER TABLE reset_subscriptions DROP COLUMN form"))
        for column in ("form", "parts_json"):
            conn.execute(text(f"ALTER TABLE reset_deliveries DROP COLUMN {column}"))
        conn.execute(update(schema_version).values(version=6))
    first.dispose()
    again = connect(db_url, now=clock)
    try:
        columns = {c["name"] for c in inspect(again.database.engine).get_columns(subscriptions.name)}
        assert "form" in columns
        ledger_columns = {c["name"] for c in inspect(again.database.engine).get_columns(deliveries.name)}
        assert {"form", "parts_json"} <= ledger_columns
        [sub] = again.subscriptions.live()
        assert (sub.id, sub.form) == (kept.id, "flat")  # an existing channel keeps its one message
        [row] = again.ledger.rows()
        assert (row.status, row.message_ts, row.form, row.parts) == ("sent", "1.000100", None, None)
        assert again.subscriptions.add(team_id="T1", channel_id="C0000NEW01", created_by="U1", weekday="mon",
                                       at_time="09:00", timezone_name="UTC", form="threaded").form == "threaded"
        assert again.database.migrate() == SCHEMA_VERSION
    finally:
        again.dispose()


def test_a_server_connection_dropped_while_idle_is_replaced_before_use_and_a_busy_one_is_not_pinged(db_url):
    """PostgreSQL only. The pool pings a connection before use only after it sat idle
    (`ping_when_idle`); one the server dropped meanwhile is swapped for a new one, unseen."""
    if db_url.startswith("sqlite"):
        pytest.skip("a local file has no server to drop connections")
    from bot.storage.schema import ping_when_idle

    database = Database.open(db_url)
    engine = create_engine(db_url, pool_size=1, max_overflow=0)
    ping_when_idle(engine, idle_seconds=0.0)  # every checkout counts as idle
    try:
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with database.engine.begin() as admin:  # the server drops the pooled connection
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with engine.connect() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
        busy = create_engine(db_url, pool_size=1, max_overflow=0)
        ping_when_idle(busy, idle_seconds=3600.0)  # in use moments ago: handed out as it is
        pings = []
        real_ping = busy.dialect.do_ping
        busy.dialect.do_ping = lambda dbapi_connection: pings.append(1) or real_ping(dbapi_connection)
        for _ in range(3):
            with busy.connect() as conn:
                assert conn.execute(text("SELECT 1")).scalar_one() == 1
        assert pings == []
        ping_when_idle(busy, idle_seconds=0.0)  # … and the same pool once the connection counts as idle
        with busy.connect() as conn:
            conn.execute(text("SELECT 1"))
        assert pings == [1]
        busy.dispose()
    finally:
        engine.dispose()
        database.engine.dispose()
