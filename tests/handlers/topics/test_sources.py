"""`/reset sources`: every dataset with its publisher and vintage."""

from __future__ import annotations

from tests.handlers.topics.conftest import reply_for, text_of


def test_the_sources_reply_lists_every_dataset_with_its_vintage(datasets, holders):
    body = text_of(reply_for("sources", datasets, holders))
    for source in datasets.sources.values():
        assert source.title in body and f"vintage {source.vintage}" in body
