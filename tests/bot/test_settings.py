"""Settings: one validated object from the environment; a broken value is one clear sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError

BOT = "xoxb-1-2-abc"
SECRET = "s" * 32


def test_no_slack_variables_means_the_local_shell():
    settings = Settings.from_env({})
    assert settings.mode == "shell"
    assert settings.db_url.startswith("sqlite:///") and settings.db_url.endswith("reset-bot.sqlite3")


def test_a_signing_secret_means_http_and_an_app_token_socket_mode():
    assert Settings.from_env({"SLACK_BOT_TOKEN": BOT, "SLACK_SIGNING_SECRET": SECRET}).mode == "http"
    socket = Settings.from_env({"SLACK_BOT_TOKEN": BOT, "SLACK_APP_TOKEN": "xapp-1-A-1-x"})
    assert socket.mode == "socket"


def test_empty_values_count_as_unset():
    assert Settings.from_env({"SLACK_BOT_TOKEN": "  ", "PORT": ""}).port == 3000


@pytest.mark.parametrize("env, says", [
    ({"SLACK_BOT_TOKEN": "xoxp-user-token", "SLACK_SIGNING_SECRET": SECRET}, "SLACK_BOT_TOKEN: must be a bot token"),
    ({"SLACK_BOT_TOKEN": BOT}, "neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET"),
    ({"SLACK_SIGNING_SECRET": SECRET}, "SLACK_BOT_TOKEN (xoxb-…) is required"),
    ({"PORT": "70000"}, "PORT:"),
    ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL: must be a SQLite"),
    ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL: must be an http(s) URL"),
])
def test_a_broken_value_names_its_variable(env, says):
    with pytest.raises(SettingsError) as error:
        Settings.from_env(env)
    assert says in str(error.value)


def test_secrets_never_show_in_a_repr():
    settings = Settings.from_env({"SLACK_BOT_TOKEN": BOT, "SLACK_SIGNING_SECRET": SECRET})
    assert BOT not in repr(settings) and SECRET not in repr(settings)


def test_the_api_url_gets_its_trailing_slash_and_postgres_urls_are_accepted(tmp_path: Path):
    settings = Settings.from_env({"SLACK_API_URL": "http://127.0.0.1:9/api",
                                  "DATABASE_URL": "postgresql://u@h/db"}, state_dir=tmp_path)
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.db_url == "postgresql://u@h/db"


def test_settings_are_frozen():
    settings = Settings.from_env({})
    with pytest.raises(ValueError):
        settings.port = 1  # type: ignore[misc]
