"""Verdicts on the thesis' claims against official figures.

The rule, in full:

* no official figure to compare with → ``"no_primary_source"``;
* **levels** (`judge_level`): relative deviation d = 100 × |claimed − official| / |official|;
  d <= tolerance → ``"confirmed"``; d <= 2 × tolerance → ``"partly"``; else
  ``"not_supported"``;
* **directions** (`judge_direction`): the official change counts as flat (sign 0) when its size
  is at most ``flat_band``; same sign as claimed → ``"confirmed"``; one side flat and the other
  not → ``"partly"``; opposite signs → ``"not_supported"``.

A verdict is only as good as the official figure and the tolerance chosen for it; both belong
in the reply beside the verdict.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from metrics._base import check_finite, check_non_negative

__all__ = [
    "Verdict",
    "judge_against_range",
    "judge_count",
    "judge_direction",
    "judge_level",
    "judge_only_one",
    "judge_steady_decline",
    "judge_threshold",
    "relative_deviation_pct",
]

Verdict = Literal["confirmed", "partly", "not_supported", "no_primary_source"]


def relative_deviation_pct(claimed: float, official: float) -> float:
    """How far a claimed level is from the official one, in percent of the official level.

    Parameters
    ----------
    claimed, official : float
        The two levels, in the same unit (e.g. $ billions, or percent).

    Returns
    -------
    float
        ``100 * |claimed - official| / |official|``, >= 0.

    Raises
    ------
    ValueError
        If ``official`` is zero (a relative deviation is undefined) or an input is not finite.

    Notes
    -----
    Symmetric in sign: a claim of −28 against −27.61 deviates by 1.4%.

    References
    ----------
    Reset Bot claim rules (this module's docstring).

    Examples
    --------
    The seed's "$68.9T foreign-owned" against BEA's $68.89T (2025 Q3 liabilities):

    >>> round(relative_deviation_pct(68.9, 68.89), 3)
    0.015
    """
    c = check_finite("claimed", claimed)
    o = check_finite("official", official)
    if o == 0:
        raise ValueError("the official value is zero, so a relative deviation is undefined")
    return 100.0 * abs(c - o) / abs(o)


def judge_level(claimed: float, official: float | None, tolerance_pct: float) -> Verdict:
    """Judge a claimed level against the official figure.

    Parameters
    ----------
    claimed : float
        The claimed value.
    official : float or None
        The official value in the same unit; None when no primary source was found.
    tolerance_pct : float
        Accepted relative deviation, percent of the official value, in (0, 100].

    Returns
    -------
    Verdict
        ``"confirmed"``, ``"partly"``, ``"not_supported"`` or ``"no_primary_source"``.

    Raises
    ------
    ValueError
        If the tolerance is not in (0, 100], or as `relative_deviation_pct` (official = 0).

    Notes
    -----
    With d = `relative_deviation_pct` (claimed, official):
    ``confirmed`` if d <= tol; ``partly`` if tol < d <= 2 tol; ``not_supported`` otherwise.

    References
    ----------
    Reset Bot claim rules (this module's docstring); official figures per the fact sheet.

    Examples
    --------
    "Gap ~$28T" against BEA's −$27.61T (2025 Q3), 5% tolerance; Citi's "80%" against the
    79.1% reproduced from TIC; "$8T refinancing" with no primary source:

    >>> judge_level(-28, -27.61, 5), judge_level(80, 79.1, 1), judge_level(8000, None, 5)
    ('confirmed', 'partly', 'no_primary_source')
    """
    tolerance = check_finite("tolerance_pct", tolerance_pct)
    if not 0 < tolerance <= 100:
        raise ValueError(
            f"tolerance_pct is in percent and must be in (0, 100], got {tolerance_pct!r}"
        )
    if official is None:
        check_finite("claimed", claimed)
        return "no_primary_source"
    deviation = relative_deviation_pct(claimed, official)
    if deviation <= tolerance:
        return "confirmed"
    if deviation <= 2 * tolerance:
        return "partly"
    return "not_supported"


def _sign(value: float) -> int:
    return 0 if value == 0 else int(math.copysign(1, value))


def judge_direction(
    claimed_sign: int, official_change: float | None, *, flat_band: float = 0.0
) -> Verdict:
    """Judge a claimed direction of change ("X cut its holdings") against the official change.

    Parameters
    ----------
    claimed_sign : int
        +1 (rose), −1 (fell) or 0 (roughly unchanged).
    official_change : float or None
        The official change in any unit (e.g. $ billions); None when no primary source.
    flat_band : float, default 0
        Official changes with absolute size <= ``flat_band`` (same unit) count as flat.

    Returns
    -------
    Verdict

    Raises
    ------
    ValueError
        If ``claimed_sign`` is not −1, 0 or +1, ``flat_band`` is negative, or the change is
        not finite.

    Notes
    -----
    ``official_sign = 0 if |change| <= flat_band else sign(change)``;
    equal signs → ``confirmed``; exactly one of the two is 0 → ``partly``; opposite →
    ``not_supported``.

    References
    ----------
    Reset Bot claim rules; TIC mfhhis01: Saudi Arabia 118.9 (Dec 2015) → 149.5 (Dec 2025).

    Examples
    --------
    "Saudi Arabia cut its Treasuries" against +30.6 $bn; "China cut" against −562.6 $bn:

    >>> judge_direction(-1, 30.6), judge_direction(-1, -562.6)
    ('not_supported', 'confirmed')
    """
    if isinstance(claimed_sign, bool) or claimed_sign not in (-1, 0, 1):
        raise ValueError(f"claimed_sign must be -1, 0 or +1, got {claimed_sign!r}")
    band = check_non_negative("flat_band", flat_band)
    if official_change is None:
        return "no_primary_source"
    change = check_finite("official_change", official_change)
    official_sign = 0 if abs(change) <= band else _sign(change)
    if official_sign == claimed_sign:
        return "confirmed"
    if official_sign == 0 or claimed_sign == 0:
        return "partly"
    return "not_supported"


def judge_count(moved: int, total: int) -> Verdict:
    """Judge a claim about several items ("China and Japan are backing away") by how many bear it out.

    Parameters
    ----------
    moved : int
        Items for which the claim holds (0 <= moved <= total).
    total : int
        Items the claim names, >= 1.

    Returns
    -------
    Verdict
        ``"confirmed"`` if all hold, ``"partly"`` if some do, ``"not_supported"`` if none does.

    Raises
    ------
    ValueError
        If ``total < 1`` or ``moved`` is outside 0..total.

    Notes
    -----
    A share of items, not of amounts: a small mover counts as much as a large one.

    References
    ----------
    Reset Bot claim rules (``holders_change`` in handlers/topics/claims.py).

    Examples
    --------
    China fell and Japan rose in 2025 (TIC), for "China and Japan are backing away":

    >>> judge_count(1, 2), judge_count(2, 2), judge_count(0, 2)
    ('partly', 'confirmed', 'not_supported')
    """
    if total < 1 or not 0 <= moved <= total:
        raise ValueError(f"need 0 <= moved <= total and total >= 1, got {moved} of {total}")
    return "confirmed" if moved == total else ("partly" if moved else "not_supported")


def judge_threshold(value: float, confirmed_above: float, partly_above: float) -> Verdict:
    """Judge a claim defined by a threshold ("the primary financier" = a share above 50%).

    Parameters
    ----------
    value : float
        The official measure, in the unit of the thresholds (e.g. percent).
    confirmed_above, partly_above : float
        Thresholds, ``partly_above <= confirmed_above``.

    Returns
    -------
    Verdict
        ``"confirmed"`` if value > confirmed_above, ``"partly"`` if value > partly_above,
        else ``"not_supported"``.

    Raises
    ------
    ValueError
        If an input is not finite or the thresholds are in the wrong order.

    Notes
    -----
    Strict inequalities: a value exactly at a threshold falls to the lower verdict.

    References
    ----------
    Reset Bot claim rules (``primary_financier``: 50% / 25%).

    Examples
    --------
    >>> judge_threshold(60, 50, 25), judge_threshold(30, 50, 25), judge_threshold(-5, 50, 25)
    ('confirmed', 'partly', 'not_supported')
    """
    v = check_finite("value", value)
    hi = check_finite("confirmed_above", confirmed_above)
    lo = check_finite("partly_above", partly_above)
    if lo > hi:
        raise ValueError(f"partly_above ({lo}) must not exceed confirmed_above ({hi})")
    return "confirmed" if v > hi else ("partly" if v > lo else "not_supported")


def judge_only_one(own_change: float, others_that_rose: int) -> Verdict:
    """Judge "X is the last man standing" (the only one of a group that added).

    Parameters
    ----------
    own_change : float
        X's official change over the window (any unit, e.g. $ billions).
    others_that_rose : int
        How many of the group's other members rose over the same window (>= 0).

    Returns
    -------
    Verdict
        ``"not_supported"`` if X did not rise or more than one other did; ``"partly"`` if
        exactly one other did; ``"confirmed"`` if none did.

    Raises
    ------
    ValueError
        If ``others_that_rose`` is negative or ``own_change`` not finite.

    Notes
    -----
    "Only" tolerates one exception as ``partly``; the group is chosen by the caller.

    References
    ----------
    Reset Bot claim rules (``only_buyer`` in handlers/topics/claims.py).

    Examples
    --------
    >>> judge_only_one(200.0, 0), judge_only_one(200.0, 1), judge_only_one(200.0, 3), judge_only_one(-1.0, 0)
    ('confirmed', 'partly', 'not_supported', 'not_supported')
    """
    change = check_finite("own_change", own_change)
    if others_that_rose < 0:
        raise ValueError(f"others_that_rose must be >= 0, got {others_that_rose}")
    if change <= 0 or others_that_rose > 1:
        return "not_supported"
    return "partly" if others_that_rose else "confirmed"


def judge_steady_decline(levels: Sequence[float], min_share_of_falls: float = 0.7) -> tuple[Verdict, int, int]:
    """Judge "X has steadily declined" from a series of levels at equal intervals.

    Parameters
    ----------
    levels : sequence of float
        The levels in time order (e.g. $ billions each December), at least two.
    min_share_of_falls : float, default 0.7
        Share of steps (0–1) that must be falls for "steadily".

    Returns
    -------
    (Verdict, falls, steps)
        ``"confirmed"`` if the last level is below the first and at least
        ``min_share_of_falls`` of the steps fell; ``"partly"`` if it fell overall only;
        ``"not_supported"`` otherwise; with the number of falls and of steps.

    Raises
    ------
    ValueError
        If fewer than two levels are given or one is not finite.

    Notes
    -----
    falls = #{i : levels[i+1] < levels[i]}, steps = len(levels) − 1.

    References
    ----------
    Reset Bot claim rules (``steady_decline`` in handlers/topics/claims.py).

    Examples
    --------
    >>> judge_steady_decline([10, 9, 8, 9, 7])
    ('confirmed', 3, 4)
    >>> judge_steady_decline([10, 11, 12, 9])
    ('partly', 1, 3)
    """
    values = [check_finite("level", v) for v in levels]
    if len(values) < 2:
        raise ValueError("a decline needs at least two levels")
    falls = sum(b < a for a, b in zip(values, values[1:]))
    steps = len(values) - 1
    if values[-1] >= values[0]:
        return "not_supported", falls, steps
    return ("confirmed" if falls / steps >= min_share_of_falls else "partly"), falls, steps


def judge_against_range(claimed: float, low: float, high: float) -> Verdict:
    """Judge a claimed model outcome ("yields would jump 100 bp") against a model's range.

    A model's range is not a measurement, so nothing is ``"confirmed"`` by it: a claim inside
    [low, high] is ``"partly"`` (possible on the model's assumptions), outside it ``"not_supported"``.

    Parameters
    ----------
    claimed : float
        The claimed outcome, in the range's unit (e.g. basis points).
    low, high : float
        The model's low and high case, ``low <= high``.

    Returns
    -------
    Verdict

    Raises
    ------
    ValueError
        If an input is not finite or ``low > high``.

    Notes
    -----
    Inclusive bounds: ``low <= claimed <= high`` → ``partly``.

    References
    ----------
    Reset Bot claim rules (``shock_range`` in handlers/topics/claims.py); the model is metrics.shock.

    Examples
    --------
    The article's +100 bp for an EU sale of 20% against a peak range of +4 to +29 bp:

    >>> judge_against_range(100, 4, 29), judge_against_range(20, 4, 29)
    ('not_supported', 'partly')
    """
    c = check_finite("claimed", claimed)
    lo, hi = check_finite("low", low), check_finite("high", high)
    if lo > hi:
        raise ValueError(f"low ({lo}) must not exceed high ({hi})")
    return "partly" if lo <= c <= hi else "not_supported"
