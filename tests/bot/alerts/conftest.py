"""Fixtures of the alert tests: `make_alerts(live_data, owner)` on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.bot.alerts.support import AlertFactory


@pytest.fixture
def make_alerts(db_url, settings, chart_cache, clock):
    factory = AlertFactory(db_url, settings, chart_cache, clock)
    yield factory
    factory.close()
