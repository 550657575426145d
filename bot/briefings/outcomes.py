"""What a delivery attempt answers: the words the fan-out, the sync loop and their logs use.

`DeliveryResult` is what `Fanout.deliver_slot` and `deliver_due` return per subscription (and
what the fan-out's log line counts); the statuses *stored* in the ledger are
`bot.storage.records.DeliveryStatus`. Both are `StrEnum`s, so they compare equal to, log as and
are stored as the same strings as before ("sent", "already", …). A failure carries Slack's
error code: ``failed(code)`` makes ``"failed:not_in_channel"`` and the like.
"""

from __future__ import annotations

from enum import StrEnum


class DeliveryResult(StrEnum):
    SENT = "sent"
    ALREADY = "already"  # another process (or an earlier run) has the slot
    REMOVED = "removed"  # unsubscribed: nothing to deliver
    MISSED = "missed"  # beyond the grace period
    RECOVERED = "recovered"  # an earlier attempt had posted it: recorded, not reposted
    RELEASED = "released"  # not posted because the bot is stopping: the claim was given back
    LOST = "lost"  # the claim was taken over before it was posted or recorded
    SKIPPED = "skipped"  # unsubscribed while the fan-out ran
    ERROR = "error"  # an unexpected exception (logged)
    STOPPING = "stopping"  # `Fanout.deliver_claim`'s answer when the bot stops: the caller gives the claim back
    FAILED_TRANSIENT = "failed:transient"  # an outage or a timeout: retried through the grace
    FAILED_UNCONFIRMED = "failed:unconfirmed"  # Slack could not be asked whether an earlier attempt posted


def failed(code: str) -> str:
    """The result of a post Slack refused with ``code``."""
    return f"failed:{code}"
