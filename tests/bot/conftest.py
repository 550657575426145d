"""Database fixtures: every store test runs on SQLite and on PostgreSQL.

PostgreSQL is the server on 127.0.0.1:5432 (database `test`). `.ci/run` starts it; the tests
fail — not skip — when it is missing, so CI cannot pass without exercising it.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, text

from tests.bot.briefings.support import TEAM_B, USER_B, BriefingFactory
from tests.conftest import CHANNEL, MANIFEST_SCOPES
from tests.fakes.clock import Clock
from tests.fakes.slack_api import FakeSlack

POSTGRES_URL = os.environ.get("RESET_BOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'reset.sqlite3'}"
        return
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    # Each test gets its own schema, selected through the connection's search_path.
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


# The briefing parts (tests/bot/briefings and tests/bot/test_scheduler.py): a clock on the
# Thursday before the slot, and `make_service("replica-b", claim_timeout=…)` on SQLite and PostgreSQL.
@pytest.fixture
def clock():
    return Clock(datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc))  # a Thursday


@pytest.fixture
def make_service(db_url, settings, datasets, chart_cache, clock, slack):
    slack.follow(clock)  # Slack's timestamps agree with the bot's clock, as they do in production
    factory = BriefingFactory(db_url, settings, datasets, chart_cache, clock)
    yield factory
    factory.close()


@pytest.fixture
def slack_b():
    """A second workspace: a stand-in of its own, with its own team, token and bot, and a channel
    whose id is the first workspace's `CHANNEL` (ids are only unique within a workspace's view)."""
    with FakeSlack(scopes=MANIFEST_SCOPES, token="xoxb-3333333333-4444444444-secondteam", team_id=TEAM_B.team_id,
                   team_domain="second-workspace", bot_user_id="U0000BOT02", bot_id="B0000BOT02") as fake:
        fake.add_channel(CHANNEL, "general")
        fake.add_user(USER_B, tz="Asia/Tokyo")
        fake.add_member(CHANNEL, USER_B)
        yield fake


@pytest.fixture
def service(make_service):
    return make_service()
