"""What every topic test needs: a reply for a command, and its blocks as searchable text."""

from __future__ import annotations

import json

from handlers.answer import answer
from handlers.datasets import Datasets
from handlers.holders import HolderRegistry
from handlers.parsing import parse
from handlers.reply import Reply


def reply_for(text: str, datasets: Datasets, holders: HolderRegistry) -> Reply:
    """The reply to ``/reset <text>``, through the same parser and dispatch as Slack and the shell."""
    return answer(parse(text, holders), datasets, holders)


def text_of(reply: Reply) -> str:
    """The reply's blocks as one JSON string, for `in` checks on what the reader sees."""
    return json.dumps(reply.blocks, ensure_ascii=False)
