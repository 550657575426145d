"""`/reset claims`: each claim of the thesis judged against the official figures."""

from __future__ import annotations

from handlers.topics.claims import evaluate


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


def test_the_seeds_sentences_are_checked_as_written(datasets, holders):
    verdicts = {r.id: (r.claim, r.measured.verdict) for r in evaluate(datasets, holders)}
    assert verdicts["eu_equities"] == ('"$6 Trillion in US Equities" (EU investors)', "partly")  # $5.62T
    assert verdicts["gap_pct_gdp"][1] == "not_supported"  # 89.7% is not "the entire US economy"
    assert verdicts["china_japan_backing_away"][1] == "partly"  # Japan added $124bn in 2025
    assert verdicts["eu_last_man_standing"][1] == "not_supported"  # the UK, Japan and Canada added too
    assert verdicts["europe_primary_financier"][1] == "not_supported"
    assert verdicts["ust_declined_for_gold"][1] == "partly"
    assert "record" in verdicts["refi_wall_2026"][0]


def test_every_claim_names_a_rule_of_the_one_shared_rule_set(datasets):
    from handlers.topics.claims import RULES, rule_of

    for row in datasets.frame("claims").itertuples(index=False):
        if isinstance(row.check, str) and row.check:
            assert rule_of(row.check).name in RULES
    for rule in RULES.values():
        assert rule.checks and rule.thresholds, rule.name  # what it checks and how it judges, in words


def test_a_rule_defined_twice_is_refused():
    import pytest

    from handlers.topics.claims import rule

    with pytest.raises(ValueError):
        rule("iip_net_usd_t", "again", "usd_t", "")(lambda *a: None)


def test_rules_the_fact_check_adds_use_the_same_data(datasets, holders):
    from handlers.topics.claims import measure

    china = measure("holder_level:china", 650, datasets, holders)
    assert china.verdict == "confirmed" and "China (mainland): $651bn" in china.official
    assert measure("shl_europe_total", 16, datasets, holders).verdict == "confirmed"
    scenario = measure("shock_range:eu:20", 100, datasets, holders)
    assert scenario.verdict == "not_supported" and "range +4 bp to +29 bp" in scenario.official
    assert measure("shock_range:eu:20", 20, datasets, holders).verdict == "partly"
