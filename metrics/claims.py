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
from typing import Literal

from metrics._base import check_finite, check_non_negative

__all__ = ["Verdict", "judge_direction", "judge_level", "relative_deviation_pct"]

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
