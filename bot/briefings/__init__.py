"""Weekly briefings: subscriptions, and posting each slot exactly once.

- `fanout` — **the exactly-once protocol** (claim, post with metadata, record) and a schedule's
  fan-out; the ledger it writes is `bot.storage.ledger`;
- `recovery` — after a crash or a failure: was it posted (Slack's history), is a retry due;
- `catchup` — the sync loop's pass (late slots, retries, takeovers, resumed subscriptions);
- `commands` — `/reset subscribe`, `subscriptions`, `unsubscribe`, `briefing` (texts: `handlers.subscriptions`);
- `recording`, `membership`, `outcomes`, `config`, `slots`, `pacing` — their helpers;
- they are wired together in `bot.assembly`; the APScheduler that runs them is `bot.scheduler`.
"""
