"""Business rules and permission checks. Services take plain values and a session; they never
import ``telegram``, so every path (command, button, import) goes through the same checks."""
