"""The forms, the scenario shortcut and App Home's buttons, end to end over signed HTTP.

Each test plays Slack: a signed command, click, shortcut or submission goes to the app behind
waitress; the modal the app opens is read back from the stand-in (which only accepts trigger_ids
it issued, for 3 seconds of its clock), filled in, and submitted as Slack would submit it.
"""

from __future__ import annotations

import json

import pytest

from bot.storage.records import Workspace
from handlers import modals as forms
from tests.conftest import CHANNEL, SIGNING_SECRET, USER
from tests.fakes.slack_requests import (
    block_actions_body,
    event_body,
    global_shortcut_body,
    post_signed,
    slash_command_body,
    view_submission_body,
)

TEAM = "T0000FAKE1"
OTHER_USER = "U0000USER2"


def open_subscribe_form(served, slack, *, channel=CHANNEL):
    trigger = slack.issue_trigger(USER)
    url = slack.response_url("form", channel=channel, user=USER)
    body = slash_command_body("subscribe", channel_id=channel, response_url=url, trigger_id=trigger)
    status, ack = post_signed(served.url, body, SIGNING_SECRET)
    assert status == 200 and ack == ""  # acknowledged empty: the form is the answer
    return slack.wait_for(lambda: slack.modals(USER))[-1]


def submit(served, view, values, **kw):
    status, body = post_signed(served.url, view_submission_body(view, values, **kw), SIGNING_SECRET)
    assert status == 200
    return json.loads(body) if body else None


def subscribe_values(day="fri", at="16:30", zone="Europe/London"):
    return {
        forms.DAY: {"day": {"type": "static_select", "selected_option": {"value": day}} if day else {}},
        forms.TIME: {"time": {"type": "timepicker", "selected_time": at, "timezone": zone}},
        forms.ZONE: {"zone": {"type": "plain_text_input", "value": zone}},
        forms.FORM: {"form": {"type": "radio_buttons", "selected_option": {"value": "flat"}}},
    }


def scenario_values(legs, *, where=None, months="default"):
    values = {}
    if where:
        values[forms.WHERE] = {"where": {"type": "conversations_select", "selected_conversation": where}}
    for n, (holder, percent) in enumerate(legs, 1):
        values[forms.holder_block(n)] = {"holder": {"type": "static_select", "selected_option": {"value": holder}}}
        values[forms.percent_block(n)] = {"percent": {"type": "number_input", "value": percent}}
    values[forms.MODE] = {"mode": {"type": "radio_buttons", "selected_option": {"value": "sell"}}}
    values[forms.MONTHS] = {"months": {"type": "static_select", "selected_option": {"value": months}}}
    values[forms.REINVEST] = {"reinvest": {"type": "static_select", "selected_option": {"value": "0"}}}
    values[forms.FED] = {"fed": {"type": "checkboxes", "selected_options": []}}
    return values


def inputs(view):
    return {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}


class TestTheBriefingForm:
    def test_bare_subscribe_opens_the_form_in_the_users_zone(self, served, slack):
        view = open_subscribe_form(served, slack)
        assert view["callback_id"] == forms.SUBSCRIBE_CALLBACK
        assert inputs(view)[forms.TIME]["timezone"] == "Europe/Berlin"  # the user's Slack zone (users.info)
        assert inputs(view)[forms.ZONE]["initial_value"] == "Europe/Berlin"
        origin = forms.read_origin(view["private_metadata"])
        assert origin is not None and (origin.channel_id, origin.team_id) == (CHANNEL, TEAM)
        assert [c.response["ok"] for c in slack.calls("views.open")] == [True]

    def test_submitting_it_subscribes_the_channel_it_came_from(self, served, slack, runtime):
        view = open_subscribe_form(served, slack)
        assert submit(served, view, subscribe_values()) is None  # an empty ack closes the modal
        confirmation = slack.wait_for(lambda: [m for m in slack.messages(CHANNEL) if "Friday" in m["text"]])[0]
        assert "every Friday at 16:30 Europe/London" in confirmation["text"]
        subs = runtime.store.subscriptions.in_channel(Workspace(TEAM), CHANNEL)
        assert [(s.weekday, s.at_time, s.timezone, s.created_by) for s in subs] == [
            ("fri", "16:30", "Europe/London", USER)]

    @pytest.mark.parametrize(("values", "block"), [
        (subscribe_values(zone="Mars/Olympus"), forms.ZONE),
        (subscribe_values(zone="EST"), forms.ZONE),
        (subscribe_values(day=None), forms.DAY),
    ])
    def test_invalid_input_is_shown_in_the_form_and_nothing_is_saved(self, served, slack, runtime, values, block):
        view = open_subscribe_form(served, slack)
        answer = submit(served, view, values)
        assert answer["response_action"] == "errors" and block in answer["errors"]
        served.app.replier.drain()
        assert runtime.store.subscriptions.in_channel(Workspace(TEAM), CHANNEL) == []
        assert slack.messages(CHANNEL) == []

    @pytest.mark.parametrize("garbled", [
        {forms.DAY: {"day": {"type": "static_select", "selected_option": "fri"}}},  # a string, not an object
        {forms.DAY: ["fri"], forms.TIME: None},
        {forms.TIME: {"time": {"selected_time": 1630}}, forms.ZONE: {"zone": {"value": ["Europe/London"]}}},
    ])
    def test_a_garbled_submission_is_answered_in_the_form_not_closed_silently(self, served, slack, runtime,
                                                                             garbled):
        view = open_subscribe_form(served, slack)
        answer = submit(served, view, garbled)
        assert answer["response_action"] == "errors" and answer["errors"]
        assert runtime.store.subscriptions.in_channel(Workspace(TEAM), CHANNEL) == []

    def test_a_submission_from_another_workspace_subscribes_nothing(self, served, slack, runtime):
        view = open_subscribe_form(served, slack)
        # The same form (its metadata naming this workspace's channel) submitted in another one, as
        # Slack would send it there: Bolt reads the workspace from the view's app_installed_team_id.
        elsewhere = {**view, "team_id": "T0000OTHR2", "app_installed_team_id": "T0000OTHR2"}
        answer = submit(served, elsewhere, subscribe_values(), team_id="T0000OTHR2")
        assert answer["response_action"] == "errors" and "no longer knows" in answer["errors"][forms.DAY]
        served.app.replier.drain()
        assert runtime.store.subscriptions.in_channel(Workspace("T0000OTHR2"), CHANNEL) == []
        assert runtime.store.subscriptions.in_channel(Workspace(TEAM), CHANNEL) == []

    def test_an_expired_trigger_gets_the_typed_command_instead_of_silence(self, served, slack):
        trigger = slack.issue_trigger(USER)
        slack.advance_clock(4)  # past Slack's 3 seconds
        url = slack.response_url("late", channel=CHANNEL, user=USER)
        post_signed(served.url, slash_command_body("subscribe", response_url=url, trigger_id=trigger), SIGNING_SECRET)
        note = slack.wait_for(lambda: slack.responses("late"))[0]
        assert "expired_trigger_id" in note["text"] and "/reset subscribe [weekly]" in note["text"]
        assert note["response_type"] == "ephemeral" and slack.modals() == []

    def test_subscribe_with_words_is_still_the_typed_command(self, served, slack, runtime):
        url = slack.response_url("typed", channel=CHANNEL, user=USER)
        post_signed(served.url, slash_command_body("subscribe mon 09:00 UTC", response_url=url), SIGNING_SECRET)
        slack.wait_for(lambda: [m for m in slack.messages(CHANNEL) if "Monday" in m["text"]])
        assert slack.calls("views.open") == []


def shock_reply(served, slack, text="shock eu 20%"):
    url = slack.response_url("shock", channel=CHANNEL, user=USER)
    post_signed(served.url, slash_command_body(text, response_url=url), SIGNING_SECRET)
    return slack.wait_for(lambda: [m for m in slack.messages(CHANNEL) if m.get("blocks")])[0]


def scenario_answers(slack, channel=CHANNEL):
    return [m for m in slack.messages(channel) if "10-year" in json.dumps(m.get("blocks", []))]


class TestTheScenarioBuilder:
    def test_the_button_on_a_shock_reply_opens_it_prefilled_and_the_answer_is_posted(self, served, slack):
        reply = shock_reply(served, slack, "shock eu 20% over 6 months")
        button = next(e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]
                      if e["action_id"] == forms.SCENARIO_BUTTON)
        assert button["value"] == "shock eu 20% over 6 months"
        trigger = slack.issue_trigger(USER)
        click = block_actions_body(forms.SCENARIO_BUTTON, button["value"], trigger_id=trigger, message=reply,
                                   response_url=slack.response_url("click", channel=CHANNEL, user=USER))
        assert post_signed(served.url, click, SIGNING_SECRET)[0] == 200
        view = slack.wait_for(lambda: slack.modals(USER))[-1]
        assert inputs(view)[forms.holder_block(1)]["initial_option"]["value"] == "eu"
        assert inputs(view)[forms.MONTHS]["initial_option"]["value"] == "6"
        before = len(scenario_answers(slack))
        assert submit(served, view, scenario_values([("eu", "20"), ("japan", "10")], months="6")) is None
        answer = slack.wait_for(lambda: scenario_answers(slack)[before:])[0]
        assert "Japan" in answer["text"] and "EU" in answer["text"]

    def test_the_global_shortcut_asks_where_and_posts_there(self, served, slack):
        trigger = slack.issue_trigger(USER)
        assert post_signed(served.url, global_shortcut_body(forms.SCENARIO_SHORTCUT, trigger_id=trigger),
                           SIGNING_SECRET)[0] == 200
        view = slack.wait_for(lambda: slack.modals(USER))[-1]
        assert inputs(view)[forms.WHERE]["default_to_current_conversation"] is True
        url = slack.response_url("where", channel=CHANNEL, user=USER)
        answer = submit(served, view, scenario_values([("china", "10")], where=CHANNEL),
                        response_urls=[{"block_id": forms.WHERE, "action_id": "where", "channel_id": CHANNEL,
                                        "response_url": url}])
        assert answer is None
        posted = slack.wait_for(lambda: scenario_answers(slack))[0]
        assert "China" in posted["text"]

    def test_where_the_bot_is_not_a_member_the_shortcuts_answer_goes_through_its_response_url(self, served, slack):
        slack.add_channel("G0000PRIV9", "secret", private=True, bot_member=False)
        trigger = slack.issue_trigger(USER)
        post_signed(served.url, global_shortcut_body(forms.SCENARIO_SHORTCUT, trigger_id=trigger), SIGNING_SECRET)
        view = slack.wait_for(lambda: slack.modals(USER))[-1]
        url = slack.response_url("private", channel="G0000PRIV9", user=USER)
        submit(served, view, scenario_values([("japan", "10")], where="G0000PRIV9"),
               response_urls=[{"block_id": forms.WHERE, "action_id": "where", "channel_id": "G0000PRIV9",
                               "response_url": url}])
        answers = slack.wait_for(lambda: [r for r in slack.responses("private") if r["response_type"] == "in_channel"])
        assert "Japan" in answers[0]["text"]

    def test_invalid_scenarios_are_shown_in_the_form(self, served, slack):
        trigger = slack.issue_trigger(USER)
        post_signed(served.url, global_shortcut_body(forms.SCENARIO_SHORTCUT, trigger_id=trigger), SIGNING_SECRET)
        view = slack.wait_for(lambda: slack.modals(USER))[-1]
        answer = submit(served, view, scenario_values([("eu", "20"), ("belgium", "10")], where=CHANNEL))
        assert answer["response_action"] == "errors" and "overlap" in answer["errors"][forms.holder_block(1)]
        answer = submit(served, view, scenario_values([("eu", "250")], where=CHANNEL))
        assert "outside 0–100%" in answer["errors"][forms.percent_block(1)]
        served.app.replier.drain()
        assert scenario_answers(slack) == []

    def test_a_trigger_the_stand_in_never_issued_opens_nothing(self, served, slack):
        body = global_shortcut_body(forms.SCENARIO_SHORTCUT, trigger_id="1.2.not-issued")
        assert post_signed(served.url, body, SIGNING_SECRET)[0] == 200
        slack.wait_for(lambda: slack.calls("views.open"))
        assert slack.calls("views.open")[0].response["error"] == "invalid_trigger_id"
        assert slack.modals() == []


def open_home(served, slack, user=USER):
    before = slack.home_view(user)
    body = event_body({"type": "app_home_opened", "user": user, "channel": "D0000HOME1", "tab": "home"})
    assert post_signed(served.url, body, SIGNING_SECRET)[0] == 200
    return slack.wait_for(lambda: (v := slack.home_view(user)) and v != before and v)


def home_buttons(view):
    return {e["action_id"]: e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]}


def click_home(served, slack, action_id, value, user=USER, team_id=TEAM):
    before = slack.home_view(user)
    body = block_actions_body(action_id, value, container="view", user_id=user, team_id=team_id,
                              response_url=None)
    assert post_signed(served.url, body, SIGNING_SECRET)[0] == 200
    return slack.wait_for(lambda: (v := slack.home_view(user)) and v.get("hash") != (before or {}).get("hash") and v)


class TestAppHome:
    @pytest.fixture
    def subscribed(self, served, slack, runtime):
        url = slack.response_url("sub", channel=CHANNEL, user=USER)
        post_signed(served.url, slash_command_body("subscribe fri 16:30 Europe/London", response_url=url),
                    SIGNING_SECRET)
        slack.wait_for(lambda: [m for m in slack.messages(CHANNEL) if "Friday" in m["text"]])
        return runtime.store.subscriptions.in_channel(Workspace(TEAM), CHANNEL)[0]

    def test_the_tab_lists_the_users_briefings_with_buttons(self, served, slack, subscribed):
        view = open_home(served, slack)
        text = json.dumps(view)
        assert "Your briefings" in text and f"<#{CHANNEL}>: every Friday at 16:30 Europe/London" in text
        assert "$68.9T" in text  # the headline numbers are still there
        assert set(home_buttons(view)) == {f"reset_home_{verb}:{subscribed.id}" for verb in ("send", "pause", "remove")}

    def test_pause_resume_and_remove(self, served, slack, runtime, subscribed):
        open_home(served, slack)
        view = click_home(served, slack, f"reset_home_pause:{subscribed.id}", str(subscribed.id))
        assert runtime.store.subscriptions.get(subscribed.id).state == "held"
        assert "Paused the briefing" in json.dumps(view) and f"reset_home_resume:{subscribed.id}" in home_buttons(view)
        assert runtime.store.subscriptions.live() == []  # a held briefing is not delivered

        view = click_home(served, slack, f"reset_home_resume:{subscribed.id}", str(subscribed.id))
        assert runtime.store.subscriptions.get(subscribed.id).state == "active"
        assert f"reset_home_pause:{subscribed.id}" in home_buttons(view)

        view = click_home(served, slack, f"reset_home_remove:{subscribed.id}", str(subscribed.id))
        assert runtime.store.subscriptions.get(subscribed.id).state == "removed"
        assert home_buttons(view) == {} and "Removed the briefing" in json.dumps(view)

    def test_send_now_posts_the_briefing_in_its_channel(self, served, slack, subscribed):
        open_home(served, slack)
        view = click_home(served, slack, f"reset_home_send:{subscribed.id}", str(subscribed.id))
        assert "Sending the briefing" in json.dumps(view)
        briefing = slack.wait_for(lambda: [m for m in slack.messages(CHANNEL) if m.get("metadata")])[0]
        assert "weekly briefing" in json.dumps(briefing["blocks"])

    def test_a_held_briefing_is_removed_by_the_typed_unsubscribe_too(self, served, slack, runtime, subscribed):
        click_home(served, slack, f"reset_home_pause:{subscribed.id}", str(subscribed.id))
        url = slack.response_url("unsub", channel=CHANNEL, user=USER)
        post_signed(served.url, slash_command_body("unsubscribe", response_url=url), SIGNING_SECRET)
        slack.wait_for(lambda: [m for m in slack.messages(CHANNEL) if "Stopped the briefing" in m["text"]])
        assert runtime.store.subscriptions.get(subscribed.id).state == "removed"

    @pytest.mark.parametrize(("user", "team"), [(OTHER_USER, TEAM), (USER, "T0000OTHR2")])
    def test_someone_elses_click_changes_nothing(self, served, slack, runtime, subscribed, user, team):
        slack.add_user(OTHER_USER)
        for verb in ("pause", "remove", "send"):
            view = click_home(served, slack, f"reset_home_{verb}:{subscribed.id}", str(subscribed.id), user=user,
                              team_id=team)
            assert "not one of yours" in json.dumps(view)
        served.app.replier.drain()
        assert runtime.store.subscriptions.get(subscribed.id).state == "active"
        assert [m for m in slack.messages(CHANNEL) if m.get("metadata")] == []


class TestAlertsInAppHome:
    @pytest.fixture
    def alert(self, served, slack, runtime):
        url = slack.response_url("alert", channel=CHANNEL, user=USER)
        post_signed(served.url, slash_command_body("alert china below 600bn", response_url=url), SIGNING_SECRET)
        slack.wait_for(lambda: [m for m in slack.messages(CHANNEL) + slack.responses("alert")
                                if "Alert set" in str(m)])
        [alert] = runtime.store.alerts.in_channel(Workspace(TEAM), CHANNEL)
        return alert

    def test_the_tab_lists_the_users_alerts_with_a_remove_button(self, served, slack, alert):
        view = open_home(served, slack)
        text = json.dumps(view)
        assert "Your alerts" in text and "below $600" in text and f"<#{CHANNEL}>" in text
        assert f"reset_alerthome_remove:{alert.id}" in home_buttons(view)

    def test_remove_from_the_tab_removes_only_the_users_own_alert(self, served, slack, runtime, alert):
        slack.add_user(OTHER_USER)
        view = click_home(served, slack, f"reset_alerthome_remove:{alert.id}", str(alert.id), user=OTHER_USER)
        assert "not one of yours" in json.dumps(view) and runtime.store.alerts.get(alert.id).state != "removed"
        view = click_home(served, slack, f"reset_alerthome_remove:{alert.id}", str(alert.id), team_id="T0000OTHR2")
        assert "not one of yours" in json.dumps(view) and runtime.store.alerts.get(alert.id).state != "removed"
        view = click_home(served, slack, f"reset_alerthome_remove:{alert.id}", str(alert.id))
        assert runtime.store.alerts.get(alert.id).state == "removed"
        assert "Removed the alert" in json.dumps(view) and "None yet" in json.dumps(view)
