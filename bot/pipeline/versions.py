"""Published dataset versions in the state directory, and the pointer to the one in service.

    STATE_DIR/data/
        current               {"version": ID, "datasets_version": …, "published": …}; replaced atomically
        versions/ID/          a complete data folder: every CSV, datapackage.json, version.json
        versions/.staging-*/  a folder being built: never loaded, removed by the next refresh
        status.json           per source: last successful and last failed refresh (see bot.pipeline.refresh)
        refresh.lock          flock'ed while a refresh runs, so two processes never build at once

A version ID is ``<UTC publish time>-<Datasets.version>`` (e.g. ``20260701T060000Z-1a2b3c4d5e6f``):
sortable by time, and findable from the content hash a briefing recorded when it was sent.

Publishing is: build a staging folder, validate it with `bot.pipeline.load.load_datasets`, rename it into
``versions/`` (atomic within one file system), then replace ``current`` (temp file + ``os.replace``).
A crash at any step leaves ``current`` pointing at the old, complete version; a half-built staging
folder is ignored by every reader and removed by the next refresh.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bot.pipeline.load import PACKAGE, DataError, load_datasets
from handlers.datasets import (
    BASELINE_LABEL,
    META_CHANGES,
    META_LABEL,
    META_PUBLISHED,
    META_RETRIEVED,
    META_RETRIEVED_PREFIX,
    Datasets,
)
from handlers.formatting import parse_utc

logger = logging.getLogger(__name__)

POINTER = "current"
VERSIONS = "versions"
STATUS = "status.json"
LOCK = "refresh.lock"
VERSION_INFO = "version.json"
STAGING_PREFIX = ".staging-"
#: Versions kept on disk (besides the one in service): enough for a weekly briefing to compare
#: with the version a channel received last week even when rates change every day.
KEEP_VERSIONS = 30
BASELINE = BASELINE_LABEL  # the label of the data shipped with the package (META_LABEL)



def utc_iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


parse_time = parse_utc  # shared with handlers/topics/sources.py


@dataclass(frozen=True)
class Pointer:
    version: str
    datasets_version: str
    published: str


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``path`` so readers see either the old or the new content, never a mix."""
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with temp.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
        fsync_dir(path.parent)
    finally:
        temp.unlink(missing_ok=True)


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort: not every file system supports it)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def load_version(folder: Path) -> Datasets:
    """`load_datasets` plus where the data came from, in ``Datasets.provenance`` (see the META_ keys).

    Works for a published version and for a plain data folder such as the shipped baseline.
    """
    datasets = load_datasets(folder)
    package = json.loads((folder / PACKAGE).read_text(encoding="utf-8"))
    info: dict[str, Any] = {}
    if (folder / VERSION_INFO).is_file():
        try:
            info = json.loads((folder / VERSION_INFO).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            info = {}
    meta: dict[str, str] = {}
    retrieved = []
    for resource in package.get("resources", []):
        if resource.get("retrieved"):
            meta[META_RETRIEVED_PREFIX + resource["name"]] = str(resource["retrieved"])
            retrieved.append(str(resource["retrieved"]))
    if info.get("id"):
        meta[META_LABEL] = str(info["id"])
        meta[META_PUBLISHED] = str(info.get("published", ""))
        meta[META_RETRIEVED] = max(retrieved) if retrieved else str(info.get("published", ""))
    else:
        # The shipped baseline records no retrieval times; the newest vintage of its generated
        # files is when its raw files were retrieved (about 2026-07-01, see PROVENANCE.md).
        meta[META_LABEL] = BASELINE
        meta[META_PUBLISHED] = ""
        vintages = [str(r.get("vintage", "")) for r in package.get("resources", []) if r.get("generated")]
        meta[META_RETRIEVED] = max(retrieved + vintages) if retrieved + vintages else ""
    if info.get("changes"):
        meta[META_CHANGES] = "\n".join(str(line) for line in info["changes"])
    return dataclasses.replace(datasets, provenance=meta)


class PublishedVersions:
    """The ``STATE_DIR/data`` folder: the published versions, the pointer to the one in service,
    the refresh status and lock. Reading never creates anything; writing needs `lock()`.

    (Not the datasets in service, `bot.serving.live_data.LiveData`, nor the SQL `Store`.)"""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.versions = self.root / VERSIONS
        self.pointer_path = self.root / POINTER
        self.status_path = self.root / STATUS

    @classmethod
    def for_state_dir(cls, state_dir: Path) -> PublishedVersions:
        return cls(Path(state_dir) / "data")

    # ---- reading --------------------------------------------------------------------------
    def pointer(self) -> Pointer | None:
        """The version in service, or None (none published yet, or an unreadable pointer)."""
        try:
            data = json.loads(self.pointer_path.read_text(encoding="utf-8"))
            return Pointer(str(data["version"]), str(data["datasets_version"]), str(data["published"]))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as error:
            logger.warning("ignoring unreadable data pointer %s: %s", self.pointer_path, error)
            return None

    def folder(self, version: str) -> Path:
        return self.versions / version

    def current_folder(self) -> Path | None:
        pointer = self.pointer()
        return self.folder(pointer.version) if pointer else None

    def published(self) -> list[str]:
        """IDs of complete versions on disk, oldest first (staging folders excluded)."""
        if not self.versions.is_dir():
            return []
        return sorted(p.name for p in self.versions.iterdir()
                      if p.is_dir() and not p.name.startswith(".") and (p / PACKAGE).is_file())

    def find(self, datasets_version: str) -> Path | None:
        """The newest version folder whose content hash is ``datasets_version``."""
        matches = [v for v in self.published() if v.endswith("-" + datasets_version)]
        return self.folder(matches[-1]) if matches else None

    def read_status(self) -> dict[str, Any]:
        try:
            data = json.loads(self.status_path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            logger.warning("ignoring unreadable %s: %s", self.status_path, error)
            return {}

    # ---- writing (hold `lock()`) ----------------------------------------------------------
    @contextlib.contextmanager
    def lock(self) -> Iterator[bool]:
        """Yields True if this process now holds the refresh lock, False if another one does."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / LOCK).open("a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def stage(self) -> Path:
        self.versions.mkdir(parents=True, exist_ok=True)
        folder = self.versions / f"{STAGING_PREFIX}{uuid.uuid4().hex[:12]}"
        folder.mkdir()
        return folder

    def clean_staging(self) -> list[str]:
        """Remove folders left by an interrupted refresh (only call while holding the lock)."""
        removed = []
        if self.versions.is_dir():
            for path in self.versions.iterdir():
                if path.is_dir() and path.name.startswith(STAGING_PREFIX):
                    shutil.rmtree(path, ignore_errors=True)
                    removed.append(path.name)
        return removed

    def publish(self, staging: Path, published: datetime, info: dict[str, Any]) -> Pointer:
        """Validate ``staging``, move it to ``versions/ID`` and point ``current`` at it.

        Raises `DataError` (and leaves everything as it was) if the folder does not load.
        """
        datasets = load_datasets(staging)  # the whole folder, exactly as the bot will read it
        version = f"{published.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}-{datasets.version}"
        pointer = Pointer(version, datasets.version, utc_iso(published))
        record = {"id": version, "datasets_version": datasets.version, "published": pointer.published, **info}
        (staging / VERSION_INFO).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        for path in staging.iterdir():  # durable before the folder becomes visible under its name
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
        target = self.folder(version)
        if target.exists():  # the same content published in the same second: keep the first
            shutil.rmtree(staging, ignore_errors=True)
        else:
            os.rename(staging, target)
            fsync_dir(self.versions)
        self.point_at(pointer)
        return pointer

    def point_at(self, pointer: Pointer) -> None:
        """Replace ``current`` so it names ``pointer``'s version: the last, atomic step of `publish`."""
        body = {"version": pointer.version, "datasets_version": pointer.datasets_version,
                "published": pointer.published}
        write_atomically(self.pointer_path, (json.dumps(body, indent=2) + "\n").encode("utf-8"))

    def write_status(self, status: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        write_atomically(self.status_path, (json.dumps(status, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))

    def prune(self, keep: int = KEEP_VERSIONS) -> list[str]:
        """Delete the oldest versions beyond ``keep``; never the one in service."""
        pointer = self.pointer()
        versions = [v for v in self.published() if not pointer or v != pointer.version]
        doomed = versions[: max(0, len(versions) - keep)]
        for version in doomed:
            shutil.rmtree(self.folder(version), ignore_errors=True)
        return doomed


def load_serving(versions: PublishedVersions, baseline: Path) -> tuple[Datasets, str | None]:
    """The datasets to serve: the published version in ``versions`` if there is one and it loads;
    if it does not (damaged on disk), the newest older version that does; else the baseline
    folder. Returns them with the version ID served (None = baseline)."""
    pointer = versions.pointer()
    if pointer is not None:
        candidates = [pointer.version] + [v for v in reversed(versions.published()) if v < pointer.version]
        for version in candidates:
            try:
                datasets = load_version(versions.folder(version))
            except (DataError, OSError, ValueError) as error:
                logger.error("data version %s does not load (%s)", version, error)
                continue
            if version == pointer.version:
                logger.info("serving published data version %s (published %s)", version, pointer.published)
            else:
                logger.error("serving the older data version %s instead of %s", version, pointer.version)
            return datasets, version
    datasets = load_version(baseline)
    logger.info("serving the shipped baseline data from %s (no loadable refreshed version)", baseline)
    return datasets, None
