"""The error funnel (bot/slack/errors.py): what the asker sees for each kind of failure, and what
the log keeps — an id to quote for the unexpected, never the text the user typed."""

from __future__ import annotations

import logging
import re

from bot.slack.errors import explain, new_error_id
from bot.storage.records import StoreUnavailable
from handlers.errors import UsageError

ERROR_ID = re.compile(r"error id `([0-9a-f]{8})`")


def test_an_error_id_is_eight_hex_digits_and_new_each_time():
    ids = {new_error_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(re.fullmatch(r"[0-9a-f]{8}", error_id) for error_id in ids)


def test_a_usage_error_is_shown_to_the_asker_as_written_and_kept_out_of_the_log(caplog):
    caplog.set_level(logging.INFO, logger="reset_bot")
    reply = explain(UsageError("Try `/reset shock eu 20%` (you typed SECRET-TEXT)"), where="shock")
    assert reply.text == "Try /reset shock eu 20% (you typed SECRET-TEXT)"
    assert reply.visibility == "ephemeral"
    assert [r.getMessage() for r in caplog.records] == ["user error in shock: UsageError"]
    assert "SECRET-TEXT" not in caplog.text


def test_an_unexpected_error_gives_an_id_that_is_also_in_the_log_with_its_traceback(caplog):
    caplog.set_level(logging.INFO, logger="reset_bot")
    try:
        raise RuntimeError("internal detail")
    except RuntimeError as exc:
        reply = explain(exc, where="gap")
    [error_id] = ERROR_ID.findall(reply.blocks[0]["text"]["text"])
    assert "Something went wrong on my side" in reply.text
    assert "internal detail" not in reply.text and "Traceback" not in reply.text
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert record.getMessage() == f"unexpected error {error_id} in gap"
    assert record.exc_info is not None and record.exc_info[1].args == ("internal detail",)


def test_a_database_outage_says_nothing_was_changed_and_logs_an_id_without_a_traceback(caplog):
    caplog.set_level(logging.INFO, logger="reset_bot")
    reply = explain(StoreUnavailable("the database file disappeared"), where="subscribe")
    [error_id] = ERROR_ID.findall(reply.blocks[0]["text"]["text"])
    assert "database is not available" in reply.text and "nothing was changed" in reply.text
    [record] = caplog.records
    assert record.getMessage() == f"database unavailable {error_id} in subscribe: the database file disappeared"
    assert record.exc_info is None


def test_without_a_place_the_log_line_names_only_the_kind_of_error(caplog):
    caplog.set_level(logging.INFO, logger="reset_bot")
    assert explain(UsageError("Nope.")).text == "Nope."
    assert [r.getMessage() for r in caplog.records] == ["user error: UsageError"]
