"""`handlers.subscriptions`: what `/reset subscribe`, `subscriptions` and `unsubscribe` say, and how a weekly
schedule and a slot are written — the slot in the subscriber's time zone, then in UTC, across DST changes."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from handlers.reply import RUN_ACTION
from handlers.subscriptions import (
    ARCHIVED,
    DAY_NAMES,
    NO_TIMEZONE_NOTE,
    Listed,
    describe,
    invite_hint,
    listing,
    local_and_utc,
    no_briefings,
    no_such_briefing,
    nothing_to_stop,
    pause_reason,
    stopped,
    subscribed,
    which_to_stop,
)

UTC = timezone.utc
FRIDAY_WINTER = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
FRIDAY_SUMMER = datetime(2026, 7, 3, 15, 30, tzinfo=UTC)


def body(reply) -> str:
    return reply.blocks[0]["text"]["text"]


class TestDescribe:
    def test_a_schedule_reads_as_every_day_at_time_zone(self):
        assert describe("fri", "16:30", "Europe/London") == "every Friday at 16:30 Europe/London"

    @pytest.mark.parametrize("short, name", list(DAY_NAMES.items()))
    def test_every_weekday_is_spelled_out(self, short, name):
        assert describe(short, "09:00", "UTC") == f"every {name} at 09:00 UTC"

    def test_an_unknown_weekday_is_a_key_error(self):
        with pytest.raises(KeyError):
            describe("fry", "09:00", "UTC")


class TestLocalAndUtc:
    def test_a_winter_slot_in_london_is_gmt_and_the_same_in_utc(self):
        assert local_and_utc(FRIDAY_WINTER, "Europe/London") == "Fri 27 Nov 2026 16:30 GMT (16:30 UTC)"

    def test_a_summer_slot_in_london_is_bst_an_hour_ahead_of_utc(self):
        assert local_and_utc(FRIDAY_SUMMER, "Europe/London") == "Fri 03 Jul 2026 16:30 BST (15:30 UTC)"

    def test_new_york_is_five_hours_behind_in_winter_and_four_in_summer(self):
        assert local_and_utc(FRIDAY_WINTER, "America/New_York") == "Fri 27 Nov 2026 11:30 EST (16:30 UTC)"
        assert local_and_utc(FRIDAY_SUMMER, "America/New_York") == "Fri 03 Jul 2026 11:30 EDT (15:30 UTC)"

    def test_the_local_date_is_the_local_day_when_it_differs_from_utcs(self):
        assert local_and_utc(datetime(2026, 3, 29, 0, 30, tzinfo=UTC), "America/New_York") == \
            "Sat 28 Mar 2026 20:30 EDT (00:30 UTC)"

    def test_the_hour_the_clocks_go_forward_is_skipped(self):
        before = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # Europe's change is at 01:00 UTC
        after = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
        assert local_and_utc(before, "Europe/London") == "Sun 29 Mar 2026 00:30 GMT (00:30 UTC)"
        assert local_and_utc(after, "Europe/London") == "Sun 29 Mar 2026 02:30 BST (01:30 UTC)"

    def test_the_repeated_hour_when_clocks_go_back_is_told_apart_by_its_zone_and_utc(self):
        first = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
        second = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
        assert local_and_utc(first, "America/New_York") == "Sun 01 Nov 2026 01:30 EDT (05:30 UTC)"
        assert local_and_utc(second, "America/New_York") == "Sun 01 Nov 2026 01:30 EST (06:30 UTC)"

    def test_half_hour_zones_are_shown_to_the_minute(self):
        assert local_and_utc(FRIDAY_WINTER, "Asia/Kolkata") == "Fri 27 Nov 2026 22:00 IST (16:30 UTC)"

    def test_the_same_instant_given_in_another_zone_reads_the_same(self):
        in_tokyo = FRIDAY_WINTER.astimezone(ZoneInfo("Asia/Tokyo"))
        assert local_and_utc(in_tokyo, "Europe/London") == "Fri 27 Nov 2026 16:30 GMT (16:30 UTC)"


class TestSubscribed:
    def test_the_confirmation_is_posted_to_the_channel_with_the_next_slot(self):
        reply = subscribed("fri", "16:30", "Europe/London", FRIDAY_WINTER, tz_guessed=False)
        assert reply.visibility == "in_channel"
        assert body(reply) == (
            ":white_check_mark: This channel will get the Reset Bot briefing every Friday at 16:30 Europe/London.\n"
            "Next: *Fri 27 Nov 2026 16:30 GMT (16:30 UTC)*. `/reset briefing` sends one now; "
            "`/reset unsubscribe` stops it.")

    def test_a_guessed_time_zone_is_owned_up_to_with_how_to_fix_it(self):
        reply = subscribed("mon", "09:00", "UTC", datetime(2026, 11, 30, 9, 0, tzinfo=UTC), tz_guessed=True)
        assert f"every Monday at 09:00 UTC.{NO_TIMEZONE_NOTE}\n" in body(reply)
        assert "I couldn't read your Slack time zone, so I used UTC" in NO_TIMEZONE_NOTE
        assert "`Europe/London`" in NO_TIMEZONE_NOTE

    def test_the_fallback_text_has_no_markup(self):
        reply = subscribed("fri", "16:30", "Europe/London", FRIDAY_WINTER, tz_guessed=False)
        assert "*" not in reply.text and "`" not in reply.text
        assert "Next: Fri 27 Nov 2026 16:30 GMT (16:30 UTC)." in reply.text


class TestListing:
    def test_no_briefings_suggests_a_working_subscribe_command(self):
        reply = no_briefings()
        assert body(reply) == "This channel has no briefings. Try `/reset subscribe weekly fri 16:30 Europe/London`."
        assert reply.visibility == "ephemeral"

    def test_each_briefing_is_numbered_with_its_schedule_and_next_slot(self):
        reply = listing([
            Listed("fri", "16:30", "Europe/London", FRIDAY_WINTER, paused=False, pause_reason=None),
            Listed("mon", "09:00", "America/New_York", datetime(2026, 11, 30, 14, 0, tzinfo=UTC), paused=False,
                   pause_reason=None, last_status="delivered", last_slot=datetime(2026, 11, 23, 14, 0, tzinfo=UTC)),
        ])
        assert reply.visibility == "ephemeral"
        assert body(reply) == (
            "*Briefings in this channel*\n"
            "*1.* every Friday at 16:30 Europe/London — next Fri 27 Nov 2026 16:30 GMT (16:30 UTC) (active)\n"
            "*2.* every Monday at 09:00 America/New_York — next Mon 30 Nov 2026 09:00 EST (14:00 UTC) "
            "(active; last: delivered 23 Nov 14:00 UTC)")

    def test_a_paused_briefing_says_why(self):
        reply = listing([Listed("fri", "16:30", "UTC", FRIDAY_WINTER, paused=True,
                                pause_reason=pause_reason("is_archived"))])
        assert "(:double_vertical_bar: paused — the channel is archived)" in body(reply)

    def test_the_fallback_text_lists_them_without_markup(self):
        reply = listing([Listed("fri", "16:30", "UTC", FRIDAY_WINTER, paused=False, pause_reason=None)])
        assert reply.text == ("Briefings in this channel: 1. every Friday at 16:30 UTC — next "
                              "Fri 27 Nov 2026 16:30 UTC (16:30 UTC) (active)")


class TestStopping:
    def test_nothing_to_stop_says_so(self):
        assert body(nothing_to_stop()) == "This channel has no briefings to stop."
        assert nothing_to_stop().visibility == "ephemeral"

    def test_several_briefings_get_a_stop_button_each(self):
        reply = which_to_stop([("fri", "16:30", "Europe/London"), ("mon", "09:00", "UTC")])
        assert reply.visibility == "ephemeral"
        assert body(reply) == ("This channel has several briefings. Which one should stop?\n"
                               "*1.* every Friday at 16:30 Europe/London\n*2.* every Monday at 09:00 UTC")
        actions = reply.blocks[1]
        assert actions["block_id"] == "unsubscribe"
        assert [(b["text"]["text"], b["value"]) for b in actions["elements"]] == [
            ("Stop 1", "unsubscribe 1"), ("Stop 2", "unsubscribe 2")]
        assert all(b["action_id"].startswith(RUN_ACTION) for b in actions["elements"])

    def test_a_number_out_of_range_points_to_the_list(self):
        assert no_such_briefing(4, 2) == "There is no briefing 4 here; `/reset subscriptions` lists them (1–2)."

    def test_a_stopped_briefing_is_announced_to_the_channel(self):
        reply = stopped("fri", "16:30", "Europe/London")
        assert body(reply) == "Stopped the briefing every Friday at 16:30 Europe/London."
        assert reply.visibility == "in_channel"


class TestDeliveryProblems:
    def test_an_archived_channel_cannot_get_briefings(self):
        assert invite_hint("is_archived") == ARCHIVED == "This channel is archived, so it cannot get briefings."

    @pytest.mark.parametrize("code", ["not_in_channel", "channel_not_found"])
    def test_otherwise_the_bot_asks_to_be_invited(self, code):
        assert invite_hint(code) == ("I'm not a member of this conversation, so I can't deliver briefings here. "
                                     "Run `/invite @Reset Bot` in this channel, then subscribe again.")

    @pytest.mark.parametrize("code, reason", [
        ("not_in_channel", "the bot was removed from the channel — `/invite @Reset Bot` to resume"),
        ("channel_not_found", "the bot cannot see this channel — `/invite @Reset Bot` to resume"),
        ("is_archived", "the channel is archived"),
    ])
    def test_each_known_pause_has_its_reason_in_words(self, code, reason):
        assert pause_reason(code) == reason

    def test_an_unknown_pause_shows_slacks_code(self):
        assert pause_reason("account_inactive") == "account_inactive"


class TestBriefingForms:
    def test_the_confirmation_says_how_the_briefing_will_arrive(self):
        threaded = body(subscribed("fri", "16:30", "Europe/London", FRIDAY_WINTER, tz_guessed=False, form="threaded"))
        flat = body(subscribed("fri", "16:30", "Europe/London", FRIDAY_WINTER, tz_guessed=False, form="flat"))
        assert "in its thread" in threaded and "`flat` instead" in threaded
        assert "in one message" in flat and "`threaded` instead" in flat

    def test_the_listing_names_each_briefings_form(self):
        reply = listing([
            Listed("fri", "16:30", "UTC", FRIDAY_WINTER, paused=False, pause_reason=None, form="threaded"),
            Listed("mon", "09:00", "UTC", FRIDAY_WINTER, paused=True, pause_reason="the channel is archived",
                   form="flat")])
        assert "(active; threaded)" in body(reply) and "the channel is archived; flat)" in body(reply)
