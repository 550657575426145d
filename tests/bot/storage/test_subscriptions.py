"""Subscriptions: a few per channel, no duplicates even under concurrent subscribes, history kept."""

from __future__ import annotations

import threading

import pytest

from bot.storage.records import StoreError, Workspace
from bot.storage.subscriptions import MAX_PER_CHANNEL
from tests.bot.storage.support import TEAM, claim, subscribe


def test_a_channel_has_a_few_subscriptions_at_most_and_no_duplicates(storage):
    subscribe(storage)
    with pytest.raises(StoreError, match="already gets that briefing"):
        subscribe(storage)
    for n in range(1, MAX_PER_CHANNEL):
        subscribe(storage, at_time=f"0{n}:00")
    with pytest.raises(StoreError, match="at most"):
        subscribe(storage, at_time="23:00")


def test_unsubscribing_keeps_the_history(storage):
    sub = subscribe(storage)
    d = claim(storage, sub)
    storage.ledger.finish(d, "sent", ts="1.0", headline={"x": 1})
    storage.subscriptions.set_state(sub.id, "removed", reason="unsubscribed")
    assert storage.subscriptions.in_channel(TEAM, sub.channel_id) == []
    assert storage.subscriptions.get(sub.id).state == "removed"
    assert storage.ledger.last_sent(TEAM, sub.channel_id).headline == {"x": 1}


def test_concurrent_identical_subscribes_record_one(storage):
    results, barrier = [], threading.Barrier(4)

    def add():
        barrier.wait()
        try:
            results.append(subscribe(storage).id)
        except StoreError:
            results.append(None)

    threads = [threading.Thread(target=add) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len([r for r in results if r is not None]) == 1
    assert len(storage.subscriptions.in_channel(TEAM, "C0000GEN01")) == 1


def test_concurrent_different_subscribes_respect_the_per_channel_limit(storage):
    barrier = threading.Barrier(6)

    def add(n):
        barrier.wait()
        try:
            subscribe(storage, at_time=f"1{n}:00")
        except StoreError:
            pass

    threads = [threading.Thread(target=add, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(storage.subscriptions.in_channel(TEAM, "C0000GEN01")) == MAX_PER_CHANNEL


def test_a_removed_subscription_cannot_be_paused_back_to_life(storage):
    sub = subscribe(storage)
    storage.subscriptions.set_state(sub.id, "removed", reason="unsubscribed")
    assert not storage.subscriptions.set_state(sub.id, "paused", reason="not_in_channel")
    assert storage.subscriptions.get(sub.id).state == "removed"


def test_one_schedule_lists_only_its_live_subscriptions(storage):
    london = subscribe(storage, "C0000AAAA1")
    subscribe(storage, "C0000BBBB2", timezone_name="Europe/Paris")
    gone = subscribe(storage, "C0000CCCC3")
    storage.subscriptions.set_state(gone.id, "removed", reason="unsubscribed")
    assert [s.id for s in storage.subscriptions.on_schedule("fri", "16:30", "Europe/London")] == [london.id]



def test_a_held_subscription_is_listed_but_not_delivered(storage):
    """App Home's pause ("held"): still the channel's (listed, counted, removable) but on no
    schedule, in no catch-up, and a claim made before the pause is not posted (`still_mine`)."""
    sub = subscribe(storage)
    early = claim(storage, sub)
    assert storage.subscriptions.set_state(sub.id, "held", reason="paused by <@U1> from App Home")
    assert [s.id for s in storage.subscriptions.in_channel(TEAM, sub.channel_id)] == [sub.id]
    assert [s.id for s in storage.subscriptions.created_by(TEAM, "U1")] == [sub.id]
    assert storage.subscriptions.on_schedule("fri", "16:30", "Europe/London") == []
    assert storage.subscriptions.live() == []
    assert not storage.ledger.still_mine(early, renew=False) and not storage.ledger.still_mine(early)
    with pytest.raises(StoreError, match="already gets that briefing"):  # still the channel's briefing
        subscribe(storage)
    assert not storage.subscriptions.set_state(sub.id, "paused", reason="not_in_channel")  # the bot can't resume it
    assert storage.subscriptions.set_state(sub.id, "active", only_from=("held",))
    assert [s.id for s in storage.subscriptions.live()] == [sub.id]


def test_created_by_is_one_users_in_one_workspace(storage):
    mine = subscribe(storage)
    subscribe(storage, "C0000BBBB2", created_by="U2")
    subscribe(storage, "C0000CCCC3", team_id="T2")
    gone = subscribe(storage, "C0000DDDD4")
    storage.subscriptions.set_state(gone.id, "removed", reason="unsubscribed")
    assert [s.id for s in storage.subscriptions.created_by(TEAM, "U1")] == [mine.id]

class TestWorkspaces:
    """Two workspaces can each have a channel with the same id; neither sees or limits the other's."""

    def test_the_same_schedule_in_the_same_channel_id_of_two_workspaces_is_two_subscriptions(self, storage):
        a = subscribe(storage, team_id="T1")
        b = subscribe(storage, team_id="T2", enterprise_id="E2")
        assert a.id != b.id and b.workspace == Workspace("T2", "E2")
        assert storage.subscriptions.in_channel(TEAM, "C0000GEN01") == [a]
        assert storage.subscriptions.in_channel(Workspace("T2", "E2"), "C0000GEN01") == [b]
        assert storage.subscriptions.in_channel(Workspace("T3"), "C0000GEN01") == []

    def test_the_per_channel_limit_counts_one_workspaces_channel(self, storage):
        for n in range(MAX_PER_CHANNEL):
            subscribe(storage, team_id="T1", at_time=f"0{n}:00")
        subscribe(storage, team_id="T2", at_time="00:00")  # another workspace's channel: not full
        with pytest.raises(StoreError, match="at most"):
            subscribe(storage, team_id="T1", at_time="23:00")


def test_a_subscription_keeps_its_briefing_form(storage):
    from tests.bot.storage.support import subscribe as add

    threaded = add(storage, channel="C0000THR01", form="threaded")
    flat = add(storage, channel="C0000FLT01")
    assert (threaded.form, flat.form) == ("threaded", "flat")  # the store's default is the column's: flat
    assert {s.channel_id: s.form for s in storage.subscriptions.live()} == {"C0000THR01": "threaded",
                                                                           "C0000FLT01": "flat"}
