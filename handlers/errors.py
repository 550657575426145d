"""Errors a user can cause and fix; the bot turns them into a friendly reply.

Anything that is not a `UserFacingError` is a bug: `bot.slack.errors` logs it with an id the user can
quote.
"""


class UserFacingError(Exception):
    """An expected problem, explained to the user in ``message`` (Slack mrkdwn)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(UserFacingError):
    """The command text could not be understood; ``message`` includes a working example."""
