"""SourceFormatError (bot/pipeline/sources/errors.py): a refused file is named with its line and the reason."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.pipeline.sources.errors import SourceFormatError


def test_the_message_names_the_file_the_line_and_the_reason():
    error = SourceFormatError("mfhhis01.txt", 12, "expected 13 columns, got 12")
    assert str(error) == "mfhhis01.txt line 12: expected 13 columns, got 12"


def test_a_problem_not_tied_to_a_line_names_only_the_file():
    error = SourceFormatError("cofer.csv", None, "no reserve rows")
    assert str(error) == "cofer.csv: no reserve rows"


def test_line_one_is_a_line_not_a_missing_one():
    assert str(SourceFormatError("gdp.csv", 1, "header")) == "gdp.csv line 1: header"


def test_the_three_parts_stay_readable_for_callers():
    error = SourceFormatError("gold.csv", 7, "not a number")
    assert (error.origin, error.line, error.reason) == ("gold.csv", 7, "not a number")


def test_it_is_a_value_error_so_callers_that_catch_bad_values_catch_it():
    with pytest.raises(ValueError, match=r"^x\.csv line 3: bad$"):
        raise SourceFormatError("x.csv", 3, "bad")


@given(origin=st.text(min_size=1, max_size=40), line=st.none() | st.integers(min_value=1, max_value=10**7),
       reason=st.text(max_size=80))
def test_the_error_crosses_a_process_boundary_with_its_fields_and_message(origin, line, reason):
    error = SourceFormatError(origin, line, reason)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is SourceFormatError
    assert (copy.origin, copy.line, copy.reason) == (origin, line, reason)
    assert str(copy) == str(error)
