"""FakeSlack behaves like Slack for the real slack_sdk WebClient (no mocks between them)."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from tests.fakes.slack_api import DEFAULT_SCOPES, FakeSlack

PUBLIC, OUTSIDE, PRIVATE, SECRET, ARCHIVED = "C0000GEN01", "C0000OUT01", "G0000PRV01", "G0000SEC01", "C0000OLD01"
ALICE, BOB = "U0000ALICE", "U0000BOB01"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_user(ALICE, tz="Europe/Berlin", name="alice")
        fake.add_user(BOB, tz="America/New_York", name="bob")
        fake.add_channel(PUBLIC, "general", members=[ALICE])
        fake.add_channel(OUTSIDE, "random", bot_member=False)
        fake.add_channel(PRIVATE, "team", private=True)
        fake.add_channel(SECRET, "secret", private=True, bot_member=False)
        fake.add_channel(ARCHIVED, "old", archived=True)
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(token=slack.token, base_url=slack.base_url, timeout=5)


def error_of(call) -> SlackApiError:  # type: ignore[no-untyped-def]
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value


# ---- auth ------------------------------------------------------------------------------------

def test_auth_test_and_scopes_header(slack: FakeSlack, client: WebClient) -> None:
    response = client.auth_test()
    assert (response["team_id"], response["user_id"], response["bot_id"]) == (
        slack.team_id, slack.bot_user_id, slack.bot_id)
    assert set(response.headers["x-oauth-scopes"].split(",")) == set(DEFAULT_SCOPES)


def test_a_second_stand_in_is_a_second_workspace(slack: FakeSlack, client: WebClient) -> None:
    """How tests get two workspaces (tests/bot/conftest.py `slack_b`): a stand-in each, with its own
    team, token and bot. Each refuses the other's token, and a channel id of one is not the other's."""
    with FakeSlack(token="xoxb-3333333333-4444444444-secondteam", team_id="T0000FAKE2", bot_user_id="U0000BOT02",
                   bot_id="B0000BOT02") as second:
        second.add_channel(PUBLIC, "general")
        other = WebClient(token=second.token, base_url=second.base_url, timeout=5)
        assert (other.auth_test()["team_id"], client.auth_test()["team_id"]) == ("T0000FAKE2", slack.team_id)
        assert error_of(WebClient(token=slack.token, base_url=second.base_url).auth_test).response["error"] == (
            "invalid_auth")
        ts = other.chat_postMessage(channel=PUBLIC, text="for the second workspace")["ts"]
        assert [m["ts"] for m in second.messages(PUBLIC)] == [ts] and slack.messages(PUBLIC) == []


def test_wrong_or_missing_token(slack: FakeSlack) -> None:
    wrong_token = WebClient(token="xoxb-wrong", base_url=slack.base_url)
    assert error_of(wrong_token.auth_test).response["error"] == "invalid_auth"
    assert error_of(WebClient(base_url=slack.base_url).auth_test).response["error"] == "not_authed"


def test_unknown_and_retired_methods(client: WebClient) -> None:
    assert error_of(lambda: client.api_call("chat.doesNotExist")).response["error"] == "unknown_method"
    retired = error_of(lambda: client.api_call("files.upload", params={"channels": PUBLIC}))
    assert retired.response["error"] == "method_deprecated"


def test_missing_scope_names_the_scope(slack: FakeSlack, client: WebClient) -> None:
    slack.scopes.discard("users:read")
    err = error_of(lambda: client.users_info(user=ALICE)).response
    assert (err["error"], err["needed"]) == ("missing_scope", "users:read")


# ---- chat.postMessage ------------------------------------------------------------------------

def test_post_message_stores_message_and_ts_increases(slack: FakeSlack, client: WebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*gap*: 26 tn"}}]
    first = client.chat_postMessage(channel=PUBLIC, text="gap", blocks=blocks)
    second = client.chat_postMessage(channel=PUBLIC, text="again", thread_ts=first["ts"])
    assert float(second["ts"]) > float(first["ts"])
    stored = slack.messages(PUBLIC)
    assert [m["text"] for m in stored] == ["gap", "again"]
    assert stored[0]["blocks"] == blocks and stored[1]["thread_ts"] == first["ts"]
    assert stored[0]["bot_id"] == slack.bot_id
    assert slack.calls("chat.postMessage")[0].content_type.startswith("application/json")


def test_post_message_accepts_form_bodies_with_json_strings(slack: FakeSlack, client: WebClient) -> None:
    blocks = [{"type": "divider"}]
    client.api_call("chat.postMessage", params={"channel": PUBLIC, "text": "form", "blocks": json.dumps(blocks)})
    assert slack.messages(PUBLIC)[0]["blocks"] == blocks
    assert slack.calls()[-1].content_type == "application/x-www-form-urlencoded"


@pytest.mark.parametrize(("channel", "error"), [
    ("C0000NONE1", "channel_not_found"),
    (SECRET, "channel_not_found"),  # private and the bot is not in it: invisible
    (ARCHIVED, "is_archived"),
])
def test_post_message_channel_errors(client: WebClient, channel: str, error: str) -> None:
    assert error_of(lambda: client.chat_postMessage(channel=channel, text="x")).response["error"] == error


def test_public_channel_needs_membership_or_chat_write_public(slack: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel=OUTSIDE, text="with chat:write.public")
    slack.scopes.discard("chat:write.public")
    assert error_of(lambda: client.chat_postMessage(channel=OUTSIDE, text="x")).response["error"] == "not_in_channel"
    assert len(slack.messages(OUTSIDE)) == 1


def test_post_message_to_user_id_goes_to_the_app_dm(slack: FakeSlack, client: WebClient) -> None:
    response = client.chat_postMessage(channel=ALICE, text="hello")
    assert response["channel"].startswith("D")
    assert slack.messages(response["channel"])[0]["text"] == "hello"


def test_no_text(client: WebClient) -> None:
    with pytest.warns(UserWarning):  # slack_sdk itself warns when text is missing
        assert error_of(lambda: client.chat_postMessage(channel=PUBLIC)).response["error"] == "no_text"


@pytest.mark.parametrize("blocks", [
    [{"type": "bogus"}],
    [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
    [{"type": "header", "text": {"type": "mrkdwn", "text": "Header"}}],
    [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}],
    [{"type": "actions", "elements": [{"type": "not_an_element"}]}],
    [{"type": "section", "text": {"type": "mrkdwn", "text": ""}}],
    [{"type": "image", "alt_text": "chart"}],
    [{"type": "divider"}] * 51,
])
def test_invalid_blocks_rejected(slack: FakeSlack, client: WebClient, blocks: list[dict]) -> None:
    err = error_of(lambda: client.chat_postMessage(channel=PUBLIC, text="t", blocks=blocks)).response
    assert err["error"] == "invalid_blocks" and err["errors"]
    assert slack.messages(PUBLIC) == []


def test_fifty_blocks_are_fine(client: WebClient) -> None:
    client.chat_postMessage(channel=PUBLIC, text="t", blocks=[{"type": "divider"}] * 50)


def test_post_ephemeral(slack: FakeSlack, client: WebClient) -> None:
    client.chat_postEphemeral(channel=PUBLIC, user=ALICE, text="only you")
    outsider = error_of(lambda: client.chat_postEphemeral(channel=PUBLIC, user=BOB, text="x"))
    assert outsider.response["error"] == "user_not_in_channel"
    assert [(m["text"], m["user_target"]) for m in slack.ephemerals(PUBLIC)] == [("only you", ALICE)]
    assert slack.messages(PUBLIC) == []


# ---- files_upload_v2 -------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def test_files_upload_v2_end_to_end(slack: FakeSlack, client: WebClient) -> None:
    response = client.files_upload_v2(channel=PUBLIC, content=PNG, filename="gap.png", title="The gap",
                                      alt_txt="Bar chart of the gap", initial_comment="Weekly chart")
    assert response["file"]["title"] == "The gap" and "shares" not in response["file"]
    assert [c.method for c in slack.calls()] == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    [shared] = slack.files(PUBLIC)
    assert (shared.data, shared.title, shared.alt_txt, shared.filename) == (
        PNG, "The gap", "Bar chart of the gap", "gap.png")
    [message] = slack.messages(PUBLIC)
    assert message["text"] == "Weekly chart" and message["files"][0]["id"] == shared.file_id == response["file"]["id"]


def test_files_upload_v2_needs_membership_even_with_chat_write_public(slack: FakeSlack, client: WebClient) -> None:
    assert "chat:write.public" in slack.scopes
    err = error_of(lambda: client.files_upload_v2(channel=OUTSIDE, content=PNG, filename="gap.png")).response
    assert err["error"] == "not_in_channel"
    assert slack.files(OUTSIDE) == [] and slack.messages(OUTSIDE) == []
    err = error_of(lambda: client.files_upload_v2(channel=SECRET, content=PNG, filename="gap.png")).response
    assert err["error"] == "channel_not_found"


def test_files_upload_v2_rejects_user_ids_as_channel_id(client: WebClient) -> None:
    err = error_of(lambda: client.files_upload_v2(channel=ALICE, content=PNG, filename="gap.png")).response
    assert err["error"] == "invalid_arguments"
    assert "^[CGDZ][A-Z0-9]{8,}$" in err["response_metadata"]["messages"][0]


def test_upload_without_channel_stays_private_and_cannot_be_an_image_block(slack: FakeSlack, client: WebClient) -> None:
    private = client.files_upload_v2(content=PNG, filename="gap.png")["file"]["id"]
    assert slack.files(PUBLIC) == [] and [u.channels for u in slack.uploads()] == [[]]
    image = {"type": "image", "slack_file": {"id": private}, "alt_text": "chart"}
    err = error_of(lambda: client.chat_postMessage(channel=PUBLIC, text="t", blocks=[image])).response
    assert err["error"] == "invalid_blocks" and "invalid slack file" in err["errors"][0]
    shared = client.files_upload_v2(channel=PRIVATE, content=PNG, filename="gap.png")["file"]["id"]
    client.chat_postMessage(channel=PUBLIC, text="t", blocks=[{**image, "slack_file": {"id": shared}}])


def test_upload_length_must_match(slack: FakeSlack, client: WebClient) -> None:
    ticket = client.files_getUploadURLExternal(filename="a.png", length=10)
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(urllib.request.Request(ticket["upload_url"], data=b"short", method="POST"), timeout=5)
    assert info.value.code == 400
    info.value.close()
    err = error_of(lambda: client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}], channel_id=PUBLIC))
    assert err.response["error"] == "file_not_found"


def test_upload_step_two_failure_surfaces_as_urllib_http_error(slack: FakeSlack, client: WebClient) -> None:
    # slack_sdk's urlopen raises before its own `status != 200` check, so callers see HTTPError,
    # not SlackRequestError/SlackApiError, and no retry handler covers step 2.
    slack.fail_next("upload", status=500)
    with pytest.raises(urllib.error.HTTPError) as info:
        client.files_upload_v2(channel=PUBLIC, content=PNG, filename="gap.png")
    info.value.close()
    assert slack.calls("files.completeUploadExternal") == []


# ---- faults and retries ----------------------------------------------------------------------

def test_rate_limit_retry_handler_waits_and_retries(slack: FakeSlack) -> None:
    client = WebClient(token=slack.token, base_url=slack.base_url,
                       retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    started = time.monotonic()
    assert client.chat_postMessage(channel=PUBLIC, text="after 429")["ok"]
    assert time.monotonic() - started >= 1
    calls = slack.calls("chat.postMessage")
    assert [c.status for c in calls] == [429, 200]
    assert calls[0].response == {"ok": False, "error": "ratelimited"}
    assert len(slack.messages(PUBLIC)) == 1


def test_rate_limit_without_handler_raises_with_retry_after(slack: FakeSlack, client: WebClient) -> None:
    slack.fail_next("chat.postMessage", retry_after=7)
    err = error_of(lambda: client.chat_postMessage(channel=PUBLIC, text="x"))
    assert err.response.status_code == 429 and err.response.headers["Retry-After"] == "7"
    assert err.response["error"] == "ratelimited"


def test_server_error_and_canned_error(slack: FakeSlack) -> None:
    client = WebClient(token=slack.token, base_url=slack.base_url,
                       retry_handlers=[ServerErrorRetryHandler(max_retry_count=1)])
    slack.fail_next("chat.postMessage", status=503)
    client.chat_postMessage(channel=PUBLIC, text="x")
    slack.fail_next("chat.postMessage", error="not_in_channel", times=2)
    for _ in range(2):
        assert error_of(lambda: client.chat_postMessage(channel=PUBLIC, text="x")).response["error"] == "not_in_channel"
    assert [c.status for c in slack.calls("chat.postMessage")] == [503, 200, 200, 200]
    assert len(slack.messages(PUBLIC)) == 1


def test_delay_causes_client_timeout(slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", delay=3)
    client = WebClient(token=slack.token, base_url=slack.base_url, timeout=1, retry_handlers=[])
    with pytest.raises(TimeoutError):
        client.chat_postMessage(channel=PUBLIC, text="slow")


def test_dropped_connection_is_retried_by_default_handler(slack: FakeSlack, client: WebClient) -> None:
    slack.fail_next("chat.postMessage", drop_connection=True)
    client.chat_postMessage(channel=PUBLIC, text="second try")
    assert [c.status for c in slack.calls("chat.postMessage")] == [0, 200]


# ---- conversations, users, views -------------------------------------------------------------

def test_conversations_info_and_join(slack: FakeSlack, client: WebClient) -> None:
    info = client.conversations_info(channel=OUTSIDE)["channel"]
    assert (info["is_private"], info["is_im"], info["is_member"], info["is_archived"]) == (False, False, False, False)
    assert client.conversations_join(channel=OUTSIDE)["channel"]["is_member"] is True
    assert client.conversations_join(channel=OUTSIDE)["warning"] == "already_in_channel"
    client.files_upload_v2(channel=OUTSIDE, content=PNG, filename="gap.png")
    private_join = error_of(lambda: client.conversations_join(channel=PRIVATE))
    assert private_join.response["error"] == "method_not_supported_for_channel_type"
    assert error_of(lambda: client.conversations_info(channel=SECRET)).response["error"] == "channel_not_found"
    slack.scopes.discard("channels:join")
    assert error_of(lambda: client.conversations_join(channel=PUBLIC)).response["error"] == "missing_scope"


def test_im_objects_look_like_slacks(slack: FakeSlack, client: WebClient) -> None:
    slack.add_channel("D0000ALICE", im=True, user=ALICE)
    info = client.conversations_info(channel="D0000ALICE")["channel"]
    assert info["is_im"] is True and info["user"] == ALICE and "is_member" not in info


def test_users_info_timezone(client: WebClient) -> None:
    user = client.users_info(user=BOB)["user"]
    assert user["tz"] == "America/New_York" and user["tz_offset"] in (-5 * 3600, -4 * 3600)
    assert error_of(lambda: client.users_info(user="U0000NOONE")).response["error"] == "user_not_found"


def test_views_publish_home(slack: FakeSlack, client: WebClient) -> None:
    view = client.views_publish(user_id=ALICE, view={"type": "home", "blocks": [{"type": "divider"}] * 100})["view"]
    assert slack.home_view(ALICE)["id"] == view["id"]
    too_many = {"type": "home", "blocks": [{"type": "divider"}] * 101}
    assert error_of(lambda: client.views_publish(user_id=ALICE, view=too_many)).response["error"] == "invalid_arguments"
    modal = {"type": "modal", "blocks": []}
    assert error_of(lambda: client.views_publish(user_id=ALICE, view=modal)).response["error"] == "invalid_arguments"
    stale = {"type": "home", "blocks": []}
    stale_publish = error_of(lambda: client.views_publish(user_id=ALICE, view=stale, hash="old"))
    assert stale_publish.response["error"] == "hash_conflict"


# ---- response_url ----------------------------------------------------------------------------

def test_response_url_records_posts_and_enforces_five_uses(slack: FakeSlack) -> None:
    url = slack.response_url("cmd1", channel=PUBLIC, user=ALICE)
    hook = WebhookClient(url)
    assert hook.send(text="Working on it…").status_code == 200
    assert hook.send(text="Gap: 26 tn", response_type="in_channel").status_code == 200
    for _ in range(3):
        assert hook.send(text="more").status_code == 200
    sixth = hook.send(text="one too many")
    assert (sixth.status_code, json.loads(sixth.body)["error"]) == (404, "used_url")
    assert [p["text"] for p in slack.responses("cmd1")][:2] == ["Working on it…", "Gap: 26 tn"]
    assert [m["text"] for m in slack.messages(PUBLIC)] == ["Gap: 26 tn"]
    assert len(slack.ephemerals(PUBLIC)) == 4


def test_response_url_expires_after_30_minutes_and_validates(slack: FakeSlack) -> None:
    hook = WebhookClient(slack.response_url("cmd2"))
    assert hook.send_dict({"blocks": [{"type": "bogus"}]}).status_code == 400
    assert hook.send_dict({"response_type": "ephemeral"}).status_code == 400
    slack.advance_clock(30 * 60 + 1)
    late = hook.send(text="late")
    assert (late.status_code, json.loads(late.body)["error"]) == (404, "expired_url")
    assert slack.responses("cmd2") == []


# ---- helpers ---------------------------------------------------------------------------------

def test_wait_for_sees_work_done_on_another_thread(slack: FakeSlack, client: WebClient) -> None:
    worker = threading.Timer(0.2, lambda: client.chat_postMessage(channel=PUBLIC, text="later"))
    worker.start()
    assert slack.messages(PUBLIC) == []
    assert slack.wait_for(lambda: slack.messages(PUBLIC), timeout=5)[0]["text"] == "later"
    assert slack.wait_for(lambda: slack.messages(OUTSIDE), timeout=0.1) == []
    worker.join()


def test_ids_must_look_like_slacks(slack: FakeSlack) -> None:
    with pytest.raises(ValueError):
        slack.add_channel("C1", "too-short")
    with pytest.raises(ValueError):
        slack.add_user("alice")


# ---- OAuth v2: the authorize page, oauth.v2.access, per-token auth.test ---------------------------

class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # the test reads the 302 itself
        return None


def _get(url: str) -> tuple[int, dict[str, str], str]:
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def _authorize(slack: FakeSlack, state: str = "st4te", redirect: str = "http://127.0.0.1:9/slack/oauth_redirect"):
    query = urllib.parse.urlencode({"client_id": slack.client_id, "scope": "commands,chat:write", "state": state,
                                    "redirect_uri": redirect})
    status, _, page = _get(f"http://127.0.0.1:{slack.port}/oauth/v2/authorize?{query}")
    assert status == 200, page
    return page


def _link(page: str, element_id: str) -> str:
    import html
    import re

    match = re.search(rf'id="{re.escape(element_id)}" href="([^"]+)"', page)
    assert match, page
    return html.unescape(match.group(1))


def _follow(slack: FakeSlack, page: str, element_id: str) -> dict[str, str]:
    status, headers, _ = _get(f"http://127.0.0.1:{slack.port}{_link(page, element_id)}")
    assert status == 302
    location = urllib.parse.urlsplit(headers["Location"])
    assert location.path == "/slack/oauth_redirect"
    return dict(urllib.parse.parse_qsl(location.query))


def test_allow_redirects_with_a_code_that_oauth_v2_access_exchanges_once(slack):
    page = _authorize(slack)
    assert "commands,chat:write" in page
    back = _follow(slack, page, f"allow-{slack.team_id}")
    assert back["state"] == "st4te" and back["code"]
    oauth = WebClient(base_url=slack.base_url, timeout=5)
    answer = oauth.oauth_v2_access(client_id=slack.client_id, client_secret=slack.client_secret, code=back["code"],
                                   redirect_uri="http://127.0.0.1:9/slack/oauth_redirect")
    assert answer["team"] == {"id": slack.team_id, "name": "Fake Workspace"}
    assert answer["token_type"] == "bot" and answer["scope"] == "commands,chat:write"
    token = answer["access_token"]
    assert token.startswith("xoxb-") and token != slack.token and "refresh_token" not in answer
    assert WebClient(token=token, base_url=slack.base_url).auth_test()["team_id"] == slack.team_id
    with pytest.raises(SlackApiError) as reused:
        oauth.oauth_v2_access(client_id=slack.client_id, client_secret=slack.client_secret, code=back["code"])
    assert reused.value.response["error"] == "invalid_code"


def test_oauth_v2_access_refuses_wrong_credentials_codes_and_redirect_uris(slack):
    back = _follow(slack, _authorize(slack), f"allow-{slack.team_id}")
    oauth = WebClient(base_url=slack.base_url, timeout=5)
    cases = [({"client_id": slack.client_id, "client_secret": "wrong", "code": back["code"]}, "bad_client_secret"),
             ({"client_id": "999.999", "client_secret": slack.client_secret, "code": back["code"]},
              "invalid_client_id"),
             ({"client_id": slack.client_id, "client_secret": slack.client_secret, "code": "made-up"}, "invalid_code"),
             ({"client_id": slack.client_id, "client_secret": slack.client_secret, "code": back["code"],
               "redirect_uri": "https://elsewhere.example/cb"}, "bad_redirect_uri")]
    for arguments, error in cases:
        with pytest.raises(SlackApiError) as refused:
            oauth.oauth_v2_access(**arguments)
        assert refused.value.response["error"] == error
    slack.advance_clock(601)  # codes last ten minutes
    with pytest.raises(SlackApiError) as expired:
        oauth.oauth_v2_access(client_id=slack.client_id, client_secret=slack.client_secret, code=back["code"])
    assert expired.value.response["error"] == "invalid_code"


def test_cancel_redirects_with_access_denied_and_the_state(slack):
    back = _follow(slack, _authorize(slack, state="abc"), "cancel")
    assert back == {"error": "access_denied", "state": "abc"}


def test_an_authorize_request_is_answered_once_and_needs_the_apps_client_id(slack):
    page = _authorize(slack)
    _follow(slack, page, "cancel")
    status, _, _ = _get(f"http://127.0.0.1:{slack.port}{_link(page, f'allow-{slack.team_id}')}")
    assert status == 400
    status, _, text = _get(f"http://127.0.0.1:{slack.port}/oauth/v2/authorize?client_id=nope&state=x&redirect_uri=y")
    assert status == 400 and "client_id" in text


def test_each_workspace_gets_its_own_token_and_auth_test_answers_with_its_team(slack):
    other = slack.add_workspace("T0000OTHER", "Other & Co")
    page = _authorize(slack)
    assert "Other &amp; Co" in page
    back = _follow(slack, page, f"allow-{other.team_id}")
    oauth = WebClient(base_url=slack.base_url, timeout=5)
    answer = oauth.oauth_v2_access(client_id=slack.client_id, client_secret=slack.client_secret, code=back["code"])
    assert answer["team"]["id"] == other.team_id and answer["bot_user_id"] == other.bot_user_id
    me = WebClient(token=answer["access_token"], base_url=slack.base_url).auth_test()
    assert (me["team_id"], me["team"], me["bot_id"]) == (other.team_id, "Other & Co", other.bot_id)
    assert WebClient(token=slack.token, base_url=slack.base_url).auth_test()["team_id"] == slack.team_id
    assert slack.issued_tokens(other.team_id) == [answer["access_token"]]
    with pytest.raises(SlackApiError) as unknown:
        WebClient(token="xoxb-never-issued", base_url=slack.base_url).auth_test()
    assert unknown.value.response["error"] == "invalid_auth"


def test_rotating_tokens_expire_and_a_refresh_token_works_once():
    with FakeSlack(token_rotation=True) as slack:
        back = _follow(slack, _authorize(slack), f"allow-{slack.team_id}")
        oauth = WebClient(base_url=slack.base_url, timeout=5)
        first = oauth.oauth_v2_access(client_id=slack.client_id, client_secret=slack.client_secret, code=back["code"])
        assert first["access_token"].startswith("xoxe.xoxb-1-") and first["expires_in"] == 43200
        refreshed = oauth.oauth_v2_access(client_id=slack.client_id, client_secret=slack.client_secret,
                                          grant_type="refresh_token", refresh_token=first["refresh_token"])
        assert refreshed["access_token"] != first["access_token"]
        assert refreshed["refresh_token"] != first["refresh_token"] and refreshed["expires_in"] == 43200
        with pytest.raises(SlackApiError) as reused:
            oauth.oauth_v2_access(client_id=slack.client_id, client_secret=slack.client_secret,
                                  grant_type="refresh_token", refresh_token=first["refresh_token"])
        assert reused.value.response["error"] == "invalid_refresh_token"
        slack.advance_clock(43200)
        with pytest.raises(SlackApiError) as expired:
            WebClient(token=first["access_token"], base_url=slack.base_url).auth_test()
        assert expired.value.response["error"] == "token_expired"


def test_a_non_marketplace_team_gets_fifteen_messages_a_minute_of_history(slack, client):
    slack.scopes.add("channels:history")
    for n in range(20):
        client.chat_postMessage(channel=PUBLIC, text=f"message {n}")
    assert len(client.conversations_history(channel=PUBLIC, limit=200)["messages"]) == 20  # not rationed yet
    slack.non_marketplace()
    first = client.conversations_history(channel=PUBLIC, limit=200)
    assert [m["text"] for m in first["messages"]] == [f"message {n}" for n in range(19, 4, -1)]  # capped at 15
    assert first["has_more"] and first["response_metadata"]["next_cursor"]
    with pytest.raises(SlackApiError) as refused:  # a second call within the minute
        client.conversations_history(channel=PUBLIC, cursor=first["response_metadata"]["next_cursor"])
    assert refused.value.response.status_code == 429 and refused.value.response["error"] == "ratelimited"
    assert 55 <= int(refused.value.response.headers["Retry-After"]) <= 60
    slack.advance_clock(60)
    rest = client.conversations_history(channel=PUBLIC, cursor=first["response_metadata"]["next_cursor"])
    assert [m["text"] for m in rest["messages"]] == [f"message {n}" for n in range(4, -1, -1)]
    assert not rest["has_more"] and "response_metadata" not in rest
    assert [c.status for c in slack.calls("conversations.history")] == [200, 200, 429, 200]
# ---- modals: views.open / update / push ------------------------------------------------------

MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "A form"},
         "submit": {"type": "plain_text", "text": "Go"},
         "blocks": [{"type": "input", "block_id": "b", "label": {"type": "plain_text", "text": "Name"},
                     "element": {"type": "plain_text_input", "action_id": "a"}}]}


def test_views_open_takes_only_its_own_fresh_triggers_once(slack: FakeSlack, client: WebClient) -> None:
    trigger = slack.issue_trigger(ALICE)
    view = client.views_open(trigger_id=trigger, view=MODAL)["view"]
    assert view["type"] == "modal" and view["id"].startswith("V") and "user" not in view
    assert [m["user"] for m in slack.modals()] == [ALICE] and slack.modals(BOB) == []
    again = error_of(lambda: client.views_open(trigger_id=trigger, view=MODAL))
    assert again.response["error"] == "exchanged_trigger_id"
    never = error_of(lambda: client.views_open(trigger_id="123.456.abc", view=MODAL))
    assert never.response["error"] == "invalid_trigger_id"
    late = slack.issue_trigger(ALICE)
    slack.advance_clock(3.5)
    assert error_of(lambda: client.views_open(trigger_id=late, view=MODAL)).response["error"] == "expired_trigger_id"


@pytest.mark.parametrize("change", [
    {"type": "home"},
    {"title": {"type": "plain_text", "text": "A title that is far too long"}},
    {"title": {"type": "mrkdwn", "text": "Form"}},
    {"submit": None},
    {"blocks": [{"type": "input", "label": {"type": "plain_text", "text": "x"}, "element": {"type": "nope"}}]},
    {"private_metadata": "x" * 3001},
])
def test_views_open_refuses_what_slack_refuses(slack: FakeSlack, client: WebClient, change: dict) -> None:
    view = {k: v for k, v in {**MODAL, **change}.items() if v is not None}
    error = error_of(lambda: client.views_open(trigger_id=slack.issue_trigger(ALICE), view=view))
    assert error.response["error"] == "invalid_arguments"
    assert slack.modals() == []


def test_views_update_and_push(slack: FakeSlack, client: WebClient) -> None:
    opened = client.views_open(trigger_id=slack.issue_trigger(ALICE), view=MODAL)["view"]
    renamed = {**MODAL, "title": {"type": "plain_text", "text": "Renamed"}}
    updated = client.views_update(view_id=opened["id"], view=renamed, hash=opened["hash"])["view"]
    assert updated["id"] == opened["id"] and updated["title"]["text"] == "Renamed"
    stale = error_of(lambda: client.views_update(view_id=opened["id"], view=MODAL, hash=opened["hash"]))
    assert stale.response["error"] == "hash_conflict"
    assert error_of(lambda: client.views_update(view_id="V404", view=MODAL)).response["error"] == "not_found"
    second = client.views_push(trigger_id=slack.issue_trigger(ALICE), view=MODAL)["view"]
    assert second["root_view_id"] == opened["id"] and second["previous_view_id"] == opened["id"]
    client.views_push(trigger_id=slack.issue_trigger(ALICE), view=MODAL)
    full = error_of(lambda: client.views_push(trigger_id=slack.issue_trigger(ALICE), view=MODAL))
    assert full.response["error"] == "push_limit_reached"
    assert len(slack.modals(ALICE)) == 3
# ---- threads (issue 14) ----------------------------------------------------------------------

def test_a_reply_lives_in_its_parents_thread_not_in_the_channel_history(slack: FakeSlack, client: WebClient) -> None:
    slack.scopes.add("channels:history")
    parent = client.chat_postMessage(channel=PUBLIC, text="parent")["ts"]
    reply = client.chat_postMessage(channel=PUBLIC, text="reply", thread_ts=parent,
                                    metadata={"event_type": "part", "event_payload": {"n": 1}})["ts"]
    history = client.conversations_history(channel=PUBLIC)["messages"]
    assert [m["text"] for m in history] == ["parent"]
    assert (history[0]["reply_count"], history[0]["latest_reply"], history[0]["thread_ts"]) == (1, reply, parent)
    assert [m["text"] for m in slack.top_level(PUBLIC)] == ["parent"]
    assert [m["ts"] for m in slack.replies(PUBLIC, parent)] == [reply]


def test_a_broadcast_reply_is_in_the_thread_and_the_channel(slack: FakeSlack, client: WebClient) -> None:
    slack.scopes.add("channels:history")
    parent = client.chat_postMessage(channel=PUBLIC, text="parent")["ts"]
    client.chat_postMessage(channel=PUBLIC, text="also here", thread_ts=parent, reply_broadcast=True)
    history = client.conversations_history(channel=PUBLIC)["messages"]
    assert [(m["text"], m.get("subtype")) for m in history] == [("also here", "thread_broadcast"), ("parent", None)]
    assert [m["text"] for m in slack.replies(PUBLIC, parent)] == ["also here"]


def test_conversations_replies_gives_the_parent_then_the_replies_with_metadata_on_request(
        slack: FakeSlack, client: WebClient) -> None:
    slack.scopes.add("channels:history")
    parent = client.chat_postMessage(channel=PUBLIC, text="parent")["ts"]
    for n in range(3):
        client.chat_postMessage(channel=PUBLIC, text=f"r{n}", thread_ts=parent,
                                metadata={"event_type": "part", "event_payload": {"n": n}})
    plain = client.conversations_replies(channel=PUBLIC, ts=parent)["messages"]
    assert [m["text"] for m in plain] == ["parent", "r0", "r1", "r2"] and "metadata" not in plain[1]
    with_meta = client.conversations_replies(channel=PUBLIC, ts=parent, include_all_metadata=True)["messages"]
    assert [m["metadata"]["event_payload"]["n"] for m in with_meta[1:]] == [0, 1, 2]
    first = client.conversations_replies(channel=PUBLIC, ts=parent, limit=2)
    assert first["has_more"] and [m["text"] for m in first["messages"]] == ["parent", "r0"]
    rest = client.conversations_replies(channel=PUBLIC, ts=parent, limit=2,
                                        cursor=first["response_metadata"]["next_cursor"])
    assert not rest["has_more"] and [m["text"] for m in rest["messages"]] == ["r1", "r2"]


def test_conversations_replies_refuses_an_unknown_thread_and_needs_the_history_scope(
        slack: FakeSlack, client: WebClient) -> None:
    slack.scopes.add("channels:history")
    assert error_of(lambda: client.conversations_replies(channel=PUBLIC, ts="1.000001")).response["error"] == \
        "thread_not_found"
    parent = client.chat_postMessage(channel=PUBLIC, text="parent")["ts"]
    slack.scopes.discard("channels:history")
    assert error_of(lambda: client.conversations_replies(channel=PUBLIC, ts=parent)).response["error"] == \
        "missing_scope"


def test_a_file_shared_with_thread_ts_is_a_reply_in_that_thread(slack: FakeSlack, client: WebClient) -> None:
    slack.scopes.add("channels:history")
    parent = client.chat_postMessage(channel=PUBLIC, text="parent")["ts"]
    client.files_upload_v2(channel=PUBLIC, content=PNG, filename="gap.png", title="The gap", thread_ts=parent)
    [shared] = slack.files(PUBLIC)
    assert shared.thread_ts == parent
    [reply] = slack.replies(PUBLIC, parent)
    assert reply["files"][0]["name"] == "gap.png"
    assert [m["text"] for m in client.conversations_history(channel=PUBLIC)["messages"]] == ["parent"]
# ---- rate limits (off unless enforced; the benchmarks' multi-workspace fan-out turns them on) ----

def test_rate_limits_are_off_by_default_and_enforced_per_channel_and_workspace_when_asked(slack, client):
    from tests.fakes.slack_api import RateLimit

    slack.add_channel("C0000RATE2", "rate-two")
    for _ in range(3):  # off: any number of posts
        client.chat_postMessage(channel=PUBLIC, text="hi")
    slack.enforce_rate_limits({"chat.postMessage": [RateLimit(per_minute=6, burst=1, per_channel=True),
                                                   RateLimit(per_minute=6, burst=2)]})
    client.chat_postMessage(channel=PUBLIC, text="one")
    with pytest.raises(SlackApiError) as same_channel:  # a second post to the channel before its next token
        client.chat_postMessage(channel=PUBLIC, text="two")
    assert same_channel.value.response.status_code == 429
    assert same_channel.value.response.headers["Retry-After"] == "10"  # a token every 10 s
    client.chat_postMessage(channel="C0000RATE2", text="other channel")  # the workspace's burst of 2
    slack.add_channel("C0000RATE3", "rate-three")
    with pytest.raises(SlackApiError) as workspace:  # the workspace-wide bucket is empty now
        client.chat_postMessage(channel="C0000RATE3", text="third channel")
    assert workspace.value.response.status_code == 429
    assert [c.status for c in slack.calls("chat.postMessage")][-4:] == [200, 429, 200, 429]
    client.auth_test()  # methods without a limit are not counted
    slack.enforce_rate_limits({})
    client.chat_postMessage(channel="C0000RATE3", text="off again")
