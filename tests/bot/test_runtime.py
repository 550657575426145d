"""`reset-bot serve` builds one runtime: the app, the briefing scheduler and the data jobs."""

from __future__ import annotations

from datetime import timedelta

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
    assert report["ok"] is False and "refused a write" in report["problems"]["database"]
