"""OAuth mode's install flow: "Add to Slack", Slack's approval page, and the page that says how it went.

Bolt's `OAuthFlow` does the protocol — a ``state`` issued into the database and a cookie, the
browser sent to SLACK_AUTHORIZE_URL, then ``oauth.v2.access`` (at SLACK_API_URL) with the code that
comes back, and the installation saved in `bot.storage.installations` (tokens encrypted). This
module gives it the bot's scopes, its client, and pages a person can read:

* ``GET /slack/install`` — a small page with an "Add to Slack" button (and the state cookie);
* ``GET /slack/oauth_redirect`` — "Reset Bot is installed in <workspace>", or one clear sentence
  for each failure: cancelled (200), another browser or a lost cookie, an expired or reused link,
  a code Slack did not confirm (400), the database not taking the installation (503). Never a
  traceback or a 500, and never a token or the client secret in a page or a log line.

Both routes are GET requests from a browser, so they are not signed by Slack; `bot.slack.server`
routes them here before the front door's signature check, and every other request as before.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from slack_bolt.error import BoltError
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation, InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore

from bot.settings import Settings
from bot.slack.errors import new_error_id

logger = logging.getLogger("reset_bot.oauth")

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
#: The bot scopes of manifest.yml (tests/test_manifest.py keeps the two equal).
BOT_SCOPES = ("commands", "chat:write", "files:write", "users:read", "channels:read", "groups:read",
              "channels:join", "im:read", "channels:history", "groups:history", "im:history",
              "im:write")  # im:write: a chart's CSV to the asker's DM (branch csv)

START_AGAIN = f'<a href="{INSTALL_PATH}">Start the install again</a>.'
#: Why an install did not complete → (HTTP status, what the person is told).
FAILURES: dict[str, tuple[int, str]] = {
    "access_denied": (200, "The install was cancelled, so Reset Bot was not added to your workspace. "
                           f"Changed your mind? {START_AGAIN}"),
    # No state cookie: another browser, a lost cookie — or a reload of the page an install just
    # ended on (its cookie was used up), which is what people most often do. Nothing is changed.
    "invalid_browser": (400, "This install could not be completed here. Either this page was reloaded after the "
                             "install had already finished (each link works once), or the install was started in "
                             "another browser, or the browser lost its cookie. Nothing was changed by this visit."
                             "</p><p>If you just saw \u201cReset Bot is installed\u201d, it is: type "
                             f"<code>/reset gap</code> in Slack. If not: {START_AGAIN}"),
    "invalid_state": (400, "This install link has expired or was already used (links last 10 minutes). "
                           f"{START_AGAIN}"),
    "missing_code": (400, f"Slack did not send an authorization code, so nothing was installed. {START_AGAIN}"),
    "invalid_code": (400, "Slack did not confirm this install (the authorization code was wrong, expired or "
                          f"already used), so nothing was installed. {START_AGAIN}"),
}
OTHER_SLACK_ERROR = (400, "Slack did not complete the install ({reason}), so nothing was installed. " + START_AGAIN)
STORAGE_FAILED = (503, "Slack approved the install, but Reset Bot could not save it, so it is not installed yet. "
                       "Please try again in a minute (error id <code>{error_id}</code>). " + START_AGAIN)


#: Slack's own colours: aubergine for the button, green for done, red for not done, blue for links.
TONES = {"neutral": "#4a154b", "ok": "#2eb67d", "failed": "#e01e5a"}

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>{title}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; background: #f4f6f8; color: #1d2a35;
       margin: 0; display: flex; min-height: 100vh; align-items: center; justify-content: center; }}
main {{ background: #fff; border-radius: 12px; box-shadow: 0 2px 12px rgba(0,0,0,.08); padding: 1.8rem 2.5rem 2rem;
       max-width: 34rem; margin: 1rem; border-top: 6px solid {tone}; }}
h1 {{ font-size: 1.4rem; margin: 0 0 1rem; color: #1d3557; }}
p {{ line-height: 1.55; margin: 0 0 .8rem; }}
p.action {{ text-align: center; margin-top: 1.4rem; }}
a {{ color: #1264a3; }}
a.button {{ display: inline-block; background: #4a154b; color: #fff; padding: .7rem 1.4rem; border-radius: 6px;
           text-decoration: none; font-weight: 600; }}
code {{ background: #eef1f4; padding: 0 .3em; border-radius: 3px; }}
</style></head>
<body><main><h1>{title}</h1>{body}</main></body></html>
"""


def page(title: str, body_html: str, *, tone: str = "failed") -> str:
    """A small page; ``title`` is escaped here, ``body_html`` must already be safe. ``tone`` (a key
    of `TONES`) colours the card's top edge: most pages here say that something did not happen."""
    return PAGE.format(title=html.escape(title), body=body_html, tone=TONES[tone])


class InstallFlow(OAuthFlow):
    """Bolt's OAuth flow with the bot's pages, and no exception left to become a 500."""

    def build_install_page_html(self, url: str, request: BoltRequest) -> str:
        return page("Add Reset Bot to Slack",
                    "<p>Reset Bot explains the US external balance sheet — Treasuries, yields and the "
                    "refinancing wall — with official numbers, charts and sources.</p>"
                    f'<p class="action"><a class="button" id="add-to-slack" href="{html.escape(url)}">'
                    "Add to Slack</a></p>",
                    tone="neutral")

    def run_installation(self, code: str) -> Installation | None:
        try:
            return super().run_installation(code)  # Slack's "no" (SlackApiError) → None, in Bolt
        except Exception as exc:  # Slack (or SLACK_API_URL) unreachable, or an answer of the wrong shape
            logger.warning("oauth.v2.access failed: %s", type(exc).__name__)
            return None

    def store_installation(self, request: BoltRequest, installation: Installation) -> None:
        try:
            super().store_installation(request, installation)
        except Exception as exc:  # the database: Bolt turns a BoltError into the failure page
            raise BoltError(f"could not save the installation: {type(exc).__name__}") from None


def _success(args: SuccessArgs) -> BoltResponse:
    installation = args.installation
    where = installation.team_name or installation.enterprise_name or "your workspace"
    logger.info("installed in team %s (enterprise %s)", installation.team_id, installation.enterprise_id)
    body = page(f"Reset Bot is installed in {where}",
                "<p>Type <code>/reset gap</code> in any channel to see the first numbers, and "
                "<code>/invite @Reset Bot</code> to get charts there too. "
                "<code>/reset help</code> lists everything it can do.</p>"
                "<p>You can close this page.</p>", tone="ok")
    return _html(200, body, args.settings)


def _failure(args: FailureArgs) -> BoltResponse:
    # Bolt passes a callback's ?error=… through as the reason: anyone can choose it. Only reasons
    # this page knows are named; a storage failure only when the app's own save raised one.
    reason = args.reason if args.reason in FAILURES or args.reason == "storage_error" else "unknown"
    if reason == "storage_error" and not isinstance(args.error, BoltError):
        reason = "unknown"
    if reason == "storage_error":
        error_id = new_error_id()
        logger.error("install not saved, error id %s: %s", error_id, args.error)
        status, text = STORAGE_FAILED[0], STORAGE_FAILED[1].format(error_id=error_id)
    else:
        unknown = (OTHER_SLACK_ERROR[0], OTHER_SLACK_ERROR[1].format(reason="unknown reason"))
        status, text = FAILURES.get(reason, unknown)
        logger.info("install not completed: %s", reason)
    tone = "neutral" if reason == "access_denied" else "failed"  # cancelling is a choice, not a fault
    return _html(status, page("Reset Bot was not installed", f"<p>{text}</p>", tone=tone), args.settings)


def _html(status: int, body: str, settings: OAuthSettings) -> BoltResponse:
    return BoltResponse(status=status, body=body, headers={
        "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
        "Set-Cookie": [settings.state_utils.build_set_cookie_for_deletion()]})


def install_flow(settings: Settings, installations: InstallationStore, states: OAuthStateStore,
                 *, client: WebClient | None = None) -> InstallFlow:
    """The flow for OAuth mode. ``client`` (default: one at SLACK_API_URL, without a token) calls
    ``oauth.v2.access`` and ``auth.test``; it does not retry, since a code can be exchanged once."""
    if not (settings.slack_client_id and settings.slack_client_secret):
        raise ValueError("OAuth mode needs SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
    oauth = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        redirect_uri=settings.slack_redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=settings.slack_authorize_url,
        installation_store=installations,
        state_store=states,
        callback_options=CallbackOptions(success=_success, failure=_failure),
        logger=logger,
    )
    return InstallFlow(client=client or WebClient(base_url=settings.slack_api_url, timeout=15), logger=logger,
                       settings=oauth)


def too_many(retry_after_seconds: int) -> BoltResponse:
    """429 for a client address that opened the install pages too often (`bot.slack.server`): a page
    saying how long to wait, and ``Retry-After`` saying the same to a machine."""
    wait = f"{retry_after_seconds} second{'s' if retry_after_seconds != 1 else ''}"
    return BoltResponse(status=429, body=page("Too many install attempts", (
        f"<p>This network has opened the Reset Bot install pages many times in a short while. "
        f"Please wait {wait} and try again: <a href=\"{INSTALL_PATH}\">start the install</a>.</p>")),
        headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
                 "Retry-After": str(retry_after_seconds)})


def handle(flow: OAuthFlow, path: str, query: str, headers: dict[str, Any]) -> BoltResponse:
    """A browser's GET of the install page or the redirect, answered by ``flow``."""
    request = BoltRequest(body="", query=query, headers=headers)
    try:
        if path == INSTALL_PATH:
            return flow.handle_installation(request)
        return flow.handle_callback(request)
    except Exception as exc:  # the state store's database on the install page, or a bug: a page, not a 500
        error_id = new_error_id()
        logger.error("install page failed, error id %s: %s", error_id, type(exc).__name__)
        return BoltResponse(status=503, body=page("Reset Bot could not start the install", (
            f"<p>Something went wrong on our side (error id <code>{error_id}</code>). "
            f"Please try again in a minute. {START_AGAIN}</p>")),
            headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"})
