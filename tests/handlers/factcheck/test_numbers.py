"""Numbers with units as posts write them, and the numbers that must never be read."""

from __future__ import annotations

import pytest

from handlers.factcheck.numbers import amounts, basis_points, mask_ignored, number_value, ratios, shares, word_value


@pytest.mark.parametrize(("text", "usd_bn", "currency"), [
    ("$28 trillion", 28_000, "USD"), ("$8T", 8_000, "USD"), ("2 trillion dollars", 2_000, "USD"),
    ("€1.5tn", 1_500, "EUR"), ("28,000 billion", 28_000, "USD"), ("twenty-eight trillion", 28_000, "USD"),
    ("US$ 760bn", 760, "USD"), ("£900 billion", 900, "GBP"), ("a trillion dollars", 1_000, "USD"),
    ("650 billion euros", 650, "EUR"), ("$41.3T", 41_300, "USD"), ("1.2 trillion", 1_200, "USD"),
])
def test_amounts(text, usd_bn, currency):
    [reading] = amounts(text.lower())
    assert (reading.value, reading.currency) == (pytest.approx(usd_bn), currency)


@pytest.mark.parametrize("text", ["$500", "28,000", "3M earnings", "5G rollout", "8t", "room 4B", "a million"])
def test_numbers_without_a_scale_or_with_a_bare_letter_are_not_amounts(text):
    assert amounts(text.lower()) == []


def test_shares_and_fractions():
    assert [r.value for r in shares("80% · eighty percent · 55.5 per cent · a quarter of · nine tenths of")] == \
        [80.0, 80.0, 55.5, 25.0, 90.0]
    assert [r.value for r in shares("the size of the entire us economy")] == [100.0]
    assert shares("a quarter past nine") == []  # a fraction needs "of"


def test_yield_moves_and_ratios():
    assert [r.value for r in basis_points("25bp, 1 percentage point, 2pp, fifty basis points")] == \
        [25.0, 100.0, 200.0, 50.0]
    assert [r.value for r in ratios("twice · double · 3x · two times")] == [2.0, 2.0, 3.0, 2.0]


@pytest.mark.parametrize("noise", ["22/01/2026", "2026-01-22", "14:30", "9am", "+1 (555) 010-2299", "555-010-2299",
                                   "020 7946 0958", "Jan 22, 2026", "22 January 2026", "24/7", "2026", "the 1990s",
                                   "Q3", "issue #14"])
def test_dates_times_phones_and_years_are_blanked(noise):
    masked = mask_ignored(noise.lower())
    assert len(masked) == len(noise)
    assert not any(ch.isdigit() for ch in masked)


def test_a_year_next_to_a_scale_is_an_amount_not_a_year():
    assert [r.value for r in amounts(mask_ignored("$2026 billion"))] == [2026.0]


def test_word_numbers():
    assert (word_value("ninety nine"), word_value("two hundred"), number_value("1,250.5")) == (99.0, 200.0, 1250.5)
    assert word_value("many") is None
