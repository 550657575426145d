"""Installations at rest: what reaches the database is Fernet ciphertext, what comes out is the token;
a key rotation (new key first, old key second) reads old rows and writes with the new key."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from cryptography.fernet import Fernet, InvalidToken
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import MetaData, Table, select

from bot.storage import connect
from bot.storage.installations import (
    BOTS_TABLE,
    INSTALLATIONS_TABLE,
    EncryptedInstallationStore,
    Rewritten,
    TokenCipher,
    TokenKeyError,
    state_store,
)

# Rotating tokens are long (ciphertext of these exceeds slack_sdk's String(200) columns: ours are TEXT).
BOT_TOKEN = ("xoxe.xoxb-1-MS0yLTEyMzQ1Njc4OTAxMi0xMjM0NTY3ODkwMTIzLTEyMzQ1Njc4OTAxMjM0NTY3LWFiY2RlZmFi"
             "Y2RlZjEyMzQ1Njc4OTA")
REFRESH = ("xoxe-1-My0xLTEyMzQ1Njc4OTAxMi0xMjM0NTY3ODkwMTIzLTEyMzQ1Njc4OTAxMjM0NTY3ODkwLWFiY2RlZmFiY2Rl"
           "ZmFiY2RlZmFiY2RlZmFiY2RlZjEyMzQ1Njc4OQ")
USER_TOKEN = "xoxp-1234567890-1234567890-1234567890-0123456789abcdef0123456789abcdef"
KEY_OLD, KEY_NEW = Fernet.generate_key(), Fernet.generate_key()


def installation(team="T0000TEAM1", token=BOT_TOKEN, installed_at=None) -> Installation:
    return Installation(app_id="A0000APP01", team_id=team, team_name="Team One", bot_token=token, bot_id="B1",
                        bot_user_id="U0000BOT01", bot_scopes="commands,chat:write", bot_refresh_token=REFRESH,
                        bot_token_expires_in=43200, user_id="U0000ADMIN", user_token=USER_TOKEN, user_scopes="",
                        installed_at=installed_at or datetime.now(timezone.utc).timestamp())


@pytest.fixture
def storage(db_url):
    s = connect(db_url)
    yield s
    s.dispose()


def store(storage, *keys: bytes) -> EncryptedInstallationStore:
    return EncryptedInstallationStore("1111.2222", storage.database.engine, TokenCipher(list(keys)))


def raw_rows(storage, table_name: str) -> list[dict]:
    """The table as the database holds it: read without the store, so nothing is decrypted."""
    with storage.database.engine.connect() as conn:
        table = Table(table_name, MetaData(), autoload_with=conn)
        return [dict(row) for row in conn.execute(select(table)).mappings()]


def test_tokens_reach_the_database_as_ciphertext_and_come_back_as_tokens(storage):
    installations = store(storage, KEY_NEW)
    installations.save(installation())
    for table in (INSTALLATIONS_TABLE, BOTS_TABLE):
        rows = raw_rows(storage, table)
        assert len(rows) == 1
        dump = repr(rows)
        for secret in (BOT_TOKEN, REFRESH, USER_TOKEN, "xoxb", "xoxp", "xoxe"):
            assert secret not in dump, f"{secret[:8]}… in plain text in {table}"
        assert Fernet(KEY_NEW).decrypt(rows[0]["bot_token"].encode()).decode() == BOT_TOKEN
        assert Fernet(KEY_NEW).decrypt(rows[0]["bot_refresh_token"].encode()).decode() == REFRESH
    found = installations.find_installation(enterprise_id=None, team_id="T0000TEAM1")
    assert (found.bot_token, found.bot_refresh_token, found.user_token) == (BOT_TOKEN, REFRESH, USER_TOKEN)
    bot = installations.find_bot(enterprise_id=None, team_id="T0000TEAM1")
    assert (bot.bot_token, bot.bot_refresh_token, bot.team_name) == (BOT_TOKEN, REFRESH, "Team One")
    assert installations.find_bot(enterprise_id=None, team_id="T0000OTHER") is None


def test_a_rotated_key_reads_old_rows_and_writes_new_ones_with_the_new_key(storage):
    store(storage, KEY_OLD).save(installation(team="T0000OLD01"))
    rotated = store(storage, KEY_NEW, KEY_OLD)  # RESET_BOT_TOKEN_KEY=new,old
    assert rotated.find_bot(enterprise_id=None, team_id="T0000OLD01").bot_token == BOT_TOKEN
    rotated.save(installation(team="T0000NEW01", token="xoxb-9-new-team-token"))
    by_team = {row["team_id"]: row for row in raw_rows(storage, BOTS_TABLE)}
    assert Fernet(KEY_NEW).decrypt(by_team["T0000NEW01"]["bot_token"].encode()) == b"xoxb-9-new-team-token"
    with pytest.raises(InvalidToken):  # the old key cannot read what the new one wrote
        Fernet(KEY_OLD).decrypt(by_team["T0000NEW01"]["bot_token"].encode())
    # Re-encrypting every row with the new key lets the old key go.
    # Per workspace: the bot row's token and refresh token, the installation row's two and its user token.
    assert rotated.reencrypt() == Rewritten(rows=2 * 2, values=2 * 5)
    only_new = store(storage, KEY_NEW)
    assert only_new.find_bot(enterprise_id=None, team_id="T0000OLD01").bot_token == BOT_TOKEN
    assert only_new.find_installation(enterprise_id=None, team_id="T0000OLD01").user_token == USER_TOKEN


def test_a_row_no_configured_key_can_read_is_a_clear_error_not_a_token(storage):
    store(storage, KEY_OLD).save(installation())
    with pytest.raises(TokenKeyError, match="RESET_BOT_TOKEN_KEY"):
        store(storage, KEY_NEW).find_bot(enterprise_id=None, team_id="T0000TEAM1")


def test_deleting_an_installation_removes_its_rows(storage):
    installations = store(storage, KEY_NEW)
    installations.save(installation())
    installations.delete_installation(enterprise_id=None, team_id="T0000TEAM1")
    installations.delete_bot(enterprise_id=None, team_id="T0000TEAM1")
    assert raw_rows(storage, INSTALLATIONS_TABLE) == raw_rows(storage, BOTS_TABLE) == []


def test_the_state_store_is_shared_by_every_process_on_the_database(storage, db_url):
    issued = state_store(storage.database.engine).issue()
    other_replica = connect(db_url)
    try:
        assert state_store(other_replica.database.engine).consume(issued) is True
        assert state_store(storage.database.engine).consume(issued) is False  # once only
    finally:
        other_replica.dispose()


def test_an_expired_state_is_refused(storage):
    states = state_store(storage.database.engine, expiration_seconds=-1)
    assert states.consume(states.issue()) is False


def test_reencrypt_names_a_row_no_key_can_read_and_rewrites_nothing(storage):
    store(storage, KEY_NEW).save(installation(team="T0000NEW01"))  # readable by the keys below…
    store(storage, KEY_OLD).save(installation(team="T0000OLD01"))  # …this one is not
    before = raw_rows(storage, BOTS_TABLE) + raw_rows(storage, INSTALLATIONS_TABLE)
    newest = Fernet.generate_key()
    with pytest.raises(TokenKeyError) as refused:
        store(storage, newest, KEY_NEW).reencrypt()
    message = str(refused.value)
    assert "team T0000OLD01" in message and "nothing was rewritten" in message
    assert all(secret not in message for secret in (BOT_TOKEN, REFRESH, USER_TOKEN))
    assert raw_rows(storage, BOTS_TABLE) + raw_rows(storage, INSTALLATIONS_TABLE) == before  # one transaction
