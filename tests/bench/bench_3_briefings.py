"""Section 4: the briefing fan-out — 1,000 subscriptions due in the same minute.

The bot side runs in this process: a `BriefingService` on SQLite in a temp dir, an injected
clock set just after the slot, and a `Pacer` whose sleep is a no-op, so the pacing Slack's rate
limits impose (10 posts/s by default: 100 s for 1,000 channels) is excluded. The slots are
delivered by 10 workers calling `deliver_slot`, as APScheduler's executor in
`BriefingService.start` does when 1,000 cron jobs fire at once.

How the CPU is separated: the Slack stand-in runs in another process (tests/bench/slackproc.py),
so `time.process_time()` here counts only the bot — the ledger, composing each briefing, the
chart cache and slack_sdk's side of every HTTP call. The stand-in's own CPU is read from its
/bench/stats and shown for information.

The ledger is not empty: each subscription has a year (52 weeks) of delivered briefings, as
after a year in service, so queries that scan the ledger show up.

Baseline: the same 1,000 channels sent the same briefing (built once) through the same
`SlackDelivery` and client with the chart already cached: the cost of the Slack calls alone.

The same service's `sync()` pass — run every 30 s by the scheduler to rebuild jobs, catch up and
retry — is timed too, on its steady-state second pass with all 1,000 jobs scheduled (APScheduler
started paused, so nothing fires); baseline: reading the live subscriptions alone.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from tests.bench.harness import RESULTS, SIGNING_SECRET, ms
from tests.bench.slackproc import GENERAL, fanout_channel

CHANNELS = 1000
WORKERS = 10  # BriefingService.start: JobExecutor(max_workers=10)
SLOT = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)  # a Monday, 09:00 in each of these zones
ZONES = ("Europe/London", "UTC", "Africa/Abidjan", "Atlantic/Reykjavik")  # all UTC+0 on that day
HISTORY_WEEKS = 52
CPU_TARGET = 0.005


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_briefing_fanout(slack_standin, tmp_path):
    from bot.app import make_client, retry_handlers
    from bot.briefings import BriefingService
    from bot.charts import ChartCache
    from bot.datasets import default_data_dir, load_datasets
    from bot.datastore import DataStore
    from bot.delivery import Destination, SlackDelivery
    from bot.pacing import Pacer
    from bot.settings import Settings
    from bot.store import Store
    from handlers import charts as chart_renderers
    from handlers.briefing import briefing_reply

    slack = slack_standin
    slack.reset()
    clock = Clock(SLOT - timedelta(weeks=HISTORY_WEEKS + 1))  # subscribed before the year of history
    store = Store.connect(f"sqlite:///{tmp_path / 'bench.sqlite3'}", now=clock)
    settings = Settings(slack_bot_token=slack.token, slack_signing_secret=SIGNING_SECRET,
                        slack_api_url=slack.base_url, state_dir=tmp_path)
    client = make_client(settings)
    data = DataStore(load_datasets(default_data_dir()))

    def service(charts: ChartCache, owner: str) -> BriefingService:
        return BriefingService(store, data, SlackDelivery(client, charts, retry_handlers()), client,
                               pacer=Pacer(sleep=lambda seconds: None), clock=clock, owner=owner)

    ids = [store.add_subscription(team_id="T0000FAKE1", channel_id=fanout_channel(n), created_by="U0000USER1",
                                  weekday="mon", at_time="09:00", timezone_name=ZONES[n % len(ZONES)]).id
           for n in range(CHANNELS)]
    warm_id = store.add_subscription(team_id="T0000FAKE1", channel_id=GENERAL, created_by="U0000USER1",
                                     weekday="mon", at_time="09:00", timezone_name="UTC").id
    seed_history(store, data, ids)
    clock.now = SLOT + timedelta(seconds=5)

    # Warm the code paths (imports, connection pool, SQL compilation) on another channel with a
    # throwaway chart cache, so the measured service starts with no chart rendered.
    assert service(ChartCache(chart_renderers.render), "bench-warm").deliver_slot(warm_id) == "sent"

    charts = ChartCache(chart_renderers.render)
    fanout = service(charts, "bench")
    seq = slack.seq()
    slack_cpu = slack.cpu()
    cpu, wall = time.process_time(), time.perf_counter()
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="fanout") as pool:
        outcomes = list(pool.map(fanout.deliver_slot, ids))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    slack_cpu = slack.cpu() - slack_cpu
    _, calls = slack.calls(seq, ("chat.postMessage", "files.completeUploadExternal"))
    posted = sum(1 for c in calls if c[1] == "chat.postMessage" and c[4])
    shared = sum(1 for c in calls if c[1] == "files.completeUploadExternal" and c[4])
    wanted = set(ids)
    ledger = [d for d in store.ledger() if d.slot_utc == SLOT and d.subscription_id in wanted]
    slack.reset()

    # Baseline: the same briefing, built once, delivered to the same channels by the same client.
    snapshot = data.current()
    reply, _ = briefing_reply(snapshot.datasets, snapshot.holders, slot=SLOT, tz="UTC", schedule="every Monday",
                              previous=None)
    plain = SlackDelivery(client, ChartCache(chart_renderers.render), retry_handlers())
    plain.deliver(reply, Destination(GENERAL), snapshot.datasets)  # renders and caches the chart
    base_cpu, base_wall = time.process_time(), time.perf_counter()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(lambda n: plain.deliver(reply, Destination(fanout_channel(n)), snapshot.datasets),
                      range(CHANNELS)))
    base_wall, base_cpu = time.perf_counter() - base_wall, time.process_time() - base_cpu
    slack.reset()

    # The scheduler's sync pass over the same 1,000 subscriptions (all delivered, none due).
    from apscheduler.schedulers.background import BackgroundScheduler

    clock.now = SLOT + timedelta(minutes=1)
    fanout.scheduler = BackgroundScheduler(timezone=timezone.utc)
    fanout.scheduler.start(paused=True)
    try:
        fanout.sync()  # first pass schedules the 1,000 jobs
        sync_cpu, sync_wall = time.process_time(), time.perf_counter()
        fanout.sync()
        sync_wall, sync_cpu = time.perf_counter() - sync_wall, time.process_time() - sync_cpu
        assert len(fanout.scheduler.get_jobs()) == CHANNELS + 1
    finally:
        fanout.scheduler.shutdown(wait=False)
        fanout.scheduler = None
    floor_cpu = time.process_time()
    store.live_subscriptions()
    floor_cpu = time.process_time() - floor_cpu
    store.engine.dispose()

    per_channel, base_per_channel = cpu / CHANNELS, base_cpu / CHANNELS
    RESULTS.add("4 fan-out", f"wall time, {CHANNELS:,} briefings due at once ({WORKERS} workers, no pacing)",
                ms(wall), baseline=f"Slack calls only {ms(base_wall)}", ratio=wall / base_wall)
    RESULTS.add("4 fan-out", "CPU per channel, bot process only", ms(per_channel),
                baseline=f"Slack calls only {ms(base_per_channel)}", ratio=per_channel / base_per_channel,
                target=f"< {CPU_TARGET * 1000:.0f} ms", ok=per_channel < CPU_TARGET)
    RESULTS.add("4 fan-out", "… of which beyond the Slack calls (ledger, composing, threads)",
                ms(per_channel - base_per_channel))
    RESULTS.add("4 fan-out", "chart renders during the fan-out", str(charts.renders),
                baseline="1 topic chart", target="= 1", ok=charts.renders == 1)
    RESULTS.add("4 fan-out", "stand-in CPU per channel (other process, not counted)", ms(slack_cpu / CHANNELS))
    RESULTS.add("4 fan-out", f"scheduler sync pass (every 30 s), {CHANNELS:,} subscriptions: CPU (wall {ms(sync_wall)})",
                ms(sync_cpu), baseline=f"read subscriptions {ms(floor_cpu)}", ratio=sync_cpu / floor_cpu)
    assert outcomes == ["sent"] * CHANNELS, {o: outcomes.count(o) for o in set(outcomes)}
    assert (posted, shared) == (CHANNELS, CHANNELS)
    assert len(ledger) == CHANNELS and all(d.status == "sent" and d.message_ts for d in ledger)
    assert charts.renders == 1
    assert per_channel < CPU_TARGET, f"{per_channel * 1000:.2f} ms CPU per channel"


def seed_history(store, data, ids) -> None:
    """A year of delivered briefings per subscription, written straight into the ledger."""
    import json

    from sqlalchemy import insert

    from bot.store import deliveries
    from handlers.briefing import headline

    snapshot = data.current()
    headline_json = json.dumps(headline(snapshot.datasets, snapshot.holders))
    rows = []
    for week in range(1, HISTORY_WEEKS + 1):
        slot = SLOT - timedelta(weeks=week)
        for n, sub_id in enumerate(ids):
            rows.append({"subscription_id": sub_id, "channel_id": fanout_channel(n), "slot_utc": slot,
                         "kind": "scheduled", "status": "sent", "owner": "bench-history", "claimed_at": slot,
                         "finished_at": slot + timedelta(seconds=2), "attempts": 1, "message_ts": f"{week}.{n:06d}",
                         "data_version": snapshot.datasets.version, "headline_json": headline_json})
    with store.engine.begin() as conn:
        conn.execute(insert(deliveries), rows)
