"""Fixtures of the storage tests: a clock five seconds past the slot, and a `Storage` on each database."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.storage import connect
from tests.fakes.clock import Clock


@pytest.fixture
def clock():
    return Clock(datetime(2026, 11, 27, 16, 30, 5, tzinfo=timezone.utc))


@pytest.fixture
def storage(db_url, clock):
    s = connect(db_url, now=clock)
    yield s
    s.dispose()
