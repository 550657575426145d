"""The briefing commands against the Slack stand-in, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import time

import pytest

from handlers import subscriptions as texts
from handlers.errors import UserFacingError
from handlers.queries import BriefingQuery, SubscribeQuery, SubscriptionsQuery, UnsubscribeQuery
from tests.bot.briefings.support import (
    TEAM_B,
    WORKSPACE,
    briefings,
    dumps,
    here,
    in_b,
    subscribe_friday,
    two_workspaces,
)
from tests.conftest import CHANNEL


class TestSubscribing:
    """`/reset subscribe`, `subscriptions` and `unsubscribe`: what is recorded and what the channel is told."""

    def test_defaults_are_monday_nine_in_the_subscribers_slack_time_zone(self, service, slack):
        reply = service.commands.handle(SubscribeQuery(), here())
        text = dumps(reply.blocks)
        assert "every Monday at 09:00 Europe/Berlin" in text
        assert "Mon 30 Nov 2026 09:00 CET (08:00 UTC)" in text
        assert reply.visibility == "in_channel"

    def test_the_confirmation_shows_the_next_time_locally_and_in_utc(self, service, slack):
        text = dumps(subscribe_friday(service).blocks)
        assert "Fri 27 Nov 2026 16:30 GMT (16:30 UTC)" in text

    def test_a_public_channel_the_bot_is_not_in_is_joined(self, service, slack):
        slack.add_channel("C0000PUB02", "markets", bot_member=False)
        subscribe_friday(service, "C0000PUB02")
        assert [c.method for c in slack.calls("conversations.join")] == ["conversations.join"]
        assert service.storage.subscriptions.in_channel(WORKSPACE, "C0000PUB02")

    def test_a_private_channel_the_bot_is_not_in_gets_the_exact_invite_and_nothing_is_recorded(self, service, slack):
        slack.add_channel("G0000PRIV2", "secret", private=True, bot_member=False)
        with pytest.raises(UserFacingError, match=r"`/invite @Reset Bot`"):
            subscribe_friday(service, "G0000PRIV2")
        assert service.storage.subscriptions.in_channel(WORKSPACE, "G0000PRIV2") == []

    def test_listing_shows_the_next_delivery_and_state(self, service, slack):
        subscribe_friday(service)
        text = dumps(service.commands.handle(SubscriptionsQuery(), here()).blocks)
        assert "every Friday at 16:30 Europe/London" in text and "active" in text

    def test_unsubscribing_with_several_asks_which_one(self, service, slack):
        subscribe_friday(service)
        service.commands.handle(SubscribeQuery(day="mon", at=time(9, 0), timezone="UTC"), here())
        ask = service.commands.handle(UnsubscribeQuery(), here())
        assert "Which one" in dumps(ask.blocks)
        assert len(service.storage.subscriptions.in_channel(WORKSPACE, CHANNEL)) == 2
        service.commands.handle(UnsubscribeQuery(number=2), here())
        [left] = service.storage.subscriptions.in_channel(WORKSPACE, CHANNEL)
        assert left.weekday == "fri"


class TestSendingNow:
    """`/reset briefing`: one now, claimed in the ledger like a scheduled slot."""

    def test_send_now_posts_a_briefing_and_records_it(self, service, slack):
        assert service.commands.handle(BriefingQuery(), here()) is None
        assert len(briefings(slack)) == 1
        assert service.storage.ledger.rows()[0].kind == "now"

    def test_a_send_now_whose_turn_comes_after_a_stop_began_is_given_back_and_the_asker_told(self, make_service,
                                                                                              slack):
        from bot.briefings.pacing import Pacer
        from bot.briefings.recovery import RELEASED

        def pace(seconds):  # while it waits for its turn, a deploy stops the bot
            service.fanout.stop_posting()

        service = make_service(pacer=Pacer(per_second=10, clock=lambda: 0.0, sleep=pace))
        service.fanout.pacer.wait(CHANNEL, WORKSPACE)  # this channel's next turn is a second away
        reply = service.commands.handle(BriefingQuery(), here())
        assert reply is not None and "restarting" in reply.text
        assert briefings(slack) == []
        [row] = service.storage.ledger.rows()
        assert (row.status, row.error) == ("failed", RELEASED)


class TestWorkspaces:
    """Two workspaces, each subscribing a channel with the same id: a command from B never lists,
    changes or triggers A's subscriptions, and every Slack call goes to the asker's workspace."""

    @pytest.fixture
    def both(self, make_service, settings, slack, slack_b):
        service = two_workspaces(make_service, settings, slack, slack_b)
        subscribe_friday(service)  # A: Friday 16:30 London
        service.commands.handle(SubscribeQuery(day="mon", at=time(9, 0)), in_b())  # B: Monday, in B's user's zone
        return service

    def test_each_workspace_lists_only_its_own(self, both):
        a = dumps(both.commands.handle(SubscriptionsQuery(), here()).blocks)
        b = dumps(both.commands.handle(SubscriptionsQuery(), in_b()).blocks)
        assert "Friday at 16:30 Europe/London" in a and "Monday" not in a
        assert "Monday at 09:00 Asia/Tokyo" in b and "Friday" not in b  # B's time zone came from B's Slack
        [sub_b] = both.storage.subscriptions.in_channel(TEAM_B, CHANNEL)
        assert sub_b.workspace == TEAM_B  # with its Enterprise Grid id, for an org-wide install's token

    def test_b_unsubscribing_stops_bs_and_never_as(self, both):
        stopped = dumps(both.commands.handle(UnsubscribeQuery(number=1), in_b()).blocks)
        assert "Monday" in stopped
        assert both.storage.subscriptions.in_channel(TEAM_B, CHANNEL) == []
        again = both.commands.handle(UnsubscribeQuery(), in_b())  # B has nothing left; A's is not offered
        assert dumps(again.blocks) == dumps(texts.nothing_to_stop().blocks)
        [kept] = both.storage.subscriptions.in_channel(WORKSPACE, CHANNEL)
        assert (kept.weekday, kept.state) == ("fri", "active")

    def test_a_send_now_from_b_posts_in_b_only_and_is_recorded_as_bs(self, both, slack, slack_b):
        assert both.commands.handle(BriefingQuery(), in_b()) is None
        assert len(briefings(slack_b)) == 1 and briefings(slack) == []
        [row] = both.storage.ledger.rows(workspace=TEAM_B)
        assert (row.kind, row.status, row.team_id, row.enterprise_id) == ("now", "sent", "T0000FAKE2", "E0000GRID2")
        assert row.message_ts == briefings(slack_b)[0]["ts"]
        assert both.storage.ledger.rows(workspace=WORKSPACE) == []

    def test_the_same_second_send_now_in_both_workspaces_posts_in_both(self, both, slack, slack_b):
        both.commands.handle(BriefingQuery(), here())
        both.commands.handle(BriefingQuery(), in_b())  # same channel id, same second: another workspace's slot
        assert len(briefings(slack)) == 1 and len(briefings(slack_b)) == 1
