"""The OAuth install as an admin meets it: a real browser (headless Debian Chromium, driven by
Playwright) against a real `reset-bot serve` process in OAuth mode and the local Slack stand-in's
authorize page. The browser keeps Bolt's state cookie as browsers do (``Secure``, ``HttpOnly``,
sent back on Slack's redirect), so the flow is the one people click through, not a replay of it.

Why a process and not the in-process server of test_oauth.py: this is the "from a fresh clone"
path — the variables read by `reset-bot serve`, its waitress, its database file and the pages as
served — and what the tests check afterwards is that database, opened with the key like any other
reader. The in-process tests cover the flow's branches; these cover the whole thing once, end to end.

Chromium is Debian's package (`.ci/run` installs it); no browser is downloaded. In CI a missing
Chromium fails these tests instead of skipping them, so a green run always means a browser ran.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import MetaData, Table, create_engine, select

from bot.storage.installations import BOTS_TABLE, INSTALLATIONS_TABLE, EncryptedInstallationStore, TokenCipher
from tests.conftest import CHANNEL, SIGNING_SECRET, USER
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import post_signed, slash_command_body
from tests.processes import free_port, start, wait_healthy

CHROMIUM = Path("/usr/bin/chromium")
#: Headless, and without the sandbox (CI runs as root, where Chromium's sandbox will not start) or
#: background traffic (update checks, field trials: the machine has no internet to reach).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-background-networking"]
KEY = Fernet.generate_key().decode()
SECOND_TEAM, SECOND_NAME = "T0000SECND", "Second & Co"
SCREENSHOTS = Path(os.environ.get("RESET_BOT_SCREENSHOT_DIR", "/tmp"))


def _no_browser(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser test (.ci/run installs Debian's chromium)")
    pytest.skip(f"{reason} (apt-get install chromium to run it)")


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """One headless Chromium for the module; each install gets a fresh context (its own cookies)."""
    if not (CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)):
        _no_browser(f"{CHROMIUM} is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("Playwright for Python is not installed (it is a dev dependency: pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Served:
    base: str
    slack: FakeSlack
    second_bot_user: str
    state_dir: Path
    log: Path

    def store(self) -> EncryptedInstallationStore:
        """The process's installations, read as any replica would: the database file and the key."""
        engine = create_engine(f"sqlite:///{self.state_dir / 'reset-bot.sqlite3'}")
        return EncryptedInstallationStore(self.slack.client_id, engine, TokenCipher([KEY]))

    def rows(self, name: str) -> list[dict]:
        engine = create_engine(f"sqlite:///{self.state_dir / 'reset-bot.sqlite3'}")
        try:
            with engine.connect() as conn:
                table = Table(name, MetaData(), autoload_with=conn)
                return [dict(row) for row in conn.execute(select(table)).mappings()]
        finally:
            engine.dispose()


@pytest.fixture
def served(slack, tmp_path) -> Iterator[Served]:
    """`reset-bot serve` in OAuth mode (no SLACK_BOT_TOKEN), with two workspaces on Slack's page."""
    second = slack.add_workspace(SECOND_TEAM, SECOND_NAME)
    port = free_port()
    log = tmp_path / "stderr.log"
    env = {"SLACK_BOT_TOKEN": "", "SLACK_CLIENT_ID": slack.client_id, "SLACK_CLIENT_SECRET": slack.client_secret,
           "SLACK_AUTHORIZE_URL": f"http://127.0.0.1:{slack.port}/oauth/v2/authorize",
           "SLACK_REDIRECT_URI": f"http://127.0.0.1:{port}/slack/oauth_redirect", "RESET_BOT_TOKEN_KEY": KEY,
           "PORT": str(port)}
    with open(log, "w") as stderr:
        proc, _ = start(slack, tmp_path, stderr=stderr, **env)
        try:
            assert wait_healthy(port, proc, timeout=60)["mode"] == "oauth"
            yield Served(f"http://127.0.0.1:{port}", slack, second.bot_user_id, tmp_path, log)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
    text = log.read_text()
    assert "Traceback" not in text
    for secret in [slack.client_secret, KEY, *slack.issued_tokens()]:
        assert secret not in text


def to_slacks_page(chromium, served: Served, screenshot: str | None = None):
    """A new browser (context: its own cookies) opens the install page and presses "Add to Slack"."""
    context = chromium.new_context()
    page = context.new_page()
    response = page.goto(f"{served.base}/slack/install")
    assert response is not None and response.status == 200
    assert page.title() == "Add Reset Bot to Slack"
    if screenshot:
        shot(page, screenshot)
    [cookie] = context.cookies()  # Bolt's state cookie, kept the way a browser keeps it
    assert cookie["secure"] and cookie["httpOnly"]
    page.click("#add-to-slack")
    page.wait_for_url(f"http://127.0.0.1:{served.slack.port}/oauth/v2/authorize?**")
    assert page.locator("h1").inner_text() == "Reset Bot is requesting permission"
    return context, page


def answer(page, element_id: str) -> int:
    """Press a button on Slack's page; the status of the page Slack's redirect lands on."""
    with page.expect_navigation(url="**/slack/oauth_redirect?**") as landed:
        page.click(f"#{element_id}")
    return landed.value.status


def shot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"reset-bot-{name}.png"), full_page=True)


def gap_from(served: Served, team_id: str) -> None:
    """`/reset gap`, signed as Slack signs it, from a channel with the same id in either workspace."""
    url = served.slack.response_url(None, channel=CHANNEL, user=USER)
    body = slash_command_body("gap", channel_id=CHANNEL, user_id=USER, team_id=team_id, response_url=url)
    status, _ = post_signed(f"{served.base}/slack/events", body, SIGNING_SECRET)
    assert status == 200


def gap_posts(slack: FakeSlack, token: str) -> list[dict]:
    return [p for p in slack.calls_with_token(token, "chat.postMessage")
            if p.get("channel") == CHANNEL and "Foreigners own" in str(p.get("blocks"))]


@pytest.mark.slow
def test_two_workspaces_install_through_the_browser_and_each_is_answered_with_its_own_token(chromium, served):
    slack = served.slack
    for team_id, name in [(slack.team_id, "Fake Workspace"), (SECOND_TEAM, SECOND_NAME)]:
        context, page = to_slacks_page(chromium, served)
        assert answer(page, f"allow-{team_id}") == 200
        assert page.locator("h1").inner_text() == f"Reset Bot is installed in {name}"
        assert "/reset gap" in page.locator("main").inner_text()
        assert context.cookies() == []  # the state cookie was used up and deleted
        if team_id == SECOND_TEAM:
            shot(page, "installed")
        context.close()

    store = served.store()
    first, second = (store.find_bot(enterprise_id=None, team_id=t) for t in (slack.team_id, SECOND_TEAM))
    assert first is not None and second is not None
    assert [first.bot_token] == slack.issued_tokens(slack.team_id)
    assert [second.bot_token] == slack.issued_tokens(SECOND_TEAM)
    assert (first.bot_user_id, second.bot_user_id) == (slack.bot_user_id, served.second_bot_user)
    bots = served.rows(BOTS_TABLE)
    assert sorted(row["team_id"] for row in bots) == sorted([slack.team_id, SECOND_TEAM])
    assert not {first.bot_token, second.bot_token} & {row["bot_token"] for row in bots}  # ciphertext at rest

    # The same command from the same channel id in each workspace: each answer goes out with the
    # token of the workspace that asked, and the other workspace's token is not used for it.
    gap_from(served, slack.team_id)
    assert slack.wait_for(lambda: gap_posts(slack, first.bot_token), timeout=30)
    gap_from(served, SECOND_TEAM)
    assert slack.wait_for(lambda: gap_posts(slack, second.bot_token), timeout=30)
    assert len(gap_posts(slack, first.bot_token)) == len(gap_posts(slack, second.bot_token)) == 1


@pytest.mark.slow
def test_cancelling_on_slacks_page_shows_the_failure_page_and_installs_nothing(chromium, served):
    context, page = to_slacks_page(chromium, served, screenshot="install")
    assert answer(page, "cancel") == 200  # not an error: the admin chose not to
    assert page.locator("h1").inner_text() == "Reset Bot was not installed"
    text = page.locator("main").inner_text()
    assert "The install was cancelled" in text and "Traceback" not in text
    shot(page, "cancelled")
    with page.expect_navigation(url=f"{served.base}/slack/install"):
        page.click("text=Start the install again")  # the page's way back works
    assert page.title() == "Add Reset Bot to Slack"
    context.close()
    assert served.rows(BOTS_TABLE) == [] and served.slack.calls("oauth.v2.access") == []


@pytest.mark.slow
def test_reloading_the_callback_shows_a_clear_failure_page_and_writes_no_second_row(chromium, served):
    slack = served.slack
    context, page = to_slacks_page(chromium, served)
    assert answer(page, f"allow-{slack.team_id}") == 200
    callback = page.url
    installed = served.rows(INSTALLATIONS_TABLE)
    assert len(installed) == 1 and len(served.rows(BOTS_TABLE)) == 1

    response = page.reload()  # the same code and state again, from the same browser
    assert response is not None and response.status == 400 and page.url == callback
    assert page.locator("h1").inner_text() == "Reset Bot was not installed"
    text = page.locator("main").inner_text()
    assert "reloaded after the install had already finished" in text and "Nothing was changed" in text
    shot(page, "reloaded")
    context.close()
    # The replayed callback reached neither Slack nor the database.
    assert len(slack.calls("oauth.v2.access")) == 1
    assert served.rows(INSTALLATIONS_TABLE) == installed and len(served.rows(BOTS_TABLE)) == 1
    # Another browser replaying the URL (a link shared, a history synced) fares no better.
    other = chromium.new_context()
    replay = other.new_page()
    response = replay.goto(callback)
    assert response is not None and response.status == 400
    assert "another browser" in replay.locator("main").inner_text()
    other.close()
    assert len(slack.calls("oauth.v2.access")) == 1 and served.rows(INSTALLATIONS_TABLE) == installed


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), (None, pytest.skip.Exception)])
def test_without_chromium_ci_fails_and_a_developer_is_told_why_it_skipped(monkeypatch, ci, outcome):
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="chromium"):
        _no_browser(f"{CHROMIUM} is not installed")
