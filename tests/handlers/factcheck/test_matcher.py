"""The fact-check's matcher, specified by a corpus of posts written the way people write them.

Each row: a post (tweets, Slack chatter, paraphrases, numbers written out, other currencies,
true and wrong figures, irrelevant numbers) and what must be found in it — (subject, the number as
written, the verdict) — and nothing else. The verdicts are computed from the shipped data by the
same rules as `/reset claims` (tests/handlers/factcheck/test_render.py checks that link), so a row
fails if the matcher misses a statement, finds one that is not there, links a number to the wrong
subject, or reads it wrongly.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.factcheck.matcher import Matcher, clean
from handlers.factcheck.render import findings

NC = "not_compared"

CORPUS: list[tuple[str, set[tuple[str, str, str]]]] = [
    # --- the gap, in many phrasings ----------------------------------------------------------
    ("🚨 The US owes the world $28 trillion. That's roughly the size of the entire US economy. Wake up.",
     {("gap_net", "$28 trillion", "confirmed"),
      ("gap_pct_gdp", "roughly the size of the entire US economy", "not_supported")}),
    ("Foreigners own $68.9T of US assets while Americans own $41.3T abroad. Do the math.",
     {("gap_liabilities", "$68.9T", "confirmed"), ("gap_assets", "$41.3T", "confirmed")}),
    ("the NIIP is twenty-eight trillion dollars", {("gap_net", "twenty-eight trillion dollars", "confirmed")}),
    ("net international investment position: 28,000 billion. insane", {("gap_net", "28,000 billion", "confirmed")}),
    ("The gap is like $50 trillion now", {("gap_net", "$50 trillion", "not_supported")}),
    ("lol the US net debt to the world is $10T, nothing to see", {("gap_net", "$10T", "not_supported")}),
    ("The U.S. has a net international investment position of -$27.6 trillion, about 90% of GDP",
     {("gap_net", "$27.6 trillion", "confirmed"), ("gap_pct_gdp", "90%", "confirmed")}),
    ("Foreign-owned US assets: $70 trillion (BEA)", {("gap_liabilities", "$70 trillion", "confirmed")}),
    ("*BREAKING*: America is a net debtor of $26 tn", {("gap_net", "$26 tn", "partly")}),
    # --- the refinancing wall: found, and answered with claims.csv's fixed verdict ----------
    ("A record $8T of US debt must be refinanced in 2026, about a quarter of GDP!",
     {("refinancing", "$8T", "no_primary_source"), ("refinancing", "a quarter", "no_primary_source")}),
    ("the debt wall: $9 trillion of Treasuries mature next year",
     {("refinancing", "$9 trillion", "no_primary_source")}),
    # --- Europe's buying ---------------------------------------------------------------------
    ("Citi: Europe bought 80% of all Treasuries from April to November.",
     {("europe_buying", "80%", "confirmed")}),
    ("Europe accounted for four fifths of foreign buying of US Treasuries in 2025",
     {("europe_buying", "four fifths", "not_supported")}),
    ("europeans = 80 percent of treasury demand last year", {("europe_buying", "80 percent", "not_supported")}),
    # --- Europe's holdings -------------------------------------------------------------------
    ("EU investors hold 2 trillion dollars of Treasuries, $2T of corporate bonds and $6 Trillion in US Equities",
     {("eu_treasuries", "2 trillion dollars", "confirmed"), ("eu_corporate", "$2T", "confirmed"),
      ("eu_equities", "$6 Trillion", "partly")}),
    ("European countries own $8 trillion of US bonds and equities, almost twice as much as the rest of the "
     "world combined.",
     {("europe_securities", "$8 trillion", "not_supported"), ("europe_vs_rest", "twice", "not_supported")}),
    ("Europeans own $6tn of American stocks", {("eu_equities", "$6tn", "partly")}),
    ("Deutsche Bank says Europe holds 2x as much as the rest of the world combined",
     {("europe_vs_rest", "2x", "not_supported")}),
    ("EU holds $3.6 trillion of US Treasuries, a third of the market",
     {("eu_treasuries", "$3.6 trillion", "not_supported")}),
    ("€1.5tn of US Treasuries sit in the EU", {("eu_treasuries", "€1.5tn", NC)}),
    ("EU investors hold €5 trillion in US equities", {("eu_equities", "€5 trillion", NC)}),
    # --- holders' levels ---------------------------------------------------------------------
    ("China holds $760bn of Treasuries now", {("holder_level", "$760bn", "not_supported")}),
    ("Japan holds about $1.2 trillion in US Treasuries", {("holder_level", "$1.2 trillion", "confirmed")}),
    ("the UK holds $900 billion of Treasuries and Canada is buying more",
     {("holder_level", "$900 billion", "confirmed"), ("direction", "", "confirmed")}),
    ("Beijing still sits on roughly 650 billion dollars of US debt",
     {("holder_level", "650 billion dollars", "confirmed")}),
    # --- directions --------------------------------------------------------------------------
    ("China is dumping. Japan backing away. Europe is the last buyer.",
     {("direction", "", "confirmed"), ("direction", "", "not_supported"), ("last_buyer", "", "not_supported")}),
    ("China and Japan are backing away from Treasuries 📉", {("direction", "", "partly")}),
    ("Saudi Arabia cut its Treasury holdings.", {("direction", "", "not_supported")}),
    ("Japan keeps buying Treasuries", {("direction", "", "confirmed")}),
    ("Russia dumped its Treasuries back in 2018", {("direction", "", "confirmed")}),
    ("Saudis are buying more Treasuries", {("direction", "", "confirmed")}),
    ("Taiwan, Norway and Switzerland all adding Treasuries this year",
     {("direction", "", "confirmed"), ("direction", "", "not_supported")}),
    ("Brits are piling into gilts not treasuries, the UK is selling Treasuries",
     {("direction", "", "not_supported")}),
    ("Europe, the last man standing in the Treasury market", {("last_buyer", "", "not_supported")}),
    ("Europe is now the primary financier of the US deficit.", {("primary_financier", "", "not_supported")}),
    ("China is dumping Treasuries, which could push yields up", {("direction", "", "confirmed")}),
    # --- gold ----------------------------------------------------------------------------------
    ("Foreign central banks now hold more gold than US Treasuries for the first time since 1996",
     {("gold_crossover", "", "partly")}),
    ("Treasury holdings have steadily declined in favor of gold.", {("declined_for_gold", "", "partly")}),
    # --- scenarios: answered with the shock model's range ------------------------------------
    ("If the EU sold 20% of its Treasuries, yields would jump 1%.", {("scenario", "1%", "not_supported")}),
    ("if Japan dumped 10% of its treasuries, the 10-year would spike 200bp overnight",
     {("scenario", "200bp", "not_supported")}),
    ("What if China sold half of its Treasuries? Yields up 30 basis points, maybe",
     {("scenario", "30 basis points", "partly")}),
    # --- nothing to check: irrelevant numbers, other subjects, negations --------------------
    ("Call me at +1 (555) 010-2299 or 555-010-2299 on 22/01/2026 at 14:30, we're open 24/7. 50% off everything!",
     set()),
    ("our standup moved to 9:30am tomorrow, room 4B, bring 2 laptops", set()),
    ("Q3 revenue up 12% year over year, 2025 was a great year for the team", set()),
    ("I'm 99% sure it's going to rain on 3/14", set()),
    ("China is dumping steel on world markets again", set()),
    ("China isn't dumping Treasuries, it's just rebalancing", set()),
    ("nothing here but a meeting at 10:00 and my phone 020 7946 0958", set()),
    ("Our Q4 budget is $2.5 million, due Jan 15, 2026", set()),
    # a known limit: a level with no Treasury word is not read as a claim about Treasuries
    ("Japan is the largest foreign holder with about $1.1T", set()),
]


def _found(text, datasets, holders):
    return {(f.statement.subject, f.statement.number, f.measured.verdict if f.measured else NC)
            for f in findings(text, datasets, holders)}


@pytest.mark.parametrize(("post", "expected"), CORPUS, ids=[p[:40] for p, _ in CORPUS])
def test_the_corpus(post, expected, datasets, holders):
    assert _found(post, datasets, holders) == expected


def test_the_corpus_is_large_and_varied():
    assert len(CORPUS) >= 40
    subjects = {s for _, found in CORPUS for s, _, _ in found}
    assert len(subjects) >= 15
    assert sum(1 for _, found in CORPUS if not found) >= 8


def test_numbers_keep_the_holder_they_are_about(holders):
    [level] = Matcher(holders).find("China holds $760bn of Treasuries")
    assert (level.holders, level.value) == (("china",), 760.0)
    scenario = Matcher(holders).find("If Japan sold 10% of its Treasuries, yields would jump 2 percentage points")
    assert [(s.subject, s.holders, s.percent, s.value) for s in scenario] == [("scenario", ("japan",), 10.0, 200.0)]


def test_slack_markup_is_read_as_words():
    assert clean("<@U123> *China* is <https://example.com|dumping>") == " China is dumping"


# --- property-style: dates, times and phone numbers are never checked ---------------------------
_MONTH = st.sampled_from(["Jan", "January", "Feb", "March", "Apr", "May", "June", "Sept", "October", "Dec"])
_DATE = st.one_of(
    st.builds(lambda d, m, y: f"{d}/{m}/{y}", st.integers(1, 28), st.integers(1, 12), st.integers(1990, 2035)),
    st.builds(lambda y, m, d: f"{y}-{m:02d}-{d:02d}", st.integers(1990, 2035), st.integers(1, 12), st.integers(1, 28)),
    st.builds(lambda m, d, y: f"{m} {d}, {y}", _MONTH, st.integers(1, 28), st.integers(1990, 2035)),
    st.builds(lambda d, m: f"{d} {m}", st.integers(1, 28), _MONTH),
    st.builds(str, st.integers(1900, 2099)),
)
_TIME = st.one_of(st.builds(lambda h, m: f"{h}:{m:02d}", st.integers(0, 23), st.integers(0, 59)),
                  st.builds(lambda h, ap: f"{h}{ap}", st.integers(1, 12), st.sampled_from(["am", "pm", " a.m."])))
_PHONE = st.one_of(
    st.builds(lambda a, b, c: f"+1 ({a}) {b}-{c}", st.integers(200, 999), st.integers(100, 999),
              st.integers(1000, 9999)),
    st.builds(lambda a, b, c: f"{a}-{b}-{c}", st.integers(200, 999), st.integers(100, 999), st.integers(1000, 9999)),
    st.builds(lambda a, b: f"+44 20 {a} {b}", st.integers(1000, 9999), st.integers(1000, 9999)),
)
# Sentences that mention the thesis' subjects, so a date or phone number next to them would be
# "checked" if the matcher let it through as an amount or a share.
_FRAMES = st.sampled_from([
    "China's Treasuries on {x}", "Europe's share of Treasury buying, as of {x}", "the NIIP gap at {x}",
    "EU holdings of US equities, call {x}", "the 2026 refinancing wall, meeting {x}", "if the EU sold on {x}",
    "Japan holds Treasuries since {x}", "Europe is buying, see you {x}",
])


@settings(max_examples=150, deadline=None)
@given(frame=_FRAMES, noise=st.one_of(_DATE, _TIME, _PHONE))
def test_dates_times_and_phone_numbers_are_never_checked(holders, frame, noise):
    for statement in Matcher(holders).find(frame.format(x=noise)):
        assert statement.value is None, (frame.format(x=noise), statement)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=300))
def test_any_text_gives_statements_or_nothing_never_an_error(holders, text):
    Matcher(holders).find(text)
