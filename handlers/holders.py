"""Who can be named in a command: countries from the TIC tables plus two aggregates.

The countries, their EU membership and their aliases come from ``data/holders.csv``; the
aggregates are defined here because they are part of the command language:

* ``eu`` — the EU-27 members that TIC lists separately in a month (small members sit in TIC's
  "All Other", so this understates the EU). ``europe`` is accepted as an alias, as people type it.
* ``foreign`` — all foreign holders (TIC "Grand Total").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

import pandas as pd
from pydantic import BaseModel, ConfigDict

from handlers.datasets import Datasets

EU = "eu"
FOREIGN = "foreign"


class Holder(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    label: str
    tic_labels: tuple[str, ...]  # TIC rows summed for this holder
    custodial_centre: bool = False
    aggregate: bool = False

    @property
    def title(self) -> str:
        """The label at the start of a sentence or heading ("The EU")."""
        return self.label[:1].upper() + self.label[1:]


def normalise(text: str) -> str:
    """Lower-case, drop accents, strip punctuation and collapse spaces: "U.K." → "uk",
    "Korea,  South" → "korea south", "Türkiye" → "turkiye"."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[.'’]", "", text.lower())
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


class HolderRegistry:
    """Look-ups from anything a user may type to a `Holder`."""

    def __init__(self, holders: list[Holder], aliases: Mapping[str, str]) -> None:
        self._by_key = {h.key: h for h in holders}
        self._aliases = dict(aliases)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> HolderRegistry:
        """Build from the ``holders`` dataset (columns key, label, tic_label, eu_member, aliases…)."""
        holders: list[Holder] = []
        aliases: dict[str, str] = {}
        eu_labels: list[str] = []
        for row in frame.itertuples(index=False):
            holders.append(
                Holder(
                    key=row.key,
                    label=row.label,
                    tic_labels=(row.tic_label,),
                    custodial_centre=bool(row.custodial_centre),
                )
            )
            for name in (row.key, row.label, row.tic_label, *str(row.aliases or "").split(";")):
                if name and normalise(name):
                    aliases[normalise(name)] = row.key
            if bool(row.eu_member):
                eu_labels.append(row.tic_label)
        holders.append(Holder(key=EU, label="the EU", tic_labels=tuple(eu_labels), aggregate=True))
        holders.append(Holder(key=FOREIGN, label="all foreign holders", tic_labels=("Grand Total",), aggregate=True))
        for name in ("eu", "europe", "european union", "eu27", "eu 27", "euro area", "eurozone"):
            aliases[normalise(name)] = EU
        for name in ("foreign", "all", "world", "everyone", "total", "foreigners"):
            aliases[normalise(name)] = FOREIGN
        return cls(holders, aliases)

    def resolve(self, text: str) -> Holder | None:
        """The holder a user meant, or None."""
        key = self._aliases.get(normalise(text))
        return self._by_key[key] if key else None

    def get(self, key: str) -> Holder:
        return self._by_key[key]

    def names(self) -> list[str]:
        """Every accepted spelling, for "did you mean" suggestions."""
        return sorted(self._aliases)

    def keys(self) -> list[str]:
        return sorted(self._by_key)


_REGISTRIES: dict[str, HolderRegistry] = {}


def registry_for(datasets: Datasets) -> HolderRegistry:
    """The registry built from ``datasets`` (memoised per data version; building it is cheap but not free)."""
    registry = _REGISTRIES.get(datasets.version)
    if registry is None:
        registry = HolderRegistry.from_frame(datasets.frame("holders"))
        if len(_REGISTRIES) > 8:  # versions change rarely; keep the memo small
            _REGISTRIES.clear()
        _REGISTRIES[datasets.version] = registry
    return registry
