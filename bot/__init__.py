"""Telegram bot that places Kavenegar voice calls: ``/call @user``.

python-telegram-bot 22 is moving its time values (``RetryAfter.retry_after`` and others) from
int seconds to ``timedelta`` and warns on every use of the old form; this package opts in to the
new form now, so the bot reads durations one way and runs warning-free.
"""

import os

os.environ.setdefault("PTB_TIMEDELTA", "true")
