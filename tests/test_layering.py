"""Imports flow one way: metrics ← handlers ← bot; metrics is pure and handlers do no network I/O."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FORBIDDEN = {
    "metrics": {"bot", "handlers", "slack_sdk", "slack_bolt", "matplotlib", "os", "pathlib", "io",
                "apscheduler", "sqlalchemy", "urllib", "http", "requests", "socket", "logging", "open"},
    "handlers": {"bot", "urllib", "http", "socket", "requests", "sqlalchemy", "apscheduler",
                 "slack_sdk.web", "slack_sdk.webhook", "slack_sdk.WebClient", "slack_sdk.socket_mode",
                 "slack_sdk.oauth", "slack_bolt", "matplotlib.pyplot", "pandas.read_csv"},
    "bot": {"matplotlib.pyplot"},
}


FILE_IO = re.compile(r"^(read_(csv|json|excel|parquet|table|html|sql|pickle|fwf|xml)"
                     r"|to_(csv|json|excel|parquet|pickle|sql|html|xml)|urlopen)$")
for package in ("metrics", "handlers"):
    FORBIDDEN[package] |= {"io:" + name for name in (
        "read_csv", "read_json", "read_excel", "read_parquet", "read_table", "read_html", "read_sql", "read_pickle",
        "read_fwf", "read_xml", "to_csv", "to_json", "to_excel", "to_parquet", "to_pickle", "to_sql", "to_html",
        "to_xml", "urlopen")}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open":
            names.add("open")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and FILE_IO.match(node.func.attr):
            names.add(f"io:{node.func.attr}")  # pd.read_csv(...), frame.to_csv(...): files or URLs
    return names


def violations(package: str, root: Path = ROOT) -> list[str]:
    found = []
    for path in sorted((root / package).rglob("*.py")):
        for name in imported_modules(path):
            for banned in FORBIDDEN[package]:
                if name == banned or name.startswith(banned + "."):
                    found.append(f"{path.relative_to(root)} imports {name}")
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_the_layering(package):
    assert violations(package) == []


def test_the_checker_catches_a_violation(tmp_path):
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "bad.py").write_text("import os\nfrom slack_sdk import WebClient\n")
    assert sorted(violations("metrics", root=tmp_path)) == ["metrics/bad.py imports os",
                                                            "metrics/bad.py imports slack_sdk",
                                                            "metrics/bad.py imports slack_sdk.WebClient"]
    (tmp_path / "handlers").mkdir()
    (tmp_path / "handlers" / "bad.py").write_text(
        "import pandas as pd\nfrom slack_sdk import WebClient\nx = pd.read_csv('https://example.org/x.csv')\n")
    assert sorted(violations("handlers", root=tmp_path)) == ["handlers/bad.py imports io:read_csv",
                                                             "handlers/bad.py imports slack_sdk.WebClient"]


# Inside bot/, the rooms are stacked: a room imports only rooms below it (same-rank rooms not
# each other). Settings and logging at the bottom; the data pipeline; the datasets in service;
# SQL; Slack; the shell and the briefings, side by side; the scheduler that runs briefings and
# data jobs; the wiring; the composition root; the command line.
ROOMS: dict[str, int] = {
    "settings": 0, "redaction": 0, "logs": 0, "telemetry": 0,
    "pipeline": 1,
    "serving": 2,
    "storage": 3,
    "slack": 4,
    "local": 5, "briefings": 5,
    "scheduler": 6, "alerts": 6,  # alerts reuse the briefings' recovery; the scheduler only calls them
    "assembly": 7,
    "runtime": 8,
    "cli": 9,
}


def room_of(path: Path, root: Path) -> str:
    parts = path.relative_to(root / "bot").parts
    return parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")


def room_violations(root: Path = ROOT) -> list[str]:
    found = []
    for path in sorted((root / "bot").rglob("*.py")):
        if path.name == "__init__.py" and path.parent == root / "bot":
            continue
        room = room_of(path, root)
        for name in imported_modules(path):
            parts = name.split(".")
            if parts[0] != "bot" or len(parts) < 2 or parts[1] not in ROOMS or parts[1] == room:
                continue
            if ROOMS[parts[1]] >= ROOMS[room]:
                found.append(f"{path.relative_to(root)} ({room}) imports {name}")
    return sorted(set(found))


def test_every_room_of_bot_has_a_rank():
    rooms = {room_of(p, ROOT) for p in (ROOT / "bot").rglob("*.py") if p != ROOT / "bot" / "__init__.py"}
    assert rooms <= set(ROOMS), rooms - set(ROOMS)


def test_rooms_of_bot_import_only_rooms_below_them():
    assert room_violations() == []


def test_the_room_checker_catches_an_upward_import(tmp_path):
    (tmp_path / "bot" / "storage").mkdir(parents=True)
    (tmp_path / "bot" / "storage" / "bad.py").write_text("from bot.slack.delivery import SlackDelivery\n")
    assert room_violations(tmp_path) == [
        "bot/storage/bad.py (storage) imports bot.slack.delivery",
        "bot/storage/bad.py (storage) imports bot.slack.delivery.SlackDelivery"]
