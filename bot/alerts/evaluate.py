"""Evaluating threshold alerts when the data change, and posting each firing exactly once.

`AlertEvaluator.evaluate` runs after every data job of `bot.scheduler.DataJobs` (the daily refresh
and the five-minutely reload that picks up a version another replica published). For each live
alert it reads the newest observation of its series in the data in service and asks the pure rule
(`metrics.alerts.decide`) whether to fire, re-arm or do nothing. Evaluating the same data again
changes nothing: every transition needs a newer observation than the last one.

A firing follows the briefings' exactly-once protocol (`bot.briefings.fanout`), with their parts:

1. **claim** the ledger row (kind ``alert``, the alert's id, the observation's period) —
   `bot.storage.alerts.Alerts.claim_firing`; only the winner goes on, whichever replica it is;
2. **post** the message in the alert's channel with message metadata naming the row (the
   briefings' `METADATA_EVENT`, so `HistoryCheck` finds it); a claim whose owner died is taken
   over after the claim timeout, and a retried or taken-over claim first asks Slack's history
   whether the earlier attempt was posted (`HistoryCheck.already_posted`: unknown is never "no");
3. **record** the outcome in the ledger (`Ledger.finish`), then move the alert to *fired* with
   the observation (compare-and-set). A crash between the two is healed by the next evaluation,
   which finds the ledger row sent and only moves the alert.

Faults as for briefings: 429s wait (the posting client's retry handler); 5xx, timeouts and
dropped connections are *transient* — recorded and retried at later evaluations with the
briefings' backoff (`retry_due`), at most `MAX_TRANSIENT_ATTEMPTS` times; Slack's refusals
get `MAX_ATTEMPTS`. ``not_in_channel``, ``channel_not_found`` and ``is_archived`` pause the alert
with the reason (shown in `/reset alerts`); a paused alert tries again with the next newer
observation that is beyond its line, and is active again once a post succeeds. An alert that
ran out of attempts is paused with Slack's error. Nothing here raises into the scheduler.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.briefings.fanout import new_owner
from bot.briefings.notices import OwnerNotices
from bot.briefings.recovery import (
    MAX_ATTEMPTS,
    METADATA_EVENT,
    PAUSING_ERRORS,
    UNCONFIRMED,
    HistoryCheck,
    is_transient,
    retry_due,
)
from bot.serving.live_data import LiveData, Snapshot
from bot.slack.delivery import ClientFor, Destination, SlackDelivery, error_code, one_client
from bot.storage import Storage
from bot.storage.alerts import Alert
from bot.storage.records import TRANSIENT, Delivery, DeliveryStatus, StoreError, StoreUnavailable
from handlers import alerts as texts
from handlers.reply import ChartRef
from metrics.alerts import AlertState, Threshold, decide

logger = logging.getLogger("reset_bot.alerts")

MAX_TRANSIENT_ATTEMPTS = 8  # with the backoff (1, 2, 4, 8, 15 … retry bases) about an hour of outage


@dataclass(frozen=True)
class AlertSettings:
    claim_timeout: timedelta = timedelta(minutes=10)  # as the briefings' (RESET_BOT_CLAIM_TIMEOUT_SECONDS)
    retry_base: timedelta = timedelta(minutes=1)  # as the briefings' (RESET_BOT_RETRY_SECONDS)


class Outcome:
    """What `AlertEvaluator.evaluate` says happened to each alert (also in the ledger and the alert)."""

    FIRED = "fired"
    REARMED = "rearmed"
    NOTHING = "nothing"
    ALREADY = "already"  # another process fired (or is firing) it on this observation
    RECOVERED = "recovered"  # an earlier attempt had posted it: recorded, not reposted
    WAITING = "waiting"  # a failed attempt's backoff is not over
    PAUSED = "paused"
    FAILED = "failed"
    NO_DATA = "no data"
    ERROR = "error"


class AlertEvaluator:
    def __init__(self, storage: Storage, data: LiveData, delivery: SlackDelivery, history: HistoryCheck, *,
                 client_for: ClientFor | None = None, owner: str | None = None,
                 clock: Callable[[], datetime] | None = None, config: AlertSettings | None = None,
                 notices: OwnerNotices | None = None) -> None:
        self.alerts, self.ledger = storage.alerts, storage.ledger
        self.notices = notices  # the creator's DM when an alert pauses (once: the pausing write decides)
        self.data = data
        self.delivery = delivery
        self.history = history
        self.client_for = client_for or one_client(delivery.client)
        self.owner = owner or new_owner()
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.config = config or AlertSettings()

    def _tell(self, alert: Alert, reason: str) -> None:
        if self.notices is not None:
            description = texts.describe(alert.series, alert.direction, alert.threshold, self.data.current().holders)
            self.notices.tell_alert(alert.workspace, alert.created_by, alert.channel_id, description, reason, alert.id)

    def evaluate(self) -> dict[int, str]:
        """Every live alert against the data in service; returns each alert's outcome. Never raises."""
        try:
            alerts = self.alerts.live()
        except Exception:
            logger.exception("could not read the alerts; the next data job tries again")
            return {}
        snapshot = self.data.current()  # one version for the whole pass
        outcomes = {alert.id: self.evaluate_one(alert, snapshot) for alert in alerts}
        if any(o not in (Outcome.NOTHING, Outcome.NO_DATA) for o in outcomes.values()):
            logger.info("alerts on data version %s: %s", snapshot.datasets.version, outcomes)
        return outcomes

    def evaluate_one(self, alert: Alert, snapshot: Snapshot) -> str:
        try:
            try:
                now = texts.latest(alert.series, snapshot.datasets, snapshot.holders)
            except KeyError as exc:
                logger.warning("alert %s: the data in service lack %s (%s)", alert.id, alert.series, exc)
                return Outcome.NO_DATA
            threshold = Threshold(direction=alert.direction, level=alert.threshold, margin=alert.margin)
            state = AlertState(phase="fired" if alert.state == "fired" else "armed", since=alert.since)
            decision = decide(state, threshold, now.observation)
            if decision.action == "rearm":
                self.alerts.transition(alert, state="armed", since=decision.state.since)
                return Outcome.REARMED
            if decision.action == "fire":
                return self._fire(alert, threshold, now, snapshot)
            return Outcome.NOTHING
        except Exception:  # one alert must not stop the others
            logger.exception("alert %s failed unexpectedly", alert.id)
            return Outcome.ERROR

    # ---- one firing ---------------------------------------------------------------------------
    def _fire(self, alert: Alert, threshold: Threshold, now: texts.Latest, snapshot: Snapshot) -> str:
        obs = now.observation
        slot = texts.period_instant(obs.period)
        version = snapshot.datasets.version
        earlier = self.alerts.firing(alert.id, slot)
        if earlier is not None:
            early = self._look_at(alert, earlier, obs.period, obs.value, version)
            if early is not None:
                return early
        claim = self.alerts.claim_firing(alert, slot, owner=self.owner, claim_timeout=self.config.claim_timeout,
                                         retry_failed=MAX_ATTEMPTS)
        if claim is None:
            return Outcome.ALREADY
        if claim.taken_over or claim.attempts > 1:  # the earlier attempt may have reached Slack
            posted = self.history.already_posted(claim)  # records it in the ledger if so
            if posted is None:
                self.ledger.finish(claim, DeliveryStatus.FAILED, error=UNCONFIRMED)
                return Outcome.FAILED
            if posted:
                self._fired(alert, obs.period, obs.value, version, None)
                return Outcome.RECOVERED
        return self._post(alert, claim, threshold, now, snapshot)

    def _look_at(self, alert: Alert, row: Delivery, period: str, value: float, version: str) -> str | None:
        """An earlier attempt at this firing: what to do instead of claiming (None: claim it)."""
        if row.status == DeliveryStatus.SENT:  # posted, but the alert was not moved (a crash in between)
            self._fired(alert, period, value, row.data_version or version, row.message_ts)
            return Outcome.ALREADY
        if row.status == DeliveryStatus.CLAIMED:
            stale = self.clock() - row.claimed_at > self.config.claim_timeout
            return None if stale else Outcome.ALREADY
        if row.status != DeliveryStatus.FAILED:
            return Outcome.ALREADY
        if alert.state == "paused":  # paused on this observation: wait for a newer one
            return Outcome.PAUSED
        transient = (row.error or "").startswith(TRANSIENT)
        if (transient and row.attempts >= MAX_TRANSIENT_ATTEMPTS) or (not transient and row.attempts >= MAX_ATTEMPTS):
            why = ("Slack did not take the post " + f"({(row.error or '').removeprefix(TRANSIENT)}); it tries again "
                   "with the next data")
            if self.alerts.transition(alert, state="paused", pause_reason=texts.pause_reason(why)):
                self._tell(alert, why)
            return Outcome.PAUSED
        if not retry_due(row, self.clock(), self.config.retry_base):
            return Outcome.WAITING
        return None

    def _post(self, alert: Alert, claim: Delivery, threshold: Threshold, now: texts.Latest,
              snapshot: Snapshot) -> str:
        obs = now.observation
        datasets = snapshot.datasets
        current = self.alerts.get(alert.id)
        if current is None or current.state == "removed" or not self.ledger.still_mine(claim, renew=True):
            self.ledger.finish(claim, DeliveryStatus.SKIPPED, error="the alert was removed before it fired")
            return Outcome.NOTHING
        drawn = texts.chart_for(alert.series, alert.direction, alert.threshold, snapshot.holders)
        chart: ChartRef | None = drawn
        try:
            self.delivery.charts.png(drawn, datasets)  # drawn before posting: a chart that fails is left out
        except Exception:
            logger.exception("alert %s: chart %s could not be drawn; posting without it", alert.id, drawn.key)
            chart = None
        reply = texts.alert_fired(texts.describe(alert.series, alert.direction, alert.threshold, snapshot.holders),
                                  alert.series, threshold, now, chart, alert.created_by)
        try:
            result = self.delivery.deliver(reply, Destination(alert.channel_id, team_id=alert.team_id,
                                                              enterprise_id=alert.enterprise_id), datasets,
                                           metadata={"event_type": METADATA_EVENT,
                                                     "event_payload": {"delivery_id": claim.id}},
                                           client=self.client_for(alert.workspace))
        except SlackApiError as exc:
            code = error_code(exc)
            if is_transient(exc):
                self.ledger.finish(claim, DeliveryStatus.FAILED,
                                   error=f"{TRANSIENT}{code} (HTTP {exc.response.status_code})")
                return Outcome.FAILED
            self.ledger.finish(claim, DeliveryStatus.FAILED, error=code)
            if code in PAUSING_ERRORS:
                if self.alerts.transition(alert, state="paused", pause_reason=texts.pause_reason(code)):
                    self._tell(alert, code)
                logger.warning("alert %s paused: %s", alert.id, code)
                return Outcome.PAUSED
            return Outcome.FAILED
        except (SlackClientError, OSError) as exc:
            self.ledger.finish(claim, DeliveryStatus.FAILED, error=f"{TRANSIENT}{type(exc).__name__}: {exc}"[:500])
            return Outcome.FAILED
        except StoreError as exc:  # no installation for the workspace any more (uninstalled): stop, don't loop
            if isinstance(exc, StoreUnavailable):
                raise  # the database itself is down: nothing can be recorded now; the next data job retries
            self.ledger.finish(claim, DeliveryStatus.FAILED, error=f"no Slack installation: {exc}"[:500])
            self.alerts.transition(alert, state="paused", pause_reason="the app is no longer installed here")
            return Outcome.PAUSED
        if not self.ledger.finish(claim, DeliveryStatus.SENT, ts=result.ts, error=";".join(result.problems) or None,
                                  data_version=datasets.version):
            logger.warning("alert firing %s recorded after its claim was taken over", claim.id)
        self._fired(alert, obs.period, obs.value, datasets.version, result.ts)
        return Outcome.FIRED

    def _fired(self, alert: Alert, period: str, value: float, version: str, ts: str | None) -> None:
        self.alerts.transition(alert, state="fired", since=period, fired=(period, value, version, ts))
