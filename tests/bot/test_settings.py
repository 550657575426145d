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


# ---- OAuth mode ----------------------------------------------------------------------------------

def _key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def oauth_env(**extra: str) -> dict[str, str]:
    return {"SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": "c" * 32, "SLACK_SIGNING_SECRET": SECRET,
            "RESET_BOT_TOKEN_KEY": _key(), **extra}


def test_client_id_and_secret_without_a_bot_token_mean_oauth_mode():
    settings = Settings.from_env(oauth_env())
    assert settings.mode == "oauth"
    assert settings.slack_authorize_url == "https://slack.com/oauth/v2/authorize"
    assert settings.slack_redirect_uri is None


def test_a_bot_token_keeps_the_single_token_mode_whatever_else_is_set():
    settings = Settings.from_env(oauth_env(SLACK_BOT_TOKEN=BOT))
    assert settings.mode == "http"


def test_several_keys_are_accepted_the_first_one_first():
    from bot.settings import token_keys

    new, old = _key(), _key()
    settings = Settings.from_env(oauth_env(RESET_BOT_TOKEN_KEY=f"{new}, {old}"))
    assert settings.token_key is not None
    assert token_keys(settings.token_key) == [new.encode(), old.encode()]


@pytest.mark.parametrize("env, says", [
    (oauth_env(RESET_BOT_TOKEN_KEY=""),
     'needs RESET_BOT_TOKEN_KEY; make one with: python -c "from cryptography.fernet import Fernet; '
     'print(Fernet.generate_key().decode())"'),
    (oauth_env(RESET_BOT_TOKEN_KEY="short"), "RESET_BOT_TOKEN_KEY: the key is not a Fernet key"),
    (oauth_env(RESET_BOT_TOKEN_KEY=f"{_key()},x"), "RESET_BOT_TOKEN_KEY: key 2 of 2 is not a Fernet key"),
    (oauth_env(SLACK_CLIENT_SECRET=""), "needs both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET"),
    (oauth_env(SLACK_SIGNING_SECRET=""), "OAuth mode needs SLACK_SIGNING_SECRET"),
    (oauth_env(SLACK_APP_TOKEN="xapp-1-A-1-x"), "unset SLACK_APP_TOKEN"),
    (oauth_env(SLACK_AUTHORIZE_URL="slack.com/oauth"), "SLACK_AUTHORIZE_URL: must be an http(s) URL"),
])
def test_an_incomplete_oauth_setup_is_one_clear_line(env, says):
    with pytest.raises(SettingsError) as error:
        Settings.from_env(env)
    message = str(error.value)
    assert says in message and "\n" not in message
    assert "c" * 32 not in message
    assert not env["RESET_BOT_TOKEN_KEY"] or env["RESET_BOT_TOKEN_KEY"].split(",")[0] not in message


def test_the_client_secret_and_key_never_show_in_a_repr():
    env = oauth_env()
    settings = Settings.from_env(env)
    assert env["SLACK_CLIENT_SECRET"] not in repr(settings) and env["RESET_BOT_TOKEN_KEY"] not in repr(settings)


@pytest.mark.parametrize("separator", [";", " ", "\n", "!!"])
def test_token_keys_joined_wrongly_are_refused_not_read_as_one(separator):
    from cryptography.fernet import Fernet
    from pydantic import SecretStr

    from bot.settings import token_keys

    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with pytest.raises(ValueError, match="not a Fernet key"):
        token_keys(SecretStr(new + separator + old))
    assert len(token_keys(SecretStr(f"{new},{old}"))) == 2
