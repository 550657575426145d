"""`reset-bot` from a terminal: the shell, one-shot answers, and clear failures at start."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import SIGNING_SECRET, USER

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


@pytest.mark.slow
@pytest.mark.parametrize("grace", ["20", "0"])
def test_a_sigterm_in_a_burst_still_answers_every_acknowledged_command(slack, tmp_path, grace):
    """Deploys stop replicas with SIGTERM while commands arrive. Every command the process
    acknowledged (HTTP 200 to Slack) gets its reply, or a one-line notice saying to ask again,
    before the process exits; the ones it never acknowledged Slack reports to the user itself.
    With no grace at all, the replies still queued are the ones told to ask again."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.fakes.slack_requests import post_signed, slash_command_body
    from tests.processes import start, wait_healthy

    slack.add_channel("C0000STOP1", "outside", bot_member=False)  # answers go through response_urls
    proc, port = start(slack, tmp_path, stderr=subprocess.DEVNULL, RESET_BOT_REPLY_THREADS="2",
                       RESET_BOT_STOP_GRACE_SECONDS=grace)
    wait_healthy(port, proc)
    slack.fail_next("response_url", delay=0.3, times=1000)  # each answer takes a while to post
    url = f"http://127.0.0.1:{port}/slack/events"
    topics = ["gap", "gold", "sources", "refinancing", "buying", "claims", "holdings china", "history"]
    acked: list[str] = []
    in_ack: dict[str, str] = {}
    acked_enough = threading.Event()

    def command(i: int) -> None:
        token = f"stop{i}"
        body = slash_command_body(topics[i % len(topics)], channel_id="C0000STOP1",
                                  response_url=slack.response_url(token, channel="C0000STOP1", user=USER))
        try:
            status, text = post_signed(url, body, SIGNING_SECRET, timeout=10)
        except OSError:
            return  # refused or cut: never acknowledged
        if status == 200:
            acked.append(token)
            if text.strip():  # answered in the acknowledgement itself (the "restarting" notice)
                in_ack[token] = text
            if len(acked) >= 12:
                acked_enough.set()

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(command, i) for i in range(40)]
        assert acked_enough.wait(30)
        proc.send_signal(signal.SIGTERM)
        for f in futures:
            f.result()
    assert proc.wait(timeout=60) == 0
    stopped = time.monotonic() - started
    answers = {t: in_ack.get(t) or str(slack.responses(t)) for t in acked if t in in_ack or slack.responses(t)}
    unanswered = [t for t in acked if t not in answers]
    assert unanswered == [], f"{len(unanswered)} of {len(acked)} acknowledged commands got nothing"
    notices = [t for t, text in answers.items() if "ask again" in text]
    if grace != "0":
        assert len(notices) < len(acked)  # those acknowledged before the SIGTERM got their real answers
    print(f"graceful stop: {len(acked)} acknowledged, {len(acked) - len(notices)} answered, "
          f"{len(notices)} told to ask again, exit after {stopped:.1f} s")


# ---- rotate-token-keys: every stored token re-encrypted with the first key -----------------------

def saved_installations(state: Path, key: bytes, *teams: str) -> list[str]:
    """Installations saved (as the running bot saves them) under ``key``; their bot tokens."""
    from slack_sdk.oauth.installation_store import Installation

    from bot.storage import connect
    from bot.storage.installations import EncryptedInstallationStore, TokenCipher

    storage = connect(f"sqlite:///{state / 'reset-bot.sqlite3'}")
    tokens = []
    try:
        store = EncryptedInstallationStore("1111.2222", storage.database.engine, TokenCipher([key]))
        for team in teams:
            token = f"xoxb-{team}-0123456789-abcdefabcdef"
            store.save(Installation(app_id="A0000APP01", team_id=team, bot_token=token, bot_id="B1",
                                    bot_user_id="U0000BOT01", bot_scopes="commands", user_id="U0000ADMIN"))
            tokens.append(token)
    finally:
        storage.dispose()
    return tokens


def stored_bot_tokens(state: Path) -> list[str]:
    import sqlite3

    with sqlite3.connect(state / "reset-bot.sqlite3") as conn:
        return [row[0] for row in conn.execute("SELECT bot_token FROM reset_slack_bots ORDER BY id")]


def test_rotate_token_keys_rewrites_every_row_with_the_first_key_and_prints_no_token(tmp_path):
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key(), Fernet.generate_key()
    tokens = saved_installations(tmp_path, old, "T0000ROTA1", "T0000ROTB2")
    result = run("rotate-token-keys", env={"RESET_BOT_STATE_DIR": str(tmp_path),
                                           "RESET_BOT_TOKEN_KEY": f"{new.decode()},{old.decode()}"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("re-encrypted 4 rows (4 stored credentials) with the first key; "
                                     "the other key(s) can now be removed from RESET_BOT_TOKEN_KEY")
    assert sorted(Fernet(new).decrypt(value.encode()).decode() for value in stored_bot_tokens(tmp_path)) == tokens
    for secret in [*tokens, old.decode(), new.decode()]:
        assert secret not in result.stdout + result.stderr


def test_rotate_token_keys_without_a_key_or_with_a_bad_one_refuses_in_one_line(tmp_path):
    from cryptography.fernet import Fernet

    saved_installations(tmp_path, Fernet.generate_key(), "T0000ROTA1")
    missing = run("rotate-token-keys", env={"RESET_BOT_STATE_DIR": str(tmp_path)})
    broken = run("rotate-token-keys", env={"RESET_BOT_STATE_DIR": str(tmp_path),
                                          "RESET_BOT_TOKEN_KEY": "not-a-key-but-a-secret"})
    for result in (missing, broken):
        assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("reset-bot: ") and "RESET_BOT_TOKEN_KEY" in line
    assert "not-a-key-but-a-secret" not in broken.stderr


def test_rotate_token_keys_refuses_a_row_no_given_key_reads_and_changes_nothing(tmp_path):
    from cryptography.fernet import Fernet

    written, other = Fernet.generate_key(), Fernet.generate_key()
    tokens = saved_installations(tmp_path, written, "T0000ROTA1")
    before = stored_bot_tokens(tmp_path)
    result = run("rotate-token-keys", env={"RESET_BOT_STATE_DIR": str(tmp_path), "RESET_BOT_TOKEN_KEY": other.decode()})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "team T0000ROTA1" in line and "cannot be decrypted" in line and "nothing was rewritten" in line
    assert stored_bot_tokens(tmp_path) == before and tokens[0] not in result.stdout + result.stderr


def test_rotate_token_keys_with_no_database_says_so(tmp_path):
    from cryptography.fernet import Fernet

    result = run("rotate-token-keys", env={"RESET_BOT_STATE_DIR": str(tmp_path / "empty"),
                                           "RESET_BOT_TOKEN_KEY": Fernet.generate_key().decode()})
    assert result.returncode == 2 and "no database at" in result.stderr
    assert not (tmp_path / "empty" / "reset-bot.sqlite3").exists()


def test_ask_with_csv_writes_each_charts_data_beside_its_png(tmp_path):
    import pandas as pd

    out = tmp_path / "out"
    result = run("ask", "shock eu 20%", "--csv", str(out), env={"RESET_BOT_STATE_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["reset-shock-eu-20pct-data.csv", "reset-shock-eu-20pct.png"]
    frame = pd.read_csv(out / "reset-shock-eu-20pct-data.csv", encoding="utf-8-sig")
    assert list(frame.columns) == ["series", "category", "period", "date", "value", "unit", "source", "vintage"]
    assert "The article's claim" in set(frame["series"]) and (frame["unit"] == "bp").any()
    assert f"→ {out / 'reset-shock-eu-20pct-data.csv'}" in result.stdout
def test_ask_factcheck_checks_pasted_text_without_slack(tmp_path):
    result = run("ask", "factcheck Europe bought 80% of Treasuries in 2025; call 555-010-2299 at 14:30",
                 env={"RESET_BOT_STATE_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "Europe's share of foreign buying of Treasuries: 80%" in result.stdout
    assert "55.5%" in result.stdout and "Not supported" in result.stdout
    assert "Post in thread" not in result.stdout  # no message to thread in the shell
    assert "Traceback" not in result.stdout + result.stderr
