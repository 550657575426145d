"""One module per `/reset` topic: each turns a parsed query and the datasets into a `Reply`.

`handlers.answer` dispatches to them; everything they share (parsing, look-ups, the reply
builder, formatting) lives one level up in `handlers/`.
"""
