"""Block Kit as plain text (bot/local/textview.py): what the shell and `reset-bot ask` print for
each kind of block, with Slack's mrkdwn turned into something a terminal shows as meant."""

from __future__ import annotations

from bot.local.textview import block_text, reply_text
from handlers.reply import Reply


def section(markdown: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": markdown}}


class TestBlocks:
    def test_a_header_is_underlined_to_its_length(self):
        assert block_text({"type": "header", "text": {"type": "plain_text", "text": "Gap"}}) == "Gap\n==="

    def test_a_section_loses_bold_code_and_italic_marks(self):
        assert block_text(section("*$68.9T* owed, see `/reset gap` and _the sources_")) == (
            "$68.9T owed, see /reset gap and the sources")

    def test_an_underscore_inside_a_word_is_not_italic(self):
        assert block_text(section("snake_case_name")) == "snake_case_name"

    def test_links_show_their_label_and_address(self):
        assert block_text(section("<https://fred.stlouisfed.org/|FRED> data")) == (
            "FRED (https://fred.stlouisfed.org/) data")

    def test_slack_escapes_and_emoji_codes_become_characters(self):
        assert block_text(section("A &amp; B &lt;1&gt; :white_check_mark: :x: :warning:")) == "A & B <1> ✅ ❌ ⚠️"

    def test_long_lines_wrap_at_100_columns_with_a_hanging_indent(self):
        text = block_text(section("word " * 30))
        first, second = text.splitlines()
        assert len(first) <= 100 and second.startswith("  word")

    def test_fields_are_label_colon_value_lines_indented(self):
        block = {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Foreign holdings*\n$9.2T\nof debt"}]}
        assert block_text(block) == "  Foreign holdings: $9.2T of debt"

    def test_context_lines_are_bulleted(self):
        block = {"type": "context", "elements": [{"type": "mrkdwn", "text": "Sources: TIC"},
                                                 {"type": "mrkdwn", "text": "vintage Apr"}]}
        assert block_text(block) == "  · Sources: TIC\n  · vintage Apr"

    def test_a_divider_is_a_rule(self):
        assert block_text({"type": "divider"}) == "-" * 40

    def test_buttons_become_follow_ups_with_the_command_they_run(self):
        block = {"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Pause"}, "value": "shock eu 20% pause"},
            {"type": "button", "text": {"type": "plain_text", "text": "Help"}}]}
        assert block_text(block) == "Follow-ups: [Pause: shock eu 20% pause] [Help: ]"

    def test_an_image_shows_its_alt_text(self):
        assert block_text({"type": "image", "alt_text": "a bar chart"}) == "(image: a bar chart)"

    def test_a_block_kind_it_does_not_know_prints_nothing(self):
        assert block_text({"type": "video"}) == ""


def test_a_reply_is_its_blocks_one_per_line_skipping_empty_ones():
    reply = Reply(text="fallback", blocks=(
        {"type": "header", "text": {"type": "plain_text", "text": "Hi"}}, {"type": "video"}, section("*there*")))
    assert reply_text(reply) == "Hi\n==\nthere"


def test_the_data_buttons_point_to_the_csv_option(datasets, holders):
    from handlers.answer import answer
    from handlers.parsing import parse

    text = reply_text(answer(parse("gap", holders), datasets, holders))
    assert "--csv DIR" in text and '"chart"' not in text
