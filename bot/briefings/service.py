"""Weekly briefings: the subscription commands, the scheduler, and exactly-once delivery.

How a slot is delivered once, whatever happens (see also bot/storage/store.py):

1. The slot is *claimed* in the ledger (unique per subscription, slot and kind). Only the
   winner goes on: two replicas, a restart or a late (misfired) run cannot both post.
2. The message is posted with Slack message metadata naming the ledger row. If the owner dies
   after posting but before recording, the process that takes the stale claim over first looks
   in the channel's recent history for that metadata and records the message instead of
   posting it again.
3. The outcome — sent with its ``ts``, failed with Slack's error, missed (the bot was down for
   longer than the grace period), skipped — is written to the ledger.

A fan-out is one scheduler job per weekly schedule ("Monday 09:00 Europe/London"), not per
subscription. The job reads the schedule's subscriptions in one query; then, a chunk at a time
(what the pacer lets out in a quarter of the claim timeout, so no claim grows stale while it
waits), it claims the chunk's slots in one transaction (step 1, with ON CONFLICT DO NOTHING),
reads what each channel was last sent in one more, and a pool of workers posts them (step 2)
— each first checking that its claim is still its own attempt and the subscription still live —
and writes the sent briefings to the ledger RECORD_BATCH at a time (step 3: a crash before such a
write is the crash-after-posting case of step 2). Slots another process holds are left to it;
slots that failed or were left by a dead process go through the one-subscription path,
`deliver_slot`, as the sync loop's retries do.

Channel problems (`not_in_channel`, `channel_not_found`, `is_archived`) pause the subscription
with the reason, shown in `/reset subscriptions`; the sync loop resumes it when the bot can post
there again. 429s wait for Retry-After and 5xx/timeouts retry with bounded backoff (the Web
API client's retry handlers), and a slot that still failed is retried by the sync loop a few
times within the grace period. Nothing here lets an exception escape into the scheduler.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.executors.pool import ThreadPoolExecutor as JobExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.briefings.pacing import Pacer
from bot.briefings.slots import DEFAULT_DAY, DEFAULT_TIME, describe, latest_slot, local_and_utc, next_slot, trigger
from bot.serving.live_data import LiveData
from bot.slack.delivery import Destination, SlackDelivery, error_code
from bot.storage.store import TRANSIENT, Delivery, Outcome, Store, StoreError, StoreUnavailable, Subscription
from handlers.briefing import briefing_reply
from handlers.errors import UserFacingError
from handlers.queries import BriefingQuery, Query, SubscribeQuery, SubscriptionsQuery, UnsubscribeQuery
from handlers.reply import Reply, build, buttons, message, section

logger = logging.getLogger("reset_bot.briefings")

PAUSING_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
METADATA_EVENT = "reset_briefing"
MAX_ATTEMPTS = 3  # for Slack's refusals (invalid_blocks, …); transient failures retry for the whole grace
#: Slack errors that say "not now" rather than "no": retried like 5xx answers and timeouts.
TRANSIENT_CODES = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout",
                             "ratelimited", "rate_limited", "team_added_to_org"})
#: Waits before retry n, in units of `BriefingSettings.retry_base` (a minute by default): 1, 2,
#: 4, 8, then every 15 until the grace period ends. A 75-second outage costs a briefing three
#: minutes, not its delivery; Slack is not hammered.
RETRY_BACKOFF = (1, 2, 4, 8, 15)
HISTORY_CHECK_WAITS = (0.2, 1.0)  # seconds between the tries of one "was it posted?" check
SYNC_JOB = "reset-sync"
JOB_PREFIX = "briefing:"  # + weekday:HH:MM:zone, one job per schedule
BRIEFING_EXECUTOR = "briefings"  # fan-outs run in executor threads of their own, apart from sync and data jobs
PAUSED_CHECK_INTERVAL = timedelta(minutes=5)
RECORD_BATCH = 25  # a fan-out writes its posts' outcomes this many at a time, in one transaction
STOPPING = "stopping"  # _deliver_claim's answer when the bot is stopping: the caller gives the claim back
RELEASED = TRANSIENT + "not posted: the bot was stopping; the next sync delivers it"
UNCONFIRMED = TRANSIENT + "could not ask Slack whether an earlier attempt was posted; not reposted"


@dataclass(frozen=True)
class BriefingSettings:
    grace: timedelta = timedelta(hours=2)  # a slot missed by less than this is delivered late
    claim_timeout: timedelta = timedelta(minutes=10)  # a claim older than this belongs to a dead process
    sync_interval: timedelta = timedelta(seconds=30)  # how often jobs are rebuilt from the database
    workers: int = 10  # briefings posted at once: Slack answers in ~0.1 s, so a few in flight keep pace
    retry_base: timedelta = timedelta(minutes=1)  # the first wait after a failed post (RETRY_BACKOFF)


def schedule_job_id(weekday: str, at_time: str, tz: str) -> str:
    return f"{JOB_PREFIX}{weekday}:{at_time}:{tz}"


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class BriefingService:
    def __init__(
        self,
        store: Store,
        data: LiveData,
        delivery: SlackDelivery,
        client: WebClient,
        *,
        config: BriefingSettings = BriefingSettings(),
        pacer: Pacer | None = None,
        clock: Callable[[], datetime] | None = None,
        owner: str | None = None,
        changes: Callable[[str | None], list[str]] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.data = data
        self.delivery = delivery
        self.client = client
        self.config = config
        self.pacer = pacer or Pacer()
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.owner = owner or new_owner()
        self.changes = changes  # data-version diff lines (issue 5), given the version last sent
        self.sleep = sleep  # between tries of a history check (tests pass a fake)
        self.scheduler: BackgroundScheduler | None = None
        self._sync_lock = threading.Lock()
        self._paused_checked: dict[int, datetime] = {}
        self._stopping = False
        self._workers: ThreadPoolExecutor | None = None  # posts a fan-out's briefings; made on first use
        self._workers_lock = threading.Lock()

    # ---- commands (`/reset subscribe` …) ---------------------------------------------------
    def handle(self, query: Query, dest: Destination) -> Reply | None:
        """Run a briefing command; returns the reply to deliver, or None if already delivered."""
        if isinstance(query, SubscribeQuery):
            return self.subscribe(query, dest)
        if isinstance(query, SubscriptionsQuery):
            return self.list_subscriptions(dest.channel_id)
        if isinstance(query, UnsubscribeQuery):
            return self.unsubscribe(query, dest.channel_id)
        if isinstance(query, BriefingQuery):
            return self.send_now(dest)
        raise ValueError(f"not a briefing command: {query.kind}")

    def subscribe(self, query: SubscribeQuery, dest: Destination) -> Reply:
        self._ensure_member(dest.channel_id)
        tz, tz_note = query.timezone, ""
        if tz is None:
            tz, tz_note = self._user_timezone(dest.user_id)
        day = query.day or DEFAULT_DAY
        at = (query.at or DEFAULT_TIME).strftime("%H:%M")
        try:
            sub = self.store.add_subscription(team_id=dest.team_id, channel_id=dest.channel_id,
                                              created_by=dest.user_id or "", weekday=day, at_time=at, timezone_name=tz)
        except StoreUnavailable:
            raise  # not the user's doing: `bot.slack.errors.explain` says nothing was saved, with an id
        except StoreError as exc:
            raise UserFacingError(str(exc)) from None
        self._schedule(sub)
        upcoming = next_slot(sub.weekday, sub.at_time, sub.timezone, self.clock())
        return message(
            f":white_check_mark: This channel will get the Reset Bot briefing {describe(day, at, tz)}.{tz_note}\n"
            f"Next: *{local_and_utc(upcoming, tz)}*. `/reset briefing` sends one now; "
            "`/reset unsubscribe` stops it.",
            visibility="in_channel",
        )

    def list_subscriptions(self, channel_id: str) -> Reply:
        subs = self.store.channel_subscriptions(channel_id)
        if not subs:
            return message("This channel has no briefings. Try `/reset subscribe weekly fri 16:30 Europe/London`.")
        now = self.clock()
        lines = []
        for n, sub in enumerate(subs, 1):
            state = "active" if sub.state == "active" else f":double_vertical_bar: paused — {sub.pause_reason}"
            last = next((d for d in reversed(self.store.ledger(subscription_id=sub.id)) if d.status != "claimed"), None)
            last_text = f"; last: {last.status} {last.slot_utc:%d %b %H:%M} UTC" if last else ""
            lines.append(f"*{n}.* {describe(sub.weekday, sub.at_time, sub.timezone)} — next "
                         f"{local_and_utc(next_slot(sub.weekday, sub.at_time, sub.timezone, now), sub.timezone)} "
                         f"({state}{last_text})")
        return build([section("*Briefings in this channel*\n" + "\n".join(lines))],
                     text="Briefings in this channel: " + "; ".join(l.replace("*", "") for l in lines),
                     visibility="ephemeral")

    def unsubscribe(self, query: UnsubscribeQuery, channel_id: str) -> Reply:
        subs = self.store.channel_subscriptions(channel_id)
        if not subs:
            return message("This channel has no briefings to stop.")
        if query.number is None and len(subs) > 1:
            lines = [f"*{n}.* {describe(s.weekday, s.at_time, s.timezone)}" for n, s in enumerate(subs, 1)]
            return build(
                [section("This channel has several briefings. Which one should stop?\n" + "\n".join(lines)),
                 buttons([(f"Stop {n}", f"unsubscribe {n}") for n in range(1, len(subs) + 1)], block_id="unsubscribe")],
                text="Which briefing should stop? " + "; ".join(l.replace("*", "") for l in lines),
                visibility="ephemeral")
        number = query.number or 1
        if not 1 <= number <= len(subs):
            raise UserFacingError(f"There is no briefing {number} here; `/reset subscriptions` lists them (1–{len(subs)}).")
        sub = subs[number - 1]
        self.store.set_state(sub.id, "removed", reason="unsubscribed")  # from active or paused
        self._unschedule(sub)
        return message(f"Stopped the briefing {describe(sub.weekday, sub.at_time, sub.timezone)}.", visibility="in_channel")

    def send_now(self, dest: Destination) -> Reply | None:
        subs = self.store.channel_subscriptions(dest.channel_id)
        tz = subs[0].timezone if subs else self._user_timezone(dest.user_id)[0]
        schedule = describe(subs[0].weekday, subs[0].at_time, tz) if subs else "on request"
        now = self.clock().replace(microsecond=0)
        claim = self.store.claim(subscription_id=None, channel_id=dest.channel_id, slot_utc=now, kind="now",
                                 owner=self.owner, claim_timeout=self.config.claim_timeout)
        if claim is None:  # a second click in the same second
            return None
        try:
            self._post(claim, tz, schedule, dest, previous=self.store.last_sent(dest.channel_id))
        except SlackApiError as exc:
            code = error_code(exc)
            self.store.finish(claim, "failed", error=code)
            if code in PAUSING_ERRORS:
                raise UserFacingError(_invite_hint(code)) from None
            raise
        return None

    # ---- scheduled delivery ------------------------------------------------------------------
    def deliver_due(self, weekday: str, at_time: str, tz: str) -> dict[int, str]:
        """The scheduler's job for one weekly schedule: the slot just due, to every subscription on it.

        Returns what happened to each subscription (also in the ledger). Never raises."""
        if self._stopping:  # a job that fires while the bot stops: the next process's sync catches up
            return {}
        try:
            slot = latest_slot(weekday, at_time, tz, self.clock())
            subs = [s for s in self.store.schedule_subscriptions(weekday, at_time, tz) if s.created_at < slot]
            return self._deliver_group(slot, subs)
        except Exception:  # never let one schedule break the scheduler; the sync loop catches up
            logger.exception("briefings %s failed unexpectedly", describe(weekday, at_time, tz))
            return {}

    def _deliver_group(self, slot: datetime, subs: list[Subscription]) -> dict[int, str]:
        """Deliver one slot to subscriptions on one schedule, a chunk of claims at a time."""
        if not subs:
            return {}
        if self.clock() - slot > self.config.grace or _wall_time_repeats(subs[0].timezone, slot):
            return {s.id: self.deliver_slot(s.id, slot) for s in subs}  # rare: recorded one by one
        outcomes: dict[int, str] = {}
        size = self._chunk_size()
        for start in range(0, len(subs), size):
            if self._stopping:  # the rest have no claim yet: whoever syncs next delivers them
                break
            outcomes.update(self._deliver_chunk(slot, subs[start:start + size]))
        first = subs[0]
        logger.info("briefings %s, slot %s UTC: %s", describe(first.weekday, first.at_time, first.timezone),
                    f"{slot:%Y-%m-%d %H:%M}", dict(Counter(outcomes.values())))
        return outcomes

    def _chunk_size(self) -> int:
        """How many slots to claim at once: what the pacer lets out in a quarter of the claim timeout.

        A claim is then normally still fresh when its turn comes, too young for any sync loop to
        take over, and a crash leaves at most one chunk of claims to be taken over one by one.
        Schedules firing together share the pacer, so their claims can age more; the check before
        each post (`_post`) keeps that correct."""
        per_second = 1 / self.pacer.interval
        return max(self.config.workers, int(self.config.claim_timeout.total_seconds() / 4 * per_second))

    def _deliver_chunk(self, slot: datetime, subs: list[Subscription]) -> dict[int, str]:
        """Claim the slots in one transaction, post them through the workers, and look at the rest."""
        claims = self.store.claim_slots(subs, slot, owner=self.owner)
        outcomes: dict[int, str] = {}
        if claims:
            try:
                previous = self.store.last_sent_many(list(claims))
            except Exception:  # nothing is posted yet: give the claims back rather than leave them to time out
                self.store.release(list(claims.values()),
                                   TRANSIENT + "not posted: the channels' last briefings could not be read")
                raise
            by_id = {s.id: s for s in subs}
            recorder = _Recorder(self.store)
            try:
                posted = list(self._pool().map(
                    lambda claim: self._deliver_claim(by_id[claim.subscription_id], claim,
                                                      previous.get(claim.channel_id), recorder),
                    claims.values()))
            finally:
                recorder.flush()
            stopped = [claim for claim, outcome in zip(claims.values(), posted) if outcome == STOPPING]
            if stopped:
                self.store.release(stopped, RELEASED)  # in one statement, so a stop stays quick
            outcomes.update((sub_id, "released" if outcome == STOPPING else outcome)
                            for sub_id, outcome in zip(claims, posted))
        held = [s for s in subs if s.id not in claims]
        if held:  # the slot has a row already: delivered elsewhere, in flight, failed, or left by a dead process
            rows = self.store.slot_rows({s.id: slot for s in held})
            for sub in held:
                retry = not rows[sub.id] or self._retryable(sub.id, slot, rows=rows[sub.id], state=sub.state)
                outcomes[sub.id] = self.deliver_slot(sub.id, slot) if retry else "already"
        return outcomes

    def deliver_slot(self, subscription_id: int, slot: datetime | None = None) -> str:
        """Deliver one slot of one subscription; returns what happened (also in the ledger).

        The path for retries, takeovers, late and missed slots (the sync loop) and `deliver_due`'s
        rare cases; a schedule's regular fan-out claims its slots together instead."""
        try:
            sub = self.store.get(subscription_id)
            if sub is None or sub.state == "removed":
                return "removed"
            now = self.clock()
            slot = slot or latest_slot(sub.weekday, sub.at_time, sub.timezone, now)
            if now - slot > self.config.grace:
                return self._too_late(sub, slot)
            if self._repeated_wall_time(sub, slot):
                self.store.record(subscription_id=sub.id, channel_id=sub.channel_id, slot_utc=slot, status="skipped",
                                  owner=self.owner, error="the clocks went back: this wall-clock time came round twice")
                return "already"
            claim = self.store.claim(subscription_id=sub.id, channel_id=sub.channel_id, slot_utc=slot,
                                     kind="scheduled", owner=self.owner, claim_timeout=self.config.claim_timeout,
                                     retry_failed=MAX_ATTEMPTS)
            if claim is None:
                return "already"
            # A takeover or a retry: the earlier attempt may have reached Slack before failing.
            if claim.taken_over or claim.attempts > 1:
                posted = self._already_posted(claim)
                if posted is None:  # unknown is not "no": never post what may be there already
                    self.store.finish(claim, "failed", error=UNCONFIRMED)
                    return "failed:unconfirmed"
                if posted:
                    return "recovered"
            outcome = self._deliver_claim(sub, claim, self.store.last_sent(sub.channel_id))
            if outcome == STOPPING:
                self.store.release([claim], RELEASED)
                return "released"
            return outcome
        except Exception:  # never let one subscription break the scheduler
            logger.exception("delivery of subscription %s failed unexpectedly", subscription_id)
            return "error"

    def _too_late(self, sub: Subscription, slot: datetime) -> str:
        """Beyond the grace period a slot is not sent: it is recorded as missed. A claim that a dead
        process left on it is closed the same way — after asking Slack whether that process posted —
        rather than left open."""
        error = f"the bot was not running within {self.config.grace} of the slot"
        if self.store.record(subscription_id=sub.id, channel_id=sub.channel_id, slot_utc=slot, status="missed",
                             owner=self.owner, error=error):
            return "missed"
        claim = self.store.claim(subscription_id=sub.id, channel_id=sub.channel_id, slot_utc=slot, kind="scheduled",
                                 owner=self.owner, claim_timeout=self.config.claim_timeout)  # only a stale claim
        if claim is None:
            return "already"
        posted = self._already_posted(claim)
        if posted:
            return "recovered"
        self.store.finish(claim, "missed", error=error if posted is False else
                          error + "; Slack could not be asked whether an earlier attempt was posted")
        return "missed"

    def _deliver_claim(self, sub: Subscription, claim: Delivery, previous: Delivery | None,
                       recorder: _Recorder | None = None) -> str:
        """Post a claimed slot and record the outcome; never raises. ``previous``: the channel's last
        briefing; ``recorder``: a fan-out's batch writer for sent briefings (else recorded at once).

        Answers STOPPING, without posting, when the bot is stopping: the caller gives the claim back."""
        try:
            if self._stopping:  # a deploy mid-fan-out: give the claim back rather than hold up the stop
                return STOPPING
            try:
                outcome = self._post(claim, sub.timezone, describe(sub.weekday, sub.at_time, sub.timezone),
                                     Destination(sub.channel_id), previous=previous, recorder=recorder)
            except SlackApiError as exc:
                code = error_code(exc)
                if is_transient(exc):  # Slack's outage, not its refusal: retried through the grace
                    self.store.finish(claim, "failed", error=f"{TRANSIENT}{code} (HTTP {exc.response.status_code})")
                    return "failed:transient"
                self.store.finish(claim, "failed", error=code)
                if code in PAUSING_ERRORS:
                    self.store.set_state(sub.id, "paused", reason=_pause_reason(code))
                    logger.warning("subscription %s paused: %s", sub.id, code)
                return f"failed:{code}"
            except (SlackClientError, OSError) as exc:
                self.store.finish(claim, "failed", error=f"{TRANSIENT}{type(exc).__name__}: {exc}"[:500])
                return "failed:transient"
            if outcome == "sent" and sub.state == "paused":  # no write transaction per briefing when active
                self.store.set_state(sub.id, "active", only_from=("paused",))
            return outcome
        except Exception:
            logger.exception("delivery of subscription %s failed unexpectedly", sub.id)
            return "error"

    def _post(self, claim: Delivery, tz: str, schedule: str, dest: Destination, *, previous: Delivery | None,
              recorder: _Recorder | None = None) -> str:
        """Build and post the briefing for a claimed slot; "sent", or "lost" if the claim was taken."""
        snapshot = self.data.current()
        changes = self.changes(previous.data_version if previous else None) if self.changes else None
        reply, headline = briefing_reply(snapshot.datasets, snapshot.holders, slot=claim.slot_utc, tz=tz,
                                         schedule=schedule, previous=previous.headline if previous else None,
                                         changes=changes)
        self.pacer.wait(claim.channel_id)
        # Last look before posting: is the claim still this attempt's (not taken over by a replica
        # or by this process's own sync), and is the subscription still live (not unsubscribed
        # while the fan-out ran)? A read; once the claim is old enough that it could soon be taken
        # over (pacing a big fan-out ages it), the same check also renews it — a write.
        fresh = self.clock() - claim.claimed_at < self.config.claim_timeout / 4
        if not self.store.still_mine(claim, renew=not fresh):
            if self.store.finish(claim, "skipped", error="unsubscribed before it was posted"):
                return "skipped"  # the claim was still ours: only the subscription went away
            return "lost"
        result = self.delivery.deliver(reply, Destination(claim.channel_id, dest.user_id, None), snapshot.datasets,
                                       metadata={"event_type": METADATA_EVENT,
                                                 "event_payload": {"delivery_id": claim.id}})
        outcome = Outcome("sent", ts=result.ts, error=";".join(result.problems) or None,
                          data_version=snapshot.datasets.version, headline=headline)
        if recorder is not None:
            recorder.add(claim, outcome)
            return "sent"
        if self.store.finish_many([(claim, outcome)]):
            logger.warning("delivery %s finished after its claim was taken over", claim.id)
            return "lost"
        return "sent"

    def _repeated_wall_time(self, sub: Subscription, slot: datetime) -> bool:
        """True for the second 02:30 of a night when the clocks go back (that slot was delivered an hour ago)."""
        return _wall_time_repeats(sub.timezone, slot) and self.store.has_slot(sub.id, slot - timedelta(hours=1))

    def _pool(self) -> ThreadPoolExecutor:
        with self._workers_lock:
            if self._workers is None:
                self._workers = ThreadPoolExecutor(max_workers=self.config.workers, thread_name_prefix="briefing")
            return self._workers

    def _already_posted(self, claim: Delivery) -> bool | None:
        """After a takeover or a failed attempt: did that attempt reach Slack? Then record, don't
        repost. None when Slack could not be asked (tried `len(HISTORY_CHECK_WAITS) + 1` times):
        the caller must not take that for a no."""
        # The newest 200 messages, not a time window: Slack's clock and ours may disagree, and a
        # briefing posted by the dead owner is at most a few claim timeouts old.
        waits = list(HISTORY_CHECK_WAITS)
        while True:
            try:
                history = self.client.conversations_history(channel=claim.channel_id, include_all_metadata=True,
                                                            limit=200)
                break
            except SlackApiError as exc:
                if not is_transient(exc) or not waits:
                    logger.warning("could not read history of %s to check delivery %s: %s", claim.channel_id,
                                   claim.id, error_code(exc))
                    return None
            except (SlackClientError, OSError) as exc:
                if not waits:
                    logger.warning("could not read history of %s to check delivery %s: %s", claim.channel_id,
                                   claim.id, type(exc).__name__)
                    return None
            self.sleep(waits.pop(0))
        for msg in history.get("messages", []):
            meta = msg.get("metadata") or {}
            if meta.get("event_type") == METADATA_EVENT and meta.get("event_payload", {}).get("delivery_id") == claim.id:
                self.store.finish(claim, "sent", ts=msg.get("ts"), error="recovered after a takeover")
                return True
        return False

    # ---- the scheduler -----------------------------------------------------------------------
    def start(self) -> None:
        """Start APScheduler: one cron job per weekly schedule in use, rebuilt from the database."""
        scheduler = BackgroundScheduler(
            timezone=timezone.utc,
            # Fan-outs wait on the workers (and on pacing) for as long as a big one takes; they get
            # executor threads of their own so that the sync loop and the data jobs never queue behind them.
            executors={"default": JobExecutor(max_workers=4), BRIEFING_EXECUTOR: JobExecutor(max_workers=10)},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": int(self.config.grace.total_seconds())},
        )
        self.scheduler = scheduler
        self._stopping = False
        scheduler.add_job(self.sync, "interval", seconds=self.config.sync_interval.total_seconds(), id=SYNC_JOB,
                          replace_existing=True, next_run_time=datetime.now(timezone.utc))
        scheduler.start()
        logger.info("briefing scheduler started (owner %s)", self.owner)

    def shutdown(self) -> None:
        """Stop the scheduler once no sync is running: APScheduler's shutdown holds its job-store
        lock while waiting for jobs, and a sync inside get_jobs() would wait on it forever. Syncs
        that start later see `_stopping` inside the lock and return at once (so the scheduler is
        not shut down under the lock: a sync job waiting for it would be waited for in turn). A
        fan-out in progress finishes the posts in flight and gives the other claims back."""
        self._stopping = True
        with self._sync_lock:
            pass
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
            self.scheduler = None
        with self._workers_lock:
            workers, self._workers = self._workers, None
        if workers is not None:
            workers.shutdown(wait=True)

    def sync(self) -> None:
        """Rebuild jobs from the database (changes by other replicas), catch up, resume, retry."""
        if self._stopping:
            return
        with self._sync_lock:  # the scheduled sync never overlaps itself (max_instances=1); a direct call waits
            if self._stopping:
                return
            self._sync_all()

    def _sync_all(self) -> None:
        try:
            live = self.store.live_subscriptions()
            if self.scheduler is not None:
                wanted = {schedule_job_id(s.weekday, s.at_time, s.timezone) for s in live}
                for job in self.scheduler.get_jobs():
                    if job.id.startswith(JOB_PREFIX) and job.id not in wanted:
                        job.remove()
            now = self.clock()
            known = self._latest_slot_rows(live, now)  # one query for all, not two per subscription
            due: dict[tuple[str, str, str, datetime], list[Subscription]] = {}
            for sub in live:
                try:  # one bad row must not stop the others
                    self._schedule(sub)
                    slot = self._sync_one(sub, now, known)
                    if slot is not None:
                        due.setdefault((sub.weekday, sub.at_time, sub.timezone, slot), []).append(sub)
                except Exception:
                    logger.exception("sync of subscription %s failed; will try again", sub.id)
            for (weekday, at_time, tz, slot), subs in due.items():  # caught up: delivered together, per schedule
                try:
                    self._deliver_group(slot, subs)
                except Exception:
                    logger.exception("catching up %s failed; will try again", describe(weekday, at_time, tz))
        except Exception:
            logger.exception("briefing sync failed; will try again")

    def _sync_one(self, sub: Subscription, now: datetime,
                  known: dict[int, tuple[datetime, list[Delivery]]] | None = None) -> datetime | None:
        """Catch one subscription up. Retries, takeovers and resumed subscriptions are delivered
        here; a slot with no ledger row yet is returned, for the caller to deliver with its schedule."""
        if sub.state == "paused":
            if not self._membership_restored(sub, now):
                return None
            self.store.set_state(sub.id, "active", only_from=("paused",))
            sub = self.store.get(sub.id) or sub
            known = None  # the state changed: read this one afresh
        slot, rows = (known or {}).get(sub.id, (None, None))
        slot = slot or latest_slot(sub.weekday, sub.at_time, sub.timezone, now)
        if slot <= sub.created_at:
            return None
        if rows is None:  # not read in the batch: ask the database
            if not self.store.has_slot(sub.id, slot) or self._retryable(sub.id, slot):
                self.deliver_slot(sub.id, slot)
        elif not rows:
            return slot
        elif self._retryable(sub.id, slot, rows=rows, state=sub.state):
            self.deliver_slot(sub.id, slot)
        return None

    def _latest_slot_rows(self, live: list[Subscription], now: datetime) -> dict[int, tuple[datetime, list[Delivery]]]:
        """Each live subscription's latest slot and its ledger rows, the rows read in one query."""
        slots: dict[int, datetime] = {}
        for sub in live:
            try:
                slots[sub.id] = latest_slot(sub.weekday, sub.at_time, sub.timezone, now)
            except Exception:  # a bad row is reported by _sync_one; it must not stop the batch
                continue
        try:
            found = self.store.slot_rows(slots)
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
        return self._can_post(sub.channel_id)

    def _retryable(self, subscription_id: int, slot: datetime, *, rows: list[Delivery] | None = None,
                   state: str | None = None) -> bool:
        if rows is None:
            rows = [d for d in self.store.ledger(subscription_id=subscription_id) if d.slot_utc == slot]
        now = self.clock()
        if state is None:
            sub = self.store.get(subscription_id)
            state = sub.state if sub is not None else None
        active = state == "active"
        in_grace = now - slot <= self.config.grace
        return any(
            # a failed slot is retried with backoff: Slack's refusals a few times, outages for the
            # whole grace; one that failed because of the channel once the bot can post there again
            (in_grace and d.status == "failed" and retry_due(d, now, self.config.retry_base)
             and (d.attempts < MAX_ATTEMPTS or (d.error or "").startswith(TRANSIENT))
             and (active or d.error not in PAUSING_ERRORS))
            # a claim left by a dead process: delivered within the grace, closed as missed after it
            or (d.status == "claimed" and now - d.claimed_at > self.config.claim_timeout)
            for d in rows
        )

    def _schedule(self, sub: Subscription) -> None:
        if self.scheduler is None:
            return
        job_id = schedule_job_id(sub.weekday, sub.at_time, sub.timezone)
        if self.scheduler.get_job(job_id) is not None:  # the id names the schedule, so the trigger matches
            return
        self.scheduler.add_job(self.deliver_due, trigger(sub.weekday, sub.at_time, sub.timezone),
                               args=[sub.weekday, sub.at_time, sub.timezone], id=job_id, replace_existing=True,
                               executor=BRIEFING_EXECUTOR, name=describe(sub.weekday, sub.at_time, sub.timezone))

    def _unschedule(self, sub: Subscription) -> None:
        """Remove a schedule's job once no live subscription uses it (others may share it)."""
        if self.scheduler is None or self.store.schedule_subscriptions(sub.weekday, sub.at_time, sub.timezone):
            return
        job_id = schedule_job_id(sub.weekday, sub.at_time, sub.timezone)
        if self.scheduler.get_job(job_id) is not None:
            self.scheduler.remove_job(job_id)

    # ---- Slack look-ups ----------------------------------------------------------------------
    def _user_timezone(self, user_id: str | None) -> tuple[str, str]:
        if user_id:
            try:
                tz = self.client.users_info(user=user_id)["user"].get("tz")
                if tz:
                    ZoneInfo(tz)  # Slack's value, but never store a zone the scheduler cannot use
                    return tz, ""
            except (SlackClientError, OSError, KeyError, ValueError, ZoneInfoNotFoundError) as exc:
                logger.info("no time zone for %s: %s", user_id, exc)
        return "UTC", " (I couldn't read your Slack time zone, so I used UTC; add one, e.g. `Europe/London`.)"

    def _ensure_member(self, channel_id: str) -> None:
        """Join a public channel if needed; otherwise say exactly what to run. Never records a dead subscription."""
        try:
            info = self.client.conversations_info(channel=channel_id)["channel"]
        except SlackApiError as exc:
            raise UserFacingError(_invite_hint(error_code(exc))) from None
        if info.get("is_archived"):
            raise UserFacingError("This channel is archived, so it cannot get briefings.")
        if info.get("is_im") or info.get("is_member"):
            return
        if info.get("is_private"):
            raise UserFacingError(_invite_hint("not_in_channel"))
        try:
            self.client.conversations_join(channel=channel_id)
        except SlackApiError as exc:
            raise UserFacingError(_invite_hint(error_code(exc))) from None

    def _can_post(self, channel_id: str) -> bool:
        try:
            info = self.client.conversations_info(channel=channel_id)["channel"]
        except (SlackClientError, OSError):
            return False
        return not info.get("is_archived") and bool(info.get("is_im") or info.get("is_member"))


class _Recorder:
    """A fan-out's sent briefings, written to the ledger RECORD_BATCH at a time, not one
    transaction per post (that cost about a fifth of a fan-out's CPU: BENCHMARKS.md).

    An outcome still queued when the process dies is lost only from the ledger: its slot looks
    like a crash mid-post, so its claim is taken over after the claim timeout and the taker finds
    the message in Slack by its metadata and records it instead of posting again."""

    def __init__(self, store: Store, batch: int = RECORD_BATCH) -> None:
        self._store, self._batch = store, batch
        self._queued: list[tuple[Delivery, Outcome]] = []
        self._lock = threading.Lock()

    def add(self, claim: Delivery, outcome: Outcome) -> None:
        with self._lock:
            self._queued.append((claim, outcome))
            if len(self._queued) < self._batch:
                return
            batch, self._queued = self._queued, []
        self._write(batch)  # in the worker that filled the batch, outside the lock

    def flush(self) -> None:
        with self._lock:
            batch, self._queued = self._queued, []
        if batch:
            self._write(batch)

    def _write(self, batch: list[tuple[Delivery, Outcome]]) -> None:
        try:
            lost = self._store.finish_many(batch)
        except Exception:  # the claims stay open; recovery reads Slack (see the class docstring)
            logger.exception("could not record %d sent briefings; their claims will be recovered", len(batch))
            return
        for claim in lost:
            logger.warning("delivery %s finished after its claim was taken over", claim.id)


def is_transient(error: SlackApiError) -> bool:
    """A 5xx answer or an error code that means "try later": not the post's fault."""
    status = getattr(error.response, "status_code", 200) or 200
    return status >= 500 or status == 429 or error_code(error) in TRANSIENT_CODES


def retry_due(delivery: Delivery, now: datetime, base: timedelta = timedelta(minutes=1)) -> bool:
    """Is the backoff after this failed delivery's last attempt over? A claim given back without
    posting (the bot stopped) is due at once."""
    if delivery.finished_at is None or delivery.error == RELEASED or delivery.attempts <= 0:
        return True
    wait = RETRY_BACKOFF[min(delivery.attempts, len(RETRY_BACKOFF)) - 1]
    return now - delivery.finished_at >= base * wait


def _wall_time_repeats(tz: str, slot: datetime) -> bool:
    """True when the local wall-clock time of ``slot`` also happened an hour earlier (clocks went back)."""
    zone = ZoneInfo(tz)
    earlier = slot - timedelta(hours=1)
    return earlier.astimezone(zone).replace(tzinfo=None) == slot.astimezone(zone).replace(tzinfo=None)


def _invite_hint(code: str) -> str:
    if code == "is_archived":
        return "This channel is archived, so it cannot get briefings."
    return ("I'm not a member of this conversation, so I can't deliver briefings here. Run "
            "`/invite @Reset Bot` in this channel, then subscribe again.")


def _pause_reason(code: str) -> str:
    return {
        "not_in_channel": "the bot was removed from the channel — `/invite @Reset Bot` to resume",
        "channel_not_found": "the bot cannot see this channel — `/invite @Reset Bot` to resume",
        "is_archived": "the channel is archived",
    }.get(code, code)

