"""`metrics.alerts`: fire once per crossing, re-arm only from a newer observation back beyond the margin."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from metrics.alerts import AlertState, Observation, Threshold, decide, initial_state, is_back, is_beyond

BELOW_600 = Threshold(direction="below", level=600, margin=6)
ABOVE_5 = Threshold(direction="above", level=5.0, margin=0.15)


def run(threshold, state, observations):
    """Feed observations (period, value) in order; the actions taken."""
    actions = []
    for period, value in observations:
        decision = decide(state, threshold, Observation(period=period, value=value))
        actions.append(decision.action)
        state = decision.state
    return actions, state


def test_reaching_the_line_fires_and_the_side_matters():
    assert is_beyond(BELOW_600, 600) and is_beyond(BELOW_600, 599.9) and not is_beyond(BELOW_600, 600.1)
    assert is_beyond(ABOVE_5, 5.0) and not is_beyond(ABOVE_5, 4.99)


def test_coming_back_needs_more_than_the_margin():
    assert not is_back(BELOW_600, 606.0) and is_back(BELOW_600, 606.01)
    assert not is_back(ABOVE_5, 4.85) and is_back(ABOVE_5, 4.84)


def test_a_crossing_fires_once_however_long_the_series_stays_beyond():
    actions, state = run(BELOW_600, AlertState(phase="armed", since="2026-04"),
                         [("2026-05", 598), ("2026-06", 590), ("2026-07", 580)])
    assert actions == ["fire", "none", "none"] and state == AlertState(phase="fired", since="2026-05")


def test_the_same_observation_decided_twice_does_nothing_the_second_time():
    state = AlertState(phase="armed", since="2026-04")
    first = decide(state, BELOW_600, Observation(period="2026-05", value=598))
    assert first.action == "fire"
    assert decide(first.state, BELOW_600, Observation(period="2026-05", value=598)).action == "none"


def test_a_revision_back_and_forth_within_the_margin_does_not_flap():
    actions, _ = run(BELOW_600, AlertState(phase="armed", since="2026-04"),
                     [("2026-05", 598), ("2026-05", 603), ("2026-06", 604), ("2026-07", 597), ("2026-08", 605.5),
                      ("2026-09", 599)])
    assert actions == ["fire", "none", "none", "none", "none", "none"]


def test_back_beyond_the_margin_re_arms_and_the_next_crossing_fires_again():
    actions, state = run(BELOW_600, AlertState(phase="armed", since="2026-04"),
                         [("2026-05", 598), ("2026-06", 607), ("2026-07", 599)])
    assert actions == ["fire", "rearm", "fire"] and state == AlertState(phase="fired", since="2026-07")


def test_a_revision_of_the_fired_observation_neither_re_arms_nor_re_fires():
    state = AlertState(phase="fired", since="2026-05")
    assert decide(state, BELOW_600, Observation(period="2026-05", value=650)).action == "none"
    assert decide(state, BELOW_600, Observation(period="2026-04", value=650)).action == "none"  # older data


def test_daily_yields_hovering_at_the_line_fire_once():
    days = [("2026-08-03", 4.98), ("2026-08-04", 5.01), ("2026-08-05", 4.93), ("2026-08-06", 5.04),
            ("2026-08-07", 4.88), ("2026-08-10", 5.00)]
    actions, _ = run(ABOVE_5, AlertState(phase="armed", since="2026-07-31"), days)
    assert actions == ["none", "fire", "none", "none", "none", "none"]


def test_a_new_alert_already_past_its_line_starts_fired():
    assert initial_state(BELOW_600, Observation(period="2026-04", value=580)).phase == "fired"
    assert initial_state(BELOW_600, Observation(period="2026-04", value=651.1)) == AlertState(phase="armed",
                                                                                            since="2026-04")


def test_a_negative_margin_is_refused():
    with pytest.raises(ValidationError):
        Threshold(direction="above", level=5, margin=-0.1)
