"""A reply as a pure value: Block Kit blocks, a plain-text fallback, charts to attach, sources.

Handlers build replies; `bot/` delivers them (Slack, the shell, a briefing). Nothing here talks
to Slack. Charts are referenced, not rendered: `bot` renders each `ChartRef` once per data
version through `handlers.charts.render`, after the command has been acknowledged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from handlers.datasets import Source

# Slack's documented limits (docs.slack.dev/reference/block-kit/blocks), checked on every reply
# because slack_sdk's models do not check the message-level ones.
MAX_BLOCKS_MESSAGE = 50
MAX_BLOCKS_HOME = 100
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_FALLBACK_TEXT = 40_000

#: action_id of every follow-up button; its value is the command text to run.
RUN_ACTION = "reset_run"
#: action_id of every "Data (CSV)" button; its value is `csv_button_value` (the chart and its data version).
CSV_ACTION = "reset_csv"
CSV_BLOCK_ID = "chart_data"
CSV_LABEL = "Data (CSV)"
MAX_BUTTON_TEXT = 75


class ChartRef(BaseModel):
    """A chart to attach: ``key`` names the renderer and its parameters (e.g. ``shock:eu:20:sell``)."""

    model_config = ConfigDict(frozen=True)

    key: str
    title: str
    alt_text: str
    filename: str


class Reply(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str  # plain-text fallback (notifications, screen readers, the shell)
    blocks: tuple[dict[str, Any], ...]
    charts: tuple[ChartRef, ...] = ()
    sources: tuple[Source, ...] = ()
    visibility: Literal["in_channel", "ephemeral"] = "in_channel"


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=PlainTextObject(text=text[:150], emoji=False))


def section(markdown: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=markdown))


def fields(pairs: Sequence[tuple[str, str]]) -> SectionBlock:
    """Up to 10 "label / value" fields, Slack's two-column layout."""
    return SectionBlock(fields=[MarkdownTextObject(text=f"*{label}*\n{value}") for label, value in pairs])


def context(lines: Sequence[str]) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=line) for line in lines][:MAX_CONTEXT_ELEMENTS])


def divider() -> DividerBlock:
    return DividerBlock()


def buttons(commands: Sequence[tuple[str, str]], block_id: str = "followups") -> ActionsBlock:
    """Follow-up buttons, each re-running a command: ``(label, command text)``."""
    return ActionsBlock(
        block_id=block_id,
        elements=[
            ButtonElement(text=label, action_id=f"{RUN_ACTION}:{i}", value=command)
            for i, (label, command) in enumerate(commands)
        ],
    )


def data_buttons(charts: Sequence[ChartRef], version: str = "") -> ActionsBlock:
    """One "Data (CSV)" button per chart: pressing it uploads the rows the chart was drawn from.
    With several charts each button names its chart."""
    return ActionsBlock(
        block_id=CSV_BLOCK_ID,
        elements=[
            ButtonElement(text=(CSV_LABEL if len(charts) == 1 else f"{CSV_LABEL}: {chart.title}")[:MAX_BUTTON_TEXT],
                          action_id=f"{CSV_ACTION}:{i}", value=csv_button_value(chart.key, version))
            for i, chart in enumerate(charts)
        ],
    )


def csv_button_value(key: str, version: str = "") -> str:
    """``{"chart": key, "version": data version}``: the version the message's chart was drawn from,
    so a press after a data refresh can say the rows are newer than the picture."""
    return json.dumps({"chart": key, "version": version}, separators=(",", ":"), ensure_ascii=False)


def read_csv_button(value: object) -> tuple[str, str]:
    """(chart key, data version or "") from a button's value; ``ValueError`` for anything else."""
    if not isinstance(value, str) or len(value) > 2000:
        raise ValueError("not a Data (CSV) button")
    try:
        fields = json.loads(value)
    except ValueError:
        raise ValueError("not a Data (CSV) button") from None
    if (not isinstance(fields, dict) or not isinstance(fields.get("chart"), str)
            or not isinstance(fields.get("version", ""), str)):
        raise ValueError("not a Data (CSV) button")
    version = fields.get("version", "")
    if not re.fullmatch(r"[0-9A-Za-z_-]{0,64}", version):  # a data version (a digest): nothing else is echoed
        raise ValueError("not a Data (CSV) button")
    return fields["chart"], version


def with_data_version(reply: Reply, version: str) -> Reply:
    """The reply with its "Data (CSV)" buttons naming the data version its charts are drawn from
    (`bot.slack.delivery` stamps each reply it posts; the reply itself is built without a version)."""
    if not reply.charts:
        return reply
    stamped = data_buttons(reply.charts, version).to_dict()
    blocks = tuple(stamped if b.get("type") == "actions" and b.get("block_id") == CSV_BLOCK_ID else b
                   for b in reply.blocks)
    return reply if blocks == reply.blocks else reply.model_copy(update={"blocks": blocks})


def sources_context(sources: Sequence[Source]) -> ContextBlock:
    """The source line: every source with its as-of date and vintage."""
    unique = list(dict.fromkeys(sources))
    text = "Sources: " + "; ".join(s.cite() for s in unique)
    if len(text) > MAX_SECTION_TEXT:
        text = text[: MAX_SECTION_TEXT - 1] + "…"
    return context([text])


def build(
    blocks: Sequence[Block],
    text: str,
    *,
    charts: Sequence[ChartRef] = (),
    sources: Sequence[Source] = (),
    visibility: Literal["in_channel", "ephemeral"] = "in_channel",
    limit: int = MAX_BLOCKS_MESSAGE,
) -> Reply:
    """Validate blocks against Slack's limits and freeze them into a `Reply`.

    ``to_dict()`` runs slack_sdk's per-block validation; the count and field lengths, which the
    SDK does not check, are checked here. A reply with charts gets their "Data (CSV)" buttons
    (`data_buttons`) before the source line.
    """
    all_blocks = list(blocks)
    if charts:  # every chart carries the data it was drawn from
        all_blocks.append(data_buttons(charts))
    if sources:
        all_blocks.append(sources_context(sources))
    if len(all_blocks) > limit:
        raise ValueError(f"reply has {len(all_blocks)} blocks; Slack allows {limit}")
    dicts = tuple(b.to_dict() for b in all_blocks)
    for block in dicts:
        for field in block.get("fields", []):
            if len(field["text"]) > MAX_FIELD_TEXT:
                raise ValueError(f"a field is {len(field['text'])} characters; Slack allows {MAX_FIELD_TEXT}")
    return Reply(
        text=text[:MAX_FALLBACK_TEXT],
        blocks=dicts,
        charts=tuple(charts),
        sources=tuple(dict.fromkeys(sources)),
        visibility=visibility,
    )


def message(markdown: str, *, visibility: Literal["in_channel", "ephemeral"] = "ephemeral") -> Reply:
    """A one-section reply (help, usage errors, confirmations), cut to Slack's section limit."""
    if len(markdown) > MAX_SECTION_TEXT:
        markdown = markdown[: MAX_SECTION_TEXT - 1] + "…"
    return build([section(markdown)], text=_plain(markdown), visibility=visibility)


def _plain(markdown: str) -> str:
    return markdown.replace("*", "").replace("`", "")
