"""The command language, as a table of what people type and what it means."""

from datetime import time

import pandas as pd
import pytest

from handlers.errors import UsageError
from handlers.holders import HolderRegistry
from handlers.parsing import parse
from handlers.queries import (
    BriefingQuery,
    BuyingQuery,
    ClaimsQuery,
    GapQuery,
    GoldQuery,
    HelpQuery,
    HoldingsQuery,
    RefinancingQuery,
    ShockQuery,
    SourcesQuery,
    SubscribeQuery,
    SubscriptionsQuery,
    UnsubscribeQuery,
)

# A small registry in the shape of data/holders.csv.
HOLDERS = HolderRegistry.from_frame(pd.DataFrame([
    {"key": "china", "label": "China (Mainland)", "tic_label": "China, Mainland", "eu_member": False,
     "europe": False, "custodial_centre": False, "aliases": "prc;mainland china"},
    {"key": "uk", "label": "United Kingdom", "tic_label": "United Kingdom", "eu_member": False,
     "europe": True, "custodial_centre": True, "aliases": "britain;great britain;gb"},
    {"key": "japan", "label": "Japan", "tic_label": "Japan", "eu_member": False, "europe": False,
     "custodial_centre": False, "aliases": ""},
    {"key": "saudi_arabia", "label": "Saudi Arabia", "tic_label": "Saudi Arabia", "eu_member": False,
     "europe": False, "custodial_centre": False, "aliases": "saudi;ksa"},
    {"key": "belgium", "label": "Belgium", "tic_label": "Belgium", "eu_member": True, "europe": True,
     "custodial_centre": True, "aliases": ""},
]))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", HelpQuery()),
        ("help", HelpQuery()),
        ("help shock", HelpQuery(topic="shock")),
        ("gap", GapQuery()),
        ("GAP", GapQuery()),
        ("/reset gap", GapQuery()),
        ("gap breakdown", GapQuery(breakdown=True)),
        ("holdings", HoldingsQuery()),
        ("holdings china", HoldingsQuery(holder="china")),
        ("holdings PRC", HoldingsQuery(holder="china")),
        ("holdings saudi arabia", HoldingsQuery(holder="saudi_arabia")),
        ("buying", BuyingQuery()),
        ("refi", RefinancingQuery()),
        ("refinancing", RefinancingQuery()),
        ("gold", GoldQuery()),
        ("claims", ClaimsQuery()),
        ("fact-check", ClaimsQuery()),
        ("sources", SourcesQuery()),
        ("shock eu 20%", ShockQuery(holder="eu", percent=20, mode="sell")),
        ("shock europe 20 %", ShockQuery(holder="eu", percent=20)),
        ("Shock EU 20pct", ShockQuery(holder="eu", percent=20)),
        ("shock eu 20 percent", ShockQuery(holder="eu", percent=20)),
        ("shock eu 12.5%", ShockQuery(holder="eu", percent=13, requested_percent=12.5)),  # rounded half up
        ("shock eu 12,5%", ShockQuery(holder="eu", percent=13, requested_percent=12.5)),
        ("shock britain 10% pause", ShockQuery(holder="uk", percent=10, mode="pause")),
        ("shock 10% prc", ShockQuery(holder="china", percent=10)),
        ("shock china 0%", ShockQuery(holder="china", percent=0)),
        ("shock china 100%", ShockQuery(holder="china", percent=100)),
        ("/reset   shock   saudi   5%  ", ShockQuery(holder="saudi_arabia", percent=5)),
        ("subscribe", SubscribeQuery()),
        ("subscribe weekly fri 16:30 Europe/London",
         SubscribeQuery(day="fri", at=time(16, 30), timezone="Europe/London")),
        ("subscribe friday 4:30pm europe/london", SubscribeQuery(day="fri", at=time(16, 30), timezone="Europe/London")),
        ("subscribe mon 9:00 utc", SubscribeQuery(day="mon", at=time(9, 0), timezone="UTC")),
        ("subscribe 07:15", SubscribeQuery(at=time(7, 15))),
        ("unsubscribe", UnsubscribeQuery()),
        ("unsubscribe 2", UnsubscribeQuery(number=2)),
        ("subscriptions", SubscriptionsQuery()),
        ("briefing", BriefingQuery()),
    ],
)
def test_what_people_type_is_understood(text, expected):
    assert parse(text, HOLDERS) == expected


@pytest.mark.parametrize(
    "text, must_say",
    [
        ("gpa", "Did you mean `gap`"),
        ("shok eu 20%", "Did you mean `shock`"),
        ("banana", "/reset shock eu 20%"),  # a working example
        ("shock eu", "Give a percent"),
        ("shock 20%", "Whose holdings"),
        ("shock eu 120%", "outside 0–100%"),
        ("shock eu -5%", "outside 0–100%"),
        ("shock atlantis 20%", "I don't have Treasury holdings for `atlantis`"),
        ("shock chna 20%", "Did you mean `china`"),
        ("holdings narnia", "I don't have Treasury holdings"),
        ("subscribe fri 16:30 Mars/Olympus", "not a time zone I know"),
        ("subscribe fri 25:00", "not a time of day"),
        ("subscribe daily", "Briefings are weekly"),
        ("subscribe fryday", "Did you mean `friday`"),
        ("unsubscribe everything", "Which subscription"),
        ("gap now please", "takes no options"),
    ],
)
def test_what_cannot_be_understood_is_explained(text, must_say):
    with pytest.raises(UsageError) as caught:
        parse(text, HOLDERS)
    assert must_say in caught.value.message


@pytest.mark.parametrize("text", ["\x00", "%%%%", "shock 💥 20%", "a" * 5000, "shock eu 1e309%", "<!channel>",
                                  "shock eu nan%"])
def test_nonsense_never_raises_anything_but_a_usage_error(text):
    try:
        query = parse(text, HOLDERS)
    except UsageError as error:
        assert len(error.message) < 1000  # echoes are shortened, so replies stay within Slack's limits
    else:
        assert query.kind in {"help", "shock", "holdings"}


# --- Issue 10, items 4–6: numbers, echoes and refusals ------------------------------------------
# These use the real registry (the `holders` session fixture), as the bot does.

from zoneinfo import available_timezones  # noqa: E402

from handlers.formatting import echo, escape_slack  # noqa: E402
from handlers.parsing import parse_timezone  # noqa: E402

HUGE = "9" * 10_000  # int() refuses more than 4,300 digits; float() of it is inf


def refusal(text, holders) -> str:
    with pytest.raises(UsageError) as caught:
        parse(text, holders)
    return caught.value.message


class TestNumbersAreReadOnlyFromAsciiDigits:
    def test_a_superscript_digit_is_not_a_subscription_number(self, holders):
        assert "digits 0–9" in refusal("unsubscribe ²", holders)

    @pytest.mark.parametrize("digits", ["٢", "２", "½", "¹²"])
    def test_other_unicode_digits_are_not_numbers_either(self, digits, holders):
        assert "Which subscription?" in refusal(f"unsubscribe {digits}", holders)

    def test_a_ten_thousand_digit_subscription_number_is_refused(self, holders):
        message = refusal(f"unsubscribe {HUGE}", holders)
        assert "far more than a channel has" in message and len(message) < 1000

    @pytest.mark.parametrize("text", [f"shock eu {HUGE}%", f"shock eu {HUGE}", f"shock {HUGE}% "
                                                                               f"eu", f"shock eu 1{'0' * 5000}.5%"])
    def test_a_ten_thousand_digit_percent_is_more_than_100(self, text, holders):
        message = refusal(text, holders)
        assert "at most 100%" in message and len(message) < 1000

    @pytest.mark.parametrize("text", [f"holdings {HUGE}", f"subscribe {HUGE}", f"subscribe {HUGE}:00",
                                      f"subscribe 16:{HUGE}", f"gap {HUGE}", HUGE, f"unsubscribe #{HUGE}",
                                      f"shock eu 20% {HUGE}"])
    def test_a_ten_thousand_digit_number_anywhere_is_explained(self, text, holders):
        assert len(refusal(text, holders)) < 1000

    def test_leading_zeros_and_long_decimals_are_read_exactly(self, holders):
        assert parse(f"shock eu {'0' * 10_000}20%", holders).percent == 20
        assert parse(f"shock eu 20.{'0' * 10_000}%", holders).percent == 20
        assert parse(f"unsubscribe {'0' * 10_000}2", holders).number == 2

    def test_arabic_indic_digits_are_not_read_as_a_time(self, holders):
        assert "digits 0–9" in refusal("subscribe fri ١٦:٣٠", holders)

    def test_arabic_indic_digits_are_not_read_as_a_percent(self, holders):
        assert "digits 0–9" in refusal("shock eu ٢٠%", holders)


class TestEchoesAreEscapedForSlack:
    MARKUP = ["<!channel>", "<!here>", "<!everyone>", "<@U123>", "<#C123>", "<https://evil|click>", "<!subteam^S1>"]

    @pytest.mark.parametrize("markup", MARKUP)
    def test_escaped_markup_has_no_angle_brackets(self, markup):
        escaped = escape_slack(markup)
        assert "<" not in escaped and ">" not in escaped
        assert escaped.startswith("&lt;") and escaped.endswith("&gt;")

    def test_ampersand_first_so_entities_are_not_double_read(self):
        assert escape_slack("&lt;!channel&gt;") == "&amp;lt;!channel&amp;gt;"
        assert escape_slack("AT&T") == "AT&amp;T"

    def test_holdings_of_channel_does_not_ping_everyone(self, holders):
        message = refusal("/reset holdings <!channel>", holders)
        assert "I don't have Treasury holdings for `&lt;!channel&gt;`" in message
        assert "<!channel>" not in message

    @pytest.mark.parametrize("markup", MARKUP)
    @pytest.mark.parametrize("template", ["holdings {}", "shock {} 20%", "shock eu 20% "
                                                                         "{}", "gap {}", "{}", "subscribe {}",
                                          "subscribe fri {}/x", "shock eu {}%", "shock eu 20% 30% {}%", "unsubscribe "
                                                                                                        "{}"])
    def test_no_echo_carries_slack_markup(self, template, markup, holders):
        try:
            parse(template.format(markup), holders)  # "holdings <!everyone>" is all foreign holders
        except UsageError as error:
            assert "<" not in error.message and ">" not in error.message

    def test_backticks_cannot_leave_the_code_span(self, holders):
        message = refusal("holdings `x` <!here> `", holders)
        echoed = message.split("for `", 1)[1].split("`.", 1)[0]
        assert "`" not in echoed and echoed == "'x' &lt;!here&gt; '"

    def test_shortening_never_cuts_an_entity_in_half(self):
        assert echo("a" * 37 + "<!channel>") == "a" * 37 + "&lt;!…"  # cut first, then escaped
        assert echo("a" * 38 + "&amp;") == "a" * 38 + "&amp;…"
        assert echo("a" * 30 + "<!here>") == "a" * 30 + "&lt;!here&gt;"


class TestPercentRefusalsArePrecise:
    @pytest.mark.parametrize("text", ["shock eu 20٪", "shock eu 20％", "shock eu 20 ٪", "shock eu 20﹪",
                                      "shock eu 20 per cent", "shock eu 20 Per Cent", "shock eu 20percent",
                                      "shock eu 20 percent", "shock eu 20pct", "shock eu 20 pct"])
    def test_every_way_to_write_percent_is_a_percent(self, text, holders):
        assert parse(text, holders) == ShockQuery(holder="eu", percent=20, mode="sell")

    @pytest.mark.parametrize("text", ["shock eu -0%", "shock eu -0.0%", "shock eu −0%"])
    def test_minus_zero_is_not_a_sale(self, text, holders):
        assert "a sale must be more than 0%" in refusal(text, holders)

    def test_a_negative_percent_says_more_than_zero(self, holders):
        message = refusal("shock eu -5%", holders)
        assert "outside 0–100%" in message and "more than 0%" in message and "`-5%`" in message

    @pytest.mark.parametrize("text", ["shock eu 100.0000001%", "shock eu 100.00000000000000000001%", "shock eu 101%"])
    def test_just_over_100_is_refused_and_shown_as_typed(self, text, holders):
        message = refusal(text, holders)
        assert "at most 100%" in message
        assert f"`{text.split()[-1]}`" in message  # not "100% is outside 0–100%"

    def test_exactly_100_with_trailing_zeros_is_fine(self, holders):
        assert parse("shock eu 100.000%", holders).percent == 100

    @pytest.mark.parametrize("token", ["1e309%", "1e3%", "0x14%", "1_000%", "20.5.1%", ".5%", "20%%"])
    def test_other_notations_are_not_a_percent(self, token, holders):
        message = refusal(f"shock eu {token}", holders)
        assert "is not a percent: write it like `20%`" in message
        assert "I don't have Treasury holdings" not in message

    @pytest.mark.parametrize("token", ["abc%", "nan%", "inf%", "💥%", "twentypct"])
    def test_a_percent_that_is_not_a_number_says_so(self, token, holders):
        message = refusal(f"shock eu {token}", holders)
        assert "is not a number" in message
        assert "I don't have Treasury holdings" not in message

    @pytest.mark.parametrize("text", ["shock eu %", "shock eu twenty percent", "shock eu pct"])
    def test_a_percent_sign_without_a_number(self, text, holders):
        assert "has no number: write the percent like `20%`" in refusal(text, holders)

    @pytest.mark.parametrize("text", ["shock eu 20% 30%", "shock eu 20% 20%", "shock 20% eu 30pct", "shock eu 20% 30 "
                                                                                                    "percent pause"])
    def test_one_percent_per_holder(self, text, holders):
        assert "One percent per holder" in refusal(text, holders)

    def test_a_bare_number_beside_a_percent_belongs_to_the_holder(self, holders):
        assert parse("shock eu 27 20%", holders) == ShockQuery(holder="eu", percent=20)


class TestTimeZonesAreCities:
    @pytest.mark.parametrize("name", ["localtime", "Factory", "factory", "posixrules", "EST", "CET", "EST5EDT", "Japan",
                                      "GB", "PRC", "Etc/GMT+5", "Etc/GMT-14", "posix/Europe/London", "right/UTC"])
    def test_zones_that_are_not_places_are_refused_with_a_city_example(self, name, holders):
        message = refusal(f"subscribe fri 16:30 {name}", holders)
        assert "city zone such as `Europe/London`" in message

    def test_etc_offsets_say_their_sign_is_reversed(self, holders):
        assert "UTC−5" in refusal("subscribe Etc/GMT+5", holders)
        assert "UTC+9" in refusal("subscribe Etc/GMT-9", holders)

    @pytest.mark.parametrize("name, expected", [("UTC", "UTC"), ("utc", "UTC"), ("GMT", "UTC"), ("Z", "UTC"),
                                                ("Zulu", "UTC"), ("Etc/UTC", "Etc/UTC"),
                                                ("Europe/London", "Europe/London"),
                                                ("america/new_york", "America/New_York"), ("US/Eastern", "US/Eastern"),
                                                ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires")])
    def test_utc_and_places_work(self, name, expected, holders):
        assert parse(f"subscribe fri 16:30 {name}", holders).timezone == expected

    def test_every_installed_zone_is_accepted_as_a_place_or_refused_with_a_reason(self):
        accepted = []
        for name in sorted(available_timezones()):
            try:
                accepted.append(parse_timezone(name))
            except UsageError as error:
                assert "city zone such as `Europe/London`" in error.message, name
        assert all("/" in name or name == "UTC" for name in accepted)
        assert {name for name in accepted if name.startswith("Etc/")} <= {
            "Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "Etc/Greenwich", "Etc/GMT", "Etc/GMT0", "Etc/GMT+0",
            "Etc/GMT-0"}
        assert "Europe/London" in accepted and "Asia/Tokyo" in accepted


def test_the_reinvested_share_is_taken_in_steps_of_5_percent(holders):
    from handlers.parsing import parse

    assert parse("shock china 50% reinvest 33.3%", holders).reinvest_pct == 35
    assert parse("shock china 50% reinvest 50%", holders).reinvest_pct == 50


# ---- issue 14: the briefing's form -------------------------------------------------------------
class TestBriefingForm:
    @pytest.mark.parametrize("text, form", [
        ("subscribe fri 16:30 Europe/London", None),
        ("subscribe fri 16:30 Europe/London flat", "flat"),
        ("subscribe FLAT weekly mon", "flat"),
        ("subscribe threaded fri", "threaded"),
        ("subscribe fri 09:00 thread", "threaded"),
    ])
    def test_subscribe_takes_threaded_or_flat_anywhere(self, text, form, holders):
        query = parse(text, holders)
        assert isinstance(query, SubscribeQuery) and query.form == form

    def test_the_other_words_are_still_read(self, holders):
        query = parse("subscribe flat fri 16:30 Europe/London", holders)
        assert (query.day, query.at, query.timezone, query.form) == ("fri", time(16, 30), "Europe/London", "flat")

    def test_a_misspelt_form_is_refused_with_the_usage_that_names_both(self, holders):
        message = refusal("subscribe fri flatt", holders)
        assert "flatt" in message and "[threaded|flat]" in message
@pytest.mark.parametrize(
    "text, checked",
    [
        ("factcheck China is dumping $1T of Treasuries!", "China is dumping $1T of Treasuries!"),
        ("/reset check   The gap is 28 trillion   ", "The gap is 28 trillion"),
        ("Fact-check Europe bought 80 %", "Europe bought 80 %"),
    ],
)
def test_factcheck_keeps_the_pasted_text_exactly(text, checked, holders):
    from handlers.queries import FactCheckQuery

    assert parse(text, holders) == FactCheckQuery(text=checked)


def test_factcheck_alone_still_means_claims(holders):
    assert parse("factcheck", holders) == ClaimsQuery()
    with pytest.raises(UsageError):
        parse("claims china is dumping", holders)  # `claims` itself takes no text
