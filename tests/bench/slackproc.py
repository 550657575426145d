"""The local Slack stand-in (tests/fakes/slack_api.py) in a process of its own, for benchmarks.

Why a separate process: the benchmark client and the briefing fan-out measure time and CPU in
the benchmark's own process. FakeSlack does real work per call (Block Kit validation, deep
copies, JSON) and serialises calls under one lock; in-process, that work would be charged to
the bot (``time.process_time``) and would steal the GIL from the load generator's clock.

Started as ``python -m tests.bench.slackproc --channels N``; prints one JSON line
(``{"base_url", "token", "port", "pid"}``) and serves until stdin closes. Besides Slack's own
endpoints it answers a few loopback-only control routes under ``/bench/``:

    GET  /bench/calls?since=SEQ&methods=a,b   calls since SEQ: [seq, method, time, status, ok, channel, threaded]
    GET  /bench/stats                        this process's CPU seconds and RSS
    POST /bench/reset                        forget messages, files and calls (bounds memory between phases)
    POST /bench/latency?ms=N                 answer every Slack call N ms late, like a real network round trip
    POST /bench/limits?on=1|0                enforce Slack's per-workspace rate limits (`LIMITS`, × --scale) or not

With ``--workspaces W --per-workspace N`` it also creates W more workspaces (T0000W0000 …) with N
channels each (`workspace_channel`) and issues each workspace its own bot token, as oauth.v2.access
would at install; the JSON line lists them (team id, token, bot user and bot id).
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
from tests.fakes.slack_api import FakeSlack, RateLimit, _Grant

# Slack's published limits, per app per method per workspace (docs.slack.dev/apis/web-api/rate-limits;
# /work/shared/reference/slack-platform.md §4), as token buckets (calls per minute, burst):
#   chat.postMessage: "one message per second per channel" ("short bursts >1 allowed": not relied on, burst 1),
#     "while also maintaining a workspace-wide limit" — Slack gives no number; chosen here: 600 a minute
#     (10 a second, the bot's own default pace), burst 10;
#   files.getUploadURLExternal, files.completeUploadExternal: Tier 4, "100+ per minute" — 100, burst 5
#     (Tier 4 "tolerates occasional bursts"; 5 chosen).
LIMITS: dict[str, tuple[tuple[float, float, bool], ...]] = {
    "chat.postMessage": ((60.0, 1.0, True), (600.0, 10.0, False)),
    "files.getUploadURLExternal": ((100.0, 5.0, False),),
    "files.completeUploadExternal": ((100.0, 5.0, False),),
}

ROOT = Path(__file__).resolve().parents[2]
GENERAL = "C0000GEN01"
USER = "U0000USER1"


def fanout_channel(n: int) -> str:
    """Channel IDs for the briefing fan-out and per-command channels: CB0000000, CB0000001, …"""
    return f"CB{n:07d}"


def workspace_team(w: int) -> str:
    return f"T0000W{w:04d}"


def workspace_channel(w: int, n: int) -> str:
    """Channel n of workspace w: CW0010042 … (unique across workspaces: the stand-in keys channels by id)."""
    return f"CW{w:03d}{n:05d}"


def rate_limits(scale: float) -> dict[str, list[RateLimit]]:
    """`LIMITS` with every rate multiplied by ``scale`` (bursts unchanged)."""
    return {method: [RateLimit(per_minute * scale, burst, per_channel) for per_minute, burst, per_channel in group]
            for method, group in LIMITS.items()}


def manifest_scopes() -> frozenset[str]:
    return frozenset(yaml.safe_load((ROOT / "manifest.yml").read_text())["oauth_config"]["scopes"]["bot"])


class BenchSlack(FakeSlack):
    """FakeSlack plus the /bench/ control routes; everything else is the unchanged fake."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._dropped = 0  # calls forgotten by /bench/reset, so sequence numbers stay monotonic
        self._latency = 0.0  # seconds each Slack call waits before it is served (outside the lock)
        self.scale = 1.0  # --scale: the factor on every rate limit

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
                     c.params.get("channel") or c.params.get("channel_id"), bool(c.params.get("thread_ts"))]
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
        elif route == "limits":
            self.enforce_rate_limits(rate_limits(self.scale) if query.get("on") == "1" else {})
            self._send(h, 200, {"ok": True})
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
    parser.add_argument("--workspaces", type=int, default=0)
    parser.add_argument("--per-workspace", type=int, default=0)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args(argv)
    slack = BenchSlack(scopes=manifest_scopes())
    slack.scale = args.scale
    slack.add_channel(GENERAL, "general")
    slack.add_user(USER, tz="Europe/Berlin")
    slack.add_member(GENERAL, USER)
    for n in range(args.channels):
        slack.add_channel(fanout_channel(n), f"bench-{n}")
    workspaces = []
    scopes = ",".join(sorted(manifest_scopes()))
    for w in range(args.workspaces):
        team = slack.add_workspace(workspace_team(w), f"Bench workspace {w}")
        for n in range(args.per_workspace):
            slack.add_channel(workspace_channel(w, n), f"ws{w}-{n}")
        with slack._lock:  # what oauth.v2.access answers at install: a bot token of that workspace's own
            answer = slack._token_answer(_Grant(team, scopes), rotating=False)
        workspaces.append({"team_id": team.team_id, "token": answer["access_token"], "bot_user_id": team.bot_user_id,
                           "bot_id": team.bot_id})
    print(json.dumps({"base_url": slack.base_url, "token": slack.token, "port": slack.port, "pid": os.getpid(),
                      "client_id": slack.client_id, "client_secret": slack.client_secret, "app_id": slack.app_id,
                      "workspaces": workspaces}), flush=True)
    try:
        sys.stdin.read()  # serve until the benchmark closes our stdin (or dies)
    finally:
        slack.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
