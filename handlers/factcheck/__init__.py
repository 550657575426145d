"""Fact-check any message: find the thesis' checkable statements in free text and judge each with
the rule `/reset claims` uses for it.

* `numbers` reads numbers with units (and blanks out dates, years, times and phone numbers);
* `matcher` finds statements — a number linked to its subject in the same sentence, a direction,
  a scenario — and documents how matching works and its limits;
* `render` judges each statement with `handlers.topics.claims` (the one shared rule set) and
  builds the reply.
"""
