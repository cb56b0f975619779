"""Prometheus metrics of the running bot (prometheus-client). Served at ``/metrics`` by the
web server in webhook mode, or on ``METRICS_PORT`` when polling; see README, "Running at scale".

The objects are process-wide: whatever records a figure imports the metric from here."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

UPDATES = Counter("salesbot_updates_total", "Updates handled, by kind", ["kind"])
HANDLER_SECONDS = Histogram(
    "salesbot_handler_seconds",
    "Time to handle one update, from its arrival to the end of its handlers",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
HANDLER_ERRORS = Counter("salesbot_handler_errors_total", "Updates whose handler raised")
CONVERSATION_TIMEOUTS = Counter(
    "salesbot_conversation_timeouts_total", "Conversations ended by their timeout"
)
OUTBOX_ROWS = Gauge("salesbot_outbox_rows", "Outbox rows by state", ["state"])
OUTBOX_OUTCOMES = Counter(
    "salesbot_outbox_outcomes_total",
    "Outbox rows finished by this process, by outcome",
    ["outcome"],
)
TELEGRAM_429 = Counter(
    "salesbot_telegram_429_total", "Flood-control refusals (HTTP 429) received from the Bot API"
)
TICK_SECONDS = Histogram(
    "salesbot_tick_seconds",
    "Time one scheduler producer took in one tick",
    ["producer"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
LAST_TICK = Gauge("salesbot_last_tick_timestamp_seconds", "When the scheduler last ticked (Unix)")
IS_LEADER = Gauge("salesbot_leader", "1 while this process holds the leadership, else 0")
