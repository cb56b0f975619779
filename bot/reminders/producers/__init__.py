"""One module per kind of scheduled message. Each has ``produce(tick)``, which writes what is
due at ``tick.now`` to the outbox; the scheduler finds the modules here by themselves."""
