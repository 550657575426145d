"""A logging filter that keeps secrets and Slack URLs out of every log line, whoever logs them.

Our own code never logs a token, a signing secret, a request body or a ``response_url``; this
filter is the second line for the libraries below us (slack_sdk logs request URLs at DEBUG, an
exception's text may quote a URL). It rewrites each record's final message once:

* Slack tokens (``xoxb-…``, ``xoxp-…``, ``xapp-…``, ``xoxe…``) → ``xoxb-[redacted]``;
* ``https://hooks.slack.com/…`` and any ``/response/…`` or ``/commands/…`` webhook path → ``[response_url]``;
* the configured secrets themselves, wherever they appear → ``[redacted]``;
* DEBUG lines of Bolt and slack_sdk are dropped: they print whole request and response payloads
  (user text, response_urls). ``LOG_LEVEL=DEBUG`` is for the bot's own loggers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

_TOKEN = re.compile(r"\b(xox[abpersu]|xapp|xoxe\.xox[bp])-[A-Za-z0-9-]+")
_HOOK = re.compile(r"https?://[^\s'\"<>]*?(hooks\.slack\.com|/response/|/commands/|/actions/)[^\s'\"<>]*")
PAYLOAD_LOGGERS = ("slack_bolt", "slack_sdk")
MAX_MESSAGE = 4000  # a longer message is cut: no library should log a payload through us


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s and len(s) >= 8]

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.INFO and record.name.startswith(PAYLOAD_LOGGERS):
            return False
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        clean = redact(message, self._secrets)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets, limit=None)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def redact(text: str, secrets: Iterable[str] = (), *, limit: int | None = MAX_MESSAGE) -> str:
    """``text`` with tokens, ``secrets`` and webhook URLs replaced, cut at ``limit`` characters.

    >>> redact("token xoxb-123-abc at https://hooks.slack.com/commands/T1/2/x")
    'token xoxb-[redacted] at [response_url]'
    """
    for secret in secrets:
        text = text.replace(secret, "[redacted]")
    text = _TOKEN.sub(lambda m: m.group(1) + "-[redacted]", text)
    text = _HOOK.sub("[response_url]", text)
    if limit is not None and len(text) > limit:
        text = text[:limit] + f"… [{len(text) - limit} characters cut]"
    return text


def install(secrets: Iterable[str] = ()) -> None:
    """Put the filter on every handler of the root logger (call after logging is configured)."""
    redactor = RedactingFilter(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
