"""Multi-step flows (python-telegram-bot ConversationHandlers) and what they share."""
