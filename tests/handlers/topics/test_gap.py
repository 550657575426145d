"""`/reset gap`: the net international investment position, as of its quarter."""

from __future__ import annotations

from tests.handlers.topics.conftest import reply_for, text_of


def test_gap_reports_the_q3_2025_position(datasets, holders):
    body = text_of(reply_for("gap", datasets, holders))
    for figure in ("$68.9T", "$41.3T", "−$27.6T", "89.7%", "2.24× GDP"):
        assert figure in body
