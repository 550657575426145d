"""Threaded briefings (issue 14): a parent message and its thread replies, delivered as one unit, once.

A threaded briefing is one ledger row (`bot.storage.ledger`), claimed like a flat one. The unit
is posted in this order, each step leaving the ledger able to finish the rest after a crash:

1. The parent (the headline numbers, what changed) at the top level, with the message metadata
   that names the ledger row (``reset_briefing``, as a flat briefing's) and ``form: threaded``.
2. Its ts is written to the claimed row at once (`Ledger.record_parent`), before any reply.
3. Each reply in the parent's thread (``thread_ts``), with metadata naming the row and its part
   (``reset_briefing_part``: ``topic``, ``sources``); the topic's chart is uploaded into the
   thread after it (part ``chart``, found again by its file name: uploads carry no metadata).
4. The row is recorded sent, with the parent's ts and every part's ts (or file id).

Whoever takes the row over after a crash, or retries it after a failure (`resume_point`), finds
the parent — its ts in the row, else in the channel's history by its metadata
(`HistoryCheck.already_posted`, not recorded as sent) — then reads the thread
(conversations.replies, with the metadata) and posts only the parts not in it. So a crash
between the parent and its replies neither loses the replies nor repeats the parent, and a
reply is never doubled. When Slack cannot be asked, the answer is "unknown", never "missing":
nothing is posted and the slot is retried, as for flat briefings.

Replies keep the channel's gap (about one post a second); the workspace's turns for the whole
unit — its messages and its chart's Tier 4 upload — are taken before the parent (`Pacer.wait`). A chart Slack refuses
(not a transient failure) is left out, noted in the row's error, as in a flat briefing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.briefings.outcomes import DeliveryResult
from bot.briefings.pacing import Pacer
from bot.briefings.recording import Recorder, record_sent
from bot.briefings.recovery import METADATA_EVENT, HistoryCheck, history_client, is_transient, retry_after
from bot.slack.delivery import ClientFor, Destination, SlackDelivery, error_code
from bot.storage.ledger import Ledger
from bot.storage.records import Delivery, DeliveryStatus, Finished
from handlers.briefing import CHART_PART, ThreadedBriefing
from handlers.datasets import Datasets

logger = logging.getLogger("reset_bot.briefings")

#: The metadata event of a thread reply; its payload names the ledger row and the part. Not
#: `METADATA_EVENT`: a reply is never mistaken for a briefing's parent.
PART_EVENT = "reset_briefing_part"
PARENT_DELETED = "the parent message was deleted in Slack before its thread was complete; not reposted"
REPLIES_METHOD = "conversations.replies"  # rationed like conversations.history (see `_thread`)


@dataclass(frozen=True)
class Resume:
    """Where an earlier attempt left a threaded briefing: the parent's ts (None: it never went
    out, post the whole unit) and the parts already in its thread."""

    parent_ts: str | None = None
    done: dict[str, str] = field(default_factory=dict)


#: `resume_point`'s answer when Slack could not be asked: post nothing, retry later.
UNKNOWN = "unknown"


def parent_metadata(claim: Delivery) -> dict[str, Any]:
    return {"event_type": METADATA_EVENT, "event_payload": {"delivery_id": claim.id, "form": "threaded"}}


def part_metadata(claim: Delivery, part: str) -> dict[str, Any]:
    return {"event_type": PART_EVENT, "event_payload": {"delivery_id": claim.id, "part": part}}


class ThreadPoster:
    """Posts a threaded briefing's parts in order and finds, after a crash, which are missing."""

    def __init__(self, ledger: Ledger, delivery: SlackDelivery, history: HistoryCheck, client_for: ClientFor,
                 pacer: Pacer, sleep: Callable[[float], None] = time.sleep) -> None:
        self.ledger, self.delivery, self.history = ledger, delivery, history
        self.client_for, self.pacer, self.sleep = client_for, pacer, sleep

    # ---- posting ------------------------------------------------------------------------------
    def post(self, claim: Delivery, thread: ThreadedBriefing, dest: Destination, datasets: Datasets, *,
             headline: dict[str, Any], resume: Resume | None = None, recorder: Recorder | None = None,
             note: str | None = None) -> str:
        """Post what ``resume`` says is missing (everything, without it) and record the unit:
        SENT, or LOST if the claim was taken over meanwhile. Slack's errors are raised, after the
        parts that did go out are written to the row (the retry reads the thread anyway)."""
        workspace = claim.workspace
        client = self.client_for(workspace)
        resume = resume or Resume()
        problems: list[str] = []
        parent_ts = resume.parent_ts
        if parent_ts is None:
            posted = self.delivery.deliver(thread.parent, dest, datasets, metadata=parent_metadata(claim),
                                           client=client)
            problems += posted.problems
            if posted.ts is None:  # not in the channel (no chat post): nothing to thread under
                raise SlackClientError("the briefing's parent message was not posted")
            parent_ts = posted.ts
            if not self.ledger.record_parent(claim, parent_ts):
                logger.warning("delivery %s: claim taken over after its parent was posted", claim.id)
                return DeliveryResult.LOST  # the taker finds the parent by its metadata and finishes the thread
        done = dict(resume.done)
        try:
            for name, reply in thread.replies:
                if name not in done:
                    self.pacer.wait(claim.channel_id, workspace, messages=0, files=0)  # turns taken with the parent
                    text_only = reply.model_copy(update={"charts": ()})
                    posted = self.delivery.deliver(text_only, dest, datasets, metadata=part_metadata(claim, name),
                                                   client=client, thread_ts=parent_ts)
                    done[name] = posted.ts or ""
                chart = reply.charts[0] if reply.charts else None
                if chart is not None and CHART_PART not in done:
                    self.pacer.wait(claim.channel_id, workspace, messages=0, files=0)
                    try:
                        done[CHART_PART] = self.delivery.upload_chart(chart, dest, datasets, client=client,
                                                                      thread_ts=parent_ts)
                    except SlackApiError as exc:
                        if is_transient(exc):
                            raise
                        code = error_code(exc)  # Slack refused the file: the thread goes on without it
                        logger.warning("chart %s not uploaded to %s: %s", chart.key, claim.channel_id, code)
                        problems.append(f"upload:{code}")
                        done[CHART_PART] = ""
        except (SlackClientError, OSError):
            self._keep_parts(claim, done, resume)
            raise
        notes = ([note] if note else []) + problems
        outcome = Finished(DeliveryStatus.SENT, ts=parent_ts, error=";".join(notes) or None,
                           data_version=datasets.version, headline=headline, parts=done)
        return record_sent(self.ledger, claim, outcome, recorder)

    def _keep_parts(self, claim: Delivery, done: dict[str, str], resume: Resume) -> None:
        if done != resume.done:
            try:
                self.ledger.record_parts(claim, done)
            except Exception:  # the thread itself says what went out; the retry reads it
                logger.exception("could not record the thread parts of delivery %s", claim.id)

    # ---- after a crash or a failure ----------------------------------------------------------
    def resume_point(self, claim: Delivery, thread: ThreadedBriefing) -> Resume | str:
        """What an earlier attempt of ``claim`` left in Slack: a `Resume`, `UNKNOWN` when Slack
        could not be asked (post nothing), or `PARENT_DELETED` (the thread cannot be completed)."""
        parent_ts = claim.message_ts
        if parent_ts is None and not claim.may_have_posted:
            return Resume()  # no attempt got as far as calling Slack: the whole unit is posted
        if parent_ts is None:
            found = self.history.already_posted(claim, record=False)
            if found is None:
                return UNKNOWN
            if found is False:
                return Resume()  # the parent never went out: the whole unit is posted
            parent_ts = str(found)
            if not self.ledger.record_parent(claim, parent_ts):
                return UNKNOWN  # taken over again meanwhile: leave it to the new owner
        replies = self._thread(claim, parent_ts)
        if isinstance(replies, str):
            return replies
        done = dict(claim.parts or {})
        chart_file = thread.chart.filename if thread.chart is not None else None
        for msg in replies:
            meta = msg.get("metadata") or {}
            payload = meta.get("event_payload") or {}
            if meta.get("event_type") == PART_EVENT and payload.get("delivery_id") == claim.id:
                done[str(payload.get("part"))] = str(msg.get("ts", ""))
            for file in msg.get("files") or []:
                if chart_file is not None and file.get("name") == chart_file:
                    done[CHART_PART] = str(file.get("id", ""))
        return Resume(parent_ts, done)

    def _thread(self, claim: Delivery, parent_ts: str) -> list[dict[str, Any]] | str:
        """The first replies in the parent's thread, or `UNKNOWN` / `PARENT_DELETED`.

        ``conversations.replies`` has the same budget as ``conversations.history`` for apps outside
        the Marketplace (1 call a minute per workspace, at most 15 messages): one turn of the
        workspace's shared budget (`bot.storage.budgets`) per look, one page. The parts are posted
        seconds after their parent, so they are among its first replies, which Slack lists first;
        no turn, a 429 or an error is `UNKNOWN` (nothing is posted; the retry asks again)."""
        history = self.history
        turn = history.budgets.take(REPLIES_METHOD, claim.workspace, history.interval)
        if not turn.taken:
            logger.info("thread read for delivery %s waits for its turn (at %s)", claim.id, turn.next_at)
            history.later(claim, turn.next_at)  # the retry comes with that turn, not after the usual backoff
            return UNKNOWN
        client = history_client(self.client_for(claim.workspace))
        try:
            page = client.conversations_replies(channel=claim.channel_id, ts=parent_ts, include_all_metadata=True,
                                                limit=history.page)
        except SlackApiError as exc:
            if error_code(exc) == "thread_not_found":
                return PARENT_DELETED
            if getattr(exc.response, "status_code", 200) == 429 or error_code(exc) in ("ratelimited", "rate_limited"):
                until = history.clock() + retry_after(exc, history.interval)
                history.budgets.defer(REPLIES_METHOD, claim.workspace, until)
                history.later(claim, until)
            logger.warning("could not read the thread of delivery %s: %s", claim.id, error_code(exc))
            return UNKNOWN
        except (SlackClientError, OSError) as exc:
            logger.warning("could not read the thread of delivery %s: %s", claim.id, type(exc).__name__)
            return UNKNOWN
        found: list[dict[str, Any]] = page.get("messages", [])
        return [m for m in found if m.get("ts") != parent_ts]
