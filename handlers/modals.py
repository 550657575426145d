"""The bot's modals as pure values: Block Kit views in, and submissions read back into queries.

Two forms, each with one reader that turns a submitted ``view.state.values`` into either the
query the typed command would have produced or ``{block_id: message}`` for Slack to show under
the fields (``response_action: "errors"``):

* the **briefing form** (`/reset subscribe` with no words): weekday, a time picker, a time zone
  (the user's Slack zone by default) and the briefing's form (threaded or one message);
* the **scenario builder** ("Build a scenario…" on a shock reply, or the global shortcut):
  up to `MAX_LEGS` holders with a percent each, sell or pause, the execution window, the
  reinvested share and the Fed backstop — exactly the options of `/reset shock` and nothing else
  (`handlers.queries.ShockQuery`; the model has no other knobs).

One set of rules: a reader does not validate anything itself. It writes the submitted values as
the words of the typed command and hands them to `handlers.parsing.parse` — field by field first,
so that an error lands under the field that caused it, then all together. A forged submission
(a day that is not a day, a holder key that does not exist) is refused by the parser like a typo.

Where the answer goes travels in the view's ``private_metadata`` (`Origin`): the channel and
workspace the form was opened from, and the response_url of the command or click that opened it,
so a reply can still reach a private channel the bot is not in. Nothing here talks to Slack.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    ConversationFilter,
    ConversationSelectElement,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
    TimePickerElement,
)
from slack_sdk.models.views import View

from handlers.errors import UsageError
from handlers.holders import HolderRegistry
from handlers.parsing import MAX_SCENARIO_MONTHS, parse, usage
from handlers.queries import ShockQuery, SubscribeQuery
from handlers.subscriptions import DAY_NAMES

SUBSCRIBE_CALLBACK = "reset_subscribe_form"
SCENARIO_CALLBACK = "reset_scenario_form"
#: The global shortcut's callback id (manifest.yml, features.shortcuts).
SCENARIO_SHORTCUT = "reset_scenario"
#: action_id of the "Build a scenario…" button on shock replies; its value is the scenario as a command
#: (``shock eu 20% over 6 months``), which prefills the form (and reads as a command in the shell).
SCENARIO_BUTTON = "reset_scenario_open"

DEFAULT_DAY = "mon"  # the typed command's defaults (handlers.queries.SubscribeQuery)
DEFAULT_TIME = "09:00"
MAX_LEGS = 3  # holders in one scenario form; the typed command takes more, a form this many
MONTH_CHOICES = (1, 3, 6, 12, 24, 36, MAX_SCENARIO_MONTHS)
DEFAULT_MONTHS = "default"
REINVEST_STEP = 5  # the parser rounds the reinvested share to 5% steps; the form offers those

# Block ids: the keys of view.state.values and of a "response_action: errors" answer.
DAY, TIME, ZONE, FORM = "sub_day", "sub_time", "sub_zone", "sub_form"
WHERE, MODE, MONTHS, REINVEST, FED = "where", "mode", "months", "reinvest", "fed"
FORMS = {"threaded": "Headline, with the details in its thread", "flat": "One message"}
NO_THREADS = ("This build posts each briefing as one message; threads are not available yet. "
              "Choose One message.")
#: Slack shows an inline error under its field; it has room for a sentence or two.
MAX_ERROR_CHARS = 300


def holder_block(n: int) -> str:
    return f"leg_{n}_holder"


def percent_block(n: int) -> str:
    return f"leg_{n}_percent"


@dataclass(frozen=True)
class Origin:
    """Where a form's answer goes: the conversation and workspace it came from, and the
    response_url of the command or click that opened it (None when there was none)."""

    channel_id: str
    team_id: str
    enterprise_id: str | None = None
    response_url: str | None = None

    def metadata(self) -> str:
        """For ``private_metadata`` (at most 3,000 characters; a response_url is ~100)."""
        return json.dumps({"c": self.channel_id, "t": self.team_id, "e": self.enterprise_id,
                           "r": self.response_url}, separators=(",", ":"))


def read_origin(private_metadata: object) -> Origin | None:
    """The `Origin` a view carries, or None (a view opened without one: the global shortcut)."""
    if not isinstance(private_metadata, str) or not private_metadata:
        return None
    try:
        raw = json.loads(private_metadata)
    except ValueError:
        return None
    if not isinstance(raw, dict):
        return None
    channel, team = raw.get("c"), raw.get("t")
    if not isinstance(channel, str) or not channel or not isinstance(team, str):
        return None
    enterprise, url = raw.get("e"), raw.get("r")
    return Origin(channel, team, enterprise if isinstance(enterprise, str) else None,
                  url if isinstance(url, str) else None)


# ---- the briefing form ------------------------------------------------------------------------

def subscribe_modal(origin: Origin, timezone: str, *, timezone_known: bool = True,
                    threads: bool | None = None) -> dict[str, Any]:
    """The briefing form for ``origin``'s channel. ``timezone``: the user's Slack zone (UTC and
    ``timezone_known=False`` when it could not be read); ``threads``: whether the command
    language knows `flat`/`threaded` (`grammar_has_forms`, asked when None)."""
    threads = grammar_has_forms() if threads is None else threads
    days = [Option(value=key, label=name) for key, name in DAY_NAMES.items()]
    forms = [Option(value=key, label=label) for key, label in FORMS.items()]
    zone_hint = ("An IANA city zone, e.g. Europe/London or America/New_York; the time above is read in it."
                 if timezone_known else
                 "I couldn't read your Slack time zone, so this says UTC: write yours, e.g. Europe/London.")
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=f"A weekly Reset Bot briefing in <#{origin.channel_id}>.")),
        InputBlock(block_id=DAY, label="Day", element=StaticSelectElement(
            action_id="day", options=days, initial_option=days[list(DAY_NAMES).index(DEFAULT_DAY)])),
        InputBlock(block_id=TIME, label="Time", element=TimePickerElement(
            action_id="time", initial_time=DEFAULT_TIME, timezone=timezone)),
        InputBlock(block_id=ZONE, label="Time zone", hint=zone_hint, element=PlainTextInputElement(
            action_id="zone", initial_value=timezone, max_length=64)),
        InputBlock(block_id=FORM, label="Form", element=RadioButtonsElement(
            action_id="form", options=forms, initial_option=forms[0] if threads else forms[1])),
        ContextBlock(elements=[MarkdownTextObject(
            text="The same as typing `/reset subscribe weekly fri 16:30 Europe/London`.")]),
    ]
    return _view(SUBSCRIBE_CALLBACK, "Weekly briefing", "Subscribe", blocks, origin.metadata())


def read_subscribe(values: Mapping[str, Any], holders: HolderRegistry) -> SubscribeQuery | dict[str, str]:
    """The submitted briefing form as the typed command's query, or errors by block id."""
    errors: dict[str, str] = {}
    day = _selected(values, DAY, "day")
    at = _field(values, TIME, "time", "selected_time")
    zone = (_field(values, ZONE, "zone", "value") or "").strip()
    form = _selected(values, FORM, "form")
    words: list[str] = []
    checks = [(DAY, day, "Pick a day.", "day"), (TIME, at, "Pick a time.", "at"), (ZONE, zone, "Write a time zone, "
              "e.g. Europe/London.", "timezone")]
    for block, word, missing, field in checks:
        if not word:
            errors[block] = missing
        elif len(word.split()) != 1:
            errors[block] = f"Write one word here, e.g. {'Europe/London' if block == ZONE else 'Friday'}."
        else:
            failed = _parse_error(f"subscribe {word}", holders, "subscribe", lambda q, f=field: getattr(q, f, None))
            if failed:
                errors[block] = failed
            else:
                words.append(word)
    if form not in FORMS:
        errors[FORM] = "Choose how the briefing is posted."
    elif grammar_has_forms():
        words.append(form)
    elif form != "flat":
        errors[FORM] = NO_THREADS
    if errors:
        return errors
    try:
        query = parse("subscribe weekly " + " ".join(words), holders)
    except UsageError as exc:
        return {DAY: _inline(str(exc), "subscribe")}
    assert isinstance(query, SubscribeQuery)  # "subscribe …" parses to a SubscribeQuery or raises
    return query


def grammar_has_forms() -> bool:
    """Whether `/reset subscribe` takes `flat` and `threaded` (the threads feature adds them)."""
    try:
        return all(parse(f"subscribe {word}", _NO_HOLDERS) is not None for word in FORMS)
    except UsageError:
        return False


# ---- the scenario builder ---------------------------------------------------------------------

def scenario_modal(holders: HolderRegistry, origin: Origin | None, prefill: ShockQuery | None = None) -> dict[str, Any]:
    """The scenario builder. With ``origin`` (the button on a reply) the answer goes to that
    conversation; without (the global shortcut, which has none) the form asks where, defaulting
    to the conversation the user is in, with ``response_url_enabled`` so that the answer can be
    posted there even when the bot is not a member."""
    legs = [(prefill.holder, prefill.percent), *prefill.others] if prefill else []
    options = [Option(value=key, label=_cut(holders.get(key).title, 75)) for key in holders.keys()]
    by_key = {o.value: o for o in options}
    blocks: list[Any] = []
    if origin is None:
        blocks.append(InputBlock(block_id=WHERE, label="Post the answer in", element=ConversationSelectElement(
            action_id="where", default_to_current_conversation=True, response_url_enabled=True,
            filter=ConversationFilter(include=["public", "private", "im", "mpim"], exclude_bot_users=True))))
    else:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"The answer is posted in <#{origin.channel_id}>.")))
    for n in range(1, MAX_LEGS + 1):
        key, percent = legs[n - 1] if n <= len(legs) else (None, None)
        first = n == 1
        blocks.append(InputBlock(
            block_id=holder_block(n), label="Holder" if first else f"Holder {n} (optional)", optional=not first,
            element=StaticSelectElement(action_id="holder", options=options, placeholder="Choose a holder",
                                        initial_option=by_key.get(key) if key else None)))
        blocks.append(InputBlock(
            block_id=percent_block(n), label="Share of its Treasuries, %" if first else f"Holder {n}'s share, %",
            optional=not first, element=NumberInputElement(
                action_id="percent", is_decimal_allowed=True, min_value="0", max_value="100",
                initial_value=f"{percent:g}" if percent is not None else None)))
    modes = [Option(value="sell", label="Sell the holdings"), Option(value="pause", label="Stop buying (pause)")]
    months = [Option(value=DEFAULT_MONTHS, label="Default: 1 month to sell, 12 to pause")] + [
        Option(value=str(m), label=f"Over {m} month{'s' if m > 1 else ''}") for m in MONTH_CHOICES]
    shares = [Option(value=str(p), label=f"{p}%") for p in range(0, 101, REINVEST_STEP)]
    fed = Option(value="fed", label="The Fed / FIMA backstops the market, as in March 2020")
    chosen_months = str(prefill.months) if prefill and prefill.months in MONTH_CHOICES else DEFAULT_MONTHS
    chosen_share = str(int(prefill.reinvest_pct)) if prefill and prefill.reinvest_pct % REINVEST_STEP == 0 else "0"
    blocks += [
        InputBlock(block_id=MODE, label="What they do", element=RadioButtonsElement(
            action_id="mode", options=modes, initial_option=modes[1 if prefill and prefill.mode == "pause" else 0])),
        InputBlock(block_id=MONTHS, label="Execution window", element=StaticSelectElement(
            action_id="months", options=months, initial_option=next(o for o in months if o.value == chosen_months))),
        InputBlock(block_id=REINVEST, label="Share kept in other dollar duration assets", element=StaticSelectElement(
            action_id="reinvest", options=shares, initial_option=next(o for o in shares if o.value == chosen_share))),
        InputBlock(block_id=FED, label="Backstop", optional=True, element=CheckboxesElement(
            action_id="fed", options=[fed], initial_options=[fed] if prefill and prefill.fed else None)),
        ContextBlock(elements=[MarkdownTextObject(
            text="The same as `/reset shock eu 20% japan 10% over 6 months reinvest 50% with fed`; "
                 "these are every option the scenario model has.")]),
    ]
    return _view(SCENARIO_CALLBACK, "Build a scenario", "Run it", blocks, origin.metadata() if origin else "")


def read_scenario(values: Mapping[str, Any], holders: HolderRegistry) -> ShockQuery | dict[str, str]:
    """The submitted scenario as the typed command's query, or errors by block id."""
    errors: dict[str, str] = {}
    legs: list[str] = []
    for n in range(1, MAX_LEGS + 1):
        key = _selected(values, holder_block(n), "holder")
        percent = (_field(values, percent_block(n), "percent", "value") or "").strip()
        if not key and not percent:
            if n == 1:
                errors[holder_block(n)] = "Choose a holder."
            continue
        if not key:
            errors[holder_block(n)] = "Whose holdings? Choose a holder for this percent."
            continue
        if not percent:
            errors[percent_block(n)] = "How much of its holdings? Give a percent."
            continue
        words = f"{key} {percent}%"
        failed = _parse_error(f"shock {words}", holders, "shock")
        if failed:
            errors[holder_block(n) if "Treasury holdings for" in failed else percent_block(n)] = failed
        else:
            legs.append(words)
    options: list[tuple[str, str]] = []
    mode = _selected(values, MODE, "mode")
    if mode not in ("sell", "pause"):
        errors[MODE] = "Choose sell or pause."
    else:
        options.append((MODE, mode))
    months = _selected(values, MONTHS, "months") or DEFAULT_MONTHS
    if months != DEFAULT_MONTHS:
        options.append((MONTHS, f"over {months} months"))
    share = _selected(values, REINVEST, "reinvest") or "0"
    if share != "0":
        options.append((REINVEST, f"reinvest {share}%"))
    checked = _field(values, FED, "fed", "selected_options") or []
    if any(isinstance(o, dict) and o.get("value") == "fed" for o in checked):
        options.append((FED, "with fed"))
    for block, words in options:  # each option on its own, after a leg the parser accepts
        failed = _parse_error(f"shock eu 1% {words}", holders, "shock")
        if failed:
            errors[block] = failed
    if errors:
        return errors
    try:
        query = parse("shock " + " ".join(legs + [words for _, words in options]), holders)
    except UsageError as exc:  # what only the whole says: two holders that overlap, a total with others
        return {holder_block(1): _inline(str(exc), "shock")}
    assert isinstance(query, ShockQuery)  # "shock …" parses to a ShockQuery or raises
    return query


def scenario_button(command: str) -> ActionsBlock:
    """The "Build a scenario…" button for a shock reply; ``command`` (``shock …``) prefills the form."""
    return ActionsBlock(block_id="scenario_builder", elements=[
        ButtonElement(text="Build a scenario…", action_id=SCENARIO_BUTTON, value=command[:2000])])


def selected_conversation(values: Mapping[str, Any]) -> str | None:
    """The conversation chosen in the scenario builder opened from the global shortcut."""
    found = _field(values, WHERE, "where", "selected_conversation")
    return found if isinstance(found, str) and found else None


# ---- helpers ----------------------------------------------------------------------------------

class _NoHolders(HolderRegistry):
    def __init__(self) -> None:
        super().__init__([], {})


_NO_HOLDERS = _NoHolders()


def _view(callback_id: str, title: str, submit: str, blocks: Sequence[Any], metadata: str) -> dict[str, Any]:
    view = View(type="modal", callback_id=callback_id, title=title, submit=submit, close="Cancel",
                blocks=list(blocks), private_metadata=metadata)
    view.validate_json()
    return view.to_dict()


def _field(values: Mapping[str, Any], block: str, action: str, key: str) -> Any:
    element = (values.get(block) or {}).get(action) if isinstance(values.get(block), dict) else None
    return element.get(key) if isinstance(element, dict) else None


def _selected(values: Mapping[str, Any], block: str, action: str) -> str | None:
    option = _field(values, block, action, "selected_option")
    value = option.get("value") if isinstance(option, dict) else None
    return value if isinstance(value, str) and value else None


def _parse_error(text: str, holders: HolderRegistry, topic: str, reads: Any = None) -> str | None:
    """The parser's message for ``text``, fit for an inline error; None when it parses (and, with
    ``reads``, the query has the field: a time typed as a day is no day)."""
    try:
        query = parse(text, holders)
    except UsageError as exc:
        return _inline(str(exc), topic)
    if reads is not None and reads(query) is None:
        return "That is not what this field asks for."
    return None


def _inline(message: str, topic: str) -> str:
    """A parser message as an inline error: without the usage line and the Markdown backticks."""
    text = message.replace(usage(topic), "").replace("`", "").strip()
    text = re.sub(r"\s+", " ", text)
    return _cut(text, MAX_ERROR_CHARS)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
