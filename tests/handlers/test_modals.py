"""`handlers.modals`: the forms are views Slack accepts, and a submission reads back into exactly
the query the typed command gives — or into errors under the fields that caused them."""

from __future__ import annotations

import json

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from handlers import modals as forms
from handlers.parsing import parse
from handlers.queries import ShockQuery, SubscribeQuery
from tests.fakes.slack_api import FakeSlack

ORIGIN = forms.Origin("C0000GEN01", "T0000FAKE1", None, "https://hooks.slack.com/commands/T1/1/abc")


def slack_accepts(view: dict) -> None:
    """slack_sdk's models parse every block back unchanged, and the stand-in's modal checks pass."""
    parsed = View(**view)  # slack_sdk's View has no from_dict: its constructor takes the dict's fields
    assert parsed.to_dict()["blocks"] == view["blocks"]
    for block in view["blocks"]:
        assert Block.parse(block).to_dict() == block
    with FakeSlack() as fake:
        assert fake._modal_errors(view) == []


def subscribe_values(day="fri", at="16:30", zone="Europe/London", form="flat") -> dict:
    values: dict = {}
    if day is not None:
        values[forms.DAY] = {"day": {"type": "static_select", "selected_option": {"value": day}}}
    if at is not None:
        values[forms.TIME] = {"time": {"type": "timepicker", "selected_time": at}}
    values[forms.ZONE] = {"zone": {"type": "plain_text_input", "value": zone}}
    values[forms.FORM] = {"form": {"type": "radio_buttons", "selected_option": {"value": form} if form else None}}
    return values


def scenario_values(legs=(("eu", "20"),), mode="sell", months="default", reinvest="0", fed=False) -> dict:
    values: dict = {}
    for n, (holder, percent) in enumerate(legs, 1):
        values[forms.holder_block(n)] = {"holder": {"type": "static_select", "selected_option":
                                                    {"value": holder} if holder else None}}
        values[forms.percent_block(n)] = {"percent": {"type": "number_input", "value": percent}}
    values[forms.MODE] = {"mode": {"type": "radio_buttons", "selected_option": {"value": mode}}}
    values[forms.MONTHS] = {"months": {"type": "static_select", "selected_option": {"value": months}}}
    values[forms.REINVEST] = {"reinvest": {"type": "static_select", "selected_option": {"value": reinvest}}}
    values[forms.FED] = {"fed": {"type": "checkboxes", "selected_options": [{"value": "fed"}] if fed else []}}
    return values


def elements(view: dict) -> dict[str, dict]:
    return {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}


class TestTheBriefingForm:
    def test_it_is_a_modal_slack_accepts(self):
        slack_accepts(forms.subscribe_modal(ORIGIN, "Europe/Berlin"))

    def test_the_time_picker_and_the_zone_default_to_the_users_zone(self):
        inputs = elements(forms.subscribe_modal(ORIGIN, "America/Chicago"))
        assert inputs[forms.TIME]["type"] == "timepicker" and inputs[forms.TIME]["timezone"] == "America/Chicago"
        assert inputs[forms.ZONE]["initial_value"] == "America/Chicago"
        assert inputs[forms.DAY]["initial_option"]["value"] == forms.DEFAULT_DAY
        assert inputs[forms.TIME]["initial_time"] == forms.DEFAULT_TIME

    def test_an_unknown_zone_says_so_in_the_hint(self):
        view = forms.subscribe_modal(ORIGIN, "UTC", timezone_known=False)
        hint = next(b["hint"]["text"] for b in view["blocks"] if b.get("block_id") == forms.ZONE)
        assert "couldn't read your Slack time zone" in hint

    def test_it_carries_its_origin_and_says_which_channel(self):
        view = forms.subscribe_modal(ORIGIN, "UTC")
        assert forms.read_origin(view["private_metadata"]) == ORIGIN
        assert "<#C0000GEN01>" in json.dumps(view["blocks"])

    @pytest.mark.parametrize("metadata", ["", "not json", "[]", '{"c": 5, "t": "T1"}', '{"t": "T1"}', None])
    def test_a_view_without_a_readable_origin_has_none(self, metadata):
        assert forms.read_origin(metadata) is None

    def test_a_submission_is_the_typed_commands_query(self, holders):
        read = forms.read_subscribe(subscribe_values(), holders)
        assert read == parse("subscribe weekly fri 16:30 Europe/London flat", holders)
        assert isinstance(read, SubscribeQuery) and read.timezone == "Europe/London"

    def test_the_zone_is_read_by_the_parsers_rules(self, holders):
        read = forms.read_subscribe(subscribe_values(zone=" europe/london "), holders)
        assert isinstance(read, SubscribeQuery) and read.timezone == "Europe/London"  # canonical case

    @pytest.mark.parametrize(("values", "block", "words"), [
        (subscribe_values(zone="Mars/Olympus"), forms.ZONE, "not a time zone"),
        (subscribe_values(zone="EST"), forms.ZONE, "city zone"),
        (subscribe_values(zone="Europe/ London"), forms.ZONE, "one word"),
        (subscribe_values(zone=""), forms.ZONE, "Write a time zone"),
        (subscribe_values(zone="fri"), forms.ZONE, "not what this field asks"),
        (subscribe_values(day=None), forms.DAY, "Pick a day"),
        (subscribe_values(day="16:30"), forms.DAY, "not what this field asks"),  # forged: a time as the day
        (subscribe_values(day="someday"), forms.DAY, "couldn't read someday"),
        (subscribe_values(at=None), forms.TIME, "Pick a time"),
        (subscribe_values(at="25:00"), forms.TIME, "not a time of day"),
        (subscribe_values(form=None), forms.FORM, "Choose how"),
    ])
    def test_bad_input_is_an_error_under_its_field(self, holders, values, block, words):
        errors = forms.read_subscribe(values, holders)
        assert isinstance(errors, dict) and block in errors
        assert words in errors[block]
        assert "`" not in errors[block] and "/reset subscribe [weekly]" not in errors[block]  # no usage line

    def test_several_bad_fields_are_all_reported_at_once(self, holders):
        errors = forms.read_subscribe(subscribe_values(day=None, zone="Nowhere/Atall"), holders)
        assert set(errors) == {forms.DAY, forms.ZONE}

    def test_the_form_choice_follows_what_the_command_language_knows(self, holders):
        threaded = forms.read_subscribe(subscribe_values(form="threaded"), holders)
        if forms.grammar_has_forms():  # the threads feature is in: the word goes to the parser
            assert isinstance(threaded, SubscribeQuery)
        else:  # not yet: a threaded briefing would be a promise this build cannot keep
            assert threaded == {forms.FORM: forms.NO_THREADS}
            assert isinstance(forms.read_subscribe(subscribe_values(form="flat"), holders), SubscribeQuery)
            form = elements(forms.subscribe_modal(ORIGIN, "UTC"))[forms.FORM]
            assert form["initial_option"]["value"] == "flat"


class TestTheScenarioBuilder:
    def test_from_a_reply_it_is_a_modal_slack_accepts_and_names_the_channel(self, holders):
        view = forms.scenario_modal(holders, ORIGIN)
        slack_accepts(view)
        assert forms.WHERE not in elements(view)
        assert forms.read_origin(view["private_metadata"]) == ORIGIN

    def test_from_the_shortcut_it_asks_where_with_a_response_url(self, holders):
        view = forms.scenario_modal(holders, None)
        slack_accepts(view)
        where = elements(view)[forms.WHERE]
        assert where["type"] == "conversations_select"
        assert where["default_to_current_conversation"] is True and where["response_url_enabled"] is True
        assert not view.get("private_metadata")

    def test_every_holder_the_model_knows_is_offered(self, holders):
        options = elements(forms.scenario_modal(holders, None))[forms.holder_block(1)]["options"]
        assert [o["value"] for o in options] == holders.keys()
        assert all(len(o["text"]["text"]) <= 75 for o in options)

    def test_it_is_prefilled_from_the_reply_it_was_opened_on(self, holders):
        query = parse("shock eu 20% japan 10% pause over 6 months reinvest 50% with fed", holders)
        inputs = elements(forms.scenario_modal(holders, ORIGIN, query))
        assert inputs[forms.holder_block(1)]["initial_option"]["value"] == "eu"
        assert inputs[forms.percent_block(1)]["initial_value"] == "20"
        assert inputs[forms.holder_block(2)]["initial_option"]["value"] == "japan"
        assert "initial_option" not in inputs[forms.holder_block(3)]
        assert inputs[forms.MODE]["initial_option"]["value"] == "pause"
        assert inputs[forms.MONTHS]["initial_option"]["value"] == "6"
        assert inputs[forms.REINVEST]["initial_option"]["value"] == "50"
        assert inputs[forms.FED]["initial_options"][0]["value"] == "fed"

    def test_prefilled_and_submitted_unchanged_it_is_the_same_scenario(self, holders):
        query = parse("shock china 30% uk 5% over 12 months reinvest 25%", holders)
        inputs = elements(forms.scenario_modal(holders, ORIGIN, query))
        legs = [(inputs[forms.holder_block(n)]["initial_option"]["value"],
                 inputs[forms.percent_block(n)]["initial_value"]) for n in (1, 2)]
        read = forms.read_scenario(scenario_values(legs=legs, months="12", reinvest="25"), holders)
        assert read == query

    @pytest.mark.parametrize("typed, legs, options", [
        ("shock eu 20%", (("eu", "20"),), {}),
        ("shock china 12.5% pause", (("china", "12.5"),), {"mode": "pause"}),
        ("shock eu 20% japan 10% over 6 months reinvest 50% with fed", (("eu", "20"), ("japan", "10")),
         {"months": "6", "reinvest": "50", "fed": True}),
        ("shock saudi arabia 40% uk 10% china 5% over 60 months", (("saudi_arabia", "40"), ("uk", "10"),
                                                                   ("china", "5")), {"months": "60"}),
    ])
    def test_a_submission_is_the_typed_commands_query(self, holders, typed, legs, options):
        read = forms.read_scenario(scenario_values(legs=legs, **options), holders)
        assert isinstance(read, ShockQuery)
        assert read == parse(typed, holders)

    @pytest.mark.parametrize(("values", "block", "words"), [
        (scenario_values(legs=(("eu", "120"),)), forms.percent_block(1), "outside 0–100%"),
        (scenario_values(legs=(("eu", "-5"),)), forms.percent_block(1), "minus"),
        (scenario_values(legs=(("eu", "1e3"),)), forms.percent_block(1), "not a percent"),
        (scenario_values(legs=(("eu", ""),)), forms.percent_block(1), "How much"),
        (scenario_values(legs=((None, ""),)), forms.holder_block(1), "Choose a holder"),
        (scenario_values(legs=(("eu", "20"), (None, "10"))), forms.holder_block(2), "Whose holdings"),
        (scenario_values(legs=(("atlantis", "20"),)), forms.holder_block(1), "Treasury holdings for atlantis"),
        (scenario_values(legs=(("eu", "20"), ("belgium", "10"))), forms.holder_block(1), "overlap"),
        (scenario_values(legs=(("foreign", "20"), ("japan", "10"))), forms.holder_block(1), "already includes"),
        (scenario_values(months="99"), forms.MONTHS, "1 to 60 months"),  # forged: not an option of the form
        (scenario_values(reinvest="150"), forms.REINVEST, "outside 0–100%"),
        (scenario_values(mode="hold"), forms.MODE, "sell or pause"),
    ])
    def test_bad_input_is_an_error_under_its_field(self, holders, values, block, words):
        errors = forms.read_scenario(values, holders)
        assert isinstance(errors, dict) and block in errors, errors
        assert words in errors[block]
        assert len(errors[block]) <= forms.MAX_ERROR_CHARS

    def test_the_button_carries_the_scenario(self):
        block = forms.scenario_button("shock eu 20% over 6 months").to_dict()
        assert Block.parse(block).to_dict() == block
        assert block["elements"][0]["action_id"] == forms.SCENARIO_BUTTON
        assert block["elements"][0]["value"] == "shock eu 20% over 6 months"
