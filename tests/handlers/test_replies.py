"""Every reply is valid Block Kit within Slack's limits, cites its sources, and says what the data say."""

from __future__ import annotations

import json

import pytest
from slack_sdk.models.blocks import Block

from handlers.answer import answer
from handlers.parsing import parse
from handlers.reply import MAX_BLOCKS_MESSAGE
from handlers.topics.claims import evaluate

TOPICS = ["gap", "gap breakdown", "holdings", "holdings china", "holdings eu", "holdings saudi arabia", "buying",
          "refinancing", "shock eu 20%", "shock china 10% pause", "shock japan 100%", "shock uk 0%", "gold",
          "claims", "sources", "help", "help shock"]


def reply_for(text, datasets, holders):
    return answer(parse(text, holders), datasets, holders)


def text_of(reply) -> str:
    return json.dumps(reply.blocks, ensure_ascii=False)


@pytest.mark.parametrize("text", TOPICS)
def test_every_reply_is_valid_block_kit_within_limits(text, datasets, holders):
    reply = reply_for(text, datasets, holders)
    assert 0 < len(reply.blocks) <= MAX_BLOCKS_MESSAGE
    for block in reply.blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block  # an unknown block type parses to None
        parsed.validate_json()
    assert reply.text.strip()


def test_the_sources_reply_lists_every_dataset_with_its_vintage(datasets, holders):
    body = text_of(reply_for("sources", datasets, holders))
    for source in datasets.sources.values():
        assert source.title in body and f"vintage {source.vintage}" in body


@pytest.mark.parametrize("text", [t for t in TOPICS if not t.startswith(("help", "sources"))])
def test_every_data_reply_names_its_sources_with_dates(text, datasets, holders):
    reply = reply_for(text, datasets, holders)
    assert reply.sources
    for source in reply.sources:
        assert source.publisher and source.as_of and source.vintage
    assert "Sources:" in text_of(reply)


@pytest.mark.parametrize("text, chart_keys", [
    ("gap", ["gap"]), ("holdings", ["holdings"]), ("holdings eu", ["holdings:eu", "europe"]),
    ("buying", ["buying"]), ("refinancing", ["refinancing"]), ("gold", ["gold"]),
    ("shock eu 20%", ["shock:eu 20%"]), ("claims", []), ("sources", []),
])
def test_each_topic_attaches_its_chart_with_alt_text(text, chart_keys, datasets, holders):
    reply = reply_for(text, datasets, holders)
    assert [c.key for c in reply.charts] == chart_keys
    assert all(len(c.alt_text) > 40 and c.title and c.filename.endswith(".png") for c in reply.charts)


def test_gap_reports_the_q3_2025_position(datasets, holders):
    body = text_of(reply_for("gap", datasets, holders))
    for figure in ("$68.9T", "$41.3T", "−$27.6T", "89.7%", "2.24× GDP"):
        assert figure in body


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


def test_holdings_rank_japan_first_and_mark_custody_centres(datasets, holders):
    body = text_of(reply_for("holdings", datasets, holders))
    assert "1. Japan" in body
    assert "United Kingdom†" in body and "Belgium†" in body


def test_buying_reproduces_citis_window_but_not_the_whole_year(datasets, holders):
    body = text_of(reply_for("buying", datasets, holders))
    assert "79.1%" in body and "55.5%" in body


def test_refinancing_separates_bills_from_coupons(datasets, holders):
    body = text_of(reply_for("refinancing", datasets, holders))
    assert "$6.40T" in body and "$3.30T" in body and "$9.70T" in body
    assert "no primary source" in body


def test_gold_names_both_bases(datasets, holders):
    body = text_of(reply_for("gold", datasets, holders))
    assert "Q3 2025" in body  # all official gold passed foreign official Treasuries then
    assert "has *not* crossed" in body


def test_claims_verdicts_follow_the_official_data(datasets, holders):
    verdicts = {r.id: r.measured.verdict for r in evaluate(datasets, holders)}
    assert verdicts["gap_liabilities"] == "confirmed"
    assert verdicts["china_cut"] == "confirmed"
    assert verdicts["saudi_cut"] == "not_supported"  # TIC: Saudi holdings rose
    assert verdicts["europe_80pct_apr_nov"] == "confirmed"
    assert verdicts["europe_80pct_2025"] == "not_supported"
    assert verdicts["europe_twice_rest"] == "not_supported"
    assert verdicts["gold_crossover"] == "partly"
    assert verdicts["refi_wall_2026"] == "no_primary_source"
    assert verdicts["eu_sell_20pct"] == "no_primary_source"


def test_help_is_ephemeral_and_lists_every_command(datasets, holders):
    reply = reply_for("help", datasets, holders)
    assert reply.visibility == "ephemeral"
    for word in ("gap", "holdings", "buying", "refinancing", "shock", "gold", "claims", "sources", "subscribe"):
        assert f"/reset {word}" in text_of(reply)


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


def test_history_sets_the_model_beside_each_episode(datasets, holders):
    reply = reply_for("history", datasets, holders)
    body = text_of(reply)
    for needle in ("March 2020", "+64 bp", "China, 2016", "Russia", "Japan", "12-month fall", "not controlled "
                                                                                              "experiments"):
        assert needle in body
    assert body.count("Model for that sale") == 5


def test_the_seeds_sentences_are_checked_as_written(datasets, holders):
    from handlers.topics.claims import evaluate

    verdicts = {r.id: (r.claim, r.measured.verdict) for r in evaluate(datasets, holders)}
    assert verdicts["eu_equities"] == ('"$6 Trillion in US Equities" (EU investors)', "partly")  # $5.62T
    assert verdicts["gap_pct_gdp"][1] == "not_supported"  # 89.7% is not "the entire US economy"
    assert verdicts["china_japan_backing_away"][1] == "partly"  # Japan added $124bn in 2025
    assert verdicts["eu_last_man_standing"][1] == "not_supported"  # the UK, Japan and Canada added too
    assert verdicts["europe_primary_financier"][1] == "not_supported"
    assert verdicts["ust_declined_for_gold"][1] == "partly"
    assert "record" in verdicts["refi_wall_2026"][0]


def test_the_dollar_share_beside_tic_is_the_newest_cofer_vintage(datasets, holders):
    body = text_of(reply_for("gold", datasets, holders))
    assert "56.4% in 2025Q4 (IMF, published 2026-07-01" in body  # not the March release's 56.8% alone
