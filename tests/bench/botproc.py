"""`reset-bot serve`, exactly, plus benchmark-only control routes.

Runs the real command line (`bot.cli.main(["serve"])`: settings from the environment, logging,
`build_runtime`, the briefing scheduler, waitress with 16 threads). The routes are added by
wrapping `build_runtime` and `wsgi_app` before `serve` looks them up; nothing else changes:

    POST /bench/publish   publish a copy of the datasets in service under a new data version
                          (what a data refresh does), so the next request for each chart is cold
    GET  /bench/stats     the ChartCache's render count, data version, RSS and CPU seconds
    POST /bench/hold      (diagnostic) keep replies queued instead of starting them …
    POST /bench/release   … and start them all now: separates the ack path from the reply work
    POST /bench/replay-ledger?on=0   (diagnostic) skip the front door's replay-key write (and ?on=1
                          to restore it): what that durable write per request costs the ack path

Sections 5 and 6 (cold start, memory) start the plain `reset-bot serve` instead.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import sys
from pathlib import Path

import bot.runtime
import bot.slack.server
from bot import cli

_runtime: dict[str, object] = {}
_versions = itertools.count(1)
_held: list[tuple] | None = None  # replies queued while /bench/hold is on
_submit: list = []  # the replier's own submit, which /bench/release calls


def _capture_runtime(build):
    def build_runtime(*args, **kwargs):
        runtime = build(*args, **kwargs)
        _runtime["runtime"] = runtime
        replier = runtime.app.replier
        submit = replier.submit
        _submit.append(submit)

        def maybe_hold(query, dest):
            held = _held
            if held is None:
                submit(query, dest)
            else:
                held.append((query, dest))

        replier.submit = maybe_hold  # the listeners look it up on each command
        return runtime
    return build_runtime


def _with_control(make_wsgi):
    def wsgi_app(*args, **kwargs):
        inner = make_wsgi(*args, **kwargs)
        guard = args[2] if len(args) > 2 else kwargs["guard"]

        def application(environ, start_response):
            path = environ.get("PATH_INFO", "")
            if not path.startswith("/bench/"):
                return inner(environ, start_response)
            global _held
            runtime = _runtime["runtime"]
            if path == "/bench/hold":
                _held = []
                body = {"ok": True}
            elif path == "/bench/release":
                held, _held = _held or [], None
                for query, dest in held:
                    _submit[-1](query, dest)
                body = {"ok": True, "released": len(held)}
            elif path == "/bench/replay-ledger":
                if environ.get("QUERY_STRING") == "on=0":
                    guard._first_sighting = lambda keys: True  # every request taken as new, nothing written
                else:
                    guard.__dict__.pop("_first_sighting", None)
                body = {"ok": True, "replay_ledger": "_first_sighting" not in guard.__dict__}
            elif path == "/bench/publish":
                current = runtime.data.current().datasets
                version = f"bench{os.getpid() % 1000:03d}{next(_versions):04d}"
                runtime.data.publish(dataclasses.replace(current, version=version))
                body = {"ok": True, "data_version": version}
            elif path == "/bench/stats":
                times = os.times()
                body = {"ok": True, "renders": runtime.charts.renders,
                        "data_version": runtime.data.current().datasets.version,
                        "cpu": times.user + times.system, "rss_kb": _rss_kb()}
            else:
                body = {"ok": False, "error": "not_found"}
            payload = json.dumps(body).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
            return [payload]

        return application
    return wsgi_app


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> int:
    bot.runtime.build_runtime = _capture_runtime(bot.runtime.build_runtime)
    bot.slack.server.wsgi_app = _with_control(bot.slack.server.wsgi_app)
    return cli.main(["serve"])


if __name__ == "__main__":
    sys.exit(main())
