"""The command language, as a table of what people type and what it means."""

from datetime import time

import pandas as pd
import pytest

from handlers.errors import UsageError
from handlers.holders import HolderRegistry
from handlers.parsing import parse
from handlers.queries import (
    BriefingQuery,
    BuyingQuery,
    ClaimsQuery,
    GapQuery,
    GoldQuery,
    HelpQuery,
    HoldingsQuery,
    RefinancingQuery,
    ShockQuery,
    SourcesQuery,
    SubscribeQuery,
    SubscriptionsQuery,
    UnsubscribeQuery,
)

# A small registry in the shape of data/holders.csv.
HOLDERS = HolderRegistry.from_frame(pd.DataFrame([
    {"key": "china", "label": "China (Mainland)", "tic_label": "China, Mainland", "eu_member": False,
     "europe": False, "custodial_centre": False, "aliases": "prc;mainland china"},
    {"key": "uk", "label": "United Kingdom", "tic_label": "United Kingdom", "eu_member": False,
     "europe": True, "custodial_centre": True, "aliases": "britain;great britain;gb"},
    {"key": "japan", "label": "Japan", "tic_label": "Japan", "eu_member": False, "europe": False,
     "custodial_centre": False, "aliases": ""},
    {"key": "saudi_arabia", "label": "Saudi Arabia", "tic_label": "Saudi Arabia", "eu_member": False,
     "europe": False, "custodial_centre": False, "aliases": "saudi;ksa"},
    {"key": "belgium", "label": "Belgium", "tic_label": "Belgium", "eu_member": True, "europe": True,
     "custodial_centre": True, "aliases": ""},
]))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", HelpQuery()),
        ("help", HelpQuery()),
        ("help shock", HelpQuery(topic="shock")),
        ("gap", GapQuery()),
        ("GAP", GapQuery()),
        ("/reset gap", GapQuery()),
        ("gap breakdown", GapQuery(breakdown=True)),
        ("holdings", HoldingsQuery()),
        ("holdings china", HoldingsQuery(holder="china")),
        ("holdings PRC", HoldingsQuery(holder="china")),
        ("holdings saudi arabia", HoldingsQuery(holder="saudi_arabia")),
        ("buying", BuyingQuery()),
        ("refi", RefinancingQuery()),
        ("refinancing", RefinancingQuery()),
        ("gold", GoldQuery()),
        ("claims", ClaimsQuery()),
        ("fact-check", ClaimsQuery()),
        ("sources", SourcesQuery()),
        ("shock eu 20%", ShockQuery(holder="eu", percent=20, mode="sell")),
        ("shock europe 20 %", ShockQuery(holder="eu", percent=20)),
        ("Shock EU 20pct", ShockQuery(holder="eu", percent=20)),
        ("shock eu 20 percent", ShockQuery(holder="eu", percent=20)),
        ("shock eu 12.5%", ShockQuery(holder="eu", percent=12.5)),
        ("shock eu 12,5%", ShockQuery(holder="eu", percent=12.5)),
        ("shock britain 10% pause", ShockQuery(holder="uk", percent=10, mode="pause")),
        ("shock 10% prc", ShockQuery(holder="china", percent=10)),
        ("shock china 0%", ShockQuery(holder="china", percent=0)),
        ("shock china 100%", ShockQuery(holder="china", percent=100)),
        ("/reset   shock   saudi   5%  ", ShockQuery(holder="saudi_arabia", percent=5)),
        ("subscribe", SubscribeQuery()),
        ("subscribe weekly fri 16:30 Europe/London",
         SubscribeQuery(day="fri", at=time(16, 30), timezone="Europe/London")),
        ("subscribe friday 4:30pm europe/london", SubscribeQuery(day="fri", at=time(16, 30), timezone="Europe/London")),
        ("subscribe mon 9:00 utc", SubscribeQuery(day="mon", at=time(9, 0), timezone="UTC")),
        ("subscribe 07:15", SubscribeQuery(at=time(7, 15))),
        ("unsubscribe", UnsubscribeQuery()),
        ("unsubscribe 2", UnsubscribeQuery(number=2)),
        ("subscriptions", SubscriptionsQuery()),
        ("briefing", BriefingQuery()),
    ],
)
def test_what_people_type_is_understood(text, expected):
    assert parse(text, HOLDERS) == expected


@pytest.mark.parametrize(
    "text, must_say",
    [
        ("gpa", "Did you mean `gap`"),
        ("shok eu 20%", "Did you mean `shock`"),
        ("banana", "/reset shock eu 20%"),  # a working example
        ("shock eu", "Give a percent"),
        ("shock 20%", "Whose holdings"),
        ("shock eu 120%", "outside 0–100%"),
        ("shock eu -5%", "outside 0–100%"),
        ("shock atlantis 20%", "I don't have Treasury holdings for `atlantis`"),
        ("shock chna 20%", "Did you mean `china`"),
        ("holdings narnia", "I don't have Treasury holdings"),
        ("subscribe fri 16:30 Mars/Olympus", "not a time zone I know"),
        ("subscribe fri 25:00", "not a time of day"),
        ("subscribe daily", "Briefings are weekly"),
        ("subscribe fryday", "Did you mean `friday`"),
        ("unsubscribe everything", "Which subscription"),
        ("gap now please", "takes no options"),
    ],
)
def test_what_cannot_be_understood_is_explained(text, must_say):
    with pytest.raises(UsageError) as caught:
        parse(text, HOLDERS)
    assert must_say in caught.value.message


@pytest.mark.parametrize("text", ["\x00", "%%%%", "shock 💥 20%", "a" * 5000, "shock eu 1e309%", "<!channel>", "shock eu nan%"])
def test_nonsense_never_raises_anything_but_a_usage_error(text):
    try:
        query = parse(text, HOLDERS)
    except UsageError as error:
        assert len(error.message) < 1000  # echoes are shortened, so replies stay within Slack's limits
    else:
        assert query.kind in {"help", "shock", "holdings"}
