"""Block Kit as readable plain text, for the shell and `reset-bot ask`."""

from __future__ import annotations

import re
import textwrap
from typing import Any

from handlers.reply import CSV_BLOCK_ID, Reply

_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_ITALIC = re.compile(r"(?<!\w)_(.+?)_(?!\w)", re.DOTALL)
# The few Slack emoji codes replies use, as terminal characters.
_EMOJI = {
    ":white_check_mark:": "✅",
    ":large_orange_circle:": "🟠",
    ":x:": "❌",
    ":grey_question:": "❔",
    ":warning:": "⚠️",
}


def _mrkdwn(text: str) -> str:
    for code, char in _EMOJI.items():
        text = text.replace(code, char)
    text = _LINK.sub(r"\2 (\1)", text)
    text = _ITALIC.sub(r"\1", text)
    return text.replace("*", "").replace("`", "").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")


def _wrap(text: str, indent: str = "") -> str:
    out = []
    for line in text.splitlines() or [""]:
        wrapped = textwrap.fill(line, width=100, initial_indent=indent, subsequent_indent=indent + "  ")
        out.append(wrapped if line else "")
    return "\n".join(out)


def block_text(block: dict[str, Any]) -> str:
    kind = block.get("type")
    if kind == "header":
        title = block["text"]["text"]
        return f"{title}\n{'=' * len(title)}"
    if kind == "section":
        parts = []
        if block.get("text"):
            parts.append(_wrap(_mrkdwn(block["text"]["text"])))
        for field in block.get("fields", []):
            label, _, value = _mrkdwn(field["text"]).partition("\n")
            parts.append(_wrap(f"{label}: {value.replace(chr(10), ' ')}", "  "))
        return "\n".join(parts)
    if kind == "context":
        return "\n".join(_wrap(_mrkdwn(e.get("text", "")), "  · ") for e in block.get("elements", []))
    if kind == "divider":
        return "-" * 40
    if kind == "actions" and block.get("block_id") == CSV_BLOCK_ID:  # Slack's "Data (CSV)" buttons
        return "Data: `reset-bot ask … --csv DIR` writes the rows behind each chart as CSV"
    if kind == "actions":
        labels = [f"[{e['text']['text']}: {e.get('value', '')}]" for e in block.get("elements", [])]
        return "Follow-ups: " + " ".join(labels)
    if kind == "image":
        return f"(image: {block.get('alt_text', '')})"
    return ""


def reply_text(reply: Reply) -> str:
    return "\n".join(t for t in (block_text(b) for b in reply.blocks) if t)
