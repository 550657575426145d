"""`reset-bot serve` builds one runtime: the app, the briefing scheduler and the data jobs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.slack.delivery import Destination
from handlers.queries import BriefingQuery
from tests.conftest import CHANNEL, USER


def test_the_scheduler_runs_briefings_a_daily_refresh_and_reloads(runtime):
    runtime.start()
    try:
        jobs = {job.id: job for job in runtime.briefings.scheduler.jobs()}
        assert {"reset-sync", "reset-refresh", "reset-reload"} <= set(jobs)
        refresh = jobs["reset-refresh"].next_run_time
        assert (refresh.hour, refresh.minute) == (6, 15)  # daily, 06:15 UTC
        assert jobs["reset-reload"].trigger.interval == timedelta(minutes=5)
    finally:
        runtime.stop()


def test_a_briefing_lists_what_changed_in_the_data(runtime, slack):
    runtime.briefings.fanout.changes = lambda since: ["TIC: new month Apr 2026 — foreign holdings $9,352.6bn"]
    runtime.briefings.commands.handle(BriefingQuery(), Destination(CHANNEL, USER, None, "T"))
    [message] = [m for m in slack.messages(CHANNEL) if m.get("metadata")]
    assert "TIC: new month Apr 2026" in str(message["blocks"])


def test_readiness_needs_the_scheduler_running(runtime):
    report = runtime.health()
    assert report["ok"] is False and "not running" in report["problems"]["scheduler"]
    runtime.start()
    try:
        assert runtime.health()["ok"] is True
    finally:
        runtime.stop()


def test_health_is_green_only_while_the_database_takes_writes(runtime):
    from sqlalchemy import event

    runtime.briefings.scheduler.start()
    try:
        assert runtime.health()["ok"] is True
        event.listen(runtime.store.database.engine, "connect", lambda conn, _: conn.execute("PRAGMA query_only=ON"))
        runtime.store.database.engine.dispose()
        report = runtime.health()
    finally:
        runtime.briefings.scheduler.shutdown()
    assert report["ok"] is False and report["problems"]["database"].startswith("database refused the write (error id ")
    assert "readonly" not in str(report)  # SQLite's own words stay in the log


SECRETS = ("db-7.internal.example", "reset_admin", "hunter2-password", "UPDATE reset_schema_version")


def test_health_names_the_kind_of_database_failure_never_the_drivers_words(runtime, caplog):
    """The driver's first line can carry host and user names, a password in a DSN, or SQL; `/healthz`
    answers whoever reaches the port, so it says what kind of failure it is, and the log has the rest."""
    import sqlite3

    from sqlalchemy import event

    def refuse(*_):
        raise sqlite3.OperationalError('could not connect to server "db-7.internal.example" as user "reset_admin" '
                                       "(password=hunter2-password)")

    runtime.store.database.engine.dispose()
    event.listen(runtime.store.database.engine, "do_connect", refuse)
    with caplog.at_level("ERROR", logger="reset_bot.runtime"):
        report = runtime.health()
    problem = report["problems"]["database"]
    assert report["ok"] is False and problem.startswith("database unreachable (error id ")
    assert not [secret for secret in SECRETS if secret in str(report)]
    error_id = problem.removeprefix("database unreachable (error id ").rstrip(")")
    [logged] = [r.getMessage() for r in caplog.records if error_id in r.getMessage()]
    assert "db-7.internal.example" in logged  # the detail is in the log, under the same id


def test_health_of_an_unreachable_postgresql_shows_no_host_or_user(runtime, caplog):
    """A real driver: psycopg refused by a closed port on loopback names the host and port."""
    from sqlalchemy import create_engine

    from tests.processes import free_port

    pytest.importorskip("psycopg")
    port = free_port()
    database = runtime.store.database
    saved = database.engine
    database.engine = create_engine(f"postgresql+psycopg://reset_admin:hunter2-password@127.0.0.1:{port}/reset",
                                    connect_args={"connect_timeout": 5})
    try:
        report = runtime.health()
    finally:
        database.engine.dispose()
        database.engine = saved
    problem = report["problems"]["database"]
    assert problem.startswith("database unreachable (error id ")
    assert not [word for word in ("127.0.0.1", str(port), "reset_admin", "hunter2", "connection") if word in problem]


def test_the_warm_up_after_start_loads_the_charts_and_takes_the_start_up_heap_out_of_full_collections(
        runtime, monkeypatch):
    import gc

    import bot.runtime
    from handlers import charts

    assert runtime.briefings.scheduler.data_jobs.warm_up is bot.runtime.warm_up  # run on its own thread at start
    monkeypatch.setattr(bot.runtime, "_heap_settled", False)  # as in a fresh process
    try:
        gc.unfreeze()
        bot.runtime.warm_up()
        assert charts.load() is charts.load()  # imported once, kept
        assert gc.get_freeze_count() > 10_000  # the datasets, pandas, matplotlib, Bolt … are frozen
        gc.unfreeze()
        bot.runtime.warm_up()  # a second start in the same process
        assert gc.get_freeze_count() == 0  # … freezes nothing more: once per process
    finally:
        gc.unfreeze()  # this test process goes on collecting as before
