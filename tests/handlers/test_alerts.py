"""`handlers.alerts`: the alert grammar, the series the data hold, and what an alert's user reads."""

from __future__ import annotations

import json

import pytest

from handlers import alerts
from handlers.errors import UsageError
from handlers.parsing import parse
from handlers.queries import AlertQuery, AlertRemoveQuery, AlertsQuery
from metrics.alerts import Observation, Threshold


@pytest.mark.parametrize(("text", "series", "direction", "threshold"), [
    ("alert china below 600bn", "holdings:china", "below", 600.0),
    ("/reset Alert China below 600 bn", "holdings:china", "below", 600.0),
    ("alert 10y above 5%", "10y", "above", 5.0),
    ("alert 10y above 5 %", "10y", "above", 5.0),
    ("alert me when the 10-year yield rises above 450bp", "10y", "above", 4.5),
    ("alert mortgage above 7%", "mortgage", "above", 7.0),
    ("alert mortgage rate over 7 percent", "mortgage", "above", 7.0),
    ("alert gap beyond 95% of gdp", "gap_gdp", "above", 95.0),
    ("alert gap beyond -95% of GDP", "gap_gdp", "above", 95.0),
    ("alert niip beyond 30tn", "gap_usd", "above", 30000.0),
    ("alert japan's holdings under $1.1 trillion", "holdings:japan", "below", 1100.0),
    ("alert if prc falls below 600b", "holdings:china", "below", 600.0),
    ("alert eu below 2,000bn", "holdings:eu", "below", 2000.0),
    ("alert foreign below 9000", "holdings:foreign", "below", 9000.0),  # a bare number is $bn
])
def test_forgiving_ways_of_setting_an_alert(holders, text, series, direction, threshold):
    assert parse(text, holders) == AlertQuery(series=series, direction=direction, threshold=threshold)


def test_listing_and_removing(holders):
    assert parse("alerts", holders) == AlertsQuery() == parse("alert list", holders) == parse("alert", holders)
    assert parse("alert remove 2", holders) == AlertRemoveQuery(number=2) == parse("alerts delete #2", holders)


@pytest.mark.parametrize(("text", "expected"), [
    ("alert china below -5bn", "cannot be negative"),
    ("alert china below 5%", "in dollars"),
    ("alert china below 60tn", "$1bn to $50T"),
    ("alert 10y above 35%", "at most 30%"),
    ("alert 10y above 0%", "never been zero or negative"),
    ("alert 10y above 5bn", "in percent"),
    ("alert mortgage above 7% of gdp", "in percent"),
    ("alert gap beyond 300% of gdp", "1% to 250% of GDP"),
    ("alert gap beyond 5bp", "share of GDP or in dollars"),
    ("alert bitcoin above 100000", "I can't watch `bitcoin`"),
    ("alert chna below 600bn", "Did you mean `china`?"),
    ("alert china 600bn", "`above` or `below`"),
    ("alert 10y crosses 5%", "Above or below?"),
    ("alert 10y above", "Give a threshold"),
    ("alert above 5%", "Which series?"),
    ("alert mortgage below abc", "couldn't read `abc`"),
    ("alert remove x", "not an alert number"),
    ("alert remove", "Which alert?"),
    ("alert china below <!channel>bn", "&lt;!channel&gt;"),
])
def test_unknown_series_and_impossible_thresholds_are_explained_with_an_example(holders, text, expected):
    with pytest.raises(UsageError) as raised:
        parse(text, holders)
    assert expected in raised.value.message
    assert "<!channel>" not in raised.value.message


def test_margins_are_in_the_series_unit():
    assert alerts.margin_for("holdings:china", 600) == 6.0  # 1% of the line
    assert alerts.margin_for("holdings:uk", 300) == 5.0  # never below TIC's few-$bn revisions
    assert (alerts.margin_for("10y", 5), alerts.margin_for("mortgage", 7)) == (0.15, 0.10)
    assert (alerts.margin_for("gap_gdp", 95), alerts.margin_for("gap_usd", 30_000)) == (1.0, 300.0)


def test_every_series_reads_its_newest_observation_from_the_data(datasets, holders):
    china = alerts.latest("holdings:china", datasets, holders)
    assert china.observation == Observation(period="2026-04", value=651.1)
    assert china.sources[0].name == "treasury_holdings"
    ten = alerts.latest("10y", datasets, holders).observation
    assert (ten.period, ten.value) == ("2026-07-28", 4.61)  # facts.csv's DGS10 quote in the shipped data
    assert alerts.latest("mortgage", datasets, holders).observation.period == "2026-05-14"
    gap = alerts.latest("gap_gdp", datasets, holders)
    assert gap.observation.period == "2025Q3" and 89.6 < gap.observation.value < 89.8
    assert alerts.latest("gap_usd", datasets, holders).observation.value == 27610.0
    assert {s.name for s in gap.sources} >= {"iip_quarterly", "gdp_annual"}


def test_the_history_ends_with_the_observation_the_message_quotes(datasets, holders):
    for series in ("holdings:china", "holdings:eu", "10y", "gap_gdp", "gap_usd"):
        history = alerts.history(series, datasets, holders)
        assert history.index.is_monotonic_increasing
        assert history.iloc[-1] == pytest.approx(alerts.latest(series, datasets, holders).observation.value)


def test_the_fired_message_has_the_figure_its_date_the_chart_and_the_source(datasets, holders):
    now = alerts.latest("holdings:china", datasets, holders)
    chart = alerts.chart_for("holdings:china", "below", 660.0, holders)
    reply = alerts.alert_fired(alerts.describe("holdings:china", "below", 660.0, holders), "holdings:china",
                               Threshold(direction="below", level=660, margin=6.6), now, chart, "U0000USER1")
    text = json.dumps(reply.blocks)
    assert "$651bn" in text and "Apr 2026" in text and "$660bn" in text and "$667bn" in text  # re-arm point
    assert "TIC" in text and "vintage" in text
    assert reply.charts == (chart,) and chart.key == "alert:holdings:china:below:660.0"
    assert reply.visibility == "in_channel" and "<@U0000USER1>" in text


def test_the_listing_shows_each_state_and_who_set_it():
    reply = alerts.alerts_listing([
        alerts.ListedAlert("the 10-year Treasury yield above 5.00%", "armed", None, "U1"),
        alerts.ListedAlert("a <b>", "paused", alerts.pause_reason("not_in_channel"), "U2"),
        alerts.ListedAlert("x", "fired", None, "U3", last_fired="$598bn (May 2026)", rearm_at="once above $606bn"),
    ])
    text = json.dumps(reply.blocks)
    assert "*1.* the 10-year Treasury yield above 5.00% (armed; set by <@U1>)" in text
    assert "/invite @Reset Bot" in text and "a &lt;b&gt;" in text
    assert "fired on $598bn (May 2026); re-arms once above $606bn" in text
    assert reply.visibility == "ephemeral"


def test_periods_become_the_instant_they_start():
    assert alerts.period_instant("2026-05").isoformat() == "2026-05-01T00:00:00+00:00"
    assert alerts.period_instant("2025Q4").isoformat() == "2025-10-01T00:00:00+00:00"
    assert alerts.period_instant("2026-07-28").isoformat() == "2026-07-28T00:00:00+00:00"
    assert [alerts.period_words(p) for p in ("2026-05", "2025Q3", "2026-07-28")] == ["May 2026", "Q3 2025",
                                                                                    "28 Jul 2026"]
