"""`reset-bot data refresh`: download the publishers' files, check them, publish a new data version.

For each source in `bot.pipeline.downloads.SOURCES`:

1. download its files through the injected `Transport` (the default uses urllib with a timeout
   and the User-Agent ``reset-bot/0.1 (+README)``; tests and offline demos pass another one);
2. parse them with the same parsers and builders as `bot.pipeline.build` (a changed layout or a file
   cut short raises `SourceFormatError` naming the file and line);
3. check the result: schema, types and units (`read_resource`), plausible ranges, no future
   periods, nothing going backwards or missing against the data in service, no "revision" larger
   than a real one (`bot.pipeline.checks`); ordinary revisions are recorded, not refused;
4. if the bytes differ from the version in service, stage the new CSV.

A source that fails at any step changes nothing; the others go ahead. If any resource changed, a
complete new folder (the previous version's files + the regenerated CSVs + an updated
datapackage.json with ``sha256``, ``as_of``, ``vintage`` and ``retrieved``) is validated with
`load_datasets` and published atomically (`bot.pipeline.versions`). ``STATE_DIR/data/status.json`` keeps,
per source, the last successful and the last failed refresh.

`refresh_all` is the hook the briefing scheduler calls daily; afterwards, `LiveData.reload_if_changed`
puts a new version in service.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.client import HTTPException
from pathlib import Path
from typing import Any, Literal, Protocol

import pandas as pd

from bot.pipeline.catalog import CATALOG, catalog, describe_resource, header_of, schema_of
from bot.pipeline.cells import csv_bytes
from bot.pipeline.checks import check
from bot.pipeline.downloads import ALL_BUILDERS, SOURCES, SourceSpec
from bot.pipeline.load import PACKAGE, DataError, default_data_dir, read_resource
from bot.pipeline.versions import (
    BASELINE,
    KEEP_VERSIONS,
    VERSION_INFO,
    Pointer,
    PublishedVersions,
    load_serving,
    load_version,
    utc_iso,
)
from bot.settings import Settings
from handlers.changes import SERIES, Revision, find_revisions, what_changed
from handlers.datasets import Datasets
from handlers.formatting import age

logger = logging.getLogger(__name__)

#: url, timeout in seconds -> the response body. Raise `DownloadError` (or any exception) on failure.
Transport = Callable[[str, float], bytes]

USER_AGENT = "reset-bot/0.1 (+README)"
DEFAULT_TIMEOUT = 60.0
MAX_BYTES = 64 * 1024 * 1024
STATUS_REVISIONS = 20  # revision lines kept per source in status.json

Outcome = Literal["ok", "unchanged", "failed", "skipped"]


class DownloadError(OSError):
    """A download failed (HTTP error, timeout, partial body, …)."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")


def urllib_transport(url: str, timeout: float) -> bytes:
    """GET ``url`` with a timeout and Reset Bot's User-Agent; refuse partial or oversized bodies."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - https URLs from SOURCES
            declared = response.headers.get("Content-Length")
            body: bytes = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise DownloadError(url, f"HTTP {error.code} {error.reason}") from None
    except urllib.error.URLError as error:
        raise DownloadError(url, f"cannot connect ({error.reason})") from None
    except (TimeoutError, OSError, HTTPException) as error:
        raise DownloadError(url, f"{type(error).__name__}: {error} (timeout {timeout:g}s)") from None
    if len(body) > MAX_BYTES:
        raise DownloadError(url, f"response larger than {MAX_BYTES // (1024 * 1024)} MB")
    if declared is not None and declared.isdigit() and int(declared) != len(body):
        raise DownloadError(url, f"partial download: {len(body)} of {declared} bytes")
    return body


class DirectoryTransport:
    """Serves the registry's URLs from raw folders laid out like ``tests/fixtures/raw`` — for tests
    and offline demonstrations (``reset-bot data refresh --fixtures DIR``). Never touches the network.

    A ``.zip`` download missing from the folders is served as an in-memory zip of the files in the
    folder it would be in (the genuine SHL appendix files are kept unzipped in the fixtures).
    """

    def __init__(self, folders: Sequence[Path], now: datetime) -> None:
        self.folders = [Path(f) for f in folders]
        self.keys = {d.url_for(now): d.key for s in SOURCES.values() for d in s.downloads}
        self.requested: list[str] = []

    def __call__(self, url: str, timeout: float) -> bytes:
        self.requested.append(url)
        key = self.keys.get(url)
        if key is None:
            raise DownloadError(url, "HTTP 404 (no fixture for this URL)")
        for folder in self.folders:
            if (folder / key).is_file():
                return (folder / key).read_bytes()
        if key.endswith(".zip"):
            for folder in self.folders:
                parent = (folder / key).parent
                members = sorted(p for p in parent.glob("*") if p.is_file()) if parent.is_dir() else []
                if members:
                    buffer = io.BytesIO()
                    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                        for member in members:
                            archive.writestr(zipfile.ZipInfo(member.name, (2026, 4, 1, 0, 0, 0)), member.read_bytes())
                    return buffer.getvalue()
        raise DownloadError(url, f"HTTP 404 (no fixture file {key})")


@dataclass(frozen=True)
class SourceResult:
    source: str
    outcome: Outcome
    detail: str  # failure reason, skip reason, or what changed
    resources: tuple[str, ...] = ()
    vintage: str = ""
    revisions: tuple[Revision, ...] = ()


@dataclass(frozen=True)
class RefreshReport:
    started: datetime
    results: tuple[SourceResult, ...]
    previous: str  # the version in service before the refresh (ID or "shipped baseline")
    published: Pointer | None = None  # the new version, if one was published
    changes: tuple[str, ...] = ()  # what changed against the previous version
    notes: tuple[str, ...] = ()  # housekeeping (cleaned staging folders, lock held elsewhere)

    @property
    def serving(self) -> str:
        return self.published.version if self.published else self.previous

    def result(self, source: str) -> SourceResult:
        return next(r for r in self.results if r.source == source)

    def lines(self) -> list[str]:
        """The report as `reset-bot data refresh` prints it."""
        width = max((len(r.source) for r in self.results), default=4)
        out = [f"{r.source:<{width}}  {r.outcome:<9}  {r.detail}".rstrip() for r in self.results]
        for r in self.results:
            if r.revisions:
                out.append(f"{r.source}: {len(r.revisions)} revised figure(s), recorded (not errors):")
                out += [f"    {rev.resource} {rev.line()}" for rev in r.revisions[:8]]
                if len(r.revisions) > 8:
                    out.append(f"    … {len(r.revisions) - 8} more (see status.json)")
        out += list(self.notes)
        if self.published:
            out.append(f"Published data version {self.published.version} (previous: {self.previous}).")
            if self.changes:
                out.append("What changed:")
                out += [f"  • {line}" for line in self.changes]
        else:
            out.append(f"No new version published; still serving {self.previous}.")
        return out


@dataclass
class _Staged:
    """What one source produced, waiting for the new folder."""

    spec: SourceSpec
    retrieved: str
    vintage: str
    note: str
    files: dict[str, bytes] = field(default_factory=dict)  # resource -> new CSV bytes


def refresh_all(settings: Settings, transport: Transport | None = None, now: datetime | None = None, *,
                sources: Sequence[str] | None = None, timeout: float = DEFAULT_TIMEOUT,
                keep: int = KEEP_VERSIONS, env: dict[str, str] | None = None) -> RefreshReport:
    """Refresh ``sources`` (default: all) and publish a new version if anything changed.

    Never raises for a bad download or file: each source's failure is in the report and in
    ``status.json``, and the data in service stay. ``transport`` defaults to `urllib_transport`.
    """
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    transport = transport or urllib_transport
    env = dict(os.environ) if env is None else env
    names = list(sources) if sources else list(SOURCES)
    unknown = [n for n in names if n not in SOURCES]
    if unknown:
        raise ValueError(f"unknown source(s) {unknown}; known: {', '.join(SOURCES)}")
    versions = PublishedVersions.for_state_dir(settings.state_dir)
    baseline = Path(settings.data_dir or default_data_dir())

    with versions.lock() as held:
        if not held:
            busy = "another refresh is running (STATE_DIR/data/refresh.lock)"
            skipped = tuple(SourceResult(n, "skipped", busy) for n in names)
            return RefreshReport(now, skipped, previous=_serving_label(versions))
        notes = [f"Removed {len(cleaned)} unfinished folder(s) left by an interrupted refresh."] if (
            cleaned := versions.clean_staging()) else []
        base_dir, previous, base = _base(versions, baseline)
        package = json.loads((base_dir / PACKAGE).read_text(encoding="utf-8"))

        results: list[SourceResult] = []
        staged: list[_Staged] = []
        with tempfile.TemporaryDirectory(prefix="reset-bot-raw-") as work:
            for name in names:
                result, stage = _refresh_source(SOURCES[name], transport, timeout, now, Path(work) / name,
                                                base, base_dir, package, env)
                results.append(result)
                if stage is not None and stage.files:
                    staged.append(stage)

        pointer: Pointer | None = None
        changes: list[str] = []
        if staged:
            try:
                pointer, changes = _publish(versions, base_dir, base, previous, package, staged, results, now)
            except (DataError, OSError, ValueError) as error:  # the assembled folder does not load
                logger.error("refreshed data not published: %s", error)
                failed = {s.spec.name for s in staged}
                results = [SourceResult(r.source, "failed", f"new data folder refused: {error}", r.resources)
                           if r.source in failed else r for r in results]
        _record_status(versions, results, now, pointer)
        if pointer is not None:
            pruned = versions.prune(keep)
            if pruned:
                notes.append(f"Removed {len(pruned)} old version(s) beyond the {keep} kept.")
        report = RefreshReport(now, tuple(results), previous=previous, published=pointer, changes=tuple(changes),
                               notes=tuple(notes))
    for result in report.results:
        log = logger.warning if result.outcome == "failed" else logger.info
        log("data refresh %s: %s %s", result.source, result.outcome, result.detail)
    return report


class Reloadable(Protocol):
    """What the daily job needs of the datasets in service (`bot.serving.live_data.LiveData`,
    which sits above the pipeline): a way to pick up a newly published version."""

    def reload_if_changed(self) -> object: ...


def scheduled_refresh(settings: Settings, data: Reloadable, transport: Transport | None = None,
                      now: datetime | None = None) -> RefreshReport:
    """The daily job: refresh every source, then put a newly published version in service.

    For the briefing scheduler (bot/), which should also call ``data.reload_if_changed()``
    every few minutes, since another replica sharing STATE_DIR may have published.
    """
    report = refresh_all(settings, transport, now)
    data.reload_if_changed()
    return report


def _serving_label(versions: PublishedVersions) -> str:
    pointer = versions.pointer()
    return pointer.version if pointer else BASELINE


def _base(versions: PublishedVersions, baseline: Path) -> tuple[Path, str, Datasets]:
    """The version in service, which a refresh builds on: its folder, label and datasets (the
    same choice `load_serving` makes: a damaged current version is passed over)."""
    datasets, serving = load_serving(versions, baseline)
    return (versions.folder(serving), serving, datasets) if serving else (baseline, BASELINE, datasets)


def _refresh_source(spec: SourceSpec, transport: Transport, timeout: float, now: datetime, raw: Path,
                    base: Datasets, base_dir: Path, package: dict[str, Any],
                    env: dict[str, str]) -> tuple[SourceResult, _Staged | None]:
    if spec.requires_env and not env.get(spec.requires_env):
        return SourceResult(spec.name, "skipped", f"{spec.requires_env} not set; {spec.skip_reason or 'skipped'}"), None
    if not spec.implemented:
        return SourceResult(spec.name, "skipped", spec.skip_reason or "not implemented"), None
    retrieved = utc_iso(now)
    try:
        for download in spec.downloads:
            url = download.url_for(now)
            body = transport(url, timeout)
            if not body:
                raise DownloadError(url, "empty response")
            if download.fred_series:
                body = _fred_body(body, download.fred_series, Path(download.key).name)
            (raw / download.key).parent.mkdir(parents=True, exist_ok=True)
            (raw / download.key).write_bytes(body)
        if spec.unpack:
            spec.unpack(raw)
        stage = _Staged(spec, retrieved, spec.vintage(raw, now.date()), spec.note(raw))
        revisions: list[Revision] = []
        described = {r["name"]: r for r in package["resources"]}
        news: list[str] = []
        for name in spec.resources:
            meta = catalog().meta(name)
            body = csv_bytes(header_of(meta), ALL_BUILDERS[name](raw))
            frame = read_resource(body, schema_of(meta), f"refreshed {meta['path']}")
            old = base.frames.get(name)
            check(name, frame, old, now)
            if old is not None and name in SERIES:
                revisions += find_revisions(name, old, frame)
            previous_path = base_dir / meta["path"]
            if name in described and previous_path.is_file() and previous_path.read_bytes() == body:
                continue
            stage.files[name] = body
            news.append(_news(name, frame, old))
    except Exception as error:  # noqa: BLE001 - any failure of one source is reported, never raised
        if not isinstance(error, (DownloadError, ValueError, OSError, KeyError)):
            logger.exception("unexpected error refreshing %s", spec.name)
        return SourceResult(spec.name, "failed", _reason(error), spec.resources), None
    if not stage.files:
        vintage = next((described[n]["vintage"] for n in spec.resources if n in described), stage.vintage)
        return SourceResult(spec.name, "unchanged", ", ".join(spec.resources), spec.resources, vintage,
                            tuple(revisions)), None
    return SourceResult(spec.name, "ok", "; ".join(news), spec.resources, stage.vintage, tuple(revisions)), stage


def _reason(error: Exception) -> str:
    text = str(error) or type(error).__name__
    return text if isinstance(error, (DownloadError, ValueError, OSError)) else f"{type(error).__name__}: {text}"


def _fred_body(body: bytes, series: str, origin: str) -> bytes:
    """Check a FRED graph CSV names ``series`` and mark FRED's empty "no observation" cells as "."
    (FRED writes both; the shared parser accepts only ".")."""
    from bot.pipeline.sources import SourceFormatError

    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceFormatError(origin, None, f"not UTF-8 text ({error.reason}); an HTML error page?") from None
    lines = text.splitlines()
    header = lines[0].strip().split(",") if lines else []
    if len(header) != 2 or header[1] != series:
        raise SourceFormatError(origin, 1, f"expected the header 'observation_date,{series}', got {lines[0][:60]!r}"
                                if lines else "file is empty")
    fixed = [lines[0]] + [line.rstrip() + "." if line.rstrip().endswith(",") and line.count(",") == 1 else line
                          for line in lines[1:]]
    return ("\n".join(fixed) + "\n").encode("utf-8")


def _news(name: str, frame: pd.DataFrame, old: pd.DataFrame | None) -> str:
    """One phrase: what the new file adds over the data in service."""
    spec = SERIES.get(name)
    if old is None:
        span = ""
        if spec is not None:
            keys = _as_text(frame[spec.period])
            span = f" {min(keys)} to {max(keys)}"
        return f"{name} (new dataset{span})"
    if spec is None:
        return f"{name} updated"
    added = sorted(set(_as_text(frame[spec.period])) - set(_as_text(old[spec.period])))
    if added:
        shown = ", ".join(added[-3:])
        return f"{name}: {len(added)} new period(s), latest {shown}" if len(added) > 3 else f"{name}: new {shown}"
    return f"{name}: revised (no new period)"


def _as_text(values: pd.Series) -> list[str]:
    if pd.api.types.is_datetime64_any_dtype(values):
        return list(values.dt.strftime("%Y-%m-%d"))
    return [str(v) for v in values]


def _publish(versions: PublishedVersions, base_dir: Path, base: Datasets, previous: str, package: dict[str, Any],
             staged: list[_Staged], results: list[SourceResult], now: datetime) -> tuple[Pointer, list[str]]:
    staging = versions.stage()
    try:
        return _assemble_and_publish(versions, staging, base_dir, base, previous, package, staged, results, now)
    except Exception:
        shutil.rmtree(staging, ignore_errors=True)  # refused: leave nothing behind (a crash leaves it to clean_staging)
        raise


def _assemble_and_publish(versions: PublishedVersions, staging: Path, base_dir: Path, base: Datasets, previous: str,
                          package: dict[str, Any], staged: list[_Staged], results: list[SourceResult],
                          now: datetime) -> tuple[Pointer, list[str]]:
    for path in base_dir.iterdir():
        if path.is_file() and path.name not in (VERSION_INFO, CATALOG):  # the catalog is the package's, not data
            shutil.copy2(path, staging / path.name)
    resources = list(package["resources"])
    index = {r["name"]: i for i, r in enumerate(resources)}
    for stage in staged:
        for name, body in stage.files.items():
            meta = catalog().refreshed_meta(name, retrieved=stage.retrieved, note=stage.note)
            (staging / meta["path"]).write_bytes(body)
            entry = describe_resource(name, meta, staging / meta["path"], stage.vintage)
            entry["retrieved"] = stage.retrieved
            if name in index:
                resources[index[name]] = entry
            else:
                index[name] = len(resources)
                resources.append(entry)
    new_package = {**package, "resources": resources}
    (staging / PACKAGE).write_text(json.dumps(new_package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    new = load_version(staging)  # raises DataError before anything is published
    changes = what_changed(base, new).summary_lines()
    info = {
        "previous": {"id": previous, "datasets_version": base.version},
        "sources": {r.source: {"outcome": r.outcome, "detail": r.detail, "vintage": r.vintage}
                    for r in results if r.outcome in ("ok", "unchanged")},
        "retrieved": {name: s.retrieved for s in staged for name in s.files},
        "revisions": [f"{rev.resource} {rev.line()}" for r in results for rev in r.revisions],
        "changes": changes,
    }
    return versions.publish(staging, now, info), changes


def _record_status(versions: PublishedVersions, results: list[SourceResult], now: datetime,
                   pointer: Pointer | None) -> None:
    status = versions.read_status()
    sources = status.setdefault("sources", {})
    at = utc_iso(now)
    for result in results:
        entry = sources.setdefault(result.source, {})
        if result.outcome in ("ok", "unchanged"):
            entry["last_success"] = {"at": at, "outcome": result.outcome, "detail": result.detail,
                                     "version": pointer.version if pointer and result.outcome == "ok" else None}
            entry["vintage"] = result.vintage
            if result.outcome == "ok":
                entry["retrieved"] = at
            if result.revisions:
                kept = result.revisions[:STATUS_REVISIONS]
                entry["revisions"] = {"at": at, "count": len(result.revisions),
                                      "lines": [f"{r.resource} {r.line()}" for r in kept]}
        elif result.outcome == "failed":
            entry["last_failure"] = {"at": at, "error": result.detail}
        else:
            entry["last_skipped"] = {"at": at, "reason": result.detail}
    status["updated"] = at
    versions.write_status(status)


# ------------------------------------------------------------------------------------------
# `reset-bot data status`
# ------------------------------------------------------------------------------------------


def status_lines(settings: Settings, now: datetime | None = None) -> list[str]:
    """Each source, its vintage and as-of date in service, and its last successful and failed refresh."""
    from bot.pipeline.versions import parse_time

    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    versions = PublishedVersions.for_state_dir(settings.state_dir)
    baseline = Path(settings.data_dir or default_data_dir())
    datasets, serving = load_serving(versions, baseline)
    if serving:
        pointer = versions.pointer()
        published = parse_time(pointer.published) if pointer else None
        ago = f" ({age(now - published)} ago)" if published else ""
        lines = [f"Serving data version {serving}, published {pointer.published if pointer else '?'}{ago}."]
    else:
        lines = [f"Serving the {BASELINE} ({baseline}); no refreshed version published."]
    status = versions.read_status().get("sources", {})
    rows = [("source", "vintage", "as of", "last success", "last failure")]
    for name, spec in SOURCES.items():
        entry = status.get(name, {})
        present = [n for n in spec.resources if n in datasets.sources]
        vintage = ", ".join(dict.fromkeys(datasets.sources[n].vintage for n in present)) or "-"
        as_of = ", ".join(dict.fromkeys(datasets.sources[n].as_of for n in present)) or "-"
        success = entry.get("last_success")
        failure = entry.get("last_failure")
        rows.append((
            name, vintage, as_of,
            f"{success['at']} ({success['outcome']})" if success else "never",
            f"{failure['at']}: {failure['error']}" if failure else "never",
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        lines.append("  ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(row)).rstrip())
    skipped = [f"{n}: {status[n]['last_skipped']['reason']}" for n in SOURCES if status.get(n, {}).get("last_skipped")]
    if skipped:
        lines.append("Skipped at the last refresh: " + "; ".join(skipped))
    return lines




# ------------------------------------------------------------------------------------------
# The CLI (`reset-bot data refresh|status`)
# ------------------------------------------------------------------------------------------


def data_command(settings: Settings, command: str, *, sources: Sequence[str] | None = None,
                 fixtures: Sequence[Path] | None = None, now: datetime | None = None) -> int:
    """Print the refresh report or the status; 0 while data can be served (misuse raises ValueError)."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    # The printed report says it all: while it runs, these loggers keep errors only.
    quiet = {name: logging.getLogger(name).level for name in ("bot.pipeline.refresh", "bot.pipeline.versions")}
    for name in quiet:
        logging.getLogger(name).setLevel(max(logging.ERROR, logging.getLogger(name).getEffectiveLevel()))
    try:
        return _data_command(settings, command, sources, fixtures, now)
    finally:
        for name, level in quiet.items():
            logging.getLogger(name).setLevel(level)


def _data_command(settings: Settings, command: str, sources: Sequence[str] | None, fixtures: Sequence[Path] | None,
                  now: datetime) -> int:
    if command == "status":
        print("\n".join(status_lines(settings, now)))
        return 0
    transport: Transport | None = None
    if fixtures:
        missing = [str(f) for f in fixtures if not Path(f).is_dir()]
        if missing:
            raise ValueError(f"--fixtures: no such folder {', '.join(missing)}")
        transport = DirectoryTransport(fixtures, now)
        print(f"Offline: serving the publishers' URLs from {', '.join(str(f) for f in fixtures)} (no network).")
    report = refresh_all(settings, transport, now, sources=sources)
    print("\n".join(report.lines()))
    # Exit 0 as long as something can be served (a refreshed version or the shipped baseline).
    load_serving(PublishedVersions.for_state_dir(settings.state_dir), Path(settings.data_dir or default_data_dir()))
    return 0
