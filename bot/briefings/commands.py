"""The briefing commands: `/reset subscribe`, `subscriptions`, `unsubscribe` and `briefing` (send now).

Each parses nothing (the query is parsed in `handlers.queries`), reads or writes the database,
keeps the scheduler's jobs in step (`bot.scheduler.Scheduler`) and hands plain values to the
renderer, `handlers.subscriptions`, for the reply. A send-now is claimed in the ledger like a
scheduled slot (kind ``now``: one per workspace's channel and second) and posted by `Fanout.post`.

Every command acts in the workspace it came from (`Destination.workspace`, set from the request):
a command from workspace B never lists, changes or triggers workspace A's subscriptions, even in a
channel whose id is the same.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Protocol

from slack_sdk.errors import SlackApiError

from bot.briefings.fanout import Fanout
from bot.briefings.membership import Membership
from bot.briefings.outcomes import DeliveryResult
from bot.briefings.recovery import PAUSING_ERRORS, RELEASED
from bot.briefings.slots import DEFAULT_DAY, DEFAULT_TIME, next_slot
from bot.slack.delivery import Destination, error_code
from bot.storage import Storage
from bot.storage.records import DeliveryStatus, Form, StoreError, StoreUnavailable, Subscription, Workspace
from handlers import subscriptions as texts
from handlers.errors import UserFacingError
from handlers.home import HomeBriefing, HomeVerb
from handlers.queries import BriefingQuery, Query, SubscribeQuery, SubscriptionsQuery, UnsubscribeQuery
from handlers.reply import Reply
from handlers.slowdown import restarting

#: The form of a new subscription that names none (issue 14): the headline at the top level, the
#: rest in its thread, so a weekly briefing does not flood the channel. `flat` keeps one message.
#: Subscriptions from before schema v9 stay flat (`bot.storage.schema`): nobody's channel changes
#: under them. A send-now (`/reset briefing`) takes the form of the channel's first briefing, and
#: in a channel without one stays the single message it always was.
DEFAULT_FORM: Form = "threaded"


class ScheduleJobs(Protocol):
    """What the commands need of the scheduler: a schedule's job added or dropped at once."""

    def schedule(self, sub: Subscription) -> None: ...

    def unschedule(self, sub: Subscription) -> None: ...


class SubscriptionCommands:
    def __init__(self, storage: Storage, membership: Membership, fanout: Fanout, jobs: ScheduleJobs, *,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.subscriptions, self.ledger = storage.subscriptions, storage.ledger
        self.membership = membership
        self.fanout = fanout
        self.jobs = jobs
        self.clock = clock or (lambda: datetime.now(timezone.utc))

    def handle(self, query: Query, dest: Destination) -> Reply | None:
        """Run a briefing command; returns the reply to deliver, or None if already delivered."""
        if isinstance(query, SubscribeQuery):
            return self.subscribe(query, dest)
        if isinstance(query, SubscriptionsQuery):
            return self.list_subscriptions(dest)
        if isinstance(query, UnsubscribeQuery):
            return self.unsubscribe(query, dest)
        if isinstance(query, BriefingQuery):
            return self.send_now(dest)
        raise ValueError(f"not a briefing command: {query.kind}")

    def subscribe(self, query: SubscribeQuery, dest: Destination) -> Reply:
        self.membership.ensure_member(dest.workspace, dest.channel_id)
        tz, guessed = query.timezone, False
        if tz is None:
            tz = self.membership.user_timezone(dest.workspace, dest.user_id)
            if tz is None:
                tz, guessed = "UTC", True
        day = query.day or DEFAULT_DAY
        at = (query.at or DEFAULT_TIME).strftime("%H:%M")
        try:
            sub = self.subscriptions.add(team_id=dest.team_id, enterprise_id=dest.enterprise_id,
                                         channel_id=dest.channel_id,
                                         created_by=dest.user_id or "", weekday=day, at_time=at,
                                         timezone_name=tz, form=query.form or DEFAULT_FORM)
        except StoreUnavailable:
            raise  # not the user's doing: `bot.slack.errors.explain` says nothing was saved, with an id
        except StoreError as exc:
            raise UserFacingError(str(exc)) from None
        self.jobs.schedule(sub)
        upcoming = next_slot(sub.weekday, sub.at_time, sub.timezone, self.clock())
        return texts.subscribed(day, at, tz, upcoming, tz_guessed=guessed, form=sub.form)

    def list_subscriptions(self, dest: Destination) -> Reply:
        subs = self.subscriptions.in_channel(dest.workspace, dest.channel_id)
        if not subs:
            return texts.no_briefings()
        now = self.clock()
        listed = []
        for sub in subs:
            last = next((d for d in reversed(self.ledger.rows(subscription_id=sub.id))
                         if d.status != DeliveryStatus.CLAIMED), None)
            listed.append(texts.Listed(
                sub.weekday, sub.at_time, sub.timezone, next_slot(sub.weekday, sub.at_time, sub.timezone, now),
                paused=sub.state != "active", pause_reason=sub.pause_reason,
                last_status=str(last.status) if last else None, last_slot=last.slot_utc if last else None,
                form=sub.form))
        return texts.listing(listed)

    def unsubscribe(self, query: UnsubscribeQuery, dest: Destination) -> Reply:
        subs = self.subscriptions.in_channel(dest.workspace, dest.channel_id)
        if not subs:
            return texts.nothing_to_stop()
        if query.number is None and len(subs) > 1:
            return texts.which_to_stop([(s.weekday, s.at_time, s.timezone) for s in subs])
        number = query.number or 1
        if not 1 <= number <= len(subs):
            raise UserFacingError(texts.no_such_briefing(number, len(subs)))
        sub = subs[number - 1]
        self.subscriptions.set_state(sub.id, "removed", reason="unsubscribed",  # from active, paused or held
                                     only_from=("active", "paused", "held"))
        self.jobs.unschedule(sub)
        return texts.stopped(sub.weekday, sub.at_time, sub.timezone)

    def send_now(self, dest: Destination) -> Reply | None:
        subs = self.subscriptions.in_channel(dest.workspace, dest.channel_id)
        tz = subs[0].timezone if subs else (self.membership.user_timezone(dest.workspace, dest.user_id) or "UTC")
        schedule = texts.describe(subs[0].weekday, subs[0].at_time, tz) if subs else texts.SEND_NOW_SCHEDULE
        now = self.clock().replace(microsecond=0)
        claim = self.ledger.claim(subscription_id=None, channel_id=dest.channel_id, slot_utc=now, kind="now",
                                  owner=self.fanout.owner, claim_timeout=self.fanout.config.claim_timeout,
                                  workspace=dest.workspace)
        if claim is None:  # a second click in the same second
            return None
        try:
            outcome = self.fanout.post(claim, tz, schedule, dest,
                                       previous=self.ledger.last_sent(dest.workspace, dest.channel_id),
                                       form=subs[0].form if subs else "flat")
            if outcome == DeliveryResult.STOPPING:  # a deploy began while it waited for its turn
                self.ledger.release([claim], RELEASED)
                return restarting()
        except SlackApiError as exc:
            code = error_code(exc)
            self.ledger.finish(claim, DeliveryStatus.FAILED, error=code)
            if code in PAUSING_ERRORS:
                raise UserFacingError(texts.invite_hint(code)) from None
            raise
        return None

    # ---- App Home (bot.slack.modals): a user's own briefings, and their buttons ------------------
    def home_briefings(self, workspace: Workspace, user_id: str) -> list[HomeBriefing]:
        """The briefings ``user_id`` set up in ``workspace`` (see handlers.home for why these)."""
        now = self.clock()
        return [HomeBriefing(sub.id, sub.channel_id, sub.weekday, sub.at_time, sub.timezone, sub.state,
                             sub.pause_reason,
                             None if sub.state == "held" else next_slot(sub.weekday, sub.at_time, sub.timezone, now))
                for sub in self.subscriptions.created_by(workspace, user_id)]

    def owned(self, workspace: Workspace, user_id: str, subscription_id: int) -> Subscription | None:
        """The subscription if it is live, in ``workspace`` and set up by ``user_id``; else None."""
        sub = self.subscriptions.get(subscription_id)
        if sub is None or sub.state == "removed" or sub.team_id != workspace.team_id or sub.created_by != user_id:
            return None
        return sub

    def home_action(self, verb: HomeVerb, workspace: Workspace, user_id: str, subscription_id: int) -> str:
        """Pause, resume or remove one of the user's briefings; returns what happened, in words.
        (Send now goes through `send_now` with the briefing's channel, like `/reset briefing`.)"""
        sub = self.owned(workspace, user_id, subscription_id)
        if sub is None:
            return "That briefing is not one of yours in this workspace any more, so nothing was changed."
        schedule = f"{texts.describe(sub.weekday, sub.at_time, sub.timezone)} in <#{sub.channel_id}>"
        if verb == "pause":
            if not self.subscriptions.set_state(sub.id, "held", reason=f"paused by <@{user_id}> from App Home"):
                return f"The briefing {schedule} changed meanwhile; nothing was paused."
            self.jobs.unschedule(sub)
            return f"Paused the briefing {schedule}."
        if verb == "resume":
            if not self.subscriptions.set_state(sub.id, "active", only_from=("held",)):
                return f"The briefing {schedule} was not paused; nothing changed."
            self.jobs.schedule(sub)
            return f"Resumed the briefing {schedule}."
        if verb == "remove":
            self.subscriptions.set_state(sub.id, "removed", reason=f"removed by <@{user_id}> from App Home",
                                         only_from=("active", "paused", "held"))
            self.jobs.unschedule(sub)
            return f"Removed the briefing {schedule}."
        raise ValueError(f"not a home action: {verb}")
