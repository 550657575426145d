"""The values the store hands out (bot/storage/records.py): frozen, in UTC, with the ledger's exact words."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from bot.storage.records import (
    TRANSIENT,
    Delivery,
    DeliveryStatus,
    Finished,
    StoreError,
    StoreUnavailable,
    Subscription,
    utc,
)

NAIVE = datetime(2026, 11, 27, 16, 30)
UTC_SLOT = datetime(2026, 11, 27, 16, 30, tzinfo=timezone.utc)


def subscription_row(**kw):
    values = dict(id=1, team_id="T1", channel_id="C0000GEN01", created_by="U1", weekday="fri", at_time="16:30",
                  timezone="Europe/London", state="active", pause_reason=None, created_at=NAIVE,
                  enterprise_id=None, form="flat")
    return SimpleNamespace(**{**values, **kw})


def delivery_row(**kw):
    values = dict(id=7, subscription_id=1, channel_id="C0000GEN01", slot_utc=NAIVE, kind="scheduled", status="sent",
                  owner="replica-a", claimed_at=NAIVE, attempts=1, message_ts="1.000100", error=None,
                  data_version="v1", headline_json=None, finished_at=None, team_id="T1",
                  enterprise_id=None, form=None, parts_json=None)
    return SimpleNamespace(**{**values, **kw})


class TestUtc:
    def test_a_naive_datetime_is_read_as_utc_without_moving_the_clock_face(self):
        assert utc(NAIVE) == UTC_SLOT and utc(NAIVE).tzinfo is timezone.utc

    def test_an_aware_datetime_keeps_its_instant_and_is_shown_in_utc(self):
        berlin = datetime(2026, 11, 27, 17, 30, tzinfo=ZoneInfo("Europe/Berlin"))
        assert utc(berlin) == UTC_SLOT
        assert utc(berlin).utcoffset() == timedelta(0) and utc(berlin).hour == 16

    def test_a_utc_datetime_is_unchanged(self):
        assert utc(UTC_SLOT) == UTC_SLOT


class TestRecordsAreFrozenValues:
    @pytest.mark.parametrize("record", [
        Subscription.from_row(subscription_row()),
        Delivery.from_row(delivery_row()),
        Finished(DeliveryStatus.SENT, ts="1.0"),
    ], ids=["subscription", "delivery", "finished"])
    def test_a_record_cannot_be_changed_after_it_is_handed_out(self, record):
        field = dataclasses.fields(record)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(record, field, None)

    def test_equal_fields_make_equal_records(self):
        assert Finished(DeliveryStatus.FAILED, error="x") == Finished(DeliveryStatus.FAILED, error="x")

    def test_a_finished_outcome_needs_only_its_status(self):
        assert Finished(DeliveryStatus.MISSED) == Finished(DeliveryStatus.MISSED, None, None, None, None)


class TestFromRow:
    def test_a_subscription_row_becomes_a_subscription_with_a_utc_creation_time(self):
        sub = Subscription.from_row(subscription_row())
        assert (sub.channel_id, sub.weekday, sub.at_time, sub.timezone, sub.state) == (
            "C0000GEN01", "fri", "16:30", "Europe/London", "active")
        assert sub.created_at == UTC_SLOT and sub.created_at.tzinfo is not None

    def test_a_ledger_row_becomes_a_delivery_with_its_status_as_the_enum(self):
        delivery = Delivery.from_row(delivery_row())
        assert delivery.status is DeliveryStatus.SENT
        assert delivery.slot_utc == UTC_SLOT and delivery.claimed_at == UTC_SLOT
        assert (delivery.message_ts, delivery.attempts, delivery.owner) == ("1.000100", 1, "replica-a")

    def test_a_row_is_never_one_this_process_took_over(self):
        assert Delivery.from_row(delivery_row()).taken_over is False

    def test_the_headline_is_read_back_from_its_json(self):
        headline = {"gap_usd_tn": 68.9, "as_of": "2026-05-31"}
        assert Delivery.from_row(delivery_row(headline_json=json.dumps(headline))).headline == headline

    def test_no_headline_and_no_finish_time_stay_none(self):
        delivery = Delivery.from_row(delivery_row(headline_json=None, finished_at=None))
        assert delivery.headline is None and delivery.finished_at is None

    def test_a_finish_time_is_utc(self):
        assert Delivery.from_row(delivery_row(finished_at=NAIVE)).finished_at == UTC_SLOT

    def test_a_status_the_ledger_never_writes_is_refused(self):
        with pytest.raises(ValueError):
            Delivery.from_row(delivery_row(status="delivered"))


class TestStatuses:
    def test_the_ledger_stores_exactly_these_strings(self):
        assert [s.value for s in DeliveryStatus] == ["claimed", "sent", "failed", "missed", "skipped"]

    def test_a_status_is_its_string(self):
        assert DeliveryStatus.SENT == "sent" and str(DeliveryStatus.CLAIMED) == "claimed"
        assert DeliveryStatus("failed") is DeliveryStatus.FAILED


class TestErrors:
    def test_an_unavailable_store_is_a_store_error_so_no_caller_confirms_the_operation(self):
        assert issubclass(StoreUnavailable, StoreError)
        with pytest.raises(StoreError):
            raise StoreUnavailable("the database file was deleted")

    def test_a_store_error_is_a_value_error_with_the_users_message(self):
        error = StoreError("This channel already has that briefing.")
        assert isinstance(error, ValueError) and str(error) == "This channel already has that briefing."


def test_a_transient_error_is_recognised_by_its_prefix():
    assert TRANSIENT == "transient: "
    assert f"{TRANSIENT}timeout".startswith(TRANSIENT) and not "not_in_channel".startswith(TRANSIENT)
