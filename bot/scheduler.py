"""The one APScheduler of a `reset-bot serve` process, and every job it runs.

- one cron job per weekly briefing schedule in use ("briefing:fri:16:30:Europe/London"), which
  runs `bot.briefings.fanout.Fanout.deliver_due` in executor threads of its own;
- the sync loop (`sync`, every `BriefingSettings.sync_interval`): rebuild those jobs from the
  database — other replicas subscribe and unsubscribe too — and catch up
  (`bot.briefings.catchup.CatchUp`);
- the data jobs (`DataJobs`): a daily refresh from the publishers, a reload when another replica
  published a newer data version, and loading the chart renderers once in the background.

Stopping is the delicate part; see `Scheduler.shutdown`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor as JobExecutor
from apscheduler.job import Job
from apscheduler.schedulers.background import BackgroundScheduler

from bot.briefings.catchup import CatchUp
from bot.briefings.fanout import Fanout
from bot.briefings.slots import trigger
from bot.pipeline.refresh import scheduled_refresh
from bot.serving.live_data import LiveData
from bot.settings import Settings
from bot.storage.records import Subscription
from bot.storage.subscriptions import Subscriptions
from bot.telemetry import REFRESHES, label
from handlers.subscriptions import describe

logger = logging.getLogger("reset_bot.briefings")

SYNC_JOB = "reset-sync"
JOB_PREFIX = "briefing:"  # + weekday:HH:MM:zone, one job per schedule
BRIEFING_EXECUTOR = "briefings"  # fan-outs run in executor threads of their own, apart from sync and data jobs
REFRESH_HOUR_UTC = 6  # publishers release overnight US time; refresh before European mornings


def schedule_job_id(weekday: str, at_time: str, tz: str) -> str:
    return f"{JOB_PREFIX}{weekday}:{at_time}:{tz}"


@dataclass(frozen=True)
class DataJobs:
    """The data side's scheduled work: refresh from the publishers, pick up other replicas' versions."""

    settings: Settings
    data: LiveData
    warm_up: Callable[[], Any] | None = None  # e.g. importing the chart renderers, off the start path
    #: Run after each refresh and reload (issue 14: `bot.alerts.evaluate.AlertEvaluator.evaluate`). After
    #: every one, not only when this process switched versions: an evaluation of unchanged data changes
    #: nothing, and it is what retries a failed firing and takes over one a dead replica left.
    after_data: Callable[[], Any] | None = None

    def refresh(self) -> None:
        try:
            report = scheduled_refresh(self.settings, self.data)
        except Exception:  # a failed refresh keeps the data in service; it is in `data status`
            REFRESHES.labels("all", "error").inc()
            logger.exception("scheduled data refresh failed")
        else:
            for result in report.results:
                REFRESHES.labels(label(result.source), label(result.outcome)).inc()
        self._after_data()

    def reload(self) -> None:
        try:
            self.data.reload_if_changed()
        except Exception:
            logger.exception("could not check for a newer data version")
        self._after_data()

    def _after_data(self) -> None:
        if self.after_data is None:
            return
        try:
            self.after_data()
        except Exception:
            logger.exception("the work after a data job failed")


@dataclass(frozen=True)
class SyncProgress:
    """How far the sync loop has got. Operators see it in `/healthz`; the end-to-end test waits on
    it to know that every replica has read the ledger again since a moment (and so would have
    reposted a briefing by then, if it were going to)."""

    running: bool
    sync_passes: int  # passes completed since start
    last_sync_utc: str | None  # when the last one ended, ISO 8601


def _warm_up(work: Callable[[], Any]) -> None:
    try:
        work()
    except Exception:  # the first chart then loads its renderers itself
        logger.exception("warming up after start failed")


class Scheduler:
    def __init__(self, fanout: Fanout, catch_up: CatchUp, subscriptions: Subscriptions, *,
                 data_jobs: DataJobs | None = None) -> None:
        self.fanout = fanout
        self.catch_up = catch_up
        self.subscriptions = subscriptions
        self.data_jobs = data_jobs
        self.config = fanout.config
        self._scheduler: BackgroundScheduler | None = None
        self._sync_lock = threading.Lock()
        self._passes = 0  # sync passes completed since start (shown in /healthz)
        self._last_pass: datetime | None = None

    def progress(self) -> SyncProgress:
        last = self._last_pass.isoformat(timespec="seconds") if self._last_pass else None
        return SyncProgress(running=self.running, sync_passes=self._passes, last_sync_utc=last)

    @property
    def running(self) -> bool:
        return self._scheduler is not None

    def jobs(self) -> list[Job]:
        """The scheduled jobs (none before `start`)."""
        return self._scheduler.get_jobs() if self._scheduler is not None else []

    def start(self, *, paused: bool = False, sync_loop: bool = True) -> None:
        """Start APScheduler: the sync loop (which adds one cron job per weekly schedule in use, read
        from the database) and the data jobs. ``paused``: jobs are kept but none runs until
        `resume`; without ``sync_loop`` only what is scheduled explicitly runs (tests)."""
        scheduler = BackgroundScheduler(
            timezone=timezone.utc,
            # Fan-outs wait on the workers (and on pacing) for as long as a big one takes; they get
            # executor threads of their own so that the sync loop and the data jobs never queue behind them.
            executors={"default": JobExecutor(max_workers=4), BRIEFING_EXECUTOR: JobExecutor(max_workers=10)},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": int(self.config.grace.total_seconds())},
        )
        self._scheduler = scheduler
        self.fanout.resume_posting()
        if sync_loop:
            scheduler.add_job(self.sync, "interval", seconds=self.config.sync_interval.total_seconds(), id=SYNC_JOB,
                              replace_existing=True, next_run_time=datetime.now(timezone.utc))
        if self.data_jobs is not None:
            scheduler.add_job(self.data_jobs.refresh, "cron", hour=REFRESH_HOUR_UTC, minute=15, id="reset-refresh",
                              replace_existing=True)
            scheduler.add_job(self.data_jobs.reload, "interval", minutes=5, id="reset-reload", replace_existing=True)
        scheduler.start(paused=paused)
        if self.data_jobs is not None and self.data_jobs.warm_up is not None:
            # A thread of its own, not a one-off job: APScheduler removes a run-once job from its
            # store right after starting it, and a stop in that moment raised JobLookupError in
            # the scheduler's thread (seen in tests that start and stop at once).
            threading.Thread(target=_warm_up, args=(self.data_jobs.warm_up,), name="warm-up", daemon=True).start()
        logger.info("briefing scheduler started (owner %s)", self.fanout.owner)

    def run_now(self, weekday: str, at_time: str, tz: str) -> None:
        """Fire one schedule's fan-out at once, in the briefing executor, as its cron job would."""
        if self._scheduler is None:
            raise RuntimeError("the scheduler is not running")
        self._scheduler.add_job(self.fanout.deliver_due, args=[weekday, at_time, tz], executor=BRIEFING_EXECUTOR)

    def shutdown(self) -> None:
        """Stop the scheduler once no sync is running: APScheduler's shutdown holds its job-store
        lock while waiting for jobs, and a sync inside get_jobs() would wait on it forever. Syncs
        that start later see `Fanout.stopping` inside the lock and return at once (so the scheduler
        is not shut down under the lock: a sync job waiting for it would be waited for in turn). A
        fan-out in progress finishes the posts in flight and gives the other claims back."""
        self.fanout.stop_posting()
        with self._sync_lock:
            pass
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None
        self.fanout.close()

    # ---- the sync loop -----------------------------------------------------------------------
    def sync(self) -> None:
        """Rebuild jobs from the database (changes by other replicas), catch up, resume, retry."""
        if self.fanout.stopping:
            return
        with self._sync_lock:  # the scheduled sync never overlaps itself (max_instances=1); a direct call waits
            if self.fanout.stopping:
                return
            self._sync_all()
            self._passes += 1
            self._last_pass = datetime.now(timezone.utc)

    def _sync_all(self) -> None:
        try:
            live = self.subscriptions.live()
        except Exception:
            logger.exception("briefing sync failed; will try again")
            return
        try:
            if self._scheduler is not None:
                wanted = {schedule_job_id(s.weekday, s.at_time, s.timezone) for s in live}
                for job in self._scheduler.get_jobs():
                    if job.id.startswith(JOB_PREFIX) and job.id not in wanted:
                        job.remove()
            for sub in live:
                try:  # one bad row must not stop the others
                    self.schedule(sub)
                except Exception:
                    logger.exception("sync of subscription %s failed; will try again", sub.id)
        except Exception:
            logger.exception("briefing sync failed; will try again")
        self.catch_up.run(live)

    # ---- one job per weekly schedule ---------------------------------------------------------
    def schedule(self, sub: Subscription) -> None:
        """Make sure the job of ``sub``'s schedule exists (no-op before `start`)."""
        if self._scheduler is None:
            return
        job_id = schedule_job_id(sub.weekday, sub.at_time, sub.timezone)
        if self._scheduler.get_job(job_id) is not None:  # the id names the schedule, so the trigger matches
            return
        self._scheduler.add_job(self.fanout.deliver_due, trigger(sub.weekday, sub.at_time, sub.timezone),
                                args=[sub.weekday, sub.at_time, sub.timezone], id=job_id, replace_existing=True,
                                executor=BRIEFING_EXECUTOR, name=describe(sub.weekday, sub.at_time, sub.timezone))

    def unschedule(self, sub: Subscription) -> None:
        """Remove a schedule's job once no live subscription uses it (others may share it)."""
        if self._scheduler is None or self.subscriptions.on_schedule(sub.weekday, sub.at_time, sub.timezone):
            return
        job_id = schedule_job_id(sub.weekday, sub.at_time, sub.timezone)
        if self._scheduler.get_job(job_id) is not None:
            self._scheduler.remove_job(job_id)
