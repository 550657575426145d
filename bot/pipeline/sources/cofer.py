"""IMF COFER (currency composition of official foreign exchange reserves), SDMX 2.1 XML.

The IMF data portal serves COFER as SDMX 2.1 *structure-specific* data: ``<Series>`` elements
whose attributes are the dimensions (COUNTRY, INDICATOR, FXR_CURRENCY, TYPE_OF_TRANSFORMATION,
FREQUENCY) and ``<Obs TIME_PERIOD="2025-Q4" OBS_VALUE="…"/>`` children. ``<Group>`` elements
carry the unit of each transformation: ``SHRO_PT`` is a share in percent of allocated reserves,
``NV_USD`` a nominal value in US dollars (OBS_VALUE is in dollars; the series' SCALE attribute
is only a display hint, so it is not applied).

`parse_cofer` returns every observation in long form; `world_table` turns the world aggregate
(area ``G001``) into the USD/EUR shares and the total the bot quotes.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pandas as pd

from bot.pipeline.sources.errors import SourceFormatError

WORLD = "G001"
ALLOCATED = "AFXRA"  # allocated foreign exchange reserves
SHARE = "SHRO_PT"
NOMINAL_USD = "NV_USD"
_UNITS = {SHARE: "PT", NOMINAL_USD: "USD"}
_KEYS = ("COUNTRY", "INDICATOR", "FXR_CURRENCY", "TYPE_OF_TRANSFORMATION", "FREQUENCY")
_QUARTER = re.compile(r"(\d{4})-Q([1-4])")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_cofer(text: str, origin: str) -> pd.DataFrame:
    """All observations: ``area``, ``indicator``, ``currency`` (e.g. "CI_USD", "CI_T" = all),
    ``transformation`` ("SHRO_PT" or "NV_USD"), ``quarter`` ("2025Q4"), ``value`` (percent or
    US dollars) and ``published`` (the data set's PUBLICATION_DATE, YYYY-MM-DD).
    """
    try:
        root = ET.fromstring(text)
    except ET.ParseError as error:
        raise SourceFormatError(origin, error.position[0], f"not well-formed XML ({error})") from None
    if _local(root.tag) != "StructureSpecificData":
        raise SourceFormatError(
            origin, None, f"expected an SDMX StructureSpecificData message, got <{_local(root.tag)}>")
    datasets = [child for child in root if _local(child.tag) == "DataSet"]
    if len(datasets) != 1:
        raise SourceFormatError(origin, None, f"expected one DataSet, found {len(datasets)}")
    dataset = datasets[0]
    published = dataset.get("PUBLICATION_DATE", "")
    if not re.match(r"\d{4}-\d{2}-\d{2}", published):
        raise SourceFormatError(origin, None, f"DataSet has no PUBLICATION_DATE (got {published!r})")

    units = {
        group.get("TYPE_OF_TRANSFORMATION"): group.get("UNIT")
        for group in dataset
        if _local(group.tag) == "Group" and group.get("UNIT") is not None
    }
    records: list[tuple[str, str, str, str, str, float]] = []
    for series in (child for child in dataset if _local(child.tag) == "Series"):
        key = {name: series.get(name) for name in _KEYS}
        missing = [name for name, value in key.items() if not value]
        if missing:
            raise SourceFormatError(origin, None, f"a Series lacks the dimension(s) {missing}")
        label = ".".join(str(v) for v in key.values())
        if key["FREQUENCY"] != "Q":
            raise SourceFormatError(origin, None, f"series {label}: expected quarterly data (FREQUENCY='Q')")
        transformation = str(key["TYPE_OF_TRANSFORMATION"])
        if transformation in _UNITS and units.get(transformation) != _UNITS[transformation]:
            raise SourceFormatError(
                origin,
                None,
                f"series {label}: unit of {transformation} should be {_UNITS[transformation]!r}, "
                f"file says {units.get(transformation)!r}",
            )
        for obs in series:
            if _local(obs.tag) != "Obs":
                continue
            period = obs.get("TIME_PERIOD", "")
            match = _QUARTER.fullmatch(period)
            if not match:
                raise SourceFormatError(origin, None, f"series {label}: TIME_PERIOD {period!r} is not YYYY-Qn")
            raw = obs.get("OBS_VALUE")
            try:
                value = float(raw)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise SourceFormatError(
                    origin, None, f"series {label} {period}: OBS_VALUE {raw!r} is not a number") from None
            if not math.isfinite(value):
                raise SourceFormatError(origin, None, f"series {label} {period}: OBS_VALUE {raw!r} is not finite")
            records.append(
                (str(key["COUNTRY"]), str(key["INDICATOR"]), str(key["FXR_CURRENCY"]), transformation,
                 f"{match[1]}Q{match[2]}", value)
            )
    if not records:
        raise SourceFormatError(origin, None, "no observations (file cut short or empty query?)")
    frame = pd.DataFrame.from_records(
        records, columns=["area", "indicator", "currency", "transformation", "quarter", "value"]
    )
    duplicated = frame.duplicated(["area", "indicator", "currency", "transformation", "quarter"])
    if duplicated.any():
        row = frame[duplicated].iloc[0]
        raise SourceFormatError(
            origin, None, f"observation {row['area']} {row['currency']} {row['quarter']} appears twice")
    frame["published"] = published[:10]
    return frame.astype({c: "str" for c in ("area", "indicator", "currency", "transformation", "quarter", "published")})


def world_table(observations: pd.DataFrame, origin: str) -> pd.DataFrame:
    """World USD and EUR shares of allocated reserves (%) and total allocated reserves ($ bn).

    ``observations`` is one or more `parse_cofer` frames concatenated (the IMF portal serves
    shares and amounts as separate downloads). One row per quarter that has a USD share; such a
    quarter must also have the EUR share and the total, else the downloads do not match.
    Where all currency shares of a quarter are present they must add up to 100%.
    """
    world = observations[(observations["area"] == WORLD) & (observations["indicator"] == ALLOCATED)]
    twice = world.duplicated(["currency", "transformation", "quarter"])
    if twice.any():
        row = world[twice].iloc[0]
        raise SourceFormatError(origin, None, f"{row['quarter']} {row['currency']} {row['transformation']} given twice")
    shares = world[world["transformation"] == SHARE].pivot(index="quarter", columns="currency", values="value")
    nominal_total = (world["transformation"] == NOMINAL_USD) & (world["currency"] == "CI_T")
    totals = world[nominal_total].set_index("quarter")["value"]
    if "CI_USD" not in shares:
        raise SourceFormatError(origin, None, "no world USD share (series G001.AFXRA.CI_USD.SHRO_PT)")
    rows = []
    for quarter, usd in shares["CI_USD"].dropna().sort_index().items():
        eur = shares.at[quarter, "CI_EUR"] if "CI_EUR" in shares else float("nan")
        if pd.isna(eur):
            raise SourceFormatError(origin, None, f"{quarter}: USD share present but no EUR share")
        if quarter not in totals.index:
            raise SourceFormatError(origin, None, f"{quarter}: shares present but no total (G001.AFXRA.CI_T.NV_USD)")
        parts = shares.loc[quarter].drop(labels=["CI_T"], errors="ignore").dropna()
        if len(parts) >= 9 and abs(parts.sum() - 100) > 0.05:
            raise SourceFormatError(origin, None, f"{quarter}: currency shares add up to {parts.sum():.2f}%, not 100%")
        rows.append((quarter, float(usd), float(eur), float(totals[quarter]) / 1e9))
    return pd.DataFrame.from_records(
        rows, columns=["quarter", "usd_share_pct", "eur_share_pct", "total_fx_reserves_usd_bn"]
    ).astype({"quarter": "str"})
