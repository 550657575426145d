"""`handlers.home`: the App Home tab shows the headline numbers, each with its as-of date, and the commands."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from handlers.home import HomeBriefing, home_view
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


def briefing(n: int, state: str = "active", **kw) -> HomeBriefing:
    from datetime import datetime, timezone
    return HomeBriefing(id=n, channel_id=f"C{n:09d}", weekday="fri", at_time="16:30", timezone="Europe/London",
                        state=state, reason=kw.get("reason"),
                        upcoming=None if state == "held" else datetime(2026, 12, 4, 16, 30, tzinfo=timezone.utc))


def buttons_of(view: dict) -> list[dict]:
    return [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]


class TestYourBriefings:
    def test_without_briefings_switched_on_the_tab_has_no_such_section(self, view):
        assert "Your briefings" not in json.dumps(view)

    def test_none_set_up_says_how_to_set_one_up(self, datasets):
        text = json.dumps(home_view(datasets, []))
        assert "Your briefings" in text and "/reset subscribe" in text
        assert buttons_of(home_view(datasets, [])) == []

    def test_each_briefing_has_send_now_pause_and_remove(self, datasets):
        view = home_view(datasets, [briefing(1), briefing(2, "held"), briefing(3, "paused", reason="not_in_channel")])
        View(type="home", blocks=view["blocks"]).to_dict()
        ids = [b["action_id"] for b in buttons_of(view)]
        assert ids == ["reset_home_send:1", "reset_home_pause:1", "reset_home_remove:1",
                       "reset_home_send:2", "reset_home_resume:2", "reset_home_remove:2",
                       "reset_home_send:3", "reset_home_pause:3", "reset_home_remove:3"]
        assert len(set(ids)) == len(ids)  # Slack refuses a view with two equal action_ids
        assert all(b["value"] == b["action_id"].rsplit(":", 1)[1] for b in buttons_of(view))
        text = json.dumps(view)
        assert "<#C000000001>: every Friday at 16:30 Europe/London" in text
        assert "paused by you" in text and "not delivering" in text and "next Fri 04 Dec 2026 16:30" in text

    def test_remove_asks_first(self, datasets):
        remove = [b for b in buttons_of(home_view(datasets, [briefing(1)])) if "remove" in b["action_id"]][0]
        assert remove["confirm"]["confirm"]["text"] == "Remove" and remove["style"] == "danger"

    def test_many_briefings_stay_within_the_block_limit(self, datasets):
        view = home_view(datasets, [briefing(n) for n in range(1, 60)])
        assert len(view["blocks"]) <= MAX_BLOCKS_HOME
        assert "and 39 more" in json.dumps(view)

    def test_the_note_of_the_last_click_is_shown_escaped(self, datasets):
        text = json.dumps(home_view(datasets, [briefing(1)], note="Paused <!channel>"))
        assert "Paused &lt;!channel&gt;" in text

    def test_an_alerts_section_goes_after_the_briefings(self, datasets):
        from handlers.reply import section
        view = home_view(datasets, [briefing(1)], alerts=[section("*Your alerts*")])
        texts = [json.dumps(b) for b in view["blocks"]]
        first = next(i for i, t in enumerate(texts) if "Your briefings" in t)
        alerts = next(i for i, t in enumerate(texts) if "Your alerts" in t)
        commands = next(i for i, t in enumerate(texts) if "*Commands*" in t)
        assert first < alerts < commands
