"""The scheduler and the outbox: what the bot says first. Empty until the scheduler issue."""
