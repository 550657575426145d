"""`/reset history`: the record of foreign sales beside the model."""

from __future__ import annotations

from tests.handlers.topics.conftest import reply_for, text_of


def test_history_sets_the_model_beside_each_episode(datasets, holders):
    reply = reply_for("history", datasets, holders)
    body = text_of(reply)
    for needle in ("March 2020", "+64 bp", "China, 2016", "Russia", "Japan", "12-month fall", "not controlled "
                                                                                              "experiments"):
        assert needle in body
    assert body.count("Model for that sale") == 5
