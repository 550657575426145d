"""Benchmark plumbing: processes, a low-overhead HTTP load client, statistics and the result table.

Everything talks over 127.0.0.1 only; every loop is bounded in count and in time.
"""

from __future__ import annotations

import json
import os
import platform
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from tests.bench.slackproc import GENERAL, fanout_channel
from tests.fakes.slack_requests import sign, slash_command_body

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(Path(sys.executable))
RESET_BOT = str(Path(sys.executable).with_name("reset-bot"))
SIGNING_SECRET = "bench-signing-secret-0123456789abcdef"
LOOPBACK = "127.0.0.1"
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))

# One chart each, eight distinct chart keys: the command mix every Slack section uses.
COMMANDS = ("gap", "holdings", "holdings china", "buying", "refinancing", "gold", "shock eu 20%",
            "shock china 10% pause")


# ---- statistics ---------------------------------------------------------------------------

def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), q in 0..100."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.2f} s"


# ---- the result table ---------------------------------------------------------------------

@dataclass
class Row:
    section: str
    metric: str
    value: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    ok: bool | None = None  # None: no target (information)


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, section: str, metric: str, value: str, *, baseline: str = "", ratio: float | str = "",
            target: str = "", ok: bool | None = None) -> Row:
        if isinstance(ratio, float):
            ratio = f"{ratio:.2f}×"
        row = Row(section, metric, value, baseline, ratio, target, ok)
        self.rows.append(row)
        return row

    def failures(self, section: str) -> list[Row]:
        return [r for r in self.rows if r.section == section and r.ok is False]

    def table(self) -> str:
        header = ("#", "measure", "Reset Bot", "baseline", "ratio", "target", "result")
        lines = [header]
        for r in sorted(self.rows, key=lambda r: r.section):  # stable: keeps order within a section
            verdict = "info" if r.ok is None else ("PASS" if r.ok else "FAIL")
            lines.append((r.section, r.metric, r.value, r.baseline, r.ratio, r.target, verdict))
        widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]

        def fmt(line: Iterable[str]) -> str:
            return "| " + " | ".join(str(c).ljust(w) for c, w in zip(line, widths)) + " |"

        out = [fmt(lines[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
        out += [fmt(line) for line in lines[1:]]
        return "\n".join(out)


RESULTS = Results()


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    mem_kb = next((int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
                   if line.startswith("MemTotal:")), 0)
    packages = ", ".join(f"{name} {_version(name)}" for name in (
        "slack_bolt", "slack_sdk", "waitress", "matplotlib", "pandas", "numpy", "SQLAlchemy", "APScheduler",
        "pydantic"))
    commit = _git("rev-parse", "--short", "HEAD")
    dirty = " (+ uncommitted changes)" if _git("status", "--porcelain", "--untracked-files=no") else ""
    return (f"Machine: {cpu}; {os.cpu_count()} cores; {mem_kb / 1024 / 1024:.1f} GiB RAM; "
            f"{platform.system()} {platform.release()}\n"
            f"Python {platform.python_version()} ({sys.implementation.name}); {packages}\n"
            f"Reset Bot commit {commit or '?'}{dirty}; run {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


# ---- processes ----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "RESET_BOT_")) and k not in ("DATABASE_URL", "PORT", "HOST")}
    env.update(extra)
    return env


class Process:
    """A child process with its log in a file (a pipe nobody reads would block it)."""

    def __init__(self, argv: list[str], env: dict[str, str], name: str, *, stdin: int | None = None,
                 stdout: int | None = None) -> None:
        self.name = name
        self.log = tempfile.NamedTemporaryFile(prefix=f"bench-{name}-", suffix=".log", delete=False)
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdin=stdin, stdout=stdout or self.log,
                                     stderr=self.log)
        self.pid = self.proc.pid

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(Path(self.log.name).read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 10) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()  # our own child, by its pid
                self.proc.wait(timeout=timeout)
        self.log.close()
        if self.proc.stdin:
            self.proc.stdin.close()
        if self.proc.stdout:
            self.proc.stdout.close()
        if not os.environ.get("BENCH_KEEP_LOGS"):  # failures quote the log's tail in their message
            Path(self.log.name).unlink(missing_ok=True)

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")


class SlackStandIn(Process):
    """tests/bench/slackproc.py: FakeSlack in its own process, with /bench/ control routes."""

    def __init__(self, channels: int, *options: str) -> None:
        super().__init__([PYTHON, "-m", "tests.bench.slackproc", "--channels", str(channels), *options], clean_env(),
                         "slack", stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"the Slack stand-in did not start:\n{self.log_tail()}")
        info = self.info = json.loads(line)
        self.base_url, self.token, self.port = info["base_url"], info["token"], info["port"]
        self.root = f"http://{LOOPBACK}:{self.port}"

    def stop(self, timeout: float = 10) -> None:
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()  # slackproc serves until its stdin closes
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        super().stop(timeout)

    def _get(self, path: str, method: str = "GET") -> dict[str, Any]:
        request = urllib.request.Request(self.root + path, data=b"" if method == "POST" else None, method=method)
        with NO_PROXY.open(request, timeout=10) as response:
            return json.loads(response.read())

    def calls(self, since: int, methods: Iterable[str] = ()) -> tuple[int, list[list[Any]]]:
        answer = self._get(f"/bench/calls?since={since}&methods={','.join(methods)}")
        return answer["seq"], answer["calls"]

    def seq(self) -> int:
        return self.calls(1 << 62)[0]

    def reset(self) -> int:
        return self._get("/bench/reset", "POST")["seq"]

    def set_latency(self, ms: float) -> None:
        """Delay every Slack API call by `ms` (a network round trip); 0 turns it off."""
        self._get(f"/bench/latency?ms={ms}", "POST")

    def cpu(self) -> float:
        return self._get("/bench/stats")["cpu"]

    def limits(self, on: bool) -> None:
        """Enforce Slack's per-workspace rate limits (tests/bench/slackproc.py LIMITS), or stop."""
        self._get(f"/bench/limits?on={int(on)}", "POST")

    def wait_completions(self, since: int, count: int, timeout: float = 60) -> list[list[Any]]:
        """Poll until `count` files.completeUploadExternal calls succeeded since `since`; return them.

        Also fails fast on any error answer to chat.postMessage / upload / response_url (a
        benchmark of failing replies would measure nothing)."""
        deadline = time.monotonic() + timeout
        done: list[list[Any]] = []
        cursor = since
        while True:
            cursor, rows = self.calls(cursor, ("files.completeUploadExternal", "chat.postMessage",
                                               "chat.postEphemeral", "response_url", "upload"))
            for row in rows:
                _, method, _, status, ok = row[:5]
                if method == "upload":
                    if status != 200:
                        raise AssertionError(f"an upload failed: {row}")
                elif method in ("chat.postEphemeral", "response_url") or status != 200 or not ok:
                    raise AssertionError(f"a reply went wrong (the bot told the user about an error?): {row}")
                elif method == "files.completeUploadExternal":
                    done.append(row)
            if len(done) >= count:
                return done
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(done)} of {count} answers completed within {timeout} s")
            time.sleep(0.005)


class SlackApp(Process):
    """A Slack app served over HTTP (Reset Bot or the bare baseline), waited on until healthy."""

    def __init__(self, argv: list[str], slack: SlackStandIn, name: str, state_dir: str | None = None,
                 **env: str) -> None:
        self.port = free_port()
        self._own_state = state_dir is None
        self.state_dir = state_dir or tempfile.mkdtemp(prefix=f"bench-{name}-state-")
        super().__init__(argv, clean_env(
            SLACK_BOT_TOKEN=slack.token, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=slack.base_url,
            HOST=LOOPBACK, PORT=str(self.port), RESET_BOT_STATE_DIR=self.state_dir, LOG_LEVEL="WARNING",
            # The benchmarks measure the machinery under bursts, not the fair-use limits that refuse them.
            RESET_BOT_USER_COMMANDS_PER_MINUTE="0", RESET_BOT_CHANNEL_COMMANDS_PER_MINUTE="0", **env),
            name)
        self.listening_after: float | None = None
        self.healthy_after: float | None = None

    def stop(self, timeout: float = 10) -> None:
        super().stop(timeout)
        if self._own_state:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def wait_healthy(self, timeout: float = 30) -> SlackApp:
        """Poll every 5 ms: first a TCP connect (listening), then GET /healthz answering 200."""
        deadline = self.started + timeout
        while time.perf_counter() < deadline:
            self.check_alive()
            status = http_get(self.port, "/healthz")
            now = time.perf_counter()
            if status is not None and self.listening_after is None:
                self.listening_after = now - self.started
            if status == 200:
                self.healthy_after = now - self.started
                return self
            time.sleep(0.005)
        raise AssertionError(f"{self.name} was not healthy within {timeout} s:\n{self.log_tail()}")

    def rss_mb(self) -> float:
        return rss_mb(self.pid)

    def stats(self) -> dict[str, Any]:
        with NO_PROXY.open(f"http://{LOOPBACK}:{self.port}/bench/stats", timeout=10) as response:
            return json.loads(response.read())

    def control(self, name: str) -> dict[str, Any]:
        """POST /bench/<name> (tests/bench/botproc.py only)."""
        request = urllib.request.Request(f"http://{LOOPBACK}:{self.port}/bench/{name}", data=b"", method="POST")
        with NO_PROXY.open(request, timeout=10) as response:
            return json.loads(response.read())

    def publish(self) -> str:
        return self.control("publish")["data_version"]


def http_get(port: int, path: str) -> int | None:
    """Status of GET path, or None if nothing listens yet. Raw socket: no proxies, no DNS."""
    try:
        with socket.create_connection((LOOPBACK, port), timeout=2) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\nConnection: close\r\n\r\n".encode())
            head = s.recv(64)
    except OSError:
        return None
    try:
        return int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


# ---- the load client ----------------------------------------------------------------------

def command_request(port: int, text: str, *, command: str = "/reset", channel: str = GENERAL,
                    response_url: str) -> bytes:
    """A complete HTTP/1.1 request, form-encoded and signed exactly like Slack's."""
    body = slash_command_body(text, command=command, channel_id=channel, response_url=response_url)
    headers = sign(SIGNING_SECRET, body)
    head = (f"POST /slack/events HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\n"
            f"Content-Type: {headers['content-type']}\r\n"
            f"X-Slack-Request-Timestamp: {headers['x-slack-request-timestamp']}\r\n"
            f"X-Slack-Signature: {headers['x-slack-signature']}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode() + body


@dataclass
class Sent:
    status: int
    latency: float  # seconds from connect() to the last byte of the response
    started_wall: float  # time.time() at connect(), to compare with the stand-in's call log
    body: bytes


class _Conn:
    __slots__ = ("sock", "request", "sent", "buf", "t0", "wall0", "t1", "expected")

    def __init__(self, sock: socket.socket, request: bytes) -> None:
        self.sock, self.request, self.sent, self.buf = sock, request, 0, bytearray()
        self.t0 = self.wall0 = self.t1 = 0.0
        self.expected: int | None = None


def burst(port: int, requests: Sequence[bytes], timeout: float = 30) -> list[Sent]:
    """Send all requests at once on separate connections and time each to its full response.

    One thread and non-blocking sockets: the client adds microseconds, not the tens of
    milliseconds fifty Python threads with urllib would, and it has no GIL to fight over.
    """
    selector = selectors.DefaultSelector()
    conns: list[_Conn] = []
    for request in requests:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        conn = _Conn(sock, request)
        conn.wall0, conn.t0 = time.time(), time.perf_counter()
        sock.connect_ex((LOOPBACK, port))
        selector.register(sock, selectors.EVENT_WRITE, conn)
        conns.append(conn)
    pending = len(conns)
    deadline = time.perf_counter() + timeout
    while pending and time.perf_counter() < deadline:
        for key, events in selector.select(timeout=0.5):
            conn: _Conn = key.data
            if events & selectors.EVENT_WRITE:
                try:
                    conn.sent += conn.sock.send(conn.request[conn.sent:])
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    conn.t1 = time.perf_counter()
                    selector.unregister(conn.sock)
                    pending -= 1
                    continue
                if conn.sent >= len(conn.request):
                    selector.modify(conn.sock, selectors.EVENT_READ, conn)
            elif events & selectors.EVENT_READ:
                try:
                    data = conn.sock.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                conn.buf += data
                if data and not _complete(conn):
                    continue
                conn.t1 = time.perf_counter()
                selector.unregister(conn.sock)
                pending -= 1
    out = []
    for conn in conns:
        conn.sock.close()
        head, _, body = bytes(conn.buf).partition(b"\r\n\r\n")
        try:
            status = int(head.split(b" ", 2)[1])
        except (IndexError, ValueError):
            status = 0  # no (complete) answer: counted as a failure by the caller
        out.append(Sent(status, (conn.t1 or time.perf_counter()) - conn.t0, conn.wall0, body))
    selector.close()
    return out


def _complete(conn: _Conn) -> bool:
    if conn.expected is None:
        end = conn.buf.find(b"\r\n\r\n")
        if end < 0:
            return False
        length = 0
        for line in bytes(conn.buf[:end]).split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        conn.expected = end + 4 + length
    return len(conn.buf) >= conn.expected


def response_url(slack: SlackStandIn) -> str:
    # Reset Bot only uses response_url for ephemeral notes and errors; any call to it fails the run.
    return f"{slack.root}/response/bench-unused"


def ask(app: SlackApp, slack: SlackStandIn, texts: Sequence[str], *, command: str = "/reset",
        channels: Sequence[str] | None = None) -> list[Sent]:
    """Send texts at once (one connection each); all must be acknowledged with HTTP 200."""
    channels = channels or [GENERAL] * len(texts)
    requests = [command_request(app.port, text, command=command, channel=channel, response_url=response_url(slack))
                for text, channel in zip(texts, channels)]
    sent = burst(app.port, requests)
    bad = [s for s in sent if s.status != 200]
    assert not bad, f"{app.name}: {len(bad)} of {len(sent)} not acknowledged: {bad[0].status} {bad[0].body[:200]!r}"
    return sent


def answered(app: SlackApp, slack: SlackStandIn, texts: Sequence[str], *, command: str = "/reset",
             channels: Sequence[str] | None = None) -> tuple[list[Sent], list[float]]:
    """Send texts at once and wait for every answer; returns (acks, seconds to each complete answer)."""
    channels = channels or [fanout_channel(i) for i in range(len(texts))]
    assert len(set(channels)) == len(channels), "one channel per command, to match answers to commands"
    since = slack.seq()
    sent = ask(app, slack, texts, command=command, channels=channels)
    done = {row[5]: row[2] for row in slack.wait_completions(since, len(texts))}
    return sent, [done[channel] - s.started_wall for s, channel in zip(sent, channels)]
