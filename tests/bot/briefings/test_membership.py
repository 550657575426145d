"""What the briefings ask Slack (bot/briefings/membership.py), against the Slack stand-in over HTTP:
a subscriber's time zone, joining a public channel, the exact `/invite` for the rest, whether a
channel can still be posted to."""

from __future__ import annotations

import pytest

from bot.briefings.membership import Membership
from bot.slack.app import briefing_client
from bot.slack.delivery import Destination, one_client
from handlers.errors import UserFacingError
from handlers.queries import SubscribeQuery
from handlers.subscriptions import ARCHIVED, NO_TIMEZONE_NOTE
from tests.bot.briefings.support import WORKSPACE
from tests.conftest import CHANNEL, USER

INVITE = r"Run `/invite @Reset Bot` in this channel, then subscribe again\."
PUBLIC, PRIVATE, DM = "C0000PUB02", "G0000PRIV2", "D0000USER1"


@pytest.fixture
def membership(settings) -> Membership:
    """As `build_briefings` makes it: on the briefing client, talking HTTP to the stand-in."""
    return Membership(one_client(briefing_client(settings)))


class TestUserTimezone:
    def test_is_the_zone_in_the_users_slack_profile(self, membership, slack):
        slack.add_user("U0000NYC01", tz="America/New_York")
        assert membership.user_timezone(WORKSPACE, USER) == "Europe/Berlin"
        assert membership.user_timezone(WORKSPACE, "U0000NYC01") == "America/New_York"

    def test_without_a_user_slack_is_not_asked(self, membership, slack):
        assert membership.user_timezone(WORKSPACE, None) is None and membership.user_timezone(WORKSPACE, "") is None
        assert slack.calls("users.info") == []

    def test_a_user_slack_does_not_know_has_none(self, membership, slack):
        assert membership.user_timezone(WORKSPACE, "U0000GONE9") is None

    def test_without_the_users_read_scope_there_is_none(self, membership, slack):
        slack.scopes.discard("users:read")
        assert membership.user_timezone(WORKSPACE, USER) is None
        assert slack.calls("users.info")[0].response["error"] == "missing_scope"

    @pytest.mark.parametrize("fault", [{"status": 500}, {"error": "fatal_error"}, {"drop_connection": True}],
                             ids=["server_error", "refused", "dropped"])
    def test_when_slack_cannot_answer_there_is_none_and_no_exception(self, membership, slack, fault):
        slack.fail_next("users.info", **fault)
        assert membership.user_timezone(WORKSPACE, USER) is None

    def test_none_makes_a_subscription_fall_back_to_utc_and_say_so(self, service, slack):
        slack.add_member(CHANNEL, "U0000NOTZ1")  # a member Slack has no profile for
        reply = service.commands.handle(SubscribeQuery(), Destination(CHANNEL, "U0000NOTZ1", None, "T0000FAKE1"))
        text = reply.blocks[0]["text"]["text"]
        assert "every Monday at 09:00 UTC" in text and NO_TIMEZONE_NOTE.strip() in text
        assert service.storage.subscriptions.in_channel(WORKSPACE, CHANNEL)[0].timezone == "UTC"


class TestEnsureMember:
    def test_a_channel_the_bot_is_in_needs_nothing(self, membership, slack):
        membership.ensure_member(WORKSPACE, CHANNEL)
        assert slack.calls("conversations.join") == []

    def test_a_public_channel_the_bot_is_not_in_is_joined(self, membership, slack):
        slack.add_channel(PUBLIC, "markets", bot_member=False)
        membership.ensure_member(WORKSPACE, PUBLIC)
        assert [c.params["channel"] for c in slack.calls("conversations.join")] == [PUBLIC]
        assert slack.channel(PUBLIC).bot_member

    def test_the_bots_own_dm_needs_no_join(self, membership, slack):
        slack.add_channel(DM, im=True, user=USER)
        membership.ensure_member(WORKSPACE, DM)
        assert slack.calls("conversations.join") == []

    def test_a_private_channel_the_bot_is_not_in_gets_the_exact_invite_and_no_join(self, membership, slack):
        slack.add_channel(PRIVATE, "secret", private=True, bot_member=False)
        with pytest.raises(UserFacingError, match=INVITE):
            membership.ensure_member(WORKSPACE, PRIVATE)
        assert slack.calls("conversations.join") == []

    def test_a_channel_that_does_not_exist_gets_the_invite(self, membership, slack):
        with pytest.raises(UserFacingError, match=INVITE):
            membership.ensure_member(WORKSPACE, "C0000NONE9")

    def test_an_archived_channel_is_refused_as_archived_without_a_join(self, membership, slack):
        slack.add_channel(PUBLIC, "old", bot_member=False, archived=True)
        with pytest.raises(UserFacingError) as error:
            membership.ensure_member(WORKSPACE, PUBLIC)
        assert error.value.message == ARCHIVED
        assert slack.calls("conversations.join") == []

    def test_an_archived_channel_the_bot_is_in_is_refused_too(self, membership, slack):
        slack.archive(CHANNEL)
        with pytest.raises(UserFacingError, match="archived"):
            membership.ensure_member(WORKSPACE, CHANNEL)

    def test_a_join_slack_refuses_gets_the_invite(self, membership, slack):
        slack.add_channel(PUBLIC, "markets", bot_member=False)
        slack.fail_next("conversations.join", error="restricted_action")
        with pytest.raises(UserFacingError, match=INVITE):
            membership.ensure_member(WORKSPACE, PUBLIC)
        assert not slack.channel(PUBLIC).bot_member

    def test_without_the_join_scope_the_user_is_told_to_invite(self, membership, slack):
        slack.add_channel(PUBLIC, "markets", bot_member=False)
        slack.scopes.discard("channels:join")
        with pytest.raises(UserFacingError, match=INVITE):
            membership.ensure_member(WORKSPACE, PUBLIC)


class TestCanPost:
    def test_a_channel_the_bot_is_in_can_be_posted_to(self, membership, slack):
        assert membership.can_post(WORKSPACE, CHANNEL) is True

    def test_the_bots_dm_can_be_posted_to(self, membership, slack):
        slack.add_channel(DM, im=True, user=USER)
        assert membership.can_post(WORKSPACE, DM) is True

    def test_a_public_channel_the_bot_left_cannot_and_is_not_rejoined(self, membership, slack):
        slack.set_bot_member(CHANNEL, False)
        assert membership.can_post(WORKSPACE, CHANNEL) is False
        assert slack.calls("conversations.join") == []

    def test_an_archived_channel_cannot(self, membership, slack):
        slack.archive(CHANNEL)
        assert membership.can_post(WORKSPACE, CHANNEL) is False

    @pytest.mark.parametrize("channel", [PRIVATE, "C0000NONE9"], ids=["private_without_the_bot", "unknown"])
    def test_a_channel_the_bot_cannot_see_cannot(self, membership, slack, channel):
        slack.add_channel(PRIVATE, "secret", private=True, bot_member=False)
        assert membership.can_post(WORKSPACE, channel) is False

    @pytest.mark.parametrize("fault", [{"status": 503}, {"drop_connection": True}], ids=["outage", "dropped"])
    def test_when_slack_cannot_answer_the_answer_is_no(self, membership, slack, fault):
        slack.fail_next("conversations.info", **fault)
        assert membership.can_post(WORKSPACE, CHANNEL) is False
