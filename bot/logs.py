"""Log lines as text (the default) or as one JSON object per line (``LOG_FORMAT=json``), each
carrying the Slack request it belongs to: team, channel and user ids where known.

Which request a line belongs to is kept in a `contextvars.ContextVar`: each HTTP request runs
in a fresh `request_scope` and a Bolt middleware `bind`s the verified request's ids in it; the
briefing fan-out scopes each post. Work handed to another thread keeps it when the pool is a `ContextPool`, which runs
each task in a copy of the submitter's context — Bolt's listener pool, the reply pool and the
render lane are.

What a JSON line holds: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``,
``error_id`` (when the line reports one: `bot.slack.errors`), ``team``, ``enterprise``,
``channel``, ``user`` (when known), ``exc`` (a traceback, when there is one). Never a token,
secret, request body or ``response_url``: the message and traceback have passed through
`bot.redaction` first (the filter runs before any formatter), and the ids are Slack's public
identifiers, not secrets.
"""

from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from typing import Any, TypeVar

T = TypeVar("T")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@dataclass(frozen=True)
class RequestIds:
    """Slack's ids of the request a log line belongs to ("" where unknown)."""

    team: str = ""
    enterprise: str = ""
    channel: str = ""
    user: str = ""


NO_IDS = RequestIds()  # frozen: a safe shared default
_current: contextvars.ContextVar[RequestIds] = contextvars.ContextVar("reset_bot_request", default=NO_IDS)


def current() -> RequestIds:
    return _current.get()


def _ids(team: str | None, channel: str | None, user: str | None, enterprise: str | None) -> RequestIds:
    given = {k: v for k, v in {"team": team, "channel": channel, "user": user, "enterprise": enterprise}.items()
             if isinstance(v, str) and v}
    return replace(_current.get(), **given)


def bind(team: str | None = None, channel: str | None = None, user: str | None = None,
         enterprise: str | None = None) -> None:
    """From now on in this context, log lines carry these ids (those given). Only inside a
    `request_scope`, which undoes it: Bolt's middleware calls this within the server's scope."""
    _current.set(_ids(team, channel, user, enterprise))


@contextmanager
def request_scope(team: str | None = None, channel: str | None = None, user: str | None = None,
                  enterprise: str | None = None) -> Iterator[RequestIds]:
    """Within the block, log lines carry these ids (those given; the others stay as they were)."""
    ids = _ids(team, channel, user, enterprise)
    token = _current.set(ids)
    try:
        yield ids
    finally:
        _current.reset(token)


class ContextPool(ThreadPoolExecutor):
    """A thread pool whose tasks run in a copy of the submitting thread's context, so the request
    ids (and any other context variable) follow the work to the thread that does it."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        context = contextvars.copy_context()
        return super().submit(context.run, fn, *args, **kwargs)


class JsonFormatter(logging.Formatter):
    """One JSON object per line (see the module docstring for its fields)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        error_id = getattr(record, "error_id", None)
        if error_id:
            line["error_id"] = str(error_id)
        line.update({k: v for k, v in asdict(_current.get()).items() if v})
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


def formatter(kind: str) -> logging.Formatter:
    """The formatter for ``LOG_FORMAT`` (``text`` or ``json``)."""
    return JsonFormatter() if kind == "json" else logging.Formatter(TEXT_FORMAT)
