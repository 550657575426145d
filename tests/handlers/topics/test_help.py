"""`/reset help`: the cheat sheet."""

from __future__ import annotations

from tests.handlers.topics.conftest import reply_for, text_of


def test_help_is_ephemeral_and_lists_every_command(datasets, holders):
    reply = reply_for("help", datasets, holders)
    assert reply.visibility == "ephemeral"
    for word in ("gap", "holdings", "buying", "refinancing", "shock", "gold", "claims", "sources", "subscribe"):
        assert f"/reset {word}" in text_of(reply)
