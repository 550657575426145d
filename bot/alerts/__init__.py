"""Threshold alerts (issue 14): `evaluate` fires each crossing once, through the delivery ledger;
`commands` sets, lists and removes them. The pure halves are `metrics.alerts` (the crossing rule)
and `handlers.alerts` (grammar, series, words)."""
