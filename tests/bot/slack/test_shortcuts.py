"""The "Fact-check with Reset Bot" message shortcut over real signed HTTP, against the stand-in.

Slack sends a ``message_action`` payload (the message, channel, user, response_url); the answer
goes back only to the person who asked, through that response_url, with a "Post in thread"
button; the click posts the same findings into the message's thread.
"""

from __future__ import annotations

import json

from bot.slack.shortcuts import CANNOT_POST, EMPTY_MESSAGE, FACTCHECK_CALLBACK, message_text
from handlers.factcheck.render import POST_IN_THREAD_ACTION
from tests.conftest import CHANNEL, SIGNING_SECRET, USER
from tests.fakes.slack_requests import block_actions_body, message_action_body, post_signed

POST = ("Europe is the last buyer 🇪🇺 The US owes the world $28 trillion and China is dumping. "
        "Call me at +1 (555) 010-2299 before 14:30!")
MESSAGE_TS = "1767225600.000200"


def shortcut(served, slack, text, *, channel=CHANNEL, token="F1", **kwargs):
    url = slack.response_url(token, channel=channel, user=USER)
    body = message_action_body(FACTCHECK_CALLBACK, text, message_ts=MESSAGE_TS, channel_id=channel,
                               response_url=url, **kwargs)
    return post_signed(served.url, body, SIGNING_SECRET)


def blocks_text(payload) -> str:
    return json.dumps(payload.get("blocks", []), ensure_ascii=False) + payload.get("text", "")


def the_button(payload):
    [button] = [e for b in payload["blocks"] if b["type"] == "actions" for e in b["elements"]]
    return button


def test_the_shortcut_answers_only_the_asker_with_findings_and_a_post_in_thread_button(served, slack):
    status, ack = shortcut(served, slack, POST)
    assert (status, ack) == (200, "")
    [answer] = slack.wait_for(lambda: slack.responses("F1"))
    assert answer["response_type"] == "ephemeral"
    text = blocks_text(answer)
    assert "−$27.6T (Q3 2025)" in text  # the gap, as /reset claims shows it
    assert "Confirmed" in text and "Not supported" in text
    assert "as of" in text and "vintage" in text
    assert text.count("Official:") == 3  # the gap, China, the last buyer: not the phone number or the time
    assert the_button(answer)["action_id"] == POST_IN_THREAD_ACTION
    assert [e["user_target"] for e in slack.ephemerals(CHANNEL)] == [USER]
    assert slack.messages(CHANNEL) == []  # nothing in the channel for everyone


def test_post_in_thread_posts_the_findings_into_the_messages_thread(served, slack):
    shortcut(served, slack, POST)
    [answer] = slack.wait_for(lambda: slack.responses("F1"))
    button = the_button(answer)
    click = block_actions_body(POST_IN_THREAD_ACTION, button["value"], channel_id=CHANNEL, is_ephemeral=True,
                               response_url=slack.response_url("F2", channel=CHANNEL, user=USER))
    status, _ = post_signed(served.url, click, SIGNING_SECRET)
    assert status == 200
    [posted] = slack.wait_for(lambda: slack.messages(CHANNEL))
    assert posted["thread_ts"] == MESSAGE_TS
    assert "−$27.6T (Q3 2025)" in blocks_text(posted)
    assert not [b for b in posted["blocks"] if b["type"] == "actions"]
    # the stand-in records a call after answering it: wait for the record, not only for the message
    [call] = slack.wait_for(lambda: slack.calls("chat.postMessage"))
    assert call.params["thread_ts"] == MESSAGE_TS


def test_a_reply_in_a_thread_is_answered_in_that_thread(served, slack):
    shortcut(served, slack, "Japan backing away from treasuries", thread_ts="1767225000.000100")
    [answer] = slack.wait_for(lambda: slack.responses("F1"))
    assert json.loads(the_button(answer)["value"])["ts"] == "1767225000.000100"


def test_a_message_with_nothing_checkable_gets_an_honest_short_answer(served, slack):
    shortcut(served, slack, "standup moved to 9:30am, dial +44 20 7946 0958, 100% attendance please")
    [answer] = slack.wait_for(lambda: slack.responses("F1"))
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("Nothing I can check here")


def test_a_message_with_no_text_is_explained(served, slack):
    shortcut(served, slack, "")
    [answer] = slack.wait_for(lambda: slack.responses("F1"))
    assert EMPTY_MESSAGE in blocks_text(answer)


def test_where_the_bot_is_not_a_member_post_in_thread_says_so(served, slack):
    slack.add_channel("C0000OUT01", "outside", bot_member=False)
    slack.add_member("C0000OUT01", USER)
    shortcut(served, slack, POST, channel="C0000OUT01")
    [answer] = slack.wait_for(lambda: slack.responses("F1"))
    click = block_actions_body(POST_IN_THREAD_ACTION, the_button(answer)["value"], channel_id="C0000OUT01",
                               is_ephemeral=True, response_url=slack.response_url("F2", channel="C0000OUT01",
                                                                                   user=USER))
    post_signed(served.url, click, SIGNING_SECRET)
    [told] = slack.wait_for(lambda: slack.responses("F2"))
    assert CANNOT_POST in blocks_text(told)
    assert slack.messages("C0000OUT01") == []


def test_a_forged_click_cannot_post(served, slack):
    body = block_actions_body(POST_IN_THREAD_ACTION, json.dumps({"ts": MESSAGE_TS, "text": "China is dumping"}),
                              channel_id=CHANNEL)
    status, _ = post_signed(served.url, body, "not-the-secret")
    assert status == 401
    assert slack.calls("chat.postMessage") == []


def test_message_text_falls_back_to_the_blocks():
    msg = {"text": "", "blocks": [{"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
        {"type": "text", "text": "China is dumping"}]}]}]}
    assert message_text(msg) == "China is dumping"
