"""The ledger: one claim per slot, takeover of dead claims, every outcome kept; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from bot.storage.records import TRANSIENT, DeliveryStatus, Finished, Workspace
from tests.bot.storage.support import SLOT, TEAM, TIMEOUT, claim, statements, subscribe


def test_only_one_claim_wins_a_slot(storage):
    sub = subscribe(storage)
    first = claim(storage, sub, "a")
    assert first is not None and first.status == "claimed"
    assert claim(storage, sub, "b") is None
    assert storage.ledger.finish(first, "sent", ts="1.0")
    assert claim(storage, sub, "c") is None  # a sent slot is never claimed again


def test_concurrent_claims_from_many_threads_have_exactly_one_winner(storage):
    sub = subscribe(storage)
    winners = []
    barrier = threading.Barrier(8)

    def contend(name):
        barrier.wait()
        if claim(storage, sub, name) is not None:
            winners.append(name)

    threads = [threading.Thread(target=contend, args=(f"p{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1


def test_a_dead_owners_claim_is_taken_over_after_the_timeout(storage, clock):
    sub = subscribe(storage)
    dead = claim(storage, sub, "dead")
    assert claim(storage, sub, "alive") is None
    clock.now += TIMEOUT + timedelta(seconds=1)
    taken = claim(storage, sub, "alive")
    assert taken is not None and taken.taken_over and taken.attempts == 2
    assert not storage.ledger.finish(dead, "sent", ts="9.9")  # the dead owner can no longer record
    assert storage.ledger.finish(taken, "sent", ts="1.0")
    assert [d.status for d in storage.ledger.rows(sub.id)] == ["sent"]


def test_failed_deliveries_are_retried_a_bounded_number_of_times(storage):
    sub = subscribe(storage)
    for attempt in range(1, 4):
        d = claim(storage, sub, f"p{attempt}", retry_failed=3)
        assert d is not None and d.attempts == attempt
        storage.ledger.finish(d, "failed", error="internal_error")
    assert claim(storage, sub, "p4", retry_failed=3) is None
    assert storage.ledger.rows(sub.id)[0].error == "internal_error"


def test_missed_slots_are_recorded_once(storage):
    sub = subscribe(storage)
    assert storage.ledger.record(subscription_id=sub.id, channel_id=sub.channel_id, slot_utc=SLOT, status="missed",
                        owner="a", error="down")
    assert not storage.ledger.record(subscription_id=sub.id, channel_id=sub.channel_id, slot_utc=SLOT, status="missed",
                            owner="b", error="down")
    assert claim(storage, sub) is None  # a missed slot is not delivered later


def send_now(storage, owner, workspace=TEAM, channel="C0000GEN01"):
    return storage.ledger.claim(subscription_id=None, channel_id=channel, slot_utc=SLOT, kind="now", owner=owner,
                                claim_timeout=TIMEOUT, workspace=workspace)


def test_two_send_nows_in_one_second_post_once(storage):
    first = send_now(storage, "a")
    second = send_now(storage, "b")
    assert first is not None and second is None


def test_a_send_now_is_once_a_second_per_workspace_and_carries_its_workspace(storage):
    """Two workspaces may each have a channel with this id: each gets its own send-now."""
    mine = send_now(storage, "a", Workspace("T1", "E1"))
    theirs = send_now(storage, "b", Workspace("T2"))
    assert mine is not None and theirs is not None
    assert (mine.workspace, theirs.workspace) == (Workspace("T1", "E1"), Workspace("T2"))


def test_a_send_now_must_name_its_workspace(storage):
    with pytest.raises(ValueError, match="must name its workspace"):
        storage.ledger.claim(subscription_id=None, channel_id="C0000GEN01", slot_utc=SLOT, kind="now", owner="a",
                             claim_timeout=TIMEOUT)


def test_scheduled_rows_carry_their_subscriptions_workspace_however_they_are_made(storage):
    sub = subscribe(storage, team_id="T2", enterprise_id="E2")
    other = subscribe(storage, channel="C0000TWO02", team_id="T2", enterprise_id="E2")
    third = subscribe(storage, channel="C0000THR03", team_id="T2", enterprise_id="E2")
    claim(storage, sub)  # one at a time, the workspace read from the subscription
    storage.ledger.claim_slots([other], SLOT, owner="me")  # a fan-out's chunk
    storage.ledger.record(subscription_id=third.id, channel_id=third.channel_id, slot_utc=SLOT, status="missed",
                          owner="b", error="down")
    assert {(row.team_id, row.enterprise_id) for row in storage.ledger.rows()} == {("T2", "E2")}
    assert len(storage.ledger.rows(workspace=Workspace("T2"))) == 3 and storage.ledger.rows(workspace=TEAM) == []


def test_what_a_channel_was_last_sent_is_per_workspace(storage, clock):
    """Workspaces A and B each subscribe a channel with the same id: neither's numbers are the other's base."""
    a = subscribe(storage, team_id="T1")
    b = subscribe(storage, team_id="T2")
    assert storage.ledger.finish(claim(storage, a), "sent", ts="1.0", headline={"team": "A"})
    assert storage.ledger.last_sent(Workspace("T2"), b.channel_id) is None
    clock.now += timedelta(minutes=1)
    assert storage.ledger.finish(claim(storage, b), "sent", ts="2.0", headline={"team": "B"})
    assert storage.ledger.last_sent(TEAM, a.channel_id).headline == {"team": "A"}
    found = storage.ledger.last_sent_many([a.id, b.id])
    assert {key: d.headline for key, d in found.items()} == {("T1", a.channel_id): {"team": "A"},
                                                            ("T2", b.channel_id): {"team": "B"}}


def test_a_claim_renewed_before_posting_is_not_taken_over(storage, clock):
    sub = subscribe(storage)
    mine = claim(storage, sub, "slow")
    clock.now += TIMEOUT - timedelta(seconds=5)
    assert storage.ledger.still_mine(mine)  # renewed just before the post
    clock.now += timedelta(seconds=10)
    assert claim(storage, sub, "other") is None


def test_a_schedule_is_claimed_in_one_statement_leaving_out_slots_that_have_a_row(storage):
    a, b, c = (subscribe(storage, channel) for channel in ("C0000AAAA1", "C0000BBBB2", "C0000CCCC3"))
    assert claim(storage, b, "other-replica") is not None  # b was claimed elsewhere first
    with statements(storage) as sql:
        won = storage.ledger.claim_slots([a, b, c], SLOT, owner="me")
    assert len([s for s in sql if s.lstrip().upper().startswith("INSERT")]) == 1
    assert set(won) == {a.id, c.id}
    assert all((d.status, d.owner, d.attempts, d.slot_utc, d.taken_over) == ("claimed", "me", 1, SLOT, False)
               for d in won.values())
    assert storage.ledger.claim_slots([a, b, c], SLOT, owner="third") == {}  # every slot has its row now
    assert claim(storage, a, "late") is None  # and the one-by-one path agrees
    assert {(d.subscription_id, d.owner) for d in storage.ledger.rows()} == {(a.id, "me"), (b.id, "other-replica"),
                                                                      (c.id, "me")}


def test_a_released_claim_is_retried_without_using_up_an_attempt(storage):
    sub = subscribe(storage)
    mine = claim(storage, sub, "stopping")
    assert storage.ledger.release([mine], "not posted: the bot was stopping") == 1
    [row] = storage.ledger.rows()
    assert (row.status, row.attempts, row.error) == ("failed", 0, "not posted: the bot was stopping")
    again = claim(storage, sub, "next", retry_failed=3)
    assert again is not None and (again.attempts, again.taken_over) == (1, False)  # never posted: no history check
    assert storage.ledger.release([mine], "too late") == 0  # it is no longer that process's claim


def test_the_last_briefing_of_many_channels_comes_from_one_query(storage, clock):
    subs = [subscribe(storage, f"C00000{n:04d}") for n in range(3)]
    for week in range(3):
        for sub in subs[:2]:  # the third channel has never had a briefing
            delivery = claim(storage, sub, "a", slot=SLOT + timedelta(weeks=week))
            clock.now += timedelta(minutes=1)
            assert storage.ledger.finish(delivery, "sent", ts=f"{week}.0", headline={"week": week})
    with statements(storage) as sql:
        found = storage.ledger.last_sent_many([s.id for s in subs])
    assert len(sql) == 1
    assert set(found) == {("T1", subs[0].channel_id), ("T1", subs[1].channel_id)}
    for sub in subs[:2]:
        assert found[("T1", sub.channel_id)] == storage.ledger.last_sent(TEAM, sub.channel_id)
        assert found[("T1", sub.channel_id)].headline == {"week": 2}


def test_a_claim_is_only_good_for_its_own_attempt_and_a_live_subscription(storage, clock):
    sub = subscribe(storage)
    first = claim(storage, sub, "me")
    assert storage.ledger.still_mine(first, renew=False) and storage.ledger.still_mine(first)
    clock.now += TIMEOUT + timedelta(seconds=1)
    again = claim(storage, sub, "me")  # the same process's sync took its own stale claim over
    assert again is not None and again.attempts == 2
    assert not storage.ledger.still_mine(first, renew=False) and not storage.ledger.still_mine(first)
    assert not storage.ledger.finish(first, "sent", ts="1.0")  # the older attempt cannot record either
    storage.subscriptions.set_state(sub.id, "removed", reason="unsubscribed")
    assert not storage.ledger.still_mine(again, renew=False)  # unsubscribed meanwhile: not worth posting
    assert storage.ledger.finish(again, "skipped", error="unsubscribed before it was posted")


def test_claims_given_back_in_one_statement_are_only_this_processs_open_ones(storage):
    subs = [subscribe(storage, f"C00000{n:04d}") for n in range(3)]
    won = storage.ledger.claim_slots(subs, SLOT, owner="me")
    assert storage.ledger.finish(won[subs[0].id], "sent", ts="1.0")  # posted before the stop
    with statements(storage) as sql:
        assert storage.ledger.release(list(won.values()), "stopping") == 2
    assert len([s for s in sql if s.lstrip().upper().startswith("UPDATE")]) == 1
    assert sorted((d.status, d.attempts) for d in storage.ledger.rows()) == [("failed", 0), ("failed", 0), ("sent", 1)]


def test_a_batch_of_outcomes_is_recorded_in_one_statement_except_claims_taken_over(storage, clock):
    subs = [subscribe(storage, f"C00000{n:04d}") for n in range(3)]
    won = storage.ledger.claim_slots(subs, SLOT, owner="me")
    clock.now += TIMEOUT + timedelta(seconds=1)
    assert claim(storage, subs[1], "other") is not None  # one was taken over while its outcome waited
    batch = [(won[s.id], Finished(DeliveryStatus.SENT, ts=f"{n}.0", data_version="v1", headline={"n": n}))
             for n, s in enumerate(subs)]
    with statements(storage) as sql:
        lost = storage.ledger.finish_many(batch)
    assert [d.subscription_id for d in lost] == [subs[1].id]
    assert len([s for s in sql if s.lstrip().upper().startswith("UPDATE")]) == 1  # one executemany
    by_sub = {d.subscription_id: d for d in storage.ledger.rows()}
    first = by_sub[subs[0].id]
    assert (first.status, first.message_ts, first.headline) == ("sent", "0.0", {"n": 0})
    assert (by_sub[subs[1].id].status, by_sub[subs[1].id].owner) == ("claimed", "other")
    assert by_sub[subs[2].id].message_ts == "2.0"


def test_transient_failures_stay_retryable_past_the_attempt_limit(storage, clock):
    sub = subscribe(storage)
    for attempt in range(1, 6):
        d = claim(storage, sub, f"p{attempt}", retry_failed=3)
        assert d is not None and d.attempts == attempt
        storage.ledger.finish(d, "failed", error=TRANSIENT + "service_unavailable (HTTP 503)")
    assert storage.ledger.rows(sub.id)[0].finished_at == clock.now


def test_recorded_outcomes_are_counted_for_metrics_on_time_late_retrying_and_missed(storage, clock):
    from prometheus_client import REGISTRY

    def count(outcome):
        return REGISTRY.get_sample_value("reset_bot_deliveries_total", {"kind": "briefing", "outcome": outcome}) or 0

    before = {o: count(o) for o in ("sent", "late", "retrying", "failed", "missed")}
    on_time, later, flaky, broken = (subscribe(storage, channel=f"C{i}") for i in range(4))
    storage.ledger.finish(claim(storage, on_time), DeliveryStatus.SENT, ts="1.1")
    storage.ledger.finish(claim(storage, flaky), DeliveryStatus.FAILED, error=TRANSIENT + "timeout")
    storage.ledger.finish(claim(storage, broken), DeliveryStatus.FAILED, error="invalid_blocks")
    late_claim = claim(storage, later)
    clock.advance(timedelta(minutes=20))
    storage.ledger.finish(late_claim, DeliveryStatus.SENT, ts="1.2")
    storage.ledger.record(subscription_id=on_time.id, channel_id=on_time.channel_id, slot_utc=SLOT + timedelta(days=7),
                          status=DeliveryStatus.MISSED, owner="a", error="down")
    assert {o: count(o) - before[o] for o in before} == {"sent": 1, "late": 1, "retrying": 1, "failed": 1,
                                                          "missed": 1}
# ---- issue 14: a threaded briefing is one row for the whole unit -------------------------------
def test_a_threaded_parent_is_recorded_at_once_and_kept_through_a_failure_and_a_takeover(storage, clock):
    sub = subscribe(storage, form="threaded")
    first = claim(storage, sub, owner="a")
    assert storage.ledger.record_parent(first, "1.000100")
    [row] = storage.ledger.rows()
    assert (row.status, row.form, row.message_ts) == ("claimed", "threaded", "1.000100")
    assert storage.ledger.record_parts(first, {"topic": "1.000200"})
    # a reply failed: the outcome has no ts and no parts, and keeps the ones recorded
    storage.ledger.finish(first, DeliveryStatus.FAILED, error=TRANSIENT + "internal_error")
    [row] = storage.ledger.rows()
    assert (row.status, row.message_ts, row.parts) == ("failed", "1.000100", {"topic": "1.000200"})
    retry = claim(storage, sub, owner="b", retry_failed=3)
    assert (retry.form, retry.message_ts, retry.parts) == ("threaded", "1.000100", {"topic": "1.000200"})
    assert not storage.ledger.record_parent(first, "9.9")  # the old attempt's claim is no longer good
    storage.ledger.finish(retry, DeliveryStatus.SENT, ts="1.000100",
                          parts={"topic": "1.000200", "chart": "F1", "sources": "1.000400"})
    [row] = storage.ledger.rows()
    assert (row.status, row.attempts, sorted(row.parts)) == ("sent", 2, ["chart", "sources", "topic"])


def test_a_flat_row_has_no_form_and_no_parts(storage):
    sub = subscribe(storage)
    assert sub.form == "flat"
    flat = claim(storage, sub)
    storage.ledger.finish(flat, DeliveryStatus.SENT, ts="2.000100")
    [row] = storage.ledger.rows()
    assert (row.form, row.parts, row.message_ts) == (None, None, "2.000100")
