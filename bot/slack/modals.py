"""The listeners of the modals, the scenario shortcut and the App Home buttons: thin adapters.

Registered from `bot.slack.app.create_app` with one call, `register_modals`, *before* the
`/reset` command listener: Bolt runs the first listener whose matchers accept a request, so the
bare `/reset subscribe` is taken here (it opens the briefing form) and every other `/reset`
text still reaches the command listener.

What runs where. Slack gives 3 seconds for an acknowledgement, and a ``trigger_id`` is good for
3 seconds too, so a listener acknowledges first and then opens its modal at once on Bolt's
listener thread — not on the `Replier`, whose queue may be behind a burst of charts and would let
the trigger expire. A submission is read by a pure function (`handlers.modals`); invalid input is
answered in the acknowledgement itself (``response_action: "errors"``, shown under the fields);
valid input becomes the same query the typed command gives, handed to the `Replier` like any
command. App Home clicks change one row in the database (milliseconds) and re-publish the tab.

Every request here has passed Bolt's signature check (Bolt verifies before any listener runs).
A submission acts only in the workspace it came from: the form's origin (its private_metadata,
which only this app writes) must name the workspace of the request, and an App Home button acts
only on a briefing of the clicking user in the clicking workspace (`HomeBriefings.owned`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.models.blocks import Block

from bot.serving.live_data import LiveData
from bot.slack.delivery import Destination, ResponseUrls
from bot.slack.errors import explain
from bot.slack.fairuse import FairUse
from bot.slack.payload import field as _field
from bot.slack.payload import text as _text
from bot.slack.replier import Replier
from bot.storage.records import Subscription, Workspace
from handlers import modals as forms
from handlers.errors import UsageError
from handlers.home import (
    ALERT_HOME_ACTION,
    HOME_ACTION,
    HOME_VERBS,
    HomeAlert,
    HomeBriefing,
    HomeVerb,
    alert_blocks,
    home_view,
)
from handlers.parsing import COMMANDS, parse, parse_timezone, usage
from handlers.queries import BriefingQuery, ShockQuery
from handlers.reply import message, section
from handlers.slowdown import slow_down

T = TypeVar("T")
logger = logging.getLogger("reset_bot.modals")

COMMAND = "/reset"
FORM_FAILED = "I couldn't open the form (`{code}`). Type the command instead: {usage}"
LOST_ORIGIN = "This form no longer knows where it came from. Close it and open it again."
_HOME_CLICK = re.compile(f"^{HOME_ACTION}({'|'.join(HOME_VERBS)}):([0-9]{{1,12}})$")


class HomeBriefings(Protocol):
    """What App Home needs of the briefing commands (`bot.briefings.commands.SubscriptionCommands`)."""

    def home_briefings(self, workspace: Workspace, user_id: str) -> list[HomeBriefing]: ...

    def owned(self, workspace: Workspace, user_id: str, subscription_id: int) -> Subscription | None: ...

    def home_action(self, verb: HomeVerb, workspace: Workspace, user_id: str, subscription_id: int) -> str: ...


def is_bare_subscribe(text: object) -> bool:
    """`/reset subscribe` with nothing after it (any case, an optional leading ``/reset``)."""
    if not isinstance(text, str):
        return False
    words = re.sub(r"^/?reset\b", "", text.strip(), flags=re.IGNORECASE).split()
    return len(words) == 1 and words[0].lower() in COMMANDS["subscribe"]


class HomeAlerts(Protocol):
    """What App Home needs of the alerts (`bot.alerts.commands.AlertCommands`)."""

    def home_alerts(self, workspace: Workspace, user_id: str) -> list[HomeAlert]: ...

    def home_remove(self, workspace: Workspace, user_id: str, alert_id: int) -> str: ...


def publish_home(client: WebClient, user_id: str, workspace: Workspace, data: LiveData,
                 home: HomeBriefings | None, note: str | None = None, alerts: HomeAlerts | None = None) -> None:
    """Publish ``user_id``'s App Home: the headline numbers and, where briefings and alerts are
    switched on, the user's briefings and alerts in ``workspace`` with their buttons."""
    alert_section: list[Block] = []
    if alerts is not None:
        try:
            alert_section = alert_blocks(alerts.home_alerts(workspace, user_id))
        except Exception:
            logger.exception("could not read the alerts of %s for App Home", user_id)
            alert_section = [section("*Your alerts* could not be read just now; open the tab again in a minute.")]
    briefings: list[HomeBriefing] | None = None
    if home is not None:
        try:
            briefings = home.home_briefings(workspace, user_id)
        except Exception:  # the numbers still show; the list says it could not be read
            logger.exception("could not read the briefings of %s for App Home", user_id)
            briefings, note = [], "Your briefings could not be read just now; open the tab again in a minute."
    try:
        client.views_publish(user_id=user_id, view=home_view(data.current().datasets, briefings, note=note,
                                                             alerts=alert_section))
    except SlackApiError as exc:
        logger.warning("views.publish failed for %s: %s", user_id, exc.response.get("error"))


def register_modals(app: App, *, data: LiveData, replier: Replier, response_urls: ResponseUrls,
                    fair_use: FairUse, oauth: object | None = None, home: HomeBriefings | None = None,
                    home_alerts: HomeAlerts | None = None) -> None:
    """Add the form, shortcut and App Home listeners to ``app`` (the bare `/reset subscribe` listener among them;
    `bot.slack.app`'s `/reset` listener leaves that text to it)."""

    def destination(body: dict[str, Any], context: BoltContext, channel: str, url: object) -> Destination:
        team, enterprise = _workspace(body, context)
        user = _text(_field(body, "user", "id")) or _text(body.get("user_id"))  # a click's or a command's
        dest = Destination(channel, user or None, response_urls.allowed(url), team, enterprise)
        if oauth is not None and context.client is not None:  # OAuth mode: the workspace's own token
            dest = Destination(dest.channel_id, dest.user_id, dest.response_url, dest.team_id, dest.enterprise_id,
                               context.client)
        return dest

    def form_failed(dest: Destination, client: WebClient, exc: SlackApiError | SlackClientError, topic: str) -> None:
        code = str(exc.response.get("error", "unknown_error")) if isinstance(exc, SlackApiError) else "no answer"
        logger.warning("views.open failed: %s", code)
        note = message(FORM_FAILED.format(code=code, usage=usage(topic)))
        if dest.channel_id or dest.response_url:
            replier.delivery.tell_user(dest, note, client=client)
        elif dest.user_id:  # the global shortcut: no channel, no response_url; the app's own DM
            try:
                client.chat_postMessage(channel=dest.user_id, text=note.text, blocks=list(note.blocks))
            except (SlackClientError, OSError):
                logger.warning("could not tell %s that the form did not open", dest.user_id)

    # ---- the briefing form -------------------------------------------------------------------
    @app.command(COMMAND, matchers=[lambda body: is_bare_subscribe(body.get("text"))])
    def open_subscribe_form(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        channel = _text(body.get("channel_id"))
        if not channel:
            ack(text="I couldn't tell which conversation this came from. Please try again from a channel.",
                response_type="ephemeral")
            return
        dest = destination(body, context, channel, body.get("response_url"))
        refused = fair_use.check(dest.team_id, dest.user_id, channel)
        if refused is not None:
            ack(text=slow_down(refused.who, refused.retry_after_seconds).text, response_type="ephemeral")
            return
        ack()
        zone, known = _user_timezone(client, dest.user_id)
        origin = forms.Origin(channel, dest.team_id, dest.enterprise_id, dest.response_url)
        try:
            client.views_open(trigger_id=_text(body.get("trigger_id")),
                              view=forms.subscribe_modal(origin, zone, timezone_known=known))
        except (SlackApiError, SlackClientError) as exc:
            form_failed(dest, client, exc, "subscribe")

    @app.view(forms.SUBSCRIBE_CALLBACK)
    def submit_subscribe_form(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
        origin = _origin_of(view, body, context)
        if origin is None:
            ack(response_action="errors", errors={forms.DAY: LOST_ORIGIN})
            return
        result = _read(forms.read_subscribe, _values(view), data.current().holders, forms.DAY)
        if isinstance(result, dict):
            ack(response_action="errors", errors=result)
            return
        dest = destination(body, context, origin.channel_id, origin.response_url)
        refused = fair_use.check(dest.team_id, dest.user_id, dest.channel_id)
        if refused is not None:
            ack(response_action="errors",
                errors={forms.DAY: slow_down(refused.who, refused.retry_after_seconds).text[:forms.MAX_ERROR_CHARS]})
            return
        ack()
        replier.submit(result, dest)

    # ---- the scenario builder ----------------------------------------------------------------
    @app.action(forms.SCENARIO_BUTTON)
    def open_scenario_from_reply(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                                 context: BoltContext) -> None:
        ack()
        channel = _text(_field(body, "channel", "id")) or _text(_field(body, "container", "channel_id"))
        dest = destination(body, context, channel, body.get("response_url"))
        if not channel:
            replier.delivery.tell_user(dest, message(LOST_ORIGIN))
            return
        snapshot = data.current()
        prefill: ShockQuery | None = None
        try:
            typed = parse(_text(action.get("value")), snapshot.holders)
            prefill = typed if isinstance(typed, ShockQuery) else None
        except UsageError:
            prefill = None  # an empty form rather than none: the value only prefills it
        origin = forms.Origin(channel, dest.team_id, dest.enterprise_id, dest.response_url)
        try:
            client.views_open(trigger_id=_text(body.get("trigger_id")),
                              view=forms.scenario_modal(snapshot.holders, origin, prefill))
        except (SlackApiError, SlackClientError) as exc:
            form_failed(dest, client, exc, "shock")

    @app.shortcut(forms.SCENARIO_SHORTCUT)
    def open_scenario_from_shortcut(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        ack()
        dest = destination(body, context, "", None)
        try:
            client.views_open(trigger_id=_text(body.get("trigger_id")),
                              view=forms.scenario_modal(data.current().holders, None))
        except (SlackApiError, SlackClientError) as exc:
            form_failed(dest, client, exc, "shock")

    @app.view(forms.SCENARIO_CALLBACK)
    def submit_scenario(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
        values = _values(view)
        if view.get("private_metadata"):
            origin = _origin_of(view, body, context)
            if origin is None:
                ack(response_action="errors", errors={forms.holder_block(1): LOST_ORIGIN})
                return
            channel, url = origin.channel_id, origin.response_url
        else:  # the global shortcut: the conversation chosen in the form, and Slack's response_url for it
            channel = forms.selected_conversation(values) or ""
            if not channel:
                ack(response_action="errors", errors={forms.WHERE: "Choose where to post the answer."})
                return
            url = _response_url_for(body, channel)
        result = _read(forms.read_scenario, values, data.current().holders, forms.holder_block(1))
        if isinstance(result, dict):
            ack(response_action="errors", errors=result)
            return
        dest = destination(body, context, channel, url)
        refused = fair_use.check(dest.team_id, dest.user_id, channel)
        if refused is not None:
            busy = slow_down(refused.who, refused.retry_after_seconds).text[:forms.MAX_ERROR_CHARS]
            ack(response_action="errors", errors={forms.holder_block(1): busy})
            return
        ack()
        replier.submit(result, dest)

    # ---- App Home ----------------------------------------------------------------------------
    @app.action(re.compile(f"^{HOME_ACTION}"))
    def on_home_button(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                       context: BoltContext) -> None:
        ack()
        user = _text(_field(body, "user", "id"))
        workspace = Workspace(*_workspace(body, context))
        click = _HOME_CLICK.match(_text(action.get("action_id")))
        if not user or click is None or home is None:
            logger.warning("ignored an App Home click that names no briefing action")
            return
        verb: HomeVerb = click[1]  # type: ignore[assignment]  # the pattern admits only HOME_VERBS
        sub_id = int(click[2])
        note = _act(verb, workspace, user, sub_id, body, context)
        publish_home(client, user, workspace, data, home, note, home_alerts)

    @app.action(re.compile(f"^{re.escape(ALERT_HOME_ACTION)}"))
    def on_home_alert_button(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                             context: BoltContext) -> None:
        ack()
        user = _text(_field(body, "user", "id"))
        workspace = Workspace(*_workspace(body, context))
        alert_id = _text(action.get("action_id")).removeprefix(ALERT_HOME_ACTION)
        if not user or not alert_id.isdigit() or len(alert_id) > 12 or home_alerts is None:
            logger.warning("ignored an App Home click that names no alert")
            return
        try:
            note = home_alerts.home_remove(workspace, user, int(alert_id))
        except Exception as exc:  # a database outage, say: said on the tab, never a silent click
            note = explain(exc, where="home alert remove").text
        publish_home(client, user, workspace, data, home, note, home_alerts)

    def _act(verb: HomeVerb, workspace: Workspace, user: str, sub_id: int, body: dict[str, Any],
             context: BoltContext) -> str:
        assert home is not None
        try:
            if verb != "send":
                return home.home_action(verb, workspace, user, sub_id)
            sub = home.owned(workspace, user, sub_id)
            if sub is None:
                return "That briefing is not one of yours in this workspace any more, so nothing was sent."
            refused = fair_use.check(workspace.team_id, user, sub.channel_id)
            if refused is not None:
                return slow_down(refused.who, refused.retry_after_seconds).text
            replier.submit(BriefingQuery(), destination(body, context, sub.channel_id, None))
            return f"Sending the briefing to <#{sub.channel_id}> now."
        except Exception as exc:  # a database outage, say: said on the tab, never a silent click
            return explain(exc, where=f"home {verb}").text


def _user_timezone(client: WebClient, user_id: str | None) -> tuple[str, bool]:
    """The user's Slack time zone as a zone the parser accepts, and whether it was read (else UTC)."""
    if user_id:
        try:
            zone = _field(client.users_info(user=user_id).data, "user", "tz")
            if isinstance(zone, str) and zone:
                return parse_timezone(zone), True
        except (SlackApiError, SlackClientError, UsageError) as exc:
            logger.info("no usable time zone for %s: %s", user_id, type(exc).__name__)
    return "UTC", False


def _origin_of(view: dict[str, Any], body: dict[str, Any], context: BoltContext) -> forms.Origin | None:
    """The form's origin, if it names the workspace this submission came from."""
    origin = forms.read_origin(view.get("private_metadata"))
    team, _ = _workspace(body, context)
    if origin is None or origin.team_id != team:
        return None
    return origin


def _response_url_for(body: dict[str, Any], channel: str) -> str | None:
    """The response_url Slack gave for the chosen conversation (``response_url_enabled``)."""
    for entry in body.get("response_urls") or []:
        url = entry.get("response_url") if isinstance(entry, dict) else None
        if isinstance(entry, dict) and entry.get("channel_id") == channel and isinstance(url, str):
            return url
    return None


UNREADABLE = "I couldn't read this form as Slack sent it. Please fill it in again."


def _read(reader: Callable[[dict[str, Any], Any], T], values: dict[str, Any], holders: Any,
          block: str) -> T | dict[str, str]:
    """``reader(values, holders)``, or an inline error on ``block`` when the submitted state is not
    the shape our form has (a forged or garbled view_submission): said in the form, never a silent close."""
    try:
        return reader(values, holders)
    except (TypeError, AttributeError, KeyError, ValueError, IndexError):
        logger.warning("a form submission with an unreadable state; answered inline")
        return {block: UNREADABLE}


def _values(view: dict[str, Any]) -> dict[str, Any]:
    values = _field(view, "state", "values")
    return values if isinstance(values, dict) else {}


def _workspace(body: dict[str, Any], context: BoltContext) -> tuple[str, str | None]:
    team = _text(context.team_id) or _text(_field(body, "team", "id")) or _text(_field(body, "user", "team_id")) \
        or _text(body.get("team_id"))
    return team, _text(context.enterprise_id) or None



