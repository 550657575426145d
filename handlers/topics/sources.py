"""`/reset sources`: every dataset, who publishes it, the period it covers, its vintage and when it
was retrieved; which data version is in service, how old it is, and what changed in it."""

from __future__ import annotations

from datetime import datetime, timezone

from handlers.datasets import (
    BASELINE_LABEL,
    META_CHANGES,
    META_LABEL,
    META_PUBLISHED,
    META_RETRIEVED,
    META_RETRIEVED_PREFIX,
    Datasets,
)
from handlers.formatting import age, parse_utc, utc_minute
from handlers.queries import SourcesQuery
from handlers.reply import Reply, build, context, header, section

TAG_NOTE = {
    "official": "official file",
    "quoted": "quoted from a publication",
    "derived": "computed from quoted figures",
    "secondary": "a secondary copy of an official release",
}


def answer_sources(query: SourcesQuery, datasets: Datasets, now: datetime | None = None) -> Reply:
    now = now or datetime.now(timezone.utc)
    meta = datasets.provenance
    lines = []
    for name in sorted(datasets.sources):
        s = datasets.sources[name]
        retrieved = meta.get(META_RETRIEVED_PREFIX + name)
        fetched = f"retrieved {_when(retrieved)}" if retrieved else "as shipped"
        lines.append(
            f"• *{s.title}* — {s.publisher}, {s.series}. Covers {s.period}; latest {s.as_of}; "
            f"vintage {s.vintage}, {fetched} ({TAG_NOTE.get(s.tag, s.tag)}). <{s.url}|source>"
        )
    in_service = data_in_service(datasets, now)
    changes = [line for line in meta.get(META_CHANGES, "").split("\n") if line.strip()]
    # Split into sections under Slack's 3,000-character limit per section.
    chunks, current = [], ""
    for line in lines:
        if len(current) + len(line) + 1 > 2900:
            chunks.append(current)
            current = ""
        current += line + "\n"
    chunks.append(current)
    blocks = [header("Where every number comes from"), section(in_service),
              *(section(c.rstrip()) for c in chunks if c.strip())]
    if changes:
        blocks.append(section(("*What changed in this version*\n" + "\n".join(f"• {c}" for c in changes))[:2900]))
    blocks.append(context([f"Data version {datasets.version}. Official series are revised: each figure in a reply "
                           "names its own source and as-of date."]))
    text = ("Sources:\n" + in_service.replace("*", "") + "\n" + "\n".join(line.replace("*", "") for line in lines)
            + ("\nWhat changed in this version:\n" + "\n".join(f"- {c}" for c in changes) if changes else ""))
    return build(blocks, text, visibility="ephemeral")


def data_in_service(datasets: Datasets, now: datetime) -> str:
    """One sentence: which data version is in service and how old its data are."""
    meta = datasets.provenance
    label = meta.get(META_LABEL, "")
    retrieved = _parse(meta.get(META_RETRIEVED, ""))
    old = f", {age(now - retrieved)} old" if retrieved else ""
    if label == BASELINE_LABEL:
        when = f" (files retrieved {retrieved.date().isoformat()}{old})" if retrieved else ""
        return (f"*Data in service:* the data shipped with the bot{when}; no refresh from the publishers has been "
                "published yet.")
    if label:
        published = _parse(meta.get(META_PUBLISHED, ""))
        when = f", published {_when(published.isoformat())}" if published else ""
        return f"*Data in service:* version {label}{when}; newest download {_when(meta.get(META_RETRIEVED, ''))}{old}."
    return f"*Data in service:* version {datasets.version} (retrieval times not recorded)."


_parse = parse_utc


def _when(text: str) -> str:
    moment = _parse(text)
    if moment is None:
        return text or "unknown"
    if len(text) <= 10:  # a date only
        return moment.date().isoformat()
    return utc_minute(moment)


