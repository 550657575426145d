"""`/reset refinancing`: the refinancing wall, bills apart from coupons."""

from __future__ import annotations

from tests.handlers.topics.conftest import reply_for, text_of


def test_refinancing_separates_bills_from_coupons(datasets, holders):
    body = text_of(reply_for("refinancing", datasets, holders))
    assert "$6.40T" in body and "$3.30T" in body and "$9.70T" in body
    assert "no primary source" in body
