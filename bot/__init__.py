"""Telegram bot that places Kavenegar voice calls: ``/call @user``.

Importing this package changes nothing outside it. The entry points (``python -m bot``, the
demo) opt in to python-telegram-bot's ``timedelta`` time values (``PTB_TIMEDELTA``), which
version 22 warns about on every use of the old int form; the bot itself reads both forms.
"""
