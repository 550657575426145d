"""One entry point from a parsed query to its reply (for Slack, the shell and briefings)."""

from __future__ import annotations

from handlers.datasets import Datasets
from handlers.factcheck.render import answer_factcheck
from handlers.holders import HolderRegistry
from handlers.memo import VersionMemo
from handlers.queries import Query
from handlers.reply import Reply
from handlers.topics.buying import answer_buying
from handlers.topics.claims import answer_claims
from handlers.topics.gap import answer_gap
from handlers.topics.gold import answer_gold
from handlers.topics.help import answer_help
from handlers.topics.history import answer_history
from handlers.topics.holdings import answer_holdings
from handlers.topics.refinancing import answer_refinancing
from handlers.topics.shock import answer_shock
from handlers.topics.sources import answer_sources


def answer(query: Query, datasets: Datasets, holders: HolderRegistry) -> Reply:
    """The reply to a data query. Briefing commands are executed in bot/ (they need a channel and a DB)."""
    match query.kind:
        case "help":
            return answer_help(query)
        case "gap":
            return answer_gap(query, datasets)
        case "holdings":
            return answer_holdings(query, datasets, holders)
        case "buying":
            return answer_buying(query, datasets, holders)
        case "refinancing":
            return answer_refinancing(query, datasets)
        case "shock":
            return answer_shock(query, datasets, holders)
        case "history":
            return answer_history(datasets)
        case "gold":
            return answer_gold(query, datasets)
        case "claims":
            return answer_claims(query, datasets, holders)
        case "sources":
            return answer_sources(query, datasets)
        case "factcheck":
            return answer_factcheck(query, datasets, holders)
    raise ValueError(f"{query.kind!r} is not answered by handlers.answer")


#: Kinds whose reply is a pure function of (query, datasets). `sources` reads the clock (the data's
#: age) and `help` needs no data, so those are always built afresh.
MEMO_KINDS = frozenset({"gap", "holdings", "buying", "refinancing", "shock", "history", "gold", "claims"})
_replies: VersionMemo[Reply] = VersionMemo(max_entries=512)  # shock scenarios are the only unbounded kind


def cached_answer(query: Query, datasets: Datasets, holders: HolderRegistry) -> Reply:
    """`answer`, memoised per data version: the same question about the same data is computed once.

    A reply costs 5–60 ms of pandas work and is asked for again and again (every `/reset gap`,
    the briefing's topic of the week for each channel), while the data change a few times a week.
    Keyed by ``datasets.version`` *and* the datasets object itself, so two different objects that
    happen to share a version string never see each other's replies. Replies are frozen values.
    """
    if query.kind not in MEMO_KINDS:
        return answer(query, datasets, holders)
    return _replies.get(datasets, query, lambda: answer(query, datasets, holders))
