"""Reading fields of a Slack payload that may be missing or of the wrong type (a forged but
signed request can hold anything): every listener reads through these two."""

from __future__ import annotations


def text(value: object) -> str:
    """A string field of a Slack payload, or "" when it is missing or not a string.

    >>> text("C1"), text(None), text(7)
    ('C1', '', '')
    """
    return value if isinstance(value, str) else ""


def field(body: object, *path: str) -> object:
    """``body[path[0]][path[1]]…``, or None where a level is missing or not an object.

    >>> field({"user": {"id": "U1"}}, "user", "id"), field({"user": "U1"}, "user", "id")
    ('U1', None)
    """
    for key in path:
        body = body.get(key) if isinstance(body, dict) else None
    return body
