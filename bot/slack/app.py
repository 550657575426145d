"""The Slack app factory: `create_app(settings, client=...)` wires Bolt to the handlers.

Each listener is a thin adapter — ack, parse, hand off — because Slack gives 3 seconds to
acknowledge. Parsing is microseconds and happens before the ack so that help and usage errors
come back in the acknowledgement itself; everything else (data, charts, posting) runs on the
`Replier`'s own threads *after* the ack (`bot.slack.replier`), so a slow chart never holds up
Bolt's listener threads or another user's acknowledgement.

`create_app` returns a `BotApp`: Bolt's App together with the replier and the ack gate, so the
server, the runtime and the tests reach them by name instead of through attributes stuck on Bolt.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.listener.builtins import TokenRevocationListeners
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.logs import ContextPool, bind
from bot.serving.chart_cache import ChartCache
from bot.serving.live_data import LiveData
from bot.settings import Settings
from bot.slack.delivery import Destination, ResponseUrls, SlackDelivery
from bot.slack.errors import explain
from bot.slack.fairuse import FairUse
from bot.slack.modals import HomeAlerts, HomeBriefings, is_bare_subscribe, publish_home, register_modals
from bot.slack.oauth import InstallFlow
from bot.slack.payload import field as _field
from bot.slack.payload import text as _text
from bot.slack.replier import AckGate, BriefingHandler, Replier
from bot.slack.shortcuts import register_shortcuts
from bot.storage.records import Workspace
from bot.telemetry import COMMANDS, MeteredWebClient, RateLimitCounter
from handlers import charts as chart_renderers
from handlers.answer import answer
from handlers.errors import UsageError
from handlers.parsing import parse
from handlers.queries import HelpQuery
from handlers.reply import CSV_ACTION, RUN_ACTION, read_csv_button
from handlers.slowdown import restarting, slow_down

logger = logging.getLogger("reset_bot.app")

COMMAND = "/reset"
VERIFIED = "reset_verified"  # set in the context of every request that passed Bolt's verification
NO_CHANNEL = ("I couldn't tell which conversation this came from, so I didn't run it. "
              "Please try again from a channel or a DM.")


def retry_handlers() -> list[RetryHandler]:
    """Retries for every Web API call: dropped connections, 429 (honouring Retry-After), 5xx."""
    return [
        RateLimitCounter(),  # counts every 429 (`bot.telemetry`), then the next handler waits it out
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
    ]


def briefing_client(settings: Settings) -> WebClient:
    """The client that posts briefings: retries only 429s, which Slack did not act on.

    A post that times out or gets a 5xx may still have gone out, so it is not retried blindly:
    the briefing ledger records the failure and the next attempt first looks for the message
    (see bot/briefings/fanout.py).
    """
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return MeteredWebClient(token=token, base_url=settings.slack_api_url, timeout=15,
                            retry_handlers=[RateLimitCounter(), RateLimitErrorRetryHandler(max_retry_count=3)])


def with_token(client: WebClient, token: str) -> WebClient:
    """The same kind of client (base URL, timeout, retries) with another workspace's token."""
    return MeteredWebClient(token=token, base_url=client.base_url, timeout=client.timeout,
                            retry_handlers=list(client.retry_handlers))


def make_client(settings: Settings) -> WebClient:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return MeteredWebClient(token=token, base_url=settings.slack_api_url, timeout=15,
                            retry_handlers=retry_handlers())


@dataclass(frozen=True)
class BotApp:
    """What `create_app` builds: Bolt's App and the two parts others reach for.

    ``bolt`` is what Bolt's adapters take (Socket Mode, the HTTP dispatch); ``replier`` runs the
    replies after the ack (`drain()` waits for them, `shutdown()` stops them); ``gate`` is the
    `AckGate` the HTTP server marks each request with while Bolt acknowledges it."""

    bolt: App
    replier: Replier
    gate: AckGate
    oauth: InstallFlow | None = None  # OAuth mode: the install pages (`bot.slack.oauth`)
    #: Set when the process begins to stop (SIGTERM): new commands get `restarting()` at the ack
    #: instead of being queued; what was acknowledged before is still answered (`bot.cli`).
    stopping: threading.Event = field(default_factory=threading.Event)

    def shutdown(self) -> None:
        """Let the queued replies finish, then stop the reply threads."""
        self.replier.shutdown()


def create_app(
    settings: Settings,
    *,
    client: WebClient | None = None,
    data: LiveData | None = None,
    charts: ChartCache | None = None,
    briefings: BriefingHandler | None = None,
    fair_use: FairUse | None = None,
    oauth: InstallFlow | None = None,
    on_workspace_gone: Callable[[Workspace, str], object] | None = None,
    home_briefings: HomeBriefings | None = None,
    alerts: BriefingHandler | None = None,
    home_alerts: HomeAlerts | None = None,
) -> BotApp:
    """Build the Bolt app. Every dependency can be injected; tests pass a client aimed at a fake.

    OAuth mode (``settings.mode == "oauth"``) needs ``oauth``, the install flow on the installation
    and state stores (`bot.runtime` builds it): Bolt then finds each request's token in the store."""
    if settings.mode == "oauth" and oauth is None:
        raise ValueError("OAuth mode needs the install flow (bot.slack.oauth.install_flow)")
    client = client or make_client(settings)
    data = data or LiveData.from_settings(settings)
    charts = charts or ChartCache(chart_renderers.render)
    delivery = SlackDelivery(client, charts)  # response_url posts: bounded retries (bot.slack.delivery)
    response_urls = ResponseUrls(settings.slack_api_url)
    gate = AckGate()
    replier = Replier(
        data=data,
        delivery=delivery,
        executor=ContextPool(max_workers=settings.reply_threads, thread_name_prefix="reply"),
        briefings=briefings,
        gate=gate,
        render_lane=ContextPool(max_workers=2, thread_name_prefix="render"),
        alerts=alerts,
    )
    stopping = replier.stopping  # one flag: the listeners' acks and the replier's queue
    fair_use = fair_use or FairUse.per_minute(settings.user_commands_per_minute, settings.channel_commands_per_minute)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None,
        # Listeners only ack and hand off, so a small pool suffices; the work runs on the Replier.
        listener_executor=ContextPool(max_workers=16, thread_name_prefix="bolt"),
        # A request no listener takes goes to `on_error` (answered 200, logged without its body)
        # instead of Bolt's warning, which prints the whole payload.
        raise_error_for_unhandled_request=True,
        oauth_flow=oauth,
    )

    @app.middleware
    def mark_verified(context: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse:
        # Global middleware runs after Bolt's signature check: reaching here means verified
        # (or Socket Mode, whose payloads come over the app's own authenticated connection).
        context[VERIFIED] = True
        # Log lines from here on (and from the pools the work is handed to) carry the request's ids:
        # Bolt runs the listener after the middleware returns, so the ids are bound, not scoped; the
        # HTTP server gives each request a fresh scope (`bot.slack.server.bolt_dispatch`).
        bind(context.get("team_id"), context.get("channel_id"), context.get("user_id"), context.get("enterprise_id"))
        return next()

    # The most frequent request first: Bolt tries listeners in the order they were added, building
    # each one's arguments to ask it, so `/reset gap` is matched by the first. The bare `/reset
    # subscribe` (which opens the briefing form, `bot.slack.modals`) is left to the next.
    @app.command(COMMAND, matchers=[lambda body: not is_bare_subscribe(body.get("text"))])
    def on_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
        channel = _text(command.get("channel_id"))
        if not channel:
            ack(text=NO_CHANNEL, response_type="ephemeral")
            return
        dest = Destination(channel, _text(command.get("user_id")) or None,
                           response_urls.allowed(command.get("response_url")),
                           *_workspace(context, _text(command.get("team_id"))))
        if stopping.is_set():
            COMMANDS.labels("command", "interrupted").inc()
            ack(text=restarting().text, response_type="ephemeral")
            return
        dest = _with_workspace_client(dest, context, oauth)
        refused = fair_use.check(dest.team_id, dest.user_id, channel)
        if refused is not None:
            COMMANDS.labels("command", "refused").inc()
            reply = slow_down(refused.who, refused.retry_after_seconds)
            ack(text=reply.text, response_type="ephemeral")
            return
        _ack_and_submit(ack, _text(command.get("text")), dest, data, replier)

    register_modals(app, data=data, replier=replier, response_urls=response_urls, fair_use=fair_use, oauth=oauth,
                    home=home_briefings, home_alerts=home_alerts)

    def click_destination(body: dict[str, Any], context: BoltContext) -> Destination:
        """Where a button's answer goes: its channel (and message's thread), the clicker, the
        workspace, and in OAuth mode that workspace's client."""
        channel = _text(_field(body, "channel", "id")) or _text(_field(body, "container", "channel_id"))
        dest = Destination(channel, _text(_field(body, "user", "id")) or None,
                           response_urls.allowed(body.get("response_url")),
                           *_workspace(context, _text(_field(body, "team", "id"))
                                       or _text(_field(body, "user", "team_id"))),
                           thread_ts=_thread_of(body))
        return _with_workspace_client(dest, context, oauth)

    @app.action(re.compile(f"^{RUN_ACTION}"))
    def on_button(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
        ack()
        dest = click_destination(body, context)
        channel = dest.channel_id
        try:
            if not channel:
                raise UsageError(NO_CHANNEL)
            if stopping.is_set():
                replier.delivery.tell_user(dest, restarting())
                return
            refused = fair_use.check(dest.team_id, dest.user_id, channel)
            if refused is not None:
                replier.delivery.tell_user(dest, slow_down(refused.who, refused.retry_after_seconds))
                return
            query = parse(_text(action.get("value")), data.current().holders)
        except UsageError as exc:
            replier.delivery.tell_user(dest, explain(exc))
            return
        replier.submit(query, dest)

    @app.action(re.compile(f"^{CSV_ACTION}"))
    def on_data_button(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
        """"Data (CSV)": the rows the chart was drawn from, uploaded into the message's thread (or the
        asker's DM where the bot cannot share files or the message was only theirs)."""
        ack()
        dest = click_destination(body, context)
        channel = dest.channel_id
        try:
            if not channel:
                raise UsageError(NO_CHANNEL)
            refused = fair_use.check(dest.team_id, dest.user_id, channel)
            if refused is not None:
                replier.delivery.tell_user(dest, slow_down(refused.who, refused.retry_after_seconds))
                return
            try:
                key, version = read_csv_button(action.get("value"))
            except ValueError:
                raise UsageError("That button does not name a chart, so there is no data to send.") from None
        except UsageError as exc:
            replier.delivery.tell_user(dest, explain(exc))
            return
        replier.submit_data(key, version, dest, private=_on_ephemeral(body))

    if oauth is not None and oauth.settings.installation_store is not None:
        _listen_for_departures(app, TokenRevocationListeners(oauth.settings.installation_store), on_workspace_gone)

    register_shortcuts(app, replier=replier, data=data, response_urls=response_urls, fair_use=fair_use,
                       workspace=_workspace, with_client=lambda d, c: _with_workspace_client(d, c, oauth))

    @app.event("app_home_opened")
    def on_home(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if event.get("tab", "home") != "home":
            return
        publish_home(client, event["user"], Workspace(*_workspace(context, "")), data, home_briefings,
                     alerts=home_alerts)

    @app.error
    def on_error(error: Exception, body: dict[str, Any], request: BoltRequest,
                 response: BoltResponse | None) -> None:
        """The one error funnel for Bolt: verified requests only, never the body in the log.

        Whatever failed, Slack gets a 200 (a 404 or 500 would show the user "dispatch_failed"
        after 3 seconds) and the asker, where Slack gave a valid response_url, gets the reason
        or an error id — posted from the reply pool, not from the thread that answers Slack."""
        if response is not None:  # not yet acknowledged: acknowledge it now
            response.status, response.body, response.headers = 200, "", {"content-type": ["text/plain"]}
        if isinstance(error, BoltUnhandledRequestError):
            logger.warning("no listener for a %s request; acknowledged", _kind(body))
            return
        if not request.context.get(VERIFIED):  # e.g. a signature check that raised: nothing more
            logger.warning("refused an unverifiable request: %s", type(error).__name__)
            return
        reply = explain(error, where="bolt")
        url = response_urls.allowed(body.get("response_url")) if isinstance(body, dict) else None
        if url:
            replier.respond_later(url, reply)

    return BotApp(bolt=app, replier=replier, gate=gate, oauth=oauth, stopping=stopping)


UNINSTALLED = "the app was uninstalled from this workspace"
BOT_TOKEN_REVOKED = "the bot's token was revoked in this workspace"
ACCESS_REVOKED = "the organisation's admin removed the app from this workspace"


def organisation(enterprise_id: str) -> Workspace:
    """What ``on_workspace_gone`` is given when an org-wide install leaves: no team, so every
    workspace of the Enterprise Grid organisation (`bot.runtime` stops each one's subscriptions)."""
    return Workspace("", enterprise_id)


def _listen_for_departures(app: App, revocation: TokenRevocationListeners,
                           on_workspace_gone: Callable[[Workspace, str], object] | None) -> None:
    """OAuth mode: when a workspace removes the app (``app_uninstalled``) or revokes its bot token
    (``tokens_revoked``) — in either order, and maybe twice — its tokens are deleted and its
    subscriptions stopped with the reason (``on_workspace_gone``); the ledger keeps their history,
    and a claimed post is not sent once its subscription is removed (the fan-out checks before
    each post). Bolt skips authorising these two events.

    Which installation left is read from the event's ``authorizations`` (Bolt's context): an
    org-wide install (``is_enterprise_install``) is stored without a team, and its events may
    still name a workspace of the organisation, so its rows are deleted by enterprise with no team
    (Bolt's own revocation listeners would use that workspace and delete nothing) and every
    workspace of the organisation is gone. A per-team install inside an organisation stays per team."""
    store = revocation.installation_store

    def installation(context: BoltContext) -> tuple[str | None, str | None, Workspace | None]:
        """(enterprise id, team id) of the installation rows, and the workspace(s) that left."""
        enterprise_id = _text(context.enterprise_id) or None
        if context.is_enterprise_install and enterprise_id:
            return enterprise_id, None, organisation(enterprise_id)
        team_id = _text(context.team_id) or None
        return enterprise_id, team_id, Workspace(team_id, enterprise_id) if team_id else None

    def gone(workspace: Workspace | None, why: str) -> None:
        if on_workspace_gone is not None and workspace is not None:
            on_workspace_gone(workspace, why)
        logger.info("workspace %s (enterprise %s): %s", workspace.team_id if workspace else None,
                    workspace.enterprise_id if workspace else None, why)

    @app.event("app_uninstalled")
    def on_uninstalled(context: BoltContext) -> None:
        enterprise_id, team_id, workspace = installation(context)
        if enterprise_id or team_id:  # never "every row without a team and an enterprise"
            store.delete_all(enterprise_id=enterprise_id, team_id=team_id)
        gone(workspace, UNINSTALLED)

    @app.event("tokens_revoked")
    def on_tokens_revoked(event: dict[str, Any], context: BoltContext) -> None:
        enterprise_id, team_id, workspace = installation(context)
        if not (enterprise_id or team_id):
            return
        tokens = event.get("tokens") or {}
        for user_id in tokens.get("oauth") or []:
            store.delete_installation(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id)
        if tokens.get("bot"):
            store.delete_bot(enterprise_id=enterprise_id, team_id=team_id)
            gone(workspace, BOT_TOKEN_REVOKED)

    @app.event("team_access_revoked")
    def on_team_access_revoked(event: dict[str, Any], context: BoltContext) -> None:
        # An org-wide install taken away from some workspaces of the organisation: the install (and
        # its token) stays for the others; these workspaces stop, unless one has its own install.
        enterprise_id = _text(context.enterprise_id) or None
        for team_id in event.get("team_ids") or []:
            if not isinstance(team_id, str) or not team_id:
                continue
            own = store.find_bot(enterprise_id=enterprise_id, team_id=team_id)
            if own is None or not own.bot_token:
                gone(Workspace(team_id, enterprise_id), ACCESS_REVOKED)


def _with_workspace_client(dest: Destination, context: BoltContext, oauth: object | None) -> Destination:
    """OAuth mode: replies go out with the asking workspace's own token — the client Bolt built for
    this request from its installation. The single-token mode keeps the one bot client."""
    if oauth is None or context.client is None or not context.client.token:
        return dest
    return replace(dest, client=with_token(context.client, context.client.token))  # counted (bot.telemetry)


def _workspace(context: BoltContext, team_in_payload: str) -> tuple[str, str | None]:
    """The workspace a request came from, as Bolt read it from the payload (``context.team_id`` /
    ``enterprise_id``; for an org-wide install's clicks the team can be missing there, then the
    payload's own field): what every briefing command is scoped by."""
    return _text(context.team_id) or team_in_payload, _text(context.enterprise_id) or None


def _on_ephemeral(body: object) -> bool:
    return _field(body, "container", "is_ephemeral") is True


def _thread_of(body: object) -> str | None:
    """The thread a button's answer belongs in: the thread of the message the button is on — the
    thread it is already in (``message.thread_ts``), else the one it starts (its own ``ts``).
    None for an ephemeral message (Slack threads none) or a button outside a message (App Home)."""
    if _field(body, "container", "type") != "message" or _on_ephemeral(body):
        return None
    ts = (_text(_field(body, "message", "thread_ts")) or _text(_field(body, "container", "message_ts"))
          or _text(_field(body, "message", "ts")))
    return ts if re.fullmatch(r"\d{1,12}\.\d{1,8}", ts) else None




def _kind(body: object) -> str:
    if isinstance(body, dict):
        kind = body.get("type") or ("slash_command" if "command" in body else None)
        if isinstance(kind, str) and kind.replace("_", "").isalnum():
            return kind[:40]
    return "unknown"


def _ack_and_submit(ack: Ack, text: str, dest: Destination, data: LiveData, replier: Replier) -> None:
    try:
        query = parse(text, data.current().holders)
    except UsageError as exc:
        COMMANDS.labels("command", "usage_error").inc()
        reply = explain(exc)
        ack(text=reply.text, blocks=list(reply.blocks), response_type="ephemeral")
        return
    if isinstance(query, HelpQuery):
        COMMANDS.labels(query.kind, "answered").inc()
        snapshot = data.current()
        reply = answer(query, snapshot.datasets, snapshot.holders)
        ack(text=reply.text, blocks=list(reply.blocks), response_type="ephemeral")
        return
    ack()
    replier.submit(query, dest)
