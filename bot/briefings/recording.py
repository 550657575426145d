"""A fan-out's sent briefings, written to the ledger in batches rather than one transaction per post."""

from __future__ import annotations

import logging
import threading

from bot.briefings.outcomes import DeliveryResult
from bot.storage.ledger import Ledger
from bot.storage.records import Delivery, Finished

logger = logging.getLogger("reset_bot.briefings")

RECORD_BATCH = 25  # a fan-out writes its posts' outcomes this many at a time, in one transaction


class Recorder:
    """A fan-out's sent briefings, written to the ledger RECORD_BATCH at a time, not one
    transaction per post (that cost about a fifth of a fan-out's CPU: BENCHMARKS.md).

    An outcome still queued when the process dies is lost only from the ledger: its slot looks
    like a crash mid-post, so its claim is taken over after the claim timeout and the taker finds
    the message in Slack by its metadata and records it instead of posting again."""

    def __init__(self, ledger: Ledger, batch: int = RECORD_BATCH) -> None:
        self._ledger, self._batch = ledger, batch
        self._queued: list[tuple[Delivery, Finished]] = []
        self._lock = threading.Lock()

    def add(self, claim: Delivery, outcome: Finished) -> None:
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

    def _write(self, batch: list[tuple[Delivery, Finished]]) -> None:
        try:
            lost = self._ledger.finish_many(batch)
        except Exception:  # the claims stay open; recovery reads Slack (see the class docstring)
            logger.exception("could not record %d sent briefings; their claims will be recovered", len(batch))
            return
        for claim in lost:
            logger.warning("delivery %s finished after its claim was taken over", claim.id)


def record_sent(ledger: Ledger, claim: Delivery, outcome: Finished, recorder: Recorder | None) -> str:
    """A posted briefing's outcome: queued in the fan-out's batch, or written now. SENT, or LOST if
    the claim was taken over before it could be recorded (the flat and the threaded path share this)."""
    if recorder is not None:
        recorder.add(claim, outcome)
        return DeliveryResult.SENT
    if ledger.finish_many([(claim, outcome)]):
        logger.warning("delivery %s finished after its claim was taken over", claim.id)
        return DeliveryResult.LOST
    return DeliveryResult.SENT

