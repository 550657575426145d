"""Load ``data/*.csv`` as described by ``data/datapackage.json`` into a `handlers.datasets.Datasets`.

Runs at every start, so it is vectorised and cheap (well under 300 ms for all files). Every file
is checked against its schema before any handler sees it: all described columns present and no
others, no empty cell unless the schema says why a cell may be empty, numbers and integers
parse, booleans are ``true``/``false``, dates are ISO, patterns and enums hold, primary keys are
unique, and a column named ``…_usd_bn`` / ``…_usd_mn`` / ``…_pct`` is declared in that unit. A
problem raises `DataError` naming the file, the row and the reason — never a silent NaN.

Then each file must be the one datapackage.json describes (`check_integrity`), so damaged data
stop the start instead of being served (a file cut short silently pricing scenarios on old
months, an empty table failing every answer that needs it):

* **not empty**: a table with a header and no data rows is refused.
* **as of what it says**: where a resource's ``as_of`` is a date or period (``YYYY``, ``YYYYQn``,
  ``YYYY-MM`` or ``YYYY-MM-DD``), the newest value of its time column must equal it; where its
  ``period`` is one such value or ``FIRST to LAST``, the oldest value must equal FIRST and the
  newest LAST. The time column (`time_column`) is found from the schema, no per-file mapping: the
  first field, in schema order, that is date-typed, a string whose pattern admits ``2025Q3`` or
  ``2025-12``, or an integer named ``year``. For the shipped files that is iip_quarterly.period
  (not its ``vintage`` date, which comes later), iip_annual.year, gdp_annual.year,
  treasury_holdings.month, europe_shl_history.year, gold_reserves.quarter_end and cofer.quarter;
  in refreshed versions also market_rates.date and iip_quarterly_fred.quarter — the same columns
  `bot.pipeline.build` states ``period``/``as_of`` from (a test keeps the two in step). Not checked:
  facts (``as_of`` is "various", the dates are per row), and holders, shl_holdings,
  yield_calibration and claims, whose ``as_of`` is the date of what they were compiled from and
  which have no time column.
* **plausible**: in a table with ``assets_usd_bn``, ``liabilities_usd_bn`` and ``net_usd_bn``
  (iip_quarterly; iip_quarterly_fred in refreshed versions), assets − liabilities must equal
  net within the releases' rounding (the larger of $1bn and 0.1% of liabilities; the shipped
  rows differ by at most $10bn, each figure being released in $ trillions to 2 decimals). This
  catches one of the three multiplied by 10. Other tables have no such identity, so a ×10 there
  is caught only by the hash.
* **unchanged since the build**: the file's sha256 must be the one datapackage.json records
  (`bot.pipeline.build` records it for the shipped data, and `bot.pipeline.refresh` for every file of a
  published version, through the same `describe_resource`). A resource with no recorded sha256
  is refused, not waved through: every writer of datapackage.json records one, so a missing hash
  means a hand-made or hand-edited package, and accepting it would let deleting the field switch
  the check off. The hash is checked last, so a damage the other checks can name is reported with
  its row and reason; the hash then catches everything else edited after the build. It proves only
  that the file is the one hashed: a file edited *and* re-hashed (a value ×10 with a rewritten
  sha256, or an older file with its as_of rewritten to match) passes it, and only the content
  checks above can catch that.

All of this is cheap (hashing the ~1 MB of CSV and one max/min per time column).

Row numbers in errors are line numbers in the CSV file (the header is row 1).
"""

from __future__ import annotations

import hashlib
import importlib.resources
import importlib.util
import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from handlers.datasets import Datasets, Source

PACKAGE = "datapackage.json"
#: Column-name suffix -> the unit the schema must declare for that column.
SUFFIX_UNITS = {"usd_bn": "usd_bn", "usd_mn": "usd_mn", "pct": "pct"}
TYPES = ("string", "number", "integer", "boolean", "date")
_INTEGER = re.compile(r"-?\d+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: The shapes a stated ``as_of`` / ``period`` end may take to be checked against the data.
_TIME = re.compile(r"\d{4}(Q[1-4]|-\d{2}(-\d{2})?)?")
_SPAN = re.compile(r"(?P<first>\S+) to (?P<last>\S+)")
_SHA256 = re.compile(r"[0-9a-f]{64}")
#: Samples a period-like string column's pattern must admit (quarters, months).
_PERIOD_SAMPLES = ("2025Q3", "2025-12")
#: The accounting identity assets - liabilities = net, where a table has the three columns.
_IDENTITY = ("assets_usd_bn", "liabilities_usd_bn", "net_usd_bn")
VERSION_INFO = "version.json"  # = bot.pipeline.versions.VERSION_INFO (that module imports this one)


class DataError(ValueError):
    """A data file does not match its description: ``file`` (as shown, e.g.
    ``data/treasury_holdings.csv``), ``row`` (line in the file, header = 1; None for file-level
    problems) and ``reason``."""

    def __init__(self, file: str, row: int | None, reason: str) -> None:
        self.file = file
        self.row = row
        self.reason = reason
        where = f"{file} row {row}" if row is not None else file
        super().__init__(f"{where}: {reason}")

    def __reduce__(self) -> tuple[type, tuple[str, int | None, str]]:
        return (type(self), (self.file, self.row, self.reason))


def default_data_dir() -> Path:
    """The installed data folder (the ``data/`` directory, installed as ``resetbot_data``).

    ``importlib.resources.files`` fails for the editable install's namespace package on
    Python 3.11 (its search path includes a non-directory hook), so the package's search
    locations are tried as well.
    """
    try:
        root = importlib.resources.files("resetbot_data")
        if isinstance(root, Path) and (root / PACKAGE).is_file():
            return root
    except (NotADirectoryError, ModuleNotFoundError, TypeError):
        pass
    spec = importlib.util.find_spec("resetbot_data")
    for location in (spec.submodule_search_locations or []) if spec else []:
        path = Path(location)
        if (path / PACKAGE).is_file():
            return path
    raise DataError("resetbot_data", None, f"installed data folder with {PACKAGE} not found")


def load_datasets(data_dir: Path) -> Datasets:
    """Read, validate (`read_resource`, then `check_integrity`) and wrap every resource listed in
    ``data_dir/datapackage.json``: the shipped baseline, a ``RESET_BOT_DATA_DIR`` folder or a
    published version in the state directory alike.

    ``Datasets.version`` is a short sha256 over the package file and every data file's bytes,
    so it changes whenever any file changes.
    """
    data_dir = Path(data_dir)
    shown = data_dir.name or str(data_dir)
    package_path = data_dir / PACKAGE
    package_bytes = _read_bytes(package_path, f"{shown}/{PACKAGE}")
    try:
        package = json.loads(package_bytes)
    except json.JSONDecodeError as error:
        raise DataError(f"{shown}/{PACKAGE}", error.lineno, f"not valid JSON ({error.msg})") from None
    resources = package.get("resources")
    if not isinstance(resources, list) or not resources:
        raise DataError(f"{shown}/{PACKAGE}", None, "no 'resources' list")

    digest = hashlib.sha256()
    digest.update(PACKAGE.encode() + b"\0" + package_bytes)
    frames: dict[str, pd.DataFrame] = {}
    sources: dict[str, Source] = {}
    for resource in sorted(resources, key=lambda r: str(r.get("name"))):
        name, path = resource.get("name"), resource.get("path")
        if not name or not path:
            raise DataError(f"{shown}/{PACKAGE}", None, f"a resource lacks 'name' or 'path': {resource!r:.80}")
        if name in frames:
            raise DataError(f"{shown}/{PACKAGE}", None, f"resource {name!r} is listed twice")
        file = f"{shown}/{path}"
        raw = _read_bytes(data_dir / path, file)
        digest.update(str(path).encode() + b"\0" + raw)
        frames[name] = read_resource(raw, resource, file)
        sources[name] = _source(resource, file)
        check_integrity(raw, frames[name], resource, file, published=(data_dir / VERSION_INFO).is_file())
    return Datasets(version=digest.hexdigest()[:12], frames=frames, sources=sources)


def _read_bytes(path: Path, shown: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DataError(shown, None, "file is missing") from None
    except OSError as error:
        raise DataError(shown, None, f"cannot be read ({error.strerror})") from None


def _source(resource: dict[str, Any], file: str) -> Source:
    refs = resource.get("sources") or []
    if not refs:
        raise DataError(file, None, "datapackage.json gives no sources for this resource")

    def joined(key: str) -> str:
        return "; ".join(dict.fromkeys(str(ref.get(key, "")) for ref in refs if ref.get(key)))

    try:
        return Source(
            name=resource["name"],
            title=resource["title"],
            publisher=joined("publisher"),
            series=joined("series"),
            url=str(refs[0].get("url", "")),
            period=resource["period"],
            as_of=resource["as_of"],
            vintage=resource["vintage"],
            units=resource["units"],
            tag=resource["tag"],
        )
    except (KeyError, ValueError) as error:
        raise DataError(file, None, f"datapackage.json metadata incomplete: {error}") from None


def _check_units(fields: list[dict[str, Any]], file: str) -> None:
    for field in fields:
        name, unit, kind = field.get("name", ""), field.get("unit", ""), field.get("type")
        if kind not in TYPES:
            raise DataError(file, None, f"column {name}: unknown type {kind!r} in datapackage.json")
        for suffix, expected in SUFFIX_UNITS.items():
            if (name == suffix or name.endswith("_" + suffix)) and unit != expected:
                raise DataError(
                    file, None,
                    f"column {name}: unit {unit!r} in datapackage.json does not match the name (expected {expected!r})"
                )


def read_resource(raw: bytes, resource: dict[str, Any], file: str) -> pd.DataFrame:
    """One CSV (bytes) validated against ``resource['schema']`` and typed: numbers float64,
    integers int64 (Int64 if empty cells are allowed), booleans bool, dates datetime64,
    strings str (empty string where allowed)."""
    schema = resource.get("schema") or {}
    fields: list[dict[str, Any]] = schema.get("fields") or []
    if not fields:
        raise DataError(file, None, "datapackage.json has no schema fields for this file")
    _check_units(fields, file)
    try:
        table = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        raise DataError(file, None, f"not a readable CSV ({str(error).strip()[:120]})") from None

    described = [f["name"] for f in fields]
    missing = [c for c in described if c not in table.columns]
    if missing:
        raise DataError(file, 1, f"missing column {missing[0]!r}")
    extra = [c for c in table.columns if c not in described]
    if extra:
        raise DataError(file, 1, f"column {extra[0]!r} is not described in datapackage.json")

    rows = pd.RangeIndex(2, len(table) + 2)  # line numbers: header is row 1
    out: dict[str, pd.Series] = {}
    for field in fields:
        out[field["name"]] = _column(table[field["name"]], field, rows, file)
    frame = pd.DataFrame(out)[described]

    key = schema.get("primaryKey")
    if key:
        columns = [key] if isinstance(key, str) else list(key)
        dup = frame.duplicated(columns)
        if dup.any():
            i = int(np.argmax(dup.to_numpy()))
            raise DataError(
                file, int(rows[i]), f"duplicate key {tuple(table.iloc[i][columns])} (primary key {columns})")
    row_units = resource.get("rowUnits")
    if row_units:
        _check_row_units(table, row_units, rows, file)
    return frame


def _first(mask: pd.Series, rows: pd.RangeIndex) -> int:
    return int(rows[int(np.argmax(mask.to_numpy()))])


def _column(values: pd.Series, field: dict[str, Any], rows: pd.RangeIndex, file: str) -> pd.Series:
    name, kind = field["name"], field["type"]
    constraints = field.get("constraints") or {}
    empty = (values == "").to_numpy()
    if empty.any() and not field.get("nullable"):
        raise DataError(file, _first(pd.Series(empty), rows), f"column {name}: empty value (not allowed)")
    filled = ~empty
    present = values[filled]

    def fail(bad: np.ndarray, what: str) -> None:
        if bad.any():
            positions = np.flatnonzero(filled)[bad]
            row = int(rows[positions[0]])
            raise DataError(file, row, f"column {name}: {values.iloc[positions[0]]!r} {what}")

    if kind == "number":
        parsed = pd.to_numeric(present, errors="coerce").to_numpy(dtype="float64")
        fail(~np.isfinite(parsed), "is not a number")
        result = np.full(len(values), np.nan)
        result[filled] = parsed
        series = pd.Series(result, dtype="float64")
    elif kind == "integer":
        fail(~present.str.fullmatch(_INTEGER).to_numpy(dtype=bool), "is not an integer")
        ints = present.astype("int64")
        if empty.any():
            series = pd.Series(pd.array([pd.NA] * len(values), dtype="Int64"))
            series[filled] = ints.to_numpy()
        else:
            series = pd.Series(ints.to_numpy(), dtype="int64")
    elif kind == "boolean":
        fail(~present.isin(["true", "false"]).to_numpy(), "is not true/false")
        if empty.any():
            series = pd.Series(pd.array([pd.NA] * len(values), dtype="boolean"))
            series[filled] = (present == "true").to_numpy()
        else:
            series = pd.Series((values == "true").to_numpy(), dtype="bool")
    elif kind == "date":
        shape_ok = present.str.fullmatch(_DATE).to_numpy(dtype=bool)
        fail(~shape_ok, "is not a YYYY-MM-DD date")
        parsed = pd.to_datetime(values.where(pd.Series(filled, index=values.index)), format="%Y-%m-%d", errors="coerce")
        fail(parsed[filled].isna().to_numpy(), "is not a valid date")
        series = pd.Series(parsed.to_numpy())
    else:
        series = pd.Series(values.to_numpy(), dtype="str")

    pattern = constraints.get("pattern")
    if pattern:
        fail(~present.str.fullmatch(pattern).to_numpy(dtype=bool), f"does not match the pattern {pattern}")
    enum = constraints.get("enum")
    if enum:
        fail(~present.isin([str(v) for v in enum]).to_numpy(), f"is not one of {enum}")
    return series


def _check_row_units(table: pd.DataFrame, spec: dict[str, str], rows: pd.RangeIndex, file: str) -> None:
    """In key/value tables (facts, calibration) a key ending in ``_usd_bn`` etc. must carry that unit."""
    names, units = table[spec["name_column"]], table[spec["unit_column"]]
    for suffix, expected in SUFFIX_UNITS.items():
        bad = names.str.endswith("_" + suffix) & (units != expected)
        if bad.any():
            i = int(np.argmax(bad.to_numpy()))
            raise DataError(
                file, int(rows[i]),
                f"{spec['name_column']} {names.iloc[i]!r} has unit {units.iloc[i]!r}, expected {expected!r}"
            )


# ---- is each file the one datapackage.json describes? -------------------------------------------


def check_integrity(raw: bytes, frame: pd.DataFrame, resource: dict[str, Any], file: str, *,
                    published: bool = False) -> None:
    """Refuse (`DataError`) a file that is empty, does not reach the as-of / period stated for it,
    breaks the IIP identity, or is not the file whose sha256 datapackage.json records (see the
    module docstring). ``frame`` is ``raw`` as `read_resource` typed it; ``published`` says the
    folder is a published version (only the advice in the hash message differs)."""
    if frame.empty:
        raise DataError(file, None, "has no data rows (only a header): an empty table is refused; "
                                    f"{_rebuild_hint(published)}")
    _check_time_span(frame, resource, file)
    _check_identity(frame, file)
    _check_sha256(raw, resource, file, published)


def _rebuild_hint(published: bool) -> str:
    if published:
        return "this published data version was damaged on disk; `reset-bot data refresh` publishes a new one"
    return "rebuild with `reset-bot data build RAW_DIR` (it re-records the hashes of hand-edited files too)"


def _check_sha256(raw: bytes, resource: dict[str, Any], file: str, published: bool) -> None:
    recorded = resource.get("sha256")
    if not recorded:
        raise DataError(file, None, "datapackage.json records no sha256 for this file, so it cannot be checked; "
                                    + _rebuild_hint(published))
    if not isinstance(recorded, str) or not _SHA256.fullmatch(recorded):
        raise DataError(file, None, f"datapackage.json's sha256 for this file ({recorded!r:.20}) is not 64 hex digits; "
                                    + _rebuild_hint(published))
    actual = hashlib.sha256(raw).hexdigest()
    if actual != recorded:
        raise DataError(file, None, f"sha256 is {actual[:8]}… but datapackage.json records {recorded[:8]}…: "
                                    f"the file was changed or truncated; {_rebuild_hint(published)}")


def time_column(resource: dict[str, Any]) -> str | None:
    """The column the resource's stated ``as_of`` is checked against, or None if its ``as_of`` is
    not a date or period or its schema has no time column. Found from the schema: the first field
    that is date-typed, a string whose pattern admits a quarter (``2025Q3``) or a month
    (``2025-12``), or an integer named ``year``."""
    as_of = resource.get("as_of")
    if not isinstance(as_of, str) or not _TIME.fullmatch(as_of):
        return None
    for field in (resource.get("schema") or {}).get("fields") or []:
        kind, name = field.get("type"), field.get("name")
        pattern = (field.get("constraints") or {}).get("pattern")
        if kind == "date" or (kind == "integer" and name == "year"):
            return str(name)
        if kind == "string" and pattern and any(re.fullmatch(pattern, sample) for sample in _PERIOD_SAMPLES):
            return str(name)
    return None


def _check_time_span(frame: pd.DataFrame, resource: dict[str, Any], file: str) -> None:
    column = time_column(resource)
    if column is None:
        return
    values = frame[column]
    if pd.api.types.is_datetime64_any_dtype(values):
        present = values.notna().to_numpy()
        order = values.to_numpy()
        text = values.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    elif pd.api.types.is_integer_dtype(values):  # years: by value, as `bot.pipeline.build` orders them
        present = values.notna().to_numpy()
        order = values.to_numpy(dtype="float64", na_value=np.nan)
        text = values.astype(str).to_numpy(dtype=object)
    else:  # YYYYQn / YYYY-MM strings: as text, which is their order (the patterns fix the width)
        text = values.to_numpy(dtype=object)
        present = text != ""
        order = text
    positions = np.flatnonzero(present)
    if not len(positions):
        raise DataError(file, None, f"column {column} has no values to check as_of {resource['as_of']} against")
    ends = {"newest": int(positions[np.argmax(order[positions])]),
            "oldest": int(positions[np.argmin(order[positions])])}

    stated = [("newest", f"as_of {resource['as_of']}", resource["as_of"])]  # (end, what was said, value)
    period = resource.get("period")
    if isinstance(period, str):
        span = _SPAN.fullmatch(period)
        first, last = (span["first"], span["last"]) if span else (period, period)
        if _TIME.fullmatch(first) and _TIME.fullmatch(last):
            stated += [("oldest", f"period {period}", first), ("newest", f"period {period}", last)]
    for end, said, expected in stated:
        found = str(text[ends[end]])
        if found != expected:
            why = ("the file is missing rows, or datapackage.json is wrong" if (found < expected) == (end == "newest")
                   else "the file and datapackage.json disagree")
            raise DataError(file, ends[end] + 2,  # line number: the header is row 1
                            f"{end} period in the data (column {column}) is {found} but datapackage.json says "
                            f"{said}: {why}")


def _check_identity(frame: pd.DataFrame, file: str) -> None:
    """assets − liabilities = net within rounding, in a table that has the three columns."""
    if not all(column in frame.columns for column in _IDENTITY):
        return
    assets, liabilities, net = (frame[c].to_numpy(dtype="float64") for c in _IDENTITY)
    gap = np.abs(assets - liabilities - net)
    bad = np.isfinite(gap) & (gap > np.maximum(1.0, 0.001 * np.abs(liabilities)))
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(
            file, i + 2,
            f"assets_usd_bn - liabilities_usd_bn = {assets[i]:,.1f} - {liabilities[i]:,.1f} = "
            f"{assets[i] - liabilities[i]:,.1f} "
            f"but net_usd_bn is {net[i]:,.1f}: more than rounding apart, so one of them is wrong (a value ×10?)")
