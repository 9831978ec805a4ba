"""Everything that speaks the Bot API: delivery, pacing, intake, webhook, handlers."""
