"""`/reset shock`: a sale or strike by one or several holders, with the model's range and the evidence behind it."""

from __future__ import annotations

import json

from tests.handlers.topics.conftest import reply_for, text_of


def test_shock_eu_20_sells_about_400bn_with_the_models_range_and_the_articles_figure(datasets, holders):
    body = text_of(reply_for("shock eu 20%", datasets, holders))
    assert "$408bn" in body  # 20% of the $2,040.5bn TIC lists for EU members, Dec 2025
    assert "+10 bp (range +4 bp to +29 bp)" in body  # lasting; the peak is +24 bp (+12 to +51)
    assert "+24 bp (range +12 bp to +51 bp)" in body
    assert "+102 bp" in body and "10.0×" in body and "above the model's peak range" in body
    assert "→ 6.46%" in body  # mortgage: 6.36% (Freddie Mac via FRED, 14 May 2026) + 10 bp
    assert "Within the evidence" in body


def test_a_shock_of_zero_changes_nothing(datasets, holders):
    reply = reply_for("shock uk 0%", datasets, holders)
    fields = [f["text"] for b in reply.blocks for f in b.get("fields", [])]
    yields = [f for f in fields if "yield" in f or "mortgage" in f]
    assert yields and all("0 bp (range 0 bp to 0 bp)" in f for f in yields)


def test_a_refreshed_market_rate_replaces_the_end_2025_quote(datasets, holders):
    import dataclasses

    import pandas as pd

    rates = pd.DataFrame({"date": ["2026-06-18", "2026-06-26", "2026-06-25"],
                          "series": ["DGS10", "DGS10", "MORTGAGE30US"], "value_pct": [4.47, 4.49, 6.40]})
    source = datasets.source("facts").model_copy(update={"name": "market_rates", "title": "FRED rates"})
    refreshed = dataclasses.replace(datasets, version="with-rates", frames={**datasets.frames, "market_rates": rates},
                                    sources={**datasets.sources, "market_rates": source})
    body = text_of(reply_for("shock eu 20%", refreshed, holders))
    assert "→ 4.59%" in body and "→ 6.50%" in body  # 4.49% + 10 bp, 6.40% + 10 bp


def test_a_scenario_percent_is_rounded_and_the_reply_says_so(datasets, holders):
    reply = reply_for("shock eu 12.34%", datasets, holders)
    text = reply.text + json.dumps(reply.blocks)
    assert "Computed for 12% (you asked for 12.34%)" in text
    assert reply.charts[0].key == reply_for("shock eu 12%", datasets, holders).charts[0].key  # one chart for both


def test_selling_everything_is_called_an_extrapolation(datasets, holders):
    reply = reply_for("shock foreign 100%", datasets, holders)
    body = text_of(reply)
    assert "Outside the evidence" in body and "extrapolation, not a forecast" in body
    assert "Outside the evidence" in reply.text
    assert "extrapolation" in reply.charts[0].alt_text


def test_a_strike_counts_what_is_not_rolled_over(datasets, holders):
    body = text_of(reply_for("shock china 10% pause", datasets, holders))
    assert "bills not rolled over" in body and "maturing and not replaced" in body
    assert "changes nothing" not in body


def test_several_holders_over_months_with_the_fed(datasets, holders):
    body = text_of(reply_for("shock eu 20% japan 10% over 6 months with fed", datasets, holders))
    assert "$408bn" in body and "$121bn" in body and "In all *$529bn* over 6 months" in body
    assert "with the Fed as backstop" in body
