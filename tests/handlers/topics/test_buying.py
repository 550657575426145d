"""`/reset buying`: who bought Treasuries, by window."""

from __future__ import annotations

from tests.handlers.topics.conftest import reply_for, text_of


def test_buying_reproduces_citis_window_but_not_the_whole_year(datasets, holders):
    body = text_of(reply_for("buying", datasets, holders))
    assert "79.1%" in body and "55.5%" in body
