"""The loaded datasets, as one immutable value handed to every handler.

`bot.pipeline.load.load_datasets()` reads and validates the files in ``data/`` (or a refreshed version
of them) and builds a `Datasets`; handlers only read it. Keeping the container here, beside the
handlers and away from the file system, lets tests build one from small frames.

Every frame is in tidy form with units in the column names (``usd_bn``, ``pct``). The columns of
each frame are listed in ``data/datapackage.json`` and checked when the files are loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd
from pydantic import BaseModel, ConfigDict

# Keys of `Datasets.provenance` describing where the data in service came from; set by
# `bot.pipeline.versions.load_version` (all values are strings; absent for hand-built Datasets).
META_LABEL = "data.label"  # published version ID, or "shipped baseline"
META_PUBLISHED = "data.published"  # ISO time the version was published ("" for the baseline)
META_RETRIEVED = "data.retrieved"  # ISO time (or date) of the newest retrieval in the version
META_CHANGES = "data.changes"  # what changed against the previous version, one line each
META_RETRIEVED_PREFIX = "retrieved."  # + resource name: when that resource was downloaded
BASELINE_LABEL = "shipped baseline"  # META_LABEL of the data shipped with the package


class Source(BaseModel):
    """Where one dataset comes from: what a reply's source line cites."""

    model_config = ConfigDict(frozen=True)

    name: str  # resource name in datapackage.json, e.g. "treasury_holdings"
    title: str
    publisher: str  # e.g. "US Treasury, TIC"
    series: str  # series code or table, e.g. "mfhhis01 / SLT Table 5"
    url: str
    period: str  # period covered, e.g. "2000-01 to 2026-04"
    as_of: str  # latest observation shown, e.g. "2026-04"
    vintage: str  # release or retrieval date, ISO (YYYY-MM-DD)
    units: str
    tag: str  # "official", "quoted", "derived", "secondary" (see data/README.md)

    def cite(self) -> str:
        """Short citation for a context line: publisher, series, as-of and vintage."""
        return f"{self.publisher} {self.series}, as of {self.as_of} (vintage {self.vintage})"


@dataclass(frozen=True)
class Datasets:
    """All frames the bot serves, with their sources and one version id.

    ``version`` changes whenever any file's bytes change (a hash of the files), so caches of
    charts and replies key on it.
    """

    version: str
    frames: Mapping[str, pd.DataFrame]
    sources: Mapping[str, Source]
    #: Where the data in service came from (the META_* keys above); empty for hand-built Datasets.
    provenance: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "frames", MappingProxyType(dict(self.frames)))
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))
        object.__setattr__(self, "provenance", MappingProxyType(dict(self.provenance)))

    def frame(self, name: str) -> pd.DataFrame:
        """A copy-on-write view of one frame; callers must not mutate it in place."""
        return self.frames[name]

    def source(self, name: str) -> Source:
        return self.sources[name]
