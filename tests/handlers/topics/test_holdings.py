"""`/reset holdings`: who holds US Treasuries, custody centres marked."""

from __future__ import annotations

from tests.handlers.topics.conftest import reply_for, text_of


def test_holdings_rank_japan_first_and_mark_custody_centres(datasets, holders):
    body = text_of(reply_for("holdings", datasets, holders))
    assert "1. Japan" in body
    assert "United Kingdom†" in body and "Belgium†" in body
