"""The ledger: one claim per slot, takeover of dead claims, every outcome kept; on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, event

from bot.storage.store import (
    MAX_PER_CHANNEL,
    SCHEMA_VERSION,
    TRANSIENT,
    Outcome,
    Store,
    StoreError,
    StoreUnavailable,
    _full_sync,
)
from tests.fakes.clock import Clock

SLOT = datetime(2026, 11, 27, 16, 30, tzinfo=timezone.utc)
TIMEOUT = timedelta(minutes=5)



@pytest.fixture
def clock():
    return Clock(datetime(2026, 11, 27, 16, 30, 5, tzinfo=timezone.utc))


@pytest.fixture
def store(db_url, clock):
    s = Store.connect(db_url, now=clock)
    yield s
    s.engine.dispose()


def subscribe(store, channel="C0000GEN01", **kw):
    values = dict(team_id="T1", channel_id=channel, created_by="U1", weekday="fri", at_time="16:30",
                  timezone_name="Europe/London")
    values.update(kw)
    return store.add_subscription(**values)


def claim(store, sub, owner="a", slot=SLOT, **kw):
    return store.claim(subscription_id=sub.id, channel_id=sub.channel_id, slot_utc=slot, kind="scheduled",
                       owner=owner, claim_timeout=TIMEOUT, **kw)


@contextmanager
def statements(store):
    """Collect the SQL statements the store sends while the block runs."""
    seen = []
    listener = lambda conn, cursor, sql, *rest: seen.append(sql)  # noqa: E731
    event.listen(store.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", listener)


def test_migrating_twice_is_harmless_and_versioned(db_url, store):
    assert store.migrate() == SCHEMA_VERSION
    assert Store.connect(db_url).migrate() == SCHEMA_VERSION


def test_only_one_claim_wins_a_slot(store):
    sub = subscribe(store)
    first = claim(store, sub, "a")
    assert first is not None and first.status == "claimed"
    assert claim(store, sub, "b") is None
    assert store.finish(first, "sent", ts="1.0")
    assert claim(store, sub, "c") is None  # a sent slot is never claimed again


def test_concurrent_claims_from_many_threads_have_exactly_one_winner(store):
    sub = subscribe(store)
    winners = []
    barrier = threading.Barrier(8)

    def contend(name):
        barrier.wait()
        if claim(store, sub, name) is not None:
            winners.append(name)

    threads = [threading.Thread(target=contend, args=(f"p{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1


def test_a_dead_owners_claim_is_taken_over_after_the_timeout(store, clock):
    sub = subscribe(store)
    dead = claim(store, sub, "dead")
    assert claim(store, sub, "alive") is None
    clock.now += TIMEOUT + timedelta(seconds=1)
    taken = claim(store, sub, "alive")
    assert taken is not None and taken.taken_over and taken.attempts == 2
    assert not store.finish(dead, "sent", ts="9.9")  # the dead owner can no longer record
    assert store.finish(taken, "sent", ts="1.0")
    assert [d.status for d in store.ledger(sub.id)] == ["sent"]


def test_failed_deliveries_are_retried_a_bounded_number_of_times(store):
    sub = subscribe(store)
    for attempt in range(1, 4):
        d = claim(store, sub, f"p{attempt}", retry_failed=3)
        assert d is not None and d.attempts == attempt
        store.finish(d, "failed", error="internal_error")
    assert claim(store, sub, "p4", retry_failed=3) is None
    assert store.ledger(sub.id)[0].error == "internal_error"


def test_missed_slots_are_recorded_once(store):
    sub = subscribe(store)
    assert store.record(subscription_id=sub.id, channel_id=sub.channel_id, slot_utc=SLOT, status="missed",
                        owner="a", error="down")
    assert not store.record(subscription_id=sub.id, channel_id=sub.channel_id, slot_utc=SLOT, status="missed",
                            owner="b", error="down")
    assert claim(store, sub) is None  # a missed slot is not delivered later


def test_a_channel_has_a_few_subscriptions_at_most_and_no_duplicates(store):
    subscribe(store)
    with pytest.raises(StoreError, match="already gets that briefing"):
        subscribe(store)
    for n in range(1, MAX_PER_CHANNEL):
        subscribe(store, at_time=f"0{n}:00")
    with pytest.raises(StoreError, match="at most"):
        subscribe(store, at_time="23:00")


def test_unsubscribing_keeps_the_history(store):
    sub = subscribe(store)
    d = claim(store, sub)
    store.finish(d, "sent", ts="1.0", headline={"x": 1})
    store.set_state(sub.id, "removed", reason="unsubscribed")
    assert store.channel_subscriptions(sub.channel_id) == []
    assert store.get(sub.id).state == "removed"
    assert store.last_sent(sub.channel_id).headline == {"x": 1}


def test_a_newer_schema_is_refused(db_url, store):
    from sqlalchemy import update

    from bot.storage.store import schema_version

    with store.engine.begin() as conn:
        conn.execute(update(schema_version).values(version=SCHEMA_VERSION + 1))
    with pytest.raises(StoreError, match="newer than this bot"):
        Store.connect(db_url)


def test_concurrent_identical_subscribes_record_one(store):
    results, barrier = [], threading.Barrier(4)

    def add():
        barrier.wait()
        try:
            results.append(subscribe(store).id)
        except StoreError:
            results.append(None)

    threads = [threading.Thread(target=add) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len([r for r in results if r is not None]) == 1
    assert len(store.channel_subscriptions("C0000GEN01")) == 1


def test_concurrent_different_subscribes_respect_the_per_channel_limit(store):
    barrier = threading.Barrier(6)

    def add(n):
        barrier.wait()
        try:
            subscribe(store, at_time=f"1{n}:00")
        except StoreError:
            pass

    threads = [threading.Thread(target=add, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.channel_subscriptions("C0000GEN01")) == MAX_PER_CHANNEL


def test_a_removed_subscription_cannot_be_paused_back_to_life(store):
    sub = subscribe(store)
    store.set_state(sub.id, "removed", reason="unsubscribed")
    assert not store.set_state(sub.id, "paused", reason="not_in_channel")
    assert store.get(sub.id).state == "removed"


def test_two_send_nows_in_one_second_post_once(store):
    first = store.claim(subscription_id=None, channel_id="C0000GEN01", slot_utc=SLOT, kind="now", owner="a",
                        claim_timeout=TIMEOUT)
    second = store.claim(subscription_id=None, channel_id="C0000GEN01", slot_utc=SLOT, kind="now", owner="b",
                         claim_timeout=TIMEOUT)
    assert first is not None and second is None


def test_a_claim_renewed_before_posting_is_not_taken_over(store, clock):
    sub = subscribe(store)
    mine = claim(store, sub, "slow")
    clock.now += TIMEOUT - timedelta(seconds=5)
    assert store.still_mine(mine)  # renewed just before the post
    clock.now += timedelta(seconds=10)
    assert claim(store, sub, "other") is None


def test_hosting_providers_postgres_urls_are_accepted(monkeypatch):
    seen = {}
    monkeypatch.setattr("bot.storage.store.create_engine", lambda url, **kw: seen.setdefault("url", url) and create_engine("sqlite://"))
    monkeypatch.setattr(Store, "migrate", lambda self: SCHEMA_VERSION)
    Store.connect("postgres://u:p@db:5432/reset")
    assert seen["url"] == "postgresql+psycopg://u:p@db:5432/reset"


def test_a_schedule_is_claimed_in_one_statement_leaving_out_slots_that_have_a_row(store):
    a, b, c = (subscribe(store, channel) for channel in ("C0000AAAA1", "C0000BBBB2", "C0000CCCC3"))
    assert claim(store, b, "other-replica") is not None  # b was claimed elsewhere first
    with statements(store) as sql:
        won = store.claim_slots([a, b, c], SLOT, owner="me")
    assert len([s for s in sql if s.lstrip().upper().startswith("INSERT")]) == 1
    assert set(won) == {a.id, c.id}
    assert all((d.status, d.owner, d.attempts, d.slot_utc, d.taken_over) == ("claimed", "me", 1, SLOT, False)
               for d in won.values())
    assert store.claim_slots([a, b, c], SLOT, owner="third") == {}  # every slot has its row now
    assert claim(store, a, "late") is None  # and the one-by-one path agrees
    assert {(d.subscription_id, d.owner) for d in store.ledger()} == {(a.id, "me"), (b.id, "other-replica"),
                                                                      (c.id, "me")}


def test_a_released_claim_is_retried_without_using_up_an_attempt(store):
    sub = subscribe(store)
    mine = claim(store, sub, "stopping")
    assert store.release([mine], "not posted: the bot was stopping") == 1
    [row] = store.ledger()
    assert (row.status, row.attempts, row.error) == ("failed", 0, "not posted: the bot was stopping")
    again = claim(store, sub, "next", retry_failed=3)
    assert again is not None and (again.attempts, again.taken_over) == (1, False)  # never posted: no history check
    assert store.release([mine], "too late") == 0  # it is no longer that process's claim


def test_the_last_briefing_of_many_channels_comes_from_one_query(store, clock):
    subs = [subscribe(store, f"C00000{n:04d}") for n in range(3)]
    for week in range(3):
        for sub in subs[:2]:  # the third channel has never had a briefing
            delivery = claim(store, sub, "a", slot=SLOT + timedelta(weeks=week))
            clock.now += timedelta(minutes=1)
            assert store.finish(delivery, "sent", ts=f"{week}.0", headline={"week": week})
    with statements(store) as sql:
        found = store.last_sent_many([s.id for s in subs])
    assert len(sql) == 1
    assert set(found) == {subs[0].channel_id, subs[1].channel_id}
    for sub in subs[:2]:
        assert found[sub.channel_id] == store.last_sent(sub.channel_id)
        assert found[sub.channel_id].headline == {"week": 2}


def test_one_schedule_lists_only_its_live_subscriptions(store):
    london = subscribe(store, "C0000AAAA1")
    subscribe(store, "C0000BBBB2", timezone_name="Europe/Paris")
    gone = subscribe(store, "C0000CCCC3")
    store.set_state(gone.id, "removed", reason="unsubscribed")
    assert [s.id for s in store.schedule_subscriptions("fri", "16:30", "Europe/London")] == [london.id]


def test_a_sqlite_database_keeps_a_write_ahead_log_and_full_syncs(tmp_path):
    store = Store.connect(f"sqlite:///{tmp_path / 'reset.sqlite3'}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    store.engine.dispose()
    # Every connection is set to FULL, whatever the build's default (here it is FULL already).
    assert event.contains(store.engine, "connect", _full_sync)
    raw = sqlite3.connect(tmp_path / "reset.sqlite3")
    raw.execute("PRAGMA synchronous=OFF")
    _full_sync(raw, None)
    assert raw.execute("PRAGMA synchronous").fetchone() == (2,)  # a commit survives a power cut
    raw.close()


def test_an_old_sqlite_stops_the_bot_with_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr("bot.storage.store.sqlite3.sqlite_version_info", (3, 34, 1))
    monkeypatch.setattr("bot.storage.store.sqlite3.sqlite_version", "3.34.1")
    with pytest.raises(StoreError, match=r"SQLite 3\.35 or newer is needed, and this Python has 3\.34\.1; .*PostgreSQL"):
        Store.connect(f"sqlite:///{tmp_path / 'reset.sqlite3'}")


def test_a_claim_is_only_good_for_its_own_attempt_and_a_live_subscription(store, clock):
    sub = subscribe(store)
    first = claim(store, sub, "me")
    assert store.still_mine(first, renew=False) and store.still_mine(first)
    clock.now += TIMEOUT + timedelta(seconds=1)
    again = claim(store, sub, "me")  # the same process's sync took its own stale claim over
    assert again is not None and again.attempts == 2
    assert not store.still_mine(first, renew=False) and not store.still_mine(first)
    assert not store.finish(first, "sent", ts="1.0")  # the older attempt cannot record either
    store.set_state(sub.id, "removed", reason="unsubscribed")
    assert not store.still_mine(again, renew=False)  # unsubscribed meanwhile: not worth posting
    assert store.finish(again, "skipped", error="unsubscribed before it was posted")


def test_claims_given_back_in_one_statement_are_only_this_processs_open_ones(store):
    subs = [subscribe(store, f"C00000{n:04d}") for n in range(3)]
    won = store.claim_slots(subs, SLOT, owner="me")
    assert store.finish(won[subs[0].id], "sent", ts="1.0")  # posted before the stop
    with statements(store) as sql:
        assert store.release(list(won.values()), "stopping") == 2
    assert len([s for s in sql if s.lstrip().upper().startswith("UPDATE")]) == 1
    assert sorted((d.status, d.attempts) for d in store.ledger()) == [("failed", 0), ("failed", 0), ("sent", 1)]


def test_a_batch_of_outcomes_is_recorded_in_one_statement_except_claims_taken_over(store, clock):
    subs = [subscribe(store, f"C00000{n:04d}") for n in range(3)]
    won = store.claim_slots(subs, SLOT, owner="me")
    clock.now += TIMEOUT + timedelta(seconds=1)
    assert claim(store, subs[1], "other") is not None  # one was taken over while its outcome waited
    batch = [(won[s.id], Outcome("sent", ts=f"{n}.0", data_version="v1", headline={"n": n})) for n, s in enumerate(subs)]
    with statements(store) as sql:
        lost = store.finish_many(batch)
    assert [d.subscription_id for d in lost] == [subs[1].id]
    assert len([s for s in sql if s.lstrip().upper().startswith("UPDATE")]) == 1  # one executemany
    by_sub = {d.subscription_id: d for d in store.ledger()}
    assert (by_sub[subs[0].id].status, by_sub[subs[0].id].message_ts, by_sub[subs[0].id].headline) == ("sent", "0.0", {"n": 0})
    assert (by_sub[subs[1].id].status, by_sub[subs[1].id].owner) == ("claimed", "other")
    assert by_sub[subs[2].id].message_ts == "2.0"


def test_transient_failures_stay_retryable_past_the_attempt_limit(store, clock):
    sub = subscribe(store)
    for attempt in range(1, 6):
        d = claim(store, sub, f"p{attempt}", retry_failed=3)
        assert d is not None and d.attempts == attempt
        store.finish(d, "failed", error=TRANSIENT + "service_unavailable (HTTP 503)")
    assert store.ledger(sub.id)[0].finished_at == clock.now


class TestDurability:
    """A write the database will not have after a restart is never reported as done."""

    def test_a_deleted_sqlite_file_refuses_writes_and_reads_stay_possible(self, tmp_path, clock):
        path = tmp_path / "reset.sqlite3"
        store = Store.connect(f"sqlite:///{path}", now=clock)
        try:
            subscribe(store)
            path.unlink()
            with pytest.raises(StoreUnavailable, match="disappeared"):
                subscribe(store, channel="C0000TWO02")
            with pytest.raises(StoreUnavailable):
                store.check_writable()
        finally:
            store.engine.dispose()
        reopened = Store.connect(f"sqlite:///{path}", now=clock)
        try:
            assert reopened.live_subscriptions() == []  # what the bot would have "confirmed" is gone
        finally:
            reopened.engine.dispose()

    def test_a_replaced_sqlite_file_is_noticed(self, tmp_path, clock):
        path = tmp_path / "reset.sqlite3"
        store = Store.connect(f"sqlite:///{path}", now=clock)
        try:
            path.rename(tmp_path / "old.sqlite3")
            path.write_bytes(b"")
            with pytest.raises(StoreUnavailable, match="replaced"):
                store.check_writable()
        finally:
            store.engine.dispose()

    def test_a_read_only_database_refuses_writes_with_store_unavailable(self, tmp_path, clock):
        """(Root ignores file modes, so read-only is made with SQLite's query_only pragma: the same
        "attempt to write a readonly database" OperationalError.)"""
        store = Store.connect(f"sqlite:///{tmp_path / 'ro.sqlite3'}", now=clock)
        try:
            event.listen(store.engine, "connect", lambda conn, _: conn.execute("PRAGMA query_only=ON"))
            store.engine.dispose()  # new connections are read-only
            with pytest.raises(StoreUnavailable, match="refused a write"):
                subscribe(store)
            with pytest.raises(StoreUnavailable):
                store.check_writable()
            assert store.live_subscriptions() == []  # reads still work
        finally:
            store.engine.dispose()


def test_request_keys_are_recorded_once_and_pruned(store, clock):
    assert store.first_sighting(["sig:a", "event:1"])
    assert not store.first_sighting(["sig:b", "event:1"])  # Slack's retry: new signature, same event
    assert not store.first_sighting(["sig:a"])
    assert store.first_sighting(["sig:b"])  # the refused attempt above recorded nothing
    assert store.prune_sightings(clock.now + timedelta(seconds=1)) == 3
    assert store.first_sighting(["sig:a"])
