"""Telegram handlers: thin adapters from updates to the domain. ``register`` wires them all."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler, TypeHandler, filters

from ..services import Services
from . import call, errors, onboarding, tracking

__all__ = ["register"]

# Only new messages: an edited "/call @bob" must not place a second call.
NEW_MESSAGES = filters.UpdateType.MESSAGE


def register(app: Application[Any, Any, Any, Any, Any, Any], services: Services) -> None:
    """Add every handler to ``app``; the tracker runs first, in its own group."""
    app.add_handler(TypeHandler(Update, tracking.TrackSender(services)), group=-1)
    app.add_handler(CommandHandler("start", onboarding.Start(services), filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("help", onboarding.Help(services), filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("whoami", onboarding.WhoAmI(services), filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("platform", onboarding.Platform(services), filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("call", call.Call(services), filters=NEW_MESSAGES))
    app.add_error_handler(errors.log_error)
