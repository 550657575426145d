"""Numbers as people write them in posts: amounts, shares, basis points, ratios — and the
numbers that are none of these (dates, years, times, phone numbers), masked before anything
else looks at the text.

Every reading keeps its character span in the text, so the matcher can link it to the nearest
subject. Pure and bounded: regular expressions without nested repetition over a text cut to
`MAX_TEXT` characters; digits are ASCII 0-9 only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

MAX_TEXT = 8000  # a Slack message is at most 40,000 characters; nobody's claim needs more than this

Kind = Literal["amount", "share", "bp", "ratio"]


@dataclass(frozen=True)
class Reading:
    """One number with its unit, where it stands in the text."""

    kind: Kind
    value: float  # amount: $bn (or the currency's bn); share: percent; bp: basis points; ratio: ×
    start: int
    end: int
    text: str  # as written
    currency: str = "USD"  # amounts only: USD, EUR, GBP, JPY
    points: bool = False  # a share written "1%"/"1 point" that may mean percentage points (yields)


_UNITS = {"zero": 0, "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
          "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_WORD = "|".join(sorted([*_UNITS, *_TENS, "hundred", "and", "half"], key=len, reverse=True))
#: A written-out number: "twenty-eight", "one hundred and ten", "two".
WORD_NUMBER = rf"(?:(?:{_WORD})(?:[\s-]+(?:{_WORD}))*)"
#: Digits, "28,000" or "1.5": bounded runs that start only where a number starts (not inside a run
#: of digits), so a message of 40,000 digits costs linear time, not quadratic — Python's regex
#: engine holds the GIL for a whole search, and one such post froze every other request.
DIGITS = r"(?<![0-9.,])(?:[0-9]{1,3}(?:,[0-9]{3}){1,5}|[0-9]{1,15})(?:\.[0-9]{1,8})?(?![0-9])"
NUMBER = rf"(?:{DIGITS}|\b{WORD_NUMBER}\b)"


def word_value(words: str) -> float | None:
    """The value of a written-out number, or None.

    >>> word_value("twenty-eight"), word_value("one hundred and ten"), word_value("a"), word_value("and")
    (28.0, 110.0, 1.0, None)
    """
    total, current, seen = 0.0, 0.0, False
    for word in re.split(r"[\s-]+", words.lower().strip()):
        if word in _UNITS:
            current += _UNITS[word]
            seen = True
        elif word in _TENS:
            current += _TENS[word]
            seen = True
        elif word == "hundred":
            current = (current or 1) * 100
            seen = True
        elif word == "half":
            current += 0.5
            seen = True
        elif word != "and":
            return None
    return total + current if seen else None


def number_value(text: str) -> float | None:
    """``"28,000"`` → 28000.0, ``"1.5"`` → 1.5, ``"twenty"`` → 20.0; None if it is not a number."""
    text = text.strip()
    if re.fullmatch(DIGITS, text):
        return float(text.replace(",", ""))
    return word_value(text)


# --- numbers that are never checked ---------------------------------------------------------
_MONTHS = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|aug(?:ust)?|"
           r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_SCALE_AFTER = r"(?!\s*(?:trillion|tn|trn|billion|bn|bln|million|mn|[tbm]\b|%|percent|per\s*cent|bp|bps|basis))"
_IGNORED = [
    re.compile(r"\b[0-9]{1,2}/[0-9]{1,2}(?:/[0-9]{2,4})?\b"),  # 22/01/2026, 1/22, 24/7
    re.compile(r"\b[0-9]{4}-[0-9]{1,2}(?:-[0-9]{1,2})?\b"),  # 2026-01-22, 2025-12
    re.compile(r"\b[0-9]{1,2}[:.][0-9]{2}\s*(?:[ap]\.?m\.?|h|utc|gmt|[ecmp][sd]?t)?\b", re.I),  # 14:30, 9.30pm
    re.compile(r"\b[0-9]{1,2}\s*[ap]\.?m\.?(?![a-z])", re.I),  # 9am, 11 p.m.
    re.compile(r"(?:\+|\b00)[0-9][0-9 ().-]{6,}[0-9]"),  # +1 (555) 010-2299, 0049 30 1234567
    re.compile(r"\(?\b[0-9]{3}\)?[ .-][0-9]{3}[ .-][0-9]{4}\b"),  # (555) 010-2299, 555.010.2299
    re.compile(r"\b[0-9]{3,5}[ -][0-9]{3,4}[ -]?[0-9]{3,4}\b"),  # 020 7946 0958
    re.compile(rf"\b{_MONTHS}\.?\s+[0-9]{{1,2}}(?:st|nd|rd|th)?(?:,?\s+[0-9]{{4}})?\b", re.I),  # Jan 22, 2026
    re.compile(rf"\b[0-9]{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}\b\.?(?:\s+[0-9]{{4}})?", re.I),  # 22 January
    re.compile(r"\b[0-9]{1,2}(?:st|nd|rd|th)\b", re.I),  # the 3rd
    re.compile(rf"(?<![$€£.,0-9])\b(?:1[89][0-9]{{2}}|20[0-9]{{2}})s?\b{_SCALE_AFTER}", re.I),  # 2026, the 1990s
    re.compile(r"\bq[1-4]\b|\b[1-4]q\b|\bh[12]\b", re.I),  # Q3, 3Q, H1
    re.compile(r"\b[0-9]+(?:\.[0-9]+)?\s*(?:k|km|kg|mph|gb|mb|tb|ghz|x?\s*faster)\b", re.I),  # 10k steps, 5GB
    re.compile(r"#[0-9]+\b|\bno\.\s*[0-9]+\b", re.I),  # issue #14, No. 5
]


def mask_ignored(text: str) -> str:
    """``text`` with every date, year, time, phone number and the like blanked out (same length).

    >>> mask_ignored("On 22/01/2026 at 14:30 call +1 (555) 010-2299 about the 2026 wall, 24/7")
    'On            at       call                   about the      wall,     '
    """
    for pattern in _IGNORED:
        text = pattern.sub(lambda m: " " * len(m[0]), text)
    return text


# --- amounts ------------------------------------------------------------------------------------
_SCALES = {"trillion": 1000.0, "trillions": 1000.0, "tn": 1000.0, "trn": 1000.0, "tril": 1000.0, "t": 1000.0,
           "billion": 1.0, "billions": 1.0, "bn": 1.0, "bln": 1.0, "b": 1.0, "million": 0.001, "mn": 0.001,
           "mln": 0.001, "m": 0.001}
_CURRENCY_BEFORE = {"$": "USD", "us$": "USD", "usd": "USD", "€": "EUR", "eur": "EUR", "£": "GBP", "gbp": "GBP",
                    "¥": "JPY", "jpy": "JPY"}
_CURRENCY_AFTER = {"dollars": "USD", "dollar": "USD", "usd": "USD", "bucks": "USD", "euros": "EUR", "euro": "EUR",
                   "eur": "EUR", "pounds": "GBP", "sterling": "GBP", "yen": "JPY"}
_AMOUNT = re.compile(
    rf"(?P<cur>us\$|\$|usd\s?|€|eur\s?|£|gbp\s?|¥|jpy\s?)?\s?(?P<num>{NUMBER})\s?"
    r"(?:(?P<word>trillions?|tn|trn|tril|billions?|bn|bln|millions?|mn|mln)\b|(?P<letter>[tbm])(?![a-z0-9]))"
    r"(?:\s+(?:of\s+)?(?:us\s+)?(?P<after>dollars?|usd|bucks|euros?|eur|pounds|sterling|yen)\b)?",
    re.I,
)


def amounts(text: str) -> list[Reading]:
    """Amounts with a scale word: "$28 trillion", "$8T", "2 trillion dollars", "€1.5tn", "28,000 billion".

    A bare number ("$500", "28,000") is not an amount here: every figure of the thesis is in
    billions or trillions, and a scale-less number is far more often something else. A single
    letter scale (T, B, M) needs a currency sign ("$8T"), so "5G" or "3M" (the company) are not
    amounts.

    >>> [(r.value, r.currency) for r in amounts("$28 trillion vs €1.5tn and twenty-eight trillion dollars")]
    [(28000.0, 'USD'), (1500.0, 'EUR'), (28000.0, 'USD')]
    """
    found = []
    for m in _AMOUNT.finditer(text):
        value = number_value(m["num"])
        if value is None or (m["letter"] and not m["cur"]):
            continue
        if m["num"].strip().lower() in ("a", "an") and not (m["word"] or "").lower().startswith(("tr", "bi")):
            continue
        scale = _SCALES[(m["word"] or m["letter"]).lower()]
        currency = "USD"
        if m["cur"]:
            currency = _CURRENCY_BEFORE[m["cur"].strip().lower()]
        elif m["after"]:
            currency = _CURRENCY_AFTER[m["after"].lower()]
        start = m.start("cur") if m["cur"] else m.start("num")
        found.append(Reading("amount", value * scale, start, m.end(), m[0].strip(), currency))
    return found


# --- shares, basis points, ratios -------------------------------------------------------------
_FRACTIONS = {"half": 50.0, "halves": 50.0, "third": 100 / 3, "thirds": 100 / 3, "quarter": 25.0, "quarters": 25.0,
              "fourth": 25.0, "fourths": 25.0, "fifth": 20.0, "fifths": 20.0, "tenth": 10.0, "tenths": 10.0}
_FRACTION = re.compile(
    r"\b(?P<n>a|an|one|two|three|four|nine|seven)?[\s-]*"
    r"(?P<f>half|halves|thirds?|quarters?|fourths?|fifths?|tenths?)\b(?=\s+of\b)", re.I)
_PERCENT = re.compile(rf"(?P<num>{NUMBER})\s?(?:%|percent\b|per\s?cent\b|pct\b)", re.I)
_POINTS = re.compile(rf"(?P<num>{NUMBER})\s?(?:percentage[\s-]points?|pp\b|points?\b|ppt\b)", re.I)
_BP = re.compile(rf"(?P<num>{NUMBER})\s?(?:bps?\b|basis[\s-]points?\b)", re.I)
_WHOLE_ECONOMY = re.compile(
    r"\b(?:(?:roughly|about|almost|nearly)\s+)?(?:the\s+)?(?:same\s+)?size\s+of\s+(?:the\s+)?(?:entire\s+|whole\s+)?"
    r"(?:us\s+|u\.s\.\s+|american\s+)?(?:economy|gdp)\b|\bas\s+(?:big|large)\s+as\s+(?:the\s+)?(?:entire\s+|whole\s+)?"
    r"(?:us\s+)?(?:economy|gdp)\b|\b(?:all|100%)\s+of\s+(?:us\s+)?gdp\b", re.I)
_RATIO = re.compile(r"\b(?P<w>twice|double|(?P<n>[2-9](?:\.[0-9])?|two|three|four)\s?(?:x|times)\b)", re.I)


def shares(text: str) -> list[Reading]:
    """Percents and fractions: "80%", "80 percent", "eighty per cent", "a quarter of", "four fifths of",
    "roughly the size of the entire US economy" (100% of GDP).

    >>> [r.value for r in shares("80% of it, a quarter of GDP, four fifths of buying")]
    [80.0, 25.0, 80.0]
    """
    found = []
    for m in _PERCENT.finditer(text):
        value = number_value(m["num"])
        if value is not None:
            found.append(Reading("share", value, m.start(), m.end(), m[0], points=True))
    for m in _FRACTION.finditer(text):
        count = word_value(m["n"]) if m["n"] else 1.0
        found.append(Reading("share", (count or 1.0) * _FRACTIONS[m["f"].lower()], m.start(), m.end(), m[0].strip()))
    for m in _WHOLE_ECONOMY.finditer(text):
        found.append(Reading("share", 100.0, m.start(), m.end(), m[0].strip()))
    return sorted(found, key=lambda r: r.start)


def basis_points(text: str) -> list[Reading]:
    """Yield moves: "100bp", "50 bps", "1 percentage point", "1pp" (×100), "a full point".

    >>> [r.value for r in basis_points("100bp or 1 percentage point, even 50 bps")]
    [100.0, 100.0, 50.0]
    """
    found = []
    for m in _BP.finditer(text):
        value = number_value(m["num"])
        if value is not None:
            found.append(Reading("bp", value, m.start(), m.end(), m[0]))
    for m in _POINTS.finditer(text):
        value = number_value(m["num"])
        if value is not None:
            found.append(Reading("bp", value * 100, m.start(), m.end(), m[0]))
    return sorted(found, key=lambda r: r.start)


def ratios(text: str) -> list[Reading]:
    """"twice", "double", "2x", "three times".

    >>> [r.value for r in ratios("twice as much, 3x more")]
    [2.0, 3.0]
    """
    found = []
    for m in _RATIO.finditer(text):
        value = 2.0 if m["n"] is None else number_value(m["n"])
        if value is not None:
            found.append(Reading("ratio", value, m.start(), m.end(), m[0]))
    return found
