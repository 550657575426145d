"""`handlers.slowdown`: the words of a fair-use refusal — only the asker sees it, it says when to try again,
and it blames the bot's capacity, never the person."""

from __future__ import annotations

import doctest
import re

import pytest

from handlers import slowdown
from handlers.slowdown import slow_down

BLAME = re.compile(r"spam|abuse|too many|stop|banned|blocked|flood|violat|rude|annoying|!", re.IGNORECASE)


def test_the_doctest_holds():
    result = doctest.testmod(slowdown)
    assert result.attempted >= 1 and result.failed == 0


@pytest.mark.parametrize("who", ["you", "channel"])
def test_only_the_asker_sees_it(who):
    assert slow_down(who, 4).visibility == "ephemeral"


def test_a_person_is_told_they_are_faster_than_the_bot_answers_well():
    assert slow_down("you", 4).text == (
        ":hourglass: You're sending commands faster than I answer them well. Try again in 4 s.")


def test_a_busy_channel_is_told_this_one_was_skipped_to_keep_it_readable():
    text = slow_down("channel", 30).text
    assert text.startswith(":hourglass: This channel is asking more than I can answer well right now")
    assert "skipped this one to keep it readable" in text
    assert text.endswith("Try again in 30 s.")


@pytest.mark.parametrize("seconds, wait", [(1, "1 s"), (59, "59 s"), (119, "119 s"), (120, "2 min"),
                                           (170, "3 min"), (210, "4 min"), (3600, "60 min")])
def test_it_says_when_to_try_again_in_seconds_then_minutes(seconds, wait):
    assert slow_down("you", seconds).text.endswith(f"Try again in {wait}.")
    assert slow_down("channel", seconds).text.endswith(f"Try again in {wait}.")


@pytest.mark.parametrize("who", ["you", "channel"])
def test_it_never_shames(who):
    reply = slow_down(who, 10)
    assert not BLAME.search(reply.text)
    assert not BLAME.search(reply.blocks[0]["text"]["text"])


@pytest.mark.parametrize("who", ["you", "channel"])
def test_it_is_one_section_with_nothing_cited(who):
    reply = slow_down(who, 10)
    assert [b["type"] for b in reply.blocks] == ["section"] and reply.sources == ()


def test_a_wait_in_minutes_is_never_understated():
    from handlers.slowdown import slow_down

    assert "3 min" in slow_down("you", 150).text  # 2.5 minutes: asking after 2 would be refused again
