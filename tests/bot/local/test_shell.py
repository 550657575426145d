"""The local shell (bot/local/shell.py): Slack's commands answered in a terminal, charts written
to a folder. It runs the real parser and handlers, so its answers are the Slack answers as text."""

from __future__ import annotations

import io

import pytest

from bot.local.shell import PROMPT, Shell
from bot.local.textview import reply_text
from bot.serving.chart_cache import ChartCache
from bot.serving.live_data import LiveData
from handlers.answer import answer
from handlers.parsing import parse

PNG = b"\x89PNG\r\n\x1a\n stand-in"


def stand_in_chart(key: str, datasets: object) -> bytes:
    return PNG


def broken_chart(key: str, datasets: object) -> bytes:
    raise RuntimeError("renderer exploded")


@pytest.fixture
def shell(datasets, tmp_path) -> Shell:
    return Shell(LiveData(datasets), ChartCache(stand_in_chart), tmp_path / "charts")


class Terminal(io.StringIO):
    """Lines typed at a terminal: like stdin, but a tty."""

    def isatty(self) -> bool:
        return True


class TestOneCommand:
    def test_the_reply_is_the_handlers_answer(self, shell, datasets, holders):
        assert shell.reply_for("shock eu 20%") == answer(parse("shock eu 20%", holders), datasets, holders)

    def test_briefing_commands_point_to_slack(self, shell):
        for text in ("subscribe", "unsubscribe", "subscriptions", "briefing"):
            assert "works in Slack (reset-bot serve), not in the local shell" in shell.reply_for(text).text

    def test_alert_commands_point_to_slack(self, shell):
        for text in ("alert china below 600bn", "alerts", "alert remove 1"):
            assert "work in Slack" in shell.reply_for(text).text

    def test_a_typo_gets_the_usage_help_not_an_error(self, shell):
        assert "Did you mean" in shell.reply_for("gpa").text

    def test_run_one_prints_the_reply_and_where_each_chart_was_written(self, shell, tmp_path):
        out = shell.run_one("gap")
        text, chart_line = out.rsplit("\n", 1)
        assert text == reply_text(shell.reply_for("gap"))
        path = tmp_path / "charts" / "reset-gap.png"
        assert chart_line.startswith("[chart] ") and chart_line.endswith(f" → {path}")
        assert path.read_bytes() == PNG

    def test_a_chart_that_fails_to_draw_is_reported_and_the_numbers_stay(self, datasets, tmp_path):
        shell = Shell(LiveData(datasets), ChartCache(broken_chart), tmp_path)
        out = shell.run_one("gap")
        assert "$68.9T" in out
        assert "Something went wrong on my side" in out and "error id" in out
        assert "renderer exploded" not in out and list(tmp_path.iterdir()) == []


class TestTheLoop:
    def test_piped_input_echoes_each_command_then_its_answer_and_ends_at_eof(self, shell):
        stdout = io.StringIO()
        assert shell.loop(io.StringIO("gold\n\n   \nclaims\n"), stdout) == 0
        out = stdout.getvalue()
        assert out.startswith(f"{PROMPT}gold\n")
        assert [line for line in out.splitlines() if line.startswith(PROMPT)] == [f"{PROMPT}gold", f"{PROMPT}claims"]
        assert out == f"{PROMPT}gold\n{shell.run_one('gold')}\n\n{PROMPT}claims\n{shell.run_one('claims')}\n\n"

    @pytest.mark.parametrize("word", ["quit", "exit", ":q", "QUIT"])
    def test_quit_words_end_the_loop(self, shell, word):
        stdout = io.StringIO()
        assert shell.loop(io.StringIO(f"{word}\ngold\n"), stdout) == 0
        assert stdout.getvalue() == ""

    def test_at_a_terminal_it_greets_prompts_and_ends_the_line_on_ctrl_d(self, shell):
        stdout = io.StringIO()
        assert shell.loop(Terminal("gold\n"), stdout) == 0
        out = stdout.getvalue()
        assert out.startswith("Reset Bot shell — type `help`")
        assert out.count(PROMPT) == 2  # before "gold", and before the Ctrl-D
        assert f"{PROMPT}gold" not in out  # the terminal shows what was typed; no echo
        assert out.endswith(f"{PROMPT}\n")


class TestChartData:
    def test_with_a_csv_folder_each_chart_s_rows_are_written_beside_its_png(self, datasets, tmp_path):
        from handlers.csvdata import chart_csv

        shell = Shell(LiveData(datasets), ChartCache(stand_in_chart), tmp_path / "charts", tmp_path / "data")
        out = shell.run_one("holdings eu")
        for key, name in (("holdings:eu", "reset-holdings-eu-data.csv"), ("europe", "reset-europe-data.csv")):
            path = tmp_path / "data" / name
            assert path.read_bytes() == chart_csv(key, datasets)
            assert f"→ {path}" in out
        assert "[data] " in out

    def test_without_one_no_csv_is_written(self, shell, tmp_path):
        assert "[data]" not in shell.run_one("gap")
        assert list(tmp_path.glob("**/*.csv")) == []

    def test_a_folder_that_cannot_be_written_is_reported_and_the_numbers_stay(self, datasets, tmp_path):
        blocked = tmp_path / "file"
        blocked.write_text("not a folder")
        shell = Shell(LiveData(datasets), ChartCache(stand_in_chart), tmp_path / "charts", blocked)
        out = shell.run_one("gap")
        assert "$68.9T" in out and "[data]" not in out and "error id" in out
