"""Load ``data/*.csv`` as described by ``data/datapackage.json`` into a `handlers.datasets.Datasets`.

Runs at every start, so it is vectorised and cheap (well under 300 ms for all files). Every file
is checked against its schema before any handler sees it: all described columns present and no
others, no empty cell unless the schema says why a cell may be empty, numbers and integers
parse, booleans are ``true``/``false``, dates are ISO, patterns and enums hold, primary keys are
unique, and a column named ``…_usd_bn`` / ``…_usd_mn`` / ``…_pct`` is declared in that unit. A
problem raises `DataError` naming the file, the row and the reason — never a silent NaN.

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
    """Read, validate and wrap every resource listed in ``data_dir/datapackage.json``.

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
                    file, None, f"column {name}: unit {unit!r} in datapackage.json does not match the name (expected {expected!r})"
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
            raise DataError(file, int(rows[i]), f"duplicate key {tuple(table.iloc[i][columns])} (primary key {columns})")
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
                file, int(rows[i]), f"{spec['name_column']} {names.iloc[i]!r} has unit {units.iloc[i]!r}, expected {expected!r}"
            )
