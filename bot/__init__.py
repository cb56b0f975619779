"""salesbot: a Telegram assistant that is a sales team's CRM."""
