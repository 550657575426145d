"""`/reset sources`: every dataset, who publishes it, the period it covers and its vintage."""

from __future__ import annotations

from handlers.datasets import Datasets
from handlers.queries import SourcesQuery
from handlers.reply import Reply, build, context, header, section

TAG_NOTE = {
    "official": "official file",
    "quoted": "quoted from a publication",
    "derived": "computed from quoted figures",
    "secondary": "a secondary copy of an official release",
}


def answer_sources(query: SourcesQuery, datasets: Datasets) -> Reply:
    lines = []
    for name in sorted(datasets.sources):
        s = datasets.sources[name]
        lines.append(
            f"• *{s.title}* — {s.publisher}, {s.series}. Covers {s.period}; latest {s.as_of}; "
            f"vintage {s.vintage} ({TAG_NOTE.get(s.tag, s.tag)}). <{s.url}|source>"
        )
    # Split into sections under Slack's 3,000-character limit per section.
    chunks, current = [], ""
    for line in lines:
        if len(current) + len(line) + 1 > 2900:
            chunks.append(current)
            current = ""
        current += line + "\n"
    chunks.append(current)
    blocks = [header("Where every number comes from"), *(section(c.rstrip()) for c in chunks if c.strip())]
    blocks.append(context([f"Data version {datasets.version}. Official series are revised: each figure in a reply "
                           "names its own source and as-of date."]))
    text = "Sources:\n" + "\n".join(l.replace("*", "") for l in lines)
    return build(blocks, text, visibility="ephemeral")
