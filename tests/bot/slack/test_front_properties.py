"""Property: no signed request, whatever its text or payload shape, gets a 5xx or a 404.

The app is called as waitress calls it (the WSGI application `reset-bot serve` runs), in this
process, so hypothesis can try many shapes quickly; the replies go to the local Slack stand-in,
with charts drawn by a stand-in renderer (what is tested is the acknowledgement, and real charts
only slowed every example down). Acknowledgement must be 200 (400 only for a body that is not form
or JSON at all).

Each property tries `EXAMPLES` inputs per run (a fixed budget, not hypothesis's default profile):
enough for the shapes that once broke the front door, which also have example tests of their own
in test_front.py, and new inputs are drawn on every run.
"""

from __future__ import annotations

import io
import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import CHANNEL, SIGNING_SECRET
from tests.fakes.slack_requests import sign, slash_command_body

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=5)), max_leaves=20)
command_texts = st.one_of(
    st.text(max_size=80),
    st.from_regex(r"(shock|holdings|unsubscribe|subscribe|gap|help|briefing) [\w%٪².<>!@#&-]{0,40}",
                  fullmatch=True),
    st.builds(lambda n: f"shock eu {'9' * n}%", st.integers(300, 10_000)),
)
payload_types = st.sampled_from(["block_actions", "view_submission", "view_closed", "shortcut",
                                 "message_action", "block_suggestion", "interactive_message", "nonsense"])


def payloads() -> st.SearchStrategy[dict]:
    action = st.fixed_dictionaries({"action_id": st.sampled_from(["reset_run:1", "reset_run:x", "other", ""]),
                                    "value": st.one_of(command_texts, json_values)})
    return st.fixed_dictionaries(
        {"type": payload_types},
        optional={"actions": st.one_of(st.lists(action, max_size=2), json_values),
                  "channel": st.one_of(st.fixed_dictionaries({"id": st.just(CHANNEL)}), json_values),
                  "user": st.one_of(st.fixed_dictionaries({"id": st.just("U0000USER1")}), json_values),
                  "team": json_values, "view": json_values, "callback_id": json_values,
                  "response_url": st.one_of(st.just("http://127.0.0.1:9/x"), json_values),
                  "container": json_values})


def call(application, body: bytes, headers: dict[str, str]) -> int:
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/slack/events", "CONTENT_LENGTH": str(len(body)),
               "CONTENT_TYPE": headers["content-type"], "wsgi.input": io.BytesIO(body), "SERVER_NAME": "x",
               "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "QUERY_STRING": ""}
    environ.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items() if k != "content-type"})
    statuses = []
    answer = application(environ, lambda status, headers, exc_info=None: statuses.append(status))
    try:
        b"".join(answer)
    finally:
        getattr(answer, "close", lambda: None)()  # what every WSGI server does (PEP 3333)
    return int(statuses[0].split()[0])


def stand_in_chart(key: str, datasets: object) -> bytes:
    return b"\x89PNG\r\n\x1a\n stand-in"


@pytest.fixture(scope="module")
def application(tmp_path_factory, datasets):
    from bot.runtime import build_runtime
    from bot.serving.chart_cache import ChartCache
    from bot.serving.live_data import LiveData
    from bot.settings import Settings
    from tests.conftest import MANIFEST_SCOPES
    from tests.fakes.slack_api import FakeSlack

    with FakeSlack(scopes=MANIFEST_SCOPES) as slack:
        slack.add_channel(CHANNEL, "general")
        slack.add_user("U0000USER1")
        settings = Settings(slack_bot_token=slack.token, slack_signing_secret=SIGNING_SECRET,
                            slack_api_url=slack.base_url, state_dir=tmp_path_factory.mktemp("props"),
                            reply_threads=4, user_commands_per_minute=0, channel_commands_per_minute=0)
        runtime = build_runtime(settings, data=LiveData(datasets), charts=ChartCache(stand_in_chart))
        yield runtime.wsgi()
        runtime.app.shutdown()
        runtime.store.dispose()


EXAMPLES = 60
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(text=command_texts, drop=st.sets(st.sampled_from(["channel_id", "user_id", "team_id", "response_url"])))
def test_any_slash_command_text_is_acknowledged(application, text, drop):
    fields = [(k, v) for k, v in json_fields(slash_command_body(text)) if k not in drop]
    body = urlencode(fields).encode()
    assert call(application, body, sign(SIGNING_SECRET, body)) == 200


@PROPERTY
@given(payload=payloads())
def test_any_interactivity_payload_is_acknowledged(application, payload):
    body = urlencode({"payload": json.dumps(payload)}).encode()
    assert call(application, body, sign(SIGNING_SECRET, body)) == 200


@PROPERTY
@given(envelope=st.dictionaries(st.sampled_from(["type", "event", "event_id", "team_id", "challenge", "token"]),
                                json_values, max_size=6))
def test_any_events_api_envelope_is_acknowledged(application, envelope):
    body = json.dumps(envelope).encode()
    assert call(application, body, sign(SIGNING_SECRET, body)) == 200


def json_fields(body: bytes) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(body.decode(), keep_blank_values=True)
