"""The one error every source parser raises when a file is not what it expects.

Publishers change layouts without notice. A parser that guesses (skips a short row, reads a
shifted column, turns a stray footnote into 0) produces wrong numbers that look right, so every
parser in `bot.pipeline.sources` fails loudly instead, naming the file, the line and what was wrong.
"""

from __future__ import annotations


class SourceFormatError(ValueError):
    """A source file does not have the layout its parser was written for.

    ``origin`` names the file (e.g. ``"mfhhis01.txt"``), ``line`` is the 1-based line in that
    file (None when the problem is not tied to one line, e.g. a missing section), and ``reason``
    says what was expected and what was found.
    """

    def __init__(self, origin: str, line: int | None, reason: str) -> None:
        self.origin = origin
        self.line = line
        self.reason = reason
        where = f"{origin} line {line}" if line is not None else origin
        super().__init__(f"{where}: {reason}")

    def __reduce__(self) -> tuple[type, tuple[str, int | None, str]]:
        # Keeps the three fields when the error crosses a process boundary (pickling).
        return (type(self), (self.origin, self.line, self.reason))
