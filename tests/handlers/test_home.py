"""`handlers.home`: the App Home tab shows the headline numbers, each with its as-of date, and the commands."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from handlers.home import home_view
from handlers.reply import MAX_BLOCKS_HOME
from handlers.topics.help import CHEAT_SHEET


def fields_of(view: dict) -> dict[str, str]:
    """The two-column fields as {label: value}."""
    found = {}
    for block in view["blocks"]:
        for field in block.get("fields", []):
            label, value = field["text"].split("\n", 1)
            found[label.strip("*")] = value
    return found


@pytest.fixture(scope="module")
def view(datasets) -> dict:
    return home_view(datasets)


@pytest.fixture(scope="module")
def newer(datasets):
    """The shipped data plus one more IIP quarter and one more TIC month."""
    iip = datasets.frame("iip_quarterly")
    quarter = pd.DataFrame([{"period": "2025Q4", "vintage": pd.Timestamp("2026-03-31"), "assets_usd_bn": 42000.0,
                             "liabilities_usd_bn": 70500.0, "net_usd_bn": -28500.0, "tag": "official", "note": ""}])
    tic = datasets.frame("treasury_holdings")
    month = pd.DataFrame([{"month": "2026-05", "holder": "Grand Total", "usd_bn": 9512.3, "table": "slt_table5"}])
    return dataclasses.replace(datasets, version="newer", frames={
        **datasets.frames,
        "iip_quarterly": pd.concat([iip, quarter], ignore_index=True),
        "treasury_holdings": pd.concat([tic, month], ignore_index=True),
    })


class TestTheView:
    def test_it_is_a_home_view_slack_accepts(self, view):
        assert view["type"] == "home"
        parsed = View(type="home", blocks=view["blocks"])
        assert parsed.to_dict()["blocks"] == view["blocks"]  # to_dict() runs slack_sdk's validation

    def test_every_block_round_trips_through_slack_sdks_models(self, view):
        for block in view["blocks"]:
            assert Block.parse(block).to_dict() == block

    def test_it_stays_within_the_home_tab_block_limit(self, view):
        assert 0 < len(view["blocks"]) <= MAX_BLOCKS_HOME

    def test_it_opens_with_the_bots_name(self, view):
        assert view["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "Reset Bot",
                                                                  "emoji": False}}

    def test_it_is_plain_json(self, view):
        assert json.loads(json.dumps(view)) == view


class TestHeadlineNumbers:
    def test_each_headline_carries_its_as_of_date(self, view):
        assert list(fields_of(view)) == [
            "Foreign-owned US assets (Q3 2025)",
            "US-owned foreign assets (Q3 2025)",
            "Net position (Q3 2025)",
            "Foreign-held Treasuries (Apr 2026)",
        ]

    def test_the_figures_are_the_latest_published_ones(self, view):
        shown = fields_of(view)
        assert shown["Foreign-owned US assets (Q3 2025)"] == "$68.9T"
        assert shown["US-owned foreign assets (Q3 2025)"] == "$41.3T"
        assert shown["Net position (Q3 2025)"].startswith("\u2212$27.6T (\u2212")
        assert shown["Net position (Q3 2025)"].endswith("% of GDP)")
        assert shown["Foreign-held Treasuries (Apr 2026)"] == "$9.35T"

    def test_newer_data_moves_the_numbers_and_their_dates(self, newer):
        shown = fields_of(home_view(newer))
        assert shown["Foreign-owned US assets (Q4 2025)"] == "$70.5T"
        assert shown["US-owned foreign assets (Q4 2025)"] == "$42.0T"
        assert shown["Foreign-held Treasuries (May 2026)"] == "$9.51T"

    def test_the_sources_of_the_headlines_are_cited_with_their_vintages(self, datasets, view):
        context = [block for block in view["blocks"] if block["type"] == "context"]
        assert len(context) == 1
        line = context[0]["elements"][0]["text"]
        assert line.startswith("Sources: ")
        for name in ("iip_quarterly", "treasury_holdings"):
            assert datasets.source(name).cite() in line


class TestCheatSheet:
    def test_every_command_is_listed(self, view):
        body = json.dumps(view, ensure_ascii=False)
        assert "*Commands*" in body
        for command, _what in CHEAT_SHEET:
            assert command in body
