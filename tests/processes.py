"""`reset-bot serve` as a real process for the tests that need one: started on a free port against
the local Slack stand-in, and waited on until `/healthz` answers (never a fixed sleep)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO

from tests.conftest import SIGNING_SECRET

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(slack, tmp_path, *, stderr: IO[str] | int = subprocess.PIPE, **extra) -> tuple[subprocess.Popen, int]:
    """`reset-bot serve` on a free port; ``extra`` are environment variables. A test that lets the
    bot log much (DEBUG) passes a file as ``stderr``: a full pipe nobody reads would stall the bot."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update({"SLACK_BOT_TOKEN": slack.token, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": slack.base_url, "PORT": str(port), "HOST": "127.0.0.1",
                "RESET_BOT_STATE_DIR": str(tmp_path)}, **extra)
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=stderr, text=True)
    return proc, port


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited early: {proc.stderr.read() if proc.stderr else ''}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                return json.loads(response.read())
        except OSError:
            time.sleep(0.1)
    raise AssertionError("serve never became healthy")


def health(port: int) -> dict:
    """One `/healthz` answer of a running process."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        return json.loads(response.read())
