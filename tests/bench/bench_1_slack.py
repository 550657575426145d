"""Sections 1–3 over real HTTP: acknowledgement latency, time to a complete answer, render counts.

Reset Bot runs as `reset-bot serve` (tests/bench/botproc.py adds only its /bench/ control
routes); the baseline is a bare Bolt app on the same waitress + Bolt WSGI stack
(tests/bench/bareproc.py). Both talk to the same Slack stand-in, which runs in a third process.
Baseline and Reset Bot requests alternate, so a noisy moment hits both.

Three diagnostic rows explain the acknowledgement figure at 50 concurrent: the same bursts with
Reset Bot's replies held back until every command is acknowledged (its ack path alone), with
the stand-in answering each call 100 ms late, as Slack does over a network, and with the front
door's replay-key write switched off (what that durable write per request costs).
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
from pathlib import Path

import pytest

from tests.bench.harness import COMMANDS, PYTHON, RESULTS, SlackApp, answered, ask, ms, percentile
from tests.bench.slackproc import fanout_channel

ROUNDS = 3  # latency percentiles are judged on the median of the rounds (each round alternates both apps)
SINGLE = 100  # per round: one command at a time, each side
BURSTS = 4  # per round: bursts of CONCURRENT simultaneous commands, each side
BIG_BURSTS = 2  # per round: bursts of BIG simultaneous commands, each side (acknowledgements only)
SLOW_BURSTS = 4  # … and with the stand-in answering like Slack over a network
SLACK_RTT_MS = 100
CONCURRENT = 50
BIG = 200
ACK_TARGET = 1.2  # ack p99 ≤ 1.2× bare Bolt, at CONCURRENT and BIG concurrent
ANSWER_TARGET = 2.0  # warm answer p50 ≤ 2× the bare post-and-upload
RENDER_COUNT_REQUESTS = 1000
COLD_ROUNDS = 2  # × len(COMMANDS) cold requests

# Figures shared between the tests of this module (warm p50 is the cold baseline).
FIGURES: dict[str, float] = {}


@pytest.fixture(scope="module")
def echo_files():
    """The bare app's /echo posts a real Reset Bot reply: the `gap` blocks and PNG."""
    from bot.pipeline.load import default_data_dir, load_datasets
    from handlers import charts
    from handlers.answer import answer
    from handlers.holders import registry_for
    from handlers.parsing import parse

    datasets = load_datasets(default_data_dir())
    reply = answer(parse("gap", registry_for(datasets)), datasets, registry_for(datasets))
    folder = Path(tempfile.mkdtemp(prefix="bench-echo-"))
    (folder / "blocks.json").write_text(json.dumps(list(reply.blocks)))
    (folder / "chart.png").write_bytes(charts.render("gap", datasets))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def reset_bot(slack_standin):
    app = SlackApp([PYTHON, "-m", "tests.bench.botproc"], slack_standin, "reset-bot").wait_healthy()
    yield app
    app.stop()


@pytest.fixture(scope="module")
def bare(slack_standin, echo_files):
    app = SlackApp([PYTHON, "-m", "tests.bench.bareproc"], slack_standin, "bare-bolt",
                   BENCH_ECHO_BLOCKS=str(echo_files / "blocks.json"),
                   BENCH_ECHO_PNG=str(echo_files / "chart.png")).wait_healthy()
    yield app
    app.stop()


def text_for(i: int) -> str:
    return COMMANDS[i % len(COMMANDS)]


def one_round(reset_bot, bare, slack, r: int) -> dict[str, dict[str, list[float]]]:
    """One round of every latency measure, Reset Bot and the bare app alternating request by request."""
    m: dict[str, dict[str, list[float]]] = {name: {"reset": [], "bare": [], "held": []} for name in (
        "ack 1", f"ack {CONCURRENT}", f"ack {BIG}", "answer 1", f"answer {CONCURRENT}")}
    for i in range(SINGLE):
        m["ack 1"]["bare"].append(ask(bare, slack, [text_for(r + i)])[0].latency)
        sent, answer_time = answered(reset_bot, slack, [text_for(r + i)])
        m["ack 1"]["reset"].append(sent[0].latency)
        m["answer 1"]["reset"] += answer_time
        m["answer 1"]["bare"] += answered(bare, slack, [text_for(r + i)], command="/echo")[1]
    slack.reset()
    channels = [fanout_channel(i) for i in range(CONCURRENT)]
    for b in range(BURSTS):
        texts = [text_for(r + b + i) for i in range(CONCURRENT)]
        m[f"ack {CONCURRENT}"]["bare"] += [s.latency for s in ask(bare, slack, texts)]
        sent, answer_time = answered(reset_bot, slack, texts, channels=channels)
        m[f"ack {CONCURRENT}"]["reset"] += [s.latency for s in sent]
        m[f"answer {CONCURRENT}"]["reset"] += answer_time
        m[f"answer {CONCURRENT}"]["bare"] += answered(bare, slack, texts, command="/echo", channels=channels)[1]
        # Diagnostic: the same burst with the replies held back until all are acknowledged, so
        # only Reset Bot's ack path runs; what it adds over bare is then the listener's own work.
        reset_bot.control("hold")
        since = slack.seq()
        m[f"ack {CONCURRENT}"]["held"] += [s.latency for s in ask(reset_bot, slack, texts, channels=channels)]
        assert reset_bot.control("release")["released"] == CONCURRENT
        slack.wait_completions(since, CONCURRENT)
        slack.reset()  # bound the stand-in's memory (it keeps every PNG)
    big_channels = [fanout_channel(i) for i in range(BIG)]
    for b in range(BIG_BURSTS):
        texts = [text_for(r + b + i) for i in range(BIG)]
        m[f"ack {BIG}"]["bare"] += [s.latency for s in ask(bare, slack, texts)]
        since = slack.seq()
        m[f"ack {BIG}"]["reset"] += [s.latency for s in ask(reset_bot, slack, texts, channels=big_channels)]
        slack.wait_completions(since, BIG, timeout=120)  # every reply done before the next burst
        slack.reset()
    return m


def judged(rounds, name: str, q: float, who: str = "reset") -> tuple[float, float, float, list[float]]:
    """(median of the rounds' p<q> for ``who``, … for bare, median of the rounds' ratios, the ratios)."""
    ours = [percentile(m[name][who], q) for m in rounds]
    base = [percentile(m[name]["bare"], q) for m in rounds]
    ratios = [o / b for o, b in zip(ours, base)]
    return statistics.median(ours), statistics.median(base), statistics.median(ratios), ratios


def test_ack_latency_and_warm_answers(reset_bot, bare, slack_standin):
    slack = slack_standin
    slack.reset()
    for text in COMMANDS:  # warm-up: every chart rendered and cached, connections and code paths warm
        answered(reset_bot, slack, [text])
        answered(bare, slack, [text], command="/echo")
        ask(bare, slack, [text])

    rounds = [one_round(reset_bot, bare, slack, r) for r in range(ROUNDS)]
    each = f"median of {ROUNDS} rounds"

    def row(section: str, label: str, name: str, q: float, baseline: str, *, who: str = "reset",
            target: float | None = None) -> None:
        ours, base, ratio, ratios = judged(rounds, name, q, who)
        n = len(rounds[0][name][who])
        RESULTS.add(section, f"{label} (n={n} a round; {each}: {', '.join(f'{x:.2f}×' for x in ratios)})",
                    ms(ours), baseline=f"{baseline} {ms(base)}", ratio=ratio,
                    target=f"≤ {target}× bare" if target else "", ok=ratio <= target if target else None)

    for label, name, target in (("1 at a time", "ack 1", None), (f"{CONCURRENT} concurrent", f"ack {CONCURRENT}",
                                                                 ACK_TARGET),
                                (f"{BIG} concurrent", f"ack {BIG}", ACK_TARGET)):
        row("1 ack", f"ack p50, {label}", name, 50, "bare Bolt")
        row("1 ack", f"ack p99, {label}", name, 99, "bare Bolt", target=target)
    row("1 ack", f"ack p99, {CONCURRENT} concurrent, replies held until all acked (diagnostic)", f"ack {CONCURRENT}",
        99, "bare Bolt", who="held")

    # The same bursts while every Slack call takes a network round trip, as in production: the reply
    # threads then mostly wait instead of competing with the acks for the interpreter.
    slow = {"reset": [], "bare": []}
    channels = [fanout_channel(i) for i in range(CONCURRENT)]
    slack.set_latency(SLACK_RTT_MS)
    try:
        for b in range(SLOW_BURSTS):
            texts = [text_for(b + i) for i in range(CONCURRENT)]
            slow["bare"] += [s.latency for s in ask(bare, slack, texts)]
            since = slack.seq()
            slow["reset"] += [s.latency for s in ask(reset_bot, slack, texts, channels=channels)]
            slack.wait_completions(since, CONCURRENT)
            slack.reset()
    finally:
        slack.set_latency(0)
    ours, base = percentile(slow["reset"], 99), percentile(slow["bare"], 99)
    RESULTS.add("1 ack", f"ack p99, {CONCURRENT} concurrent, Slack API {SLACK_RTT_MS} ms away "
                f"(n={SLOW_BURSTS * CONCURRENT}, 1 round, diagnostic)", ms(ours),
                baseline=f"bare Bolt {ms(base)}", ratio=ours / base)

    # Diagnostic: the same bursts with the front door's replay-key write switched off (every
    # request taken as new): what the durable write per signed request costs the ack path.
    unledgered = [{"ack": {"reset": [], "bare": []}} for _ in range(ROUNDS)]
    assert reset_bot.control("replay-ledger?on=0")["replay_ledger"] is False
    try:
        for r, m in enumerate(unledgered):
            for b in range(BURSTS):
                texts = [text_for(r + b + i) for i in range(CONCURRENT)]
                m["ack"]["bare"] += [s.latency for s in ask(bare, slack, texts)]
                since = slack.seq()
                m["ack"]["reset"] += [s.latency for s in ask(reset_bot, slack, texts, channels=channels)]
                slack.wait_completions(since, CONCURRENT)
                slack.reset()
    finally:
        assert reset_bot.control("replay-ledger?on=1")["replay_ledger"] is True
    ours, base, ratio, ratios = judged(unledgered, "ack", 99)
    RESULTS.add("1 ack", f"ack p99, {CONCURRENT} concurrent, replay-key write off (diagnostic; n={BURSTS * CONCURRENT} "
                f"a round; {each}: {', '.join(f'{x:.2f}×' for x in ratios)})", ms(ours),
                baseline=f"bare Bolt {ms(base)}", ratio=ratio)

    FIGURES["warm_p50"] = judged(rounds, "answer 1", 50)[0]
    row("2 answer", "complete answer p50, warm, 1 at a time", "answer 1", 50, "bare post+upload",
        target=ANSWER_TARGET)
    row("2 answer", "complete answer p99, warm, 1 at a time", "answer 1", 99, "bare post+upload")
    for q in (50, 99):
        row("2 answer", f"complete answer p{q}, warm, {CONCURRENT} concurrent", f"answer {CONCURRENT}", q,
            "bare post+upload")
    assert not RESULTS.failures("1 ack") and not RESULTS.failures("2 answer"), RESULTS.table()


def test_cold_answers(reset_bot, slack_standin):
    """First request for each chart after a data-version change: the chart is rendered on its way."""
    slack = slack_standin
    slack.reset()
    before = reset_bot.stats()["renders"]
    cold = []
    for _ in range(COLD_ROUNDS):
        for text in COMMANDS:
            reset_bot.publish()  # a refresh landed: every chart is stale
            cold += answered(reset_bot, slack, [text])[1]
    renders = reset_bot.stats()["renders"] - before
    warm = FIGURES.get("warm_p50") or percentile(
        [answered(reset_bot, slack, [text])[1][0] for text in COMMANDS * 3], 50)
    RESULTS.add("2 answer", f"complete answer p50, cold (n={len(cold)})", ms(percentile(cold, 50)),
                baseline=f"warm p50 {ms(warm)}", ratio=percentile(cold, 50) / warm)
    RESULTS.add("2 answer", "complete answer max, cold", ms(max(cold)), baseline=f"warm p50 {ms(warm)}",
                ratio=max(cold) / warm)  # the render dominates: rows 3 charts compare renders with an empty chart
    assert renders == len(cold), f"each cold request renders exactly its one chart: {renders} renders"


def test_each_chart_is_rendered_once_per_data_version(reset_bot, slack_standin):
    """1,000 commands in bursts of 50 across two fresh data versions: 8 charts × 2 versions renders."""
    slack = slack_standin
    slack.reset()
    before = reset_bot.stats()["renders"]
    bursts = RENDER_COUNT_REQUESTS // CONCURRENT
    channels = [fanout_channel(i) for i in range(CONCURRENT)]
    total = 0
    for b in range(bursts):
        if b % (bursts // 2) == 0:
            reset_bot.publish()
        answered(reset_bot, slack, [text_for(b + i) for i in range(CONCURRENT)], channels=channels)
        total += CONCURRENT
        if b % 5 == 4:
            slack.reset()
    renders = reset_bot.stats()["renders"] - before
    expected = 2 * len(set(COMMANDS))
    RESULTS.add("3 charts", f"renders across {total:,} answered requests, 2 data versions", str(renders),
                baseline=f"{len(COMMANDS)} charts × 2 versions", target=f"= {expected}", ok=renders == expected)
    assert renders == expected
