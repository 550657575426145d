"""The database: migrations, engines and URLs, SQLite's write-ahead log, writes that are durable or refused."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine, event

from bot.storage import connect
from bot.storage.records import StoreError, StoreUnavailable
from bot.storage.schema import SCHEMA_VERSION, Database, full_sync, schema_version
from tests.bot.storage.support import subscribe


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


def test_a_version_4_database_gains_the_oauth_tables_in_place_and_keeps_its_rows(db_url):
    from sqlalchemy import inspect, update

    from bot.storage.schema import oauth_states, slack_bots, slack_installations

    first = connect(db_url)
    kept = subscribe(first)
    with first.database.engine.begin() as conn:  # the database as version 4 left it
        for table in (oauth_states, slack_installations, slack_bots):
            table.drop(conn)
        conn.execute(update(schema_version).values(version=4))
    first.dispose()
    again = connect(db_url)
    try:
        tables = set(inspect(again.database.engine).get_table_names())
        assert {"reset_slack_bots", "reset_slack_installations", "reset_oauth_states"} <= tables
        assert [s.id for s in again.subscriptions.live()] == [kept.id]
    finally:
        again.dispose()
