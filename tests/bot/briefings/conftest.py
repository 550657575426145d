"""Fixtures of the briefing tests: a clock on the Thursday before the slot, and briefing parts
(`make_service("replica-b", claim_timeout=…)`) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.bot.briefings.support import BriefingFactory
from tests.fakes.clock import Clock


@pytest.fixture
def clock():
    return Clock(datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc))  # a Thursday


@pytest.fixture
def make_service(db_url, settings, datasets, chart_cache, clock):
    factory = BriefingFactory(db_url, settings, datasets, chart_cache, clock)
    yield factory
    factory.close()


@pytest.fixture
def service(make_service):
    return make_service()
