"""After a crash, a timeout or a failure: was it posted, and is a retry due?

A claim whose owner died is taken over (`bot.storage.ledger.Ledger.claim`); so is a failed
attempt being retried. Either earlier attempt may have reached Slack before it failed, so before
posting again the taker looks in the channel's recent history for the message metadata that
names the ledger row (`HistoryCheck.already_posted`) and records that message instead. When Slack
cannot be asked, the answer is "unknown", never "no": the slot is not reposted.

Retries back off (`retry_due`, `RETRY_BACKOFF`): Slack's refusals a few times (`MAX_ATTEMPTS`),
outages and timeouts (`is_transient`) for the whole grace period. `retryable` is the sync loop's
and the fan-out's one rule for "should this slot be tried again now?".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.briefings.config import BriefingSettings
from bot.slack.delivery import ClientFor, error_code
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
HISTORY_CHECK_WAITS = (0.2, 1.0)  # seconds between the tries of one "was it posted?" check
RELEASED = TRANSIENT + "not posted: the bot was stopping; the next sync delivers it"
UNCONFIRMED = TRANSIENT + "could not ask Slack whether an earlier attempt was posted; not reposted"
RECOVERED_NOTE = "recovered after a takeover"


class HistoryCheck:
    """Asks Slack — the claim's workspace, through its client — whether an earlier attempt of a
    claim was posted, and records it if so."""

    def __init__(self, client_for: ClientFor, ledger: Ledger, sleep: Callable[[float], None] = time.sleep) -> None:
        self.client_for = client_for
        self.ledger = ledger
        self.sleep = sleep  # between tries (tests pass a fake)

    def already_posted(self, claim: Delivery, *, record: bool = True) -> bool | str | None:
        """After a takeover or a failed attempt: did that attempt reach Slack? Then record, don't
        repost. None when Slack could not be asked (tried `len(HISTORY_CHECK_WAITS) + 1` times):
        the caller must not take that for a no. ``record=False`` (a threaded briefing's parent,
        `bot.briefings.threads`): answer the message's ts instead of recording the row as sent."""
        # The newest 200 messages, not a time window: Slack's clock and ours may disagree, and a
        # briefing posted by the dead owner is at most a few claim timeouts old.
        waits = list(HISTORY_CHECK_WAITS)
        client = self.client_for(claim.workspace)
        while True:
            try:
                history = client.conversations_history(channel=claim.channel_id, include_all_metadata=True,
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
        messages: list[dict[str, Any]] = history.get("messages", [])
        for msg in messages:
            meta = msg.get("metadata") or {}
            if (meta.get("event_type") == METADATA_EVENT
                    and meta.get("event_payload", {}).get("delivery_id") == claim.id):
                if not record:
                    return str(msg.get("ts") or "") or None
                self.ledger.finish(claim, DeliveryStatus.SENT, ts=msg.get("ts"), error=RECOVERED_NOTE)
                return True
        return False


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
    posting (the bot stopped) is due at once."""
    if delivery.finished_at is None or delivery.error == RELEASED or delivery.attempts <= 0:
        return True
    wait = RETRY_BACKOFF[min(delivery.attempts, len(RETRY_BACKOFF)) - 1]
    return now - delivery.finished_at >= base * wait
