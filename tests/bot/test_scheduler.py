"""The scheduler: one job per weekly schedule, kept in step with the database, and a clean stop."""

from __future__ import annotations

import threading
from datetime import timedelta

from bot.briefings.pacing import Pacer
from bot.briefings.recovery import RELEASED
from handlers.queries import UnsubscribeQuery
from tests.bot.briefings.support import (
    FRIDAY_1630_LONDON,
    LONDON_FRIDAY,
    briefings,
    here,
    job_ids,
    subscribe_friday,
)


def test_scheduler_jobs_follow_the_database(make_service, slack):
    a, b = make_service("a"), make_service("b")  # b plays another replica writing to the database
    a.scheduler.start()
    try:
        subscribe_friday(b)
        slack.add_channel("C0000OTHER", "other")
        subscribe_friday(b, "C0000OTHER")  # the same schedule: one job delivers both
        a.scheduler.sync()
        briefing_jobs = [j for j in a.scheduler.jobs() if j.id.startswith("briefing:")]
        assert [j.id for j in briefing_jobs] == ["briefing:fri:16:30:Europe/London"]
        assert "Europe/London" in repr(briefing_jobs[0].trigger) and briefing_jobs[0].executor == "briefings"
        b.commands.handle(UnsubscribeQuery(), here())
        a.scheduler.sync()
        assert [j.id for j in a.scheduler.jobs() if j.id.startswith("briefing:")] == [briefing_jobs[0].id]
        b.commands.handle(UnsubscribeQuery(), here("C0000OTHER"))
        a.scheduler.sync()
        assert not [j for j in a.scheduler.jobs() if j.id.startswith("briefing:")]
    finally:
        a.scheduler.shutdown()


def test_unsubscribing_the_last_channel_on_a_schedule_removes_its_job_at_once(service, slack):
    service.scheduler.start(paused=True)  # no background sync to race with
    try:
        subscribe_friday(service)
        slack.add_channel("C0000OTHER", "other")
        subscribe_friday(service, "C0000OTHER")
        service.commands.handle(UnsubscribeQuery(), here())
        assert "briefing:fri:16:30:Europe/London" in job_ids(service)  # still used by the other
        service.commands.handle(UnsubscribeQuery(), here("C0000OTHER"))
        assert "briefing:fri:16:30:Europe/London" not in job_ids(service)
    finally:
        service.scheduler.shutdown()


def test_a_stop_mid_fan_out_gives_back_the_unposted_claims_for_the_next_process(make_service, slack, clock):
    paced = threading.Event()

    def pace(seconds):  # the later posts wait for their turns, and meanwhile a deploy stops the bot
        paced.set()
        stopping.fanout.wait_for_stop(timeout=10)

    stopping = make_service("stopping", workers=1, pacer=Pacer(per_second=10, clock=lambda: 0.0, sleep=pace))
    channels = [f"C00000{n:04d}" for n in range(4)]
    for channel in channels:
        slack.add_channel(channel, channel.lower())
        subscribe_friday(stopping, channel)
    stopping.scheduler.start(sync_loop=False)  # this process's own catch-up stays out of the way
    clock.now = FRIDAY_1630_LONDON
    stopping.scheduler.run_now(*LONDON_FRIDAY)
    assert paced.wait(timeout=10)  # the first is posted, the others wait for their turns
    # SIGTERM: APScheduler waits for the job, which ends once the post in flight is recorded; the
    # briefings still waiting for their turn have not called Slack, and give their claims back
    stopping.scheduler.shutdown()
    assert sum(len(briefings(slack, c)) for c in channels) == 1
    rows = stopping.storage.ledger.rows()
    assert sorted((d.status, d.attempts) for d in rows) == [("failed", 0)] * 3 + [("sent", 1)]
    assert {d.error for d in rows if d.status == "failed"} == {RELEASED}

    clock.now += timedelta(seconds=40)
    make_service("next").scheduler.sync()  # the replacement process catches up
    assert all(len(briefings(slack, c)) == 1 for c in channels)
    assert [(d.status, d.attempts) for d in stopping.storage.ledger.rows()] == [("sent", 1)] * 4


def test_each_refresh_counts_its_sources_outcomes_and_a_crash_counts_as_an_error(monkeypatch):
    from datetime import datetime, timezone

    from prometheus_client import REGISTRY

    from bot import scheduler
    from bot.pipeline.refresh import RefreshReport, SourceResult

    def count(source, outcome):
        return REGISTRY.get_sample_value("reset_bot_data_refreshes_total", {"source": source, "outcome": outcome}) or 0

    before = (count("tic", "ok"), count("fred", "failed"), count("all", "error"))
    report = RefreshReport(datetime(2026, 12, 1, tzinfo=timezone.utc),
                           (SourceResult("tic", "ok", ""), SourceResult("fred", "failed", "timeout")), "baseline")
    monkeypatch.setattr(scheduler, "scheduled_refresh", lambda settings, data: report)
    jobs = scheduler.DataJobs(settings=None, data=None)  # type: ignore[arg-type]
    jobs.refresh()
    monkeypatch.setattr(scheduler, "scheduled_refresh", lambda settings, data: 1 / 0)
    jobs.refresh()  # logged and counted, never raised into the scheduler
    assert (count("tic", "ok"), count("fred", "failed"), count("all", "error")) == tuple(b + 1 for b in before)
def test_every_data_job_runs_the_hook_after_it_even_when_the_job_itself_failed(settings, datasets, monkeypatch):
    """The alerts' evaluation (issue 14) hangs on this hook: after each refresh and reload, and a
    failing hook is logged, never raised into APScheduler."""
    from bot.scheduler import DataJobs
    from bot.serving.live_data import LiveData

    calls = []
    jobs = DataJobs(settings, LiveData(datasets), after_data=lambda: calls.append("after"))
    jobs.reload()
    monkeypatch.setattr("bot.scheduler.scheduled_refresh", lambda *a: 1 / 0)  # a refresh that fails outright
    jobs.refresh()  # logged; the data in service stay, and the hook still runs
    assert calls == ["after", "after"]
    DataJobs(settings, LiveData(datasets), after_data=lambda: 1 / 0).reload()  # does not raise
