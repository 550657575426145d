"""Shared plumbing for `metrics`: the frozen base model and argument checks.

Private: nothing here is part of the public API (see ``metrics.__all__``).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable

import pandas as pd
from pydantic import BaseModel, ConfigDict

__all__: list[str] = []

#: A period label in an index: "2025-09", "2025Q3" or a year such as 2024.
Label = str | int


class FrozenModel(BaseModel):
    """Base for every input and output model: immutable, no extra fields, no NaN or inf."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


def check_finite(name: str, value: float) -> float:
    """Return ``float(value)``; raise ValueError if it is NaN or infinite."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return number


def check_positive(name: str, value: float) -> float:
    """Return ``float(value)``; raise ValueError unless it is finite and > 0."""
    number = check_finite(name, value)
    if number <= 0:
        raise ValueError(f"{name} must be greater than zero, got {value!r}")
    return number


def check_non_negative(name: str, value: float) -> float:
    """Return ``float(value)``; raise ValueError unless it is finite and >= 0."""
    number = check_finite(name, value)
    if number < 0:
        raise ValueError(f"{name} must not be negative, got {value!r}")
    return number


def check_percent(name: str, value: float) -> float:
    """Return ``float(value)``; raise ValueError unless 0 <= value <= 100 (percent units)."""
    number = check_finite(name, value)
    if not 0 <= number <= 100:
        raise ValueError(f"{name} is in percent and must be between 0 and 100, got {value!r}")
    return number


def check_columns(frame: pd.DataFrame, required: Iterable[str], what: str) -> None:
    """Raise ValueError naming the missing columns if ``frame`` lacks any of ``required``."""
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise ValueError(
            f"{what} is missing column(s) {missing}; it has {list(frame.columns)}"
        )


def as_label_set(name: str, labels: Collection[str]) -> tuple[str, ...]:
    """Deduplicated labels in first-seen order; a bare string is refused (it would be iterated)."""
    if isinstance(labels, str):
        raise TypeError(f"{name} must be a collection of labels, not the single string {labels!r}")
    unique = tuple(dict.fromkeys(labels))
    if not unique:
        raise ValueError(f"{name} must name at least one holder")
    return unique


class LabelNotFoundError(KeyError):
    """A requested period label is not in the index; the message names what is available.

    Subclasses `KeyError` (the pandas convention for a missing label) but prints its message
    as plain text rather than a quoted repr, so a handler can show it to a user.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def describe_index(index: pd.Index) -> str:
    if len(index) == 0:
        return "the series is empty"
    labels = list(index)
    try:
        first, last = min(labels), max(labels)
    except TypeError:  # mixed label types: show the ends in stored order
        first, last = labels[0], labels[-1]
    return f"available labels run from {first!r} to {last!r} ({len(labels)} labels)"


def value_at(series: pd.Series, label: Label, *, what: str = "series") -> float:
    """The finite value at ``label``; LabelNotFoundError or ValueError with a clear message."""
    if label not in series.index:
        raise LabelNotFoundError(
            f"{label!r} is not in the {what}; {describe_index(series.index)}"
        )
    value = series.loc[label]
    if isinstance(value, pd.Series):
        raise ValueError(f"label {label!r} occurs {len(value)} times in the {what}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"the {what} has no value (NaN) at {label!r}")
    return number
