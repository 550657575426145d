"""Briefings end to end: real `reset-bot serve` processes, the real scheduler, a real restart.

A channel subscribes through a signed slash command for the next minute; the process that took
the command is restarted; two replicas then share the database while Slack misbehaves — the
first post hangs and its process is killed mid-delivery, then 500s and 429s — and each channel
still gets its briefing exactly once. Runs on SQLite and on PostgreSQL, about a minute each, most
of it waiting for the next whole minute (cron slots are whole minutes).
"""

from __future__ import annotations

import os
import signal
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, select

from bot.briefings.recovery import METADATA_EVENT
from bot.storage.schema import deliveries
from tests.conftest import CHANNEL, SIGNING_SECRET, USER
from tests.fakes.slack_requests import post_signed, slash_command_body
from tests.processes import health, start, wait_healthy

pytestmark = pytest.mark.slow

SECOND = "C0000SEC002"
TZ = "Europe/London"


def next_minute(min_lead: float = 20) -> datetime:
    """The next whole minute at least ``min_lead`` seconds away: time to subscribe, restart and
    start two replicas before it (about 10 s here; the rest is margin for a loaded machine)."""
    now = datetime.now(timezone.utc)
    slot = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
    return slot if (slot - now).total_seconds() >= min_lead else slot + timedelta(minutes=1)


def briefings(slack, channel):
    return [m for m in slack.messages(channel) if (m.get("metadata") or {}).get("event_type") == METADATA_EVENT]


def subscribe(port, slack, channel, slot):
    local = slot.astimezone(ZoneInfo(TZ))
    text = f"subscribe weekly {local:%a} {local:%H:%M} {TZ}".lower()
    url = slack.response_url(None, channel=channel, user=USER)
    status, _ = post_signed(f"http://127.0.0.1:{port}/slack/events",
                            slash_command_body(text, channel_id=channel, response_url=url), SIGNING_SECRET)
    assert status == 200
    assert slack.wait_for(
        lambda: [m for m in slack.messages(channel) if "will get the Reset Bot briefing" in m["text"]], timeout=20)


def test_each_slot_is_delivered_exactly_once_through_restarts_replicas_and_faults(slack, tmp_path, db_url):
    slack.add_channel(SECOND, "second")
    slack.add_member(SECOND, USER)
    env = {"DATABASE_URL": db_url, "RESET_BOT_SYNC_SECONDS": "2", "RESET_BOT_CLAIM_TIMEOUT_SECONDS": "8",
           "RESET_BOT_RETRY_SECONDS": "2"}
    # The claim timeout must outlast the longest post (the hanging one below takes 6 s): a claim is
    # taken over only from a process that is gone, never from one whose post is still in flight —
    # with 5 s, a live replica's slow post was taken over and the channel got the briefing twice.
    slot = next_minute()

    first, port = start(slack, tmp_path / "a", **env)
    try:
        wait_healthy(port, first)
        subscribe(port, slack, CHANNEL, slot)
        subscribe(port, slack, SECOND, slot)
    finally:
        first.send_signal(signal.SIGTERM)  # a deploy: the process that took the commands goes away
        first.wait(timeout=20)

    replicas = [start(slack, tmp_path / name, **env) for name in ("b", "c")]
    for proc, port in replicas:
        wait_healthy(port, proc)
    # Slack misbehaves: the first briefing post hangs (its process will be killed meanwhile),
    # then a 500 and a 429 hit whichever posts come next.
    slack.fail_next("chat.postMessage", delay=6)
    slack.fail_next("chat.postMessage", status=500)
    slack.fail_next("chat.postMessage", status=429, retry_after=1)

    engine = create_engine(db_url)
    killed = None
    try:
        deadline = time.monotonic() + (slot - datetime.now(timezone.utc)).total_seconds() + 20
        while killed is None and time.monotonic() < deadline:
            with engine.connect() as conn:
                claimed = conn.execute(select(deliveries.c.owner).where(deliveries.c.status == "claimed")).first()
            if claimed is not None:
                killed = int(claimed.owner.split(":")[1])
                os.kill(killed, signal.SIGKILL)  # dies mid-delivery, holding the claim
            time.sleep(0.2)
        assert killed is not None, "no delivery was ever claimed"

        assert slack.wait_for(lambda: len(briefings(slack, CHANNEL)) >= 1 and len(briefings(slack, SECOND)) >= 1,
                              timeout=60)
        with engine.connect() as conn:
            assert slack.wait_for(lambda: all(r.status == "sent" for r in conn.execute(select(deliveries))), timeout=30)
        # A duplicate could only come from a replica that reads the ledger again and posts: wait
        # until each live replica has finished two more sync passes (its first may have begun
        # before the last row was recorded), then count.
        alive = [port for proc, port in replicas if proc.poll() is None]
        passes = {port: health(port)["scheduler"]["sync_passes"] for port in alive}
        assert slack.wait_for(lambda: all(health(p)["scheduler"]["sync_passes"] >= passes[p] + 2 for p in alive),
                              timeout=30)
        assert len(briefings(slack, CHANNEL)) == 1
        assert len(briefings(slack, SECOND)) == 1
        for channel in (CHANNEL, SECOND):  # subscribed by the slash command: threaded, each reply once
            [parent] = briefings(slack, channel)
            parts = [((m.get("metadata") or {}).get("event_payload") or {}).get("part")
                     or ("chart" if m.get("files") else None) for m in slack.replies(channel, parent["ts"])]
            assert len(parts) == len(set(parts)) and {"topic", "sources"} <= set(parts), parts
        with engine.connect() as conn:
            rows = conn.execute(select(deliveries)).all()
        assert len(rows) == 2 and {r.channel_id for r in rows} == {CHANNEL, SECOND}
        assert all(r.message_ts for r in rows)
        assert any(r.attempts >= 2 for r in rows)  # the killed replica's claim was taken over
    finally:
        for proc, _ in replicas:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=20)
        engine.dispose()
