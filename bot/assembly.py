"""The briefing parts and their scheduler wired together, once, for `bot.runtime` (and for tests
that want them all). It sits above `bot.briefings` and `bot.scheduler` (which runs the briefings'
parts); neither imports it.

Storage and the Slack clients come in; out come the commands (for the Bolt app), the fan-out,
the sync loop's catch-up and the scheduler that runs them — each a public attribute, so a test
reaches a part by its name rather than through another's internals.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from slack_sdk import WebClient

from bot.alerts.commands import AlertCommands
from bot.alerts.evaluate import AlertEvaluator, AlertSettings
from bot.briefings.catchup import CatchUp
from bot.briefings.commands import SubscriptionCommands
from bot.briefings.config import BriefingSettings
from bot.briefings.fanout import Fanout
from bot.briefings.membership import Membership
from bot.briefings.notices import OwnerNotices
from bot.briefings.pacing import Pacer
from bot.briefings.recovery import HISTORY_INTERVAL, HistoryCheck
from bot.scheduler import DataJobs, Scheduler
from bot.serving.live_data import LiveData
from bot.slack.delivery import ClientFor, SlackDelivery, one_client
from bot.storage import Storage


@dataclass(frozen=True)
class Briefings:
    storage: Storage
    commands: SubscriptionCommands
    fanout: Fanout
    catch_up: CatchUp
    scheduler: Scheduler


def build_briefings(
    storage: Storage,
    data: LiveData,
    delivery: SlackDelivery,
    client: WebClient,
    *,
    config: BriefingSettings | None = None,
    pacer: Pacer | None = None,
    clock: Callable[[], datetime] | None = None,
    owner: str | None = None,
    changes: Callable[[str | None], list[str]] | None = None,
    sleep: Callable[[float], None] = time.sleep,  # unused: history checks no longer retry in-thread (recovery)
    data_jobs: DataJobs | None = None,
    client_for: ClientFor | None = None,
    history_interval: timedelta = HISTORY_INTERVAL,
) -> Briefings:
    """``delivery`` posts; ``client_for`` gives each workspace's Web API client, through which every
    Slack call of a briefing goes (history checks, members, time zones, posts). Without it, every
    workspace gets ``client`` (the single bot token). ``history_interval``: at most one history read
    per workspace per that time, across replicas (`bot.briefings.recovery`)."""
    now = clock or (lambda: datetime.now(timezone.utc))
    client_for = client_for or one_client(client)
    membership = Membership(client_for)
    history = HistoryCheck(client_for, storage.ledger, storage.budgets, storage.history_scans, now,
                           interval=history_interval)
    fanout = Fanout(storage, data, delivery, history, config=config, pacer=pacer, clock=now, owner=owner,
                    changes=changes, client_for=client_for, notices=OwnerNotices(client_for))
    catch_up = CatchUp(storage, fanout, membership, now)
    scheduler = Scheduler(fanout, catch_up, storage.subscriptions, data_jobs=data_jobs)
    commands = SubscriptionCommands(storage, membership, fanout, scheduler, clock=now)
    return Briefings(storage, commands, fanout, catch_up, scheduler)


@dataclass(frozen=True)
class Alerting:
    """Threshold alerts (issue 14): the commands for the Bolt app, the evaluator for the data jobs."""

    commands: AlertCommands
    evaluator: AlertEvaluator


def build_alerts(
    storage: Storage,
    data: LiveData,
    delivery: SlackDelivery,
    client: WebClient,
    *,
    config: AlertSettings | None = None,
    clock: Callable[[], datetime] | None = None,
    owner: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
    client_for: ClientFor | None = None,
    history_interval: timedelta = HISTORY_INTERVAL,
) -> Alerting:
    """As `build_briefings`: ``delivery`` posts, each workspace's calls go through ``client_for``,
    and history reads share the workspace's budget with the briefings' (the same table)."""
    client_for = client_for or one_client(client)
    history = HistoryCheck(client_for, storage.ledger, storage.budgets, storage.history_scans, clock,
                           interval=history_interval)
    evaluator = AlertEvaluator(storage, data, delivery, history, notices=OwnerNotices(client_for),
                               client_for=client_for, owner=owner, clock=clock, config=config)
    return Alerting(AlertCommands(storage, data), evaluator)
