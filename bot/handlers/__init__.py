"""Telegram handlers: thin adapters from updates to the domain. ``register`` wires them all."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ChatMemberHandler,
    CommandHandler,
    TypeHandler,
    filters,
)

from ..services import Services
from . import admin, call, consent, errors, gate, onboarding, tracking

__all__ = ["register"]

# Only new messages: an edited "/call @bob" must not place a second call.
NEW_MESSAGES = filters.UpdateType.MESSAGE


def register(app: Application[Any, Any, Any, Any, Any, Any], services: Services) -> None:
    """Add every handler to ``app``: de-duplication, the tracker, the access gate, commands."""
    app.add_handler(TypeHandler(Update, tracking.OncePerUpdate(services)), group=-3)
    app.add_handler(TypeHandler(Update, tracking.TrackSender(services)), group=-2)
    app.add_handler(TypeHandler(Update, gate.AccessGate(services)), group=-1)
    app.add_handler(CommandHandler("start", onboarding.Start(services), filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("help", onboarding.Help(services), filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("whoami", onboarding.WhoAmI(services), filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("platform", onboarding.Platform(services), filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("call", call.Call(services), filters=NEW_MESSAGES))
    app.add_handler(
        ChatMemberHandler(
            tracking.PrivateChatMembership(services), ChatMemberHandler.MY_CHAT_MEMBER
        )
    )
    app.add_handler(CommandHandler("dnd", consent.DoNotDisturb(services), filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("forget", consent.Forget(services), filters=NEW_MESSAGES))
    admin_commands = {
        "allow": admin.SetAccess(services, allowed=True),
        "deny": admin.SetAccess(services, allowed=False),
        "access": admin.ShowAccess(services),
        "uncallable": admin.SetCallable(services, callable_=False),
        "callable": admin.SetCallable(services, callable_=True),
    }
    for name, handler in admin_commands.items():
        app.add_handler(CommandHandler(name, handler, filters=NEW_MESSAGES))
    app.add_error_handler(errors.log_error)
