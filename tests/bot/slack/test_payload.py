"""Payload fields are read defensively: wrong types and missing levels give "" / None, never a crash."""

from bot.slack.payload import field, text


def test_text_is_a_string_or_empty():
    assert [text(v) for v in ("x", None, 1, ["x"], {"a": 1})] == ["x", "", "", "", ""]


def test_field_walks_objects_only():
    body = {"container": {"channel_id": "C1"}, "team": ["T1"], "user": None}
    assert field(body, "container", "channel_id") == "C1"
    assert field(body, "team", "id") is None and field(body, "user", "id") is None and field(None, "x") is None
