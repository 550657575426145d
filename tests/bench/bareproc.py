"""The baseline: a bare Bolt app on the same server stack as Reset Bot.

Same waitress server and settings (`bot.slack.server.http_server`, 16 threads) and Bolt WSGI adapter, same signing
secret and the same Slack stand-in; none of Reset Bot's own code runs (no datasets, handlers,
charts, database or scheduler, so pandas, matplotlib and SQLAlchemy are never imported).

    /reset   only acknowledges (the ack-latency, cold-start and memory baselines)
    /echo    acknowledges, then on a thread posts a fixed message and uploads a fixed PNG with
             files_upload_v2, the same calls Reset Bot makes: the floor of "time to a complete
             answer" through this stand-in. The blocks and PNG come from files named by
             BENCH_ECHO_BLOCKS and BENCH_ECHO_PNG (a real Reset Bot reply, prepared by the bench).

Configured like `reset-bot serve`: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL, HOST, PORT.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot.slack.server import http_server


def main() -> int:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING"))
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"], timeout=15)
    app = App(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"])
    blocks_file, png_file = os.environ.get("BENCH_ECHO_BLOCKS"), os.environ.get("BENCH_ECHO_PNG")
    blocks = json.loads(Path(blocks_file).read_text()) if blocks_file else None
    png = Path(png_file).read_bytes() if png_file else b"\x89PNG\r\n\x1a\n" + bytes(1024)
    pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="echo")

    @app.command("/reset")
    def only_ack(ack) -> None:
        ack()

    def post(channel: str) -> None:
        client.chat_postMessage(channel=channel, text="echo", blocks=blocks, unfurl_links=False)
        client.files_upload_v2(channel=channel, file=png, filename="chart.png", title="Chart", alt_txt="A chart")

    @app.command("/echo")
    def echo(ack, command) -> None:
        ack()
        pool.submit(post, command["channel_id"])

    bolt = SlackRequestHandler(app)

    def application(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"ok": true, "mode": "bare"}']
        return bolt(environ, start_response)

    http_server(application, host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ["PORT"])).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
