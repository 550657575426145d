"""`bot.storage.alerts`: alerts per workspace and channel, compare-and-set state changes, and one
ledger claim per alert and observation — on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from bot.storage import connect
from bot.storage.records import DeliveryStatus, StoreError, Workspace

A, B = Workspace("T0000AAAA1"), Workspace("T0000BBBB2", "E0000GRID2")
MAY = datetime(2026, 5, 1, tzinfo=timezone.utc)


def add(storage, workspace=A, channel="C0000GEN01", threshold=600.0, **kw):
    values = dict(workspace=workspace, channel_id=channel, created_by="U1", series="holdings:china",
                  direction="below", threshold=threshold, margin=6.0, state="armed", since="2026-04", limit=10)
    return storage.alerts.add(**{**values, **kw})


def test_alerts_are_per_workspace_and_channel(storage):
    ours, theirs = add(storage), add(storage, workspace=B)
    add(storage, channel="C0000OTHER")
    assert [a.id for a in storage.alerts.in_channel(A, "C0000GEN01")] == [ours.id]
    assert [(a.id, a.enterprise_id) for a in storage.alerts.in_channel(B, "C0000GEN01")] == [(theirs.id, "E0000GRID2")]
    assert storage.alerts.remove(ours) and not storage.alerts.remove(ours)
    assert storage.alerts.in_channel(A, "C0000GEN01") == []
    assert storage.alerts.get(ours.id).state == "removed"  # kept, marked
    assert {a.id for a in storage.alerts.live()} == {theirs.id, theirs.id + 1}


def test_the_same_alert_twice_and_more_than_the_limit_are_refused(storage):
    add(storage)
    with pytest.raises(StoreError, match="already"):
        add(storage)
    add(storage, threshold=500.0, limit=2)
    with pytest.raises(StoreError, match="2 alerts already"):
        add(storage, threshold=400.0, limit=2)


def test_the_same_alert_set_at_once_from_eight_threads_is_stored_once(db_url, clock):
    """Concurrent `/reset alert`s raced past the application's check; the database refuses twins."""
    stores = [connect(db_url, now=clock) for _ in range(8)]
    try:
        def attempt(store):
            try:
                return add(store).id
            except StoreError as exc:
                assert "already" in str(exc)
                return None

        with ThreadPoolExecutor(max_workers=8) as pool:
            made = [i for i in pool.map(attempt, stores) if i is not None]
        assert len(made) == 1 and len(stores[0].alerts.in_channel(A, "C0000GEN01")) == 1
    finally:
        for store in stores:
            store.dispose()


def test_twelve_different_alerts_at_once_fill_a_channel_to_its_limit_and_no_further(db_url, clock):
    """Each alert differs, so no index refuses them: only the channel's limit does, however they race."""
    stores = [connect(db_url, now=clock) for _ in range(12)]
    try:
        def attempt(n):
            try:
                return add(stores[n], threshold=500.0 + n, limit=10).id
            except StoreError as exc:
                assert "10 alerts already" in str(exc)
                return None

        with ThreadPoolExecutor(max_workers=12) as pool:
            made = [i for i in pool.map(attempt, range(12)) if i is not None]
        assert len(made) == 10 and len(stores[0].alerts.in_channel(A, "C0000GEN01")) == 10
    finally:
        for store in stores:
            store.dispose()


def test_a_state_change_applies_only_to_the_state_it_was_read_in(storage):
    alert = add(storage)
    assert storage.alerts.transition(alert, state="fired", since="2026-05", fired=("2026-05", 598.0, "v1", "1.2"))
    assert not storage.alerts.transition(alert, state="armed", since="2026-06")  # read before the change
    fired = storage.alerts.get(alert.id)
    assert (fired.state, fired.since, fired.fired_value, fired.fired_ts) == ("fired", "2026-05", 598.0, "1.2")
    storage.alerts.remove(fired)
    assert not storage.alerts.transition(fired, state="armed", since="2026-06")  # removed stays removed


def test_one_claim_per_alert_and_observation_whoever_asks(db_url, storage, clock):
    alert = add(storage)
    others = [connect(db_url, now=clock) for _ in range(4)]
    try:
        with ThreadPoolExecutor(4) as pool:
            claims = list(pool.map(lambda s: s.alerts.claim_firing(alert, MAY, owner=f"p{id(s)}",
                                                                   claim_timeout=timedelta(minutes=10),
                                                                   retry_failed=3), others))
    finally:
        for other in others:
            other.dispose()
    won = [c for c in claims if c is not None]
    assert len(won) == 1 and won[0].kind == "alert" and won[0].subscription_id is None
    assert storage.alerts.firing(alert.id, MAY).status == DeliveryStatus.CLAIMED
    # another observation is another firing; another alert's claim on May is its own
    assert storage.alerts.claim_firing(alert, MAY + timedelta(days=31), owner="x", claim_timeout=timedelta(minutes=10),
                                       retry_failed=3) is not None
    second = add(storage, threshold=650.0)
    assert storage.alerts.claim_firing(second, MAY, owner="x", claim_timeout=timedelta(minutes=10),
                                       retry_failed=3) is not None


def test_a_stale_claim_is_taken_over_and_a_failed_one_retried_through_the_ledger(storage, clock):
    alert = add(storage)
    claim = storage.alerts.claim_firing(alert, MAY, owner="dead", claim_timeout=timedelta(minutes=10), retry_failed=3)
    assert storage.alerts.claim_firing(alert, MAY, owner="b", claim_timeout=timedelta(minutes=10),
                                       retry_failed=3) is None
    clock.advance(timedelta(minutes=11))
    taken = storage.alerts.claim_firing(alert, MAY, owner="b", claim_timeout=timedelta(minutes=10), retry_failed=3)
    assert taken.taken_over and taken.attempts == 2 and taken.id == claim.id
    assert not storage.ledger.finish(claim, DeliveryStatus.SENT, ts="1.1")  # the dead owner's claim is no longer its
    assert storage.ledger.finish(taken, DeliveryStatus.FAILED, error="invalid_blocks")
    again = storage.alerts.claim_firing(alert, MAY, owner="c", claim_timeout=timedelta(minutes=10), retry_failed=3)
    assert again.attempts == 3 and not again.taken_over
    storage.ledger.finish(again, DeliveryStatus.FAILED, error="invalid_blocks")
    assert storage.alerts.claim_firing(alert, MAY, owner="c", claim_timeout=timedelta(minutes=10),
                                       retry_failed=3) is None  # out of attempts
    assert [r.attempts for r in storage.alerts.firings(alert.id)] == [3]


def test_a_workspace_that_leaves_takes_its_alerts_with_it(storage):
    add(storage)
    theirs = add(storage, workspace=B)
    assert storage.alerts.remove_workspace(A, "the app was uninstalled") == 1
    assert storage.alerts.remove_workspace(A, "the app was uninstalled") == 0
    assert [a.id for a in storage.alerts.live()] == [theirs.id]
