"""Settings: one validated object, built once from the environment and passed in.

Secrets are `SecretStr`, so they never show in logs or reprs. A broken value stops the bot at
start with a message naming the variable, not a traceback.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_SLACK_AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"
MAKE_KEY = 'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'

# Environment variable → field. Only these are read; everything else in the environment is ignored.
ENV = {
    "SLACK_BOT_TOKEN": "slack_bot_token",
    "SLACK_APP_TOKEN": "slack_app_token",
    "SLACK_SIGNING_SECRET": "slack_signing_secret",
    "SLACK_API_URL": "slack_api_url",
    "SLACK_CLIENT_ID": "slack_client_id",
    "SLACK_CLIENT_SECRET": "slack_client_secret",
    "SLACK_AUTHORIZE_URL": "slack_authorize_url",
    "SLACK_REDIRECT_URI": "slack_redirect_uri",
    "RESET_BOT_TOKEN_KEY": "token_key",
    "PORT": "port",
    "HOST": "host",
    "DATABASE_URL": "database_url",
    "RESET_BOT_STATE_DIR": "state_dir",
    "RESET_BOT_DATA_DIR": "data_dir",
    "RESET_BOT_REPLY_THREADS": "reply_threads",
    "RESET_BOT_GRACE_MINUTES": "grace_minutes",
    "RESET_BOT_CLAIM_TIMEOUT_SECONDS": "claim_timeout_seconds",
    "RESET_BOT_SYNC_SECONDS": "sync_seconds",
    "RESET_BOT_RETRY_SECONDS": "retry_seconds",
    "RESET_BOT_POSTS_PER_SECOND": "posts_per_second",
    "RESET_BOT_USER_COMMANDS_PER_MINUTE": "user_commands_per_minute",
    "RESET_BOT_CHANNEL_COMMANDS_PER_MINUTE": "channel_commands_per_minute",
    "LOG_LEVEL": "log_level",
    "LOG_FORMAT": "log_format",
    "RESET_BOT_STOP_GRACE_SECONDS": "stop_grace_seconds",
}


class SettingsError(ValueError):
    """The configuration is unusable; the message says which variable and why."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    # OAuth mode (any workspace installs the app): the app's credentials, where browsers are sent to
    # approve an install, and the Fernet key(s) the workspaces' tokens are encrypted with at rest.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_authorize_url: str = DEFAULT_SLACK_AUTHORIZE_URL
    slack_redirect_uri: str | None = None  # default: the manifest's one redirect URL (Slack's choice)
    token_key: SecretStr | None = None  # comma-separated Fernet keys: the first encrypts, all decrypt
    host: str = "0.0.0.0"
    port: int = Field(default=3000, ge=1, le=65535)
    state_dir: Path = Path("state")
    database_url: str | None = None  # default: a SQLite file in state_dir (see `db_url`)
    data_dir: Path | None = None  # default: the data shipped with the package
    reply_threads: int = Field(default=8, ge=1, le=64)  # workers that render and post after the ack
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # SIGTERM: how long acknowledged replies may take to finish before the rest are told to ask
    # again (keep it below the supervisor's kill timeout: Kubernetes waits 30 s by default).
    stop_grace_seconds: float = Field(default=20.0, ge=0, le=600)
    log_format: Literal["text", "json"] = "text"  # json: one object per line with the request's ids (bot/logs.py)
    # Briefings (see bot/briefings/fanout.py): a slot missed by less than the grace is delivered late,
    # else recorded as missed; a claim older than the timeout belongs to a dead process.
    grace_minutes: int = Field(default=120, ge=1, le=7 * 24 * 60)
    # It must outlast the longest post (15 s timeout plus 429 waits): a claim older than this is
    # taken over, and a post still in flight then would go out twice. Below a minute only in tests.
    claim_timeout_seconds: int = Field(default=600, ge=5, le=24 * 3600)
    sync_seconds: int = Field(default=30, ge=1, le=3600)
    retry_seconds: int = Field(default=60, ge=1, le=3600)  # first wait after a failed post; then ×2, ×4, ×8, ×15
    posts_per_second: float = Field(default=10.0, gt=0, le=100)
    # Fair use (bot/slack/fairuse.py): commands a minute per person and per channel; 0 = no limit.
    user_commands_per_minute: float = Field(default=20, ge=0, le=10_000)
    channel_commands_per_minute: float = Field(default=60, ge=0, le=10_000)

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp- (scope connections:write)")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("slack_authorize_url", "slack_redirect_uri")
    @classmethod
    def _browser_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("token_key")
    @classmethod
    def _token_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            token_keys(value)  # raises ValueError with the one line that says how to make a key
        return value

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str | None) -> str | None:
        # The store relies on SQLite's and PostgreSQL's SQL (partial unique indexes, ON CONFLICT).
        schemes = ("sqlite:", "sqlite+", "postgresql:", "postgresql+", "postgres:")
        if value is not None and not value.startswith(schemes):
            raise ValueError("must be a SQLite (sqlite:///path) or PostgreSQL (postgresql://…) URL")
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _mode_is_complete(self) -> Settings:
        if self.slack_bot_token is None and (self.slack_client_id or self.slack_client_secret):
            return self._oauth_is_complete()
        if self.slack_bot_token and not (self.slack_app_token or self.slack_signing_secret):
            raise ValueError(
                "SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor "
                "SLACK_SIGNING_SECRET (HTTP mode) is"
            )
        if (self.slack_app_token or self.slack_signing_secret) and not self.slack_bot_token:
            raise ValueError("SLACK_BOT_TOKEN (xoxb-…) is required to talk to Slack")
        return self

    def _oauth_is_complete(self) -> Settings:
        if not (self.slack_client_id and self.slack_client_secret):
            raise ValueError("OAuth mode needs both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET "
                             "(Basic Information → App Credentials)")
        if self.slack_signing_secret is None:
            raise ValueError("OAuth mode needs SLACK_SIGNING_SECRET (Basic Information → Signing Secret)")
        if self.slack_app_token is not None:
            raise ValueError("OAuth mode serves HTTP (its install pages are web pages); unset SLACK_APP_TOKEN")
        if self.token_key is None:
            raise ValueError(f"OAuth mode stores tokens encrypted and needs RESET_BOT_TOKEN_KEY; make one with: "
                             f"{MAKE_KEY}")
        return self

    @property
    def mode(self) -> Literal["socket", "http", "oauth", "shell"]:
        """Socket Mode with an app token, HTTP with a signing secret, OAuth (any workspace installs the app)
        with the app's client id and secret and no bot token, else the local shell."""
        if self.slack_bot_token is None:
            return "oauth" if self.slack_client_id and self.slack_client_secret else "shell"
        return "socket" if self.slack_app_token else "http"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.state_dir / 'reset-bot.sqlite3').resolve()}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read the variables in `ENV` (empty values count as unset) and validate them."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {field: env[name] for name, field in ENV.items() if env.get(name, "").strip()}
        values.update(overrides)
        try:
            return cls(**values)
        except ValidationError as exc:
            raise SettingsError(_explain(exc)) from None


def token_keys(value: SecretStr) -> list[bytes]:
    """The Fernet keys of RESET_BOT_TOKEN_KEY, first (the one that encrypts) first; ValueError if one is
    not a key. Several keys, comma-separated, are the rotation path: a new key first, the old ones after."""
    from cryptography.fernet import Fernet

    keys = [part.strip().encode() for part in value.get_secret_value().split(",") if part.strip()]
    if not keys:
        raise ValueError(f"is empty; make a key with: {MAKE_KEY}")
    for position, key in enumerate(keys, start=1):
        try:
            # Fernet's base64 decoding skips stray characters, so "NEW;OLD" would pass as one key
            # and the old one would silently be lost: a key is exactly 43 url-safe characters and "=".
            if not re.fullmatch(rb"[A-Za-z0-9_-]{43}=", key):
                raise ValueError("not a Fernet key")
            Fernet(key)
        except ValueError:
            where = f"key {position} of {len(keys)}" if len(keys) > 1 else "the key"
            raise ValueError(f"{where} is not a Fernet key (32 url-safe base64-encoded bytes); "
                             f"make one with: {MAKE_KEY}") from None
    return keys


def _explain(exc: ValidationError) -> str:
    by_field = {field: name for name, field in ENV.items()}
    problems = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{by_field.get(field, field)}: {message}" if field else message)
    return "Invalid configuration — " + "; ".join(problems)
