"""Posting briefings exactly once: the fan-out of a weekly schedule and the one-slot path.

How a slot is delivered once, whatever happens (the ledger itself is `bot.storage.ledger`):

1. The slot is *claimed* in the ledger (unique per subscription, slot and kind). Only the
   winner goes on: two replicas, a restart or a late (misfired) run cannot both post.
2. The message is posted with Slack message metadata naming the ledger row. If the owner dies
   after posting but before recording, the process that takes the stale claim over first looks
   in the channel's recent history for that metadata and records the message instead of
   posting it again (`bot.briefings.recovery`).
3. The outcome — sent with its ``ts``, failed with Slack's error, missed (the bot was down for
   longer than the grace period), skipped — is written to the ledger.

A fan-out is one scheduler job per weekly schedule ("Monday 09:00 Europe/London", see
`bot.scheduler`), not per subscription. `Fanout.deliver_due` reads the schedule's subscriptions
in one query; then, a chunk at a time (what the pacer lets out in a quarter of the claim timeout,
so no claim grows stale while it waits), it claims the chunk's slots in one transaction (step 1,
with ON CONFLICT DO NOTHING), reads what each channel was last sent in one more, and a pool of
workers posts them (step 2) — each first checking that its claim is still its own attempt and
the subscription still live — and writes the sent briefings to the ledger RECORD_BATCH at a time
(step 3: a crash before such a write is the crash-after-posting case of step 2). Slots another
process holds are left to it; slots that failed or were left by a dead process go through the
one-subscription path, `deliver_slot`, as the sync loop's retries (`bot.briefings.catchup`) do.

Workspaces: every row is claimed and recorded with its workspace (a subscription's), each post
and history read goes through that workspace's client (`client_for`, today the single bot token's
for all), each workspace is paced on its own budget (`Pacer`), and in a fan-out shared by several
workspaces they take turns (`by_turns_of_workspace`).

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
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import wait as wait_futures
from datetime import datetime, timedelta, timezone
from functools import partial
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.briefings.config import BriefingSettings
from bot.briefings.notices import OwnerNotices
from bot.briefings.outcomes import DeliveryResult, failed
from bot.briefings.pacing import Lanes, Pacer
from bot.briefings.recording import Recorder, record_sent
from bot.briefings.recovery import (
    CHART_MISSING,
    MAX_ATTEMPTS,
    METADATA_EVENT,
    PAUSING_ERRORS,
    RECOVERED_NOTE,
    RELEASED,
    HistoryCheck,
    is_transient,
    retryable,
)
from bot.briefings.slots import latest_slot
from bot.briefings.threads import PARENT_DELETED, UNKNOWN, Resume, ThreadPoster
from bot.logs import request_scope
from bot.serving.live_data import LiveData
from bot.slack.delivery import ClientFor, Destination, SlackDelivery, error_code, one_client
from bot.storage import Storage
from bot.storage.records import TRANSIENT, Delivery, DeliveryStatus, Finished, Form, Subscription
from bot.telemetry import DELIVERIES
from handlers.briefing import briefing_reply, briefing_thread
from handlers.notices import What
from handlers.reply import ChartRef
from handlers.subscriptions import describe, pause_reason

logger = logging.getLogger("reset_bot.briefings")


def new_owner() -> str:
    """This process's name in the ledger's ``owner`` column: host, pid, and a random tail."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Fanout:
    def __init__(
        self,
        storage: Storage,
        data: LiveData,
        delivery: SlackDelivery,
        history: HistoryCheck,
        *,
        config: BriefingSettings | None = None,
        pacer: Pacer | None = None,
        clock: Callable[[], datetime] | None = None,
        owner: str | None = None,
        changes: Callable[[str | None], list[str]] | None = None,
        client_for: ClientFor | None = None,
        notices: OwnerNotices | None = None,
    ) -> None:
        self.subscriptions, self.ledger = storage.subscriptions, storage.ledger
        self.notices = notices  # the owner's DM when a subscription pauses or a slot fails or is missed
        self.data = data
        self.delivery = delivery
        self.history = history
        self.config = config or BriefingSettings()
        self.pacer = pacer or Pacer()
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.owner = owner or new_owner()
        self.changes = changes  # data-version diff lines (issue 5), given the version last sent
        # Each workspace's Web API client: every post of a briefing goes through it.
        self.client_for = client_for or one_client(delivery.client)
        # Issue 14: a threaded briefing's parent and replies, posted and recovered as one unit.
        self.threads = ThreadPoster(self.ledger, delivery, history, self.client_for, self.pacer,
                                    sleep=getattr(history, "sleep", lambda _s: None))
        self._stop = threading.Event()
        self._renewed: dict[int, datetime] = {}  # claim id → when the fan-out's lease last renewed it
        self._workers: Lanes | None = None  # posts a fan-out's briefings, a lane per workspace; made on first use
        self._workers_lock = threading.Lock()

    # ---- stopping ----------------------------------------------------------------------------
    @property
    def stopping(self) -> bool:
        """True from `stop_posting` on: nothing new is posted, unposted claims are given back."""
        return self._stop.is_set()

    def stop_posting(self) -> None:
        self._stop.set()

    def resume_posting(self) -> None:
        self._stop.clear()

    def wait_for_stop(self, timeout: float | None = None) -> bool:
        """Block until `stop_posting` is called (or ``timeout`` passes); True if it was."""
        return self._stop.wait(timeout)

    def close(self) -> None:
        """Wait for the posts in flight and drop the worker pool (after `stop_posting`)."""
        with self._workers_lock:
            workers, self._workers = self._workers, None
        if workers is not None:
            workers.shutdown(wait=True)

    # ---- a schedule's fan-out ----------------------------------------------------------------
    def deliver_due(self, weekday: str, at_time: str, tz: str) -> dict[int, str]:
        """The scheduler's job for one weekly schedule: the slot just due, to every subscription on it.

        Returns what happened to each subscription (also in the ledger). Never raises."""
        if self._stop.is_set():  # a job that fires while the bot stops: the next process's sync catches up
            return {}
        try:
            slot = latest_slot(weekday, at_time, tz, self.clock())
            subs = [s for s in self.subscriptions.on_schedule(weekday, at_time, tz) if s.created_at < slot]
            return self.deliver_group(slot, subs)
        except Exception:  # never let one schedule break the scheduler; the sync loop catches up
            logger.exception("briefings %s failed unexpectedly", describe(weekday, at_time, tz))
            return {}

    def deliver_group(self, slot: datetime, subs: list[Subscription]) -> dict[int, str]:
        """Deliver one slot to subscriptions on one schedule, a chunk of claims at a time."""
        if not subs:
            return {}
        if self.clock() - slot > self.config.grace or wall_time_repeats(subs[0].timezone, slot):
            return {s.id: self.deliver_slot(s.id, slot) for s in subs}  # rare: recorded one by one
        outcomes: dict[int, str] = {}
        subs = by_turns_of_workspace(subs)  # a big workspace's posts do not hold up a small one's
        size = self.chunk_size(len({s.workspace for s in subs}))
        for start in range(0, len(subs), size):
            if self._stop.is_set():  # the rest have no claim yet: whoever syncs next delivers them
                break
            outcomes.update(self._deliver_chunk(slot, subs[start:start + size]))
        first = subs[0]
        logger.info("briefings %s, slot %s UTC: %s", describe(first.weekday, first.at_time, first.timezone),
                    f"{slot:%Y-%m-%d %H:%M}", dict(Counter(outcomes.values())))
        return outcomes

    def chunk_size(self, workspaces: int = 1) -> int:
        """How many slots to claim at once: what the pacer lets out in a quarter of the claim timeout
        (each of the group's ``workspaces`` has a budget of its own, so they add up).

        A claim is then normally still fresh when its turn comes, too young for any sync loop to
        take over, and a crash leaves at most one chunk of claims to be taken over one by one.
        Schedules firing together share the pacer, so their claims can age more; the check before
        each post (`post`) keeps that correct."""
        per_second = 1 / self.pacer.interval
        return max(self.config.workers,
                   int(self.config.claim_timeout.total_seconds() / 4 * per_second * max(1, workspaces)))

    def _deliver_chunk(self, slot: datetime, subs: list[Subscription]) -> dict[int, str]:
        """Claim the slots in one transaction, post them through the workers, and look at the rest."""
        claims = self.ledger.claim_slots(subs, slot, owner=self.owner)
        outcomes: dict[int, str] = {}
        if claims:
            try:
                previous = self.ledger.last_sent_many(list(claims))
            except Exception:  # nothing is posted yet: give the claims back rather than leave them to time out
                self.ledger.release(list(claims.values()),
                                    TRANSIENT + "not posted: the channels' last briefings could not be read")
                raise
            by_id = {s.id: s for s in subs}
            recorder = Recorder(self.ledger)
            try:
                lanes = self._pool()
                futures = [lanes.submit(claim.workspace, partial(
                    self.deliver_claim, by_id[sub_id], claim, previous.get((claim.team_id or "", claim.channel_id)),
                    recorder)) for sub_id, claim in claims.items()]
                posted = self._await_leased(futures, list(claims.values()), recorder)
            finally:
                recorder.flush()
            stopped = [claim for claim, outcome in zip(claims.values(), posted) if outcome == DeliveryResult.STOPPING]
            if stopped:
                self.ledger.release(stopped, RELEASED)  # in one statement, so a stop stays quick
            outcomes.update((sub_id, DeliveryResult.RELEASED if outcome == DeliveryResult.STOPPING else outcome)
                            for sub_id, outcome in zip(claims, posted))
        held = [s for s in subs if s.id not in claims]
        # Within a claim timeout of the slot no claim can be stale yet, and no failure's backoff is
        # over (the stop's released claims are the sync loop's, as are later retries): replicas
        # firing the same schedule skip the look at each other's rows.
        if held and self.clock() - slot < min(self.config.claim_timeout, self.config.retry_base):
            outcomes.update({sub.id: DeliveryResult.ALREADY for sub in held})
            held = []
        if held:  # the slot has a row already: delivered elsewhere, in flight, failed, or left by a dead process
            rows = self.ledger.slot_rows({s.id: slot for s in held})
            again = [(sub, slot) for sub in held if not rows[sub.id] or retryable(
                rows[sub.id], slot, self.clock(), state=sub.state, config=self.config)]
            outcomes.update({sub.id: DeliveryResult.ALREADY for sub in held})
            outcomes.update(self.deliver_slots(again))
        return outcomes

    def _await_leased(self, futures: list[Future[str]], claims: list[Delivery], recorder: Recorder) -> list[str]:
        """The chunk's outcomes, renewing its claims every quarter of the claim timeout while any
        post is still queued or in flight: a briefing waiting behind its workspace's pacing — longer
        when several replicas share that workspace's budget — is a live claim, not a dead process's,
        and must not be taken over. Each tick first writes the sent briefings batched so far, then
        renews, in one statement, every claim of the chunk still open (a posted one not yet written
        included). A process that dies stops renewing, and its claims go stale as before."""
        every = self.config.claim_timeout.total_seconds() / 4
        try:
            while wait_futures(futures, timeout=every).not_done:
                recorder.flush()
                try:
                    self.ledger.renew_many(claims)
                except Exception as exc:  # the check before each post still guards them
                    logger.warning("could not renew %d claims of a fan-out: %s", len(claims), exc)
                    continue
                renewed = self.clock()
                for claim in claims:
                    self._renewed[claim.id] = renewed
            return [future.result() for future in futures]
        finally:
            for claim in claims:
                self._renewed.pop(claim.id, None)

    # ---- one slot ----------------------------------------------------------------------------
    def deliver_slot(self, subscription_id: int, slot: datetime | None = None) -> str:
        """Deliver one slot of one subscription; returns what happened (also in the ledger).

        The path for retries, takeovers, late and missed slots (the sync loop) and `deliver_due`'s
        rare cases; a schedule's regular fan-out claims its slots together instead."""
        try:
            sub = self.subscriptions.get(subscription_id)
            if sub is None or sub.state == "removed":
                return DeliveryResult.REMOVED
            now = self.clock()
            slot = slot or latest_slot(sub.weekday, sub.at_time, sub.timezone, now)
            if now - slot > self.config.grace:
                return self._too_late(sub, slot)
            if self._repeated_wall_time(sub, slot):
                self.ledger.record(subscription_id=sub.id, channel_id=sub.channel_id, slot_utc=slot,
                                   status=DeliveryStatus.SKIPPED, owner=self.owner,
                                   error="the clocks went back: this wall-clock time came round twice")
                return DeliveryResult.ALREADY
            claim = self.ledger.claim(subscription_id=sub.id, channel_id=sub.channel_id, slot_utc=slot,
                                      kind="scheduled", owner=self.owner, claim_timeout=self.config.claim_timeout,
                                      retry_failed=MAX_ATTEMPTS)
            if claim is None:
                return DeliveryResult.ALREADY
            # A takeover or a retry: the earlier attempt may have reached Slack before failing.
            if (claim.taken_over or claim.attempts > 1) and "threaded" in (sub.form, claim.form):
                # its parent, and which replies, are looked for in `post` (`bot.briefings.threads`)
                return self._finish_outcome(claim, self.deliver_claim(
                    sub, claim, self.ledger.last_sent(sub.workspace, sub.channel_id), resume=True))
            # … unless no attempt got as far as calling Slack (a replica died with it queued): then
            # there is nothing to look for, and no turn of the rationed history read is spent.
            if (claim.taken_over or claim.attempts > 1) and claim.may_have_posted:
                chart = self._flat_chart(sub, claim)
                posted = self.history.already_posted(claim, chart_file=chart.filename if chart else None)
                if posted is None:  # unknown is not "no": never post what may be there already
                    self.ledger.finish(claim, DeliveryStatus.FAILED, error=self.history.unconfirmed(claim))
                    return DeliveryResult.FAILED_UNCONFIRMED
                if posted == CHART_MISSING and chart is not None:
                    self._upload_missing_chart(claim, chart)
                if posted:
                    return DeliveryResult.RECOVERED
            outcome = self.deliver_claim(sub, claim, self.ledger.last_sent(sub.workspace, sub.channel_id))
            return self._finish_outcome(claim, outcome)
        except Exception:  # never let one subscription break the scheduler
            logger.exception("delivery of subscription %s failed unexpectedly", subscription_id)
            return DeliveryResult.ERROR

    def deliver_slots(self, wanted: list[tuple[Subscription, datetime]]) -> dict[int, str]:
        """`deliver_slot` for many slots (the sync loop's retries and takeovers, a chunk's slots left
        by a dead process), side by side in the workers' lanes, a lane per workspace: a replica
        killed mid-fan-out leaves hundreds of claims, and one thread taking them over one after
        another (each a paced post, three for a thread) would need many minutes."""
        lanes = self._pool()
        if len(wanted) <= 1 or self._stop.is_set() or lanes.in_worker():  # in a worker: one by one, here
            return {sub.id: self.deliver_slot(sub.id, slot) for sub, slot in wanted}
        futures = {sub.id: lanes.submit(sub.workspace, partial(self.deliver_slot, sub.id, slot))
                   for sub, slot in wanted}
        return {sub_id: future.result() for sub_id, future in futures.items()}

    def _tell(self, sub: Subscription, what: What, reason: str, slot: datetime | None = None) -> None:
        """The owner's DM (`bot.briefings.notices`), when this process made the change of state."""
        if self.notices is not None:
            self.notices.tell(sub, what, reason, slot)

    def _finish_outcome(self, claim: Delivery, outcome: str) -> str:
        if outcome == DeliveryResult.STOPPING:
            self.ledger.release([claim], RELEASED)
            return DeliveryResult.RELEASED
        return outcome

    def _too_late(self, sub: Subscription, slot: datetime) -> str:
        """Beyond the grace period a slot is not sent: it is recorded as missed. A claim that a dead
        process left on it is closed the same way — after asking Slack whether that process posted —
        rather than left open."""
        error = f"the bot was not running within {self.config.grace} of the slot"
        if self.ledger.record(subscription_id=sub.id, channel_id=sub.channel_id, slot_utc=slot,
                              status=DeliveryStatus.MISSED, owner=self.owner, error=error):
            self._tell(sub, "missed", f"down for more than {self.config.grace}", slot)
            return DeliveryResult.MISSED
        claim = self.ledger.claim(subscription_id=sub.id, channel_id=sub.channel_id, slot_utc=slot, kind="scheduled",
                                  owner=self.owner, claim_timeout=self.config.claim_timeout)  # only a stale claim
        if claim is None:
            return DeliveryResult.ALREADY
        if "threaded" in (sub.form, claim.form):  # a parent out in time gets its thread completed, late
            return self._finish_outcome(claim, self.deliver_claim(
                sub, claim, self.ledger.last_sent(sub.workspace, sub.channel_id), resume=True, late=error))
        posted = self.history.already_posted(claim) if claim.may_have_posted else False
        if posted:
            return DeliveryResult.RECOVERED
        if self.ledger.finish(claim, DeliveryStatus.MISSED, error=error if posted is False else
                              error + "; Slack could not be asked whether an earlier attempt was posted"):
            self._tell(sub, "missed", f"down for more than {self.config.grace}", slot)
        return DeliveryResult.MISSED

    def deliver_claim(self, sub: Subscription, claim: Delivery, previous: Delivery | None,
                      recorder: Recorder | None = None, *, resume: bool = False, late: str | None = None) -> str:
        """Post a claimed slot and record the outcome; never raises. ``previous``: the channel's last
        briefing; ``recorder``: a fan-out's batch writer for sent briefings (else recorded at once).

        Answers STOPPING, without posting, when the bot is stopping: the caller gives the claim back."""
        with request_scope(team=sub.team_id, channel=sub.channel_id, user=sub.created_by,
                           enterprise=sub.enterprise_id):  # the log lines of this post name its channel
            return self._deliver_claim(sub, claim, previous, recorder, resume=resume, late=late)

    def _deliver_claim(self, sub: Subscription, claim: Delivery, previous: Delivery | None,
                       recorder: Recorder | None, *, resume: bool, late: str | None) -> str:
        try:
            if self._stop.is_set():  # a deploy mid-fan-out: give the claim back rather than hold up the stop
                return DeliveryResult.STOPPING
            try:
                outcome = self.post(claim, sub.timezone, describe(sub.weekday, sub.at_time, sub.timezone),
                                    Destination(sub.channel_id, team_id=sub.team_id, enterprise_id=sub.enterprise_id),
                                    previous=previous, recorder=recorder, form=sub.form, resume=resume, late=late)
            except SlackApiError as exc:
                code = error_code(exc)
                if is_transient(exc):  # Slack's outage, not its refusal: retried through the grace
                    self.ledger.finish(claim, DeliveryStatus.FAILED,
                                       error=f"{TRANSIENT}{code} (HTTP {exc.response.status_code})")
                    return DeliveryResult.FAILED_TRANSIENT
                recorded = self.ledger.finish(claim, DeliveryStatus.FAILED, error=code)
                if code in PAUSING_ERRORS:
                    reason = pause_reason(code)
                    if self.subscriptions.set_state(sub.id, "paused", reason=reason, only_from=("active",)):
                        DELIVERIES.labels("briefing", "paused").inc()
                        self._tell(sub, "paused", code)  # once: only the pause that changed the state
                    else:  # paused already (or held, removed): only its reason may have changed
                        self.subscriptions.set_state(sub.id, "paused", reason=reason, only_from=("paused",))
                    logger.warning("subscription %s paused: %s", sub.id, code)
                elif recorded and claim.attempts >= MAX_ATTEMPTS:  # the last try: nobody retries it now
                    self._tell(sub, "failed", code, claim.slot_utc)
                return failed(code)
            except (SlackClientError, OSError) as exc:
                self.ledger.finish(claim, DeliveryStatus.FAILED, error=f"{TRANSIENT}{type(exc).__name__}: {exc}"[:500])
                return DeliveryResult.FAILED_TRANSIENT
            if outcome == DeliveryResult.SENT and sub.state == "paused":  # no write per briefing when active
                self.subscriptions.set_state(sub.id, "active", only_from=("paused",))
            return outcome
        except Exception:
            logger.exception("delivery of subscription %s failed unexpectedly", sub.id)
            return DeliveryResult.ERROR

    def post(self, claim: Delivery, tz: str, schedule: str, dest: Destination, *, previous: Delivery | None,
             recorder: Recorder | None = None, form: Form = "flat", resume: bool = False,
             late: str | None = None) -> str:
        """Build and post the briefing for a claimed slot: SENT, SKIPPED (unsubscribed meanwhile),
        LOST if the claim was taken over, or STOPPING (nothing posted) if the bot began to stop
        while it waited for its turn; Slack's errors are raised.

        ``form`` threaded: a parent and its thread (`bot.briefings.threads`); with ``resume`` (a
        takeover or a retry) only what an earlier attempt did not post; with ``late`` (the grace
        period is over: the reason) only the replies of a parent that did go out, else MISSED."""
        if form == "threaded" or claim.form == "threaded":
            return self._post_thread(claim, tz, schedule, dest, previous=previous, recorder=recorder,
                                     resume=resume, late=late)
        snapshot = self.data.current()
        changes = self.changes(previous.data_version if previous else None) if self.changes else None
        reply, headline = briefing_reply(snapshot.datasets, snapshot.holders, slot=claim.slot_utc, tz=tz,
                                         schedule=schedule, previous=previous.headline if previous else None,
                                         changes=changes)
        workspace = claim.workspace  # the row's: recorded with it when it was claimed
        self.pacer.wait(claim.channel_id, workspace, messages=1, files=len(reply.charts))
        if self._stop.is_set():  # the bot began to stop while this one waited for its turn: not posted
            return DeliveryResult.STOPPING
        # Last look before posting: is the claim still this attempt's (not taken over by a replica
        # or by this process's own sync), and is the subscription still live (not unsubscribed
        # while the fan-out ran)? A read; once the claim is old enough that it could soon be taken
        # over (pacing a big fan-out ages it), the same check also renews it — a write.
        if not self.ledger.still_mine(claim, renew=not self._fresh(claim)):
            if self.ledger.finish(claim, DeliveryStatus.SKIPPED, error="unsubscribed before it was posted"):
                return DeliveryResult.SKIPPED  # the claim was still ours: only the subscription went away
            return DeliveryResult.LOST
        result = self.delivery.deliver(reply, Destination(claim.channel_id, dest.user_id, None, workspace.team_id,
                                                          workspace.enterprise_id), snapshot.datasets,
                                       metadata={"event_type": METADATA_EVENT,
                                                 "event_payload": {"delivery_id": claim.id}},
                                       client=self.client_for(workspace))
        outcome = Finished(DeliveryStatus.SENT, ts=result.ts, error=";".join(result.problems) or None,
                           data_version=snapshot.datasets.version, headline=headline)
        return record_sent(self.ledger, claim, outcome, recorder)

    def _post_thread(self, claim: Delivery, tz: str, schedule: str, dest: Destination, *, previous: Delivery | None,
                     recorder: Recorder | None, resume: bool, late: str | None) -> str:
        """`post` for the threaded form: the same checks before posting, then the unit's missing parts."""
        snapshot = self.data.current()
        changes = self.changes(previous.data_version if previous else None) if self.changes else None
        thread, headline = briefing_thread(snapshot.datasets, snapshot.holders, slot=claim.slot_utc, tz=tz,
                                           schedule=schedule, previous=previous.headline if previous else None,
                                           changes=changes)
        workspace = claim.workspace
        # the whole unit's turns before the parent; each later part keeps only the channel's gap
        self.pacer.wait(claim.channel_id, workspace, messages=1 + len(thread.replies),
                        files=int(thread.chart is not None))
        if self._stop.is_set() and claim.message_ts is None:  # as in `post` (a begun thread is finished)
            return DeliveryResult.STOPPING
        if not self.ledger.still_mine(claim, renew=not self._fresh(claim)):  # as in `post`
            if self.ledger.finish(claim, DeliveryStatus.SKIPPED, error="unsubscribed before it was posted"):
                return DeliveryResult.SKIPPED
            return DeliveryResult.LOST
        point = Resume()
        if resume or late is not None:
            found = self.threads.resume_point(claim, thread)
            if found == UNKNOWN:  # never post what may be there already
                self.ledger.finish(claim, DeliveryStatus.FAILED if late is None else DeliveryStatus.MISSED,
                                   error=self.history.unconfirmed(claim) if late is None else
                                   late + "; Slack could not be asked whether an earlier attempt was posted")
                return DeliveryResult.FAILED_UNCONFIRMED if late is None else DeliveryResult.MISSED
            if found == PARENT_DELETED:
                self.ledger.finish(claim, DeliveryStatus.SENT, error=PARENT_DELETED)
                return DeliveryResult.RECOVERED
            assert isinstance(found, Resume)
            point = found
            if point.parent_ts is None and late is not None:  # nothing went out in time: missed, as a flat one
                self.ledger.finish(claim, DeliveryStatus.MISSED, error=late)
                return DeliveryResult.MISSED
            if point.parent_ts is not None and set(thread.part_names()) <= set(point.done):
                self.ledger.finish(claim, DeliveryStatus.SENT, ts=point.parent_ts, error=RECOVERED_NOTE,
                                   data_version=snapshot.datasets.version, headline=headline, parts=point.done)
                return DeliveryResult.RECOVERED
        outcome = self.threads.post(claim, thread, Destination(claim.channel_id, dest.user_id, None, workspace.team_id,
                                                               workspace.enterprise_id),
                                    snapshot.datasets, headline=headline, resume=point, recorder=recorder,
                                    note=RECOVERED_NOTE if point.parent_ts is not None else None)
        return DeliveryResult.RECOVERED if point.parent_ts is not None and outcome == DeliveryResult.SENT else outcome

    def _flat_chart(self, sub: Subscription, claim: Delivery) -> ChartRef | None:
        """The chart a flat briefing of this slot uploads after its message (the topic of the week's)."""
        try:
            snapshot = self.data.current()
            reply, _ = briefing_reply(snapshot.datasets, snapshot.holders, slot=claim.slot_utc, tz=sub.timezone,
                                      schedule=describe(sub.weekday, sub.at_time, sub.timezone), previous=None)
        except Exception:  # never in the way of the recovery itself
            logger.exception("could not work out the chart of delivery %s", claim.id)
            return None
        return reply.charts[0] if reply.charts else None

    def _upload_missing_chart(self, claim: Delivery, chart: ChartRef) -> None:
        """A flat briefing found in Slack without its chart (its process died between posting the
        message and uploading the chart): upload the chart now, as the message's follow-up."""
        workspace = claim.workspace
        try:
            self.pacer.wait(claim.channel_id, workspace, messages=0, files=1)
            self.delivery.upload_chart(chart, Destination(claim.channel_id, team_id=workspace.team_id,
                                                          enterprise_id=workspace.enterprise_id),
                                       self.data.current().datasets, client=self.client_for(workspace))
            logger.info("delivery %s: the chart missing after a takeover was uploaded", claim.id)
        except (SlackClientError, OSError) as exc:
            logger.warning("delivery %s: could not upload the chart missing after a takeover: %s", claim.id,
                           error_code(exc) if isinstance(exc, SlackApiError) else type(exc).__name__)

    def _fresh(self, claim: Delivery) -> bool:
        """Claimed (or renewed by the fan-out's lease) less than a quarter of the timeout ago."""
        since = max(claim.claimed_at, self._renewed.get(claim.id, claim.claimed_at))
        return self.clock() - since < self.config.claim_timeout / 4

    def _repeated_wall_time(self, sub: Subscription, slot: datetime) -> bool:
        """True for the second 02:30 of a night when the clocks go back (that slot was delivered an hour ago)."""
        return wall_time_repeats(sub.timezone, slot) and self.ledger.has_slot(sub.id, slot - timedelta(hours=1))

    def _pool(self) -> Lanes:
        with self._workers_lock:
            if self._workers is None:
                self._workers = Lanes(self.config.workers, "briefing", threads=self.config.paced_threads)
            return self._workers


def by_turns_of_workspace(subs: list[Subscription]) -> list[Subscription]:
    """The subscriptions reordered so that workspaces take turns (A1, B1, A2, B2, A3 …), each
    workspace's own order kept: each workspace is paced on its own (`Pacer`), and a small
    workspace's few posts go out at the start of a fan-out rather than after a big one's."""
    queues: dict[str, list[Subscription]] = {}
    for sub in subs:
        queues.setdefault(sub.team_id, []).append(sub)
    if len(queues) < 2:
        return subs
    turns = [queue[::-1] for queue in queues.values()]
    ordered: list[Subscription] = []
    while turns:
        for queue in turns:
            ordered.append(queue.pop())
        turns = [queue for queue in turns if queue]
    return ordered


def wall_time_repeats(tz: str, slot: datetime) -> bool:
    """True when the local wall-clock time of ``slot`` also happened an hour earlier (clocks went back)."""
    zone = ZoneInfo(tz)
    earlier = slot - timedelta(hours=1)
    return earlier.astimezone(zone).replace(tzinfo=None) == slot.astimezone(zone).replace(tzinfo=None)
