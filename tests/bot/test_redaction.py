"""The redacting log filter: no token, secret or Slack webhook URL survives into a log line."""

from __future__ import annotations

import logging

from bot.redaction import MAX_MESSAGE, RedactingFilter, install, redact

SECRET = "signing-secret-0123456789"


def record(name: str, level: int, msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, args, None)


def test_tokens_of_every_kind_are_cut_to_their_prefix():
    text = "xoxb-1-2-abc xoxp-9-zz xapp-1-A0-77-ff xoxe.xoxp-1-r"
    assert redact(text) == "xoxb-[redacted] xoxp-[redacted] xapp-[redacted] xoxe.xoxp-[redacted]"


def test_response_urls_and_configured_secrets_are_replaced():
    text = f"POST http://127.0.0.1:5/commands/T1/2/abc with {SECRET}"
    assert redact(text, [SECRET]) == "POST [response_url] with [redacted]"


def test_a_long_message_is_cut_and_says_how_much():
    cut = redact("x" * (MAX_MESSAGE + 10))
    assert cut.startswith("x" * MAX_MESSAGE) and cut.endswith("[10 characters cut]")


def test_the_filter_rewrites_the_final_message_including_its_arguments():
    line = record("reset_bot.app", logging.WARNING, "token %s", "xoxb-1-2-abc")
    assert RedactingFilter().filter(line) is True
    assert line.getMessage() == "token xoxb-[redacted]"


def test_library_debug_lines_are_dropped_but_their_warnings_kept():
    assert RedactingFilter().filter(record("slack_sdk.web", logging.DEBUG, "payload")) is False
    assert RedactingFilter().filter(record("slack_sdk.web", logging.WARNING, "retrying")) is True
    assert RedactingFilter().filter(record("reset_bot.app", logging.DEBUG, "ours")) is True


def test_tracebacks_are_redacted_too():
    try:
        raise RuntimeError(f"failed with {SECRET}")
    except RuntimeError:
        import sys
        line = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", None, sys.exc_info())
    RedactingFilter([SECRET]).filter(line)
    assert SECRET not in (line.exc_text or "") and "[redacted]" in (line.exc_text or "")


def test_install_puts_the_filter_on_every_root_handler():
    root = logging.getLogger()
    handler = logging.StreamHandler()
    root.addHandler(handler)
    try:
        install([SECRET])
        assert any(isinstance(f, RedactingFilter) for f in handler.filters)
    finally:
        root.removeHandler(handler)
