"""The workspaces that installed the app (OAuth mode), with their tokens encrypted at rest.

slack_sdk's SQLAlchemy stores do the bookkeeping — `SQLAlchemyInstallationStore` (one row per
install, the latest bot per workspace) and `SQLAlchemyOAuthStateStore` (the ``state`` of an install
in progress, so a callback that reaches another replica is still recognised) — on the bot's own
database. What is changed is the type of the credential columns: `EncryptedToken`, a SQLAlchemy
type that Fernet-encrypts a value on its way into the database and decrypts it on its way out. So
every path of the store (save, save_bot, find_*, delete_*, and whatever a later slack_sdk adds)
writes ciphertext only, and the rest of the bot and Bolt see plain tokens.

Keys: `TokenCipher` takes one or more Fernet keys (RESET_BOT_TOKEN_KEY, comma-separated). The first
encrypts; each is tried for decrypting. Rotation: put a new key first and keep the old one second;
new and refreshed tokens are written with the new key, old rows still read; once every row has been
rewritten (`reencrypt`), the old key can go.

The tables are created by the schema's migrations (`bot.storage.schema`, version 6; version 7
indexes ``state``), not by the stores' ``create_tables()``: the migration runs once, under
PostgreSQL's advisory lock when several replicas start together, and the schema version says that
the tables exist.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, Table, Text, delete, select, update
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.types import TypeDecorator

from bot.storage.records import StoreError

logger = logging.getLogger("reset_bot.installations")

INSTALLATIONS_TABLE = "reset_slack_installations"
BOTS_TABLE = "reset_slack_bots"
STATES_TABLE = "reset_oauth_states"
#: Credentials in slack_sdk's rows: tokens, refresh tokens, and an incoming webhook's URL (it posts).
SECRET_COLUMNS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token", "incoming_webhook_url")
STATE_SECONDS = 600  # an install not finished within 10 minutes starts again (Bolt's default)


class TokenKeyError(StoreError):
    """A stored token cannot be decrypted with any of the configured keys."""


class TokenCipher:
    """Fernet with several keys: the first encrypts, every one decrypts."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("at least one Fernet key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, stored: str) -> str:
        try:
            return self._fernet.decrypt(stored.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise TokenKeyError("a stored Slack token cannot be decrypted with RESET_BOT_TOKEN_KEY "
                                "(was the key that wrote it removed from the list?)") from None

    def rotate(self, stored: str) -> str:
        """``stored`` re-encrypted with the first key."""
        try:
            return self._fernet.rotate(stored.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise TokenKeyError("a stored Slack token cannot be decrypted with RESET_BOT_TOKEN_KEY") from None


class EncryptedToken(TypeDecorator[str]):
    """A text column whose values are Fernet ciphertext in the database and plain text in Python.

    Without a cipher the type only describes the column (the migration creates tables with it);
    reading or writing a value through it then raises."""

    impl = Text
    cache_ok = True

    def __init__(self, cipher: TokenCipher | None = None) -> None:
        super().__init__()
        self.cipher = cipher

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return self._cipher().encrypt(str(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return self._cipher().decrypt(str(value))

    def _cipher(self) -> TokenCipher:
        if self.cipher is None:
            raise StoreError("token columns need a TokenCipher (RESET_BOT_TOKEN_KEY) to be read or written")
        return self.cipher


def installation_tables(metadata: MetaData, cipher: TokenCipher | None = None) -> tuple[Table, Table]:
    """slack_sdk's bots and installations tables, under our names, with `EncryptedToken` credentials.

    The columns are slack_sdk's own (so its store keeps working across its versions); only the
    credentials' type changes — to unbounded text, since ciphertext is longer than a token."""
    bots = SQLAlchemyInstallationStore.build_bots_table(metadata, BOTS_TABLE)
    installations = SQLAlchemyInstallationStore.build_installations_table(metadata, INSTALLATIONS_TABLE)
    for table in (bots, installations):
        for name in SECRET_COLUMNS:
            if name in table.c:
                table.c[name].type = EncryptedToken(cipher)
    return bots, installations


def state_table(metadata: MetaData) -> Table:
    return SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, STATES_TABLE)


@dataclass(frozen=True)
class Rewritten:
    """What `EncryptedInstallationStore.reencrypt` rewrote: rows, and credentials in them."""

    rows: int
    values: int


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's SQLAlchemy installation store whose credentials are ciphertext in the database."""

    def __init__(self, client_id: str, engine: Engine, cipher: TokenCipher) -> None:
        super().__init__(client_id, engine, bots_table_name=BOTS_TABLE, installations_table_name=INSTALLATIONS_TABLE,
                         logger=logger)
        self.metadata = MetaData()
        self.bots, self.installations = installation_tables(self.metadata, cipher)
        self._cipher = cipher

    def reencrypt(self) -> Rewritten:
        """Rewrite every stored credential with the first key (after a key rotation). Reads the raw
        ciphertext, so no token is handed out in clear; one transaction, so a row that no key can
        decrypt (`TokenKeyError`, naming the row, never its value) leaves every row as it was. The
        rows are locked while they are rewritten (PostgreSQL: FOR UPDATE; SQLite: one writer), so
        a token another process refreshes meanwhile is not overwritten with the old one."""
        raw = MetaData()
        rows = values_count = 0
        with self.engine.begin() as conn:
            for name in (BOTS_TABLE, INSTALLATIONS_TABLE):
                table = Table(name, raw, autoload_with=conn)
                columns = [table.c[column] for column in SECRET_COLUMNS if column in table.c]
                query = select(table.c.id, table.c.team_id, table.c.enterprise_id, *columns).with_for_update()
                for row in conn.execute(query).mappings():
                    values: dict[str, str] = {}
                    for col in columns:
                        if row[col.name] is None:
                            continue
                        try:
                            values[col.name] = self._cipher.rotate(row[col.name])
                        except TokenKeyError:
                            raise TokenKeyError(
                                f"the {col.name} of row {row['id']} in {name} (team {row['team_id']}, enterprise "
                                f"{row['enterprise_id']}) cannot be decrypted with any key of RESET_BOT_TOKEN_KEY; "
                                "nothing was rewritten (add the key that wrote it)") from None
                    if values:
                        conn.execute(update(table).where(table.c.id == row["id"]).values(**values))
                        rows += 1
                        values_count += len(values)
        return Rewritten(rows, values_count)


class PrunedStateStore(SQLAlchemyOAuthStateStore):
    """slack_sdk's state store, which deletes a state only when it is used: an install page opened
    and abandoned (or requested by anyone, unsigned, in a loop) left its row for ever. Each new state
    first deletes the expired ones, so the table holds at most ten minutes of install pages."""

    def issue(self, *args: Any, **kwargs: Any) -> str:
        now = normalize_datetime_for_db(datetime.now(timezone.utc))
        with self.engine.begin() as conn:
            conn.execute(delete(self.oauth_states).where(self.oauth_states.c.expire_at < now))
        return super().issue(*args, **kwargs)


def state_store(engine: Engine, expiration_seconds: int = STATE_SECONDS) -> SQLAlchemyOAuthStateStore:
    """The OAuth ``state`` store on the bot's database: every replica sees every install in progress."""
    return PrunedStateStore(expiration_seconds, engine, logger=logger, table_name=STATES_TABLE)
