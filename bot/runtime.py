"""The composition root for `reset-bot serve`: one place that builds every long-lived part.

Settings come in validated; the Web API client, the datasets in service, the chart cache, the
database, the briefing scheduler and the Bolt app are built once here and handed to each other.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy.exc import DBAPIError, OperationalError

from bot import telemetry
from bot.alerts.evaluate import AlertSettings
from bot.assembly import Alerting, Briefings, build_alerts, build_briefings
from bot.briefings.config import BriefingSettings
from bot.briefings.pacing import TIER_4_PER_MINUTE, Pacer
from bot.briefings.recovery import HISTORY_INTERVAL, INTERNAL_HISTORY_INTERVAL
from bot.scheduler import DataJobs
from bot.serving.chart_cache import ChartCache
from bot.serving.live_data import LiveData
from bot.settings import Settings, SettingsError, token_keys
from bot.slack import server
from bot.slack.app import BotApp, briefing_client, create_app, make_client, with_token
from bot.slack.delivery import SlackDelivery
from bot.slack.errors import new_error_id
from bot.slack.front import RequestGuard, Verified, WSGIApp
from bot.slack.oauth import InstallFlow, install_flow
from bot.storage import Storage, connect
from bot.storage.installations import EncryptedInstallationStore, TokenCipher, state_store
from bot.storage.post_slots import PostSlots
from bot.storage.records import StoreError, StoreUnavailable, Workspace
from handlers import charts as chart_renderers

logger = logging.getLogger("reset_bot.runtime")


@dataclass
class Runtime:
    app: BotApp
    briefings: Briefings
    data: LiveData
    store: Storage
    charts: ChartCache

    settings: Settings | None = None
    installations: EncryptedInstallationStore | None = None  # OAuth mode: the workspaces, tokens encrypted
    alerting: Alerting | None = None  # threshold alerts (issue 14): commands and the evaluator

    def start(self) -> None:
        """Start the scheduler: briefings, a daily data refresh, and picking up other replicas' refreshes."""
        self.briefings.scheduler.start()
        telemetry.watch(self.reading)

    def reading(self) -> telemetry.Reading:
        """What the gauges of `/metrics` show, read at each scrape."""
        age = self.data.age()
        return telemetry.Reading(
            data_age_seconds=age.total_seconds() if age is not None else None,
            subscriptions=self.store.subscriptions.count_by_state(),
            alerts=self.store.alerts.count_by_state(),
            reply_queue=self.app.replier.queued,
            scheduler_running=self.briefings.scheduler.running,
        )

    def health(self) -> dict[str, Any]:
        """Readiness — what `/readyz` and its alias `/healthz` answer: ok only when the database takes
        a write, data are loaded (only versions that passed the loader's checks are ever served) and
        the scheduler runs. Liveness (`/livez`) needs none of these: the process answering is enough."""
        problems: dict[str, str] = {}
        try:
            self.store.database.check_writable()
        except Exception as exc:  # never a 500 from the health check itself
            problems["database"] = database_problem(exc)
        info: dict[str, object] = {"mode": self.settings.mode if self.settings else "http"}
        try:
            snapshot = self.data.current()
            info.update(data_version=snapshot.datasets.version, data=self.data.data_info())
        except Exception as exc:
            problems["data"] = f"not loaded ({type(exc).__name__})"
        if self.app.stopping.is_set():
            problems["stopping"] = "this replica is stopping; it finishes what it acknowledged"
        progress = self.briefings.scheduler.progress()
        info["scheduler"] = asdict(progress)
        if not progress.running:
            problems["scheduler"] = "not running: briefings and data refreshes would not happen"
        if problems:
            logger.warning("health check failing: %s", problems)
        return {"ok": not problems, **info, **({"problems": problems} if problems else {})}

    def wsgi(self) -> WSGIApp:
        """The HTTP application `reset-bot serve` runs: the front door, Bolt, and the health check."""
        secret = self.settings.slack_signing_secret if self.settings else None
        if secret is None:
            raise ValueError("HTTP mode needs SLACK_SIGNING_SECRET")
        guard = RequestGuard(secret.get_secret_value(), self.store.sightings)
        return server.wsgi_app(self.app, self.health, guard, _log_failed_request)

    def begin_stop(self) -> None:
        """The first step of a graceful stop (SIGTERM): new commands are answered "restarting, ask
        again" at the ack, readiness turns 503 so load balancers send traffic elsewhere, and the
        fan-out posts nothing new (its claims go back to the ledger for another replica)."""
        self.app.stopping.set()
        self.briefings.scheduler.fanout.stop_posting()

    def drain(self, grace_seconds: float) -> int:
        """Wait up to ``grace_seconds`` for the acknowledged replies; those not started by then tell
        their askers to ask again instead. Returns how many were still queued at the deadline."""
        replier = self.app.replier
        try:
            replier.drain(timeout=grace_seconds)
            return 0
        except TimeoutError:
            left = replier.queued
            logger.warning("stopping: %d replies not done after %.0f s; telling their askers to ask again",
                           left, grace_seconds)
            replier.expire()
            try:
                replier.drain(timeout=30)
            except TimeoutError:
                logger.error("stopping: %d replies still running; exiting without them", replier.queued)
            return left

    def stop(self) -> None:
        telemetry.watch(None)
        self.briefings.scheduler.shutdown()
        self.app.shutdown()


def database_problem(exc: BaseException) -> str:
    """What `/healthz` says of a database that failed its write: a class of failure and an error id,
    never the driver's words — its first line can carry host and user names, paths and SQL, and
    `/healthz` answers anyone who can reach the port. The detail goes to the log under the id."""
    cause = exc.__cause__ if isinstance(exc, StoreUnavailable) else exc
    if isinstance(exc, StoreUnavailable) and cause is None:  # `Database.check_file`: the SQLite file itself
        reason = "database file disappeared" if "disappeared" in str(exc) else "database file was replaced"
    elif isinstance(cause, DBAPIError) and cause.connection_invalidated:
        reason = "database connection lost"
    elif isinstance(cause, DBAPIError) and cause.statement is None:  # failed before any statement: connecting
        reason = "database unreachable"
    elif isinstance(cause, OperationalError):
        reason = "database refused the write"
    else:
        reason = f"database unusable ({type(cause or exc).__name__})"
    error_id = new_error_id()
    logger.error("health check: %s, error id %s: %s", reason, error_id, exc)
    return f"{reason} (error id {error_id})"


def check_state_dir(path: Path) -> None:
    """Refuse to start with a state directory the bot cannot create, write and sync a file in
    (the SQLite database lives there; a directory that cannot be written ended in SIGBUS)."""
    probe = path / f".reset-bot-probe-{os.getpid()}"
    try:
        path.mkdir(parents=True, exist_ok=True)
        with open(probe, "wb") as handle:
            handle.write(b"ok")
            handle.flush()
            os.fsync(handle.fileno())
        probe.unlink()
    except OSError as exc:
        raise SettingsError(f"RESET_BOT_STATE_DIR {path} is not usable: {exc.strerror or exc} "
                            "(it must be a directory the bot can write to)") from None


def _log_failed_request(what: str, request: Verified) -> str:
    error_id = new_error_id()
    kind = request.fields.get("type") or ("slash_command" if "command" in request.fields else "unknown")
    logger.error("unexpected error %s: %s for a %s request", error_id, what, str(kind)[:40],
                 extra={"error_id": error_id})
    return error_id


_settling = threading.Lock()
_heap_settled = False


def warm_up() -> None:
    """Run on a thread of its own once the scheduler starts: import the chart renderers, then settle the heap.

    Settling: everything allocated by then — the datasets, pandas, matplotlib, Bolt, SQLAlchemy —
    is moved out of the cyclic garbage collector's sight (`gc.freeze`). A full collection walked all
    of it with the interpreter stopped: 75–110 ms, three times in one `make bench` section 1 run,
    each landing on whatever burst of acknowledgements was running (it was that round's ack p99).
    Frozen objects are still freed by reference counting; only reference cycles among them that
    become garbage later stay (the start's datasets after a refresh, where pandas keeps cycles): a
    one-off, since it is done once per process."""
    chart_renderers.load()
    global _heap_settled
    with _settling:
        if _heap_settled:  # once per process: a later start (tests, a restart in place) adds nothing
            return
        _heap_settled = True
    gc.collect()
    gc.freeze()


def build_runtime(settings: Settings, *, client: WebClient | None = None, data: LiveData | None = None,
                  charts: ChartCache | None = None) -> Runtime:
    client = client or make_client(settings)
    data = data or LiveData.from_settings(settings)
    charts = charts or ChartCache(chart_renderers.render)
    if settings.database_url is None:
        settings.state_dir.mkdir(parents=True, exist_ok=True)
    store = connect(settings.db_url)
    posting = briefing_client(settings)
    # Chart rendering (matplotlib) is imported lazily to keep it off the start path; the scheduler
    # loads it in the background, so the first chart a user asks for does not wait for the import.
    installations, flow = _install_flow(settings, store)
    client_for = InstalledClients(settings, installations) if installations is not None else None
    # an app installed through OAuth is rationed as non-Marketplace; the single-token one is internal
    history_interval = HISTORY_INTERVAL if installations is not None else INTERNAL_HISTORY_INTERVAL
    alerting = build_alerts(store, data, SlackDelivery(posting, charts), posting, client_for=client_for,
                            config=AlertSettings(claim_timeout=timedelta(seconds=settings.claim_timeout_seconds),
                                                 retry_base=timedelta(seconds=settings.retry_seconds)),
                            history_interval=history_interval)
    data_jobs = DataJobs(settings, data, warm_up=warm_up, after_data=alerting.evaluator.evaluate)
    briefings = build_briefings(
        store, data, SlackDelivery(posting, charts), posting,
        config=BriefingSettings(grace=timedelta(minutes=settings.grace_minutes),
                                claim_timeout=timedelta(seconds=settings.claim_timeout_seconds),
                                sync_interval=timedelta(seconds=settings.sync_seconds),
                                retry_base=timedelta(seconds=settings.retry_seconds)),
        # Each workspace's posts are paced across every replica on this database (bot.storage.post_slots),
        # and no faster than its chart uploads' Tier 4 budget allows.
        # A channel's posts are 1.1 s apart, not Slack's 1 s: a post reaches Slack a little earlier or
        # later than it was sent, and a thread's three messages at exactly 1 s drew 429s.
        pacer=Pacer(per_second=settings.posts_per_second, uploads_per_minute=TIER_4_PER_MINUTE,
                    per_channel_interval=CHANNEL_GAP_SECONDS, shared=PostSlots(store.database)),
        changes=data.changes_since,
        data_jobs=data_jobs,
        client_for=client_for,
        history_interval=history_interval,
    )
    app = create_app(settings, client=client, data=data, charts=charts, briefings=briefings.commands.handle,
                     oauth=flow, on_workspace_gone=Departures(store, installations, client_for),
                     home_briefings=briefings.commands, alerts=alerting.commands.handle,
                     home_alerts=alerting.commands)
    return Runtime(app=app, briefings=briefings, data=data, store=store, charts=charts, settings=settings,
                   installations=installations, alerting=alerting)


CHANNEL_GAP_SECONDS = 1.1  # between two posts in one channel (Slack: "1 per second per channel")


class InstalledClients:
    """OAuth mode's `ClientFor`: each workspace's briefings, look-ups and history checks go through a
    client with that workspace's own bot token, read (decrypted) from the installation store. Briefings
    run outside any request, so nothing else would know the token. A workspace with no installation
    (uninstalled, or never installed) raises `StoreError`, which the fan-out records as a failure.

    With token rotation, a token that expires within ``refresh_minutes`` is refreshed first (Slack's
    refresh grant, through slack_sdk's `TokenRotator`) and the new one saved, so a scheduled post
    never goes out with an expired token. Two replicas may refresh at once: the loser's refresh token
    is already spent, so it reads the store again and uses the winner's token. Clients are kept per
    (workspace, token): a refreshed or reinstalled token gets a new client.

    A token that does not rotate is kept for ``cache_seconds`` (30) after it was read: a fan-out
    posts a workspace's briefings a fraction of a second apart, and reading and decrypting the
    installation for each was a sixth of a replica's time in the multi-workspace benchmark. Within
    those seconds an uninstall on another replica is still seen — its subscriptions are stopped in
    the database, which the check before each post reads — and Slack refuses a revoked token anyway."""

    def __init__(self, settings: Settings, installations: EncryptedInstallationStore, *,
                 refresh_minutes: int = 120, cache_seconds: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.installations = installations
        self.refresh_minutes = refresh_minutes
        self.cache_seconds, self._clock = cache_seconds, clock
        self._read: dict[tuple[str, str | None], tuple[float, Bot]] = {}  # non-rotating tokens, when read
        self._rotator = TokenRotator(
            client_id=settings.slack_client_id or "",
            client_secret=settings.slack_client_secret.get_secret_value() if settings.slack_client_secret else "",
            client=WebClient(base_url=settings.slack_api_url, timeout=15))
        self._clients: dict[tuple[str, str | None, str], WebClient] = {}
        self._refreshing = threading.Lock()

    def __call__(self, workspace: Workspace) -> WebClient:
        bot = self._current_bot(workspace)
        token = bot.bot_token or ""
        key = (workspace.team_id, workspace.enterprise_id, token)
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = with_token(briefing_client(self.settings), token)
        return client

    def forget(self) -> None:
        """Read every installation afresh from now on (one left, or changed, in this process)."""
        self._read.clear()

    def _find(self, workspace: Workspace) -> Bot:
        bot = find_bot(self.installations, workspace)
        if bot is None or not bot.bot_token:
            raise StoreError(f"Reset Bot is not installed in workspace {workspace.team_id}")
        return bot

    def _current_bot(self, workspace: Workspace) -> Bot:
        key, now = (workspace.team_id, workspace.enterprise_id), self._clock()
        kept = self._read.get(key)
        if kept is not None and now - kept[0] < self.cache_seconds:
            return kept[1]
        bot = self._find(workspace)
        if not bot.bot_refresh_token:
            self._read[key] = (now, bot)
            return bot
        with self._refreshing:  # one refresh at a time in this process
            bot = self._find(workspace)  # another thread may have refreshed it meanwhile
            try:
                refreshed = self._rotator.perform_bot_token_rotation(
                    bot=bot, minutes_before_expiration=self.refresh_minutes)
            except (SlackApiError, SlackClientError, OSError) as exc:
                again = self._find(workspace)  # another replica won the race: its token is in the store
                if again.bot_token != bot.bot_token:
                    return again
                raise StoreError(f"could not refresh the bot token of workspace {workspace.team_id}: "
                                 f"{type(exc).__name__}") from None
            if refreshed is None:  # not close to expiring
                return bot
            self.installations.save_bot(refreshed)
            logger.info("refreshed the bot token of workspace %s", workspace.team_id)
            return refreshed


def find_bot(installations: EncryptedInstallationStore, workspace: Workspace) -> Bot | None:
    """The bot that serves ``workspace``: its own install, else its organisation's org-wide install.

    A per-team install (also one inside an Enterprise Grid organisation) is stored under its team;
    an org-wide install under its enterprise with no team, for every workspace of the organisation.
    A workspace's own install comes first, as Bolt's look-up for a per-team request does."""
    bot = installations.find_bot(enterprise_id=workspace.enterprise_id, team_id=workspace.team_id)
    if (bot is None or not bot.bot_token) and workspace.enterprise_id:
        org = installations.find_bot(enterprise_id=workspace.enterprise_id, team_id=None, is_enterprise_install=True)
        if org is not None and org.is_enterprise_install:
            return org
    return bot


class Departures:
    """`create_app`'s ``on_workspace_gone`` in every mode: a workspace that left (uninstalled, bot token
    revoked) has its live subscriptions stopped, with the reason. An org-wide install that left
    (`bot.slack.app.organisation`: no team) stops those of every workspace of its organisation —
    except a workspace that still has its own per-team install, whose briefings go on with it."""

    def __init__(self, store: Storage, installations: EncryptedInstallationStore | None,
                 clients: InstalledClients | None = None) -> None:
        self.store = store
        self.installations = installations
        self.clients = clients  # its tokens read lately are forgotten: the installation changed

    def __call__(self, workspace: Workspace, reason: str) -> int:
        """Stops the workspace's subscriptions and alerts; returns how many subscriptions stopped."""
        if self.clients is not None:
            self.clients.forget()
        if workspace.team_id:
            self.store.alerts.remove_workspace(workspace, reason)
            return self.store.subscriptions.remove_workspace(workspace, reason)
        teams = sorted({sub.team_id for sub in self.store.subscriptions.live()
                        if sub.enterprise_id == workspace.enterprise_id}
                       | {alert.team_id for alert in self.store.alerts.live()
                          if alert.enterprise_id == workspace.enterprise_id})
        stopped = 0
        for team_id in teams:
            member = Workspace(team_id, workspace.enterprise_id)
            own = None if self.installations is None else self.installations.find_bot(
                enterprise_id=member.enterprise_id, team_id=member.team_id)
            if own is None or not own.bot_token:
                self.store.alerts.remove_workspace(member, reason)
                stopped += self.store.subscriptions.remove_workspace(member, reason)
        logger.info("organisation %s left: %d subscriptions of %d workspaces stopped",
                    workspace.enterprise_id, stopped, len(teams))
        return stopped


def _install_flow(settings: Settings, store: Storage) -> tuple[EncryptedInstallationStore | None, InstallFlow | None]:
    """OAuth mode: the installation store (tokens Fernet-encrypted) and the state store, both on the
    bot's database, and Bolt's install flow over them. Other modes: neither."""
    if settings.mode != "oauth" or settings.token_key is None or settings.slack_client_id is None:
        return None, None
    cipher = TokenCipher(token_keys(settings.token_key))
    installations = EncryptedInstallationStore(settings.slack_client_id, store.database.engine, cipher)
    return installations, install_flow(settings, installations, state_store(store.database.engine))
