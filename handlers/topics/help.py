"""`/reset help`: the cheat sheet, shared with the App Home tab."""

from __future__ import annotations

from handlers.parsing import usage
from handlers.queries import HelpQuery
from handlers.reply import Reply, build, context, header, section

CHEAT_SHEET: tuple[tuple[str, str], ...] = (
    ("`/reset gap`", "what foreigners own in the US vs what the US owns abroad"),
    ("`/reset holdings [holder]`", "who holds US Treasuries, e.g. `holdings china`"),
    ("`/reset buying`", "who bought Treasuries in 2025 (Europe's share, by window)"),
    ("`/reset refinancing`", "the 2026 refinancing wall and what higher yields cost"),
    ("`/reset shock HOLDER PCT% [sell|pause]`", "yields, mortgages and federal interest if a holder sells, e.g. "
                                                "`shock eu 20%`, "
     "`shock eu 20% japan 10% over 6 months with fed`, `shock china 50% reinvest 50%`"),
    ("`/reset history`", "foreign sales on record, what yields did, and what the model says of them"),
    ("`/reset gold`", "central banks: gold vs Treasuries"),
    ("`/reset claims`", "which claims of the thesis official data confirm"),
    ("`/reset sources`", "every dataset, its publisher and vintage"),
    ("`/reset subscribe [weekly] [day] [HH:MM] [tz]`", "a weekly briefing in this channel"),
    ("`/reset subscriptions` · `unsubscribe` · `briefing`", "list, stop, or send one now"),
    ("`/reset alert SERIES above|below N`", "a post here when a line is crossed, e.g. `alert china below 600bn`, "
                                           "`alert 10y above 5%`; `alerts` lists, `alert remove N` stops one"),
)


def cheat_sheet_markdown() -> str:
    return "\n".join(f"• {cmd} — {what}" for cmd, what in CHEAT_SHEET)


def answer_help(query: HelpQuery) -> Reply:
    if query.topic and query.topic != "help":
        text = f"*Usage:* {usage(query.topic)}"
        return build([section(text)], text=text.replace("*", "").replace("`", ""), visibility="ephemeral")
    blocks = [
        header("Reset Bot — the US external balance sheet, explained"),
        section(cheat_sheet_markdown()),
        context([
            "Every number comes with its source and as-of date. Holders: `eu` (alias `europe`), "
            "`china`, `japan`, `uk`, `belgium`, `saudi arabia`, `foreign` …"
        ]),
    ]
    text = "Reset Bot commands:\n" + "\n".join(f"{c} — {w}" for c, w in CHEAT_SHEET).replace("`", "")
    return build(blocks, text=text, visibility="ephemeral")
