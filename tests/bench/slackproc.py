"""The local Slack stand-in (tests/fakes/slack_api.py) in a process of its own, for benchmarks.

Why a separate process: the benchmark client and the briefing fan-out measure time and CPU in
the benchmark's own process. FakeSlack does real work per call (Block Kit validation, deep
copies, JSON) and serialises calls under one lock; in-process, that work would be charged to
the bot (``time.process_time``) and would steal the GIL from the load generator's clock.

Started as ``python -m tests.bench.slackproc --channels N``; prints one JSON line
(``{"base_url", "token", "port", "pid"}``) and serves until stdin closes. Besides Slack's own
endpoints it answers a few loopback-only control routes under ``/bench/``:

    GET  /bench/calls?since=SEQ&methods=a,b   calls recorded since SEQ: [seq, method, time, status, ok, channel]
    GET  /bench/stats                        this process's CPU seconds and RSS
    POST /bench/reset                        forget messages, files and calls (bounds memory between phases)
    POST /bench/latency?ms=N                 answer every Slack call N ms late, like a real network round trip
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml

from tests.fakes import slack_api
from tests.fakes.slack_api import FakeSlack

ROOT = Path(__file__).resolve().parents[2]
GENERAL = "C0000GEN01"
USER = "U0000USER1"


def fanout_channel(n: int) -> str:
    """Channel IDs for the briefing fan-out and per-command channels: CB0000000, CB0000001, …"""
    return f"CB{n:07d}"


def manifest_scopes() -> frozenset[str]:
    return frozenset(yaml.safe_load((ROOT / "manifest.yml").read_text())["oauth_config"]["scopes"]["bot"])


class BenchSlack(FakeSlack):
    """FakeSlack plus the /bench/ control routes; everything else is the unchanged fake."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._dropped = 0  # calls forgotten by /bench/reset, so sequence numbers stay monotonic
        self._latency = 0.0  # seconds each Slack call waits before it is served (outside the lock)

    def _serve(self, h) -> None:  # noqa: ANN001 - http.server handler
        split = urlsplit(h.path)
        if not split.path.startswith("/bench/"):
            if self._latency:
                time.sleep(self._latency)
            super()._serve(h)
            return
        length = int(h.headers.get("Content-Length") or 0)
        if length:
            h.rfile.read(length)
        query = dict(parse_qsl(split.query))
        route = split.path.removeprefix("/bench/")
        if route == "calls":
            since = int(query.get("since", 0))
            methods = set(filter(None, query.get("methods", "").split(",")))
            with self._lock:
                start = max(0, since - self._dropped)
                rows = [
                    [self._dropped + start + i, c.method, c.time, c.status, bool((c.response or {}).get("ok")),
                     c.params.get("channel") or c.params.get("channel_id")]
                    for i, c in enumerate(self._calls[start:])
                    if not methods or c.method in methods
                ]
                seq = self._dropped + len(self._calls)
            self._send(h, 200, {"ok": True, "seq": seq, "calls": rows})
        elif route == "stats":
            times = os.times()
            self._send(h, 200, {"ok": True, "cpu": times.user + times.system, "rss_kb": rss_kb(os.getpid())})
        elif route == "latency":
            self._latency = float(query.get("ms", 0)) / 1000
            self._send(h, 200, {"ok": True, "latency_ms": self._latency * 1000})
        elif route == "reset":
            with self._lock:
                self._dropped += len(self._calls)
                self._calls.clear()
                self._messages.clear()
                self._ephemerals.clear()
                self._uploads.clear()
                self._shared.clear()
            self._send(h, 200, {"ok": True, "seq": self._dropped})
        else:
            self._send(h, 404, {"ok": False, "error": "not_found"})


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main(argv: list[str] | None = None) -> int:
    # socketserver's default listen backlog is 5: fifty clients connecting at once overflow it and
    # the kernel drops SYNs, which the clients retry after 1 s. Real Slack has no such queue, so the
    # benchmark's stand-in gets a deep one (only in this process; the test suite's fake is unchanged).
    slack_api._Server.request_queue_size = 1024
    parser = argparse.ArgumentParser()
    parser.add_argument("--channels", type=int, default=1000)
    args = parser.parse_args(argv)
    slack = BenchSlack(scopes=manifest_scopes())
    slack.add_channel(GENERAL, "general")
    slack.add_user(USER, tz="Europe/Berlin")
    slack.add_member(GENERAL, USER)
    for n in range(args.channels):
        slack.add_channel(fanout_channel(n), f"bench-{n}")
    print(json.dumps({"base_url": slack.base_url, "token": slack.token, "port": slack.port, "pid": os.getpid()}),
          flush=True)
    try:
        sys.stdin.read()  # serve until the benchmark closes our stdin (or dies)
    finally:
        slack.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
