"""`/reset gold`: official gold against foreign official Treasuries, on both bases."""

from __future__ import annotations

from tests.handlers.topics.conftest import reply_for, text_of


def test_gold_names_both_bases(datasets, holders):
    body = text_of(reply_for("gold", datasets, holders))
    assert "Q3 2025" in body  # all official gold passed foreign official Treasuries then
    assert "has *not* crossed" in body


def test_the_dollar_share_beside_tic_is_the_newest_cofer_vintage(datasets, holders):
    body = text_of(reply_for("gold", datasets, holders))
    assert "56.4% in 2025Q4 (IMF, published 2026-07-01" in body  # not the March release's 56.8% alone
