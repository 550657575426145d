"""The dataset catalog: ``data/catalog.json``, the one place dataset metadata is written by hand.

It holds what a person curates about each resource — title, description, sources, units, tag,
derivation, licence, schema (fields and primary key), its time column, fixed period/as-of/vintage
where a file has no time column, and the texts a refreshed version uses instead
(``refreshed.derivation`` with ``{retrieved}``/``{note}`` placeholders, ``refreshed.description``).
Resources marked ``refreshedOnly`` exist only in versions `bot.pipeline.refresh` publishes.

``datapackage.json`` is generated from it: `describe_resource` copies the curated keys and adds
only what is measured from the file (sha256, period and as-of from the time column) and the vintage
the caller measured or the catalog fixes. A JSON file rather than Python so that curating a
description is editing data, not code, and rather than ``datapackage.json`` itself because that
file is an output — rewritten with new hashes by every build and refresh, absent from an empty
build folder, and without the refresh-only resources.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from bot.pipeline.load import default_data_dir

CATALOG = "catalog.json"

#: One resource's entry in the catalog (read-only: copy it to change it).
Meta = Mapping[str, Any]


@dataclass(frozen=True)
class Catalog:
    """The parsed catalog: the package's own description and each resource's metadata by name."""

    package: Mapping[str, Any]
    resources: Mapping[str, Meta]

    @classmethod
    def read(cls, path: Path) -> Catalog:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(data["package"], {entry["name"]: entry for entry in data["resources"]})

    def meta(self, name: str) -> Meta:
        return self.resources[name]

    def shipped(self) -> dict[str, Meta]:
        """The resources of the shipped data folder, in datapackage.json order."""
        return {name: meta for name, meta in self.resources.items() if not meta.get("refreshedOnly")}

    def generated(self) -> list[str]:
        """Paths of the shipped files `bot.pipeline.build` writes (the others are hand-curated)."""
        return [meta["path"] for meta in self.shipped().values() if meta["generated"]]

    def refreshed_meta(self, name: str, *, retrieved: str, note: str) -> dict[str, Any]:
        """The metadata of ``name`` as a refreshed version describes it: its ``refreshed`` texts
        (the derivation with the retrieval time and the raw files' note filled in) replace the
        baseline's."""
        meta = dict(self.meta(name))
        refreshed = meta.get("refreshed", {})
        meta["derivation"] = refreshed.get("derivation", meta["derivation"]).format(retrieved=retrieved, note=note)
        if "description" in refreshed:
            meta["description"] = refreshed["description"]
        return meta


@cache
def catalog() -> Catalog:
    """The installed catalog (``data/catalog.json`` beside the shipped data)."""
    return Catalog.read(default_data_dir() / CATALOG)


def schema_of(meta: Meta) -> dict[str, Any]:
    """The part of a datapackage.json entry `bot.pipeline.load.read_resource` checks a CSV against."""
    schema: dict[str, Any] = {"schema": {"fields": meta["fields"], "primaryKey": meta["primaryKey"]}}
    if "rowUnits" in meta:
        schema["rowUnits"] = meta["rowUnits"]
    return schema


def header_of(meta: Meta) -> list[str]:
    return [f["name"] for f in meta["fields"]]


def time_span(path: Path, column: str, kind: str) -> tuple[str, str]:
    """(period, as_of) from a file's time column: 'first to last' and the last value."""
    with path.open(newline="", encoding="utf-8") as handle:
        values = [row[column] for row in csv.DictReader(handle) if row[column]]
    if not values:
        raise ValueError(f"{path.name}: no values in {column}")
    ordered = sorted(values, key=int) if kind == "int" else sorted(values)
    first, last = ordered[0], ordered[-1]
    return (first if first == last else f"{first} to {last}"), last


def describe_resource(name: str, meta: Meta, path: Path, vintage: str, period: str | None = None,
                      as_of: str | None = None) -> dict[str, Any]:
    """One datapackage.json resource entry for the file at ``path`` described by ``meta`` (a catalog
    entry); ``period``/``as_of`` default to the file's time column (``meta['time']``) or the fixed
    values in ``meta``. Used by `bot.pipeline.build` and by `bot.pipeline.refresh`. The entry is a
    deep copy: changing it never changes the catalog."""
    meta = copy.deepcopy(dict(meta))
    if period is None or as_of is None:
        time = meta.get("time")
        period, as_of = time_span(path, time["column"], time["kind"]) if time else (meta["period"], meta["as_of"])
    entry: dict[str, Any] = {
        "name": name,
        "path": meta["path"],
        "title": meta["title"],
        "description": meta["description"],
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "generated": meta["generated"],
        "sources": meta["sources"],
        "period": period,
        "as_of": as_of,
        "vintage": vintage,
        "units": meta["units"],
        "tag": meta["tag"],
        "derivation": meta["derivation"],
        "licence": meta["licence"],
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "schema": schema_of(meta)["schema"],
    }
    if "rowUnits" in meta:
        entry["rowUnits"] = meta["rowUnits"]
    return entry
