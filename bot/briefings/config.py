"""The timing knobs of briefing delivery, from `bot.settings` (RESET_BOT_GRACE_MINUTES and so on)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class BriefingSettings:
    grace: timedelta = timedelta(hours=2)  # a slot missed by less than this is delivered late
    claim_timeout: timedelta = timedelta(minutes=10)  # a claim older than this belongs to a dead process
    sync_interval: timedelta = timedelta(seconds=30)  # how often jobs are rebuilt from the database
    workers: int = 10  # briefings posted at once: Slack answers in ~0.1 s, so a few in flight keep pace
    # … and briefings in flight, most of them waiting for their workspace's turn (`bot.briefings.pacing.Lanes`):
    # enough for every workspace of a big fan-out to have its next post ready when its turn comes.
    paced_threads: int = 100
    retry_base: timedelta = timedelta(minutes=1)  # the first wait after a failed post (RETRY_BACKOFF)
