"""The alert commands: `/reset alert SERIES above|below THRESHOLD`, `/reset alerts`, `/reset alert remove N`.

The query was parsed (and its threshold checked) by `handlers.alerts`; here the alert is stored in
the asking workspace's channel, listed or removed, and the words come from `handlers.alerts`. A
new alert starts armed — or fired, when the series is already past its line (it then fires the
next time it crosses, after coming back by its margin): setting an alert never posts a stale alarm.

Every command acts in the workspace it came from (`Destination.workspace`): a command from
workspace B never lists or removes workspace A's alerts, even in a channel whose id is the same.
"""

from __future__ import annotations

from bot.serving.live_data import LiveData
from bot.slack.delivery import Destination
from bot.storage import Storage
from bot.storage.records import StoreError, StoreUnavailable, Workspace
from handlers import alerts as texts
from handlers.errors import UserFacingError
from handlers.home import HomeAlert
from handlers.queries import AlertQuery, AlertRemoveQuery, AlertsQuery, Query
from handlers.reply import Reply
from metrics.alerts import initial_state


class AlertCommands:
    def __init__(self, storage: Storage, data: LiveData) -> None:
        self.alerts = storage.alerts
        self.data = data

    def handle(self, query: Query, dest: Destination) -> Reply | None:
        if isinstance(query, AlertQuery):
            return self.set_alert(query, dest)
        if isinstance(query, AlertsQuery):
            return self.list_alerts(dest)
        if isinstance(query, AlertRemoveQuery):
            return self.remove(query, dest)
        raise ValueError(f"not an alert command: {query.kind}")

    def set_alert(self, query: AlertQuery, dest: Destination) -> Reply:
        snapshot = self.data.current()
        try:
            now = texts.latest(query.series, snapshot.datasets, snapshot.holders)
        except KeyError:
            raise UserFacingError("The data in service have no observations of that series yet, so I can't "
                                  "watch it; `/reset sources` shows what they hold.") from None
        threshold = texts.threshold_of(query.series, query.direction, query.threshold)
        state = initial_state(threshold, now.observation)
        try:
            self.alerts.add(workspace=dest.workspace, channel_id=dest.channel_id, created_by=dest.user_id or "",
                            series=query.series, direction=query.direction, threshold=query.threshold,
                            margin=threshold.margin, state=state.phase, since=state.since,
                            limit=texts.MAX_ALERTS_PER_CHANNEL)
        except StoreUnavailable:
            raise  # not the user's doing: `bot.slack.errors.explain` says nothing was saved, with an id
        except StoreError as exc:
            raise UserFacingError(str(exc)) from None
        description = texts.describe(query.series, query.direction, query.threshold, snapshot.holders)
        return texts.alert_set(description, now, query.series, threshold, already=state.phase == "fired")

    def list_alerts(self, dest: Destination) -> Reply:
        alerts = self.alerts.in_channel(dest.workspace, dest.channel_id)
        if not alerts:
            return texts.no_alerts()
        holders = self.data.current().holders
        listed = []
        for alert in alerts:
            back = alert.threshold - alert.margin if alert.direction == "above" else alert.threshold + alert.margin
            side = "below" if alert.direction == "above" else "above"
            last = (f"{texts.value_words(alert.series, alert.fired_value)} ({texts.period_words(alert.fired_period)})"
                    if alert.fired_period and alert.fired_value is not None else None)
            listed.append(texts.ListedAlert(
                description=texts.describe(alert.series, alert.direction, alert.threshold, holders),
                state=alert.state, pause_reason=alert.pause_reason, created_by=alert.created_by, last_fired=last,
                rearm_at=f"once {side} {texts.value_words(alert.series, back)}"))
        return texts.alerts_listing(listed)

    def remove(self, query: AlertRemoveQuery, dest: Destination) -> Reply:
        alerts = self.alerts.in_channel(dest.workspace, dest.channel_id)
        if not 1 <= query.number <= len(alerts):
            raise UserFacingError(texts.no_such_alert(query.number, len(alerts)))
        alert = alerts[query.number - 1]
        self.alerts.remove(alert)
        return texts.alert_removed(texts.describe(alert.series, alert.direction, alert.threshold,
                                                  self.data.current().holders))

    # ---- App Home (`bot.slack.modals`) -----------------------------------------------------
    def home_alerts(self, workspace: Workspace, user_id: str) -> list[HomeAlert]:
        """The alerts ``user_id`` set in ``workspace``, oldest first, for their App Home."""
        holders = self.data.current().holders
        return [HomeAlert(a.id, a.channel_id, texts.describe(a.series, a.direction, a.threshold, holders), a.state,
                          a.pause_reason)
                for a in self.alerts.live() if a.team_id == workspace.team_id and a.created_by == user_id]

    def home_remove(self, workspace: Workspace, user_id: str, alert_id: int) -> str:
        """A Remove click on the tab: only the user's own alert in that workspace; the tab's note."""
        alert = self.alerts.get(alert_id)
        if (alert is None or alert.state == "removed" or alert.team_id != workspace.team_id
                or alert.created_by != user_id):
            return "That alert is not one of yours in this workspace any more, so nothing was removed."
        self.alerts.remove(alert)
        holders = self.data.current().holders
        return (f"Removed the alert {texts.describe(alert.series, alert.direction, alert.threshold, holders)} "
                f"in <#{alert.channel_id}>.")

