"""What a delivery attempt answers (bot/briefings/outcomes.py): plain strings that match the ledger's words."""

from __future__ import annotations

import logging

import pytest

from bot.briefings.outcomes import DeliveryResult, failed
from bot.storage.records import DeliveryStatus


@pytest.mark.parametrize("word", ["sent", "missed", "skipped"])
def test_an_outcome_the_ledger_also_stores_is_the_same_string_there(word):
    assert DeliveryResult(word) == DeliveryStatus(word) == word


def test_every_result_compares_logs_and_formats_as_its_plain_string(caplog):
    log = logging.getLogger("test.outcomes")
    for result in DeliveryResult:
        assert result == result.value
        assert str(result) == f"{result}" == result.value
        with caplog.at_level(logging.INFO, logger="test.outcomes"):
            log.info("%s", result)
        assert caplog.records[-1].getMessage() == result.value


def test_no_two_results_share_a_string():
    values = [result.value for result in DeliveryResult]
    assert len(values) == len(set(values))


def test_the_results_the_fan_out_counts_are_the_documented_words():
    assert {r.value for r in DeliveryResult} == {
        "sent", "already", "removed", "missed", "recovered", "released", "lost", "skipped", "error", "stopping",
        "failed:transient", "failed:unconfirmed"}


def test_a_refused_post_carries_slacks_error_code():
    assert failed("not_in_channel") == "failed:not_in_channel"
    assert failed("is_archived") == "failed:is_archived"


def test_the_two_failures_of_our_own_are_what_failed_makes_of_their_codes():
    assert failed("transient") == DeliveryResult.FAILED_TRANSIENT
    assert failed("unconfirmed") == DeliveryResult.FAILED_UNCONFIRMED


def test_every_failure_starts_with_the_same_prefix_so_logs_can_group_them():
    failures = [r for r in DeliveryResult if r.startswith("failed:")]
    assert failures == [DeliveryResult.FAILED_TRANSIENT, DeliveryResult.FAILED_UNCONFIRMED]
    assert failed("channel_not_found").startswith("failed:")
