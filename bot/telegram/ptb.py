"""python-telegram-bot type aliases used across the bot."""

from __future__ import annotations

from typing import Any, TypeAlias

from telegram.ext import Application

__all__ = ["PTBApp"]

#: The application as this bot builds it (default context, bot and job queue types).
PTBApp: TypeAlias = Application[Any, Any, Any, Any, Any, Any]
