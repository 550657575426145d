"""Section 7: many workspaces, several replicas, Slack's rate limits — the fan-out against its floor.

W workspaces × N channels (BENCH_WORKSPACES, BENCH_PER_WORKSPACE; 50 × 100 by default) are all
subscribed to the same Monday-style weekly slot: the next whole minute. Three `reset-bot serve`
processes in OAuth mode share one PostgreSQL database (the server on 127.0.0.1:5432 the tests use;
"not run" without one) and deliver it, against the Slack stand-in in its own process
(tests/bench/slackproc.py) enforcing Slack's published limits per workspace (`slackproc.LIMITS`,
unscaled: the workload is sized so that a round takes about a minute).

Workspaces: each has its own bot token, issued by the stand-in as oauth.v2.access issues one at
install, and stored before the replicas start exactly as the install callback stores it
(`EncryptedInstallationStore.save`, Fernet-encrypted). The replicas read them as in production
(`InstalledClients`), so every Slack call of a workspace carries that workspace's token and is
counted against that workspace's limits. (Going through 50 install pages would add only the
OAuth flow, which tests/bot/slack/test_oauth.py covers.)

Forms: the odd workspaces' subscriptions are threaded (what new subscriptions get), the even ones'
flat (what subscriptions older than issue 14 were migrated to).

The floor: the earliest moment the last briefing can be complete under the limits. A flat briefing
is one chat.postMessage, one files.getUploadURLExternal and one files.completeUploadExternal in its
workspace; a threaded one three chat.postMessage (parent, topic, sources) and the same two upload
calls. With a token bucket of rate r a minute and burst b, N calls of a method in one
workspace need at least (N − b) / r; workspaces run in parallel, so the floor is the largest of
these over the methods and forms (Tier 4's 100 a minute binds: (100 − 5) / 100 min = 57 s for
N = 100; a threaded workspace's 300 messages need (300 − 10) / 600 min = 29 s).
Wall time runs from the slot to the stand-in's timestamp of the last successful call.

CPU: the three replicas' user + system time (/proc/<pid>/stat) from just before the slot to the
end, per channel. Baseline: the same briefing, built once in each form, sent through `SlackDelivery`
with each workspace's own client (and in its form: a threaded one as its parent, replies and chart
in the thread) to BASELINE_PER_WORKSPACE channels of every workspace, without pacing and with the
limits off — the cost of the Slack calls alone — right after each round.

Round 2 SIGKILLs one replica halfway to the floor. Its claims are taken over by the survivors
after RESET_BOT_CLAIM_TIMEOUT_SECONDS (set short here) and their sync pass; each takeover first
looks for the briefing in the channel's history (message metadata), so one the dead replica
posted is recorded, not posted again. Both rounds must end with every subscription's slot `sent`
in the ledger, every channel's briefing posted once (duplicates 0) and none missing (losses 0).
"""

from __future__ import annotations

import math
import os
import signal
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.bench.harness import (
    LOOPBACK,
    RESET_BOT,
    RESULTS,
    SIGNING_SECRET,
    Process,
    SlackStandIn,
    clean_env,
    cpu_seconds,
    free_port,
    http_get,
    ms,
)
from tests.bench.slackproc import LIMITS, workspace_channel

WORKSPACES = int(os.environ.get("BENCH_WORKSPACES", "50"))
PER_WORKSPACE = int(os.environ.get("BENCH_PER_WORKSPACE", "100"))
REPLICAS = 3
CLAIM_TIMEOUT = 30  # seconds: RESET_BOT_CLAIM_TIMEOUT_SECONDS, short so the killed replica's claims go soon
SYNC_SECONDS = 10  # RESET_BOT_SYNC_SECONDS: how often a replica looks for stale claims to take over
BASELINE_PER_WORKSPACE = 10
HISTORY_MINUTES = 6  # the kill round waits this much longer: a few history turns per workspace
WALL_TARGET = 1.2  # × the floor
POSTGRES_URL = os.environ.get("RESET_BOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SECTION = "7 scale"


# Half the workspaces get threaded briefings (the form new subscriptions get), half flat (the
# form older ones were migrated to). A flat briefing is one message and its chart; a threaded one
# is a parent, two replies (topic, sources) and the chart uploaded into the thread.
MESSAGES = {"flat": 1, "threaded": 3}
THREAD_REPLIES = MESSAGES["threaded"] - 1


def form_of(w: int) -> str:
    return "threaded" if w % 2 else "flat"


def floor_seconds(per_workspace: int, forms: tuple[str, ...] = ("flat", "threaded")) -> float:
    """The rate-limit floor of one slot: each method's calls in one workspace at its bucket's rate,
    for the workspace form that needs longest."""
    worst = 0.0
    for form in forms:
        for method, group in LIMITS.items():
            per_briefing = MESSAGES[form] if method == "chat.postMessage" else 1  # one chart upload each
            for per_minute, burst, per_channel in group:
                calls = per_briefing * (1 if per_channel else per_workspace)
                worst = max(worst, (calls - burst) / (per_minute / 60))
    return worst


class Replica(Process):
    def __init__(self, n: int, slack: SlackStandIn, url: str, key: str) -> None:
        self.port = free_port()
        self.state_dir = tempfile.mkdtemp(prefix=f"bench-replica{n}-")
        info = slack.info
        super().__init__([RESET_BOT, "serve"], clean_env(
            SLACK_CLIENT_ID=info["client_id"], SLACK_CLIENT_SECRET=info["client_secret"],
            SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=slack.base_url,
            SLACK_AUTHORIZE_URL=f"{slack.root}/oauth/v2/authorize",
            SLACK_REDIRECT_URI=f"http://{LOOPBACK}:{self.port}/slack/oauth_redirect", RESET_BOT_TOKEN_KEY=key,
            DATABASE_URL=url, HOST=LOOPBACK, PORT=str(self.port), RESET_BOT_STATE_DIR=self.state_dir,
            LOG_LEVEL="WARNING", RESET_BOT_CLAIM_TIMEOUT_SECONDS=str(CLAIM_TIMEOUT),
            RESET_BOT_SYNC_SECONDS=str(SYNC_SECONDS)), f"replica{n}")
        self.cpu_at_kill: float | None = None

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            if http_get(self.port, "/healthz") == 200:
                return
            time.sleep(0.05)
        raise AssertionError(f"{self.name} was not healthy within {timeout} s:\n{self.log_tail()}")

    def cpu(self) -> float:
        return self.cpu_at_kill if self.cpu_at_kill is not None else cpu_seconds(self.pid)

    def kill(self) -> None:
        self.cpu_at_kill = cpu_seconds(self.pid)
        os.kill(self.pid, signal.SIGKILL)  # our own child, by its pid
        self.proc.wait(timeout=10)


def seed(url: str, slack: SlackStandIn, slot: datetime, key: bytes) -> None:
    """The workspaces' installations (as the OAuth callback saves them) and every channel's subscription."""
    from slack_sdk.oauth.installation_store import Installation
    from sqlalchemy import insert

    from bot.storage import connect
    from bot.storage.installations import EncryptedInstallationStore, TokenCipher
    from bot.storage.schema import subscriptions

    store = connect(url)
    try:
        installations = EncryptedInstallationStore(slack.info["client_id"], store.database.engine,
                                                   TokenCipher([key]))
        for ws in slack.info["workspaces"]:
            installations.save(Installation(
                app_id=slack.info["app_id"], enterprise_id=None, team_id=ws["team_id"],
                team_name=ws["team_id"], bot_token=ws["token"], bot_id=ws["bot_id"], bot_user_id=ws["bot_user_id"],
                bot_scopes="chat:write,files:write,channels:history,groups:history", user_id="U0000ADMIN",
                installed_at=time.time()))
        created = slot - timedelta(hours=1)
        rows = [{"team_id": ws["team_id"], "channel_id": workspace_channel(w, n), "created_by": "U0000ADMIN",
                 "weekday": slot.strftime("%a").lower(), "at_time": slot.strftime("%H:%M"), "timezone": "UTC",
                 "state": "active", "created_at": created, "updated_at": created, "form": form_of(w)}
                for w, ws in enumerate(slack.info["workspaces"]) for n in range(PER_WORKSPACE)]
        with store.database.engine.begin() as conn:
            conn.execute(insert(subscriptions), rows)
    finally:
        store.dispose()


def ledger_sent(url: str, slot: datetime) -> tuple[int, dict[str, int]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT status, count(*) FROM reset_deliveries WHERE slot_utc = :slot "
                                     "GROUP BY status"), {"slot": slot}).all()
    finally:
        engine.dispose()
    counts = {status: n for status, n in rows}
    return counts.get("sent", 0), counts


def one_round(slack: SlackStandIn, *, kill: bool) -> dict[str, Any]:
    from cryptography.fernet import Fernet
    from sqlalchemy import create_engine, text

    total = WORKSPACES * PER_WORKSPACE
    threaded = sum(form_of(w) == "threaded" for w in range(WORKSPACES)) * PER_WORKSPACE
    floor = floor_seconds(PER_WORKSPACE)
    admin = create_engine(POSTGRES_URL)
    schema = f"bench_ws_{uuid.uuid4().hex[:8]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    key = Fernet.generate_key()
    replicas: list[Replica] = []
    try:
        # The slot: a whole minute far enough ahead for three replicas to start and schedule it.
        start = datetime.now(timezone.utc) + timedelta(seconds=25)
        slot = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
        seed(url, slack, slot, key)
        replicas = [Replica(n, slack, url, key.decode()) for n in range(REPLICAS)]
        for replica in replicas:
            replica.wait_healthy()
        slack.reset()
        slack.limits(True)
        while datetime.now(timezone.utc) < slot - timedelta(seconds=1):
            time.sleep(0.1)
        seq = slack.seq()
        cpu0 = [r.cpu() for r in replicas]
        slot_epoch = slot.timestamp()
        deadline = slot_epoch + 3 * floor + CLAIM_TIMEOUT + 3 * SYNC_SECONDS + 120
        if kill:  # the dead replica's posts in flight are each confirmed by a history read: one a minute per workspace
            deadline += HISTORY_MINUTES * 60
        killed = False
        posts: dict[str, int] = {}  # top-level messages: the flat briefing, or a thread's parent
        replies: dict[str, int] = {}  # thread replies
        charts: dict[str, int] = {}
        limited: dict[str, int] = {}
        last = slot_epoch
        cursor = seq
        while True:
            if kill and not killed and time.time() >= slot_epoch + floor / 2:
                replicas[0].kill()
                killed = True
            cursor, rows = slack.calls(cursor, ("chat.postMessage", "files.getUploadURLExternal",
                                                "files.completeUploadExternal"))
            for _, method, at, status, ok, channel, in_thread in rows:
                if status == 429:
                    limited[method] = limited.get(method, 0) + 1
                elif ok and method == "chat.postMessage":
                    counted = replies if in_thread else posts  # a thread's replies, or a briefing (parent)
                    counted[channel] = counted.get(channel, 0) + 1
                    last = max(last, at)
                elif ok and method == "files.completeUploadExternal":
                    charts[channel] = charts.get(channel, 0) + 1
                    last = max(last, at)
            if (len(posts) >= total and len(charts) >= total and sum(replies.values()) >= threaded * THREAD_REPLIES
                    and (not kill or killed)):
                sent, _ = ledger_sent(url, slot)
                if sent >= total:
                    break
            if time.time() > deadline:
                break
            time.sleep(0.5)
        cpu = sum(r.cpu() - c for r, c in zip(replicas, cpu0))
        sent, statuses = ledger_sent(url, slot)
        for replica in replicas:
            if replica.cpu_at_kill is None:
                replica.check_alive()  # the survivors are still serving
    finally:
        slack.limits(False)
        for replica in replicas:
            replica.stop()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    everywhere = {workspace_channel(w, n) for w in range(WORKSPACES) for n in range(PER_WORKSPACE)}
    in_threads = {workspace_channel(w, n) for w in range(WORKSPACES) for n in range(PER_WORKSPACE)
                  if form_of(w) == "threaded"}
    return {
        "wall": last - slot_epoch, "floor": floor, "cpu": cpu, "total": total,
        "duplicates": sum(count - 1 for count in posts.values() if count > 1)
        + sum(count - THREAD_REPLIES for count in replies.values() if count > THREAD_REPLIES)
        + len(set(replies) - in_threads),
        "lost": len(everywhere - set(posts)), "no_chart": len(everywhere - set(charts)),
        "incomplete_threads": sum(1 for channel in in_threads if replies.get(channel, 0) < THREAD_REPLIES),
        "ledger_sent": sent, "statuses": statuses, "limited": limited,
    }


def baseline(slack: SlackStandIn, tmp_path) -> float:
    """CPU seconds per channel to send one briefing, built once, through `SlackDelivery` with each
    workspace's client to BASELINE_PER_WORKSPACE of its channels: the Slack calls alone."""
    from bot.pipeline.load import default_data_dir, load_datasets
    from bot.serving.chart_cache import ChartCache
    from bot.serving.live_data import LiveData
    from bot.settings import Settings
    from bot.slack.app import briefing_client, retry_handlers, with_token
    from bot.slack.delivery import Destination, SlackDelivery
    from handlers import charts as chart_renderers
    from handlers.briefing import briefing_reply, briefing_thread

    datasets = load_datasets(default_data_dir())
    snapshot = LiveData(datasets).current()
    when = dict(slot=datetime(2026, 11, 30, 9, tzinfo=timezone.utc), tz="UTC", schedule="every Monday", previous=None)
    reply, _ = briefing_reply(snapshot.datasets, snapshot.holders, **when)
    thread, _ = briefing_thread(snapshot.datasets, snapshot.holders, **when)
    settings = Settings(slack_bot_token=slack.info["workspaces"][0]["token"], slack_signing_secret=SIGNING_SECRET,
                        slack_api_url=slack.base_url, state_dir=tmp_path)
    base = briefing_client(settings)
    clients = {ws["team_id"]: with_token(base, ws["token"]) for ws in slack.info["workspaces"]}
    delivery = SlackDelivery(base, ChartCache(chart_renderers.render), retry_handlers())

    def send(team_id: str, channel: str, form: str) -> None:
        dest, client = Destination(channel, team_id=team_id), clients[team_id]
        if form == "flat":
            delivery.deliver(reply, dest, snapshot.datasets, client=client)
            return
        parent = delivery.deliver(thread.parent, dest, snapshot.datasets, client=client)
        for _, part in thread.replies:  # as `bot.briefings.threads.ThreadPoster` posts them
            delivery.deliver(part.model_copy(update={"charts": ()}), dest, snapshot.datasets, client=client,
                             thread_ts=parent.ts)
            for chart in part.charts:
                delivery.upload_chart(chart, dest, snapshot.datasets, client=client, thread_ts=parent.ts)

    first = slack.info["workspaces"][0]["team_id"]
    send(first, workspace_channel(0, 0), "flat")  # renders and caches the chart
    jobs = [(ws["team_id"], workspace_channel(w, n), form_of(w)) for n in range(BASELINE_PER_WORKSPACE)
            for w, ws in enumerate(slack.info["workspaces"])]
    slack.reset()
    cpu = time.process_time()
    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(lambda job: send(*job), jobs))
    cpu = time.process_time() - cpu
    slack.reset()
    return cpu / len(jobs)


@pytest.fixture(scope="module")
def workspaces_standin():
    standin = SlackStandIn(0, "--workspaces", str(WORKSPACES), "--per-workspace", str(PER_WORKSPACE))
    yield standin
    standin.stop()


def test_multi_workspace_fanout_against_the_rate_limit_floor(workspaces_standin, tmp_path):
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    admin = create_engine(POSTGRES_URL)
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        RESULTS.add(SECTION, "multi-workspace fan-out on PostgreSQL", "not run",
                    baseline=f"no server at {POSTGRES_URL.split('@')[-1]}: {type(exc).__name__}")
        return
    finally:
        admin.dispose()
    slack = workspaces_standin
    size = (f"{WORKSPACES} workspaces × {PER_WORKSPACE} channels = {WORKSPACES * PER_WORKSPACE:,} briefings "
            "(half threaded)")
    results, bases = [], []
    for kill in (False, True):
        results.append(one_round(slack, kill=kill))
        bases.append(baseline(slack, tmp_path))
    base = statistics.median(bases)
    failures = []
    for r, kill, b in zip(results, (False, True), bases):
        name = "one replica SIGKILLed at half the floor" if kill else f"{REPLICAS} replicas"
        ratio = r["wall"] / r["floor"]
        if kill:  # the dead replica's claims wait out the claim timeout and a sync pass: not judged on the floor
            RESULTS.add(SECTION, f"wall time, {size}, {name} (claims taken over after {CLAIM_TIMEOUT} s)",
                        ms(r["wall"]), baseline=f"rate-limit floor {ms(r['floor'])}", ratio=ratio)
        else:
            RESULTS.add(SECTION, f"wall time, {size}, {name} on PostgreSQL, Slack's limits per workspace",
                        ms(r["wall"]), baseline=f"rate-limit floor {ms(r['floor'])}", ratio=ratio,
                        target=f"≤ {WALL_TARGET}× floor", ok=ratio <= WALL_TARGET)
            if ratio > WALL_TARGET:
                failures.append(f"wall {ratio:.2f}× the floor")
        per_channel = r["cpu"] / r["total"]
        RESULTS.add(SECTION, f"CPU per channel, {name}, the replicas together (this round's baseline {ms(b)})",
                    ms(per_channel), baseline=f"Slack calls alone {ms(base)}", ratio=per_channel / base)
        RESULTS.add(SECTION, f"duplicates, {name}", str(r["duplicates"]), target="= 0", ok=r["duplicates"] == 0)
        lost = r["lost"] + (r["total"] - r["ledger_sent"])
        RESULTS.add(SECTION, f"losses (channels without the briefing; ledger rows not sent), {name}",
                    f"{r['lost']}; {r['total'] - r['ledger_sent']}", baseline=f"ledger {r['statuses']}",
                    target="= 0", ok=lost == 0)
        RESULTS.add(SECTION, f"briefings without their chart, {name}", str(r["no_chart"]))
        RESULTS.add(SECTION, f"threaded briefings missing a reply, {name}", str(r["incomplete_threads"]),
                    target="= 0", ok=r["incomplete_threads"] == 0)
        RESULTS.add(SECTION, f"429s from the stand-in, {name}",
                    ", ".join(f"{m} {n}" for m, n in sorted(r["limited"].items())) or "0")
        if r["duplicates"] or lost or r["incomplete_threads"]:
            failures.append(f"{name}: {r['duplicates']} duplicates, {lost} losses, "
                            f"{r['incomplete_threads']} incomplete threads")
    assert not failures, failures
    assert math.isfinite(base)
