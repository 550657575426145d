"""OAuth mode's install flow over real HTTP, as a browser meets it: the bot behind waitress, the local
Slack stand-in's authorize page, and a client that keeps cookies (Bolt's state cookie) and follows
redirects. Success leaves an installation row with an encrypted token; every failure is a page."""

from __future__ import annotations

import html
import http.cookiejar
import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode, urlsplit

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import MetaData, Table, select, update
from waitress.server import create_server

from bot.runtime import Runtime, build_runtime
from bot.serving.live_data import LiveData
from bot.settings import Settings
from bot.slack.oauth import BOT_SCOPES
from bot.slack.server import WAITRESS_OPTIONS
from bot.storage.installations import BOTS_TABLE, INSTALLATIONS_TABLE, STATES_TABLE
from tests.conftest import CHANNEL, MANIFEST_SCOPES, SIGNING_SECRET, USER
from tests.fakes.slack_api import FakeSlack
from tests.processes import free_port, start, wait_healthy

KEY = Fernet.generate_key().decode()


@dataclass
class Installer:
    base: str
    runtime: Runtime
    slack: FakeSlack


def oauth_settings(slack: FakeSlack, port: int, tmp_path, **overrides) -> Settings:
    values = dict(slack_client_id=slack.client_id, slack_client_secret=slack.client_secret,
                  slack_signing_secret=SIGNING_SECRET, slack_api_url=slack.base_url,
                  slack_authorize_url=f"http://127.0.0.1:{slack.port}/oauth/v2/authorize",
                  slack_redirect_uri=f"http://127.0.0.1:{port}/slack/oauth_redirect", token_key=KEY,
                  state_dir=tmp_path, reply_threads=2)
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def installer(slack, tmp_path, datasets, chart_cache) -> Iterator[Installer]:
    port = free_port()
    settings = oauth_settings(slack, port, tmp_path)
    assert settings.mode == "oauth"
    runtime = build_runtime(settings, data=LiveData(datasets), charts=chart_cache)
    server = create_server(runtime.wsgi(), host="127.0.0.1", port=port, threads=4, **WAITRESS_OPTIONS)
    closing = threading.Event()

    def run() -> None:
        try:
            server.run()
        except OSError:
            if not closing.is_set():
                raise

    threading.Thread(target=run, daemon=True).start()
    yield Installer(f"http://127.0.0.1:{port}", runtime, slack)
    closing.set()
    server.close()
    runtime.stop()
    runtime.store.dispose()


class Browser:
    """urllib with a cookie jar, following redirects. Like browsers, it treats the loopback address as
    a secure origin, so Bolt's ``Secure`` state cookie is sent back over http://127.0.0.1."""

    def __init__(self) -> None:
        policy = http.cookiejar.DefaultCookiePolicy(secure_protocols=("https", "wss", "http"))
        self.jar = http.cookiejar.CookieJar(policy)
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, url: str) -> tuple[int, str, str]:
        """(status, final URL, page text)."""
        try:
            with self.opener.open(url, timeout=10) as response:
                return response.status, response.url, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.url, exc.read().decode()

    def link(self, page: str, element_id: str) -> str:
        match = re.search(rf'id="{re.escape(element_id)}" href="([^"]+)"', page)
        assert match, page
        return html.unescape(match.group(1))


def to_slack(browser: Browser, installer: Installer) -> str:
    """Open the install page, press "Add to Slack": the stand-in's authorize page."""
    status, _, page = browser.get(f"{installer.base}/slack/install")
    assert status == 200 and "Add to Slack" in page
    status, url, authorize = browser.get(browser.link(page, "add-to-slack"))
    assert status == 200 and url.startswith(f"http://127.0.0.1:{installer.slack.port}/oauth/v2/authorize?")
    return authorize


def press(browser: Browser, installer: Installer, authorize: str, element_id: str) -> tuple[int, str, str]:
    return browser.get(f"http://127.0.0.1:{installer.slack.port}{browser.link(authorize, element_id)}")


def rows(runtime: Runtime, name: str) -> list[dict]:
    with runtime.store.database.engine.connect() as conn:
        table = Table(name, MetaData(), autoload_with=conn)
        return [dict(row) for row in conn.execute(select(table)).mappings()]


def test_the_bot_asks_for_the_manifests_scopes():
    assert set(BOT_SCOPES) == MANIFEST_SCOPES


def test_install_authorize_redirect_ends_on_the_success_page_with_an_encrypted_token(installer, slack):
    browser = Browser()
    authorize = to_slack(browser, installer)
    asked = slack.calls("oauth.authorize")[-1].params
    assert set(asked["scope"].split(",")) == MANIFEST_SCOPES and asked["client_id"] == slack.client_id
    status, url, page = press(browser, installer, authorize, f"allow-{slack.team_id}")
    assert status == 200 and urlsplit(url).path == "/slack/oauth_redirect"
    assert "Reset Bot is installed in Fake Workspace" in page and "/reset gap" in page
    [token] = slack.issued_tokens(slack.team_id)
    [bot] = rows(installer.runtime, BOTS_TABLE)
    assert bot["team_id"] == slack.team_id and bot["bot_user_id"] == slack.bot_user_id
    assert token not in json.dumps(rows(installer.runtime, INSTALLATIONS_TABLE) + [bot], default=str)
    assert Fernet(KEY.encode()).decrypt(bot["bot_token"].encode()).decode() == token
    assert installer.runtime.installations.find_bot(enterprise_id=None, team_id=slack.team_id).bot_token == token
    assert rows(installer.runtime, STATES_TABLE) == []  # the state was used up
    assert not any(cookie.value != "deleted" for cookie in browser.jar)  # the state cookie is cleared
    # The same redirect again (a reload, or a replay of the URL): refused, nothing new stored.
    status, _, again = browser.get(url)
    assert status == 400 and "could not be completed" in again
    assert len(rows(installer.runtime, BOTS_TABLE)) == 1


def test_cancel_on_slacks_page_says_nothing_was_installed(installer, slack):
    browser = Browser()
    status, _, page = press(browser, installer, to_slack(browser, installer), "cancel")
    assert status == 200 and "The install was cancelled" in page and "/slack/install" in page
    assert rows(installer.runtime, BOTS_TABLE) == [] and slack.calls("oauth.v2.access") == []


def test_a_callback_from_another_browser_or_a_forged_state_is_refused_with_a_page(installer, slack):
    victim, attacker = Browser(), Browser()
    authorize = to_slack(victim, installer)
    # The attacker sends someone else's callback (a code and a state it did not get from its own install).
    code_url = f"http://127.0.0.1:{slack.port}{victim.link(authorize, f'allow-{slack.team_id}')}"
    opener = urllib.request.build_opener(NoRedirects)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(code_url, timeout=10)
    callback = redirect.value.headers["Location"]
    status, _, page = attacker.get(callback)
    assert status == 400 and "another browser" in page and "Traceback" not in page
    forged = f"{installer.base}/slack/oauth_redirect?" + urlencode({"code": "made-up", "state": "forged"})
    status, _, page = attacker.get(forged)
    assert status == 400 and "Reset Bot was not installed" in page
    assert rows(installer.runtime, BOTS_TABLE) == [] and slack.calls("oauth.v2.access") == []


def test_an_expired_state_and_a_wrong_code_each_get_a_clear_page(installer, slack):
    browser = Browser()
    authorize = to_slack(browser, installer)
    with installer.runtime.store.database.engine.begin() as conn:  # ten minutes pass
        states = Table(STATES_TABLE, MetaData(), autoload_with=conn)
        conn.execute(update(states).values(expire_at=datetime(2000, 1, 1)))
    status, _, page = press(browser, installer, authorize, f"allow-{slack.team_id}")
    assert status == 400 and "expired or was already used" in page
    # A fresh start, and Slack refuses the code (e.g. it was used already elsewhere).
    authorize = to_slack(browser, installer)
    slack.fail_next("oauth.v2.access", error="invalid_code")
    status, _, page = press(browser, installer, authorize, f"allow-{slack.team_id}")
    assert status == 400 and "Slack did not confirm this install" in page
    assert rows(installer.runtime, BOTS_TABLE) == []


def test_the_install_pages_take_only_get(installer):
    request = urllib.request.Request(f"{installer.base}/slack/install", data=b"x=1", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 405


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.slow
def test_reset_bot_serve_in_oauth_mode_installs_and_logs_no_secret(slack, tmp_path):
    port = free_port()
    env = {"SLACK_BOT_TOKEN": "", "SLACK_CLIENT_ID": slack.client_id, "SLACK_CLIENT_SECRET": slack.client_secret,
           "SLACK_AUTHORIZE_URL": f"http://127.0.0.1:{slack.port}/oauth/v2/authorize",
           "SLACK_REDIRECT_URI": f"http://127.0.0.1:{port}/slack/oauth_redirect", "RESET_BOT_TOKEN_KEY": KEY,
           "PORT": str(port), "LOG_LEVEL": "DEBUG"}
    proc, _ = start(slack, tmp_path, stderr=open(tmp_path / "stderr.log", "w"), **env)  # noqa: SIM115
    try:
        health = wait_healthy(port, proc)
        assert health["mode"] == "oauth"
        installer = Installer(f"http://127.0.0.1:{port}", None, slack)  # type: ignore[arg-type]
        browser = Browser()
        status, _, page = press(browser, installer, to_slack(browser, installer), f"allow-{slack.team_id}")
        assert status == 200 and "Reset Bot is installed in Fake Workspace" in page
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    log = (tmp_path / "stderr.log").read_text()
    for secret in [slack.client_secret, KEY, *slack.issued_tokens()]:
        assert secret not in log
    assert "Traceback" not in log


def test_oauth_mode_without_a_key_stops_with_one_line_saying_how_to_make_one(slack, tmp_path):
    proc, _ = start(slack, tmp_path, SLACK_BOT_TOKEN="", SLACK_CLIENT_ID=slack.client_id,
                    SLACK_CLIENT_SECRET=slack.client_secret)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "Traceback" not in err
    [line] = err.strip().splitlines()
    assert "RESET_BOT_TOKEN_KEY" in line and "Fernet.generate_key()" in line
    assert slack.client_secret not in err


def test_oauth_mode_with_a_broken_key_names_the_variable_not_the_key(slack, tmp_path):
    proc, _ = start(slack, tmp_path, SLACK_BOT_TOKEN="", SLACK_CLIENT_ID=slack.client_id,
                    SLACK_CLIENT_SECRET=slack.client_secret, RESET_BOT_TOKEN_KEY="not-a-key-at-all-secret")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    [line] = err.strip().splitlines()
    assert line.startswith("reset-bot: Invalid configuration — RESET_BOT_TOKEN_KEY: the key is not a Fernet key")
    assert "not-a-key-at-all-secret" not in err


def install(installer: Installer, slack: FakeSlack) -> str:
    """Install through the pages, as a person does; the token Slack issued."""
    browser = Browser()
    status, _, _ = press(browser, installer, to_slack(browser, installer), f"allow-{slack.team_id}")
    assert status == 200
    [token] = slack.issued_tokens(slack.team_id)
    return token


def command(installer: Installer, slack: FakeSlack, text: str) -> None:
    from tests.fakes.slack_requests import post_signed, slash_command_body

    url = slack.response_url(None, channel=CHANNEL, user=USER)
    body = slash_command_body(text, channel_id=CHANNEL, user_id=USER, team_id=slack.team_id, response_url=url)
    status, _ = post_signed(f"{installer.base}/slack/events", body, SIGNING_SECRET)
    assert status == 200


def test_an_installed_workspace_gets_answers_and_briefings_with_its_own_token(installer, slack):
    # OAuth mode has no SLACK_BOT_TOKEN at all: the stand-in refuses any call without a token it
    # issued, so every post that arrives went out with the installation's own, decrypted token.
    install(installer, slack)
    command(installer, slack, "gap")
    assert slack.wait_for(lambda: any("Foreigners own" in str(m.get("blocks")) for m in slack.messages(CHANNEL)),
                          timeout=20)
    command(installer, slack, "briefing")  # a send-now: the briefing path, outside Bolt's request client
    assert slack.wait_for(lambda: [m for m in slack.messages(CHANNEL) if m.get("metadata")], timeout=20)
    ledger = installer.runtime.store.ledger
    assert slack.wait_for(lambda: [r for r in ledger.rows() if r.status == "sent"], timeout=20)  # then recorded
    [row] = ledger.rows()
    assert (row.status, row.team_id) == ("sent", slack.team_id)


def test_a_workspace_that_never_installed_is_told_nothing_was_sent(installer, slack):
    from bot.storage.records import StoreError, Workspace

    with pytest.raises(StoreError, match="not installed in workspace T0000NONE"):
        installer.runtime.briefings.fanout.client_for(Workspace("T0000NONE"))


def event(installer: Installer, slack: FakeSlack, payload: dict) -> None:
    from tests.fakes.slack_requests import event_body, post_signed

    status, _ = post_signed(f"{installer.base}/slack/events", event_body(payload, team_id=slack.team_id),
                            SIGNING_SECRET)
    assert status == 200


def subscribed(installer: Installer, slack: FakeSlack) -> int:
    command(installer, slack, "subscribe weekly fri 16:30 Europe/London")
    assert slack.wait_for(lambda: installer.runtime.store.subscriptions.live(), timeout=20)
    [sub] = installer.runtime.store.subscriptions.live()
    return sub.id


def test_an_uninstall_deletes_the_tokens_and_stops_the_workspaces_briefings_with_the_reason(installer, slack):
    install(installer, slack)
    sub_id = subscribed(installer, slack)
    event(installer, slack, {"type": "app_uninstalled", "event_ts": "1.0"})
    store = installer.runtime.store
    assert slack.wait_for(lambda: store.subscriptions.live() == [], timeout=20)
    stopped = store.subscriptions.get(sub_id)
    assert stopped is not None and (stopped.state, stopped.pause_reason) == (
        "removed", "the app was uninstalled from this workspace")
    assert installer.runtime.installations.find_bot(enterprise_id=None, team_id=slack.team_id) is None
    assert rows(installer.runtime, BOTS_TABLE) == [] and rows(installer.runtime, INSTALLATIONS_TABLE) == []


@pytest.mark.parametrize("order", [("tokens_revoked", "app_uninstalled"), ("app_uninstalled", "tokens_revoked"),
                                   ("tokens_revoked", "tokens_revoked")])
def test_revocation_and_uninstall_in_either_order_and_twice_end_the_same(installer, slack, order):
    install(installer, slack)
    sub_id = subscribed(installer, slack)
    bodies = {"tokens_revoked": {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [slack.bot_user_id]},
                                 "event_ts": "1.0"},
              "app_uninstalled": {"type": "app_uninstalled", "event_ts": "2.0"}}
    for name in order:
        event(installer, slack, bodies[name])
    store = installer.runtime.store
    assert slack.wait_for(lambda: store.subscriptions.live() == [], timeout=20)
    # Bolt runs event listeners concurrently, so either may land first; whichever did, its reason
    # stays and the other changes nothing: the subscription is not revived, the tokens stay gone.
    stopped = store.subscriptions.get(sub_id)
    assert stopped is not None and stopped.state == "removed"
    assert stopped.pause_reason in {"the bot's token was revoked in this workspace",
                                    "the app was uninstalled from this workspace"}
    assert slack.wait_for(
        lambda: installer.runtime.installations.find_bot(enterprise_id=None, team_id=slack.team_id) is None, timeout=20)
    installer.runtime.app.replier.drain()
    assert store.subscriptions.get(sub_id) == stopped


def test_a_rotated_token_near_its_expiry_is_refreshed_before_a_briefing_and_saved(installer, slack):
    from bot.runtime import InstalledClients
    from bot.storage.records import Workspace

    slack.token_rotation = True  # the workspace's install issues a 12-hour token with a refresh token
    first = install(installer, slack)
    workspace = Workspace(slack.team_id)
    clients = InstalledClients(installer.runtime.settings, installer.runtime.installations, refresh_minutes=13 * 60)
    refreshed = clients(workspace).token  # "expires within 13 hours": refreshed now, as it would be near the end
    assert refreshed != first and refreshed in slack.issued_tokens(slack.team_id)
    stored = installer.runtime.installations.find_bot(enterprise_id=None, team_id=slack.team_id)
    assert stored.bot_token == refreshed and stored.bot_refresh_token  # saved (encrypted), with the next refresh token
    slack.advance_clock(12 * 3600 + 60)  # the first token has expired; the refreshed one has too, in fake time…
    again = clients(workspace)  # …so it is refreshed again, with the refresh token the first refresh returned
    assert again.auth_test()["team_id"] == slack.team_id


def test_without_rotation_the_installed_token_is_used_as_it_is(installer, slack):
    from bot.runtime import InstalledClients
    from bot.storage.records import Workspace

    token = install(installer, slack)
    clients = InstalledClients(installer.runtime.settings, installer.runtime.installations, refresh_minutes=13 * 60)
    assert clients(Workspace(slack.team_id)).token == token


def test_a_token_that_does_not_rotate_is_read_once_per_half_minute_not_once_per_briefing(installer, slack):
    from bot.runtime import InstalledClients
    from bot.storage.records import Workspace

    token = install(installer, slack)
    reads, now = [], [0.0]
    store = installer.runtime.installations
    real_find = store.find_bot
    store.find_bot = lambda **kw: reads.append(kw) or real_find(**kw)
    try:
        clients = InstalledClients(installer.runtime.settings, store, clock=lambda: now[0])
        workspace = Workspace(slack.team_id)
        assert [clients(workspace).token for _ in range(5)] == [token] * 5
        assert len(reads) == 1
        now[0] = 29.0
        clients(workspace)
        assert len(reads) == 1
        now[0] = 30.5  # kept for 30 s: then read (and decrypted) again
        clients(workspace)
        assert len(reads) == 2
        clients.forget()  # a workspace left in this process: read afresh
        clients(workspace)
        assert len(reads) == 3
    finally:
        store.find_bot = real_find


def test_a_callback_cannot_choose_the_words_of_the_page_or_fake_a_storage_failure(installer):
    browser = Browser()
    status, _, page = browser.get(f"{installer.base}/slack/oauth_redirect?error=call_support_at_555_0100_now")
    assert status == 400 and "call_support" not in page and "unknown reason" in page
    status, _, page = browser.get(f"{installer.base}/slack/oauth_redirect?error=storage_error")
    assert status == 400 and "could not save" not in page  # only the app's own failed save says that


def test_abandoned_install_pages_do_not_pile_up_states(installer, slack):
    from datetime import timedelta

    from bot.storage.installations import STATES_TABLE

    browser = Browser()
    for _ in range(3):
        browser.get(f"{installer.base}/slack/install")
    assert len(rows(installer.runtime, STATES_TABLE)) == 3
    with installer.runtime.store.database.engine.begin() as conn:  # the three are past their 10 minutes
        table = Table(STATES_TABLE, MetaData(), autoload_with=conn)
        conn.execute(update(table).values(expire_at=datetime.now() - timedelta(minutes=1)))
    browser.get(f"{installer.base}/slack/install")
    assert len(rows(installer.runtime, STATES_TABLE)) == 1  # the new one; the expired ones are gone


# ---- Enterprise Grid: an org-wide install serves every workspace of the organisation -------------

ORG, ORG_A, ORG_B = "E0000GRID1", "T0000GRDA1", "T0000GRDB2"
CHANNEL_A, CHANNEL_B = "C0000GRDA1", "C0000GRDB2"


def organisation(slack: FakeSlack) -> None:
    slack.add_organisation(ORG, "Grid Org", {ORG_A: "Grid A", ORG_B: "Grid B"})
    for channel in (CHANNEL_A, CHANNEL_B):
        slack.add_channel(channel, channel.lower())
        slack.add_member(channel, USER)


def install_as(installer: Installer, slack: FakeSlack, who: str) -> tuple[str, str]:
    """Install by pressing ``allow-<who>`` (a team, or an organisation for org-wide): (page, token)."""
    browser = Browser()
    status, _, page = press(browser, installer, to_slack(browser, installer), f"allow-{who}")
    assert status == 200, page
    return page, slack.issued_tokens(who)[-1]


def grid_command(installer: Installer, slack: FakeSlack, text: str, team: str, channel: str, *,
                 org_wide: bool) -> str:
    """A signed /reset from ``team`` of the organisation, as Slack sends it (enterprise fields set);
    the response_url's id."""
    from tests.fakes.slack_requests import post_signed, slash_command_body

    token_id = f"{team}-{text.split()[0]}"
    url = slack.response_url(token_id, channel=channel, user=USER)
    body = slash_command_body(text, channel_id=channel, user_id=USER, team_id=team, response_url=url,
                              enterprise_id=ORG, enterprise_name="Grid Org", is_enterprise_install=org_wide)
    status, _ = post_signed(f"{installer.base}/slack/events", body, SIGNING_SECRET)
    assert status == 200
    return token_id


def grid_event(installer: Installer, payload: dict, team: str | None, *, org_wide: bool) -> None:
    """An event of the organisation's installation: ``authorizations`` names it (Slack's docs show an
    org-wide one with a workspace's team id in it, Bolt's tests with none: both are sent)."""
    from tests.fakes.slack_requests import event_body, post_signed

    envelope = json.loads(event_body(payload, team_id=team or ORG_A))
    envelope.update(enterprise_id=ORG, context_enterprise_id=ORG)
    envelope["authorizations"] = [{"enterprise_id": ORG, "team_id": team, "user_id": "U0000GRIDBOT",
                                   "is_bot": True, "is_enterprise_install": org_wide}]
    status, _ = post_signed(f"{installer.base}/slack/events", json.dumps(envelope).encode(), SIGNING_SECRET)
    assert status == 200


def answered(slack: FakeSlack, channel: str) -> bool:
    return any("Foreigners own" in str(m.get("blocks")) for m in slack.messages(channel))


def grid_subscription(installer: Installer, slack: FakeSlack, team: str, channel: str, *, org_wide: bool) -> int:
    subs = installer.runtime.store.subscriptions
    grid_command(installer, slack, "subscribe weekly fri 16:30 Europe/London", team, channel, org_wide=org_wide)
    [sub] = slack.wait_for(lambda: [s for s in subs.live() if s.team_id == team], timeout=20)
    assert sub.enterprise_id == ORG
    return sub.id


@pytest.mark.parametrize("event_team", [ORG_A, None], ids=["team-in-authorizations", "no-team"])
def test_an_org_wide_install_answers_every_workspace_posts_briefings_and_leaves_as_one(installer, slack,
                                                                                        event_team):
    organisation(slack)
    page, token = install_as(installer, slack, ORG)
    assert "Reset Bot is installed in Grid Org" in page
    [bot] = rows(installer.runtime, BOTS_TABLE)
    assert (bot["enterprise_id"], bot["team_id"], bot["is_enterprise_install"]) == (ORG, None, True)
    assert token not in json.dumps(bot, default=str)
    # Commands from two workspaces of the organisation: Bolt finds the org's installation for each.
    for team, channel in ((ORG_A, CHANNEL_A), (ORG_B, CHANNEL_B)):
        grid_command(installer, slack, "gap", team, channel, org_wide=True)
        assert slack.wait_for(lambda channel=channel: answered(slack, channel), timeout=20)
    # A briefing (outside any request: the scheduler's look-up) of workspace B, with the org's token.
    grid_command(installer, slack, "briefing", ORG_B, CHANNEL_B, org_wide=True)
    assert slack.wait_for(lambda: [m for m in slack.messages(CHANNEL_B) if m.get("metadata")], timeout=20)
    ledger = installer.runtime.store.ledger
    [row] = slack.wait_for(lambda: [r for r in ledger.rows() if r.status == "sent"], timeout=20)
    assert (row.team_id, row.enterprise_id) == (ORG_B, ORG)
    posts = [c for c in slack.calls("chat.postMessage") if c.response and c.response.get("ok")]
    assert len(posts) >= 3 and slack.token_uses(token).count("chat.postMessage") == len(posts)
    assert slack.issued_tokens() == [token]  # one install, one token, for both workspaces
    # Both workspaces subscribe; the org uninstalls the app: its tokens go, both stop with the reason.
    subs = [grid_subscription(installer, slack, team, channel, org_wide=True)
            for team, channel in ((ORG_A, CHANNEL_A), (ORG_B, CHANNEL_B))]
    grid_event(installer, {"type": "app_uninstalled", "event_ts": "1.0"}, event_team, org_wide=True)
    store = installer.runtime.store
    assert slack.wait_for(lambda: store.subscriptions.live() == [], timeout=20)
    for sub_id in subs:
        stopped = store.subscriptions.get(sub_id)
        assert stopped is not None and (stopped.state, stopped.pause_reason) == ("removed", UNINSTALLED)
    assert rows(installer.runtime, BOTS_TABLE) == [] and rows(installer.runtime, INSTALLATIONS_TABLE) == []
    from bot.storage.records import StoreError, Workspace

    with pytest.raises(StoreError, match="not installed"):
        installer.runtime.briefings.fanout.client_for(Workspace(ORG_A, ORG))


UNINSTALLED = "the app was uninstalled from this workspace"


def test_an_org_wide_token_revocation_stops_every_workspace_of_the_organisation(installer, slack):
    organisation(slack)
    install_as(installer, slack, ORG)
    sub_id = grid_subscription(installer, slack, ORG_A, CHANNEL_A, org_wide=True)
    grid_event(installer, {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0000GRIDBOT"]},
                           "event_ts": "1.0"}, ORG_A, org_wide=True)
    store = installer.runtime.store
    assert slack.wait_for(lambda: store.subscriptions.live() == [], timeout=20)
    assert store.subscriptions.get(sub_id).pause_reason == "the bot's token was revoked in this workspace"
    assert rows(installer.runtime, BOTS_TABLE) == []


def test_a_per_team_install_inside_an_organisation_stays_per_team(installer, slack):
    organisation(slack)
    _, own = install_as(installer, slack, ORG_A)  # workspace A installs on its own…
    _, org = install_as(installer, slack, ORG)  # …and the organisation org-wide (serving B)
    [bot_a] = [b for b in rows(installer.runtime, BOTS_TABLE) if b["team_id"] == ORG_A]
    assert (bot_a["enterprise_id"], bot_a["is_enterprise_install"]) == (ORG, False)
    grid_command(installer, slack, "gap", ORG_A, CHANNEL_A, org_wide=False)
    assert slack.wait_for(lambda: answered(slack, CHANNEL_A), timeout=20)
    assert "chat.postMessage" in slack.token_uses(own) and "chat.postMessage" not in slack.token_uses(org)
    sub_a = grid_subscription(installer, slack, ORG_A, CHANNEL_A, org_wide=False)
    sub_b = grid_subscription(installer, slack, ORG_B, CHANNEL_B, org_wide=True)
    from bot.storage.records import Workspace

    clients = installer.runtime.briefings.fanout.client_for
    assert (clients(Workspace(ORG_A, ORG)).token, clients(Workspace(ORG_B, ORG)).token) == (own, org)
    # Workspace A removes its own install: A stops, the organisation's install and B go on.
    grid_event(installer, {"type": "app_uninstalled", "event_ts": "1.0"}, ORG_A, org_wide=False)
    store = installer.runtime.store
    assert slack.wait_for(lambda: [s.id for s in store.subscriptions.live()] == [sub_b], timeout=20)
    assert store.subscriptions.get(sub_a).pause_reason == UNINSTALLED
    assert [(b["enterprise_id"], b["team_id"]) for b in rows(installer.runtime, BOTS_TABLE)] == [(ORG, None)]
    assert clients(Workspace(ORG_A, ORG)).token == org  # A is still in the organisation's install


def test_an_org_wide_uninstall_leaves_a_workspace_with_its_own_install_running(installer, slack):
    organisation(slack)
    _, own = install_as(installer, slack, ORG_A)
    install_as(installer, slack, ORG)
    sub_a = grid_subscription(installer, slack, ORG_A, CHANNEL_A, org_wide=False)
    sub_b = grid_subscription(installer, slack, ORG_B, CHANNEL_B, org_wide=True)
    grid_event(installer, {"type": "app_uninstalled", "event_ts": "1.0"}, None, org_wide=True)
    store = installer.runtime.store
    assert slack.wait_for(lambda: [s.id for s in store.subscriptions.live()] == [sub_a], timeout=20)
    assert store.subscriptions.get(sub_b).pause_reason == UNINSTALLED
    from bot.storage.records import Workspace

    assert installer.runtime.briefings.fanout.client_for(Workspace(ORG_A, ORG)).token == own


def test_a_workspace_taken_out_of_the_org_wide_install_stops_and_the_others_go_on(installer, slack):
    from tests.fakes.slack_requests import post_signed

    organisation(slack)
    install_as(installer, slack, ORG)
    sub_a = grid_subscription(installer, slack, ORG_A, CHANNEL_A, org_wide=True)
    sub_b = grid_subscription(installer, slack, ORG_B, CHANNEL_B, org_wide=True)
    envelope = {"token": "fake-verification-token", "enterprise_id": ORG, "api_app_id": slack.app_id,
                "event": {"type": "team_access_revoked", "team_ids": [ORG_A], "event_ts": "1.0"},
                "type": "event_callback", "event_id": "Ev0000REVOKED", "event_time": 1}
    status, _ = post_signed(f"{installer.base}/slack/events", json.dumps(envelope).encode(), SIGNING_SECRET)
    assert status == 200
    store = installer.runtime.store
    assert slack.wait_for(lambda: [s.id for s in store.subscriptions.live()] == [sub_b], timeout=20)
    assert store.subscriptions.get(sub_a).pause_reason == "the organisation's admin removed the app from this workspace"
    assert [(b["enterprise_id"], b["team_id"]) for b in rows(installer.runtime, BOTS_TABLE)] == [(ORG, None)]
