"""Find the checkable statements about the thesis in free text (a Slack message, a pasted post).

How it works, in four passes over each sentence (see also `handlers.factcheck`):

1. **Clean.** Slack markup (mentions, links, *bold*, `code`) is reduced to its words, "U.S." to
   "US", and every date, year, time, phone number and the like is blanked out
   (`numbers.mask_ignored`), so those numbers can never be read as claims.
2. **Read numbers with units** (`numbers`): amounts need a scale word ("$28 trillion", "8T" with
   a currency sign, "28,000 billion", "twenty-eight trillion"); shares need a percent sign or word
   or a fraction followed by "of" ("a quarter of GDP", "four fifths of"); yield moves need "bp",
   "basis points", "points" — or a percent right after a yield word ("yields would jump 1%").
3. **Find subjects**: each `SUBJECTS` entry is a pattern for what a number can be about (the gap,
   EU equities, Europe's share of buying, the refinancing wall, a holder's Treasuries …); a
   number is linked to a subject only when both are in the same sentence, the number is of the
   subject's kind, and it is the nearest unused one (within `MAX_DISTANCE` characters). A number
   no subject claims is not checked.
4. **Directions and scenarios**: a holder ("China", "Japan", "Europe", "the Saudis") followed by a
   verb of selling or buying ("is dumping", "backing away", "keeps adding") within a clause; "the
   last buyer", "the primary financier"; "if the EU sold 20%, yields would jump 1%".

Limits, stated plainly: only English; one sentence at a time (a number in one sentence and its
subject in the next are not linked); negated statements ("China is *not* dumping") and questions
about the future are skipped rather than guessed; a direction on its own needs a Treasury word
in the message or one of the thesis' own verbs (dump, back away, pull back, exit, sell off), so
"China is dumping steel" is not a claim about Treasuries; amounts in euros, pounds or yen are
found but not compared (the data have no exchange rate); only the subjects in `SUBJECTS` are
known — anything else is left alone rather than matched loosely.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from handlers.factcheck.numbers import MAX_TEXT, Reading, amounts, basis_points, mask_ignored, ratios, shares
from handlers.holders import EU, FOREIGN, HolderRegistry

MAX_DISTANCE = 140  # characters between a subject and its number, within one sentence


@dataclass(frozen=True)
class Statement:
    """One checkable statement found in the text."""

    subject: str  # a key of SUBJECT_WORDS (what it is about)
    quote: str  # the sentence it was found in, as written
    value: float | None = None  # in the reading's unit: $bn for amounts, % for shares, bp, ×
    number: str = ""  # the number as written
    currency: str = "USD"
    direction: int = 0  # +1 rose / bought, −1 fell / sold (directions only)
    holders: tuple[str, ...] = ()  # holder keys it is about
    percent: float | None = None  # scenarios: the share of holdings sold
    window: str = ""  # europe_buying: "apr-nov" when the sentence says April to November


#: What each subject is, in words: the "what I can check" list shown when nothing matched.
SUBJECT_WORDS: dict[str, str] = {
    "gap_net": "the size of the US net international investment position (\"a $28 trillion gap\")",
    "gap_pct_gdp": "the gap as a share of GDP (\"roughly the size of the US economy\")",
    "gap_liabilities": "what foreigners own in the US (\"$68.9T\")",
    "gap_assets": "what Americans own abroad (\"$41.3T\")",
    "eu_treasuries": "EU holdings of Treasuries (\"$2 trillion\")",
    "eu_corporate": "EU holdings of US corporate bonds",
    "eu_equities": "EU holdings of US equities (\"$6 trillion in US stocks\")",
    "europe_securities": "Europe's holdings of US stocks and bonds together (\"$8 trillion\")",
    "europe_vs_rest": "Europe against the rest of the world (\"twice as much\")",
    "europe_buying": "Europe's share of foreign buying of Treasuries (\"80%\", \"four fifths\")",
    "refinancing": "the 2026 refinancing wall (\"$8T\", \"a quarter of GDP\")",
    "holder_level": "a holder's Treasuries (\"China holds $700bn\")",
    "direction": "who is selling or buying Treasuries (\"China is dumping\", \"Japan backing away\")",
    "last_buyer": "\"Europe is the last buyer\" / \"the last man standing\"",
    "primary_financier": "\"Europe is the primary financier of the deficit\"",
    "gold_crossover": "central banks' gold against their Treasuries",
    "declined_for_gold": "\"Treasury holdings have steadily declined in favour of gold\"",
    "scenario": "what a sale would do to yields (\"if the EU sold 20%, yields would jump 1%\")",
}

_FLAGS = re.I


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, _FLAGS)


TREASURY = _rx(r"\b(?:treasur\w*|t-?bills?|t-?bonds?|t-?notes?|usts?|us (?:government |federal )?debt|"
               r"(?:us |american |government |federal )(?:bonds|debt|paper)|bonds|govvies|dollar assets)\b")
EUROPE = _rx(r"\b(?:europe|europeans?|the eu|eu|european union|eu-?27|euro ?area|eurozone)\b")
EU_ONLY = _rx(r"\b(?:the eu|eu|european union|eu-?27)\b")
GAP = _rx(r"\b(?:gap|niip|(?:net )?international investment position|net (?:foreign )?(?:debt(?:or)?|liabilit\w*|"
          r"position|external debt)|owes? the (?:rest of the )?world|owe the world|debtor nation|net debtor)\b")
GDP = _rx(r"\b(?:gdp|economy|output)\b")
REFI = _rx(r"\b(?:refinanc\w*|roll(?:ed|ing|s)?[\s-]?over|matur\w*|debt wall|refi|wall of debt|coming due|"
           r"comes? due|falls? due|needs? to be refinanced)\b")
BUYING = _rx(r"\b(?:buying|purchases|bought|demand|inflows?|buyers?|increase|additions?|accumulation)\b")
WHOLE_WINDOW = _rx(r"\bapr(?:il)?\b.{0,30}\bnov(?:ember)?\b")
REST = _rx(r"\b(?:rest of the world|everyone else|all other (?:countries|regions)|other countries combined|"
           r"rest of the planet|the others)\b")
EQUITIES = _rx(r"\b(?:equit\w*|stocks?|shares)\b")
CORPORATE = _rx(r"\b(?:corporate (?:bonds?|debt)|corporates|company bonds|credit)\b")
TREASURY_TYPE = _rx(r"\b(?:treasur\w*|t-?bills?|government (?:bonds?|debt)|us government debt|us debt|govvies|"
                    r"sovereign debt|ust)\b")
ALL_TYPES = _rx(r"\b(?:(?:stocks|equities) and bonds|bonds and (?:stocks|equities)|securities|us assets|"
                r"american assets|assets)\b")
LIABILITIES = _rx(r"\b(?:foreign(?:ers)?[\s-]+(?:own|owns|owned|hold|holds)|foreign[\s-]owned|owned by foreigners|"
                  r"(?:us|american) liabilities|the (?:rest of the )?world owns|foreign claims on)\b")
ASSETS_ABROAD = _rx(r"\b(?:(?:americans?|us investors|the us|us)\s+(?:own|owns|hold|holds)\b[^!?;]{0,30}?"
                    r"(?:abroad|overseas|foreign assets|in the rest of the world)|(?:us )?assets abroad|"
                    r"foreign assets)")
LAST_BUYER = _rx(r"\b(?:last (?:man|one|buyer|country) standing|last (?:big |major |remaining |real )?buyer|"
                 r"only (?:big |major |remaining |real )?buyer|sole (?:big )?buyer|only ones? (?:still )?buying|"
                 r"buyer of last resort)\b")
FINANCIER = _rx(r"\b(?:(?:primary|main|biggest|chief|largest|principal) (?:financier|funder|lender)|"
                r"(?:financ|fund|bankroll)\w* (?:the |america'?s |the us )?(?:federal |us )?deficits?)\b")
GOLD = _rx(r"\bgold\b")
GOLD_PASSED = _rx(r"\b(?:more\b[^.!?]{0,40}?\bgold\b[^.!?]{0,12}?\bthan|overt(?:ook|aken|akes|ake)|surpass\w*|"
                  r"pass(?:ed|es)|exceed\w*|"
                  r"flipp?\w*|bigger than|larger than|outweigh\w*|tops?|topped|eclips\w*)\b")
DECLINE_FOR_GOLD = _rx(r"\b(?:declin|fall|fell|drop|shrink|shrank|cut|reduc|dump|sold|sell)\w*\b[^.]{0,50}?"
                       r"\b(?:in favou?r of|for|into|towards?) gold\b")
CONDITIONAL = _rx(r"\b(?:if|were to|would|could|should|suppose|what if|imagine)\b")
YIELDS = _rx(r"\b(?:yields?|rates?|10-?year|10y|ten-year|borrowing costs?|mortgage rates?)\b")
RISE = _rx(r"\b(?:jump\w*|rise|rising|rises|rose|spike\w*|soar\w*|surge\w*|climb\w*|go(?:es)? up|shoot\w* up|"
           r"increase\w*|move\w* up|blow\w* out|explode\w*|up)\b")
DOWN = _rx(r"\b(?:dump\w*|sell(?:s|ing)?(?: off)?|sold(?: off)?|offload\w*|unload\w*|cut(?:s|ting)?|slash\w*|"
           r"reduc\w*|trim\w*|shed\w*|ditch\w*|dropp\w*|exit\w*|retreat\w*|back(?:ing|s|ed)? (?:away|off)|"
           r"pull(?:ing|s|ed)? (?:back|out|away)|walk(?:ing|s|ed)? away|flee\w*|fled|liquidat\w*|decreas\w*|"
           r"declin\w*|divest\w*|abandon\w*|bail\w*(?: out)?|run(?:ning)? for the exits?)\b")
UP = _rx(r"\b(?:buy(?:s|ing)?|bought|add(?:s|ed|ing)?|accumulat\w*|increas\w*|load\w* up|pil\w* into|hoover\w*|"
         r"snap\w* up|boost\w*|rais\w*|scoop\w*|stock\w* up|stepp\w* up)\b")
THESIS_VERBS = _rx(r"\b(?:dump\w*|back\w* (?:away|off)|pull\w* (?:back|out|away)|walk\w* away|exit\w*|"
                   r"sell\w* off|sold off|bail\w*|flee\w*|fled|run\w* for the exits?|offload\w*|unload\w*)\b")
OTHER_OBJECT = _rx(r"^\s*(?:its |their |his |her |the |all |some )?(?:steel|solar|cars?|evs?|goods|exports|soy\w*|oil|"
                   r"chips?|stocks|equities|shares|crypto|bitcoin|gold|euros?|yen|yuan|renminbi|rare earths|"
                   r"gilts|bunds|jgbs|prices|products|tariffs?)\b")
HYPOTHESIS = _rx(r"\b(?:if|were to|suppose|supposing|imagine|what happens when)\b")
CONNECTOR = _rx(r"\s*(?:,|and|&|plus|as well as|\s)+\s*")
PRONOUN = _rx(r"^\s*(?:that'?s|that is|this is|it'?s|it is|which is)\b")
NEGATION = _rx(r"\b(?:not|never|no longer|isn'?t|aren'?t|wasn'?t|weren'?t|hasn'?t|haven'?t|won'?t|don'?t|"
               r"doesn'?t|didn'?t|nor|without|stopped|stop)\s+(?:\w+\s+){0,2}$")

_DEMONYMS = {"chinese": "china", "beijing": "china", "japanese": "japan", "tokyo": "japan", "british": "uk",
             "brits": "uk", "the uk": "uk", "belgian": "belgium", "canadian": "canada", "canadians": "canada",
             "indian": "india", "french": "france", "german": "germany", "germans": "germany", "irish": "ireland",
             "saudis": "saudi_arabia", "riyadh": "saudi_arabia", "taiwanese": "taiwan", "swiss": "switzerland",
             "norwegian": "norway", "russian": "russia", "russia": "russia", "europeans": EU, "european": EU,
             "eu27": EU, "eu-27": EU, "foreigners": FOREIGN, "foreign investors": FOREIGN,
             "foreign holders": FOREIGN, "foreign central banks": FOREIGN}
#: Aliases too common as words to mean a holder in free text.
_AMBIGUOUS = frozenset({"all", "world", "everyone", "total", "foreign", "gb", "lux", "rok", "salvador", "net",
                        "us", "usa", "a", "hk", "ksa", "uae", "korea"})


@dataclass
class _Sentence:
    text: str  # as written (markup cleaned)
    masked: str  # lower-case, ignored numbers blanked, same length
    used: set[int] = field(default_factory=set)  # starts of readings already linked
    used_holders: set[int] = field(default_factory=set)
    follows_gap: bool = False  # the sentence before was about the gap ("… $28T. That's the whole economy.")


def clean(text: str) -> str:
    """Slack markup to words: ``<@U123>`` → "", ``<https://x|label>`` → "label", ``*bold*`` → "bold",
    "U.S." → "US", curly quotes and odd spaces to plain ones.

    >>> clean("*China* is <https://x.example|dumping> U.S. debt <@U123>")
    'China is dumping US debt '
    """
    text = (text or "")[:MAX_TEXT]
    text = re.sub(r"<[@#!][^>]*>", "", text)
    text = re.sub(r"<[^|>]*\|([^>]*)>", r"\1", text)
    text = re.sub(r"<(https?://[^>]*)>", r"\1", text)
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"(?<![\w])[*_~`]+|[*_~`]+(?![\w])", "", text)
    text = re.sub(r"\bU\.S\.(?:A\.)?", "US", text, flags=re.I)
    text = re.sub(r"\bU\.K\.", "UK", text, flags=re.I)
    text = re.sub(r"\bE\.U\.", "EU", text, flags=re.I)
    for src, dst in (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"'), ("\u00a0", " "),
                     ("\u2212", "-"), ("\u2013", "-"), ("\u2014", " - "), ("\uff05", "%"), ("\u066a", "%")):
        text = text.replace(src, dst)
    return text


def sentences(text: str) -> list[_Sentence]:
    """Split on sentence ends (not decimal points), semicolons, bullets and line breaks."""
    parts = [p for p in re.split(r"(?<=[.!?])\s+|[;\n•]+|\s+-\s+|\s*\|\s*", text) if p and p.strip()]
    merged: list[str] = []
    for part in parts:  # "What if China sold half? Yields up 50bp": a scenario and its outcome, together
        if merged and CONDITIONAL.search(merged[-1]) and DOWN.search(merged[-1]) and not YIELDS.search(merged[-1]) \
                and YIELDS.search(part):
            merged[-1] = f"{merged[-1]} {part}"
        else:
            merged.append(part)
    return [_Sentence(p, mask_ignored(p.lower())) for p in merged]


class Matcher:
    """Finds `Statement`s; built once per holder registry (its aliases become one pattern)."""

    def __init__(self, holders: HolderRegistry) -> None:
        names: dict[str, str] = {}
        for name in holders.names():
            if name not in _AMBIGUOUS and len(name) > 1:
                holder = holders.resolve(name)
                if holder is not None:
                    names[name] = holder.key
        for name, key in _DEMONYMS.items():
            if key in holders.keys():
                names[name] = key
        spelled = sorted(names, key=len, reverse=True)
        self._names = names
        self._holder_rx = re.compile(
            r"\b(?:" + "|".join(r"[\s.'-]*".join(re.escape(w) for w in n.split()) for n in spelled) + r")\b", re.I)

    # -- the public entry point ----------------------------------------------------------------
    def find(self, text: str) -> list[Statement]:
        """Every checkable statement in ``text``, in the order they appear."""
        cleaned = clean(text)
        whole = mask_ignored(cleaned.lower())
        treasury_context = TREASURY.search(whole) is not None
        found: list[Statement] = []
        previous_gap = False
        for s in sentences(cleaned):
            s.follows_gap = previous_gap
            found.extend(self._in_sentence(s, treasury_context))
            previous_gap = GAP.search(s.masked) is not None
        return _dedupe(found)

    # -- one sentence --------------------------------------------------------------------------
    def _holders(self, s: _Sentence) -> list[tuple[int, int, str]]:
        out = []
        for m in self._holder_rx.finditer(s.masked):
            key = self._names.get(re.sub(r"[\s.'-]+", " ", m[0].lower()).strip())
            if key is None:
                key = self._names.get(re.sub(r"[\s.'-]+", "", m[0].lower()))
            if key is not None:
                out.append((m.start(), m.end(), key))
        return out

    def _in_sentence(self, s: _Sentence, treasury_context: bool) -> list[Statement]:
        t = s.masked
        holders = self._holders(s)
        found: list[Statement] = []
        found += self._scenario(s, holders)
        amts = amounts(t)
        shrs = shares(t)
        found += self._gap_share(s, shrs)
        found += self._refinancing(s, amts, shrs)
        found += self._europe_buying(s, shrs)
        found += self._europe_vs_rest(s)
        found += self._europe_amounts(s, amts)
        found += self._simple_amount(s, amts, LIABILITIES, "gap_liabilities", reject=TREASURY)
        found += self._simple_amount(s, amts, ASSETS_ABROAD, "gap_assets")
        found += self._simple_amount(s, amts, GAP, "gap_net")
        found += self._statements(s, holders)
        found += self._holder_levels(s, amts, holders)
        found += self._directions(s, holders, treasury_context)
        return found

    def _take(self, s: _Sentence, readings: Iterable[Reading], anchor: tuple[int, int]) -> Reading | None:
        best: tuple[int, Reading] | None = None
        for r in readings:
            if r.start in s.used:
                continue
            distance = max(anchor[0] - r.end, r.start - anchor[1], 0)
            if distance <= MAX_DISTANCE and (best is None or distance < best[0]):
                best = (distance, r)
        if best is None:
            return None
        s.used.add(best[1].start)
        return best[1]

    def _statement(self, s: _Sentence, subject: str, reading: Reading | None = None, **extra: object) -> Statement:
        quote = s.text.strip()
        if len(quote) > 300:
            quote = quote[:299] + "…"
        if reading is None:
            return Statement(subject, quote, **extra)  # type: ignore[arg-type]
        return Statement(subject, quote, reading.value, s.text[reading.start:reading.end].strip(),
                         reading.currency, **extra)  # type: ignore[arg-type]

    def _scenario(self, s: _Sentence, holders: list[tuple[int, int, str]]) -> list[Statement]:
        t = s.masked
        cond, yields = CONDITIONAL.search(t), YIELDS.search(t)
        sale = DOWN.search(t)
        if not (cond and yields and sale and holders):
            return []
        holder = next(((a, b, k) for a, b, k in holders if a < sale.end() + 40), None)
        if holder is None:
            return []
        size = self._take(s, [r for r in shares(t) if r.start < yields.start()], (sale.start(), sale.end()))
        if size is None or not 0 < size.value <= 100:
            return []
        after = t[yields.end():]
        offset = yields.end()
        moves = [Reading("bp", r.value, r.start + offset, r.end + offset, r.text) for r in basis_points(after)]
        moves += [Reading("bp", r.value * 100, r.start + offset, r.end + offset, r.text)
                  for r in shares(after) if r.points and r.value <= 10]
        move = self._take(s, moves, (yields.start(), yields.end()))
        if move is None:
            return []
        s.used_holders.add(holder[0])
        return [self._statement(s, "scenario", move, holders=(holder[2],), percent=size.value)]

    def _gap_share(self, s: _Sentence, shrs: list[Reading]) -> list[Statement]:
        gap = GAP.search(s.masked) or (PRONOUN.match(s.masked) if s.follows_gap else None)
        if not gap or REFI.search(s.masked) or not GDP.search(s.masked):
            return []
        r = self._take(s, shrs, gap.span())
        return [self._statement(s, "gap_pct_gdp", r)] if r else []

    def _refinancing(self, s: _Sentence, amts: list[Reading], shrs: list[Reading]) -> list[Statement]:
        refi = REFI.search(s.masked)
        if not refi:
            return []
        out = []
        r = self._take(s, amts, refi.span())
        if r:
            out.append(self._statement(s, "refinancing", r))
        if GDP.search(s.masked):
            share = self._take(s, shrs, refi.span())
            if share:
                out.append(self._statement(s, "refinancing", share))
        return out

    def _europe_buying(self, s: _Sentence, shrs: list[Reading]) -> list[Statement]:
        europe, buying = EUROPE.search(s.masked), BUYING.search(s.masked)
        if not (europe and buying):
            return []
        r = self._take(s, shrs, (min(europe.start(), buying.start()), max(europe.end(), buying.end())))
        if r is None or r.value > 100:
            return []
        window = "apr-nov" if WHOLE_WINDOW.search(s.text.lower()) else ""
        s.used_holders.update(m.start() for m in self._holder_rx.finditer(s.masked))
        return [self._statement(s, "europe_buying", r, window=window)]

    def _europe_vs_rest(self, s: _Sentence) -> list[Statement]:
        europe, rest = EUROPE.search(s.masked), REST.search(s.masked)
        if not (europe and rest):
            return []
        r = self._take(s, ratios(s.masked), rest.span())
        if r:
            s.used_holders.update(m.start() for m in EUROPE.finditer(s.masked))
        return [self._statement(s, "europe_vs_rest", r)] if r else []

    def _europe_amounts(self, s: _Sentence, amts: list[Reading]) -> list[Statement]:
        europe = EUROPE.search(s.masked)
        if not europe or REFI.search(s.masked):
            return []
        out = []
        for r in amts:
            if r.start in s.used:
                continue
            subject = _asset_type(s.masked, r)
            if subject is None:
                continue
            if subject != "europe_securities" and not EU_ONLY.search(s.masked) and not EUROPE.search(s.masked):
                continue
            s.used.add(r.start)
            s.used_holders.update(m.start() for m in EUROPE.finditer(s.masked))
            out.append(self._statement(s, subject, r, holders=(EU,)))
        return out

    def _simple_amount(self, s: _Sentence, amts: list[Reading], anchor: re.Pattern[str], subject: str,
                       reject: re.Pattern[str] | None = None) -> list[Statement]:
        m = anchor.search(s.masked)
        if not m or (reject is not None and reject.search(s.masked)):
            return []
        r = self._take(s, amts, m.span())
        return [self._statement(s, subject, r)] if r else []

    def _statements(self, s: _Sentence, holders: list[tuple[int, int, str]]) -> list[Statement]:
        t = s.masked
        out = []
        eu_mentions = [h for h in holders if h[2] == EU]
        if eu_mentions and LAST_BUYER.search(t):
            s.used_holders.update(h[0] for h in eu_mentions)
            out.append(self._statement(s, "last_buyer", holders=(EU,)))
        if eu_mentions and FINANCIER.search(t):
            s.used_holders.update(h[0] for h in eu_mentions)
            out.append(self._statement(s, "primary_financier", holders=(EU,)))
        if GOLD.search(t) and TREASURY.search(t):
            if DECLINE_FOR_GOLD.search(t):
                out.append(self._statement(s, "declined_for_gold"))
                s.used_holders.update(h[0] for h in holders)
            elif GOLD_PASSED.search(t):
                out.append(self._statement(s, "gold_crossover"))
                s.used_holders.update(h[0] for h in holders)
        return out

    def _holder_levels(self, s: _Sentence, amts: list[Reading], holders: list[tuple[int, int, str]]) -> list[Statement]:
        if not TREASURY.search(s.masked):
            return []
        out = []
        for start, end, key in holders:
            if start in s.used_holders:
                continue
            r = self._take(s, [a for a in amts if a.start > start], (start, end))
            if r is not None:
                s.used_holders.add(start)
                out.append(self._statement(s, "holder_level", r, holders=(key,)))
        return out

    def _directions(self, s: _Sentence, holders: list[tuple[int, int, str]], treasury_context: bool) -> list[Statement]:
        t = s.masked
        if HYPOTHESIS.search(t):  # "what if China sold …" is a hypothesis, not a claim that it is selling
            return []
        free = [h for h in holders if h[0] not in s.used_holders]
        out: list[Statement] = []
        for i, (_start, end, key) in enumerate(free):
            stop = free[i + 1][0] if i + 1 < len(free) else len(t)
            clause = t[end:min(stop, end + 60)]
            clause = re.split(r"[,:]|\bbut\b|\bwhile\b|\bwhereas\b|\bunlike\b", clause)[0]
            down, up = DOWN.search(clause), UP.search(clause)
            verb = min((m for m in (down, up) if m), key=lambda m: m.start(), default=None)
            offset = end
            j = i
            # "China and Japan are backing away", "Taiwan, Norway and Switzerland all adding": the verb
            # after the last holder of a list counts for each of them
            while verb is None and j + 1 < len(free) and CONNECTOR.fullmatch(t[free[j][1]:free[j + 1][0]]):
                j += 1
                offset = free[j][1]
                tail_stop = free[j + 1][0] if j + 1 < len(free) else len(t)
                clause = t[offset:min(tail_stop, offset + 60)]
                clause = re.split(r"[,:]|\bbut\b|\bwhile\b|\bwhereas\b|\bunlike\b", clause)[0]
                down, up = DOWN.search(clause), UP.search(clause)
                verb = min((m for m in (down, up) if m), key=lambda m: m.start(), default=None)
            if verb is None:
                continue
            before = t[max(0, offset + verb.start() - 40):offset + verb.start()]
            if NEGATION.search(before) or OTHER_OBJECT.search(t[offset + verb.end():]):
                continue
            if not (treasury_context or THESIS_VERBS.fullmatch(verb[0])):
                continue
            direction = -1 if verb is down else 1
            out.append(self._statement(s, "direction", direction=direction, holders=(key,)))
        return _pair_directions(out)


def _asset_type(text: str, reading: Reading) -> str | None:
    """Which of Europe's holdings an amount is about: the type named nearest after it (or just before)."""
    window = text[reading.end:reading.end + 60]
    before = text[max(0, reading.start - 40):reading.start]
    for part in (window, before):
        if ALL_TYPES.search(part) and not (EQUITIES.search(part) and not re.search(r"bonds", part)):
            if re.search(r"securities|stocks and bonds|equities and bonds|bonds and (?:stocks|equities)|assets", part):
                return "europe_securities"
        hits = [(m.start(), name) for rx, name in ((EQUITIES, "eu_equities"), (CORPORATE, "eu_corporate"),
                                                   (TREASURY_TYPE, "eu_treasuries")) for m in rx.finditer(part)]
        if hits:
            return min(hits)[1] if part is window else max(hits)[1]
    return None


def _pair_directions(found: list[Statement]) -> list[Statement]:
    """China and Japan both said to be selling, in one sentence: the thesis' own joint claim."""
    keys = {st.holders[0]: st for st in found}
    if "china" in keys and "japan" in keys and keys["china"].direction == keys["japan"].direction:
        joint = Statement("direction", keys["china"].quote, direction=keys["china"].direction,
                          holders=("china", "japan"))
        return [st for st in found if st.holders[0] not in ("china", "japan")] + [joint]
    return found


def _dedupe(found: list[Statement]) -> list[Statement]:
    seen: set[tuple[object, ...]] = set()
    out = []
    for st in found:
        key = (st.subject, st.value, st.direction, st.holders, st.percent, st.currency, st.window)
        if key not in seen:
            seen.add(key)
            out.append(st)
    return out
