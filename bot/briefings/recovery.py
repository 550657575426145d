"""After a crash, a timeout or a failure: was it posted, and is a retry due?

A claim whose owner died is taken over (`bot.storage.ledger.Ledger.claim`); so is a failed
attempt being retried. Either earlier attempt may have reached Slack before it failed, so before
posting again the taker looks in the channel's history for the message metadata that names the
ledger row (`HistoryCheck.already_posted`) and records that message instead. When Slack cannot be
asked, the answer is "unknown", never "no": the slot is not reposted.

**Only what may be there.** The last check before an attempt calls Slack (`Ledger.still_mine`)
marks the row as possibly posted (schema v12, ``posting_started``). A row no attempt took that far
— a replica killed with its share of a fan-out still queued behind the pacing, most of what it held
— is posted by the taker without a history read (`Delivery.may_have_posted`): only the few that
were in flight at the moment of death spend the rationed read.

**Within Slack's budget.** An app distributed outside the Marketplace may call
``conversations.history`` once a minute per workspace, with at most (and by default) 15 messages a
call (docs.slack.dev/reference/methods/conversations.history: "As of May 29, 2025 … rate limited
to 1 request per minute. The maximum and default values for the limit parameter have both been
reduced to 15 objects"; existing installations from March 3, 2026; Marketplace and internal apps
keep Tier 3). Which rule applies follows from the mode (`bot.runtime`): the single-token mode is
a team's own, internal app (Tier 3, "50+ per minute": `INTERNAL_HISTORY_INTERVAL`); OAuth mode is
an app installed in other workspaces, and the API cannot say whether it is Marketplace-approved,
so it keeps the strict rule (`HISTORY_INTERVAL`, the default). Pages are `HISTORY_PAGE` (15)
messages in both. A history read happens only after a crash or a failed post. Hence:

- *Only the window that can hold the message.* Every attempt of a row starts at or after its slot
  (a scheduled slot is claimed when it is due or later; a send-now's slot is the second it was
  asked), so the read asks for ``oldest`` = the slot minus `CLOCK_MARGIN` (our clock and Slack's
  may disagree), 15 messages a page, newest first. The row's ``claimed_at`` is no bound: a
  takeover or a retry rewrites it, so it is the new attempt's start, and the earlier attempt's is
  gone. No ``latest``: it would be our clock again, and the cursor already pins the pages that
  follow the first (messages posted meanwhile are not in them).
- *One budget for all replicas.* Each read first takes the workspace's turn in the shared
  database (`bot.storage.budgets.Budgets.take`, keyed by method so thread replies can share the
  table). No turn: the answer is unknown, the row is recorded failed with `ASK_AGAIN_AT` and the
  time the next turn comes, and `retry_due` brings the sync loop back then — not sooner, not
  after an exponential backoff. A 429 from Slack is unknown too, and its Retry-After moves the
  shared next turn. The Web API client's 429 retries are left out of these reads (they would
  sleep a minute per try in the scheduler's thread and spend the next turn).
- *A window of more than one page is read a page a turn* (`bot.storage.budgets.HistoryScans`
  keeps the cursor, so any replica's next retry reads the next page), the claim staying
  "unknown" meanwhile. Giving up as unknown instead would mean a busy channel's briefing is never
  posted: every retry in the grace period would find the same full first page. Paging costs a
  minute per 15 messages posted since the slot, and the two-hour grace allows 120 such reads.

**Other ways to know whether a post happened, and why not.** Recording the ``ts`` before posting
is impossible (Slack assigns it in the answer to chat.postMessage, which is what a crash loses);
chat.getPermalink needs that ``ts``; chat.postMessage takes no idempotency key; search.messages
needs a user token; chat.scheduleMessage would give an id before the post, but "messages
scheduled with chat.scheduleMessage will not post if the metadata parameter is used", it cannot
carry the chart file, and once posted a scheduled message leaves chat.scheduledMessages.list just
as a deleted one does; the Events API's ``message_metadata_posted`` would tell us of our own posts,
but events sent while every replica is down are lost after Slack's retries, so "no event" would
not mean "not posted". The history read, within its budget, is the one answer that can say "no".

Retries back off (`retry_due`, `RETRY_BACKOFF`): Slack's refusals a few times (`MAX_ATTEMPTS`),
outages and timeouts (`is_transient`) for the whole grace period. `retryable` is the sync loop's
and the fan-out's one rule for "should this slot be tried again now?".
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.briefings.config import BriefingSettings
from bot.slack.delivery import ClientFor, error_code
from bot.storage.budgets import Budgets, HistoryScans, Scan
from bot.storage.ledger import Ledger
from bot.storage.records import TRANSIENT, Delivery, DeliveryStatus

logger = logging.getLogger("reset_bot.briefings")

#: The message metadata a briefing is posted with; its payload names the ledger row.
METADATA_EVENT = "reset_briefing"
PAUSING_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
MAX_ATTEMPTS = 3  # for Slack's refusals (invalid_blocks, …); transient failures retry for the whole grace
#: Slack errors that say "not now" rather than "no": retried like 5xx answers and timeouts.
TRANSIENT_CODES = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout",
                             "ratelimited", "rate_limited", "team_added_to_org"})
#: Waits before retry n, in units of `BriefingSettings.retry_base` (a minute by default): 1, 2,
#: 4, 8, then every 15 until the grace period ends. A 75-second outage costs a briefing three
#: minutes, not its delivery; Slack is not hammered.
RETRY_BACKOFF = (1, 2, 4, 8, 15)
HISTORY_METHOD = "conversations.history"
HISTORY_INTERVAL = timedelta(minutes=1)  # non-Marketplace apps: one history read a minute per workspace
INTERNAL_HISTORY_INTERVAL = timedelta(seconds=1.2)  # internal apps keep Tier 3: 50 a minute
HISTORY_PAGE = 15  # … of at most 15 messages
#: How far our clock and Slack's may disagree and the window still hold the message (NTP keeps
#: them within a second; ten minutes also covers a host whose clock drifted).
CLOCK_MARGIN = timedelta(minutes=10)
SCAN_RETENTION = timedelta(days=1)  # a paged read not finished by then belongs to a closed row
RELEASED = TRANSIENT + "not posted: the bot was stopping; the next sync delivers it"
UNCONFIRMED = TRANSIENT + "could not ask Slack whether an earlier attempt was posted; not reposted"
#: A check that waits for the workspace's next history read; `retry_due` reads the time after it.
ASK_AGAIN_AT = UNCONFIRMED + " yet (Slack's history is read once a minute per workspace); asks again at "
RECOVERED_NOTE = "recovered after a takeover"
#: `HistoryCheck.already_posted`'s answer when the message is there and recorded, but the chart
#: upload that should follow it is not (the process died between the two calls).
CHART_MISSING = "chart missing"


def slack_ts(moment: datetime) -> str:
    """A moment as Slack writes message timestamps: Unix seconds with six decimals."""
    return f"{moment.timestamp():.6f}"


def history_client(client: WebClient) -> WebClient:
    """The workspace's client without its 429 retries: a rationed read that Slack refuses is
    answered "unknown" and retried on the next turn, not slept on in this thread."""
    copy = WebClient(token=client.token, base_url=client.base_url, timeout=client.timeout, ssl=client.ssl,
                     proxy=client.proxy, headers=dict(client.headers), logger=client.logger,
                     retry_handlers=[h for h in client.retry_handlers if not isinstance(h, RateLimitErrorRetryHandler)])
    copy.default_params = dict(client.default_params)  # an org-wide install's team_id
    return copy


def retry_after(error: SlackApiError, default: timedelta) -> timedelta:
    """Slack's Retry-After on a 429, else ``default``."""
    headers = getattr(error.response, "headers", None) or {}
    for name, value in headers.items():
        if str(name).lower() == "retry-after":
            try:
                return timedelta(seconds=max(1, math.ceil(float(value))))
            except (TypeError, ValueError):
                break
    return default


class HistoryCheck:
    """Asks Slack — the claim's workspace, through its client — whether an earlier attempt of a
    claim was posted, and records it if so. Reads only the window that can hold the message, a
    page of `HISTORY_PAGE` per turn of the workspace's shared budget (see the module docstring)."""

    def __init__(self, client_for: ClientFor, ledger: Ledger, budgets: Budgets, scans: HistoryScans,
                 clock: Callable[[], datetime] | None = None, *, interval: timedelta = HISTORY_INTERVAL,
                 page: int = HISTORY_PAGE, margin: timedelta = CLOCK_MARGIN) -> None:
        self.client_for = client_for
        self.ledger = ledger
        self.budgets, self.scans = budgets, scans
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.interval, self.page, self.margin = interval, page, margin
        self._ask_again: dict[tuple[int, int], datetime] = {}  # (row, attempt) -> the next turn, for `unconfirmed`
        self._lock = threading.Lock()

    def unconfirmed(self, claim: Delivery) -> str:
        """The ledger error for a check of ``claim`` that answered None: with the time of the next
        turn when the budget (or Slack's 429) said "not yet", which `retry_due` waits for."""
        with self._lock:
            at = self._ask_again.pop((claim.id, claim.attempts), None)
        return UNCONFIRMED if at is None else ASK_AGAIN_AT + at.isoformat()

    def already_posted(self, claim: Delivery, *, record: bool = True, chart_file: str | None = None
                       ) -> bool | str | None:
        """After a takeover or a failed attempt: did that attempt reach Slack? Then record, don't
        repost. None when Slack could not be asked now — no turn in the budget, a 429, an error,
        or more pages to read on later turns: the caller must not take that for a no.
        ``record=False`` (a threaded briefing's parent, `bot.briefings.threads`): answer the
        message's ts instead of recording the row as sent.

        ``chart_file`` (a flat briefing's chart, uploaded right after its message): when the message
        is found, answer `CHART_MISSING` instead of True if no newer message in the pages read
        carries a file of that name — the caller uploads it. Only a read that began at the newest
        page can tell; one continued from an earlier turn answers True (not re-uploaded), and so
        does one whose claim was taken over again meanwhile (its new owner decides)."""
        with self._lock:
            self._ask_again.pop((claim.id, claim.attempts), None)
        stored = self.scans.get(claim.id)
        now = self.clock()
        scan = stored or Scan(claim.id, slack_ts(claim.slot_utc - self.margin), "", 0, now)
        client = history_client(self.client_for(claim.workspace))
        newer: list[dict[str, Any]] | None = [] if stored is None else None  # messages after the one sought
        while True:
            turn = self.budgets.take(HISTORY_METHOD, claim.workspace, self.interval)
            if not turn.taken:
                logger.info("history read for delivery %s waits for its turn (at %s)", claim.id, turn.next_at)
                self.later(claim, turn.next_at)
                return None
            try:
                history = client.conversations_history(
                    channel=claim.channel_id, include_all_metadata=True, limit=self.page, oldest=scan.oldest,
                    inclusive=True, **({"cursor": scan.cursor} if scan.cursor else {}))
            except SlackApiError as exc:
                self._refused(claim, exc)
                return None
            except (SlackClientError, OSError) as exc:
                logger.warning("could not read history of %s to check delivery %s: %s", claim.channel_id,
                               claim.id, type(exc).__name__)
                return None
            messages: list[dict[str, Any]] = history.get("messages", [])
            for msg in messages:  # newest first
                meta = msg.get("metadata") or {}
                if (meta.get("event_type") == METADATA_EVENT
                        and meta.get("event_payload", {}).get("delivery_id") == claim.id):
                    if stored is not None:
                        self.scans.drop(claim.id)
                    if not record:
                        return str(msg.get("ts") or "") or None
                    recorded = self.ledger.finish(claim, DeliveryStatus.SENT, ts=msg.get("ts"), error=RECOVERED_NOTE)
                    # Only the claim's owner uploads a missing chart: a replica that lost the claim
                    # meanwhile (taken over again during this read) leaves it to the new owner.
                    if recorded and chart_file is not None and newer is not None and not any(
                            file.get("name") == chart_file for later in newer for file in later.get("files") or []):
                        return CHART_MISSING
                    return True
                if newer is not None:
                    newer.append(msg)
            cursor = (history.get("response_metadata") or {}).get("next_cursor")
            if not (history.get("has_more") and cursor):  # the whole window read: not posted
                if stored is not None:
                    self.scans.drop(claim.id)
                return False
            if stored is None:
                self.scans.prune(now - SCAN_RETENTION)
            scan = stored = replace(scan, cursor=cursor, pages=scan.pages + 1)
            self.scans.save(scan)  # the next page: on this turn's successor, whichever replica takes it

    def later(self, claim: Delivery, at: datetime) -> None:
        """Slack may be asked about ``claim`` at ``at`` (the next turn): `unconfirmed` says so to `retry_due`."""
        with self._lock:
            self._ask_again[(claim.id, claim.attempts)] = at
            while len(self._ask_again) > 1000:  # a caller that never asks `unconfirmed` (a missed slot)
                del self._ask_again[next(iter(self._ask_again))]

    def _refused(self, claim: Delivery, exc: SlackApiError) -> None:
        status = getattr(exc.response, "status_code", 200) or 200
        code = error_code(exc)
        logger.warning("could not read history of %s to check delivery %s: %s", claim.channel_id, claim.id, code)
        if status == 429 or code in ("ratelimited", "rate_limited"):
            until = self.clock() + retry_after(exc, self.interval)
            self.budgets.defer(HISTORY_METHOD, claim.workspace, until)  # every replica waits for it
            self.later(claim, until)
        elif code == "invalid_cursor":  # the kept cursor is no good: read the window again from the top
            self.scans.drop(claim.id)


def retryable(rows: Sequence[Delivery], slot: datetime, now: datetime, *, state: str | None,
              config: BriefingSettings) -> bool:
    """Should one slot, whose ledger rows are ``rows``, be delivered again now?"""
    active = state == "active"
    in_grace = now - slot <= config.grace
    return any(
        # a failed slot is retried with backoff: Slack's refusals a few times, outages for the
        # whole grace; one that failed because of the channel once the bot can post there again
        (in_grace and d.status == DeliveryStatus.FAILED and retry_due(d, now, config.retry_base)
         and (d.attempts < MAX_ATTEMPTS or (d.error or "").startswith(TRANSIENT))
         and (active or d.error not in PAUSING_ERRORS))
        # a claim left by a dead process: delivered within the grace, closed as missed after it
        or (d.status == DeliveryStatus.CLAIMED and now - d.claimed_at > config.claim_timeout)
        for d in rows
    )


def is_transient(error: SlackApiError) -> bool:
    """A 5xx answer or an error code that means "try later": not the post's fault."""
    status = getattr(error.response, "status_code", 200) or 200
    return status >= 500 or status == 429 or error_code(error) in TRANSIENT_CODES


def retry_due(delivery: Delivery, now: datetime, base: timedelta = timedelta(minutes=1)) -> bool:
    """Is the backoff after this failed delivery's last attempt over? A claim given back without
    posting (the bot stopped) is due at once; one that waits for a history read (`ASK_AGAIN_AT`)
    when that read's turn comes."""
    if delivery.finished_at is None or delivery.error == RELEASED or delivery.attempts <= 0:
        return True
    if delivery.error and delivery.error.startswith(ASK_AGAIN_AT):  # waits for the history budget's turn
        try:
            return now >= datetime.fromisoformat(delivery.error.removeprefix(ASK_AGAIN_AT))
        except ValueError:
            pass  # not a time: the usual backoff
    wait = RETRY_BACKOFF[min(delivery.attempts, len(RETRY_BACKOFF)) - 1]
    return now - delivery.finished_at >= base * wait
