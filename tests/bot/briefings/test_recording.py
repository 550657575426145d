"""The batch recorder (bot/briefings/recording.py): a fan-out's outcomes reach the ledger N at a
time in one call each; a write that fails leaves the claims open for recovery and never stops the fan-out."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest

from bot.briefings.recording import RECORD_BATCH, Recorder
from bot.storage import connect
from bot.storage.records import DeliveryStatus, Finished
from tests.bot.briefings.support import sizes_of_calls
from tests.bot.storage.support import SLOT, claim, subscribe

SENT = Finished(DeliveryStatus.SENT, ts="1700000000.000100", data_version="v1")


class FakeLedger:
    """Stands in for `Ledger.finish_many`: keeps each batch it is given and answers `lost` for it."""

    def __init__(self, *, fails: bool = False, lost=()) -> None:
        self.batches: list[list] = []
        self.fails, self.lost = fails, list(lost)
        self._lock = threading.Lock()

    def finish_many(self, outcomes):
        with self._lock:
            self.batches.append(list(outcomes))
        if self.fails:
            raise ConnectionError("the database went away")
        return [claim_ for claim_, _ in outcomes if claim_ in self.lost]


def claims(n: int) -> list[str]:
    """Stand-in claims for the fake ledger (the recorder only passes them through)."""
    return [f"claim-{i}" for i in range(n)]


class TestBatching:
    def test_nothing_is_written_until_a_batch_is_full(self):
        ledger = FakeLedger()
        recorder = Recorder(ledger, batch=3)
        recorder.add("claim-0", SENT)
        recorder.add("claim-1", SENT)
        assert ledger.batches == []

    def test_the_outcome_that_fills_a_batch_writes_it_in_one_call_before_add_returns(self):
        ledger = FakeLedger()
        recorder = Recorder(ledger, batch=3)
        for c in claims(3):
            recorder.add(c, SENT)
        assert ledger.batches == [[(c, SENT) for c in claims(3)]]

    def test_every_n_outcomes_make_one_write_in_the_order_they_came(self):
        ledger = FakeLedger()
        recorder = Recorder(ledger, batch=4)
        for c in claims(10):
            recorder.add(c, SENT)
        assert [len(b) for b in ledger.batches] == [4, 4]
        assert [c for batch in ledger.batches for c, _ in batch] == claims(8)

    def test_flush_writes_the_rest_once(self):
        ledger = FakeLedger()
        recorder = Recorder(ledger, batch=4)
        for c in claims(6):
            recorder.add(c, SENT)
        recorder.flush()
        recorder.flush()
        assert [len(b) for b in ledger.batches] == [4, 2]

    def test_flush_with_nothing_queued_writes_nothing(self):
        ledger = FakeLedger()
        Recorder(ledger).flush()
        assert ledger.batches == []

    def test_the_default_batch_is_record_batch(self):
        ledger = FakeLedger()
        recorder = Recorder(ledger)
        for c in claims(RECORD_BATCH - 1):
            recorder.add(c, SENT)
        assert ledger.batches == []
        recorder.add("last", SENT)
        assert [len(b) for b in ledger.batches] == [RECORD_BATCH]

    def test_workers_adding_at_once_get_every_outcome_written_exactly_once(self):
        ledger = FakeLedger()
        recorder = Recorder(ledger, batch=7)
        start = threading.Barrier(8)

        def worker(n: int) -> None:
            start.wait()
            for i in range(50):
                recorder.add(f"w{n}-{i}", SENT)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        recorder.flush()
        written = [c for batch in ledger.batches for c, _ in batch]
        assert sorted(written) == sorted(f"w{n}-{i}" for n in range(8) for i in range(50))
        assert all(len(batch) == 7 for batch in ledger.batches[:-1]) and len(ledger.batches[-1]) <= 7


class TestFailures:
    def test_a_failed_write_is_logged_not_raised(self, caplog):
        recorder = Recorder(FakeLedger(fails=True), batch=2)
        with caplog.at_level(logging.ERROR, logger="reset_bot.briefings"):
            recorder.add("claim-0", SENT)
            recorder.add("claim-1", SENT)  # fills the batch: the write fails inside add
            recorder.flush()
        [record] = [r for r in caplog.records if r.name == "reset_bot.briefings"]
        assert "could not record 2 sent briefings" in record.getMessage()
        assert "recovered" in record.getMessage() and record.exc_info is not None

    def test_after_a_failed_write_the_next_batches_are_still_written(self):
        ledger = FakeLedger(fails=True)
        recorder = Recorder(ledger, batch=2)
        for c in claims(2):
            recorder.add(c, SENT)
        ledger.fails = False
        for c in claims(3)[2:]:
            recorder.add(c, SENT)
        recorder.flush()
        assert [[c for c, _ in b] for b in ledger.batches] == [["claim-0", "claim-1"], ["claim-2"]]

    def test_a_failed_batch_is_not_written_again_by_flush(self):
        ledger = FakeLedger(fails=True)
        recorder = Recorder(ledger, batch=2)
        for c in claims(2):
            recorder.add(c, SENT)
        recorder.flush()
        assert len(ledger.batches) == 1  # its claims are left to recovery, not retried here

    def test_outcomes_no_longer_ours_are_reported_one_by_one(self, caplog):
        class Claim:
            def __init__(self, id_):
                self.id = id_

        mine, lost = Claim(11), Claim(12)
        recorder = Recorder(FakeLedger(lost=[lost]), batch=2)
        with caplog.at_level(logging.WARNING, logger="reset_bot.briefings"):
            recorder.add(mine, SENT)
            recorder.add(lost, SENT)
        messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert messages == ["delivery 12 finished after its claim was taken over"]


class TestWithTheLedger:
    """The same promises against the real ledger, on SQLite and PostgreSQL."""

    @pytest.fixture
    def storage(self, db_url, clock):
        clock.now = SLOT
        s = connect(db_url, now=clock)
        yield s
        s.dispose()

    def test_a_batch_records_every_claim_in_one_call(self, storage):
        subs = [subscribe(storage, f"C0000REC{n:02d}") for n in range(5)]
        won = [claim(storage, sub) for sub in subs]
        sizes = sizes_of_calls(storage.ledger, "finish_many")
        recorder = Recorder(storage.ledger, batch=3)
        for n, c in enumerate(won):
            recorder.add(c, Finished(DeliveryStatus.SENT, ts=f"1700000000.00010{n}"))
        recorder.flush()
        assert sizes == [3, 2]
        rows = {row.id: row for row in storage.ledger.rows()}
        assert all(rows[c.id].status == "sent" for c in won)
        assert [rows[c.id].message_ts for c in won] == [f"1700000000.00010{n}" for n in range(5)]

    def test_a_claim_taken_over_meanwhile_is_reported_and_keeps_its_new_owner(self, storage, clock, caplog):
        first, second = subscribe(storage, "C0000REC01"), subscribe(storage, "C0000REC02")
        mine, stale = claim(storage, first, "a"), claim(storage, second, "a")
        clock.advance(timedelta(minutes=10))
        assert claim(storage, second, "b") is not None  # "a" looked dead: "b" took the slot over
        recorder = Recorder(storage.ledger, batch=2)
        with caplog.at_level(logging.WARNING, logger="reset_bot.briefings"):
            recorder.add(mine, SENT)
            recorder.add(stale, SENT)
        assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
            f"delivery {stale.id} finished after its claim was taken over"]
        rows = {row.id: row for row in storage.ledger.rows()}
        assert rows[mine.id].status == "sent"
        assert (rows[stale.id].status, rows[stale.id].owner) == ("claimed", "b")

    def test_outcomes_still_queued_leave_their_claims_open(self, storage):
        won = claim(storage, subscribe(storage))
        Recorder(storage.ledger, batch=2).add(won, SENT)  # never flushed: the process "died"
        [row] = storage.ledger.rows()
        assert (row.status, row.owner, row.message_ts) == ("claimed", "a", None)
