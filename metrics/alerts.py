"""Threshold alerts: when a series crosses a line, and when it has come back far enough to re-arm.

An alert watches one series (a value in its own unit: $bn, percent, percent of GDP) against a
`Threshold` — a direction, a level and a re-arm ``margin`` in the same unit. The state machine:

* **armed** → **fired** when an observation *reaches* the level: ``value >= level`` for
  ``above``, ``value <= level`` for ``below`` (touching the line counts as crossing it);
* **fired** → **armed** only once an observation is back on the other side *by the margin*:
  ``value < level - margin`` for ``above``, ``value > level + margin`` for ``below``. Values in
  between (within the margin) change nothing, so a series hovering at the line, or revised back
  and forth across it by less than the margin, fires once — hysteresis, as in a thermostat.

Every transition needs an observation *newer* than the one of the previous transition
(``Observation.period`` compared as text: ``YYYY-MM``, ``YYYYQn`` and ISO dates sort in time
order). A revision of the very observation an alert fired on therefore neither re-arms nor
re-fires it, and a process still serving older data than the one that fired cannot undo it.

Formula: fire ⇔ armed ∧ period > since ∧ s·(value − level) ≥ 0; re-arm ⇔ fired ∧ period > since
∧ s·(level − value) > margin, with s = +1 for ``above`` and −1 for ``below``. Reference: the
hysteresis ("deadband") of alerting systems, e.g. Prometheus' ``for`` and Metabase goal alerts'
"only the first time" (metabase#7331); the margins per series are chosen in `handlers.alerts`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from metrics._base import FrozenModel

__all__ = ["AlertState", "Decision", "Direction", "Observation", "Phase", "Threshold", "decide", "initial_state",
           "is_back", "is_beyond"]

#: Below this, a difference is binary floating point's, not the data's (5.0 − 4.85 = 0.15000000000000036).
_EPSILON = 1e-9

Direction = Literal["above", "below"]
Phase = Literal["armed", "fired"]


class Threshold(FrozenModel):
    """The line and how far back the series must come before the alert can fire again."""

    direction: Direction
    level: float  # in the series' unit ($bn, percent, percent of GDP)
    margin: float = Field(ge=0)  # same unit; 0 re-arms as soon as the series is strictly back


class Observation(FrozenModel):
    """The newest value of the series in the data in service, with its period."""

    period: str  # "2026-04" (month), "2025Q3" (quarter) or "2026-07-28" (day)
    value: float


class AlertState(FrozenModel):
    """Where an alert is: armed (waiting for a crossing) or fired, since which observation."""

    phase: Phase
    since: str = ""  # the observation period of the last transition ("" = none yet)


class Decision(FrozenModel):
    """What one observation does to an alert, and the state after it."""

    action: Literal["fire", "rearm", "none"]
    state: AlertState  # the state after the decision (unchanged for "none")


def is_beyond(threshold: Threshold, value: float) -> bool:
    """Has ``value`` reached the line (touching it counts)?

    Parameters
    ----------
    threshold : Threshold
        The direction and level.
    value : float
        An observation, in the threshold's unit.

    Returns
    -------
    bool
        ``value >= level`` for ``above``, ``value <= level`` for ``below``.

    Notes
    -----
    Reaching the line fires: "the 10-year at 5.00%" is what someone watching for 5% wants to hear.

    References
    ----------
    The module docstring (the state machine).

    Examples
    --------
    >>> is_beyond(Threshold(direction="below", level=600, margin=6), 600.0)
    True
    >>> is_beyond(Threshold(direction="above", level=5, margin=0.15), 4.99)
    False
    """
    if threshold.direction == "above":
        return value >= threshold.level
    return value <= threshold.level


def is_back(threshold: Threshold, value: float) -> bool:
    """Is ``value`` back on the other side of the line by more than the margin?

    Parameters
    ----------
    threshold : Threshold
        The direction, level and re-arm margin.
    value : float
        An observation, in the threshold's unit.

    Returns
    -------
    bool
        ``level - value > margin`` for ``above``, ``value - level > margin`` for ``below``.

    Notes
    -----
    The margin is the hysteresis band: values inside it neither fire nor re-arm.

    References
    ----------
    The module docstring (the state machine).

    Examples
    --------
    >>> t = Threshold(direction="below", level=600, margin=6)
    >>> is_back(t, 605.9), is_back(t, 606.1)
    (False, True)
    """
    if threshold.direction == "above":
        return threshold.level - value > threshold.margin + _EPSILON
    return value - threshold.level > threshold.margin + _EPSILON


def initial_state(threshold: Threshold, latest: Observation) -> AlertState:
    """The state of a new alert: armed, unless the series is already beyond the line — then it
    counts as fired on the latest observation and fires again only after coming back by the margin.

    Parameters
    ----------
    threshold : Threshold
        The new alert's line.
    latest : Observation
        The newest observation when the alert is set.

    Returns
    -------
    AlertState
        ``fired`` if `is_beyond`, else ``armed``; ``since`` the latest period either way, so the
        first firing needs a newer observation.

    Notes
    -----
    Setting an alert never posts: a line already crossed is not news to the person setting it.

    References
    ----------
    The module docstring (the state machine).

    Examples
    --------
    >>> initial_state(Threshold(direction="below", level=800, margin=8), Observation(period="2026-04", value=757.3))
    AlertState(phase='fired', since='2026-04')
    """
    return AlertState(phase="fired" if is_beyond(threshold, latest.value) else "armed", since=latest.period)


def decide(state: AlertState, threshold: Threshold, latest: Observation) -> Decision:
    """Fire, re-arm or nothing, given the state and the newest observation.

    Parameters
    ----------
    state : AlertState
        The alert's phase and the period of its last transition.
    threshold : Threshold
        The line and the re-arm margin.
    latest : Observation
        The newest observation in the data in service.

    Returns
    -------
    Decision
        ``fire`` (armed, newer observation, beyond the line), ``rearm`` (fired, newer observation,
        back by more than the margin) or ``none``, with the state after it.

    Notes
    -----
    Deciding the same observation twice gives ``none`` the second time (its period is not newer).

    References
    ----------
    The module docstring (the state machine and its formula).

    Examples
    --------
    >>> t = Threshold(direction="below", level=600, margin=6)
    >>> armed = AlertState(phase="armed", since="2026-04")
    >>> decide(armed, t, Observation(period="2026-05", value=598.0)).action
    'fire'
    >>> decide(armed, t, Observation(period="2026-04", value=598.0)).action  # not a newer observation
    'none'
    >>> fired = AlertState(phase="fired", since="2026-05")
    >>> [decide(fired, t, Observation(period="2026-06", value=v)).action for v in (603.0, 606.5)]
    ['none', 'rearm']
    """
    if latest.period <= state.since:
        return Decision(action="none", state=state)
    if state.phase == "armed" and is_beyond(threshold, latest.value):
        return Decision(action="fire", state=AlertState(phase="fired", since=latest.period))
    if state.phase == "fired" and is_back(threshold, latest.value):
        return Decision(action="rearm", state=AlertState(phase="armed", since=latest.period))
    return Decision(action="none", state=state)
