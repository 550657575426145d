"""The composition root for `reset-bot serve`: one place that builds every long-lived part.

Settings come in validated; the Web API client, the datasets in service, the chart cache, the
database, the briefing scheduler and the Bolt app are built once here and handed to each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from slack_bolt import App
from slack_sdk import WebClient

from bot.app import create_app, make_client, retry_handlers
from bot.briefings import BriefingService, BriefingSettings
from bot.charts import ChartCache
from bot.datastore import DataStore
from bot.delivery import SlackDelivery
from bot.pacing import Pacer
from bot.settings import Settings
from bot.store import Store
from handlers import charts as chart_renderers


@dataclass
class Runtime:
    app: App
    briefings: BriefingService
    data: DataStore
    store: Store
    charts: ChartCache

    def start(self) -> None:
        self.briefings.start()

    def stop(self) -> None:
        self.briefings.shutdown()
        self.app._reset_replier.executor.shutdown(wait=True)  # type: ignore[attr-defined]


def build_runtime(settings: Settings, *, client: WebClient | None = None, data: DataStore | None = None,
                  charts: ChartCache | None = None) -> Runtime:
    client = client or make_client(settings)
    data = data or DataStore.from_settings(settings)
    charts = charts or ChartCache(chart_renderers.render)
    if settings.database_url is None:
        settings.state_dir.mkdir(parents=True, exist_ok=True)
    store = Store.connect(settings.db_url)
    service = BriefingService(
        store, data, SlackDelivery(client, charts, retry_handlers()), client,
        config=BriefingSettings(grace=timedelta(minutes=settings.grace_minutes),
                                claim_timeout=timedelta(seconds=settings.claim_timeout_seconds),
                                sync_interval=timedelta(seconds=settings.sync_seconds)),
        pacer=Pacer(per_second=settings.posts_per_second),
    )
    app = create_app(settings, client=client, data=data, charts=charts, briefings=service.handle)
    return Runtime(app=app, briefings=service, data=data, store=store, charts=charts)
