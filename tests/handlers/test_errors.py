"""`handlers.errors`: the problems a user can cause and fix, each carrying the words to show them."""

from __future__ import annotations

import pytest

from handlers.errors import UsageError, UserFacingError


def test_a_user_facing_error_carries_its_message_for_the_reply():
    error = UserFacingError("I don't know the holder *atlantis*.")
    assert error.message == "I don't know the holder *atlantis*."


def test_the_message_is_also_the_exception_text_for_logs():
    assert str(UserFacingError("No data for 1999.")) == "No data for 1999."


def test_a_usage_error_is_a_user_facing_error():
    assert issubclass(UsageError, UserFacingError)
    with pytest.raises(UserFacingError) as caught:
        raise UsageError("Try `/reset shock eu 20%`.")
    assert caught.value.message == "Try `/reset shock eu 20%`."


def test_the_mrkdwn_is_kept_verbatim():
    text = "*Usage:* `/reset holdings [holder]`, e.g. `holdings china` — <https://example.org|docs>"
    assert UsageError(text).message == text


def test_they_are_not_mistaken_for_lookup_or_validation_errors():
    assert not issubclass(UserFacingError, (KeyError, ValueError, TypeError))
