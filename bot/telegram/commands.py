"""The command table: the one list that registration, the ``/`` menus and ``/help`` come from.

Each row names a command, how to build its handler, where it is offered (``private`` and
``group`` menus; ``admin`` commands only in admins' private chats) and its arguments. Its
description lives in :mod:`bot.core.texts` as ``cmd_<name>``, in every language the bot speaks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.config import Settings
from bot.core.texts import TEXTS, plain, t
from bot.services import Services
from bot.telegram.handlers import (
    admin,
    call,
    consent,
    errors,
    fallback,
    history,
    migration,
    onboarding,
    phone,
    preflight,
    presses,
    teams,
)
from bot.telegram.handlers.base import Command
from bot.telegram.ptb import PTBApp

__all__ = ["COMMANDS", "CommandSpec", "help_text", "publish_menus", "register"]

logger = logging.getLogger(__name__)

Scope = Literal["private", "group", "admin"]
# Only new messages: an edited "/call @bob" must not place a second call.
NEW_MESSAGES = filters.UpdateType.MESSAGE


@dataclass(frozen=True)
class CommandSpec:
    name: str
    handler: Callable[[Services], Command]
    scopes: frozenset[Scope]
    #: What follows the command in ``/help``, e.g. ``@username [length]``.
    usage: str = ""

    @property
    def text_key(self) -> str:
        return f"cmd_{self.name}"


def _spec(
    name: str, handler: Callable[[Services], Command], *scopes: Scope, usage: str = ""
) -> CommandSpec:
    return CommandSpec(name, handler, frozenset(scopes), usage)


COMMANDS: tuple[CommandSpec, ...] = (
    _spec("call", call.Call, "private", "group", usage="@username [length]"),
    _spec("help", onboarding.Help, "private", "group"),
    _spec("start", onboarding.Start, "private"),
    _spec("whoami", onboarding.WhoAmI, "private"),
    _spec("platform", onboarding.Platform, "private", usage="ios|android|none"),
    _spec("phone", phone.Phone, "private", usage="[@someone]"),
    _spec("dnd", consent.DoNotDisturb, "private", usage="on|off"),
    _spec("forget", consent.Forget, "private"),
    _spec("history", history.History, "private"),
    _spec("team", teams.TeamCommand, "group", usage="[new|add|remove|move|delete|zone] NAME …"),
    _spec("rotation", teams.Rotation, "group", usage="NAME daily|weekly HH:MM [TZ]"),
    _spec("oncall", teams.OnCall, "private", "group", usage="[NAME]"),
    _spec("cover", teams.Cover, "group", usage="NAME @someone 4h | NAME off"),
    _spec("swap", teams.SwapShift, "private", "group", usage="NAME [now|next|DATE|@someone]"),
    _spec("page", teams.PageTeam, "group", usage="NAME [reason]"),
    _spec("invite", teams.Invite, "group", usage="NAME [uses] [hours] | NAME revoke"),
    _spec("invites", teams.Invites, "group", usage="NAME"),
    _spec("line", teams.LineCommand, "group", usage="NAME on [HOURS] [TZ] | NAME off | NAME"),
    _spec("queue", teams.Queue, "private", "group", usage="NAME"),
    _spec("allow", lambda s: admin.SetAccess(s, allowed=True), "admin", usage="[id]"),
    _spec("deny", lambda s: admin.SetAccess(s, allowed=False), "admin", usage="[id]"),
    _spec("access", admin.ShowAccess, "admin"),
    _spec("stats", history.Stats, "admin", usage="[days]"),
    _spec("uncallable", lambda s: admin.SetCallable(s, callable_=False), "admin", usage="[id]"),
    _spec("callable", lambda s: admin.SetCallable(s, callable_=True), "admin", usage="[id]"),
)


def register(app: PTBApp, services: Services) -> None:
    """Add every handler to ``app``: the preflight first, then the commands of the table."""
    app.add_handler(TypeHandler(Update, preflight.Preflight(services)), group=-1)
    for spec in COMMANDS:
        app.add_handler(CommandHandler(spec.name, spec.handler(services), filters=NEW_MESSAGES))
    # a private chat's unknown command or plain text: one pointer (after every command above)
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.TEXT & NEW_MESSAGES,
            fallback.PrivateFallback(services),
        )
    )
    for press in presses.handlers(services):  # one per feature, routed by pattern; then the rest
        app.add_handler(press)
    app.add_handler(
        MessageHandler(
            filters.CONTACT & filters.ChatType.PRIVATE & NEW_MESSAGES,
            phone.SharedContact(services),
        )
    )
    app.add_handler(
        ChatMemberHandler(
            preflight.PrivateChatMembership(services), ChatMemberHandler.MY_CHAT_MEMBER
        )
    )
    # a group upgraded to a supergroup (a new id): its service messages, and messages refused
    # with the new id, move what is stored by the old one
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, migration.ChatMigration(services)))
    app.add_error_handler(errors.log_error)


def help_text(lang: str, settings: Settings, is_admin: bool) -> str:
    """``/help``: every command with its arguments and description, then the limits."""

    def lines(admin_commands: bool) -> list[str]:
        return [
            " ".join(p for p in (f"/{s.name}", s.usage) if p) + " – " + t(lang, s.text_key)
            for s in COMMANDS
            if ("admin" in s.scopes) == admin_commands
        ]

    parts = [t(lang, "help_title"), *lines(False)]
    if is_admin:
        parts += ["", t(lang, "help_admin_title"), *lines(True)]
    footer = t(
        lang,
        "help_footer",
        max_minutes=settings.max_duration_limit // 60,
        default_minutes=settings.default_max_duration // 60,
    )
    return "\n".join([*parts, "", footer])


def _menu(lang: str, scopes: set[Scope]) -> list[BotCommand]:
    return [BotCommand(s.name, plain(t(lang, s.text_key))) for s in COMMANDS if s.scopes & scopes]


async def publish_menus(bot: Bot, admins: frozenset[int]) -> None:
    """The ``/`` menu per scope and language; a failure here must not stop the bot."""
    try:
        for lang in TEXTS:
            code = None if lang == "en" else lang
            await bot.set_my_commands(
                _menu(lang, {"private"}),
                scope=BotCommandScopeAllPrivateChats(),
                language_code=code,
            )
            await bot.set_my_commands(
                _menu(lang, {"group"}), scope=BotCommandScopeAllGroupChats(), language_code=code
            )
    except TelegramError as exc:
        logger.warning("could not publish the command menu: %s", exc)
    admin_menu = _menu("en", {"private", "admin"})
    for admin_id in sorted(admins):
        try:  # fails until the admin has pressed Start; harmless
            await bot.set_my_commands(admin_menu, scope=BotCommandScopeChat(admin_id))
        except TelegramError as exc:
            logger.info("no admin menu for %s yet: %s", admin_id, exc)
