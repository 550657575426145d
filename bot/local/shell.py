"""The local shell: the same commands as Slack, answered in the terminal, charts written to disk.

Like Hubot's shell adapter, it runs the real parser, handlers and chart renderers — only the
transport differs — so anything that works here works in Slack.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

from bot.local.textview import reply_text
from bot.serving.chart_cache import ChartCache
from bot.serving.live_data import LiveData
from bot.slack.errors import explain
from handlers.answer import answer
from handlers.charts.data import chart_data
from handlers.csvdata import csv_bytes, csv_filename
from handlers.datasets import Datasets
from handlers.parsing import parse
from handlers.queries import ALERT_KINDS, BRIEFING_KINDS
from handlers.reply import ChartRef, Reply, message

PROMPT = "reset> "


class Shell:
    """``csv_dir``: also write each chart's data (`handlers.csvdata`, the rows the PNG is drawn
    from) there, as the "Data (CSV)" button does in Slack."""

    def __init__(self, data: LiveData, charts: ChartCache, out_dir: Path, csv_dir: Path | None = None) -> None:
        self.data = data
        self.charts = charts
        self.out_dir = out_dir
        self.csv_dir = csv_dir

    def reply_for(self, text: str) -> Reply:
        snapshot = self.data.current()
        try:
            query = parse(text, snapshot.holders)
            if query.kind in BRIEFING_KINDS:
                return message(
                    f"`{query.kind}` manages a channel's weekly briefing, so it works in Slack "
                    "(`reset-bot serve`), not in the local shell."
                )
            if query.kind in ALERT_KINDS:
                return message("Alerts post in the Slack channel where they were set, so they work in Slack "
                               "(`reset-bot serve`), not in the local shell.")
            return answer(query, snapshot.datasets, snapshot.holders)
        except Exception as exc:  # the shell must never die on one bad line
            return explain(exc, where="shell")

    def run_one(self, text: str) -> str:
        """The reply as text, with the paths of the charts it wrote."""
        reply = self.reply_for(text)
        lines = [reply_text(reply)]
        datasets = self.data.current().datasets
        for chart in reply.charts:
            try:
                self.out_dir.mkdir(parents=True, exist_ok=True)
                path = self.out_dir / chart.filename
                path.write_bytes(self.charts.png(chart, datasets))
                lines.append(f"[chart] {chart.title} → {path}")
            except Exception as exc:
                lines.append(reply_text(explain(exc, where="chart")))
            if self.csv_dir is not None:
                lines.append(self._write_data(chart, datasets, self.csv_dir))
        return "\n".join(lines)

    def _write_data(self, chart: ChartRef, datasets: Datasets, folder: Path) -> str:
        try:
            table = chart_data(chart.key, datasets)
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / csv_filename(chart)
            path.write_bytes(csv_bytes(table))
            return f"[data] {chart.title}: {len(table.rows)} rows → {path}"
        except Exception as exc:
            return reply_text(explain(exc, where="csv"))

    def loop(self, stdin: IO[str] = sys.stdin, stdout: IO[str] = sys.stdout) -> int:
        interactive = stdin.isatty()
        if interactive:
            stdout.write("Reset Bot shell — type `help`, `gap`, `shock eu 20%`… (Ctrl-D to quit)\n")
        while True:
            if interactive:
                stdout.write(PROMPT)
                stdout.flush()
            line = stdin.readline()
            if not line:  # EOF
                if interactive:
                    stdout.write("\n")
                return 0
            text = line.strip()
            if not text:
                continue
            if text.lower() in ("quit", "exit", ":q"):
                return 0
            if not interactive:
                stdout.write(f"{PROMPT}{text}\n")
            stdout.write(self.run_one(text) + "\n\n")
            stdout.flush()
