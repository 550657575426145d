"""The Socket Mode stand-in behaves as Slack's side does, for the rules the app relies on."""

from __future__ import annotations

import json
from contextlib import ExitStack

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.fakes.socket_mode import FakeSocketMode

TOKEN = "xapp-1-A0000APP01-000-secret"


@pytest.fixture
def fake():
    server = FakeSocketMode(TOKEN)
    yield server
    server.close()


def test_a_url_is_only_for_the_app_token_and_only_once(fake):
    assert fake.open_url(None)["error"] == "not_authed"
    assert fake.open_url("xapp-1-wrong")["error"] == "invalid_auth"
    url = fake.open_url(TOKEN)["url"]
    with connect(url) as first:
        assert json.loads(first.recv(timeout=5))["type"] == "hello"
        with connect(url) as second:  # the ticket was spent: the server closes the replay at once
            with pytest.raises(ConnectionClosed) as closed:
                second.recv(timeout=5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4001


def test_each_envelope_goes_to_one_connection_in_turn_and_its_ack_is_recorded(fake):
    with connect(fake.open_url(TOKEN)["url"]) as a, connect(fake.open_url(TOKEN)["url"]) as b:
        a.recv(timeout=5), b.recv(timeout=5)  # hello
        fake.wait_connections(2)
        first = fake.send("slash_commands", {"text": "gap"})
        second = fake.send("slash_commands", {"text": "gold"})
        got_a, got_b = json.loads(a.recv(timeout=5)), json.loads(b.recv(timeout=5))
        assert {got_a["envelope_id"], got_b["envelope_id"]} == {first, second}
        b.send(json.dumps({"envelope_id": got_b["envelope_id"], "payload": {"text": "ok"}}))
        ack = fake.wait_ack(got_b["envelope_id"])
        assert ack.connection == 1 and ack.payload == {"text": "ok"}
        assert fake.received() == {0: 1, 1: 1}


def test_no_more_than_ten_connections(fake):
    with ExitStack() as sockets:
        for _ in range(10):
            sockets.enter_context(connect(fake.open_url(TOKEN)["url"]))
        fake.wait_connections(10)
        assert fake.open_url(TOKEN)["error"] == "too_many_websockets"
