"""`reset-bot` from a terminal: the shell, one-shot answers, and clear failures at start."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, stdin: str = "", env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True, text=True,
                          env={**base, **(env or {})}, cwd=cwd or ROOT, timeout=120)


def test_the_shell_answers_each_line_and_exits_cleanly_on_eof(tmp_path):
    result = run("shell", "--out", str(tmp_path), stdin="gap\nshock eu 20%\nclaims\n",
                 env={"RESET_BOT_STATE_DIR": str(tmp_path)})
    assert result.returncode == 0
    out = result.stdout
    assert "$68.9T" in out and "$41.3T" in out and "$27.6T" in out and "89.7%" in out
    assert "$408bn" in out and "range +4 bp to +29 bp" in out and "+102 bp" in out
    assert "Saudi Arabia has been cutting" in out and "❌ Not supported" in out
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["reset-gap.png", "reset-shock-eu-20pct.png"]
    assert "Traceback" not in out + result.stderr


def test_reset_bot_without_slack_tokens_starts_the_shell(tmp_path):
    result = run(stdin="gap\n", env={"RESET_BOT_STATE_DIR": str(tmp_path)})
    assert result.returncode == 0
    assert "reset> gap" in result.stdout and "$68.9T" in result.stdout


def test_nonsense_gets_help_not_a_traceback(tmp_path):
    result = run("shell", stdin="banana\nshock eu 500%\n\x00\n" + "x" * 5000 + "\n",
                 env={"RESET_BOT_STATE_DIR": str(tmp_path)})
    assert result.returncode == 0
    assert "Try /reset shock eu 20%" in result.stdout
    assert "outside 0–100%" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_ask_prints_one_reply_and_writes_its_charts(tmp_path):
    result = run("ask", "holdings", "eu", "--out", str(tmp_path), env={"RESET_BOT_STATE_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "The EU: US Treasury holdings" in result.stdout
    assert {p.name for p in tmp_path.glob("*.png")} == {"reset-holdings-eu.png", "reset-europe.png"}


def test_briefing_words_point_to_slack_in_the_shell(tmp_path):
    result = run("ask", "subscribe", "fri", "16:30", env={"RESET_BOT_STATE_DIR": str(tmp_path)})
    assert result.returncode == 0
    assert "works in Slack" in result.stdout


@pytest.mark.parametrize("env, says", [
    ({"SLACK_BOT_TOKEN": "not-a-token"}, "SLACK_BOT_TOKEN: must be a bot token starting with xoxb-"),
    ({"SLACK_BOT_TOKEN": "xoxb-1"}, "neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET"),
    ({"PORT": "eighty"}, "PORT:"),
    ({"SLACK_API_URL": "ftp://x"}, "SLACK_API_URL: must be an http(s) URL"),
    ({"DATABASE_URL": "mysql://root@127.0.0.1/reset"}, "DATABASE_URL: must be a SQLite (sqlite:///path) or PostgreSQL"),
])
def test_a_broken_configuration_stops_with_one_clear_line(env, says):
    result = run("ask", "gap", env=env)
    assert result.returncode == 2
    assert says in result.stderr
    assert "Traceback" not in result.stderr
    assert "xoxb-1" not in result.stderr.replace("SLACK_BOT_TOKEN (xoxb-…)", "")  # secrets are not echoed


def test_a_broken_data_file_stops_with_file_row_and_reason(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    csv = data / "treasury_holdings.csv"
    lines = csv.read_text().splitlines()
    lines[5] = lines[5].rsplit(",", 2)[0] + ",abc," + lines[5].rsplit(",", 1)[1]
    csv.write_text("\n".join(lines) + "\n")
    result = run("ask", "gap", env={"RESET_BOT_DATA_DIR": str(data), "RESET_BOT_STATE_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "treasury_holdings.csv" in result.stderr and "abc" in result.stderr
    assert "Traceback" not in result.stderr


def test_main_is_callable_in_process(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("RESET_BOT_STATE_DIR", str(tmp_path))
    assert main(["ask", "gold", "--out", str(tmp_path)]) == 0
    assert "Central banks: gold vs US Treasuries" in capsys.readouterr().out


def test_the_redacting_filter_knows_the_client_secret_and_each_token_key():
    from cryptography.fernet import Fernet

    from bot.cli import secrets_of
    from bot.redaction import redact
    from bot.settings import Settings

    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings = Settings(slack_client_id="1111.2222", slack_client_secret="c" * 32, slack_signing_secret="s" * 32,
                        token_key=f"{new},{old}")
    line = f"secret {'c' * 32} keys {new},{old} only the old {old}"
    cleaned = redact(line, secrets_of(settings))
    assert "c" * 32 not in cleaned and new not in cleaned and old not in cleaned


def test_ask_factcheck_checks_pasted_text_without_slack(tmp_path):
    result = run("ask", "factcheck Europe bought 80% of Treasuries in 2025; call 555-010-2299 at 14:30",
                 env={"RESET_BOT_STATE_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "Europe's share of foreign buying of Treasuries: 80%" in result.stdout
    assert "55.5%" in result.stdout and "Not supported" in result.stdout
    assert "Post in thread" not in result.stdout  # no message to thread in the shell
    assert "Traceback" not in result.stdout + result.stderr
