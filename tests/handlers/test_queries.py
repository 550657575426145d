"""`handlers.queries`: what a command means once parsed, as frozen values tagged with their kind."""

from __future__ import annotations

import typing
from datetime import time

import pytest
from pydantic import TypeAdapter, ValidationError

from handlers.queries import (
    ALERT_KINDS,
    BRIEFING_KINDS,
    TOPIC_KINDS,
    GapQuery,
    HelpQuery,
    HoldingsQuery,
    Query,
    ShockQuery,
    SubscribeQuery,
    UnsubscribeQuery,
)

ALL = typing.get_args(Query)


def kind_of(model) -> str:
    return model.model_fields["kind"].default


class TestKinds:
    def test_every_query_has_its_own_kind(self):
        kinds = [kind_of(model) for model in ALL]
        assert len(kinds) == len(set(kinds)) == 18  # 14, the three alert kinds and factcheck (issue 14)

    def test_every_kind_is_either_a_topic_or_a_briefing_command_or_help(self):
        kinds = {kind_of(model) for model in ALL}
        assert set(TOPIC_KINDS).isdisjoint(BRIEFING_KINDS)
        assert set(ALERT_KINDS).isdisjoint({*TOPIC_KINDS, *BRIEFING_KINDS})
        assert kinds == {*TOPIC_KINDS, *BRIEFING_KINDS, *ALERT_KINDS, "help"}

    def test_a_query_is_tagged_with_its_kind_without_being_told(self):
        assert GapQuery().kind == "gap" and ShockQuery(holder="eu", percent=20).kind == "shock"

    def test_the_kind_cannot_be_overridden(self):
        with pytest.raises(ValidationError):
            GapQuery(kind="holdings")

    def test_the_kind_tag_picks_the_query_from_plain_data(self):
        adapter = TypeAdapter(Query)
        assert adapter.validate_python({"kind": "holdings", "holder": "china"}) == HoldingsQuery(holder="china")
        assert adapter.validate_python({"kind": "shock", "holder": "eu", "percent": 20}) == \
            ShockQuery(holder="eu", percent=20)


class TestFrozen:
    def test_a_query_cannot_be_changed(self):
        query = ShockQuery(holder="eu", percent=20)
        with pytest.raises(ValidationError):
            query.percent = 50

    def test_equal_queries_are_equal_and_hash_alike(self):
        a = ShockQuery(holder="eu", percent=20, others=(("japan", 10.0),))
        b = ShockQuery(holder="eu", percent=20, others=(("japan", 10.0),))
        assert a == b and hash(a) == hash(b)
        assert a != ShockQuery(holder="eu", percent=20)


class TestDefaults:
    def test_help_and_holdings_default_to_everything(self):
        assert HelpQuery().topic is None and HoldingsQuery().holder is None
        assert GapQuery().breakdown is False

    def test_a_shock_defaults_to_an_immediate_sale_with_no_reinvestment_and_no_fed(self):
        query = ShockQuery(holder="china", percent=10)
        assert (query.mode, query.months, query.reinvest_pct, query.fed, query.others) == ("sell", None, 0.0, False, ())
        assert query.requested_percent is None

    def test_subscribe_leaves_every_choice_to_the_defaults(self):
        query = SubscribeQuery()
        assert (query.day, query.at, query.timezone) == (None, None, None)

    def test_unsubscribe_without_a_number_means_the_only_one(self):
        assert UnsubscribeQuery().number is None


class TestValidation:
    def test_a_shock_needs_a_holder_and_a_percent(self):
        with pytest.raises(ValidationError):
            ShockQuery(percent=20)
        with pytest.raises(ValidationError):
            ShockQuery(holder="eu")

    @pytest.mark.parametrize("percent", [-1, 100.5, 250])
    def test_a_shock_percent_is_between_0_and_100(self, percent):
        with pytest.raises(ValidationError):
            ShockQuery(holder="eu", percent=percent)

    @pytest.mark.parametrize("percent", [0, 0.5, 100])
    def test_the_percent_bounds_are_inclusive(self, percent):
        assert ShockQuery(holder="eu", percent=percent).percent == percent

    @pytest.mark.parametrize("reinvest", [-5, 101])
    def test_the_reinvested_share_is_a_percent_too(self, reinvest):
        with pytest.raises(ValidationError):
            ShockQuery(holder="eu", percent=20, reinvest_pct=reinvest)

    def test_a_shock_mode_is_sell_or_pause(self):
        assert ShockQuery(holder="eu", percent=20, mode="pause").mode == "pause"
        with pytest.raises(ValidationError):
            ShockQuery(holder="eu", percent=20, mode="dump")

    @pytest.mark.parametrize("day", ["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
    def test_a_subscription_day_is_a_three_letter_weekday(self, day):
        assert SubscribeQuery(day=day).day == day

    @pytest.mark.parametrize("day", ["monday", "Mon", "fr", "weekday"])
    def test_any_other_day_is_refused(self, day):
        with pytest.raises(ValidationError):
            SubscribeQuery(day=day)

    def test_a_subscription_time_is_a_time_of_day(self):
        assert SubscribeQuery(at="16:30").at == time(16, 30)
        with pytest.raises(ValidationError):
            SubscribeQuery(at="25:00")
