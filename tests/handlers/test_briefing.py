"""The weekly briefing is a pure value: the same arguments give the same briefing, built once."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from handlers.briefing import briefing_reply

SLOT = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


def brief(datasets, holders, **changed):
    args = dict(slot=SLOT, tz="Europe/London", schedule="every Monday at 09:00 Europe/London", previous=None)
    return briefing_reply(datasets, holders, **{**args, **changed})


def test_every_channel_on_one_schedule_shares_one_briefing(datasets, holders):
    first, headline = brief(datasets, holders)
    again, _ = brief(datasets, holders)
    assert again is first  # a fan-out builds it once, not once per channel


def test_what_the_channel_saw_last_time_makes_its_own_briefing(datasets, holders):
    fresh, headline = brief(datasets, holders)
    older = {**headline, "china_usd_bn": headline["china_usd_bn"] + 25.0}
    since, _ = brief(datasets, holders, previous=older)
    assert since is not fresh
    assert "First briefing in this channel" in fresh.text + str(fresh.blocks)
    assert "since the last briefing" in str(since.blocks) and "First briefing" not in str(since.blocks)


def test_a_new_data_version_builds_a_new_briefing(datasets, holders):
    first, _ = brief(datasets, holders)
    refreshed = dataclasses.replace(datasets, version=datasets.version + "-refreshed")  # what a refresh serves
    again, headline = brief(refreshed, holders)
    assert again is not first and headline["data_version"] == refreshed.version


def test_another_datasets_object_with_the_same_version_gets_its_own_briefing(datasets, holders):
    first, _ = brief(datasets, holders)
    assert brief(dataclasses.replace(datasets), holders)[0] is not first  # caches key on the object too


def test_the_headline_returned_is_the_callers_own_copy(datasets, holders):
    _, headline = brief(datasets, holders)
    headline["net_usd_bn"] = 0.0  # e.g. the ledger serialises and keeps it
    assert brief(datasets, holders)[1]["net_usd_bn"] != 0.0


# ---- issue 14: the threaded form ---------------------------------------------------------------
def thread(datasets, holders, **changed):
    from handlers.briefing import briefing_thread

    args = dict(slot=SLOT, tz="Europe/London", schedule="every Monday at 09:00 Europe/London", previous=None)
    return briefing_thread(datasets, holders, **{**args, **changed})


def test_the_thread_says_what_the_flat_briefing_says_split_into_parent_and_replies(datasets, holders):
    import json

    flat, flat_headline = brief(datasets, holders)
    threaded, headline = thread(datasets, holders)
    assert headline == flat_headline
    parent = json.dumps(threaded.parent.blocks, ensure_ascii=False)
    replies = {name: json.dumps(reply.blocks, ensure_ascii=False) for name, reply in threaded.replies}
    assert list(replies) == ["topic", "sources"]
    flat_blocks = json.dumps(flat.blocks, ensure_ascii=False)
    # the numbers and what changed lead the parent, exactly as in the flat briefing
    assert json.dumps(flat.blocks[1], ensure_ascii=False) in parent and "First briefing in this channel" in parent
    assert [b["type"] for b in threaded.parent.blocks][-1] == "context" and "in the thread" in parent
    assert "Sources:" not in parent
    assert "Sources:" in replies["sources"] and "Delivered every Monday" in replies["sources"]
    assert "Topic of the week" in replies["topic"]
    for block in flat.blocks:  # nothing of the flat briefing is lost in the thread (bar the divider)
        if block["type"] != "divider":
            assert json.dumps(block, ensure_ascii=False) in parent + "".join(replies.values()) or \
                block["type"] == "section" and "Topic of the week" in json.dumps(block)
    assert flat.text == threaded.parent.text and flat_blocks.count("Topic of the week") == 1
    assert threaded.chart == (flat.charts[0] if flat.charts else None)
    assert threaded.parent.charts == () and dict(threaded.replies)["sources"].charts == ()
    expected = ("topic", "chart", "sources") if flat.charts else ("topic", "sources")
    assert threaded.part_names() == expected


def test_the_threaded_form_is_built_once_per_data_version_too(datasets, holders):
    assert thread(datasets, holders)[0] is thread(datasets, holders)[0]
