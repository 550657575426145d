"""manifest.yml is a valid Slack app manifest and matches what the app really registers."""

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "tests/fixtures/slack-manifest-schema/schemas/manifest.schema.1.0.0.json"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_manifest_validates_against_slacks_official_schema(manifest):
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator(schema).validate(manifest)


def test_schema_rejects_a_broken_manifest(manifest):
    """Guards the test above: the vendored schema really checks something."""
    broken = {**manifest, "display_information": {"description": "no name"}}
    schema = json.loads(SCHEMA.read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(broken)


def test_manifest_commands_are_exactly_the_ones_the_app_registers(manifest, make_app):
    app = make_app().bolt
    registered = set()
    # Bolt has no public list of its listeners; reading its own is the only way to check that
    # the manifest's commands are the ones the app really answers.
    for listener in app._listeners:
        for matcher in listener.matchers:
            func = getattr(matcher, "func", None)
            # Bolt builds command matchers from closures; read the constraint they close over.
            for cell in getattr(func, "__closure__", None) or ():
                value = cell.cell_contents
                if isinstance(value, str) and value.startswith("/"):
                    registered.add(value)
    assert registered == {c["command"] for c in manifest["features"]["slash_commands"]}


def test_every_url_points_at_the_one_events_endpoint(manifest):
    urls = [c["url"] for c in manifest["features"]["slash_commands"]]
    settings = manifest["settings"]
    urls += [settings["interactivity"]["request_url"], settings["event_subscriptions"]["request_url"]]
    assert all(re.fullmatch(r"https://[^/]+/slack/events", u) for u in urls)


def test_the_app_home_event_the_app_listens_to_is_subscribed(manifest):
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert "app_home_opened" in events
    assert {"app_uninstalled", "tokens_revoked"} <= set(events)  # OAuth mode cleans up after itself
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def test_the_oauth_redirect_url_is_the_one_the_app_serves(manifest):
    from bot.slack.oauth import BOT_SCOPES, REDIRECT_PATH

    [url] = manifest["oauth_config"]["redirect_urls"]
    assert re.fullmatch(rf"https://[^/]+{REDIRECT_PATH}", url)
    assert set(BOT_SCOPES) == set(manifest["oauth_config"]["scopes"]["bot"])


def test_token_rotation_stays_off_for_the_single_token_mode_and_the_oauth_variant_is_valid(manifest):
    """Shipped off: the single-token mode's pasted token would expire after 12 hours with rotation on,
    and Slack lets no app turn rotation off again. The README's OAuth-only variant (rotation on)
    must still be a manifest Slack accepts."""
    assert manifest["settings"]["token_rotation_enabled"] is False
    oauth_only = {**manifest, "settings": {**manifest["settings"], "token_rotation_enabled": True}}
    jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).validate(oauth_only)
    readme = (ROOT / "README.md").read_text()
    assert "token_rotation_enabled: true" in readme  # the README says how, and when, to turn it on
