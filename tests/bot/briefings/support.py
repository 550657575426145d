"""What the briefing tests share: a factory for the briefing parts on one database, and helpers
to subscribe channels and read what the Slack stand-in received."""

from __future__ import annotations

import json
from datetime import datetime, time, timezone

from slack_sdk import WebClient

from bot.assembly import Briefings, build_briefings
from bot.briefings.config import BriefingSettings
from bot.briefings.pacing import Pacer
from bot.briefings.recovery import METADATA_EVENT
from bot.serving.live_data import LiveData
from bot.slack.app import briefing_client
from bot.slack.delivery import Destination, SlackDelivery
from bot.storage import Storage, connect
from bot.storage.records import Workspace
from handlers.queries import SubscribeQuery
from tests.conftest import CHANNEL, USER

WORKSPACE = Workspace("T0000FAKE1")  # the stand-in's team, where `here()` asks from
TEAM_B, USER_B = Workspace("T0000FAKE2", "E0000GRID2"), "U0000USERB"  # the second stand-in (`slack_b`)
FRIDAY_1630_LONDON = datetime(2026, 11, 27, 16, 30, tzinfo=timezone.utc)  # GMT in November
LONDON_FRIDAY = ("fri", "16:30", "Europe/London")
THREE_CHANNELS = ("C0000AAAA1", "C0000BBBB2", "C0000CCCC3")


class BriefingFactory:
    """Builds the briefing parts of one process ("replica") on a shared database, as `reset-bot
    serve` does, with an injected clock, no pacing waits and no sleeps between history checks."""

    def __init__(self, db_url, settings, datasets, chart_cache, clock) -> None:
        self.db_url, self.settings, self.datasets, self.chart_cache, self.clock = (
            db_url, settings, datasets, chart_cache, clock)
        self.opened: list[Storage] = []

    def __call__(self, owner="replica-a", pacer=None, client_for=None, **config) -> Briefings:
        storage = connect(self.db_url, now=self.clock)
        self.opened.append(storage)
        client = briefing_client(self.settings)
        return build_briefings(storage, LiveData(self.datasets), SlackDelivery(client, self.chart_cache), client,
                               config=BriefingSettings(**config), pacer=pacer or Pacer(sleep=lambda s: None),
                               clock=self.clock, owner=owner, sleep=lambda s: None, client_for=client_for)

    def close(self) -> None:
        for storage in self.opened:
            storage.dispose()


def two_workspaces(make_service, settings, slack, slack_b, **kw) -> Briefings:
    """Briefing parts serving two workspaces, each its own stand-in with its own token: a Slack
    call made for the wrong workspace is refused (``invalid_auth``) or lands in the wrong stand-in."""
    clients = {WORKSPACE: briefing_client(settings),
               TEAM_B: WebClient(token=slack_b.token, base_url=slack_b.base_url)}
    return make_service(client_for=clients.__getitem__, **kw)


def in_b(channel=CHANNEL):
    return Destination(channel, USER_B, None, TEAM_B.team_id, TEAM_B.enterprise_id)


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def here(channel=CHANNEL):
    return Destination(channel, USER, None, WORKSPACE.team_id)


def subscribe_friday(service, channel=CHANNEL, form="flat"):
    """Friday 16:30 London. Flat unless asked: the tests written before threads (issue 14) pin the
    one-message protocol, call by call, exactly as it was; `test_threads.py` covers the threaded form."""
    return service.commands.handle(SubscribeQuery(day="fri", at=time(16, 30), timezone="Europe/London", form=form),
                                   here(channel))


def subscribe_all(service, slack, channels=THREE_CHANNELS, form="flat"):
    for channel in channels:
        slack.add_channel(channel, channel.lower())
        subscribe_friday(service, channel, form=form)


def subscribe_many(service, slack, count, form="flat"):
    channels = [f"C0001{n:05d}" for n in range(count)]
    subscribe_all(service, slack, channels, form=form)
    return channels


def briefings(slack, channel=CHANNEL):
    return [m for m in slack.messages(channel) if (m.get("metadata") or {}).get("event_type") == METADATA_EVENT]


def sizes_of_calls(repository, method):
    """Spy on a repository's method: the length of its first argument, call by call."""
    sizes, real = [], getattr(repository, method)
    setattr(repository, method, lambda first, *args, **kwargs: sizes.append(len(first)) or real(first, *args, **kwargs))
    return sizes


def job_ids(service):
    return {job.id for job in service.scheduler.jobs()}
