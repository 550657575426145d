"""The fact-check's reply: each statement found, judged by the rule `/reset claims` uses for it.

`link` turns a `Statement` into a check of the shared rule set (`handlers.topics.claims.RULES`)
and the value claimed in the rule's unit — most subjects are a row of data/claims.csv, whose check
is run with the message's number (or direction) instead of the thesis' own; a few (a holder's
level, a direction for a holder the thesis does not name, a scenario) use a rule with arguments
built here. Nothing is computed here: the official figure, the verdict and the sources all come
from `claims.measure`, so the fact-check and `/reset claims` cannot disagree.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import pandas as pd
from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement

from handlers import formatting as fmt
from handlers.datasets import Datasets, Source
from handlers.factcheck.matcher import SUBJECT_WORDS, Matcher, Statement
from handlers.holders import HolderRegistry
from handlers.lookup import holder_series, latest_month
from handlers.queries import FactCheckQuery
from handlers.reply import Reply, build, context, header, section
from handlers.topics.claims import BADGE, Measured, measure, rule_of

#: action_id of the "Post in thread" button; its value is `thread_value` JSON.
POST_IN_THREAD_ACTION = "reset_factcheck_post"
MAX_FINDINGS = 12  # Slack allows 50 blocks; a post with more claims than this is cut, and says so
MAX_BUTTON_VALUE = 2000  # Slack's limit for a button's value

#: Subjects that are one row of data/claims.csv: the row's check is run with the message's value.
ROW_OF: dict[str, str] = {
    "gap_net": "gap_net", "gap_pct_gdp": "gap_pct_gdp", "gap_liabilities": "gap_liabilities",
    "gap_assets": "gap_assets", "eu_treasuries": "eu_treasuries", "eu_corporate": "eu_corporate",
    "eu_equities": "eu_equities", "europe_vs_rest": "europe_twice_rest", "refinancing": "refi_wall_2026",
    "last_buyer": "eu_last_man_standing", "primary_financier": "europe_primary_financier",
    "gold_crossover": "gold_crossover", "declined_for_gold": "ust_declined_for_gold",
}
NOT_COMPARED = ":grey_question: Not compared"


@dataclass(frozen=True)
class Finding:
    statement: Statement
    read_as: str  # what was read, in words ("the gap: $28T")
    check: str | None  # the shared rule's check, None when the claim has a fixed verdict or is not compared
    claimed: float | None
    measured: Measured | None  # None: not compared (e.g. an amount in euros)
    evidence: str  # the thesis row's evidence line, or the rule's thresholds
    note: str = ""


def _row(datasets: Datasets, claim_id: str) -> pd.Series:
    rows = datasets.frame("claims")
    return rows[rows["id"] == claim_id].iloc[0]


def _in_unit(statement: Statement, unit: str) -> float | None:
    if statement.value is None:
        return None
    if unit == "usd_t":
        return statement.value / 1000
    return statement.value


def _direction_check(statement: Statement, datasets: Datasets, holders: HolderRegistry) -> tuple[str, str | None]:
    """The check for "X is selling/buying": the thesis' own window where claims.csv has one for this
    holder (or these holders), else the newest 12 months of TIC."""
    word = "up" if statement.direction > 0 else "down"
    keys = ",".join(statement.holders)
    for row in datasets.frame("claims").itertuples(index=False):
        check = str(row.check) if isinstance(row.check, str) else ""
        parts = check.split(":")
        if parts[0] in ("holder_change", "holders_change") and parts[1] == keys:
            return ":".join([*parts[:-1], word]), str(row.id)
    if len(statement.holders) > 1:
        raise LookupError("no joint rule")
    series = holder_series(datasets, holders.get(statement.holders[0]))
    end = str(series.index.max())
    start = f"{int(end[:4]) - 1}{end[4:]}"
    if start not in series.index:
        start = str(series.index.min())
    return f"holder_change:{keys}:{start}:{end}:{word}", None


def link(statement: Statement, datasets: Datasets, holders: HolderRegistry) -> Finding:
    """Judge one statement with the shared rule set."""
    subject = statement.subject
    label = ", ".join(holders.get(k).label for k in statement.holders)
    if subject == "scenario":
        check = f"shock_range:{statement.holders[0]}:{statement.percent:g}"
        read = (f"if {label} sold {fmt.pct(statement.percent or 0, digits=0)} of its Treasuries, the 10-year would "
                f"rise {fmt.bp(statement.value or 0)}")
        row = _row(datasets, "eu_sell_20pct")
        return Finding(statement, read, check, statement.value, measure(check, statement.value, datasets, holders),
                       _rule_line(check), f"Where the claim comes from: {row.evidence}")
    if subject == "direction":
        moving = "selling / cutting" if statement.direction < 0 else "buying / adding"
        read = f"{label}: {moving} Treasuries"
        try:
            check, claim_id = _direction_check(statement, datasets, holders)
            measured = measure(check, None, datasets, holders)
        except (KeyError, LookupError, ValueError):
            return Finding(statement, read, None, None, None, "", "TIC does not list this holder over that window.")
        evidence = str(_row(datasets, claim_id).evidence) if claim_id else _rule_line(check)
        return Finding(statement, read, check, None, measured, evidence,
                       "" if claim_id else _stale_note(statement.holders, datasets, holders))
    if subject == "europe_buying":
        claim_id = "europe_80pct_apr_nov" if statement.window == "apr-nov" else "europe_80pct_2025"
        row = _row(datasets, claim_id)
        read = f"Europe's share of foreign buying of Treasuries: {fmt.pct(statement.value or 0, digits=0)}"
        return Finding(statement, read, str(row.check), statement.value,
                       measure(str(row.check), statement.value, datasets, holders), str(row.evidence))
    if subject == "holder_level":
        check = f"holder_level:{statement.holders[0]}"
        read = f"{label}'s Treasuries: {fmt.usd_bn(statement.value or 0)}"
        found = _amount(statement, read, check, None, datasets, holders)
        return replace(found, note=found.note or _stale_note(statement.holders, datasets, holders))
    if subject == "europe_securities":
        return _amount(statement, f"Europe's US stocks and bonds: {fmt.usd_bn(statement.value or 0)}",
                       "shl_europe_total", None, datasets, holders)
    row = _row(datasets, ROW_OF[subject])
    read = f"{SUBJECT_WORDS[subject].split(' (')[0]}" + (f": {statement.number}" if statement.number else "")
    if not isinstance(row.check, str) or not row.check:  # a claim no official figure measures
        measured = Measured(row.verdict_if_unchecked, "no official figure measures this", ())
        return Finding(statement, read, None, statement.value, measured, str(row.evidence))
    if rule_of(row.check).unit in ("usd_t", "usd_bn"):
        return _amount(statement, read, str(row.check), str(row.evidence), datasets, holders)
    claimed = _in_unit(statement, rule_of(row.check).unit) if statement.value is not None else None
    if claimed is None and rule_of(row.check).unit:
        claimed = float(row.claimed_value)
    return Finding(statement, read, str(row.check), claimed, measure(str(row.check), claimed, datasets, holders),
                   str(row.evidence))


def _amount(statement: Statement, read: str, check: str, evidence: str | None, datasets: Datasets,
            holders: HolderRegistry) -> Finding:
    if statement.currency != "USD":
        return Finding(statement, read, None, None, None, "",
                       f"The figure is in {statement.currency}; the official figures are in dollars and the data "
                       "have no exchange rate, so I did not compare them.")
    claimed = _in_unit(statement, rule_of(check).unit)
    measured = measure(check, claimed, datasets, holders)
    return Finding(statement, read, check, claimed, measured, evidence or _rule_line(check))


def _stale_note(keys: Sequence[str], datasets: Datasets, holders: HolderRegistry) -> str:
    """A holder TIC no longer lists separately is judged on its last listed months: say so."""
    newest = latest_month(datasets)
    for key in keys:
        holder = holders.get(key)
        last = str(holder_series(datasets, holder).index.max())
        if last < newest:
            return (f"TIC has not listed {holder.label} separately since {fmt.month(last)} (newest month "
                    f"{fmt.month(newest)}), so this is the last period on record, not today.")
    return ""


def _rule_line(check: str) -> str:
    rule = rule_of(check)
    return f"Rule ({rule.checks}): {rule.thresholds}."


def thread_value(text: str, statements: Sequence[Statement], thread_ts: str) -> str:
    """The "Post in thread" button's value: the message's thread and its text — the whole text when
    it fits Slack's 2,000 characters, else the sentences that were checked (the matcher works
    sentence by sentence, so the same sentences give the same findings)."""
    whole = json.dumps({"ts": thread_ts, "text": text}, separators=(",", ":"))
    if len(whole) <= MAX_BUTTON_VALUE:
        return whole
    budget = MAX_BUTTON_VALUE - len(json.dumps({"ts": thread_ts, "text": ""}))
    kept: list[str] = []
    for quote in dict.fromkeys(st.quote for st in statements):
        if len(json.dumps({"text": "\n".join([*kept, quote])})) - 12 > budget:
            break
        kept.append(quote)
    return json.dumps({"ts": thread_ts, "text": "\n".join(kept)}, separators=(",", ":"))


def findings(text: str, datasets: Datasets, holders: HolderRegistry) -> list[Finding]:
    """Every statement in ``text``, judged; one the data cannot judge says why instead of failing the rest."""
    out = []
    for st in Matcher(holders).find(text):
        try:
            out.append(link(st, datasets, holders))
        except (KeyError, LookupError, ValueError) as exc:
            out.append(Finding(st, SUBJECT_WORDS[st.subject].split(" (")[0], None, None, None, "",
                               f"The data cannot judge this one ({type(exc).__name__}); nothing was guessed."))
    return out


def _badge(finding: Finding) -> str:
    return BADGE[finding.measured.verdict] if finding.measured else NOT_COMPARED


def answer_factcheck(query: FactCheckQuery, datasets: Datasets, holders: HolderRegistry) -> Reply:
    """The fact-check of ``query.text``: ephemeral with a "Post in thread" button when it came from
    a message shortcut (``thread_ts`` set), in the channel when posted into the thread."""
    found = findings(query.text, datasets, holders)
    visibility: Literal["in_channel", "ephemeral"] = "in_channel" if query.in_thread else "ephemeral"
    if not found:
        can = "\n".join(f"• {words}" for words in SUBJECT_WORDS.values())
        text = ("Nothing I can check here: I found no statement about the thesis with a figure or a direction "
                "I have data for (dates, times, phone numbers and unrelated numbers are ignored). I can check:\n"
                + can)
        return build([section(text[:2990])], text, visibility=visibility)
    shown = found[:MAX_FINDINGS]
    blocks: list[Block] = [header("Fact-check with Reset Bot")]
    sources: list[Source] = []
    for f in shown:
        lines = [f"{_badge(f)} — {f.read_as}", f"> {fmt.escape_slack(f.statement.quote)}"]
        if f.measured is not None:
            lines.append(f"Official: {f.measured.official}.")
            if f.evidence:
                lines.append(f.evidence)
            if f.measured.sources:
                lines.append("_Source: " + "; ".join(s.cite() for s in dict.fromkeys(f.measured.sources)) + "_")
            sources.extend(f.measured.sources)
        if f.note:
            lines.append(f.note)
        blocks.append(section("\n".join(lines)[:2990]))
    notes = ["Same rules and data as `/reset claims`: a level is confirmed within 5% of the official figure, "
             "partly within 10%; a direction must match the official change; a scenario is compared with the "
             "model's range, which can never confirm it."]
    if len(found) > MAX_FINDINGS:
        notes.append(f"{len(found) - MAX_FINDINGS} more statements were found but not shown.")
    blocks.append(context(notes))
    if query.thread_ts and not query.in_thread:
        value = thread_value(query.text, [f.statement for f in found], query.thread_ts)
        blocks.append(ActionsBlock(block_id="factcheck", elements=[ButtonElement(
            text="Post in thread", action_id=POST_IN_THREAD_ACTION, value=value)]))
    text = "Fact-check: " + "; ".join(
        f"{f.read_as} — {(f.measured.verdict.replace('_', ' ') if f.measured else 'not compared')}" for f in shown)
    return build(blocks, text, sources=sources, visibility=visibility)
