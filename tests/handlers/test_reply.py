"""`handlers.reply`: a reply is a pure value — Block Kit dicts checked against Slack's limits, a plain-text
fallback, the charts to attach, the sources cited and who sees it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from handlers.datasets import Source
from handlers.reply import (
    MAX_BLOCKS_HOME,
    MAX_BLOCKS_MESSAGE,
    MAX_CONTEXT_ELEMENTS,
    MAX_FALLBACK_TEXT,
    MAX_FIELD_TEXT,
    MAX_SECTION_TEXT,
    RUN_ACTION,
    ChartRef,
    Reply,
    build,
    buttons,
    context,
    divider,
    fields,
    header,
    message,
    section,
    sources_context,
)


def source(name: str = "tic", vintage: str = "2026-05-18") -> Source:
    return Source(name=name, title="Holdings", publisher="US Treasury, TIC", series=name, url="https://x.test",
                  period="2000-01 to 2026-04", as_of="2026-04", vintage=vintage, units="usd_bn", tag="official")


CHART = ChartRef(key="holdings:china", title="China", alt_text="China's holdings, 2000–2026", filename="china.png")


class TestBlocks:
    def test_a_header_is_plain_text_without_emoji_conversion(self):
        assert header("Reset Bot").to_dict() == {"type": "header",
                                                 "text": {"type": "plain_text", "text": "Reset Bot", "emoji": False}}

    def test_a_long_header_is_cut_to_slacks_150_characters(self):
        assert len(header("x" * 400).to_dict()["text"]["text"]) == 150

    def test_a_section_is_mrkdwn(self):
        assert section("*bold*").to_dict() == {"type": "section", "text": {"type": "mrkdwn", "text": "*bold*"}}

    def test_fields_put_each_label_in_bold_above_its_value(self):
        block = fields([("Japan", "$1.2T"), ("China", "$760bn")]).to_dict()
        assert [f["text"] for f in block["fields"]] == ["*Japan*\n$1.2T", "*China*\n$760bn"]
        assert {f["type"] for f in block["fields"]} == {"mrkdwn"}

    def test_a_context_keeps_at_most_slacks_ten_elements(self):
        block = context([f"line {n}" for n in range(15)]).to_dict()
        assert [e["text"] for e in block["elements"]] == [f"line {n}" for n in range(MAX_CONTEXT_ELEMENTS)]

    def test_a_divider_is_a_divider(self):
        assert divider().to_dict() == {"type": "divider"}

    def test_each_button_reruns_its_command(self):
        block = buttons([("Breakdown", "gap breakdown"), ("China", "holdings china")]).to_dict()
        assert block["block_id"] == "followups"
        assert [(b["text"]["text"], b["action_id"], b["value"]) for b in block["elements"]] == [
            ("Breakdown", f"{RUN_ACTION}:0", "gap breakdown"),
            ("China", f"{RUN_ACTION}:1", "holdings china"),
        ]

    def test_buttons_can_be_given_their_own_block_id(self):
        assert buttons([("Stop 1", "unsubscribe 1")], block_id="unsubscribe").to_dict()["block_id"] == "unsubscribe"


class TestSourceLine:
    def test_it_cites_each_source_once_in_order(self):
        a, b = source("a"), source("b")
        block = sources_context([a, b, a]).to_dict()
        assert block["elements"] == [{"type": "mrkdwn", "text": f"Sources: {a.cite()}; {b.cite()}"}]

    def test_a_very_long_source_line_is_cut_with_an_ellipsis(self):
        many = [source(f"series-{n:03d}-" + "x" * 40) for n in range(100)]
        text = sources_context(many).to_dict()["elements"][0]["text"]
        assert len(text) == MAX_SECTION_TEXT and text.endswith("…")


class TestBuild:
    def test_it_freezes_blocks_into_dicts_slack_sdk_reads_back(self):
        reply = build([header("Title"), section("Body"), divider()], text="Title: Body")
        assert [b["type"] for b in reply.blocks] == ["header", "section", "divider"]
        assert all(Block.parse(b).to_dict() == b for b in reply.blocks)
        assert reply.text == "Title: Body"

    def test_a_reply_is_seen_by_the_channel_unless_told_otherwise(self):
        assert build([section("x")], text="x").visibility == "in_channel"
        assert build([section("x")], text="x", visibility="ephemeral").visibility == "ephemeral"

    def test_sources_are_kept_once_and_cited_in_a_last_context_block(self):
        a, b = source("a"), source("b")
        reply = build([section("x")], text="x", sources=[a, b, a])
        assert reply.sources == (a, b)
        assert reply.blocks[-1] == sources_context([a, b]).to_dict()

    def test_without_sources_there_is_no_source_line(self):
        assert [b["type"] for b in build([section("x")], text="x").blocks] == ["section"]

    def test_charts_are_referenced_not_rendered(self):
        reply = build([section("x")], text="x", charts=[CHART])
        assert reply.charts == (CHART,)

    def test_a_message_may_have_fifty_blocks_and_no_more(self):
        assert len(build([divider()] * MAX_BLOCKS_MESSAGE, text="x").blocks) == MAX_BLOCKS_MESSAGE
        with pytest.raises(ValueError, match="51 blocks"):
            build([divider()] * (MAX_BLOCKS_MESSAGE + 1), text="x")

    def test_the_source_line_counts_towards_the_limit(self):
        with pytest.raises(ValueError):
            build([divider()] * MAX_BLOCKS_MESSAGE, text="x", sources=[source()])

    def test_the_home_tab_may_have_a_hundred(self):
        assert len(build([divider()] * MAX_BLOCKS_HOME, text="x", limit=MAX_BLOCKS_HOME).blocks) == MAX_BLOCKS_HOME

    def test_a_field_longer_than_slack_allows_is_refused(self):
        assert build([fields([("L", "v" * (MAX_FIELD_TEXT - 4))])], text="x")  # "*L*\n" + value = the limit
        with pytest.raises(ValueError, match="2000"):
            build([fields([("L", "v" * MAX_FIELD_TEXT)])], text="x")

    def test_a_section_longer_than_slack_allows_is_refused_by_slack_sdk(self):
        with pytest.raises(SlackObjectFormationError):
            build([section("x" * (MAX_SECTION_TEXT + 1))], text="x")

    def test_the_fallback_text_is_cut_to_slacks_limit(self):
        assert len(build([section("x")], text="y" * (MAX_FALLBACK_TEXT + 10)).text) == MAX_FALLBACK_TEXT


class TestReply:
    def test_a_reply_cannot_be_changed(self):
        reply = build([section("x")], text="x")
        with pytest.raises(ValidationError):
            reply.text = "y"

    def test_visibility_is_in_channel_or_ephemeral(self):
        with pytest.raises(ValidationError):
            Reply(text="x", blocks=(), visibility="public")

    def test_equal_replies_are_equal(self):
        assert build([section("x")], text="x", sources=[source()]) == build([section("x")], text="x",
                                                                            sources=[source()])


class TestMessage:
    def test_a_message_is_one_section_seen_only_by_the_asker(self):
        reply = message("Try `/reset shock eu 20%`.")
        assert reply.blocks == (section("Try `/reset shock eu 20%`.").to_dict(),)
        assert reply.visibility == "ephemeral"

    def test_its_fallback_text_drops_the_markup(self):
        assert message("*Usage:* `/reset gap`").text == "Usage: /reset gap"

    def test_it_can_be_posted_to_the_channel(self):
        assert message("Stopped.", visibility="in_channel").visibility == "in_channel"

    def test_a_long_message_is_cut_to_one_section_with_an_ellipsis(self):
        reply = message("x" * 5000)
        text = reply.blocks[0]["text"]["text"]
        assert len(text) == MAX_SECTION_TEXT and text.endswith("…")
        assert reply.text == text

    def test_it_cites_nothing_and_attaches_nothing(self):
        reply = message("Hello")
        assert reply.sources == () and reply.charts == ()


class TestDataButtons:
    CHARTS = (ChartRef(key="holdings:eu", title="The EU", alt_text="a", filename="eu.png"),
              ChartRef(key="europe", title="EU by type", alt_text="b", filename="europe.png"))

    def test_a_reply_with_charts_gets_one_button_per_chart_before_its_sources(self, datasets):
        from handlers.reply import CSV_BLOCK_ID, read_csv_button

        reply = build([section("x")], "x", charts=self.CHARTS, sources=[datasets.source("gdp_annual")])
        assert reply.blocks[-2]["block_id"] == CSV_BLOCK_ID and reply.blocks[-1]["type"] == "context"
        buttons = reply.blocks[-2]["elements"]
        assert [b["text"]["text"] for b in buttons] == ["Data (CSV): The EU", "Data (CSV): EU by type"]
        assert [read_csv_button(b["value"]) for b in buttons] == [("holdings:eu", ""), ("europe", "")]
        assert len({b["action_id"] for b in buttons}) == 2

    def test_a_reply_without_charts_has_none(self):
        assert all(b.get("block_id") != "chart_data" for b in build([section("x")], "x").blocks)

    def test_stamping_the_version_changes_only_the_buttons(self):
        from handlers.reply import read_csv_button, with_data_version

        reply = build([section("x")], "x", charts=self.CHARTS)
        stamped = with_data_version(reply, "v2")
        assert stamped.blocks[:-1] == reply.blocks[:-1] and stamped.charts == reply.charts
        assert {read_csv_button(b["value"])[1] for b in stamped.blocks[-1]["elements"]} == {"v2"}
        assert with_data_version(build([section("y")], "y"), "v2") == build([section("y")], "y")

    @pytest.mark.parametrize("value", [None, "gap", "[]", '{"chart": 3}', '{"version": "x"}', "{" * 3000])
    def test_a_value_that_is_not_a_data_button_is_refused(self, value):
        from handlers.reply import read_csv_button

        with pytest.raises(ValueError):
            read_csv_button(value)


def test_a_csv_buttons_version_is_a_digest_or_the_button_is_refused():
    """The version is echoed into the file's comment in the channel: a forged one must not mention anyone."""
    from handlers.reply import read_csv_button

    assert read_csv_button('{"chart": "gap", "version": "11c93ee17f24"}') == ("gap", "11c93ee17f24")
    with pytest.raises(ValueError):
        read_csv_button('{"chart": "gap", "version": "x` <!channel> `"}')
