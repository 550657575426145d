"""`handlers.answer` across every topic: each reply is valid Block Kit within Slack's limits, cites its
sources and attaches its chart. What each topic says is tested in tests/handlers/topics/."""

from __future__ import annotations

import pytest
from slack_sdk.models.blocks import Block

from handlers.reply import MAX_BLOCKS_MESSAGE
from tests.handlers.topics.conftest import reply_for, text_of

TOPICS = ["gap", "gap breakdown", "holdings", "holdings china", "holdings eu", "holdings saudi arabia", "buying",
          "refinancing", "shock eu 20%", "shock china 10% pause", "shock japan 100%", "shock uk 0%", "gold",
          "claims", "sources", "help", "help shock"]


@pytest.mark.parametrize("text", TOPICS)
def test_every_reply_is_valid_block_kit_within_limits(text, datasets, holders):
    reply = reply_for(text, datasets, holders)
    assert 0 < len(reply.blocks) <= MAX_BLOCKS_MESSAGE
    for block in reply.blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block  # an unknown block type parses to None
        parsed.validate_json()
    assert reply.text.strip()


@pytest.mark.parametrize("text", [t for t in TOPICS if not t.startswith(("help", "sources"))])
def test_every_data_reply_names_its_sources_with_dates(text, datasets, holders):
    reply = reply_for(text, datasets, holders)
    assert reply.sources
    for source in reply.sources:
        assert source.publisher and source.as_of and source.vintage
    assert "Sources:" in text_of(reply)


@pytest.mark.parametrize("text, chart_keys", [
    ("gap", ["gap"]), ("holdings", ["holdings"]), ("holdings eu", ["holdings:eu", "europe"]),
    ("buying", ["buying"]), ("refinancing", ["refinancing"]), ("gold", ["gold"]),
    ("shock eu 20%", ["shock:eu 20%"]), ("claims", []), ("sources", []),
])
def test_each_topic_attaches_its_chart_with_alt_text(text, chart_keys, datasets, holders):
    reply = reply_for(text, datasets, holders)
    assert [c.key for c in reply.charts] == chart_keys
    assert all(len(c.alt_text) > 40 and c.title and c.filename.endswith(".png") for c in reply.charts)
