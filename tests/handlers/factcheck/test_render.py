"""The fact-check's reply: every finding judged by the very rule `/reset claims` uses."""

from __future__ import annotations

import json

from handlers.factcheck.matcher import SUBJECT_WORDS
from handlers.factcheck.render import MAX_BUTTON_VALUE, POST_IN_THREAD_ACTION, answer_factcheck, findings
from handlers.queries import FactCheckQuery
from handlers.topics.claims import evaluate

# `/reset claims` says "no primary source" for the article's scenario figure; the fact-check answers a
# scenario with the model's range instead, as the issue asks (test_the_scenario_claim_… below).
SCENARIO_ROWS = {"eu_sell_20pct"}


def test_the_thesis_own_sentences_get_the_same_figure_and_verdict_as_reset_claims(datasets, holders):
    checked = 0
    for row in evaluate(datasets, holders):
        if row.id in SCENARIO_ROWS:
            continue
        found = findings(row.claim, datasets, holders)
        assert found, f"nothing found in claims.csv's {row.id!r}: {row.claim}"
        same = [f for f in found if f.measured is not None and f.measured.official == row.measured.official]
        assert same, (row.id, [f.measured for f in found])
        assert same[0].measured.verdict == row.measured.verdict, row.id
        assert same[0].measured.sources == row.measured.sources, row.id
        checked += 1
    assert checked >= 18


def test_a_wrong_figure_changes_the_verdict_not_the_official_figure(datasets, holders):
    [right] = findings("The gap is $27.6 trillion", datasets, holders)
    [wrong] = findings("The gap is $40 trillion", datasets, holders)
    assert right.measured.official == wrong.measured.official
    assert (right.measured.verdict, wrong.measured.verdict) == ("confirmed", "not_supported")


def test_the_scenario_claim_is_answered_with_the_models_range(datasets, holders):
    post = "If the EU sold 20% of its Treasuries, yields would jump about 1 percentage point"
    [f] = findings(post, datasets, holders)
    assert f.check == "shock_range:eu:20"
    assert "+10 bp (range +4 bp to +29 bp) lasting" in f.measured.official
    assert f.measured.verdict == "not_supported"
    assert "No named source" in f.note  # claims.csv's evidence for the article's figure


def test_the_reply_cites_every_source_with_its_as_of_date(datasets, holders):
    reply = answer_factcheck(FactCheckQuery(text="China is dumping. The gap is $28T."), datasets, holders)
    text = json.dumps(reply.blocks)
    assert "US Treasury, TIC" in text and "as of" in text and "vintage" in text
    assert "Bureau of Economic Analysis" in text
    assert reply.visibility == "ephemeral"


def test_nothing_checkable_gets_an_honest_answer_with_what_can_be_checked(datasets, holders):
    reply = answer_factcheck(FactCheckQuery(text="lunch at 12:30? call 555-010-2299 — 100% in!"), datasets, holders)
    assert reply.text.startswith("Nothing I can check here")
    for words in list(SUBJECT_WORDS.values())[:3]:
        assert words in reply.text
    assert not [b for b in reply.blocks if b["type"] == "actions"]


def test_from_a_shortcut_the_answer_offers_post_in_thread_and_the_thread_answer_is_the_same(datasets, holders):
    post = ("Thread 🧵 1/ The US owes the world $28 trillion. 2/ China and Japan are backing away. "
            "3/ Europe bought 80% of Treasuries from April to November. 4/ Meeting at 14:00, call 555-010-2299.")
    private = answer_factcheck(FactCheckQuery(text=post, thread_ts="1700000000.000100"), datasets, holders)
    [button] = [e for b in private.blocks if b["type"] == "actions" for e in b["elements"]]
    assert button["action_id"] == POST_IN_THREAD_ACTION and len(button["value"]) <= MAX_BUTTON_VALUE
    value = json.loads(button["value"])
    assert value["ts"] == "1700000000.000100"
    public = answer_factcheck(FactCheckQuery(text=value["text"], thread_ts=value["ts"], in_thread=True),
                              datasets, holders)
    assert public.visibility == "in_channel"
    assert not [b for b in public.blocks if b["type"] == "actions"]
    sections = [b for b in private.blocks if b["type"] == "section"]
    assert sections == [b for b in public.blocks if b["type"] == "section"]


def test_a_long_post_keeps_its_button_value_within_slacks_limit(datasets, holders):
    post = " ".join(f"Claim {i}: the gap is ${20 + i} trillion, and China is dumping its Treasuries."
                    for i in range(60))
    reply = answer_factcheck(FactCheckQuery(text=post, thread_ts="1.000001"), datasets, holders)
    [button] = [e for b in reply.blocks if b["type"] == "actions" for e in b["elements"]]
    assert len(button["value"]) <= MAX_BUTTON_VALUE
    assert len(reply.blocks) <= 50
    assert "more statements were found but not shown" in json.dumps(reply.blocks)


def test_a_long_posts_button_keeps_the_checked_sentences_so_the_thread_gets_the_same_findings(datasets, holders):
    filler = "Lorem ipsum dolor sit amet, meeting at 14:30 in room 4B. " * 60
    post = filler + "The US owes the world $28 trillion. " + filler + "Japan is dumping Treasuries."
    reply = answer_factcheck(FactCheckQuery(text=post, thread_ts="1.000001"), datasets, holders)
    [button] = [e for b in reply.blocks if b["type"] == "actions" for e in b["elements"]]
    excerpt = json.loads(button["value"])["text"]
    assert len(excerpt) < 200
    assert [f.read_as for f in findings(excerpt, datasets, holders)] == \
        [f.read_as for f in findings(post, datasets, holders)]


def test_a_holder_tic_no_longer_lists_is_judged_on_its_last_months_and_says_so(datasets, holders):
    [f] = findings("Denmark is dumping Treasuries", datasets, holders)
    assert "Dec 2019" in f.measured.official
    assert "not listed Denmark separately since Dec 2019" in f.note
    [china] = findings("China holds $650bn of Treasuries", datasets, holders)
    assert china.note == ""
