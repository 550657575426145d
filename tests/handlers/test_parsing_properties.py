"""Properties of the parser over arbitrary text (issue 10, items 4 and 5).

For any text: `parse` returns a `Query` or raises `UsageError` (never `ValueError`, `OverflowError`,
a pydantic error…), a refusal stays short enough for Slack, and it echoes nothing Slack would read
as markup (``<!channel>``, ``<@U…>``, links): every ``<`` or ``>`` in a message is one of ours.
"""

from __future__ import annotations

import math
from decimal import Context, Decimal, localcontext

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.errors import UsageError
from handlers.parsing import parse, scenario_percent
from handlers.queries import ShockQuery, UnsubscribeQuery

FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

COMMANDS = ["shock", "holdings", "unsubscribe", "subscribe", "gap", "help", "sell", "stop", "/reset shock", "who"]
MARKUP = ["<!channel>", "<!here>", "<!everyone>", "<@U123>", "<#C123|general>", "<https://evil|click>",
          "<", ">", "&", "`"]
UNICODE_DIGITS = st.characters(categories=["Nd", "No", "Nl"])  # ٢, ２, ², ½, Ⅻ …
PERCENT_UNITS = ["%", " %", "٪", "％", "﹪", "pct", " pct", "percent", " percent", " per cent", ""]


def _words() -> st.SearchStrategy[str]:
    ascii_number = st.from_regex(r"[+\-−]?[0-9]{1,6}([.,][0-9]{1,8})?", fullmatch=True)
    long_number = st.integers(min_value=4_000, max_value=12_000).map(lambda n: "9" * n)
    unicode_number = st.text(UNICODE_DIGITS, min_size=1, max_size=6)
    odd_number = st.sampled_from(["1e309", "inf", "nan", "-0", "0x14", ".5"])
    number = st.one_of(ascii_number, long_number, unicode_number, odd_number)
    percent = st.tuples(number, st.sampled_from(PERCENT_UNITS)).map("".join)
    return st.one_of(
        percent,
        number,
        st.sampled_from(["eu", "europe", "china", "uk", "saudi", "arabia", "pause", "sell", "fri", "16:30", "4:30pm",
                         "Europe/London", "utc", "localtime", "Factory", "posixrules", "Etc/GMT+5", "EST", "weekly"]),
        st.sampled_from(MARKUP),
        st.text(max_size=12),
    )


command_like = st.tuples(st.sampled_from(COMMANDS), st.lists(_words(), max_size=5)).map(
    lambda parts: " ".join([parts[0], *parts[1]])
)


def check(text: str, holders) -> None:
    try:
        query = parse(text, holders)
    except UsageError as error:
        message = error.message
        assert len(message) < 1000, "echoes are shortened"
        assert "<" not in message and ">" not in message, message  # the usage lines have no markup either
    else:
        if isinstance(query, ShockQuery):
            assert 0 <= query.percent <= 100 and math.copysign(1, query.percent) == 1
        if isinstance(query, UnsubscribeQuery) and query.number is not None:
            assert query.number >= 1


@FAST
@given(text=st.text())
def test_any_text_is_a_query_or_a_usage_error(text, holders):
    check(text, holders)


@FAST
@given(text=st.from_regex(r"(/reset )?(shock|holdings|unsubscribe|subscribe) .*", fullmatch=True))
def test_any_command_with_any_arguments(text, holders):
    check(text, holders)


@FAST
@given(text=command_like)
def test_commands_built_from_numbers_units_zones_and_markup(text, holders):
    check(text, holders)


@settings(FAST, max_examples=300)
@given(words=st.lists(_words(), min_size=1, max_size=4), markup=st.sampled_from(MARKUP[:6]))
def test_markup_anywhere_is_never_echoed_raw(words, markup, holders):
    for command in ("shock", "holdings", "subscribe", "unsubscribe", "gap"):
        check(" ".join([command, *words, markup]), holders)
        check(" ".join([command, markup, *words]), holders)


@FAST
@given(percent=st.decimals(min_value=0, max_value=100, places=3, allow_nan=False, allow_infinity=False),
       unit=st.sampled_from(["%", " %", "٪", "％", "pct", " percent", " per cent"]))
def test_every_ascii_percent_from_0_to_100_is_read_exactly(percent, unit, holders):
    """Read exactly, then rounded for the scenario (whole percents, tenths below 1%), with what
    was typed kept for the reply."""
    text = f"{percent:f}"
    query = parse(f"shock eu {text}{unit}", holders)
    typed = float(Decimal(text))
    assert query.requested_percent == (None if query.percent == typed else typed)
    assert query.percent == scenario_percent(typed)
    assert abs(query.percent - typed) <= (0.5 if typed >= 0.95 else 0.1)
    assert parse(f"shock eu {text.replace('.', ',')}{unit}", holders) == query


@FAST
@given(excess=st.decimals(min_value=Decimal("1e-30"), max_value=Decimal("1e30"), allow_nan=False, allow_infinity=False))
def test_anything_above_100_is_refused_however_close(excess, holders):
    with localcontext(Context(prec=100)):  # exact: 100 + 1e-30 must not round to 100
        text = f"{Decimal(100) + excess:f}"
    try:
        parse(f"shock eu {text}%", holders)
    except UsageError as error:
        assert "at most 100%" in error.message
    else:
        raise AssertionError(f"{text}% was accepted")
