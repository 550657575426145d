"""Shared fixtures: the shipped datasets, a local Slack stand-in, and the app served over HTTP."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from waitress.server import create_server

from bot.pipeline.load import default_data_dir, load_datasets
from bot.runtime import build_runtime
from bot.serving.chart_cache import ChartCache
from bot.serving.live_data import LiveData
from bot.settings import Settings
from bot.slack.app import BotApp, create_app
from bot.slack.server import WAITRESS_OPTIONS, raise_open_files_limit
from handlers import charts
from handlers.datasets import Datasets
from handlers.holders import HolderRegistry, registry_for
from tests.fakes.slack_api import FakeSlack

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
CHANNEL = "C0000GEN01"
USER = "U0000USER1"



@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start the slow end-to-end tests first, each in a process of its own. They spend a minute
    mostly waiting for the scheduler's next whole minute; begun first and apart (`make test` runs
    4 processes with ``--dist loadgroup``), they wait while the other processes get through
    everything else, instead of queueing behind each other and adding their minutes to the end.
    A stable sort, the same in every process, as pytest-xdist requires."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid))

@pytest.fixture(autouse=True)
def _no_slack_env(monkeypatch):
    """Tests never see real tokens from the environment (bolt-python does the same)."""
    for name in list(os.environ):
        if name.startswith("SLACK_") or name in ("DATABASE_URL", "PORT"):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def datasets() -> Datasets:
    return load_datasets(default_data_dir())


@pytest.fixture(scope="session")
def holders(datasets) -> HolderRegistry:
    return registry_for(datasets)


@pytest.fixture(scope="session")
def chart_cache() -> ChartCache:
    """One cache for the session: charts are rendered once per data version, as in production."""
    return ChartCache(charts.render)


ROOT = Path(__file__).resolve().parents[1]
#: The bot scopes the manifest asks for: the fake grants exactly these, so a call that needs
#: more (e.g. chat:write.public) fails in tests as it would in a real install.
MANIFEST_SCOPES = frozenset(yaml.safe_load((ROOT / "manifest.yml").read_text())["oauth_config"]["scopes"]["bot"])


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(scopes=MANIFEST_SCOPES) as fake:
        fake.add_channel(CHANNEL, "general")
        fake.add_user(USER, tz="Europe/Berlin")
        fake.add_member(CHANNEL, USER)
        yield fake


@pytest.fixture
def settings(slack, tmp_path) -> Settings:
    return Settings(
        slack_bot_token=slack.token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.base_url,
        state_dir=tmp_path,
        reply_threads=4,
    )


@pytest.fixture
def make_app(settings, datasets, chart_cache):
    def factory(**overrides):
        overrides.setdefault("data", LiveData(datasets))
        overrides.setdefault("charts", chart_cache)
        return create_app(settings, **overrides)
    return factory


@dataclass
class Served:
    url: str  # the events endpoint, e.g. http://127.0.0.1:PORT/slack/events
    base: str
    app: BotApp


@pytest.fixture
def runtime(settings, datasets, chart_cache):
    """Everything `reset-bot serve` builds (app, database, briefing service), scheduler not started."""
    rt = build_runtime(settings, data=LiveData(datasets), charts=chart_cache)
    yield rt
    rt.store.dispose()


@pytest.fixture
def served(runtime) -> Iterator[Served]:
    """The app behind waitress on an ephemeral loopback port, exactly as `reset-bot serve` runs it."""
    app = runtime.app
    raise_open_files_limit()
    server = create_server(runtime.wsgi(), host="127.0.0.1", port=0, threads=8, **WAITRESS_OPTIONS)
    closing = threading.Event()

    def run() -> None:
        try:
            server.run()
        except OSError:  # select() on the socket close() just shut: the normal way this loop ends
            if not closing.is_set():
                raise

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.effective_port}"
    yield Served(url=f"{base}/slack/events", base=base, app=app)
    closing.set()
    server.close()
    app.shutdown()  # let replies finish while the fake Slack is up
